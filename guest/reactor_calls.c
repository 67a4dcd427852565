/*
** The operations of the contract, between the wasm boundary and the Python
** half (`_reactor`, _reactor.py). This file owns the checks on bytes that
** come from the host: bounds against linear memory, UTF-8, NUL bytes and
** empty names. Everything about semantics is in _reactor.py.
*/
/* Python.h first: it sets the feature macros the libc headers read. */
#define PY_SSIZE_T_CLEAN
#include <Python.h>

#include "reactor.h"
#include "reactor_frozen.h"

#include <string.h>

/* The _reactor entry point for each reactor_op. Owned references, kept for
** the life of the instance (the interpreter is never finalized). */
static PyObject *entry_points[REACTOR_OP_COUNT];

static const char *const entry_point_names[REACTOR_OP_COUNT] = {
    [REACTOR_REGISTER_LAMBDA] = "register_lambda",
    [REACTOR_REGISTER_DEF] = "register_def",
    [REACTOR_REGISTER_MODULE] = "register_module",
    [REACTOR_UNREGISTER_LAMBDA] = "unregister_lambda",
    [REACTOR_UNREGISTER_DEF] = "unregister_def",
    [REACTOR_UNREGISTER_MODULE] = "unregister_module",
    [REACTOR_APPLY_LAMBDA] = "apply_lambda",
    [REACTOR_APPLY_DEF] = "apply_def",
    [REACTOR_RUN] = "run",
    [REACTOR_REGISTER_PACKAGE] = "register_package",
};

/* What the payload of each operation is, for checks and messages. */
static const char *payload_kind(reactor_op op)
{
    switch (op) {
    case REACTOR_REGISTER_LAMBDA:
    case REACTOR_REGISTER_DEF:
    case REACTOR_REGISTER_MODULE:
    case REACTOR_REGISTER_PACKAGE:
    case REACTOR_RUN:
        return "InvalidInput";
    case REACTOR_APPLY_LAMBDA:
    case REACTOR_APPLY_DEF:
        return "InvalidArgs";
    default:
        return NULL;
    }
}

/* Turns the pending Python exception into an err record of type `kind`
** (or of the exception's own class name when kind is NULL), prefixing its
** message with `context`. Clears the exception. */
static reactor_record *error_from_exception(const char *kind, const char *context)
{
    PyObject *type, *value, *tb;
    PyErr_Fetch(&type, &value, &tb);
    PyErr_NormalizeException(&type, &value, &tb);
    const char *detail = "";
    PyObject *text = value != NULL ? PyObject_Str(value) : NULL;
    if (text != NULL)
        detail = PyUnicode_AsUTF8(text);
    if (detail == NULL)
        detail = "";
    PyErr_Clear();
    if (kind == NULL)
        kind = type != NULL ? ((PyTypeObject *)type)->tp_name : "InternalError";
    size_t len = strlen(context) + strlen(detail) + 3;
    char *message = PyMem_RawMalloc(len);
    reactor_record *record;
    if (message != NULL) {
        snprintf(message, len, "%s: %s", context, detail);
        record = reactor_record_error(kind, message);
        PyMem_RawFree(message);
    } else {
        record = reactor_record_error("MemoryError", context);
    }
    Py_XDECREF(text);
    Py_XDECREF(type);
    Py_XDECREF(value);
    Py_XDECREF(tb);
    return record;
}

static int load_entry_points(reactor_record **error)
{
    if (entry_points[0] != NULL)
        return 0;
    PyObject *module = PyImport_ImportModule("_reactor");
    if (module == NULL) {
        *error = error_from_exception("InternalError", "cannot import _reactor");
        return -1;
    }
    if (reactor_apply_load(module) != 0) {
        *error = error_from_exception("InternalError", "the warm path of apply");
        Py_DECREF(module);
        return -1;
    }
    for (int op = 0; op < REACTOR_OP_COUNT; op++) {
        entry_points[op] = PyObject_GetAttrString(module, entry_point_names[op]);
        if (entry_points[op] == NULL) {
            *error = error_from_exception("InternalError", entry_point_names[op]);
            for (int i = 0; i < op; i++)
                Py_CLEAR(entry_points[i]);
            Py_DECREF(module);
            return -1;
        }
    }
    Py_DECREF(module);
    return 0;
}

/* A new str from host bytes, or NULL with *error set to an err of `kind`. */
static PyObject *decode(uint32_t ptr, uint32_t len, const char *kind, const char *what,
                        reactor_record **error)
{
    if (!reactor_in_memory(ptr, len)) {
        *error = reactor_record_error(kind, what);
        return NULL;
    }
    PyObject *text = PyUnicode_DecodeUTF8((const char *)(uintptr_t)ptr, (Py_ssize_t)len, "strict");
    if (text == NULL)
        *error = error_from_exception(kind, what);
    return text;
}

static PyObject *decode_name(uint32_t ptr, uint32_t len, reactor_record **error)
{
    if (len == 0) {
        *error = reactor_record_error("InvalidName", "the name is empty");
        return NULL;
    }
    if (reactor_in_memory(ptr, len) && memchr((const void *)(uintptr_t)ptr, '\0', len) != NULL) {
        *error = reactor_record_error("InvalidName", "the name holds a NUL byte");
        return NULL;
    }
    return decode(ptr, len, "InvalidName", "the name is not valid UTF-8 or out of bounds", error);
}

/* Copies the (ok, utf8_bytes) pair the Python half returns into a record. */
static reactor_record *record_from_result(PyObject *result)
{
    if (result == NULL)
        return error_from_exception(NULL, "uncaught in the reactor");
    if (!PyTuple_Check(result) || PyTuple_GET_SIZE(result) != 2) {
        Py_DECREF(result);
        return reactor_record_error("InternalError", "_reactor returned no (ok, bytes) pair");
    }
    int ok = PyObject_IsTrue(PyTuple_GET_ITEM(result, 0));
    Py_ssize_t len = 0;
    char *text = NULL;
    reactor_record *record;
    if (ok < 0 || PyBytes_AsStringAndSize(PyTuple_GET_ITEM(result, 1), &text, &len) < 0) {
        record = error_from_exception(NULL, "reading the result of _reactor");
    } else {
        record = reactor_record_new(ok ? REACTOR_OK : REACTOR_ERR, text, (size_t)len);
        if (record == NULL)
            record = reactor_record_error("MemoryError", "no memory for the result text");
    }
    Py_DECREF(result);
    return record;
}

/* The payload of `op` as a str, or NULL with *error set; NULL with no
** error for an op that has none. */
static PyObject *decode_payload(reactor_op op, uint32_t ptr, uint32_t len, reactor_record **error)
{
    const char *kind = payload_kind(op);
    if (kind == NULL)
        return NULL;
    const char *what = op == REACTOR_APPLY_LAMBDA || op == REACTOR_APPLY_DEF
        ? "the args are not valid UTF-8 or out of bounds"
        : "the code is not valid UTF-8 or out of bounds";
    return decode(ptr, len, kind, what, error);
}

static reactor_record *call_python(reactor_op op, uint32_t name_ptr, uint32_t name_len,
                                   uint32_t payload_ptr, uint32_t payload_len)
{
    reactor_record *error = NULL;
    if (load_entry_points(&error) != 0)
        return error;
    PyObject *name = NULL; /* run has none */
    if (op != REACTOR_RUN && (name = decode_name(name_ptr, name_len, &error)) == NULL)
        return error;
    PyObject *payload = decode_payload(op, payload_ptr, payload_len, &error);
    if (error != NULL) {
        Py_XDECREF(name);
        return error;
    }
    if (op == REACTOR_APPLY_LAMBDA || op == REACTOR_APPLY_DEF) {
        reactor_record *record = reactor_apply_fast(op, name, payload);
        if (record != NULL) {
            Py_DECREF(name);
            Py_DECREF(payload);
            return record;
        }
    }
    PyObject *argv[2];
    size_t argc = 0;
    if (name != NULL)
        argv[argc++] = name;
    if (payload != NULL)
        argv[argc++] = payload;
    PyObject *result = PyObject_Vectorcall(entry_points[op], argv, argc, NULL);
    Py_XDECREF(name);
    Py_XDECREF(payload);
    return record_from_result(result);
}

reactor_record *reactor_call(reactor_op op, uint32_t name_ptr, uint32_t name_len,
                             uint32_t payload_ptr, uint32_t payload_len)
{
    reactor_record *record = call_python(op, name_ptr, name_len, payload_ptr, payload_len);
    reactor_python_flush();
    reactor_frozen_release();
    return record;
}
