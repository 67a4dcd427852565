/*
** pyreactor_module.c -- instances of a module made by `pyreactor pack`,
** loaded at run time without recompiling (pyreactor_options.module_path,
** docs/packages.md).
**
** Such a module has the code compiled into this library (checked: its code
** hash, globals and memory, see pyr_module_check); only its memory image
** and globals differ. So an instance is made as usual from the compiled
** module, then, before any guest code runs, its memory is replaced by the
** pack's image and its globals set to the pack's values. The image is
** built once per file (a sealed memfd, as wasm_memory_image.c does for the
** compiled module) and mapped copy-on-write by every instance of it; a
** process-wide cache, keyed by the file's identity (device, inode, size,
** modification time), shares it between handles, and keeps the images of
** up to KEEP_UNUSED modules no handle uses any more, so that opening a
** pack again costs what opening the compiled module costs (the image is
** process-wide state for the same reason as the compiled module's).
*/
#include "pyreactor_module.h"

#include "pyreactor_pack.h"
#include "wasm_module.h"

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

struct pyr_module {
  struct pyr_module *next; /* the cache's list */
  unsigned refs;           /* handles using it (the cache's own: none) */
  dev_t dev;
  ino_t ino;
  off_t size;
  struct timespec mtime;
  uint32_t pages;       /* initial memory */
  uint64_t global0;     /* the stack pointer's start */
  uint64_t from, to;    /* image range, host-page aligned */
  int fd;               /* sealed memfd of [from, to), or -1: */
  uint8_t *copy;        /*   the image in the heap instead */
  wasm_hot_pages hot;   /* learned from the first instance (fd >= 0 only) */
};

static pthread_mutex_t cache_lock = PTHREAD_MUTEX_INITIALIZER;
static pyr_module *cache; /* most recently opened first */

#define KEEP_UNUSED 4


/* The image of m's segments: a sealed memfd, or the heap when no memfd
** can be made. */
static int build_image(pyr_module *pm, const wasm_module *m, char *err, size_t errlen)
{
  pm->fd = -1;
  if (!wasm_image_span(m->segments, m->n_segments, &pm->from, &pm->to)) { /* no data at all */
    pm->from = pm->to = 0;
    return 0;
  }
  /* wasm_module_parse checked every segment against the bytes and the
  ** initial memory. */
  int fd = wasm_image_sealed_fd("pyreactor-pack-image", m->bytes, m->segments, m->n_segments, pm->from, pm->to);
  if (fd == -2)
    return wasm_module_errorf(err, errlen, "cannot seal the module's image: %s", strerror(errno));
  if (fd >= 0) {
    pm->fd = fd;
    return 0;
  }
  size_t len = (size_t)(pm->to - pm->from);
  if ((pm->copy = calloc(1, len)) == NULL)
    return wasm_module_errorf(err, errlen, "out of memory for the module's image (%zu bytes)", len);
  wasm_image_write(pm->copy, pm->from, m->bytes, m->segments, m->n_segments);
  return 0;
}

static void module_free(pyr_module *pm)
{
  if (pm == NULL)
    return;
  if (pm->fd >= 0)
    close(pm->fd);
  free(pm->copy);
  wasm_hot_pages_free(&pm->hot);
  free(pm);
}

static pyr_module *load(const char *path, const struct stat *st, char *err, size_t errlen)
{
  char why[512];
  size_t len;
  uint8_t *bytes = pyr_read_file(path, &len, err, errlen);
  if (bytes == NULL)
    return NULL;
  wasm_module m;
  pyr_module *pm = NULL;
  if (wasm_module_parse(&m, bytes, len, why, sizeof why) != 0) {
    wasm_module_errorf(err, errlen, "%s: %s", path, why);
    free(bytes);
    return NULL;
  }
  if (pyr_module_check(bytes, len, why, sizeof why) != 0) {
    wasm_module_errorf(err, errlen, "%s: %s", path, why);
    goto done;
  }
  pm = calloc(1, sizeof *pm);
  if (pm == NULL) {
    wasm_module_errorf(err, errlen, "out of memory");
    goto done;
  }
  pm->dev = st->st_dev;
  pm->ino = st->st_ino;
  pm->size = st->st_size;
  pm->mtime = st->st_mtim;
  pm->pages = m.mem_min;
  pm->global0 = m.globals[0].value;
  if (build_image(pm, &m, err, errlen) != 0) {
    free(pm);
    pm = NULL;
  }
done:
  wasm_module_free(&m);
  free(bytes);
  return pm;
}

int pyr_module_open(const char *path, pyr_module **out, char *err, size_t errlen)
{
  *out = NULL;
  struct stat st;
  if (stat(path, &st) != 0)
    return wasm_module_errorf(err, errlen, "cannot open %s: %s", path, strerror(errno));
  pthread_mutex_lock(&cache_lock);
  for (pyr_module **at = &cache; *at != NULL; at = &(*at)->next) {
    pyr_module *c = *at;
    if (c->dev == st.st_dev && c->ino == st.st_ino && c->size == st.st_size &&
        c->mtime.tv_sec == st.st_mtim.tv_sec && c->mtime.tv_nsec == st.st_mtim.tv_nsec) {
      c->refs++;
      *at = c->next; /* to the front */
      c->next = cache;
      cache = c;
      *out = c;
      break;
    }
  }
  pthread_mutex_unlock(&cache_lock);
  if (*out != NULL)
    return 0;
  /* Loaded outside the lock (it reads and copies megabytes); two threads
  ** loading the same file at once each keep their own. */
  pyr_module *pm = load(path, &st, err, errlen);
  if (pm == NULL)
    return -1;
  pm->refs = 1;
  pyr_module *evicted = NULL;
  pthread_mutex_lock(&cache_lock);
  pm->next = cache;
  cache = pm;
  /* Unused images past the first KEEP_UNUSED go. */
  unsigned unused = 0;
  for (pyr_module **at = &cache; *at != NULL;) {
    pyr_module *c = *at;
    if (c->refs == 0 && ++unused > KEEP_UNUSED) {
      *at = c->next;
      c->next = evicted;
      evicted = c;
    } else {
      at = &c->next;
    }
  }
  pthread_mutex_unlock(&cache_lock);
  while (evicted != NULL) {
    pyr_module *next = evicted->next;
    module_free(evicted);
    evicted = next;
  }
  *out = pm;
  return 0;
}

void pyr_module_release(pyr_module *pm)
{
  if (pm == NULL)
    return;
  pthread_mutex_lock(&cache_lock);
  pm->refs--; /* kept in the cache; pyr_module_open evicts the unused ones */
  pthread_mutex_unlock(&cache_lock);
}

wasm_hot_pages *pyr_module_hot(pyr_module *pm)
{
  return pm->fd >= 0 ? &pm->hot : NULL;
}

void pyr_module_apply(const pyr_module *pm, wasm_rt_memory_t *memory, uint32_t *global0)
{
  if (pm->pages > memory->pages &&
      wasm_rt_grow_memory(memory, pm->pages - memory->pages) == UINT32_MAX) {
    memory->pages = pm->pages; /* what the refusal says the module needs */
    guest_trap(GUEST_TRAP_MEMORY_CAP);
  }
  /* The compiled module's image goes (zero pages instead), the pack's
  ** comes, copy-on-write. */
  size_t size = (size_t)memory->pages * 65536u;
  if (mmap(memory->data, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0) ==
      MAP_FAILED)
    guest_trap(GUEST_TRAP_HOST_NOMEM);
  size_t len = (size_t)(pm->to - pm->from);
  if (len > 0 && pm->fd >= 0) {
    void *at = memory->data + pm->from;
    if (mmap(at, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_FIXED, pm->fd, 0) != at)
      guest_trap(GUEST_TRAP_HOST_NOMEM);
  } else if (len > 0) {
    memcpy(memory->data + pm->from, pm->copy, len);
  }
  *global0 = (uint32_t)pm->global0;
}
