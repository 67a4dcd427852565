/*
** wasm_memory_image.c -- a new instance's linear memory as a copy-on-write
** mapping of one shared image, instead of a copy of the data segments.
**
** Why: the snapshot's data segments are 8.4 MB. Copying them into every new
** memory cost ~9 ms per instance (2200 page faults) and 9 MB of private
** memory that never differs between instances. Here the first instance of
** the process writes the segments once into a sealed memfd; every instance
** then maps that file MAP_PRIVATE over the same addresses of its own
** reservation. The kernel shares the pages until an instance writes one,
** which gets that instance its own copy: what Python only reads (code
** objects, the frozen stdlib, interned strings never touched by refcounts)
** stays shared by all instances.
**
** The result is byte for byte what the copy gives: the image covers the
** pages from the lowest to the highest segment byte, zero wherever no
** segment writes, and outside it the memory is the reservation's anonymous
** zero pages as before. When anything here fails (no memfd_create, a seal
** refused, an mmap that fails) the generated code copies the segments as
** it always did, so this is an optimization that cannot change behaviour.
**
** The image is process-wide state by necessity (it is what instances
** share); it is built once under pthread_once and read-only afterwards.
*/
#include "wasm_memory_image.h"

#include "guest_call.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

typedef struct memory_image {
  const uint8_t *blob; /* which module's segments this is (there is one) */
  int fd;              /* sealed memfd, -1 when no image could be made */
  uint64_t from, to;   /* wasm addresses the image covers, page-aligned */
} memory_image;

static memory_image image = {NULL, -1, 0, 0};
static pthread_once_t image_once = PTHREAD_ONCE_INIT;
static pthread_mutex_t image_lock = PTHREAD_MUTEX_INITIALIZER;

/* pthread_once takes no argument: the first caller's parameters. */
static struct {
  const uint8_t *blob;
  size_t blob_len;
  const struct pyreactor_rt_segment *segments;
  size_t n;
  uint64_t memory_size;
} first;

static int disabled; /* pyreactor_testing_image(0): take the copy path */

/* The pages instances of the image write first (wasm_hot_pages.c), and
** whether the last instance made on this thread got the mapping. */
static wasm_hot_pages image_hot;
static _Thread_local int mapped_here;

int wasm_image_span(const struct pyreactor_rt_segment *segments, size_t n, uint64_t *from, uint64_t *to)
{
  uint64_t lo = UINT64_MAX, hi = 0, page = guest_host_page();
  for (size_t i = 0; i < n; i++) {
    const struct pyreactor_rt_segment *s = &segments[i];
    if (s->size == 0)
      continue;
    if (s->addr < lo)
      lo = s->addr;
    if ((uint64_t)s->addr + s->size > hi)
      hi = (uint64_t)s->addr + s->size;
  }
  if (hi == 0)
    return 0;
  *from = lo / page * page;
  *to = (hi + page - 1) / page * page;
  return 1;
}

void wasm_image_write(uint8_t *dst, uint64_t from, const uint8_t *blob, const struct pyreactor_rt_segment *segments,
                      size_t n)
{
  for (size_t i = 0; i < n; i++)
    memcpy(dst + (segments[i].addr - from), blob + segments[i].at, segments[i].size);
}

/* The segments go in through a temporary shared mapping (one memcpy each:
** Wizer's snapshot has 10000 segments, too many for a write call each),
** then the file is sealed so nobody can change it. 5-9 ms for the
** compiled module, once per process, mostly the kernel allocating and
** zeroing 9 MB of pages. */
int wasm_image_sealed_fd(const char *name, const uint8_t *blob, const struct pyreactor_rt_segment *segments,
                         size_t n, uint64_t from, uint64_t to)
{
  size_t len = (size_t)(to - from);
  int fd = memfd_create(name, MFD_CLOEXEC | MFD_ALLOW_SEALING);
  if (fd < 0)
    return -1;
  uint8_t *w = ftruncate(fd, (off_t)len) == 0 ? mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0)
                                               : MAP_FAILED;
  if (w == MAP_FAILED) {
    close(fd);
    return -1;
  }
  wasm_image_write(w, from, blob, segments, n);
  munmap(w, len);
  if (fcntl(fd, F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE | F_SEAL_SEAL) != 0) {
    int why = errno;
    close(fd);
    errno = why;
    return -2;
  }
  return fd;
}

/* The compiled module's range, or 0 if a segment lies outside the blob or
** the initial memory (the copy path then traps on it exactly where
** wasm2c's bounds check says). */
static int segment_range(uint64_t *from, uint64_t *to)
{
  for (size_t i = 0; i < first.n; i++) {
    const struct pyreactor_rt_segment *s = &first.segments[i];
    if ((uint64_t)s->at + s->size > first.blob_len ||
        (uint64_t)s->addr + s->size > first.memory_size)
      return 0;
  }
  return wasm_image_span(first.segments, first.n, from, to) && *to <= first.memory_size;
}

static void build_image(void)
{
  uint64_t from, to;
  if (!segment_range(&from, &to))
    return;
  int fd = wasm_image_sealed_fd("pyreactor-image", first.blob, first.segments, first.n, from, to);
  if (fd >= 0)
    image = (memory_image){first.blob, fd, from, to};
}

int pyreactor_rt_map_image(wasm_rt_memory_t *memory, const uint8_t *blob, size_t blob_len,
                           const struct pyreactor_rt_segment *segments, size_t n)
{
  pthread_mutex_lock(&image_lock);
  int off = disabled;
  if (first.blob == NULL) {
    first.blob = blob;
    first.blob_len = blob_len;
    first.segments = segments;
    first.n = n;
    first.memory_size = memory->size;
  }
  pthread_mutex_unlock(&image_lock);
  mapped_here = 0;
  if (off)
    return 0;
  pthread_once(&image_once, build_image);
  if (image.fd < 0 || image.blob != blob || image.to > memory->size)
    return 0;
  void *at = memory->data + image.from;
  size_t len = (size_t)(image.to - image.from);
  void *got = mmap(at, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_FIXED, image.fd, 0);
  if (got == at) {
    mapped_here = 1;
    return 1;
  }
  /* MAP_FIXED may have unmapped the range before failing: put back the
  ** zero pages the copy path expects, or give up on this instance. */
  got = mmap(at, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
  if (got != at)
    guest_trap(GUEST_TRAP_HOST_NOMEM);
  return 0;
}

/* The copy path (wasm_memory_image.h): one madvise populates the range, instead of one page
** fault per page during the copy (opening went from ~27 ms to ~9 ms). Only
** an optimization: errors (e.g. a kernel before 5.14) are ignored. */
void pyreactor_rt_prefault(wasm_rt_memory_t *memory, uint64_t start, uint64_t len)
{
  if (start > memory->size || len > memory->size - start || len == 0)
    return;
  uintptr_t page = (uintptr_t)guest_host_page();
  uintptr_t from = (uintptr_t)(memory->data + start) & ~(page - 1);
  uintptr_t to = (uintptr_t)(memory->data + start + len);
#ifdef MADV_POPULATE_WRITE
  madvise((void *)from, to - from, MADV_POPULATE_WRITE);
#else
  (void)from;
  (void)to;
#endif
}

wasm_hot_pages *wasm_image_hot(void)
{
  return mapped_here ? &image_hot : NULL;
}

int wasm_image_enable(int on)
{
  pthread_mutex_lock(&image_lock);
  int was = !disabled;
  disabled = !on;
  pthread_mutex_unlock(&image_lock);
  return was;
}

size_t wasm_image_bytes(void)
{
  return image.fd >= 0 ? (size_t)(image.to - image.from) : 0;
}
