/*
** An optional cap on the guest's linear memory, set by the host through the
** export `set_memory_limit` (optional in ABI version 2, an extension of
** version 1; hosts that do not know it never call it, and nothing changes
** for them).
**
** wasi-libc's dlmalloc grows the heap only through sbrk, and the link wraps
** sbrk (-Wl,--wrap=sbrk), so growth past the cap fails the way an exhausted
** machine would: malloc returns NULL, Python raises MemoryError inside the
** user's call, and the instance goes on working. The cap counts all of
** linear memory: the 8 MiB stack, static data and (for the snapshot) the
** heap the snapshot starts with.
*/
#include "reactor.h"

#include <errno.h>
#include <stdint.h>

void *__real_sbrk(intptr_t increment);

/* Per instance (it lives in the instance's own memory); 0 means no cap. */
static uint64_t limit_bytes;

void *__wrap_sbrk(intptr_t increment)
{
    if (increment > 0 && limit_bytes != 0) {
        uint64_t brk = (uint64_t)(uintptr_t)__real_sbrk(0);
        if (brk + (uint64_t)increment > limit_bytes) {
            errno = ENOMEM;
            return (void *)-1;
        }
    }
    return __real_sbrk(increment);
}

/* Sets the cap in MiB (0 or negative: none) and returns the cap now in
** force. A cap below what is already in use stops further growth only.
** While host.call runs, exports change nothing (ABI.md): the cap stays. */
__attribute__((export_name("set_memory_limit")))
int32_t set_memory_limit(int32_t mib)
{
    if (!reactor_host_busy())
        limit_bytes = mib > 0 ? (uint64_t)mib << 20 : 0;
    return (int32_t)(limit_bytes >> 20);
}
