/*
** The warm path of apply_lambda and apply_def, in C. The common call, a
** name registered as it is and args that are a JSON array, costs a Python
** frame less this way, no tuple for fn(*args), and its result goes into the
** record without a bytes object in between (a warm call of a trivial def,
** in-thread in the JS host: 2.66 -> 1.89 us; natively about 0.3 us less).
**
** Everything else is left to _reactor._apply, which has the messages: a
** dotted or unknown name, args that are an object or that the scanner
** refuses. Those are found before the callable runs, so handing over costs
** nothing but the scan. After the call has started, this path reports
** through the same helpers _apply uses (_encode_error, _error_bytes), so
** both paths give the same results; the conformance vectors run both.
*/
#define PY_SSIZE_T_CLEAN
#include <Python.h>

#include "reactor.h"

/* From _reactor, kept for the life of the instance (owned references; the
** interpreter is never finalized). */
static PyObject *registries[2]; /* _lambdas, _defs */
static PyObject *scan;          /* _scan(text, 0) -> (value, end) */
static PyObject *encode;        /* _c_encode(value, 0) -> [chunks] */
static PyObject *encode_error;  /* _encode_error(exc) -> what to report */
static PyObject *error_bytes;   /* _error_bytes(exc) -> err JSON, bytes */
static PyObject *await_value;   /* _await(awaitable) -> its value, run on the loop */
static PyObject *zero, *no_separator;

int reactor_apply_load(PyObject *module)
{
    static const char *const names[] = {"_lambdas", "_defs", "_scan", "_c_encode", "_encode_error",
                                        "_error_bytes", "_await"};
    PyObject **const slots[] = {&registries[0], &registries[1], &scan, &encode, &encode_error,
                                &error_bytes, &await_value};
    if (scan != NULL)
        return 0;
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        *slots[i] = PyObject_GetAttrString(module, names[i]);
        if (*slots[i] == NULL)
            goto fail;
    }
    if (!PyDict_Check(registries[0]) || !PyDict_Check(registries[1])) {
        PyErr_SetString(PyExc_TypeError, "_reactor's registries are not dicts");
        goto fail;
    }
    zero = PyLong_FromLong(0);
    no_separator = PyUnicode_New(0, 0);
    if (zero == NULL || no_separator == NULL)
        goto fail;
    return 0;
fail:
    for (size_t i = 0; i < sizeof slots / sizeof slots[0]; i++)
        Py_CLEAR(*slots[i]);
    Py_CLEAR(zero);
    Py_CLEAR(no_separator);
    return -1;
}

/* The args as a list when `text` is exactly one JSON array; NULL, with no
** exception set, for anything _apply must look at itself. */
static PyObject *scan_array(PyObject *text)
{
    Py_ssize_t len = PyUnicode_GET_LENGTH(text);
    if (len < 2 || PyUnicode_READ_CHAR(text, 0) != '[' || PyUnicode_READ_CHAR(text, len - 1) != ']')
        return NULL;
    PyObject *argv[2] = {text, zero};
    PyObject *pair = PyObject_Vectorcall(scan, argv, 2, NULL);
    if (pair == NULL) {
        PyErr_Clear(); /* _apply scans again and reports it */
        return NULL;
    }
    PyObject *list = NULL;
    if (PyTuple_Check(pair) && PyTuple_GET_SIZE(pair) == 2 && PyList_Check(PyTuple_GET_ITEM(pair, 0))) {
        Py_ssize_t end = PyLong_AsSsize_t(PyTuple_GET_ITEM(pair, 1));
        if (end == len)
            list = Py_NewRef(PyTuple_GET_ITEM(pair, 0));
        else if (end == -1 && PyErr_Occurred())
            PyErr_Clear();
    }
    Py_DECREF(pair);
    return list;
}

/* An err record of the pending exception, as _apply's except clause makes
** it; `on_encode`: the exception came from encoding the result. */
static reactor_record *failure(int on_encode)
{
    PyObject *type, *value, *tb;
    PyErr_Fetch(&type, &value, &tb);
    PyErr_NormalizeException(&type, &value, &tb);
    if (value != NULL && tb != NULL)
        PyException_SetTraceback(value, tb); /* what an except clause sees */
    PyObject *reported = value != NULL && on_encode ? PyObject_CallOneArg(encode_error, value)
                                                    : Py_XNewRef(value);
    PyObject *bytes = reported != NULL ? PyObject_CallOneArg(error_bytes, reported) : NULL;
    reactor_record *record;
    if (bytes != NULL && PyBytes_Check(bytes))
        record = reactor_record_new(REACTOR_ERR, PyBytes_AS_STRING(bytes), (size_t)PyBytes_GET_SIZE(bytes));
    else
        record = NULL;
    if (record == NULL) {
        PyErr_Clear();
        record = reactor_record_error("InternalError", "an error of apply could not be reported");
    }
    Py_XDECREF(bytes);
    Py_XDECREF(reported);
    Py_XDECREF(type);
    Py_XDECREF(value);
    Py_XDECREF(tb);
    return record;
}

/* The ok record of `value`'s compact JSON. Steals `value`. */
static reactor_record *encoded(PyObject *value)
{
    PyObject *argv[2] = {value, zero};
    PyObject *chunks = PyObject_Vectorcall(encode, argv, 2, NULL);
    Py_DECREF(value);
    PyObject *text = chunks != NULL ? PyUnicode_Join(no_separator, chunks) : NULL;
    Py_XDECREF(chunks);
    Py_ssize_t len = 0;
    const char *utf8 = text != NULL ? PyUnicode_AsUTF8AndSize(text, &len) : NULL;
    reactor_record *record;
    if (utf8 == NULL) {
        record = failure(1);
    } else {
        record = reactor_record_new(REACTOR_OK, utf8, (size_t)len);
        if (record == NULL)
            record = reactor_record_error("MemoryError", "no memory for the result text");
    }
    Py_XDECREF(text);
    return record;
}

/* The value of the awaitable `value`, run as _apply runs it (ABI.md,
** "Awaitables"); NULL with an exception set. Steals `value`. */
static PyObject *awaited(PyObject *value)
{
    PyObject *result = PyObject_CallOneArg(await_value, value);
    Py_DECREF(value);
    return result;
}

reactor_record *reactor_apply_fast(reactor_op op, PyObject *name, PyObject *args_text)
{
    if (scan == NULL)
        return NULL;
    PyObject *registry = registries[op == REACTOR_APPLY_DEF];
    PyObject *fn = PyDict_GetItemWithError(registry, name); /* borrowed */
    if (fn == NULL) {
        PyErr_Clear();
        return NULL;
    }
    /* The scan can run the gc, and a finalizer unregister fn meanwhile. */
    Py_INCREF(fn);
    PyObject *args = scan_array(args_text);
    if (args == NULL) {
        Py_DECREF(fn);
        return NULL;
    }
    /* The list is ours alone, so its items stay put during the call. */
    PyObject *value = PyObject_Vectorcall(fn, PySequence_Fast_ITEMS(args), (size_t)PyList_GET_SIZE(args), NULL);
    Py_DECREF(args);
    Py_DECREF(fn);
    if (value != NULL && reactor_is_awaitable(value))
        value = awaited(value);
    return value != NULL ? encoded(value) : failure(0);
}
