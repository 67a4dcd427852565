/*
** pyreactor.h -- sandboxed CPython 3.11 as a C library.
**
** libpyreactor runs python-reactor.wasm (ABI version 1, see the project's
** ABI.md), compiled ahead of time to native code through wasm2c, with a WASI
** layer of its own that grants the guest nothing unless the embedder says so.
**
** ---------------------------------------------------------------- model --
** A `pyreactor` is one Python interpreter in its own WebAssembly instance:
** its own memory, its own registered lambdas, defs and modules, its own
** (optional) directory grants. Python state survives between calls.
**
** Every call returns a result code. PYREACTOR_OK and PYREACTOR_ERR both come
** with a result text (pyreactor_result): the JSON value for OK, the error
** object {"type","message","traceback"} for ERR. Every other code comes with
** an error object too, built by the host, so a caller can always show
** pyreactor_result() or pyreactor_errmsg().
**
** ----------------------------------------------------------- ownership --
** - Strings passed in are only read during the call; the caller keeps them.
** - Strings returned by pyreactor_result, pyreactor_errmsg,
**   pyreactor_error_type/_message/_traceback belong to the instance. They
**   stay valid until the next call on the same instance (any function taking
**   that `pyreactor *`, except these getters) or pyreactor_close. Do not free
**   them. Copy them, or take them with pyreactor_take_result.
** - pyreactor_take_result hands the result text over: the caller frees it
**   with pyreactor_free (never with free() of another allocator).
**
** ------------------------------------------------------------- threads --
** - Several instances may live in one process.
** - One instance is used by one thread at a time: the caller serializes.
**   Different instances may run on different threads at the same time.
** - Calling into an instance from inside one of its own sink callbacks is
**   refused with PYREACTOR_MISUSE; calling a different instance is fine.
**
** --------------------------------------------------------------- traps --
** A trap inside the guest (out-of-bounds access, stack exhaustion, an
** `unreachable`, a raw WASI proc_exit, a memory cap hit below Python's own
** MemoryError) never ends the host process. The call returns PYREACTOR_TRAP
** with an error of type "Trap" ("MemoryLimit" when guest memory was at its
** cap); the instance is rebuilt at once and every registration that had
** succeeded is replayed in order, so the caller loses only the call that
** trapped. A call past its time limit (timeout_ms) is treated the same way,
** with PYREACTOR_TIMEOUT and type "Timeout". pyreactor_rebuilds counts the
** rebuilds.
**
** --------------------------------------------------------------- grants --
** Nothing is visible to the guest unless granted in pyreactor_options: no
** host file or directory, no environment variable, no socket, no process.
** Granted directories cannot be escaped (no "..", absolute path or symlink
** leads outside); a read-only grant refuses every write. Only regular files
** and directories can be opened in a grant (a FIFO, device or socket is
** refused), and the guest cannot make a symlink pointing out of its grant.
** See docs/wasi-layer.md.
*/
#ifndef PYREACTOR_H
#define PYREACTOR_H

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

/* ------------------------------------------------------ result codes -- */
#define PYREACTOR_OK       0 /* success; pyreactor_result is the JSON value */
#define PYREACTOR_ERR      1 /* Python-level error; result is the err object */
#define PYREACTOR_TRAP     2 /* the guest trapped; instance rebuilt, replayed */
#define PYREACTOR_NOMEM    3 /* the host (or guest alloc) ran out of memory */
#define PYREACTOR_MISUSE   4 /* bad argument or option, closed or busy instance */
#define PYREACTOR_CANTOPEN 5 /* open failed (grant, module), or a rebuild did */
#define PYREACTOR_ABI      6 /* the guest broke the ABI contract */
#define PYREACTOR_TIMEOUT  7 /* the call ran past timeout_ms; rebuilt, replayed */

/* A short English description of a result code; static, never NULL. */
const char *pyreactor_errstr(int code);

/* ---------------------------------------------------------- options -- */
typedef struct pyreactor pyreactor;

/* Receives what the guest writes to stdout or stderr. Called during a call,
** on the calling thread, on the instance's own stack (at least 256 KiB of it
** left); `data` is only valid during the callback. It must not longjmp out
** and must not call into the same instance (PYREACTOR_MISUSE). */
typedef void (*pyreactor_sink)(void *user, const char *data, size_t len);

/* One directory grant. */
typedef struct pyreactor_dir {
  const char *host_path;  /* directory on the host; must exist */
  const char *guest_path; /* where the guest sees it; NULL = host_path */
  int read_only;          /* non-zero: every write is refused (EROFS) */
} pyreactor_dir;

/* Zero-initialize (or call pyreactor_options_init), then set what you need.
** Everything left zero means "grant nothing" / "use the default". */
typedef struct pyreactor_options {
  const pyreactor_dir *dirs; /* directory grants, n_dirs of them */
  size_t n_dirs;
  const char *const *env;    /* "NAME=VALUE" strings, n_env of them */
  size_t n_env;
  pyreactor_sink stdout_sink; /* NULL: guest stdout is discarded */
  pyreactor_sink stderr_sink; /* NULL: guest stderr is discarded */
  void *sink_user;            /* passed to both sinks */
  const char *stdin_data;     /* what the guest reads on stdin (copied); */
  size_t stdin_len;           /*   NULL/0: stdin is empty */
  size_t stack_size;          /* native stack for guest code; 0 = 64 MiB */
  size_t memory_limit;        /* cap on guest memory in bytes; 0 = 4 GiB; below
                              ** the module's own (~17 MiB): PYREACTOR_MISUSE */
  unsigned timeout_ms;        /* per-call time limit; 0 = none */
} pyreactor_options;

void pyreactor_options_init(pyreactor_options *opts);

/* --------------------------------------------------------- lifetime -- */

/* Creates an instance (Python itself starts on the first call or on
** pyreactor_init). `opts` may be NULL; it is copied, the caller keeps it.
** Like sqlite3_open: *out receives a handle even on failure (except
** PYREACTOR_NOMEM, where it may be NULL) so pyreactor_errmsg can say why;
** the caller must pyreactor_close it in every case. PYREACTOR_MISUSE: an
** option is wrong (a grant without a host path, a malformed env entry, a
** memory_limit below the module's own memory: "memory_limit 5 MiB is below
** the 17 MiB the module needs"); PYREACTOR_CANTOPEN: the host could not
** provide what was asked (a granted directory that cannot be opened). */
int pyreactor_open(const pyreactor_options *opts, pyreactor **out);

/* Changes the per-call time limit (0 = none) for later calls. A call that
** runs out of time ends with PYREACTOR_TIMEOUT (error type "Timeout") and
** the instance is rebuilt and replayed as after a trap. Timeouts use signal
** SIGRTMIN+4, sent to the calling thread only, and only while a call with a
** limit runs. */
int pyreactor_set_timeout(pyreactor *p, unsigned timeout_ms);

/* Discards the instance's guest and everything registered in it, and gives
** it a pristine guest, as pyreactor_open would (same options, same grants,
** counters kept). Costs what an open costs: the guest's memory is mapped
** copy-on-write from an image shared by every instance of the process, not
** copied. PYREACTOR_OK, PYREACTOR_CANTOPEN if the new guest could not be
** made (the instance is then unusable until a reset succeeds), or
** PYREACTOR_MISUSE from inside a sink of the same instance. */
int pyreactor_reset(pyreactor *p);

/* Frees the instance and everything it owns. NULL is a no-op. Returns
** PYREACTOR_MISUSE (and does nothing) when called from inside a sink of the
** same instance. */
int pyreactor_close(pyreactor *p);

/* ------------------------------------------------- the nine calls -- */
/* Names, code and args are UTF-8, NUL-terminated here; see pyreactor_call
** for explicit lengths. args_json NULL means "[]". A JSON array is passed as
** positional arguments, an object as keyword arguments. */
int pyreactor_init(pyreactor *p);
int pyreactor_register_lambda(pyreactor *p, const char *name, const char *code);
int pyreactor_unregister_lambda(pyreactor *p, const char *name);
int pyreactor_apply_lambda(pyreactor *p, const char *name, const char *args_json);
int pyreactor_register_def(pyreactor *p, const char *name, const char *code);
int pyreactor_unregister_def(pyreactor *p, const char *name);
int pyreactor_apply_def(pyreactor *p, const char *name, const char *args_json);
int pyreactor_register_module(pyreactor *p, const char *name, const char *code);
int pyreactor_unregister_module(pyreactor *p, const char *name);

/* The raw JSON-in/JSON-out form: any op with explicit lengths (bytes may
** include NUL or invalid UTF-8; the guest answers with an err). `text` is the
** code for register_* and run, the args JSON for apply_* (NULL = "[]"),
** ignored otherwise. `name` is ignored for PYREACTOR_OP_INIT and
** PYREACTOR_OP_RUN (a code cell: statements run in the instance's
** __main__, the value of the last one if it is an expression; ABI.md,
** "Cells"; not replayed after a trap). */
typedef enum pyreactor_op {
  PYREACTOR_OP_INIT,
  PYREACTOR_OP_REGISTER_LAMBDA,
  PYREACTOR_OP_UNREGISTER_LAMBDA,
  PYREACTOR_OP_APPLY_LAMBDA,
  PYREACTOR_OP_REGISTER_DEF,
  PYREACTOR_OP_UNREGISTER_DEF,
  PYREACTOR_OP_APPLY_DEF,
  PYREACTOR_OP_REGISTER_MODULE,
  PYREACTOR_OP_UNREGISTER_MODULE,
  PYREACTOR_OP_RUN
} pyreactor_op;

int pyreactor_call(pyreactor *p, pyreactor_op op, const char *name, size_t name_len,
                   const char *text, size_t text_len);

/* The op for a protocol name ("apply_def", ...); -1 if unknown. */
int pyreactor_op_from_name(const char *name, size_t len);
/* The protocol name of an op; NULL if out of range. */
const char *pyreactor_op_name(pyreactor_op op);

/* ---------------------------------------------------------- results -- */
/* The result text of the last call: for OK the JSON value exactly as the
** guest produced it (big integers intact), for every other code the JSON
** error object. NUL-terminated; *len (if len != NULL) gets its length.
** Owned by the instance (see "ownership"). Never NULL: "" before any call. */
const char *pyreactor_result(pyreactor *p, size_t *len);

/* Hands the result text of the last call over to the caller, who frees it
** with pyreactor_free. Afterwards pyreactor_result returns "". */
char *pyreactor_take_result(pyreactor *p, size_t *len);
void pyreactor_free(void *ptr);

/* The code of the last call. */
int pyreactor_last_code(pyreactor *p);

/* For a non-OK last call: "Type: message" in one string (owned by the
** instance). For OK: "not an error". Never NULL. */
const char *pyreactor_errmsg(pyreactor *p);

/* Fields of the last call's error object, decoded from JSON (owned by the
** instance). NULL when the last call succeeded or the field is absent. The
** type is the Python exception class name ("ZeroDivisionError"), one of the
** ABI's kinds ("NotRegistered", ...), or a host kind: "Trap", "MemoryError",
** "Misuse", "InvalidResult". */
const char *pyreactor_error_type(pyreactor *p);
const char *pyreactor_error_message(pyreactor *p);
const char *pyreactor_error_traceback(pyreactor *p);

/* How many times this instance was rebuilt after a trap, and how many
** replayed registrations failed during those rebuilds (normally 0). */
unsigned long pyreactor_rebuilds(const pyreactor *p);
unsigned long pyreactor_replay_failures(const pyreactor *p);

/* The ABI version of the guest (2). */
int pyreactor_abi_version(void);

#ifdef __cplusplus
}
#endif

#endif /* PYREACTOR_H */
