/*
** test_packs.c -- issue 15 (docs/packages.md) in the C library: the wasm
** reader against truncated and corrupted modules, the pack writer's
** output read back (memory, globals, segments, same code), and
** pyreactor_options.module_path: a pack made here runs, survives a reset
** and a trap, and a module with other code is refused.
**
**   test_packs BASE.wasm PYREACTOR   (build/python-reactor.wasm build/pyreactor)
*/
#include "pyreactor.h"
#include "pyreactor_pack.h"
#include "test_util.h"
#include "wasm_module.h"

#include <stdint.h>
#include <sys/stat.h>
#include <unistd.h>

static const char *base_path;

static void test_parse_base(const uint8_t *b, size_t len, wasm_module *m)
{
  char err[512] = "";
  T_CHECK("parse base", wasm_module_parse(m, b, len, err, sizeof err) == 0, "%s", err);
  T_CHECK("base has the compiled code", pyr_module_check(b, len, err, sizeof err) == 0, "%s", err);
  T_CHECK("base memory", m->mem_min >= 256 && m->n_segments > 100, "min %u, %u segments", m->mem_min,
          m->n_segments);
  T_CHECK("base globals", m->n_globals == 1 && m->globals[0].type == 0x7f && m->globals[0].mutable_,
          "%u globals", m->n_globals);
}

static int is_section_end(const wasm_module *m, size_t at)
{
  for (size_t i = 0; i < m->n_sections; i++)
    if (m->sections[i].payload + m->sections[i].size == at)
      return 1;
  return 0;
}

/* Every cut inside a section is refused (and read nothing past the cut:
** the buffer given is exactly the prefix, so ASan sees any overread). */
static void test_truncated(const uint8_t *b, size_t len, const wasm_module *full)
{
  size_t wrong = 0, tried = 0;
  for (size_t cut = 0; cut < len; cut += cut < 20000 ? 1 : 49999) {
    uint8_t *prefix = malloc(cut > 0 ? cut : 1);
    memcpy(prefix, b, cut);
    wasm_module m;
    char err[256];
    int rc = wasm_module_parse(&m, prefix, cut, err, sizeof err);
    if (rc == 0)
      wasm_module_free(&m);
    if (rc == 0 && !is_section_end(full, cut))
      wrong++;
    tried++;
    free(prefix);
  }
  T_CHECK("truncated modules refused", wrong == 0 && tried > 20000, "%zu of %zu cuts accepted", wrong, tried);
}

/* Corrupted bytes in the sections the reader interprets: never a crash, and
** anything accepted still has its segments inside the file and memory. */
static void test_corrupted(const uint8_t *b, size_t len, const wasm_module *full)
{
  uint8_t *copy = malloc(len);
  uint64_t seed = 0x1234567;
  size_t accepted = 0, bad = 0;
  const wasm_section *data = NULL;
  for (size_t i = 0; i < full->n_sections; i++)
    if (full->sections[i].id == WASM_SECTION_DATA)
      data = &full->sections[i];
  for (int round = 0; round < 3000; round++) {
    memcpy(copy, b, len);
    for (int k = 0; k < 4; k++) {
      seed = seed * 6364136223846793005u + 1442695040888963407u;
      size_t span = round % 2 ? 0x3000 : 64; /* the headers, or the data section's start */
      size_t at = (round % 2 ? 0 : data->at) + (size_t)(seed >> 33) % span;
      copy[at < len ? at : len - 1] ^= (uint8_t)(seed >> 20) | 1;
    }
    wasm_module m;
    char err[256];
    if (wasm_module_parse(&m, copy, len, err, sizeof err) == 0) {
      accepted++;
      for (uint32_t s = 0; s < m.n_segments; s++)
        if (m.segments[s].at + m.segments[s].size > len ||
            (uint64_t)m.segments[s].addr + m.segments[s].size > (uint64_t)m.mem_min * WASM_PAGE_SIZE)
          bad++;
      wasm_module_free(&m);
    }
  }
  T_CHECK("corrupted modules", bad == 0, "%zu segments out of bounds in %zu accepted", bad, accepted);
  free(copy);
}

/* memory rebuilt from a module's segments */
static uint8_t *image_of(const wasm_module *m)
{
  uint8_t *mem = calloc((size_t)m->mem_min, WASM_PAGE_SIZE);
  for (uint32_t s = 0; mem != NULL && s < m->n_segments; s++)
    memcpy(mem + m->segments[s].addr, m->bytes + m->segments[s].at, m->segments[s].size);
  return mem;
}

static void test_writer(const wasm_module *base)
{
  size_t pages = base->mem_min + 3, size = pages * WASM_PAGE_SIZE, dead = 8u << 20;
  uint8_t *mem = calloc(pages, WASM_PAGE_SIZE);
  for (size_t i = 0; i < size; i += 4099)
    mem[i] = (uint8_t)(i * 7 + 1); /* isolated bytes everywhere, some in the dead stack */
  memset(mem + dead + 1000, 0xab, 50000);
  mem[size - 1] = 9;
  uint64_t globals[1] = {123456};
  uint8_t *out = NULL, *again = NULL;
  size_t out_len = 0, again_len = 0;
  char err[512] = "";
  int rc = wasm_module_write_snapshot(base, mem, size, dead, globals, &out, &out_len, err, sizeof err);
  T_CHECK("write", rc == 0, "%s", err);
  if (rc != 0)
    return;
  wasm_module_write_snapshot(base, mem, size, dead, globals, &again, &again_len, err, sizeof err);
  T_CHECK("write is deterministic", again != NULL && again_len == out_len && memcmp(out, again, out_len) == 0,
          "two writes differ");
  wasm_module m;
  rc = wasm_module_parse(&m, out, out_len, err, sizeof err);
  T_CHECK("written module parses", rc == 0, "%s", err);
  if (rc == 0) {
    T_CHECK("same code", wasm_module_code_hash(&m) == wasm_module_code_hash(base), "code hash differs");
    T_CHECK("memory grown", m.mem_min == pages, "%u pages, expected %zu", m.mem_min, pages);
    T_CHECK("global", m.n_globals == 1 && m.globals[0].value == 123456, "global %llu",
            (unsigned long long)m.globals[0].value);
    T_CHECK("segment limit", m.n_segments <= 10000, "%u segments", m.n_segments);
    memset(mem, 0, dead); /* the dead stack goes out as zeros */
    uint8_t *img = image_of(&m);
    T_CHECK("image is the memory", img != NULL && memcmp(img, mem, size) == 0, "the segments differ from memory");
    free(img);
    wasm_module_free(&m);
  }
  /* Too many runs for 10000 segments: the gaps grow until they fit. */
  memset(mem, 0, size);
  for (size_t i = dead; i < size; i += 40)
    mem[i] = 1;
  free(out);
  rc = wasm_module_write_snapshot(base, mem, size, dead, globals, &out, &out_len, err, sizeof err);
  if (rc == 0 && wasm_module_parse(&m, out, out_len, err, sizeof err) == 0) {
    uint8_t *img = image_of(&m);
    T_CHECK("many runs joined", m.n_segments <= 10000 && img != NULL && memcmp(img, mem, size) == 0, "%u segments",
            m.n_segments);
    free(img);
    wasm_module_free(&m);
  } else {
    t_fail("many runs", "%s", err);
  }
  free(out);
  free(again);
  free(mem);
}

static int write_text(const char *path, const char *text)
{
  FILE *f = fopen(path, "w");
  if (f == NULL)
    return -1;
  fputs(text, f);
  return fclose(f);
}

static const char *call(pyreactor *p, const char *code)
{
  int rc = pyreactor_call(p, PYREACTOR_OP_RUN, NULL, 0, code, strlen(code));
  return rc == PYREACTOR_OK ? pyreactor_result(p, NULL) : pyreactor_errmsg(p);
}

static void test_module_path(const char *dir)
{
  char pkg[600], out[600], err[2048] = "";
  snprintf(pkg, sizeof pkg, "%s/site/tpkg", dir);
  snprintf(out, sizeof out, "%s/t.wasm", dir);
  char site[600];
  snprintf(site, sizeof site, "%s/site", dir);
  mkdir(site, 0755);
  mkdir(pkg, 0755);
  char f[700];
  snprintf(f, sizeof f, "%s/__init__.py", pkg);
  write_text(f, "import importlib.resources as r\nGREETING = r.files(__name__).joinpath('g.txt').read_text()\n");
  snprintf(f, sizeof f, "%s/g.txt", pkg);
  write_text(f, "hi from the pack");
  const char *dirs[] = {site}, *pre[] = {"tpkg"};
  pyr_pack_options o = {dirs, 1, pre, 1, base_path, out};
  pyr_pack_report r;
  int rc = pyr_pack(&o, &r, err, sizeof err);
  T_CHECK("pack", rc == 0, "%s", err);
  if (rc != 0)
    return;
  free(r.stats);

  pyreactor_options opts;
  pyreactor_options_init(&opts);
  opts.module_path = out;
  pyreactor *p = NULL;
  rc = pyreactor_open(&opts, &p);
  T_CHECK("open the pack", rc == PYREACTOR_OK, "%s", pyreactor_errmsg(p));
  if (rc == PYREACTOR_OK) {
    const char *preloaded = "import sys\n['tpkg' in sys.modules, sys.modules['tpkg'].GREETING]";
    T_CHECK("preloaded", t_streq(call(p, preloaded), "[true,\"hi from the pack\"]"), "%s", pyreactor_result(p, NULL));
    T_CHECK("reset", pyreactor_reset(p) == PYREACTOR_OK && t_streq(call(p, preloaded), "[true,\"hi from the pack\"]"),
            "%s", pyreactor_result(p, NULL));
    pyreactor_register_def(p, "boom", "import ctypes\n" /* fails: no ctypes */);
    pyreactor_register_module(p, "m", "X = 5\n");
    rc = pyreactor_call(p, PYREACTOR_OP_RUN, NULL, 0, "import os\nos.abort()", 20);
    T_CHECK("trap", rc == PYREACTOR_TRAP, "rc %d: %s", rc, pyreactor_result(p, NULL));
    T_CHECK("rebuilt from the pack", t_streq(call(p, "import m, tpkg\n[m.X, tpkg.GREETING]"), "[5,\"hi from the pack\"]"),
            "%s", pyreactor_result(p, NULL));
  }
  pyreactor_close(p);
  /* A second handle shares the image (same file). */
  pyreactor *q = NULL;
  rc = pyreactor_open(&opts, &q);
  T_CHECK("second handle", rc == PYREACTOR_OK && t_streq(call(q, "import tpkg\ntpkg.GREETING"), "\"hi from the pack\""),
          "%s", pyreactor_errmsg(q));
  pyreactor_close(q);

  /* Any other code is refused, saying why and naming the file. */
  char other[700];
  snprintf(other, sizeof other, "%s/other.wasm", dir);
  size_t len;
  uint8_t *b = pyr_read_file(out, &len, err, sizeof err);
  wasm_module m;
  if (b != NULL && wasm_module_parse(&m, b, len, err, sizeof err) == 0) {
    for (size_t i = 0; i < m.n_sections; i++)
      if (m.sections[i].id == WASM_SECTION_CODE)
        b[m.sections[i].payload + m.sections[i].size / 2] ^= 1; /* one bit of one function */
    wasm_module_free(&m);
    FILE *fp = fopen(other, "wb");
    fwrite(b, 1, len, fp);
    fclose(fp);
  }
  free(b);
  opts.module_path = other;
  rc = pyreactor_open(&opts, &q);
  const char *msg = pyreactor_error_message(q);
  T_CHECK("other code refused", rc == PYREACTOR_CANTOPEN && msg != NULL && strstr(msg, "other.wasm") != NULL &&
                                  strstr(msg, "not the code compiled into this library") != NULL,
          "rc %d: %s", rc, msg != NULL ? msg : "(none)");
  T_CHECK("its type", t_streq(pyreactor_error_type(q), "HostError"), "%s", pyreactor_error_type(q));
  pyreactor_close(q);
  opts.module_path = "/nonexistent/x.wasm";
  rc = pyreactor_open(&opts, &q);
  T_CHECK("missing file", rc == PYREACTOR_CANTOPEN && strstr(pyreactor_errmsg(q), "/nonexistent/x.wasm") != NULL,
          "rc %d: %s", rc, pyreactor_errmsg(q));
  pyreactor_close(q);
}

int main(int argc, char **argv)
{
  if (argc != 2) {
    fprintf(stderr, "usage: test_packs BASE.wasm\n");
    return 2;
  }
  base_path = argv[1];
  size_t len;
  char err[512];
  uint8_t *b = pyr_read_file(base_path, &len, err, sizeof err);
  if (b == NULL) {
    fprintf(stderr, "%s\n", err);
    return 1;
  }
  wasm_module base;
  test_parse_base(b, len, &base);
  test_truncated(b, len, &base);
  test_corrupted(b, len, &base);
  test_writer(&base);
  char dir[] = "/tmp/test_packs.XXXXXX";
  if (mkdtemp(dir) != NULL) {
    test_module_path(dir);
    char cmd[256];
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    if (system(cmd) != 0)
      fprintf(stderr, "could not remove %s\n", dir);
  }
  wasm_module_free(&base);
  free(b);
  return t_summary("native-packs");
}
