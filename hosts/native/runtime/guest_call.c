/*
** guest_call.c -- guest code on the instance's own stack; traps as
** siglongjmp back to the call. See guest_call.h for the why.
*/
#include "guest_call.h"

#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <ucontext.h>
#include <unistd.h>

#if defined(__SANITIZE_ADDRESS__)
#define GUEST_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define GUEST_ASAN 1
#endif
#endif
#ifdef GUEST_ASAN
#include <sanitizer/common_interface_defs.h>
#endif

/* x86-64 switches stacks with the few instructions below; elsewhere
** ucontext does it, at the price of saving and restoring the signal mask
** (two system calls) on every call. */
#if defined(__x86_64__) && defined(__ELF__)
#define GUEST_FAST_SWITCH 1
#endif

/* One guest call in progress on this thread. Lives on the caller's stack. */
typedef struct frame {
  sigjmp_buf jmp; /* set on the guest stack without the mask; traps land here */
#ifndef GUEST_FAST_SWITCH
  ucontext_t host, guest;
#endif
  sigset_t trap_mask;          /* for a trap raised by a signal handler: */
  volatile sig_atomic_t trap_from_signal; /* the mask to restore after it */
  const guest_env *env;
  void (*fn)(void *);
  void *arg;
  volatile int trap;
  volatile sig_atomic_t in_guest; /* between sigsetjmp and fn's return */
  volatile sig_atomic_t in_wasm;  /* wasm code (not host code) is running */
  volatile sig_atomic_t timed_out;
  bool timed;                     /* timer is armed for this call */
  timer_t timer;
  uintptr_t seq;                  /* this thread's call number, for timers */
  sigset_t caller_mask;           /* the thread's mask, if it blocked ours */
  bool restore_mask;
  struct frame *prev;             /* a sink may call another instance */
#ifdef GUEST_ASAN
  void *fake_stack;
  const void *host_bottom;
  size_t host_size;
#endif
} frame;

static _Thread_local frame *tls_frame;
static _Thread_local uintptr_t tls_calls;

/* ------------------------------------------------------------ stack -- */

/* Room below the usable stack that no frame may reach. Guest code is built
** with -fstack-clash-protection, so a frame larger than a page probes its
** way down and faults here rather than skipping past. */
#define GUARD_SIZE ((size_t)1 << 20)

size_t guest_host_page(void)
{
  long page = sysconf(_SC_PAGESIZE);
  return page > 0 ? (size_t)page : 4096;
}

int guest_stack_init(guest_stack *st, size_t size)
{
  size_t p = guest_host_page();
  if (size == 0)
    size = GUEST_STACK_DEFAULT;
  size = (size + p - 1) / p * p;
  if (size < ((size_t)1 << 20) || size > ((size_t)1 << 34))
    return -1;
  size_t total = size + GUARD_SIZE;
  void *base = mmap(NULL, total, PROT_NONE,
                    MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE | MAP_STACK, -1, 0);
  if (base == MAP_FAILED)
    return -1;
  if (mprotect((unsigned char *)base + GUARD_SIZE, size, PROT_READ | PROT_WRITE) != 0) {
    munmap(base, total);
    return -1;
  }
  st->base = base;
  st->total = total;
  st->guard = GUARD_SIZE;
  return 0;
}

void guest_stack_release(guest_stack *st)
{
  if (st->base != NULL)
    madvise(st->base + st->guard, st->total - st->guard, MADV_DONTNEED);
}

void guest_stack_free(guest_stack *st)
{
  if (st->base != NULL)
    munmap(st->base, st->total);
  st->base = NULL;
}

/* --------------------------------------------------- fault handling -- */

static struct sigaction old_segv, old_bus;
static pthread_once_t handler_once = PTHREAD_ONCE_INIT;
static int handler_ok;

/* Which trap a fault at `addr` is, or 0 if the fault is not the guest's. */
static int classify_fault(const guest_env *env, const void *addr)
{
  const unsigned char *a = addr;
  const unsigned char *mem = env->memory != NULL ? env->memory->data : NULL;
  if (mem != NULL && a >= mem && (size_t)(a - mem) < GUEST_MEMORY_RESERVE)
    return WASM_RT_TRAP_OOB;
  const guest_stack *st = env->stack;
  if (a >= st->base && (size_t)(a - st->base) < st->guard)
    return WASM_RT_TRAP_EXHAUSTION;
  return 0;
}

/* Hands a fault that is not ours to whoever handled it before us (ASan, the
** embedder), or lets the default action kill the process. */
static void chain_fault(int sig, siginfo_t *si, void *uc)
{
  const struct sigaction *old = sig == SIGSEGV ? &old_segv : &old_bus;
  if ((old->sa_flags & SA_SIGINFO) && old->sa_sigaction != NULL) {
    old->sa_sigaction(sig, si, uc);
    return;
  }
  if (!(old->sa_flags & SA_SIGINFO) && old->sa_handler != SIG_DFL &&
      old->sa_handler != SIG_IGN) {
    old->sa_handler(sig);
    return;
  }
  /* Returning re-executes the faulting instruction with the default action. */
  struct sigaction dfl;
  memset(&dfl, 0, sizeof dfl);
  dfl.sa_handler = SIG_DFL;
  sigemptyset(&dfl.sa_mask);
  sigaction(sig, &dfl, NULL);
}

/* Leaves a signal handler for the trap landing point. The jump buffer does
** not hold the signal mask (saving it would cost a system call per guest
** call), so the mask of the interrupted code is restored after landing:
** without that, SIGSEGV would stay blocked and the next fault kill us. */
static _Noreturn void trap_from_handler(frame *f, void *uc, int code)
{
  f->trap_mask = ((const ucontext_t *)uc)->uc_sigmask;
  f->trap_from_signal = 1;
  siglongjmp(f->jmp, code);
}

static void on_fault(int sig, siginfo_t *si, void *uc)
{
  frame *f = tls_frame;
  if (f != NULL && f->in_guest) {
    int code = classify_fault(f->env, si->si_addr);
    if (code != 0)
      trap_from_handler(f, uc, code);
  }
  chain_fault(sig, si, uc);
}

static void install_handler(void)
{
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_sigaction = on_fault;
  sa.sa_flags = SA_SIGINFO | SA_ONSTACK;
  sigemptyset(&sa.sa_mask);
  handler_ok = sigaction(SIGSEGV, &sa, &old_segv) == 0 && sigaction(SIGBUS, &sa, &old_bus) == 0;
}

/* ------------------------------------------------ per-thread altstack -- */

/* A stack overflow fault cannot run its handler on the overflowed stack:
** every thread that runs guest code needs a signal stack. We install one if
** the thread has none (ASan and some embedders install their own). */
static pthread_key_t alt_key;
static pthread_once_t alt_once = PTHREAD_ONCE_INIT;
static int alt_key_ok;
static _Thread_local int alt_ready;
static _Thread_local void *alt_mem; /* also keeps the block reachable for LSan */

static void alt_release(void *mem)
{
  stack_t cur;
  if (sigaltstack(NULL, &cur) == 0 && cur.ss_sp == mem) {
    stack_t off;
    memset(&off, 0, sizeof off);
    off.ss_flags = SS_DISABLE;
    sigaltstack(&off, NULL);
  }
  free(mem);
}

static void make_alt_key(void)
{
  alt_key_ok = pthread_key_create(&alt_key, alt_release) == 0;
}

static int ensure_altstack(void)
{
  if (alt_ready)
    return 0;
  stack_t cur;
  if (sigaltstack(NULL, &cur) != 0)
    return -1;
  if (!(cur.ss_flags & SS_DISABLE)) {
    alt_ready = 1;
    return 0;
  }
  pthread_once(&alt_once, make_alt_key);
  if (!alt_key_ok)
    return -1;
  size_t size = 64 * 1024;
  long min = sysconf(_SC_SIGSTKSZ);
  if (min > 0 && (size_t)min * 4 > size)
    size = (size_t)min * 4;
  void *mem = malloc(size);
  if (mem == NULL)
    return -1;
  stack_t ss;
  memset(&ss, 0, sizeof ss);
  ss.ss_sp = mem;
  ss.ss_size = size;
  if (sigaltstack(&ss, NULL) != 0 || pthread_setspecific(alt_key, mem) != 0) {
    free(mem);
    return -1;
  }
  alt_mem = mem;
  alt_ready = 1;
  return 0;
}

/* ---------------------------------------------------------- timeouts -- */

static void guest_stack_check(void);

static struct sigaction old_timeout;
static pthread_once_t timeout_once = PTHREAD_ONCE_INIT;
static int timeout_ok;

/* The timer's value is the number of the call it was armed for (not the
** frame's address, which the next call may reuse): a signal that arrives
** after its call ended finds no such call on this thread and is dropped. */
static void on_timeout(int sig, siginfo_t *si, void *uc)
{
  uintptr_t target = si->si_code == SI_TIMER ? (uintptr_t)si->si_value.sival_ptr : 0;
  for (frame *f = tls_frame; f != NULL; f = f->prev) {
    if (target == 0 || f->seq != target)
      continue;
    f->timed_out = 1;
    if (f == tls_frame && f->in_guest && f->in_wasm)
      trap_from_handler(f, uc, GUEST_TRAP_TIMEOUT);
    return;
  }
  if (target == 0 && (old_timeout.sa_flags & SA_SIGINFO) && old_timeout.sa_sigaction != NULL)
    old_timeout.sa_sigaction(sig, si, uc);
}

static void install_timeout_handler(void)
{
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_sigaction = on_timeout;
  sa.sa_flags = SA_SIGINFO | SA_ONSTACK; /* no SA_RESTART: sleeps end early */
  sigemptyset(&sa.sa_mask);
  timeout_ok = sigaction(GUEST_TIMEOUT_SIGNAL, &sa, &old_timeout) == 0;
}

/* A one-shot timer that signals this thread, for frame f. */
static int arm_timeout(frame *f)
{
  timer_t *timer = &f->timer;
  pthread_once(&timeout_once, install_timeout_handler);
  if (!timeout_ok)
    return -1;
  struct sigevent ev;
  memset(&ev, 0, sizeof ev);
  ev.sigev_notify = SIGEV_THREAD_ID;
  ev.sigev_signo = GUEST_TIMEOUT_SIGNAL;
  ev.sigev_value.sival_ptr = (void *)f->seq;
  ev._sigev_un._tid = gettid();
  if (timer_create(CLOCK_MONOTONIC, &ev, timer) != 0)
    return -1;
  uint32_t ms = f->env->timeout_ms;
  struct itimerspec when;
  memset(&when, 0, sizeof when);
  when.it_value.tv_sec = ms / 1000;
  when.it_value.tv_nsec = (long)(ms % 1000) * 1000000;
  if (timer_settime(*timer, 0, &when, NULL) != 0) {
    timer_delete(*timer);
    return -1;
  }
  return 0;
}

void guest_wasm_enter(void)
{
  frame *f = tls_frame;
  if (f == NULL)
    return;
  /* In this order: a signal between the two finds in_wasm set and ends the
  ** call itself; nothing here holds anything. */
  f->in_wasm = 1;
  if (f->timed_out)
    guest_trap(GUEST_TRAP_TIMEOUT);
}

void guest_wasm_leave(void)
{
  if (tls_frame != NULL)
    tls_frame->in_wasm = 0;
}

void guest_import_enter(void)
{
  guest_stack_check();
  guest_wasm_leave();
}

void guest_import_leave(void)
{
  guest_wasm_enter();
}

int guest_interrupted(void)
{
  return tls_frame != NULL && tls_frame->timed_out;
}

long guest_ms_left(const guest_env *env)
{
  frame *f = tls_frame;
  while (f != NULL && f->env != env)
    f = f->prev;
  if (f == NULL || !f->timed)
    return -1;
  struct itimerspec left;
  if (f->timed_out || timer_gettime(f->timer, &left) != 0)
    return 0;
  /* A timer that has fired reads as disarmed: all zero. */
  return (long)left.it_value.tv_sec * 1000 + (left.it_value.tv_nsec + 999999) / 1000000;
}

/* ---------------------------------------------------- signal masks -- */

/* A guest call needs three signals delivered on its thread: a blocked
** SIGSEGV or SIGBUS is not queued but ends the process (the kernel forces
** the default action on a blocked synchronous fault), and a blocked timer
** signal leaves a runaway call running forever. Servers often block every
** signal in worker threads, so a call unblocks these three and gives the
** thread its mask back afterwards.
**
** Reading the mask is a system call, which costs as much as a whole warm
** call on some machines (1 us here, where an apply takes 0.8 us). So it is
** read on a thread's first call, and on every call with a time limit
** (whose timer costs three system calls anyway); a thread once found
** blocking one of them is handled on every call from then on. What is not
** seen: a thread that blocks SIGSEGV or SIGBUS only after its first call,
** between calls without a limit (the header says so). */
enum { MASK_UNKNOWN = 0, MASK_CLEAN, MASK_BLOCKING };
static _Thread_local int tls_mask_state;

static void unblock_guest_signals(frame *f)
{
  f->restore_mask = false;
  if (tls_mask_state == MASK_CLEAN && f->env->timeout_ms == 0)
    return;
  sigset_t need;
  sigemptyset(&need);
  sigaddset(&need, SIGSEGV);
  sigaddset(&need, SIGBUS);
  sigaddset(&need, GUEST_TIMEOUT_SIGNAL);
  if (pthread_sigmask(SIG_UNBLOCK, &need, &f->caller_mask) != 0)
    return;
  f->restore_mask = sigismember(&f->caller_mask, SIGSEGV) == 1 ||
                    sigismember(&f->caller_mask, SIGBUS) == 1 ||
                    sigismember(&f->caller_mask, GUEST_TIMEOUT_SIGNAL) == 1;
  if (f->restore_mask)
    tls_mask_state = MASK_BLOCKING;
  else if (tls_mask_state == MASK_UNKNOWN)
    tls_mask_state = MASK_CLEAN;
}

/* After the timer is deleted: a timer signal it raised was delivered while
** unblocked, so nothing of ours stays pending under the caller's mask. */
static void restore_caller_mask(const frame *f)
{
  if (f->restore_mask)
    pthread_sigmask(SIG_SETMASK, &f->caller_mask, NULL);
}

/* ----------------------------------------------------- stack switch -- */

/* Runs on the guest stack: the landing point for traps, then fn. */
static void trampoline(void)
{
  frame *volatile f = tls_frame;
#ifdef GUEST_ASAN
  __sanitizer_finish_switch_fiber(NULL, &f->host_bottom, &f->host_size);
#endif
  int code = sigsetjmp(f->jmp, 0);
  if (code == 0) {
    f->in_guest = 1;
    f->fn(f->arg);
  } else {
    f->trap = code;
    if (f->trap_from_signal)
      pthread_sigmask(SIG_SETMASK, &f->trap_mask, NULL);
  }
  f->in_guest = 0;
#ifdef GUEST_ASAN
  __sanitizer_start_switch_fiber(NULL, f->host_bottom, f->host_size);
#endif
}

#ifdef GUEST_FAST_SWITCH
/* guest_switch_call(top, fn): calls fn() with the stack pointer at top and
** returns on the caller's stack. rbp, callee-saved, keeps the caller's
** stack pointer across the call; the CFI lets debuggers and sanitizers
** unwind from guest frames into the host's. */
void guest_switch_call(void *top, void (*fn)(void));
__asm__(".text\n"
        ".p2align 4\n"
        ".type guest_switch_call, @function\n"
        "guest_switch_call:\n"
        ".cfi_startproc\n"
        "  pushq %rbp\n"
        ".cfi_def_cfa_offset 16\n"
        ".cfi_offset %rbp, -16\n"
        "  movq %rsp, %rbp\n"
        ".cfi_def_cfa_register %rbp\n"
        "  movq %rdi, %rsp\n"
        "  callq *%rsi\n"
        "  movq %rbp, %rsp\n"
        "  popq %rbp\n"
        ".cfi_def_cfa %rsp, 8\n"
        "  ret\n"
        ".cfi_endproc\n"
        ".size guest_switch_call, .-guest_switch_call\n");

static int switch_to_guest(frame *f, unsigned char *bottom, size_t size)
{
  (void)f;
  uintptr_t top = ((uintptr_t)bottom + size) & ~(uintptr_t)15;
  guest_switch_call((void *)top, trampoline);
  return 0;
}
#else
static int switch_to_guest(frame *f, unsigned char *bottom, size_t size)
{
  if (getcontext(&f->guest) != 0)
    return -1;
  f->guest.uc_stack.ss_sp = bottom;
  f->guest.uc_stack.ss_size = size;
  f->guest.uc_link = &f->host; /* trampoline's return resumes the host */
  makecontext(&f->guest, trampoline, 0);
  return swapcontext(&f->host, &f->guest);
}
#endif

int guest_call(const guest_env *env, void (*fn)(void *), void *arg)
{
  pthread_once(&handler_once, install_handler);
  if (!handler_ok || ensure_altstack() != 0)
    return GUEST_TRAP_HOST_SETUP;
  frame f;
  f.env = env;
  f.fn = fn;
  f.arg = arg;
  f.trap = GUEST_TRAP_NONE;
  f.trap_from_signal = 0;
  f.in_guest = f.in_wasm = f.timed_out = 0;
  f.prev = tls_frame;
  f.seq = ++tls_calls;
  unsigned char *bottom = env->stack->base + env->stack->guard;
  size_t size = env->stack->total - env->stack->guard;
  tls_frame = &f; /* before the timer: its signal looks the call up */
  f.timed = false;
  unblock_guest_signals(&f);
  if (env->timeout_ms > 0 && arm_timeout(&f) != 0) {
    restore_caller_mask(&f);
    tls_frame = f.prev;
    return GUEST_TRAP_HOST_SETUP;
  }
  f.timed = env->timeout_ms > 0;
#ifdef GUEST_ASAN
  __sanitizer_start_switch_fiber(&f.fake_stack, bottom, size);
#endif
  int rc = switch_to_guest(&f, bottom, size);
#ifdef GUEST_ASAN
  __sanitizer_finish_switch_fiber(f.fake_stack, NULL, NULL);
#endif
  if (f.timed)
    timer_delete(f.timer); /* a signal still pending finds no call */
  restore_caller_mask(&f);
  tls_frame = f.prev;
  if (rc != 0)
    return GUEST_TRAP_HOST_SETUP;
  return f.trap;
}

_Noreturn void guest_trap(int code)
{
  frame *f = tls_frame;
  if (f == NULL || !f->in_guest)
    abort(); /* a trap outside any guest call is a host bug */
  siglongjmp(f->jmp, code != 0 ? code : GUEST_TRAP_HOST_SETUP);
}

static void guest_stack_check(void)
{
  frame *f = tls_frame;
  if (f == NULL || !f->in_guest)
    return;
  const guest_stack *st = f->env->stack;
  uintptr_t here = (uintptr_t)__builtin_frame_address(0);
  uintptr_t low = (uintptr_t)(st->base + st->guard);
  if (here >= low && here - low < GUEST_HOST_STACK_MARGIN)
    guest_trap(WASM_RT_TRAP_EXHAUSTION);
}

const guest_env *guest_current(void)
{
  return tls_frame != NULL ? tls_frame->env : NULL;
}

const char *guest_trap_text(int code)
{
  switch (code) {
  case WASM_RT_TRAP_OOB: return "out-of-bounds memory access";
  case WASM_RT_TRAP_INT_OVERFLOW: return "integer overflow";
  case WASM_RT_TRAP_DIV_BY_ZERO: return "integer divide by zero";
  case WASM_RT_TRAP_INVALID_CONVERSION: return "invalid conversion to integer";
  case WASM_RT_TRAP_UNREACHABLE: return "unreachable executed";
  case WASM_RT_TRAP_CALL_INDIRECT: return "invalid indirect call";
  case WASM_RT_TRAP_UNCAUGHT_EXCEPTION: return "uncaught wasm exception";
  case WASM_RT_TRAP_EXHAUSTION: return "call stack exhausted";
  case GUEST_TRAP_PROC_EXIT: return "the guest called proc_exit";
  case GUEST_TRAP_HOST_NOMEM: return "the host ran out of memory for the guest";
  case GUEST_TRAP_HOST_SETUP: return "the host could not switch to the guest stack";
  case GUEST_TRAP_TIMEOUT: return "the call ran out of time";
  case GUEST_TRAP_MEMORY_CAP: return "the memory cap is below the module's initial memory";
  default: return "unknown trap";
  }
}
