/*
** clock() for the guest, replacing wasi-libc's emulated one
** (libwasi-emulated-process-clocks.a, clock.o). That one stores the
** monotonic time in a constructor, so a Wizer snapshot would carry the build
** machine's clock reading: every snapshot would differ (no reproducible
** build, no cache hit for the native host's compiled module), and clock()
** in an instance would count from a time on another machine. Defining both
** symbols clock.o provides keeps the archive member out of the link; times()
** and getrusage() from the same library use __clock and get this one.
*/
#include <time.h>
#include <wasi/api.h>

#include "reactor.h"

clock_t __clock(void);

/* Monotonic time of the first reading in this instance; 0: none yet. */
static __wasi_timestamp_t start;

void reactor_process_clock_reset(void)
{
    start = 0;
}

clock_t __clock(void)
{
    __wasi_timestamp_t now = 0;
    if (__wasi_clock_time_get(__WASI_CLOCKID_MONOTONIC, 0, &now) != __WASI_ERRNO_SUCCESS)
        return (clock_t)-1;
    if (start == 0)
        start = now;
    return (clock_t)((now - start) / (1000000000ULL / CLOCKS_PER_SEC));
}

clock_t clock(void) __attribute__((weak, alias("__clock")));
