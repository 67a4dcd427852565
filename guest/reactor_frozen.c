/*
** Unpacks a frozen stdlib module when CPython's frozen importer asks for its
** code: decode the module's group (raw LZMA2) as far as the module's end,
** unmarshal the module's part. Each module is unpacked once per import (a
** module object is then cached in sys.modules as usual).
**
** While the snapshot is made, the modules it imports are unpacked here too.
** Their code would then ship twice: compressed in the blob, and as live
** objects in the snapshot's heap. So the code objects unpacked then are
** kept, and the groups made only of kept modules zeroed when the snapshot
** is done (zeros compress to nothing: 0.26 MB less gzipped). A later import
** of such a module (after `del sys.modules[name]`, or importlib.reload)
** executes the kept code object, which is what unpacking would have made.
*/
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <marshal.h>

#include "reactor_frozen.h"

#include <stdlib.h>
#include <string.h>
#include <lzma.h>

/* NULL outside the snapshot build and in the plain module; in the snapshot,
** reactor_frozen_count strong references (NULL where not unpacked), owned
** here for the life of the instance. */
static PyObject **kept;
/* Set only between reactor_frozen_keep_start and _finish. */
static int keeping;

int reactor_frozen_keep_start(void)
{
    kept = calloc(reactor_frozen_count, sizeof *kept);
    keeping = kept != NULL;
    return keeping ? 0 : -1;
}

void reactor_frozen_keep_finish(void)
{
    keeping = 0;
    reactor_frozen_release();
    size_t i = 0;
    while (kept != NULL && i < reactor_frozen_count) {
        uint32_t group = reactor_frozen_chunks[i].group;
        int all_kept = 1;
        for (; i < reactor_frozen_count && reactor_frozen_chunks[i].group == group; i++)
            all_kept &= kept[i] != NULL;
        if (all_kept)
            memset(reactor_frozen_blob + reactor_frozen_groups[group].offset, 0,
                   reactor_frozen_groups[group].packed_size);
    }
}

/* The group last read, decoded as far as it was needed. A package's modules
** are often imported in a row, and each would otherwise decode the group
** again from its start. The stream stays open, so that a module further on
** continues where the last one stopped. Importing email.message, asyncio,
** xml.etree and ten more decodes 2.5 MB instead of 3.1 MB (1.8 MB of their
** modules' own). Released after each call of the contract: nothing is held
** between calls. */
typedef struct group_cursor {
    size_t group;           /* meaningful while buffer != NULL */
    lzma_stream stream;     /* input: the group's stream in the blob */
    unsigned char *buffer;  /* the group's raw bytes, owned */
    size_t decoded;         /* how many of them are there so far */
} group_cursor;

#define CURSOR_INIT {0, LZMA_STREAM_INIT, NULL, 0}

static group_cursor cursor = CURSOR_INIT;
/* Unmarshalling may run the garbage collector, finalizers and so imports:
** an import inside one must not free the buffer being read. It gets a
** cursor of its own instead. */
static int cursor_busy;

static void cursor_close(group_cursor *c)
{
    if (c->buffer == NULL)
        return;
    lzma_end(&c->stream);
    free(c->buffer);
    *c = (group_cursor)CURSOR_INIT;
}

void reactor_frozen_release(void)
{
    if (!cursor_busy)
        cursor_close(&cursor);
}

static lzma_ret cursor_open(group_cursor *c, size_t index)
{
    const reactor_frozen_group *group = &reactor_frozen_groups[index];
    cursor_close(c);
    lzma_options_lzma options;
    memset(&options, 0, sizeof options);
    options.dict_size = reactor_frozen_dict_size;
    const lzma_filter filters[] = {
        {LZMA_FILTER_LZMA2, &options},
        {LZMA_VLI_UNKNOWN, NULL},
    };
    unsigned char *buffer = malloc(group->size > 0 ? group->size : 1);
    if (buffer == NULL)
        return LZMA_MEM_ERROR;
    lzma_ret status = lzma_raw_decoder(&c->stream, filters);
    if (status != LZMA_OK) {
        free(buffer);
        lzma_end(&c->stream);
        c->stream = (lzma_stream)LZMA_STREAM_INIT;
        return status;
    }
    c->stream.next_in = reactor_frozen_blob + group->offset;
    c->stream.avail_in = group->packed_size;
    c->group = index;
    c->buffer = buffer;
    c->decoded = 0;
    return LZMA_OK;
}

/* Makes the first `end` bytes of `group` available in c->buffer. The stream
** ending short of them is an error; going on past them is not. */
static lzma_ret cursor_decode_through(group_cursor *c, size_t group, size_t end)
{
    if (end > reactor_frozen_groups[group].size)
        return LZMA_DATA_ERROR;
    if (c->buffer == NULL || c->group != group) {
        lzma_ret status = cursor_open(c, group);
        if (status != LZMA_OK)
            return status;
    }
    if (c->decoded >= end)
        return LZMA_OK;
    c->stream.next_out = c->buffer + c->decoded;
    c->stream.avail_out = end - c->decoded;
    lzma_ret status;
    do
        status = lzma_code(&c->stream, LZMA_RUN);
    while (status == LZMA_OK && c->stream.avail_out > 0 && c->stream.avail_in > 0);
    c->decoded = end - c->stream.avail_out;
    if (c->decoded == end && (status == LZMA_OK || status == LZMA_STREAM_END))
        return LZMA_OK;
    cursor_close(c);
    return status == LZMA_OK || status == LZMA_STREAM_END ? LZMA_DATA_ERROR : status;
}

static PyObject *decode_chunk(size_t index)
{
    const reactor_frozen_chunk *chunk = &reactor_frozen_chunks[index];
    const char *name = reactor_frozen_modules[index].name;
    if (chunk->group >= reactor_frozen_group_count) {
        PyErr_Format(PyExc_ImportError, "frozen module %s names no group", name);
        return NULL;
    }
    group_cursor own = CURSOR_INIT;
    group_cursor *c = cursor_busy ? &own : &cursor;
    lzma_ret status = cursor_decode_through(c, chunk->group, (size_t)chunk->start + chunk->size);
    PyObject *code = NULL;
    if (status == LZMA_MEM_ERROR) {
        PyErr_NoMemory();
    } else if (status != LZMA_OK) {
        PyErr_Format(PyExc_ImportError, "frozen module %s is corrupt (lzma status %d)", name, (int)status);
    } else {
        int outer = c == &cursor;
        cursor_busy |= outer;
        code = PyMarshal_ReadObjectFromString((const char *)c->buffer + chunk->start, (Py_ssize_t)chunk->size);
        cursor_busy &= !outer;
    }
    cursor_close(&own);
    return code;
}

PyObject *reactor_frozen_unpack(size_t index)
{
    if (index >= reactor_frozen_count) {
        PyErr_SetString(PyExc_ImportError, "frozen module index out of range");
        return NULL;
    }
    if (kept != NULL && kept[index] != NULL)
        return Py_NewRef(kept[index]);
    PyObject *code = decode_chunk(index);
    if (code != NULL && keeping)
        kept[index] = Py_NewRef(code);
    return code;
}
