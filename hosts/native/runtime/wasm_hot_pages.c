/*
** wasm_hot_pages.c -- a fresh instance gets, in a few madvise calls, the
** private pages its first calls would otherwise take one page fault each.
**
** Why: an instance's memory is the shared image mapped copy-on-write
** (wasm_memory_image.c). Its first register + apply writes ~170-220 pages
** of it (refcounts, the interpreter's frames, allocator arenas, the dicts
** of the modules it touches), and each first write is a page fault that
** copies one page. One MADV_POPULATE_WRITE over a run of pages does the
** same copies without a fault per page, which on machines where faults are
** slow (virtual machines: docs/performance.md has the figures) is several
** times cheaper. Which pages: those the first instance of the image in this
** process held privately after its first apply, read from
** /proc/self/pagemap. Copying them early changes no byte of the memory, only
** when the copies are made; pages past the learned bound or a kernel
** without MADV_POPULATE_WRITE (before 5.14) just leave the faults as they
** were.
**
** The price: an instance that is opened and never called holds those pages
** too; the bound keeps that below HOT_PAGES_MAX pages.
*/
#include "wasm_hot_pages.h"

#include "guest_call.h"

#include <fcntl.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>

enum { HOT_UNLEARNED, HOT_LEARNING, HOT_READY };

/* A first call that writes more than this (16 MiB of 4 KiB pages) is no
** sample of the usual one: nothing is learned from it. */
#define HOT_PAGES_MAX 4096u

#define PM_PRESENT (1ull << 63)
#define PM_FILE_OR_SHARED (1ull << 61)

/* Written since mapped: present, and no longer the file's (shared) page. */
static int is_private(uint64_t entry)
{
  return (entry & PM_PRESENT) && !(entry & PM_FILE_OR_SHARED);
}

/* Atomic loads take no const object in C11. */
static int state_of(const wasm_hot_pages *hp)
{
  return atomic_load(&((wasm_hot_pages *)hp)->state);
}

/* The pagemap entries of [base, base + n pages): into e, 0 on success. */
static int read_pagemap(const uint8_t *base, size_t n, uint64_t page, uint64_t *e)
{
  int fd = open("/proc/self/pagemap", O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    return -1;
  off_t at = (off_t)((uintptr_t)base / page * sizeof *e);
  size_t want = n * sizeof *e, got = 0;
  while (got < want) {
    ssize_t r = pread(fd, (char *)e + got, want - got, at + (off_t)got);
    if (r <= 0)
      break;
    got += (size_t)r;
  }
  close(fd);
  return got == want ? 0 : -1;
}

/* Private present pages of e[0..n) as (first, count) runs into hp. */
static void keep_runs(wasm_hot_pages *hp, const uint64_t *e, size_t n)
{
  size_t pages = 0, runs = 0;
  for (size_t i = 0; i < n; i++) {
    if (is_private(e[i])) {
      pages++;
      runs += i == 0 || !is_private(e[i - 1]);
    }
  }
  if (pages == 0 || pages > HOT_PAGES_MAX)
    return;
  uint32_t *r = malloc(runs * 2 * sizeof *r);
  if (r == NULL)
    return;
  size_t k = 0;
  for (size_t i = 0; i < n; i++) {
    if (!is_private(e[i]))
      continue;
    if (k > 0 && r[k - 2] + r[k - 1] == i) {
      r[k - 1]++;
    } else {
      r[k++] = (uint32_t)i;
      r[k++] = 1;
    }
  }
  hp->runs = r;
  hp->n_runs = runs;
  hp->n_pages = pages;
}

void wasm_hot_pages_learn(wasm_hot_pages *hp, const uint8_t *base, uint64_t size)
{
  int expect = HOT_UNLEARNED;
  if (!atomic_compare_exchange_strong(&hp->state, &expect, HOT_LEARNING))
    return;
  uint64_t page = (uint64_t)guest_host_page();
  size_t n = (size_t)(size / page);
  /* A wasm32 memory is at most 4 GiB: n fits in the runs' uint32_t. */
  uint64_t *e = n > 0 && (uintptr_t)base % page == 0 ? malloc(n * sizeof *e) : NULL;
  if (e != NULL && read_pagemap(base, n, page, e) == 0)
    keep_runs(hp, e, n);
  free(e);
  atomic_store(&hp->state, HOT_READY);
}

void wasm_hot_pages_populate(const wasm_hot_pages *hp, uint8_t *base, uint64_t size)
{
#ifdef MADV_POPULATE_WRITE
  if (state_of(hp) != HOT_READY)
    return;
  uint64_t page = (uint64_t)guest_host_page(), pages = size / page;
  for (size_t i = 0; i < hp->n_runs; i++) {
    uint64_t first = hp->runs[2 * i], count = hp->runs[2 * i + 1];
    if (first >= pages)
      break; /* runs are in address order */
    if (count > pages - first)
      count = pages - first;
    madvise(base + first * page, count * page, MADV_POPULATE_WRITE);
  }
#else
  (void)hp;
  (void)base;
  (void)size;
#endif
}

int wasm_hot_pages_ready(const wasm_hot_pages *hp)
{
  return state_of(hp) == HOT_READY;
}

size_t wasm_hot_pages_count(const wasm_hot_pages *hp)
{
  return wasm_hot_pages_ready(hp) ? hp->n_pages : 0;
}

void wasm_hot_pages_free(wasm_hot_pages *hp)
{
  free(hp->runs);
  hp->runs = NULL;
  hp->n_runs = hp->n_pages = 0;
  atomic_store(&hp->state, HOT_UNLEARNED);
}
