/*
** memcpy, memmove, memset and memcmp for the guest, replacing wasi-libc's.
**
** wasi-libc (Debian's, built without the bulk-memory feature) copies with
** musl's C loops, a few bytes per wasm instruction; CPython copies all the
** time (string building, list resizing, joins), and in the strings kernel
** memcpy alone was 9% of the guest's time against nothing natively. This
** file is compiled with -mbulk-memory, so the three below become the
** memory.copy and memory.fill instructions: the native host's wasm2c code
** turns those into the host libc's memmove and memset (bounds checked
** first), and V8 into its own fast copy. memcmp has no instruction; it
** compares eight bytes at a time here instead of musl's one.
**
** Defining the symbols keeps wasi-libc's archive members out of the link
** (each member defines only its one function).
*/
#include <stdint.h>
#include <string.h>

#if !defined(__wasm_bulk_memory__)
#error "reactor_memory_ops.c must be compiled with -mbulk-memory"
#endif

/* Below this many bytes a loop in wasm beats leaving it for the host's
** memmove (in the native host a call through the PLT after two bounds
** checks). */
#define SMALL_COPY 16

/* Front to back: right for memmove too when dest is below src. */
static void *copy_forward(void *dest, const void *src, size_t n)
{
    unsigned char *d = dest;
    const unsigned char *s = src;
    while (n--)
        *d++ = *s++;
    return dest;
}

void *memcpy(void *restrict dest, const void *restrict src, size_t n)
{
    if (n <= SMALL_COPY)
        return copy_forward(dest, src, n);
    return __builtin_memcpy(dest, src, n);
}

void *memmove(void *dest, const void *src, size_t n)
{
    if (n <= SMALL_COPY && (uintptr_t)dest <= (uintptr_t)src)
        return copy_forward(dest, src, n);
    return __builtin_memmove(dest, src, n);
}

void *memset(void *dest, int c, size_t n)
{
    return __builtin_memset(dest, c, n);
}

/* Unaligned 8-byte loads are fine in wasm (alignment is only a hint). */
static uint64_t load64(const unsigned char *p)
{
    uint64_t v;
    __builtin_memcpy(&v, p, sizeof v);
    return v;
}

int memcmp(const void *a, const void *b, size_t n)
{
    const unsigned char *x = a, *y = b;
    for (; n >= 8; x += 8, y += 8, n -= 8) {
        uint64_t u = load64(x), v = load64(y);
        if (u != v) {
            /* Little endian: the first differing byte is the lowest set
            ** byte of u ^ v; byte-swapped, it decides the comparison. */
            u = __builtin_bswap64(u);
            v = __builtin_bswap64(v);
            return u < v ? -1 : 1;
        }
    }
    for (; n > 0; x++, y++, n--) {
        if (*x != *y)
            return *x < *y ? -1 : 1;
    }
    return 0;
}
