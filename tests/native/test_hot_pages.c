/*
** test_hot_pages.c -- the pages a new instance's first calls write are
** learned from the first instance of an image and populated in later ones
** (hosts/native/runtime/wasm_hot_pages.c): before their first call, and
** without changing a byte of what the instance sees.
**
** Its own program: learning happens once per image per process, so the
** cases must see the process before any other instance was called.
*/
#include "pyreactor.h"
#include "pyreactor_testing.h"
#include "test_util.h"

#include <fcntl.h>
#include <stdint.h>
#include <unistd.h>

/* Pages of [base, base + size) the process holds privately (written since
** mapped): /proc/self/pagemap, present and not file-backed. -1 on error. */
static long private_pages(const void *base, size_t size)
{
  int fd = open("/proc/self/pagemap", O_RDONLY);
  if (fd < 0)
    return -1;
  size_t n = size / 4096;
  uint64_t *e = malloc(n * sizeof *e);
  long count = -1;
  if (e != NULL && pread(fd, e, n * sizeof *e, (off_t)((uintptr_t)base / 4096 * sizeof *e)) ==
                       (ssize_t)(n * sizeof *e)) {
    count = 0;
    for (size_t i = 0; i < n; i++)
      count += (e[i] >> 63) && !((e[i] >> 61) & 1);
  }
  free(e);
  close(fd);
  return count;
}

static long fresh_private(pyreactor *p)
{
  const void *base;
  size_t size;
  return pyreactor_testing_memory(p, &base, &size) == PYREACTOR_OK ? private_pages(base, size) : -1;
}

static int first_calls(pyreactor *p)
{
  return pyreactor_register_def(p, "f", "import json\ndef f(x):\n    return json.dumps({'x': x})\n") ==
             PYREACTOR_OK &&
         pyreactor_apply_def(p, "f", "[7]") == PYREACTOR_OK && t_streq(pyreactor_result(p, NULL), "\"{\\\"x\\\": 7}\"");
}

/* The cases for one image: the compiled module's (module NULL) or a
** module loaded at run time (pyreactor_options.module_path). */
static void hot_pages_of(const char *module)
{
  pyreactor_options o;
  pyreactor_options_init(&o);
  o.module_path = module;
  pyreactor *a = t_open(&o);
  long a_fresh = fresh_private(a);
  const void *ab;
  size_t as;
  pyreactor_testing_memory(a, &ab, &as);
  uint8_t *pristine = malloc(as); /* reading maps no private page */
  if (pristine == NULL)
    exit(2);
  memcpy(pristine, ab, as);
  T_CHECK("nothing learned before a call", pyreactor_testing_hot_pages(a) == 0, "%zu pages",
          pyreactor_testing_hot_pages(a));
  T_CHECK("first instance calls", first_calls(a), "%s", pyreactor_errmsg(a));
  size_t learned = pyreactor_testing_hot_pages(a);
  T_CHECK("learned after the first apply", learned >= 16 && learned <= 4096, "%zu pages", learned);

  /* A later instance holds the learned pages before it runs anything. */
  pyreactor *b = t_open(&o);
  long b_fresh = fresh_private(b);
  T_CHECK("populated before any call", b_fresh >= a_fresh + (long)learned - 8,
          "fresh instance: %ld private pages (the first had %ld, %zu learned)", b_fresh, a_fresh, learned);

  /* Populating changes when pages are copied, not what they hold: the
  ** memory is byte for byte the first instance's before its first call,
  ** and (compiled module) a copy of the data segments. */
  const void *bb;
  size_t bs;
  pyreactor_testing_memory(b, &bb, &bs);
  T_CHECK("same bytes as unpopulated", bs == as && memcmp(bb, pristine, bs) == 0,
          "a populated memory differs from an unpopulated one");
  free(pristine);
  if (module == NULL) {
    int was = pyreactor_testing_image(0);
    pyreactor *c = t_open(&o);
    pyreactor_testing_image(was);
    const void *cb;
    size_t cs;
    pyreactor_testing_memory(c, &cb, &cs);
    T_CHECK("same bytes as a copy", bs == cs && memcmp(bb, cb, bs) == 0, "populated and copied memories differ");
    T_CHECK("copy path learns nothing", pyreactor_testing_hot_pages(c) == 0, "%zu",
            pyreactor_testing_hot_pages(c));
    T_CHECK("copied instance calls", first_calls(c), "%s", pyreactor_errmsg(c));
    pyreactor_close(c);
  }
  T_CHECK("populated instance calls", first_calls(b), "%s", pyreactor_errmsg(b));
  T_CHECK("learned once", pyreactor_testing_hot_pages(b) == learned, "%zu then %zu", learned,
          pyreactor_testing_hot_pages(b));

  /* Reset makes a fresh guest from the image: populated again. */
  T_CHECK("reset", pyreactor_reset(b) == PYREACTOR_OK, "%s", pyreactor_errmsg(b));
  long after_reset = fresh_private(b);
  T_CHECK("populated after reset", after_reset >= a_fresh + (long)learned - 8, "%ld private pages after reset",
          after_reset);
  T_CHECK("reset instance calls", first_calls(b), "%s", pyreactor_errmsg(b));
  pyreactor_close(b);
  pyreactor_close(a);
}

/* argv[1]: a module to load at run time as well (the build's own
** python-reactor.wasm will do: its code is the compiled one). */
int main(int argc, char **argv)
{
  hot_pages_of(NULL);
  if (argc > 1)
    hot_pages_of(argv[1]);
  return t_summary("hot pages");
}
