/*
** wasm_hot_pages.h -- the pages of a memory image that an instance's first
** calls write, learned once and written in bulk into later instances (see
** wasm_hot_pages.c).
*/
#ifndef WASM_HOT_PAGES_H
#define WASM_HOT_PAGES_H

#include <stddef.h>
#include <stdint.h>

/* One per image (the compiled module's, each pack's). Zero-initialized is
** "not learned yet"; learned at most once, then read-only. */
typedef struct wasm_hot_pages {
  _Atomic int state;  /* HOT_UNLEARNED, HOT_LEARNING, HOT_READY */
  uint32_t *runs;     /* (first host page, count) pairs, owned; NULL: none */
  size_t n_runs;
  size_t n_pages;
} wasm_hot_pages;

/* Reads which host pages of the linear memory [base, base + size) the
** calling process holds privately (written since the instance was mapped
** from the image) and keeps them in hp, unless hp already learned or
** another thread is learning. Nothing is kept when /proc/self/pagemap
** cannot be read or the pages exceed the bound in wasm_hot_pages.c. */
void wasm_hot_pages_learn(wasm_hot_pages *hp, const uint8_t *base, uint64_t size);

/* Writes the learned pages of a fresh instance's memory [base, base + size)
** in one madvise per run (pages past size are left alone). Nothing before
** hp learned. Only an optimization: errors are ignored. */
void wasm_hot_pages_populate(const wasm_hot_pages *hp, uint8_t *base, uint64_t size);

/* True once hp has learned (possibly nothing): a caller can skip learning. */
int wasm_hot_pages_ready(const wasm_hot_pages *hp);

/* For the tests: the number of pages learned. */
size_t wasm_hot_pages_count(const wasm_hot_pages *hp);

/* Frees what hp learned; hp is then unlearned. Not while instances use it. */
void wasm_hot_pages_free(wasm_hot_pages *hp);

#endif
