/*
** The guest's internal interfaces. The exports themselves are the contract
** of ../shared/spec/ABI.md and live in reactor_exports.c; nothing here is
** visible to a host.
*/
#ifndef REACTOR_H
#define REACTOR_H

#include <stddef.h>
#include <stdint.h>

/* A result record, laid out exactly as ABI.md says (12 bytes, LE). The
** text is stored right after the record in the same allocation, so one
** free() in result_free releases both. */
typedef struct reactor_record {
    uint32_t tag;       /* REACTOR_OK or REACTOR_ERR */
    uint32_t text_ptr;  /* address of the UTF-8 JSON text */
    uint32_t text_len;
} reactor_record;

enum { REACTOR_OK = 0, REACTOR_ERR = 1 };

/* reactor_record.c: records own their text; NULL only when out of memory. */
reactor_record *reactor_record_new(uint32_t tag, const char *text, size_t len);
/* An err record {"type": kind, "message": message}, escaped in C so that it
** works even when Python cannot run. Never NULL: falls back to a static
** record when memory is exhausted. */
reactor_record *reactor_record_error(const char *kind, const char *message);
void reactor_record_free(reactor_record *record);

/* reactor_python.c: the interpreter's life. */
/* Starts Python once; later calls return the first outcome. On failure
** *message says why (static storage). Returns 0 on success. In an instance
** made from the snapshot, Python has started already: the exports then
** call reactor_snapshot_restore too. */
int reactor_python_start(const char **message);
/* Makes the str hash seed `seed` instead of random; before the start only.
** The snapshot uses it so that its build is reproducible. */
void reactor_python_fix_hash_seed(unsigned long seed);
/* Flushes sys.stdout and sys.stderr; errors are swallowed (a user who
** closed stdout must not turn every result into an error). */
void reactor_python_flush(void);

/* reactor_snapshot.c: after a Wizer snapshot, the first call of each
** instance refreshes what the snapshot froze (preopens, environment,
** entropy). Does nothing in an instance that did not start from one, or
** that did so already. Returns 0 on success; a failure is for good (every
** later call returns it again), with *message saying why. */
int reactor_snapshot_restore(const char **message);
/* Makes the next call refresh again, as the first call of an instance made
** from the snapshot does, and stops the heap scrub: the last step of a
** pack's snapshot (docs/packages.md). */
void reactor_snapshot_rearm(void);

/* reactor_heap_scrub.c: while on, freed heap blocks are zeroed, so that
** the snapshot does not carry dead bytes; wizer.initialize only. */
void reactor_heap_scrub(int on);

/* reactor_process_clock.c: clock() counts from the first reading after
** this; the snapshot calls it so that each instance counts from its own. */
void reactor_process_clock_reset(void);

/* reactor_calls.c: one function per operation of the contract. Each checks
** its byte inputs, calls into the Python half and returns a new record. */
typedef enum reactor_op {
    REACTOR_REGISTER_LAMBDA,
    REACTOR_REGISTER_DEF,
    REACTOR_REGISTER_MODULE,
    REACTOR_UNREGISTER_LAMBDA,
    REACTOR_UNREGISTER_DEF,
    REACTOR_UNREGISTER_MODULE,
    REACTOR_APPLY_LAMBDA,
    REACTOR_APPLY_DEF,
    REACTOR_RUN,
    REACTOR_REGISTER_PACKAGE,
    REACTOR_OP_COUNT
} reactor_op;

/* `payload` is the code for register_* and run (for register_package the
** JSON object of its files), the args for apply_*,
** unused for unregister_*; the name is unused for run. The byte ranges are
** the host's; they are read, not kept. Python must have started. */
reactor_record *reactor_call(reactor_op op, uint32_t name_ptr, uint32_t name_len,
                             uint32_t payload_ptr, uint32_t payload_len);

/* reactor_host_call.c: the import host.call and the module _reactor_host. */
/* True while host.call runs: every export but alloc and dealloc must then
** answer err Busy and change nothing (ABI.md, "Host functions"). */
int reactor_host_busy(void);
/* The init function of the built-in module _reactor_host, for the inittab. */
typedef struct _object PyObject;
PyObject *reactor_host_module_init(void);
/* True when `await obj` would take obj: its type has the await slot
** (coroutines, Futures, Tasks, classes with __await__). */
int reactor_is_awaitable(PyObject *obj);

/* A host range [ptr, ptr + len) lies inside linear memory: anything
** outside would trap on the first read, so it is refused instead. */
static inline int reactor_in_memory(uint32_t ptr, uint32_t len)
{
    uint64_t end = (uint64_t)ptr + len;
    return end <= (uint64_t)__builtin_wasm_memory_size(0) * 65536u;
}

/* reactor_apply.c: the warm path of apply_*, used by reactor_call. */
/* Takes what it needs from the `_reactor` module, once: 0, or -1 with an
** exception set. */
int reactor_apply_load(PyObject *module);
/* The record of apply_* (op) of `name` with `args_text` (both borrowed),
** when the call can take the warm path; NULL, with nothing run and no
** exception set, when _reactor._apply must do it. */
reactor_record *reactor_apply_fast(reactor_op op, PyObject *name, PyObject *args_text);

#endif
