/*
** pyreactor_internal.h -- the instance behind the opaque `pyreactor *`.
*/
#ifndef PYREACTOR_INTERNAL_H
#define PYREACTOR_INTERNAL_H

#include "pyreactor.h"

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "guest_call.h"
#include "pyreactor_module.h"
#include "python_reactor.h"
#include "wasi.h"

/* State of host.callback for the apply in flight (the import's instance
** type is named by the generated code). */
struct Z_host_instance_t {
  uint32_t expect_id; /* id passed to the apply in flight */
  uint32_t calls;     /* callbacks seen during it */
  uint32_t record;    /* the record the last callback delivered */
  bool id_mismatch;   /* a callback came with another id */
};

/* One successful register_* / unregister_*, kept for replay after a trap.
** Replayed in order and never compacted: a def may hold on to a module
** version that a later register_module replaced. */
typedef struct reg_entry {
  pyreactor_op op;
  char *name;
  size_t name_len;
  char *code; /* NULL for unregister_* */
  size_t code_len;
  uint64_t ns;     /* what it took when it was made: bounds its replay, */
  uint64_t cpu_ns; /*   and the CPU time of its thread then */
  bool retried;    /* in the replay in progress (pyreactor_rebuild.c) */
} reg_entry;

/* One exposed host function (pyreactor_options.host_functions, copied). */
typedef struct host_fn_entry {
  char *name; /* NUL-terminated; NULL for the dispatcher */
  size_t name_len;
  pyreactor_host_fn fn;
  void *user;
} host_fn_entry;

/* The host.call in progress: the `pyreactor_call_ctx *` its callback gets.
** It lives in the instance, not on a stack, so that a trap or a timeout
** that jumps out of host.call leaks nothing (the buffers wait for the next
** call or pyreactor_close), and a reply helper called after the callback
** returned finds `active` false instead of a dead frame. */
struct pyreactor_call_ctx {
  pyreactor *p;
  bool active;      /* the callback runs: one reply may be given */
  int reply_status; /* -1 no reply yet, else host.call's 0 (value) or 1 (error) */
  char *reply;      /* the reply's JSON text (malloc'ed); NULL: out of memory */
  size_t reply_len;
  char *args; /* NUL-terminated copy of the guest's args (and name) */
  size_t args_cap;
};

/* What one call wrote to one stream, with capture on. */
typedef struct pyr_capture {
  char *data; /* NUL-terminated when len > 0 */
  size_t len, cap;
  bool truncated;
} pyr_capture;

struct pyreactor {
  Z_python_reactor_instance_t guest; /* generated layout; zeroed when not live */
  struct Z_host_instance_t host;
  wasi_ctx wasi;
  guest_stack stack;
  guest_env env;
  bool live; /* instantiated, _initialize done */
  _Atomic uintptr_t owner; /* 0, or the token of the thread in a call
                           ** (pyreactor_guard.c) */
  bool in_host_fn; /* inside a host function: re-entry is refused as Busy */

  /* What every (re)built guest gets, copied from pyreactor_options. */
  wasi_grant *grants;
  size_t n_grants;
  char *env_block;
  char *stdin_data;
  wasi_config wcfg;
  uint32_t memory_limit_mib; /* for the guest's own set_memory_limit; 0: none */
  pyr_module *module;        /* options.module_path's, or NULL: the compiled one */
  wasm_hot_pages *hot;       /* the live guest's image's (wasm_hot_pages.h), or NULL */
  size_t memory_limit;       /* bytes, 0: none */

  /* Host functions, sorted by name for lookup; the dispatcher apart. */
  host_fn_entry *fns;
  size_t n_fns;
  host_fn_entry dispatcher; /* fn NULL: none */
  struct pyreactor_call_ctx hc;

  reg_entry *log;
  size_t n_log, cap_log;

  /* Guest output (pyreactor_output.c): the embedder's sinks (NULL: fd 2),
  ** and what the current or last call wrote, per stream, with capture on. */
  pyreactor_sink stdout_sink, stderr_sink;
  void *sink_user;
  bool capture;    /* pyreactor_set_capture's state */
  bool capturing;  /* the call in progress keeps its output */
  size_t capture_limit;
  pyr_capture captured[2]; /* stdout, stderr */

  /* The last call's outcome; text is NUL-terminated, owned here. */
  int code;
  char *text;
  size_t text_len;
  bool err_parsed;
  char *err_type, *err_message, *err_traceback, *errmsg;

  uint32_t next_id;
  unsigned long rebuilds, replay_failures;
};

/* pyreactor_guard.c: takes p for one call (PYREACTOR_OK) or refuses
** (PYREACTOR_MISUSE). Refused re-entry from p's own sink or host function
** sets p's result when `report`; another thread's call is never touched. */
int pyr_enter(pyreactor *p, bool report);
void pyr_leave(pyreactor *p);

/* pyreactor_output.c */
void pyr_output_config(pyreactor *p, const pyreactor_options *o);
void pyr_output_clear(pyreactor *p); /* at the start of every call */
void pyr_output_free(pyreactor *p);
/* A line of the host's own (replay warnings) on the stderr sink or fd 2. */
void pyr_warn(pyreactor *p, const char *text);

/* pyreactor_instance.c */
/* pyreactor_open, with the WASI layer's clocks and random bytes a fixed
** sequence when `deterministic` (what `pyreactor pack` runs its snapshot
** in, docs/packages.md). */
int pyr_open(const pyreactor_options *opts, bool deterministic, pyreactor **out);
uint64_t pyr_now_ns(void);        /* CLOCK_MONOTONIC */
uint64_t pyr_thread_cpu_ns(void); /* CLOCK_THREAD_CPUTIME_ID */
int pyr_create_guest(pyreactor *p);
void pyr_destroy_guest(pyreactor *p);
/* Discards the guest, if any, and its stack's pages, for a fresh one
** (pyr_create_guest's result): what a rebuild and a reset start with. */
int pyr_renew_guest(pyreactor *p);

/* pyreactor_log.c: the registration log (reg_entry), replayed by
** pyreactor_rebuild.c. */
int pyr_log_append(pyreactor *p, pyreactor_op op, const char *name, size_t name_len,
                   const char *code, size_t code_len);
void pyr_log_free(pyreactor *p);

/* host_call.c: pyreactor_options.host_functions copied into p (sorted,
** checked: PYREACTOR_MISUSE with the error set for a bad entry), and freed
** with the buffers of the host-call context. */
int pyr_host_functions_copy(pyreactor *p, const pyreactor_options *o);
void pyr_host_functions_free(pyreactor *p);

/* pyreactor_result.c */
void pyr_result_clear(pyreactor *p);
/* Sets the last result; takes ownership of text (NULL: out of memory). */
void pyr_result_set(pyreactor *p, int code, char *text, size_t len);
/* Sets a host-made error {"type","message"} as the last result. */
void pyr_result_error(pyreactor *p, int code, const char *type, const char *message);
/* The error object text for a trap. */
char *pyr_trap_text(const pyreactor *p, int trap, size_t *len);

#endif
