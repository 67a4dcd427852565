/*
** Freed heap memory zeroed while the snapshot is made.
**
** Wizer saves every non-zero byte of linear memory into the snapshot's data
** segments. Starting Python and importing the preloaded modules frees much
** of what it allocated (inflated bytecode, the compiler's and the
** unmarshaller's scratch), and dlmalloc leaves those bytes where they were:
** dead, but saved, shipped and copied into every instance. With the link
** wrapping free and realloc (-Wl,--wrap=free,--wrap=realloc), blocks freed
** while scrubbing is on are zeroed first, so the snapshot holds zeros there,
** which compress to nothing. Off outside the snapshot: one branch per free.
*/
#include <malloc.h>
#include <stdlib.h>
#include <string.h>

#include "reactor.h"

void __real_free(void *ptr);
void *__real_realloc(void *ptr, size_t size);

/* Set only inside wizer.initialize; 0 in every instance. */
static int scrubbing;

void reactor_heap_scrub(int on)
{
    scrubbing = on;
}

void __wrap_free(void *ptr)
{
    if (scrubbing && ptr != NULL)
        memset(ptr, 0, malloc_usable_size(ptr));
    __real_free(ptr);
}

/* dlmalloc's realloc frees internally (the old block when it moves, the
** tail when it shrinks in place), out of reach of the wrapped free; while
** scrubbing, it is done by hand instead. */
void *__wrap_realloc(void *ptr, size_t size)
{
    if (!scrubbing || ptr == NULL)
        return __real_realloc(ptr, size);
    size_t old = malloc_usable_size(ptr);
    if (size <= old) {  /* size 0 included: what it keeps is zeroed too */
        memset((char *)ptr + size, 0, old - size);
        return __real_realloc(ptr, size);
    }
    void *moved = malloc(size);
    if (moved == NULL)
        return NULL;
    memcpy(moved, ptr, old);
    __wrap_free(ptr);
    return moved;
}
