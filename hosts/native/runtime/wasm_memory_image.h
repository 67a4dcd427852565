/*
** wasm_memory_image.h -- the shared copy-on-write image new instances'
** memories are mapped from (see wasm_memory_image.c).
*/
#ifndef WASM_MEMORY_IMAGE_H
#define WASM_MEMORY_IMAGE_H

#include <stddef.h>
#include <stdint.h>

#include "wasm-rt.h"
#include "wasm_hot_pages.h"

/* What wasm2c-split.awk emits for each data segment: wasm address, size,
** offset in the one blob that holds them all. The generated code declares
** the same struct and the two functions below itself. */
struct pyreactor_rt_segment {
  uint32_t addr, size, at;
};

/* The pieces an image is made of, shared with the images of modules made
** by `pyreactor pack` (lib/pyreactor_module.c). */

/* The host pages segments[0..n) touch: [*from, *to), page-aligned. 0 when
** they hold no byte at all. The segments must lie inside their blob. */
int wasm_image_span(const struct pyreactor_rt_segment *segments, size_t n, uint64_t *from, uint64_t *to);

/* A sealed memfd (named `name`) of to - from bytes holding every segment's
** bytes (from blob) at addr - from, zeros elsewhere; [from, to) must cover
** the segments. The fd; -1 when no memfd could be made or filled (a caller
** may fall back to a copy), -2 when it could not be sealed (errno says
** why). */
int wasm_image_sealed_fd(const char *name, const uint8_t *blob, const struct pyreactor_rt_segment *segments,
                         size_t n, uint64_t from, uint64_t to);

/* Writes the segments into dst, which stands for wasm address `from`. */
void wasm_image_write(uint8_t *dst, uint64_t from, const uint8_t *blob, const struct pyreactor_rt_segment *segments,
                      size_t n);

/* From the generated init_memories, right after the memory is allocated.
** 1: memory now holds the data segments; 0: the caller copies them. */
int pyreactor_rt_map_image(wasm_rt_memory_t *memory, const uint8_t *blob, size_t blob_len,
                           const struct pyreactor_rt_segment *segments, size_t n);
/* The copy path's prefault of [start, start + len). */
void pyreactor_rt_prefault(wasm_rt_memory_t *memory, uint64_t start, uint64_t len);

/* Right after an instance of the compiled module was made on this thread:
** the image's hot pages when that instance's memory is mapped from the
** image, NULL when it got a copy. */
wasm_hot_pages *wasm_image_hot(void);

/* For the tests: instances created from now on map the image (1) or copy
** the segments (0). Returns the previous setting. */
int wasm_image_enable(int on);
/* Bytes of the shared image; 0 before the first instance or when none
** could be made. Call after an instance was created on this thread. */
size_t wasm_image_bytes(void);

#endif
