/*
** Unpacks a frozen stdlib module when CPython's frozen importer asks for its
** code: zlib-inflate the chunk into a temporary buffer, unmarshal it, free
** the buffer. Each module is unpacked once per import (a module object is
** then cached in sys.modules as usual).
*/
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <marshal.h>

#include "reactor_frozen.h"

#include <zlib.h>

PyObject *reactor_frozen_unpack(size_t index)
{
    if (index >= reactor_frozen_count) {
        PyErr_SetString(PyExc_ImportError, "frozen module index out of range");
        return NULL;
    }
    const reactor_frozen_chunk *chunk = &reactor_frozen_chunks[index];
    unsigned char *raw = PyMem_RawMalloc(chunk->size);
    if (raw == NULL)
        return PyErr_NoMemory();
    uLongf size = chunk->size;
    int status = uncompress(raw, &size, reactor_frozen_blob + chunk->offset, chunk->packed_size);
    PyObject *code = NULL;
    if (status != Z_OK || size != chunk->size)
        PyErr_Format(PyExc_ImportError, "frozen module %zu is corrupt (zlib status %d)", index, status);
    else
        code = PyMarshal_ReadObjectFromString((const char *)raw, (Py_ssize_t)size);
    PyMem_RawFree(raw);
    return code;
}
