/*
** pyreactor.h -- sandboxed CPython 3.11 as a C library.
**
** libpyreactor runs python-reactor.wasm (ABI version 2, see the project's
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
** - pyreactor_output's text (capture on) belongs to the instance the same
**   way, until the next call.
**
** ------------------------------------------------------------- threads --
** - Several instances may live in one process.
** - One instance is used by one thread at a time: the caller serializes.
**   Different instances may run on different threads at the same time.
** - A caller that does not serialize gets an error, never a crash: every
**   function that changes an instance (the calls, pyreactor_reset,
**   _close, _set_timeout, _set_capture) takes it atomically, and one that
**   finds it taken by another thread returns PYREACTOR_MISUSE at once and
**   changes nothing in it, not even its last result (that belongs to the
**   call that holds the instance, so the loser has no error object: think
**   of it as type "Busy"). The getters (pyreactor_result, ...) are not
**   guarded: read them on the thread that made the call, before another.
** - Calling into an instance from inside one of its own sink callbacks or
**   host functions is refused with PYREACTOR_MISUSE (an error of type
**   "Misuse" from a sink, "Busy" from a host function); calling a
**   different instance is fine. Callbacks run on the thread that made the
**   call.
**
** --------------------------------------------------------------- output --
** What the guest writes to its stdout and stderr goes, per stream, to the
** sink given in pyreactor_options, or with no sink (NULL, the default) to
** the host process's stderr (fd 2), never to its stdout: the same default
** as every host of the project. pyreactor_sink_discard drops it. With
** capture on (pyreactor_set_capture, or capture_output), each call keeps
** what it wrote instead, for pyreactor_output after it: no need to
** serialize calls across instances to tell whose output is whose.
**
** ------------------------------------------------- process-wide effects --
** - Signal handlers, installed once per process on first use and kept:
**   SIGSEGV and SIGBUS (SA_SIGINFO | SA_ONSTACK) turn faults inside an
**   instance's guest memory or stack guard into traps and chain every
**   other fault to the handler found at installation (or the default
**   action): an embedder installing its own later must chain to ours.
**   SIGRTMIN+4 (SA_SIGINFO | SA_ONSTACK, no SA_RESTART), on the first call
**   with a time limit, for the call's timer; the same signal from any
**   other sender goes on to the SA_SIGINFO handler found at installation.
** - Signal masks: the three signals above must reach the calling thread
**   while guest code runs (a blocked SIGSEGV ends the process instead of
**   trapping; a blocked timer signal never ends a runaway call). A call
**   unblocks them on the calling thread and restores the thread's mask
**   before returning, so any thread may call, including one that blocks
**   every signal; sinks and host functions run with them unblocked. Reading
**   a mask is a system call, as costly as a whole warm call on some
**   machines, so the library reads it on a thread's first call and on
**   every call with a time limit, and does so on every call of a thread
**   once found blocking one of the three. Not seen: a thread that blocks
**   SIGSEGV or SIGBUS only after its first call and then calls without a
**   time limit; block signals before a thread's first call (as servers
**   do when they start a worker), or make one call with a limit after.
** - Signal stacks: a thread that has no sigaltstack gets one on its first
**   call (64 KiB, or 4 x SIGSTKSZ if larger), freed when the thread ends;
**   a thread that has one keeps its own.
** - Address space per instance: 8 GiB reserved (PROT_NONE, no memory
**   committed) around guest memory, so out-of-bounds accesses fault, plus
**   the native stack for guest code (stack_size, 64 MiB by default, + a
**   1 MiB guard), committed only as used.
** - One sealed memfd per process holds the guest's initial memory, mapped
**   copy-on-write by every instance.
** - A POSIX timer per call with a time limit, deleted when it returns.
** - The host's fd 2 is written to (never read or closed) for guest output
**   without a sink and for replay warnings; SIGPIPE is blocked around
**   those writes, so a closed stderr pipe costs the text, not the process.
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
** The replay is bounded, so that a trapping call answers in time even when
** registrations now misbehave (a module body that loops only after some
** date). With a time limit, each registration is replayed with three times
** the time it took when it was made plus 100 ms, or with the call's limit when
** that is more and the replay budget lasts: twice the call's limit, spent
** only by replays that fail. One that runs out of time before its thread
** could run twice the CPU time it took when made (+ 10 ms: a loaded
** machine, or a wait) is tried once more with four times as long (its own
** time or the limit). A registration that fails, traps or runs out
** of time on replay is dropped (later calls to its name:
** "NotRegistered"), counted by pyreactor_replay_failures, and reported by
** one line on the stderr sink (fd 2 by default, even with capture on):
** "pyreactor: replaying OP NAME after a trap trapped (ERROR); dropped" or
** "... failed: ERROR; dropped". A trapping call thus returns within about
** its own time + 2 x the limit + (3 x their first time + 100 ms) for each
** further registration that fails + the rebuilds. Without a limit,
** replays have none.
**
** --------------------------------------------------------------- grants --
** Nothing is visible to the guest unless granted in pyreactor_options: no
** host file or directory, no environment variable, no socket, no process.
** Host functions are the embedder's own choice too (see "host functions").
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

/* libpyreactor exports the functions declared here and nothing else: it is
** built with -fvisibility=hidden and PYREACTOR_BUILD defined, and this
** makes the declarations between push and pop visible (docs/native-api.md,
** "Linking"). */
#if defined(PYREACTOR_BUILD) && defined(__GNUC__)
#pragma GCC visibility push(default)
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

/* Receives what the guest writes to stdout or stderr (not while capture is
** on: see pyreactor_set_capture). Called during a call,
** on the calling thread, on the instance's own stack (at least 256 KiB of it
** left); `data` is only valid during the callback. It must not longjmp out
** and must not call into the same instance (PYREACTOR_MISUSE). */
typedef void (*pyreactor_sink)(void *user, const char *data, size_t len);

/* A function of the host that Python code may call; see "host functions"
** below for the callback's rules. */
typedef struct pyreactor_call_ctx pyreactor_call_ctx;
typedef int (*pyreactor_host_fn)(pyreactor_call_ctx *call, const char *name,
                                 const char *args_json, size_t args_len, void *user);

typedef struct pyreactor_host_function {
  const char *name;     /* UTF-8, not empty, unique; copied by pyreactor_open.
                        ** NULL: a dispatcher, called for every name that no
                        ** other entry has (at most one such entry) */
  pyreactor_host_fn fn; /* not NULL */
  void *user;           /* passed to fn as it is; not copied: what it points
                        ** to must outlive the instance */
} pyreactor_host_function;

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
  pyreactor_sink stdout_sink; /* NULL: to the host's fd 2 (its stderr); */
  pyreactor_sink stderr_sink; /*   pyreactor_sink_discard: dropped */
  void *sink_user;            /* passed to both sinks */
  const char *stdin_data;     /* what the guest reads on stdin (copied); */
  size_t stdin_len;           /*   NULL/0: stdin is empty */
  size_t stack_size;          /* native stack for guest code; 0 = 64 MiB */
  size_t memory_limit;        /* cap on guest memory in bytes; 0 = 4 GiB; below
                              ** the module's own (~17 MiB): PYREACTOR_MISUSE */
  unsigned timeout_ms;        /* per-call time limit, host functions' time
                              ** included; 0 = none */
  const pyreactor_host_function *host_functions; /* n_host_functions of */
  size_t n_host_functions;    /* them; none: every name is NoSuchHostFunction */
  int capture_output;         /* non-zero: capture on from the first call
                              ** (see pyreactor_set_capture) */
  size_t capture_limit;       /* what one call keeps per stream, in bytes;
                              ** 0 = 16 MiB; the rest is dropped */
  const char *module_path;    /* a module made by `pyreactor pack` (users'
                              ** packages frozen in, docs/packages.md) to run
                              ** instead of the compiled one; NULL: the
                              ** compiled one. Its code must be the compiled
                              ** one's: it is checked, and only its memory
                              ** image and globals are used, without
                              ** recompiling; any other module is refused
                              ** with PYREACTOR_CANTOPEN (type "HostError",
                              ** the message naming the file) */
} pyreactor_options;

void pyreactor_options_init(pyreactor_options *opts);

/* A sink that drops everything: set it as stdout_sink and/or stderr_sink
** to discard that stream (NULL sends it to the host's fd 2). */
void pyreactor_sink_discard(void *user, const char *data, size_t len);

/* --------------------------------------------------------- lifetime -- */

/* Creates an instance (Python itself starts on the first call or on
** pyreactor_init). `opts` may be NULL; it is copied, the caller keeps it.
** Like sqlite3_open: *out receives a handle even on failure (except
** PYREACTOR_NOMEM, where it may be NULL) so pyreactor_errmsg can say why;
** the caller must pyreactor_close it in every case. PYREACTOR_MISUSE: an
** option is wrong (a grant without a host path, a malformed env entry, a
** memory_limit below the module's own memory: "memory_limit 5 MiB is below
** the 17 MiB the module needs", a host function without fn, with an empty
** or repeated name, or two dispatchers); PYREACTOR_CANTOPEN: the host could not
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
  PYREACTOR_OP_RUN,
  PYREACTOR_OP_REGISTER_PACKAGE /* an extension of ABI 2 (docs/packages.md):
                                ** `text` is the JSON object {path: text} of
                                ** the package's files; unregister_module
                                ** removes it */
} pyreactor_op;

int pyreactor_call(pyreactor *p, pyreactor_op op, const char *name, size_t name_len,
                   const char *text, size_t text_len);

/* The op for a protocol name ("apply_def", ...); -1 if unknown. */
int pyreactor_op_from_name(const char *name, size_t len);
/* The protocol name of an op; NULL if out of range. */
const char *pyreactor_op_name(pyreactor_op op);

/* --------------------------------------------------- host functions -- */
/* Python code in the guest calls functions of its host (ABI.md, "Host
** functions"):
**
**     import reactor
**     reactor.call_host("lookup", "fr")    # args: the JSON array ["fr"]
**     reactor.host.lookup(code="fr")       # args: the JSON object {"code":"fr"}
**
** The embedder exposes them by name in pyreactor_options.host_functions.
** A call of a name nobody exposes gets the error reply NoSuchHostFunction,
** and one whose args are not a UTF-8 JSON array or object (guest code can
** send anything) gets InvalidArgs; no callback runs for either.
**
** The callback. `name` is the name called (NUL-terminated UTF-8; the
** entry's own copy, or for a dispatcher a copy of the guest's). `args_json`
** is the call's arguments exactly as the guest sent them, checked: args_len
** bytes of UTF-8 JSON, an array (positional) or an object (keyword
** arguments), NUL-terminated, numbers as the guest wrote them (big integers
** intact). Both belong to the instance and are valid only until the
** callback returns: copy what you keep. `user` is the entry's.
**
** It answers with exactly one reply, pyreactor_reply_ok or
** pyreactor_reply_error, and returns PYREACTOR_OK. No reply: the guest gets
** HostError "the host function gave no reply". Returning another code
** without an error reply (none, or an ok one) makes the reply HostError
** "the host function failed: <pyreactor_errstr(code)>".
**
** Where it runs: on the thread that made the API call (pyreactor_apply_def,
** ...), during that call, on the instance's own stack (at least 256 KiB of
** it left), while the guest's Python code waits. It may block, take locks,
** and call other instances. It must not:
**  - call into the same instance: a call (pyreactor_apply_def, ...) returns
**    PYREACTOR_MISUSE with an error of type "Busy" (what the guest itself
**    answers while host.call runs); pyreactor_reset, pyreactor_close and
**    pyreactor_set_timeout return PYREACTOR_MISUSE and do nothing;
**  - longjmp out, or let a C++ exception cross it;
**  - use `call`, `name` or `args_json` after it returned. (Another thread
**    may reply for it while it waits for that thread;
**    pyreactor_call_ms_left answers only on the callback's own thread.)
**
** Time: timeout_ms covers the whole call, host functions included. A
** callback cannot be interrupted: if the limit passes while it runs, the
** call ends with PYREACTOR_TIMEOUT as soon as it returns (its reply is
** dropped; the instance is rebuilt and replayed as after a trap). The
** timer's signal (SIGRTMIN+4) reaches the calling thread at the limit, so a
** blocking system call in the callback may fail with EINTR then; a
** callback that waits should bound its waits by pyreactor_call_ms_left.
**
** Replay: after a trap or a timeout the registrations are replayed, so a
** module body that calls a host function calls it again then. */

/* Replies with a value: json[0..len) must be one JSON value in UTF-8
** (whitespace around it is dropped). The text is copied; the caller keeps
** json. PYREACTOR_OK when taken. PYREACTOR_MISUSE, changing nothing, when
** `call` is NULL, already has a reply, or its callback has returned.
** PYREACTOR_MISUSE also when the text is not UTF-8 JSON (or json is NULL,
** or longer than 2 GiB): that still counts as the call's one reply, which
** becomes HostError "the host function's reply is not valid JSON".
** PYREACTOR_NOMEM: no memory for the copy; the reply becomes MemoryError. */
int pyreactor_reply_ok(pyreactor_call_ctx *call, const char *json, size_t len);

/* Replies with an error: in the guest, reactor.HostError with this type
** and message (one not caught reaches the caller of apply as an err of
** that type). type NULL or "": "HostError"; message NULL: "". Both are
** NUL-terminated UTF-8 (invalid bytes become U+FFFD), copied. Codes as for
** pyreactor_reply_ok. */
int pyreactor_reply_error(pyreactor_call_ctx *call, const char *type, const char *message);

/* Milliseconds left before the call's time limit passes, rounded up: -1 if
** the call has no limit (or `call` is NULL or finished), 0 once it passed. */
long pyreactor_call_ms_left(const pyreactor_call_ctx *call);

/* ----------------------------------------------------- per-call output -- */
/* Capture: on (non-zero), from the next call on, what the guest writes to
** stdout and stderr during each call is kept for that call instead of
** going to the sinks (or fd 2); 0: back to the sinks. The initial state is
** pyreactor_options.capture_output. PYREACTOR_OK, or PYREACTOR_MISUSE
** (nothing changed) for NULL, from inside a sink or host function of the
** same instance, or while another thread's call holds it. Output of
** registrations replayed after a trap is not the call's: it goes to the
** sinks (or fd 2) whatever the capture. */
int pyreactor_set_capture(pyreactor *p, int on);

/* What the last call wrote to stream 1 (stdout) or 2 (stderr) while
** capture was on: NUL-terminated (the guest may write NULs too: *len, if
** len != NULL, gets the whole length), at most capture_limit bytes. Owned
** by the instance like pyreactor_result: valid until the next call on it
** (any function taking it but the getters) or pyreactor_close. "" when the
** call wrote nothing there or capture was off; still there after a call
** that trapped or timed out (up to the trap). NULL (and *len 0) for
** another stream value or a NULL instance. */
const char *pyreactor_output(pyreactor *p, int stream, size_t *len);

/* 1 if the last call wrote more than capture_limit bytes to that stream
** (or more than the host could allocate), so that the rest was dropped;
** 0 otherwise, also for another stream value. */
int pyreactor_output_truncated(pyreactor *p, int stream);

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
** type is one of the kinds below, a Python exception class name
** ("ZeroDivisionError"), or the type a host function replied with. */
const char *pyreactor_error_type(pyreactor *p);
const char *pyreactor_error_message(pyreactor *p);
const char *pyreactor_error_traceback(pyreactor *p);

/* How many times this instance was rebuilt after a trap, and how many
** replayed registrations failed during those rebuilds (normally 0). */
unsigned long pyreactor_rebuilds(const pyreactor *p);
unsigned long pyreactor_replay_failures(const pyreactor *p);

/* The ABI version of the guest (2). */
int pyreactor_abi_version(void);

/* ------------------------------------------------------ error kinds -- */
/* Every error `type` this library or its guest gives of its own (ABI.md,
** "Error kinds"), with the result code it comes with. Besides these, a
** type is a Python exception class name (from PYREACTOR_ERR) or a type a
** host function replied with. */
/* The guest's kinds (PYREACTOR_ERR): */
#define PYREACTOR_TYPE_NOT_REGISTERED "NotRegistered" /* no lambda/def/module of that name */
#define PYREACTOR_TYPE_INVALID_NAME "InvalidName"     /* empty, not UTF-8, or with a NUL */
#define PYREACTOR_TYPE_INVALID_ARGS "InvalidArgs"     /* not a UTF-8 JSON array or object;
                                                      ** also a host function's args */
#define PYREACTOR_TYPE_INVALID_INPUT "InvalidInput"   /* code that is not UTF-8 */
#define PYREACTOR_TYPE_NOT_CALLABLE "NotCallable"     /* a lambda or def that is not callable */
#define PYREACTOR_TYPE_ENCODE_ERROR "EncodeError"     /* a value JSON cannot carry */
#define PYREACTOR_TYPE_BUSY "Busy"                    /* re-entry from a host function
                                                      ** (PYREACTOR_MISUSE) */
#define PYREACTOR_TYPE_INIT_ERROR "InitError"         /* Python could not start */
#define PYREACTOR_TYPE_INTERNAL_ERROR "InternalError" /* a guest bug; the instance works */
/* The host's kinds: */
#define PYREACTOR_TYPE_TRAP "Trap"                    /* PYREACTOR_TRAP; PYREACTOR_CANTOPEN
                                                      ** when a guest could not be made */
#define PYREACTOR_TYPE_TIMEOUT "Timeout"              /* PYREACTOR_TIMEOUT; also a host
                                                      ** function's reply past the limit */
#define PYREACTOR_TYPE_MEMORY_LIMIT "MemoryLimit"     /* PYREACTOR_TRAP at the memory cap */
#define PYREACTOR_TYPE_HOST_ERROR "HostError"         /* a host function failed; or
                                                      ** PYREACTOR_CANTOPEN (a grant) */
#define PYREACTOR_TYPE_NO_SUCH_HOST_FUNCTION "NoSuchHostFunction"
#define PYREACTOR_TYPE_INVALID_REQUEST "InvalidRequest" /* batch: a line that is no request */
#define PYREACTOR_TYPE_INVALID_RESULT "InvalidResult" /* PYREACTOR_ABI */
#define PYREACTOR_TYPE_MISUSE "Misuse"                /* PYREACTOR_MISUSE */
/* Python's own, which the host gives too, for PYREACTOR_NOMEM: */
#define PYREACTOR_TYPE_MEMORY_ERROR "MemoryError"

/* ---------------------------------------------------------- version -- */
#define PYREACTOR_VERSION "0.1.0"
#define PYREACTOR_VERSION_NUMBER 1000 /* major * 1000000 + minor * 1000 + patch */
/* PYREACTOR_VERSION of the library linked in (the header may differ). */
const char *pyreactor_libversion(void);

#if defined(PYREACTOR_BUILD) && defined(__GNUC__)
#pragma GCC visibility pop
#endif

#ifdef __cplusplus
}
#endif

#endif /* PYREACTOR_H */
