/*
** pyreactor_pack.c -- `pyreactor pack` (docs/packages.md).
**
** The guest does the Python part (guest/_reactor_pack.py), natively, in
** two instances of the module this library was compiled from:
**   1. granted each package directory read-only (at its own absolute
**      path, so that messages name the real files), a cell builds the
**      pack: every module compiled by the guest's own compile(), C
**      extensions refused, everything marshalled and compressed;
**   2. granted nothing, with clocks and random bytes a fixed sequence, a
**      cell takes the pack from the host function `pack_blob`, installs
**      its importer, imports the --preload modules and re-arms what an
**      instance made from a snapshot redoes at its first call.
** This file then writes the second instance's memory and globals into a
** copy of the base module (wasm_module_write_snapshot): the code is the
** base's byte for byte, which pyr_module_check verifies when a pack is
** loaded. The same inputs give the same bytes.
*/
#include "pyreactor_pack.h"

#include "json_writer.h"
#include "pyreactor_internal.h"
#include "wasm_module.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* What the build recorded about the module compiled in (native.mk,
** hosts/native/wasm2c/wasm_module_info.c). Absent only in the PGO
** training build, which packs nothing: every module is then refused. */
#if __has_include("guest_module.h")
#include "guest_module.h"
#else
#define PYR_GUEST_CODE_HASH 0ull
#define PYR_GUEST_N_GLOBALS 0u
#define PYR_GUEST_GLOBAL_TYPES ""
#define PYR_GUEST_MEMORY_MIN 0u
#define PYR_GUEST_NO_INFO 1
#endif

#define MAX_MODULE_BYTES ((size_t)1 << 30)


uint8_t *pyr_read_file(const char *path, size_t *len, char *err, size_t errlen)
{
  *len = 0;
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    wasm_module_errorf(err, errlen, "cannot open %s: %s", path, strerror(errno));
    return NULL;
  }
  struct stat st;
  if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) || (uint64_t)st.st_size > MAX_MODULE_BYTES) {
    wasm_module_errorf(err, errlen, "%s: not a regular file of at most 1 GiB", path);
    close(fd);
    return NULL;
  }
  size_t size = (size_t)st.st_size;
  uint8_t *b = malloc(size > 0 ? size : 1);
  size_t got = 0;
  while (b != NULL && got < size) {
    ssize_t n = read(fd, b + got, size - got);
    if (n < 0 && errno == EINTR)
      continue;
    if (n <= 0) {
      wasm_module_errorf(err, errlen, "cannot read %s: %s", path, n < 0 ? strerror(errno) : "file shrank");
      free(b);
      close(fd);
      return NULL;
    }
    got += (size_t)n;
  }
  close(fd);
  if (b == NULL)
    wasm_module_errorf(err, errlen, "out of memory reading %s", path);
  *len = size;
  return b;
}

static int check_parsed(const wasm_module *m, char *err, size_t errlen)
{
#ifdef PYR_GUEST_NO_INFO
  (void)m;
  return wasm_module_errorf(err, errlen, "this build of the library records no module (PGO training build)");
#else
  if (wasm_module_code_hash(m) != PYR_GUEST_CODE_HASH)
    return wasm_module_errorf(err, errlen, "its code is not the code compiled into this library "
                              "(only a module made by `pyreactor pack` from the same build's "
                              PYREACTOR_MODULE_FILE " can be loaded without recompiling)");
  static const char types[] = PYR_GUEST_GLOBAL_TYPES;
  if (m->n_globals != PYR_GUEST_N_GLOBALS)
    return wasm_module_errorf(err, errlen, "it has %u globals where the compiled module has %u", m->n_globals,
                 PYR_GUEST_N_GLOBALS);
  for (uint32_t i = 0; i < m->n_globals; i++)
    if (m->globals[i].type != (uint8_t)types[2 * i] || m->globals[i].mutable_ != (types[2 * i + 1] != 0))
      return wasm_module_errorf(err, errlen, "its global %u differs in type from the compiled module's", i);
  if (m->mem_min < PYR_GUEST_MEMORY_MIN)
    return wasm_module_errorf(err, errlen, "its memory (%u pages) is smaller than the compiled module's (%u)", m->mem_min,
                 PYR_GUEST_MEMORY_MIN);
  return 0;
#endif
}

int pyr_module_check(const uint8_t *bytes, size_t len, char *err, size_t errlen)
{
  wasm_module m;
  if (wasm_module_parse(&m, bytes, len, err, errlen) != 0)
    return -1;
  int rc = check_parsed(&m, err, errlen);
  wasm_module_free(&m);
  return rc;
}

/* The text of a cell calling _reactor_pack.FN(LIST), LIST being `items`
** as a JSON array of strings (which Python reads as a list of str). */
static char *cell(const char *fn, const char *const *items, size_t n, size_t *len)
{
  jbuf b;
  jbuf_init(&b);
  jbuf_adds(&b, "__import__(\"_reactor_pack\").");
  jbuf_adds(&b, fn);
  jbuf_adds(&b, "([");
  for (size_t i = 0; i < n; i++) {
    if (i > 0)
      jbuf_adds(&b, ", ");
    jbuf_add_json_string(&b, items[i], strlen(items[i]));
  }
  jbuf_adds(&b, "])");
  return jbuf_take(&b, len);
}

/* The last call's error as "Type: message". */
static int call_failed(pyreactor *p, const char *what, char *err, size_t errlen)
{
  const char *type = pyreactor_error_type(p), *message = pyreactor_error_message(p);
  return wasm_module_errorf(err, errlen, "%s: %s: %s", what, type != NULL ? type : "Error",
               message != NULL ? message : pyreactor_errmsg(p));
}

static char *copy_result(pyreactor *p, size_t *len)
{
  const char *text = pyreactor_result(p, len);
  char *copy = malloc(*len + 1);
  if (copy != NULL)
    memcpy(copy, text, *len + 1);
  return copy;
}

/* Step 1: the pack's blob (a JSON string of base64) and its figures. */
static int build(const pyr_pack_options *o, char **blob, size_t *blob_len, char **stats, char *err,
                 size_t errlen)
{
  int status = -1;
  size_t n = o->n_dirs;
  char **paths = calloc(n > 0 ? n : 1, sizeof *paths);
  pyreactor_dir *dirs = calloc(n > 0 ? n : 1, sizeof *dirs);
  char *code = NULL;
  pyreactor *p = NULL;
  if (paths == NULL || dirs == NULL) {
    wasm_module_errorf(err, errlen, "out of memory");
    goto done;
  }
  for (size_t i = 0; i < n; i++) {
    paths[i] = realpath(o->dirs[i], NULL);
    struct stat st;
    if (paths[i] == NULL || stat(paths[i], &st) != 0 || !S_ISDIR(st.st_mode)) {
      wasm_module_errorf(err, errlen, "--packages %s: %s", o->dirs[i], paths[i] == NULL ? strerror(errno) : "not a directory");
      goto done;
    }
    dirs[i] = (pyreactor_dir){paths[i], paths[i], 1};
  }
  pyreactor_options opts;
  pyreactor_options_init(&opts);
  opts.dirs = dirs;
  opts.n_dirs = n;
  if (pyreactor_open(&opts, &p) != PYREACTOR_OK) {
    wasm_module_errorf(err, errlen, "cannot start the guest: %s", pyreactor_errmsg(p));
    goto done;
  }
  size_t len;
  code = cell("build", (const char *const *)paths, n, &len);
  if (code == NULL) {
    wasm_module_errorf(err, errlen, "out of memory");
    goto done;
  }
  if (pyreactor_call(p, PYREACTOR_OP_RUN, NULL, 0, code, len) != PYREACTOR_OK) {
    call_failed(p, "packing", err, errlen);
    goto done;
  }
  *blob = copy_result(p, blob_len);
  static const char stats_cell[] = "__import__(\"_reactor_pack\")._stats";
  if (*blob == NULL || pyreactor_call(p, PYREACTOR_OP_RUN, NULL, 0, stats_cell, sizeof stats_cell - 1) != PYREACTOR_OK ||
      (*stats = copy_result(p, &len)) == NULL) {
    free(*blob);
    *blob = NULL;
    wasm_module_errorf(err, errlen, "out of memory");
    goto done;
  }
  status = 0;
done:
  pyreactor_close(p);
  free(code);
  for (size_t i = 0; paths != NULL && i < n; i++)
    free(paths[i]);
  free(paths);
  free(dirs);
  return status;
}

typedef struct blob_ref {
  const char *text;
  size_t len;
} blob_ref;

static int pack_blob(pyreactor_call_ctx *call, const char *name, const char *args, size_t args_len, void *user)
{
  (void)name;
  (void)args;
  (void)args_len;
  const blob_ref *b = user;
  return pyreactor_reply_ok(call, b->text, b->len);
}

/* Writes data to `out` through a temporary file beside it. */
static int write_file(const char *out, const uint8_t *data, size_t len, char *err, size_t errlen)
{
  size_t n = strlen(out);
  char *tmp = malloc(n + 16);
  if (tmp == NULL)
    return wasm_module_errorf(err, errlen, "out of memory");
  snprintf(tmp, n + 16, "%s.tmp.XXXXXX", out);
  int fd = mkstemp(tmp);
  if (fd < 0) {
    wasm_module_errorf(err, errlen, "cannot create a file beside %s: %s", out, strerror(errno));
    free(tmp);
    return -1;
  }
  size_t done = 0;
  int rc = 0;
  while (done < len) {
    ssize_t w = write(fd, data + done, len - done);
    if (w < 0 && errno == EINTR)
      continue;
    if (w <= 0) {
      rc = wasm_module_errorf(err, errlen, "cannot write %s: %s", tmp, strerror(errno));
      break;
    }
    done += (size_t)w;
  }
  if (rc == 0 && fchmod(fd, 0644) != 0)
    rc = wasm_module_errorf(err, errlen, "cannot chmod %s: %s", tmp, strerror(errno));
  if (close(fd) != 0 && rc == 0)
    rc = wasm_module_errorf(err, errlen, "cannot write %s: %s", tmp, strerror(errno));
  if (rc == 0 && rename(tmp, out) != 0)
    rc = wasm_module_errorf(err, errlen, "cannot rename %s to %s: %s", tmp, out, strerror(errno));
  if (rc != 0)
    unlink(tmp);
  free(tmp);
  return rc;
}

/* Step 2 and the module: the snapshot instance, its memory written out. */
static int snapshot(const pyr_pack_options *o, const wasm_module *base, const char *blob, size_t blob_len,
                    pyr_pack_report *r, char *err, size_t errlen)
{
  blob_ref ref = {blob, blob_len};
  pyreactor_host_function fn = {"pack_blob", pack_blob, &ref};
  pyreactor_options opts;
  pyreactor_options_init(&opts);
  opts.host_functions = &fn;
  opts.n_host_functions = 1;
  pyreactor *p = NULL;
  char *code = NULL;
  uint8_t *module = NULL;
  int status = -1;
  if (pyr_open(&opts, true, &p) != PYREACTOR_OK) {
    wasm_module_errorf(err, errlen, "cannot start the guest: %s", pyreactor_errmsg(p));
    goto done;
  }
  size_t len;
  code = cell("snapshot", o->preload, o->n_preload, &len);
  if (code == NULL) {
    wasm_module_errorf(err, errlen, "out of memory");
    goto done;
  }
  uint64_t t0 = pyr_now_ns();
  if (pyreactor_call(p, PYREACTOR_OP_RUN, NULL, 0, code, len) != PYREACTOR_OK) {
    call_failed(p, "importing the --preload modules", err, errlen);
    goto done;
  }
  uint64_t t1 = pyr_now_ns();
  r->snapshot_ns = t1 - t0;
  /* Between calls the stack pointer is back at its start and everything
  ** below it is dead: it goes out as zeros (the stack comes first in
  ** memory, --stack-first). */
  uint64_t globals[1] = {p->guest.w2c_g0};
  if (base->n_globals != 1 || base->globals[0].type != 0x7f || globals[0] != base->globals[0].value) {
    wasm_module_errorf(err, errlen, "the guest's stack pointer is not where it starts (%llu)", (unsigned long long)globals[0]);
    goto done;
  }
  const wasm_rt_memory_t *mem = &p->guest.w2c_memory;
  size_t out_len;
  if (wasm_module_write_snapshot(base, mem->data, (size_t)mem->size, (size_t)globals[0], globals, &module,
                                 &out_len, err, errlen) != 0)
    goto done;
  if (write_file(o->out, module, out_len, err, errlen) != 0)
    goto done;
  r->write_ns = pyr_now_ns() - t1;
  r->out_bytes = out_len;
  status = 0;
done:
  free(module);
  free(code);
  pyreactor_close(p);
  return status;
}

int pyr_pack(const pyr_pack_options *o, pyr_pack_report *r, char *err, size_t errlen)
{
  memset(r, 0, sizeof *r);
  size_t base_len = 0;
  uint8_t *base_bytes = pyr_read_file(o->base, &base_len, err, errlen);
  if (base_bytes == NULL)
    return -1;
  r->base_bytes = base_len;
  wasm_module base;
  char why[512];
  if (wasm_module_parse(&base, base_bytes, base_len, why, sizeof why) != 0) {
    wasm_module_errorf(err, errlen, "%s: %s", o->base, why);
    free(base_bytes);
    return -1;
  }
  int status = -1;
  char *blob = NULL;
  size_t blob_len = 0;
  if (check_parsed(&base, why, sizeof why) != 0) {
    wasm_module_errorf(err, errlen, "%s: %s", o->base, why);
    goto done;
  }
  uint64_t t0 = pyr_now_ns();
  if (build(o, &blob, &blob_len, &r->stats, err, errlen) != 0)
    goto done;
  r->build_ns = pyr_now_ns() - t0;
  status = snapshot(o, &base, blob, blob_len, r, err, errlen);
done:
  if (status != 0) {
    free(r->stats);
    r->stats = NULL;
  }
  free(blob);
  wasm_module_free(&base);
  free(base_bytes);
  return status;
}
