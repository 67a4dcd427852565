/*
** guest_call.h -- running guest code on its own stack, catching its traps.
**
** wasm2c turns every wasm function into a C function, so guest recursion is
** native recursion. Measured: guest code recursing until the guest's own
** 8 MiB (linear-memory) stack runs out uses 8-16 MiB of native stack, more
** than an embedder's thread may have, and which thread calls us is the
** embedder's choice. Each instance therefore owns a lazily committed stack
** (64 MiB by default) with a guard region, and guest code runs there
** (a stack switch on the calling thread, so thread locals and callbacks
** still see the caller's thread; the switch saves no signal mask, which
** would cost system calls). Deep recursion then traps cleanly either
** way: the guest's stack underflows (out of bounds) or ours hits its guard.
** Whatever the caller's signal mask, guest_call unblocks the signals it
** needs (SIGSEGV, SIGBUS, GUEST_TIMEOUT_SIGNAL) for the call and restores
** the mask after it (see unblock_guest_signals for when the mask is read).
**
** A trap is a siglongjmp to the point where guest_call entered the guest:
** from wasm_rt_trap (unreachable, bad indirect call, divide by zero...), from
** the WASI layer (proc_exit), or from the SIGSEGV handler when the fault is
** inside the current instance's memory reservation (out of bounds) or in the
** guard region of its stack (stack exhausted). Faults anywhere else are not
** ours and go to the previous handler, so host bugs still crash loudly.
** All of this state is per thread, so instances on different threads trap
** independently.
*/
#ifndef GUEST_CALL_H
#define GUEST_CALL_H

#include <signal.h>
#include <stddef.h>
#include <stdint.h>

#include "wasm-rt.h"

/* Trap codes: wasm2c's wasm_rt_trap_t values, plus the host's own. */
enum {
  GUEST_TRAP_NONE = 0,
  GUEST_TRAP_PROC_EXIT = 100,  /* WASI proc_exit */
  GUEST_TRAP_HOST_NOMEM = 101, /* the host could not allocate for the guest */
  GUEST_TRAP_HOST_SETUP = 102, /* the stack switch itself failed */
  GUEST_TRAP_TIMEOUT = 103,    /* the call ran past env->timeout_ms */
  GUEST_TRAP_MEMORY_CAP = 104  /* the module's initial memory is above the cap */
};

/* Sent (per call, to the calling thread only) when a call's time is up. */
#define GUEST_TIMEOUT_SIGNAL (SIGRTMIN + 4)

/* The native stack an instance's guest code runs on. */
typedef struct guest_stack {
  unsigned char *base; /* lowest address of the mapping (guard starts here) */
  size_t total;        /* guard + usable */
  size_t guard;        /* PROT_NONE bytes at the bottom */
} guest_stack;

#define GUEST_STACK_DEFAULT ((size_t)64 << 20)

/* Reserves a stack of `size` usable bytes (0 = default). 0 or -1. */
/* The host's page size (sysconf; 4096 if it will not say). */
size_t guest_host_page(void);

int guest_stack_init(guest_stack *st, size_t size);
/* Gives committed pages back to the system (after a deep call). */
void guest_stack_release(guest_stack *st);
void guest_stack_free(guest_stack *st);

/* What a call needs to classify faults and cap memory growth. */
typedef struct guest_env {
  guest_stack *stack;
  const wasm_rt_memory_t *memory; /* may have data == NULL before instantiate */
  uint32_t max_pages;             /* memory.grow cap (wasm pages) */
  uint32_t timeout_ms;            /* 0: none; see guest_wasm_enter */
} guest_env;

/* Runs fn(arg) on env->stack. Returns GUEST_TRAP_NONE, or the trap code if
** the guest trapped (fn did not finish). Installs the process-wide fault
** handler and this thread's signal stack on first use. */
int guest_call(const guest_env *env, void (*fn)(void *), void *arg);

/* Ends the current guest call with `code`. Only valid inside guest_call. */
_Noreturn void guest_trap(int code);

/* Timeouts. A timer armed by guest_call sends GUEST_TIMEOUT_SIGNAL when the
** call's time is up. Wasm code can be abandoned at any instruction (the
** instance is discarded anyway), host code cannot: a jump out of malloc or
** of a sink holding a stdio lock would leave the lock held. So the handler
** ends the call at once only while wasm code runs; otherwise it marks the
** call, and the next switch back to wasm traps. The job code brackets every
** export call with guest_wasm_enter/leave; every import (WASI functions,
** host.callback) starts with guest_import_enter and ends with
** guest_import_leave. Blocking host code polls guest_interrupted. */
void guest_wasm_enter(void);
void guest_wasm_leave(void);
int guest_interrupted(void);

/* Milliseconds left, rounded up, before the time limit of the innermost
** guest call on this thread that runs with `env`: -1 when it has no limit
** (or there is no such call), 0 once the limit has passed. */
long guest_ms_left(const guest_env *env);

/* guest_import_enter also traps as stack exhaustion when less than
** GUEST_HOST_STACK_MARGIN of the guest stack is left, so host code never
** overflows it half-way either. */
#define GUEST_HOST_STACK_MARGIN ((size_t)256 << 10)
void guest_import_enter(void);
void guest_import_leave(void);

/* The env of the guest call running on this thread, or NULL. */
const guest_env *guest_current(void);

/* Human-readable text for a trap code. */
const char *guest_trap_text(int code);

/* The size of the address range reserved per linear memory. */
#define GUEST_MEMORY_RESERVE ((size_t)8 << 30)

#endif
