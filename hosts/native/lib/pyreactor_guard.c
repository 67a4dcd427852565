/*
** pyreactor_guard.c -- one call at a time per instance.
**
** The header makes the caller serialize calls on an instance, but a caller
** that does not (two threads, no lock) must get an error, not a corrupted
** instance: two guest calls on one instance share its memory, its stack
** and its result, and crashed in 2 runs of 3 (issue 14). So every entry
** point that changes the instance takes it with one compare-and-exchange
** of `owner` (0: free) to a token of the calling thread; the loser changes
** nothing. The token also tells re-entry (the owner's own sink or host
** function calling in) from another thread.
*/
#include "pyreactor_internal.h"

/* Its address is unique among live threads: the calling thread's token. */
static _Thread_local char thread_token;

int pyr_enter(pyreactor *p, bool report)
{
  if (p == NULL)
    return PYREACTOR_MISUSE;
  uintptr_t me = (uintptr_t)&thread_token, holder = 0;
  if (atomic_compare_exchange_strong_explicit(&p->owner, &holder, me, memory_order_acquire,
                                              memory_order_relaxed))
    return PYREACTOR_OK;
  /* Another thread's call: its result and output are its own, so nothing
  ** of the instance is touched, not even the last result. */
  if (holder != me || !report)
    return PYREACTOR_MISUSE;
  if (p->in_host_fn) /* the guest's own answer to an export during host.call */
    pyr_result_error(p, PYREACTOR_MISUSE, PYREACTOR_TYPE_BUSY,
                     "the instance is busy (called from one of its own host functions)");
  else
    pyr_result_error(p, PYREACTOR_MISUSE, PYREACTOR_TYPE_MISUSE,
                     "the instance is busy (called from one of its own sinks)");
  return PYREACTOR_MISUSE;
}

void pyr_leave(pyreactor *p)
{
  atomic_store_explicit(&p->owner, 0, memory_order_release);
}
