/*
** Calling the host (ABI.md, "Host functions"): the import host.call, the
** Busy rule around it, and the built-in module `_reactor_host` that gives
** it to the Python half.
**
** The Python half (_reactor.call_host) makes the args' JSON text and
** decodes the reply; this file only moves bytes and distrusts the host's
** pointers. Big integers stay exact because they never leave text.
**
** While the import runs, the Python code that called it is suspended in
** the middle of a bytecode; the host may call alloc and dealloc (to hand
** over its reply), and any other export must not run Python on top of it.
** reactor_host_busy() says so to reactor_exports.c, which answers Busy.
*/
#define PY_SSIZE_T_CLEAN
#include <Python.h>

#include "reactor.h"

#include <stdlib.h>

__attribute__((import_module("host"), import_name("call")))
int32_t host_call(int32_t name_ptr, int32_t name_len, int32_t args_ptr, int32_t args_len,
                  int32_t reply_ptr);

/* host.call's return values. */
enum { REPLY_VALUE = 0, REPLY_ERROR = 1 };

/* Per instance (it lives in the instance's memory); the guest has one
** thread, so a plain int is enough. */
static int busy;

int reactor_host_busy(void)
{
    return busy;
}

/* Where the host stores its reply: two u32, little-endian as wasm is. */
typedef struct reply {
    uint32_t ptr;
    uint32_t len;
} reply;

/* (status, bytes) for a reply that keeps the protocol; MemoryError when
** the host could not allocate it; RuntimeError (which _reactor turns into
** HostError) when the host broke the protocol. Frees the reply. */
static PyObject *take_reply(int32_t status, reply r)
{
    if (status == REPLY_ERROR && r.ptr == 0 && r.len == 0)
        return PyErr_Format(PyExc_MemoryError, "the host could not allocate its reply in the guest");
    if (status != REPLY_VALUE && status != REPLY_ERROR)
        return PyErr_Format(PyExc_RuntimeError, "host.call returned %d, not 0 or 1", (int)status);
    if (r.ptr == 0 || !reactor_in_memory(r.ptr, r.len))
        /* Not freed: an address we cannot trust is not ours to free. */
        return PyErr_Format(PyExc_RuntimeError, "host.call stored a reply outside guest memory (%u, %u)",
                            (unsigned)r.ptr, (unsigned)r.len);
    PyObject *text = PyBytes_FromStringAndSize((const char *)(uintptr_t)r.ptr, (Py_ssize_t)r.len);
    free((void *)(uintptr_t)r.ptr); /* what the export dealloc does */
    if (text == NULL)
        return NULL;
    return Py_BuildValue("(iN)", (int)status, text);
}

/* _reactor_host.call(name, args_text) -> (status, reply_bytes) */
static PyObject *call(PyObject *module, PyObject *const *args, Py_ssize_t nargs)
{
    (void)module;
    if (nargs != 2 || !PyUnicode_Check(args[0]) || !PyUnicode_Check(args[1])) {
        PyErr_SetString(PyExc_TypeError, "call(name, args_text) takes two str");
        return NULL;
    }
    Py_ssize_t name_len, args_len;
    const char *name = PyUnicode_AsUTF8AndSize(args[0], &name_len);
    if (name == NULL)
        return NULL;
    const char *text = PyUnicode_AsUTF8AndSize(args[1], &args_len);
    if (text == NULL)
        return NULL;
    if (name_len > INT32_MAX || args_len > INT32_MAX) {
        PyErr_SetString(PyExc_OverflowError, "host call too large");
        return NULL;
    }
    reply r = {0, 0};
    busy = 1;
    int32_t status = host_call((int32_t)(uintptr_t)name, (int32_t)name_len, (int32_t)(uintptr_t)text,
                               (int32_t)args_len, (int32_t)(uintptr_t)&r);
    busy = 0;
    return take_reply(status, r);
}

/* _reactor_host.is_awaitable(obj): what `await obj` accepts, by the type
** slot `await` itself looks at. One test for both apply paths (the warm
** one in reactor_apply.c asks reactor_is_awaitable directly). */
static PyObject *is_awaitable(PyObject *module, PyObject *obj)
{
    (void)module;
    return PyBool_FromLong(reactor_is_awaitable(obj));
}

int reactor_is_awaitable(PyObject *obj)
{
    PyAsyncMethods *async = Py_TYPE(obj)->tp_as_async;
    return async != NULL && async->am_await != NULL;
}

/* For _reactor_pack only, while `pyreactor pack` makes a new snapshot
** (docs/packages.md): zero heap blocks as they are freed (on) or not, so
** that dead bytes do not ship in it; and arm the refresh that the first
** call of each instance made from it must do. Callable by user code too,
** to no harm: scrubbing only costs time, and a refresh redoes what every
** instance's first call did. */
static PyObject *heap_scrub(PyObject *module, PyObject *on)
{
    (void)module;
    int flag = PyObject_IsTrue(on);
    if (flag < 0)
        return NULL;
    reactor_heap_scrub(flag);
    Py_RETURN_NONE;
}

static PyObject *snapshot_rearm(PyObject *module, PyObject *unused)
{
    (void)module;
    (void)unused;
    reactor_snapshot_rearm();
    Py_RETURN_NONE;
}

static PyMethodDef methods[] = {
    {"call", (PyCFunction)(void (*)(void))call, METH_FASTCALL,
     "call(name, args_text) -> (status, reply): the import host.call"},
    {"is_awaitable", is_awaitable, METH_O, "is_awaitable(obj) -> bool: await takes obj"},
    {"_heap_scrub", heap_scrub, METH_O, "_heap_scrub(on): zero freed heap blocks (packs only)"},
    {"_snapshot_rearm", snapshot_rearm, METH_NOARGS,
     "_snapshot_rearm(): the next call refreshes the instance as after a snapshot (packs only)"},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module_def = {
    PyModuleDef_HEAD_INIT,
    .m_name = "_reactor_host",
    .m_doc = "The guest's import host.call, for _reactor (see the module reactor).",
    .m_size = -1,
    .m_methods = methods,
};

PyObject *reactor_host_module_init(void)
{
    return PyModule_Create(&module_def);
}
