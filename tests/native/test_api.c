/*
** test_api.c -- the C API's promises: result codes, ownership, error
** fields, options (sinks, stdin, env, memory cap), misuse, re-entry from a
** sink, and several instances on several threads at once, trapping
** independently.
*/
#include "json_reader.h"
#include "pyreactor.h"
#include "pyreactor_testing.h"
#include "test_util.h"

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

/* JSON equality of two texts (the guest's spacing is its own business). */
static bool json_is(const char *got, const char *want)
{
  json_span a, b;
  return json_parse(got, strlen(got), &a, NULL) == JSON_OK &&
         json_parse(want, strlen(want), &b, NULL) == JSON_OK && json_equal(a, b, 100);
}

static void case_values_and_errors(void)
{
  pyreactor *p = t_open(NULL);
  T_CHECK("init", pyreactor_init(p) == PYREACTOR_OK && t_streq(pyreactor_result(p, NULL), "null"),
          "init: %s", pyreactor_result(p, NULL));
  T_CHECK("register", pyreactor_register_lambda(p, "big", "lambda: 2**100") == PYREACTOR_OK &&
                          t_streq(pyreactor_result(p, NULL), "\"big\""),
          "register: %s", pyreactor_result(p, NULL));
  /* Big integers come through as the guest wrote them. */
  T_CHECK("bigint", pyreactor_apply_lambda(p, "big", NULL) == PYREACTOR_OK &&
                        t_streq(pyreactor_result(p, NULL), "1267650600228229401496703205376"),
          "2**100: %s", pyreactor_result(p, NULL));
  T_CHECK("ok has no error", pyreactor_error_type(p) == NULL && t_streq(pyreactor_errmsg(p), "not an error"),
          "error fields set after OK");

  pyreactor_register_def(p, "div", "def div(a, b):\n    return a / b\n");
  int rc = pyreactor_apply_def(p, "div", "[1, 0]");
  T_CHECK("err code", rc == PYREACTOR_ERR, "1/0 gave %d", rc);
  T_CHECK("err type", t_streq(pyreactor_error_type(p), "ZeroDivisionError"), "type %s",
          pyreactor_error_type(p));
  T_CHECK("err message", t_streq(pyreactor_error_message(p), "division by zero"), "message %s",
          pyreactor_error_message(p));
  const char *tb = pyreactor_error_traceback(p);
  T_CHECK("err traceback", tb != NULL && strstr(tb, "ZeroDivisionError") != NULL, "traceback %s",
          tb ? tb : "(null)");
  T_CHECK("errmsg", t_streq(pyreactor_errmsg(p), "ZeroDivisionError: division by zero"), "errmsg %s",
          pyreactor_errmsg(p));
  T_CHECK("last code", pyreactor_last_code(p) == PYREACTOR_ERR, "last code");

  /* Keyword args, raw lengths with a NUL in the name (an err, not a crash). */
  T_CHECK("kwargs", pyreactor_apply_def(p, "div", "{\"a\": 9, \"b\": 3}") == PYREACTOR_OK &&
                        t_streq(pyreactor_result(p, NULL), "3.0"),
          "kwargs: %s", pyreactor_result(p, NULL));
  rc = pyreactor_call(p, PYREACTOR_OP_APPLY_DEF, "d\0iv", 4, "[1,1]", 5);
  T_CHECK("nul in name", rc == PYREACTOR_ERR && t_streq(pyreactor_error_type(p), "InvalidName"),
          "NUL name: %d %s", rc, pyreactor_result(p, NULL));

  /* Ownership: take the text, free it ourselves; the instance forgets it. */
  pyreactor_apply_lambda(p, "big", "[]");
  size_t len;
  char *mine = pyreactor_take_result(p, &len);
  T_CHECK("take", mine != NULL && len == 31 && t_streq(pyreactor_result(p, NULL), ""),
          "take_result");
  pyreactor_free(mine);
  pyreactor_close(p);
}

static void case_misuse(void)
{
  pyreactor *p = t_open(NULL);
  T_CHECK("misuse", pyreactor_register_lambda(p, NULL, "lambda: 1") == PYREACTOR_MISUSE &&
                        t_streq(pyreactor_error_type(p), "Misuse"),
          "NULL name");
  T_CHECK("misuse", pyreactor_register_def(p, "x", NULL) == PYREACTOR_MISUSE, "NULL code");
  T_CHECK("misuse", pyreactor_call(p, (pyreactor_op)42, "x", 1, NULL, 0) == PYREACTOR_MISUSE,
          "bad op");
  T_CHECK("misuse", pyreactor_call(NULL, PYREACTOR_OP_INIT, NULL, 0, NULL, 0) == PYREACTOR_MISUSE,
          "NULL instance");
  T_CHECK("misuse", pyreactor_close(NULL) == PYREACTOR_OK, "close(NULL)");
  T_CHECK("op names", pyreactor_op_from_name("apply_def", 9) == PYREACTOR_OP_APPLY_DEF &&
                          pyreactor_op_from_name("nope", 4) == -1 &&
                          t_streq(pyreactor_op_name(PYREACTOR_OP_UNREGISTER_MODULE), "unregister_module"),
          "op names");
  T_CHECK("still works", pyreactor_init(p) == PYREACTOR_OK, "after misuse");
  uint32_t version = 0;
  T_CHECK("abi_version", pyreactor_testing_raw_export(p, "abi_version", NULL, 0, &version) == PYREACTOR_OK &&
                             version == 2 && pyreactor_abi_version() == 2,
          "abi_version export says %u", version);
  pyreactor_close(p);

  pyreactor_dir bad = {"/nonexistent/pyreactor-dir", NULL, 0};
  pyreactor_options o;
  pyreactor_options_init(&o);
  o.dirs = &bad;
  o.n_dirs = 1;
  int rc = pyreactor_open(&o, &p);
  T_CHECK("cantopen", rc == PYREACTOR_CANTOPEN && p != NULL &&
                          strstr(pyreactor_errmsg(p), "/nonexistent/pyreactor-dir") != NULL,
          "bad dir: %d %s", rc, pyreactor_errmsg(p));
  pyreactor_close(p);

  const char *env[] = {"NO_EQUALS_SIGN"};
  pyreactor_options_init(&o);
  o.env = env;
  o.n_env = 1;
  rc = pyreactor_open(&o, &p);
  T_CHECK("bad env", rc == PYREACTOR_MISUSE, "bad env: %d", rc);
  pyreactor_close(p);
}

/* ------------------------------------------------------------- sinks -- */

typedef struct capture {
  char out[4096], err[4096];
  size_t n_out, n_err;
  pyreactor *self;
  int reentry_rc;
} capture;

static void append(char *buf, size_t *n, const char *data, size_t len)
{
  size_t room = 4095 - *n;
  size_t k = len < room ? len : room;
  memcpy(buf + *n, data, k);
  *n += k;
  buf[*n] = '\0';
}

static void on_out(void *user, const char *data, size_t len)
{
  capture *c = user;
  append(c->out, &c->n_out, data, len);
  if (c->self != NULL)
    c->reentry_rc = pyreactor_init(c->self); /* must be refused */
}

static void on_err(void *user, const char *data, size_t len)
{
  capture *c = user;
  append(c->err, &c->n_err, data, len);
}

static void case_sinks_stdin_env(void)
{
  capture cap;
  memset(&cap, 0, sizeof cap);
  const char *env[] = {"GREETING=hi there", "EMPTY="};
  pyreactor_options o;
  pyreactor_options_init(&o);
  o.stdout_sink = on_out;
  o.stderr_sink = on_err;
  o.sink_user = &cap;
  o.stdin_data = "line one\nline two\n";
  o.stdin_len = strlen(o.stdin_data);
  o.env = env;
  o.n_env = 2;
  pyreactor *p = t_open(&o);
  pyreactor_register_def(p, "talk",
                         "import sys, os\n"
                         "def talk():\n"
                         "    print('to out', os.environ['GREETING'])\n"
                         "    print('to err', file=sys.stderr)\n"
                         "    return [input(), sys.stdin.readline(), sys.stdin.read(),\n"
                         "            dict(os.environ)]\n");
  int rc = pyreactor_apply_def(p, "talk", "[]");
  T_CHECK("stdin/env", rc == PYREACTOR_OK &&
                           json_is(pyreactor_result(p, NULL),
                              "[\"line one\", \"line two\\n\", \"\", {\"GREETING\": \"hi there\", \"EMPTY\": \"\"}]"),
          "talk: %s", pyreactor_result(p, NULL));
  T_CHECK("stdout sink", t_streq(cap.out, "to out hi there\n"), "stdout %s", cap.out);
  T_CHECK("stderr sink", t_streq(cap.err, "to err\n"), "stderr %s", cap.err);

  cap.self = p;
  pyreactor_register_lambda(p, "say", "lambda: print('x') or 5");
  rc = pyreactor_apply_lambda(p, "say", "[]");
  T_CHECK("reentry refused", cap.reentry_rc == PYREACTOR_MISUSE, "re-entry gave %d", cap.reentry_rc);
  T_CHECK("outer call fine", rc == PYREACTOR_OK && t_streq(pyreactor_result(p, NULL), "5"),
          "outer: %d %s", rc, pyreactor_result(p, NULL));
  cap.self = NULL;
  pyreactor_close(p);
}

/* Whether /proc/self/maps shows the shared image mapped inside [base,
** base + size): proof that the instance's memory is the copy-on-write
** mapping and not a copy. */
static bool image_mapped_in(const void *base, size_t size)
{
  FILE *f = fopen("/proc/self/maps", "r");
  if (f == NULL)
    return false;
  char line[512];
  bool found = false;
  uintptr_t lo = (uintptr_t)base, hi = lo + size;
  while (!found && fgets(line, sizeof line, f) != NULL) {
    unsigned long from, to;
    if (sscanf(line, "%lx-%lx", &from, &to) == 2 && strstr(line, "/memfd:pyreactor-image") &&
        from >= lo && to <= hi)
      found = true;
  }
  fclose(f);
  return found;
}

/* Memory mapped from the image must be byte for byte what the copy of the
** data segments gives, and one instance's writes must stay its own. */
static void case_memory_image(void)
{
  pyreactor *mapped = t_open(NULL);
  const void *base_m, *base_c;
  size_t size_m, size_c;
  pyreactor_testing_memory(mapped, &base_m, &size_m);
  T_CHECK("image made", pyreactor_testing_image_bytes() > ((size_t)1 << 20), "image of %zu bytes",
          pyreactor_testing_image_bytes());
  T_CHECK("image mapped", image_mapped_in(base_m, size_m), "no memfd mapping in the instance");

  int was = pyreactor_testing_image(0);
  pyreactor *copied = t_open(NULL);
  pyreactor_testing_image(was);
  pyreactor_testing_memory(copied, &base_c, &size_c);
  T_CHECK("copy path", !image_mapped_in(base_c, size_c), "image mapped with the image off");
  T_CHECK("same bytes", size_m == size_c && memcmp(base_m, base_c, size_m) == 0,
          "mapped and copied memories differ (%zu / %zu bytes)", size_m, size_c);
  T_CHECK("copy works", pyreactor_apply_lambda(copied, "x", NULL) == PYREACTOR_ERR &&
                            pyreactor_register_lambda(copied, "one", "lambda: 1") == PYREACTOR_OK &&
                            pyreactor_apply_lambda(copied, "one", NULL) == PYREACTOR_OK,
          "copied instance: %s", pyreactor_result(copied, NULL));
  pyreactor_close(copied);

  /* Writes to shared pages (a module every instance imported in the
  ** snapshot) land in the writer's private copy only. */
  pyreactor_register_def(mapped, "mark", "import json\ndef mark():\n    json.MARK = 42\n    return json.MARK\n");
  T_CHECK("write", pyreactor_apply_def(mapped, "mark", "[]") == PYREACTOR_OK &&
                       t_streq(pyreactor_result(mapped, NULL), "42"),
          "mark: %s", pyreactor_result(mapped, NULL));
  pyreactor *other = t_open(NULL);
  pyreactor_register_lambda(other, "seen", "lambda: hasattr(__import__('json'), 'MARK')");
  T_CHECK("private write", pyreactor_apply_lambda(other, "seen", NULL) == PYREACTOR_OK &&
                               t_streq(pyreactor_result(other, NULL), "false"),
          "another instance sees the write: %s", pyreactor_result(other, NULL));
  pyreactor_close(other);
  pyreactor_close(mapped);
}

/* Reset: everything registered is gone, Python's state is pristine, the
** instance keeps working and stays mapped from the image. */
static void case_reset(void)
{
  pyreactor *p = t_open(NULL);
  pyreactor_register_def(p, "bump", "import json\nn = 0\ndef bump():\n    global n\n    n += 1\n"
                                    "    json.RESET_MARK = n\n    return n\n");
  pyreactor_apply_def(p, "bump", "[]");
  T_CHECK("before reset", pyreactor_apply_def(p, "bump", "[]") == PYREACTOR_OK &&
                              t_streq(pyreactor_result(p, NULL), "2"),
          "bump: %s", pyreactor_result(p, NULL));
  unsigned long rebuilds = pyreactor_rebuilds(p);
  T_CHECK("reset", pyreactor_reset(p) == PYREACTOR_OK, "reset: %s", pyreactor_errmsg(p));
  T_CHECK("registrations gone", pyreactor_apply_def(p, "bump", "[]") == PYREACTOR_ERR,
          "bump after reset: %s", pyreactor_result(p, NULL));
  pyreactor_register_lambda(p, "mark", "lambda: getattr(__import__('json'), 'RESET_MARK', None)");
  T_CHECK("state pristine", pyreactor_apply_lambda(p, "mark", NULL) == PYREACTOR_OK &&
                                t_streq(pyreactor_result(p, NULL), "null"),
          "json.RESET_MARK after reset: %s", pyreactor_result(p, NULL));
  T_CHECK("not a rebuild", pyreactor_rebuilds(p) == rebuilds, "reset counted as a rebuild");
  const void *base;
  size_t size;
  pyreactor_testing_memory(p, &base, &size);
  T_CHECK("reset mapped", image_mapped_in(base, size), "reset instance not mapped from the image");
  T_CHECK("reset misuse", pyreactor_reset(NULL) == PYREACTOR_MISUSE, "reset(NULL)");
  pyreactor_close(p);
}

/* A cap below the module's own initial memory is refused as such, with the
** figure the module needs; a cap of exactly that figure opens. */
static void case_memory_limit_floor(void)
{
  pyreactor_options o;
  pyreactor_options_init(&o);
  pyreactor *p;
  unsigned need = 0;
  const size_t caps[] = {(size_t)1 << 20, (size_t)5 << 20, 1000, 1};
  for (size_t i = 0; i < sizeof caps / sizeof caps[0]; i++) {
    o.memory_limit = caps[i];
    int rc = pyreactor_open(&o, &p);
    const char *msg = pyreactor_error_message(p);
    char want[64];
    if (caps[i] % (1 << 20) == 0)
      snprintf(want, sizeof want, "memory_limit %zu MiB is below the ", caps[i] >> 20);
    else
      snprintf(want, sizeof want, "memory_limit %zu bytes is below the ", caps[i]);
    T_CHECK("memory cap too small", rc == PYREACTOR_MISUSE && t_streq(pyreactor_error_type(p), "Misuse") &&
                                        msg != NULL && strncmp(msg, want, strlen(want)) == 0 &&
                                        sscanf(msg + strlen(want), "%u MiB the module needs", &need) == 1,
            "cap %zu: %d %s", caps[i], rc, pyreactor_errmsg(p));
    pyreactor_close(p);
  }
  T_CHECK("memory floor", need >= 8 && need < 64, "the module needs %u MiB?", need);
  o.memory_limit = (size_t)need << 20;
  int rc = pyreactor_open(&o, &p);
  T_CHECK("memory floor", rc == PYREACTOR_OK, "a %u MiB cap: %d %s", need, rc, pyreactor_errmsg(p));
  pyreactor_close(p);
}

static void case_memory_limit(void)
{
  pyreactor_options o;
  pyreactor_options_init(&o);
  o.memory_limit = (size_t)96 << 20;
  pyreactor *p = t_open(&o);
  pyreactor_register_def(p, "hog", "def hog(mb):\n    return len(bytearray(mb << 20))\n");
  int rc = pyreactor_apply_def(p, "hog", "[200]");
  T_CHECK("memory cap", rc == PYREACTOR_ERR && t_streq(pyreactor_error_type(p), "MemoryError"),
          "200 MB under a 96 MB cap: %d %s", rc, pyreactor_result(p, NULL));
  rc = pyreactor_apply_def(p, "hog", "[8]");
  T_CHECK("memory cap", rc == PYREACTOR_OK && t_streq(pyreactor_result(p, NULL), "8388608"),
          "8 MB after MemoryError: %d %s", rc, pyreactor_result(p, NULL));
  T_CHECK("memory cap", pyreactor_rebuilds(p) == 0, "MemoryError must not trap");
  pyreactor_close(p);

  case_memory_limit_floor();
}

/* ----------------------------------------------------------- threads -- */

typedef struct worker {
  int index;
  int failures;
  char why[256];
} worker;

static void *run_worker(void *arg)
{
  worker *w = arg;
  pyreactor *p;
  if (pyreactor_open(NULL, &p) != PYREACTOR_OK) {
    snprintf(w->why, sizeof w->why, "open: %s", pyreactor_errmsg(p));
    w->failures++;
    pyreactor_close(p);
    return NULL;
  }
  char code[128];
  snprintf(code, sizeof code, "def fib(n):\n    return n if n < 2 else fib(n-1) + fib(n-2) + %d*0\n",
           w->index);
  pyreactor_register_def(p, "fib", code);
  for (int i = 0; i < 12; i++) {
    if (i == 2 && w->index % 2 == 1) { /* odd threads also time out once */
      pyreactor_set_timeout(p, 200);
      pyreactor_register_lambda(p, "spin", "lambda: [0 for _ in iter(int, 1)]");
      int rc = pyreactor_apply_lambda(p, "spin", "[]");
      pyreactor_set_timeout(p, 0);
      if (rc != PYREACTOR_TIMEOUT) {
        snprintf(w->why, sizeof w->why, "no timeout: %d %s", rc, pyreactor_result(p, NULL));
        w->failures++;
      }
      continue;
    }
    if (i == 5 + w->index) { /* each thread traps once, at its own moment */
      uint32_t args[1] = {0xFFFFFFF0u};
      if (pyreactor_testing_raw_export(p, "result_free", args, 1, NULL) != PYREACTOR_TRAP) {
        snprintf(w->why, sizeof w->why, "no trap on bad pointer");
        w->failures++;
      }
      continue;
    }
    int rc = pyreactor_apply_def(p, "fib", "[18]");
    if (rc != PYREACTOR_OK || strcmp(pyreactor_result(p, NULL), "2584") != 0) {
      snprintf(w->why, sizeof w->why, "fib(18): %d %s", rc, pyreactor_result(p, NULL));
      w->failures++;
    }
  }
  if (pyreactor_rebuilds(p) != (w->index % 2 == 1 ? 2u : 1u)) {
    snprintf(w->why, sizeof w->why, "rebuilds %lu", pyreactor_rebuilds(p));
    w->failures++;
  }
  pyreactor_close(p);
  return NULL;
}

static void case_threads(void)
{
  enum { N = 4 };
  pthread_t t[N];
  worker w[N];
  pthread_attr_t attr;
  pthread_attr_init(&attr);
  pthread_attr_setstacksize(&attr, 256 * 1024); /* small on purpose: guest code has its own */
  for (int i = 0; i < N; i++) {
    memset(&w[i], 0, sizeof w[i]);
    w[i].index = i;
    pthread_create(&t[i], &attr, run_worker, &w[i]);
  }
  for (int i = 0; i < N; i++) {
    pthread_join(t[i], NULL);
    char where[32];
    snprintf(where, sizeof where, "thread %d", i);
    T_CHECK(where, w[i].failures == 0, "%s", w[i].why);
  }
  pthread_attr_destroy(&attr);
}

int main(void)
{
  case_values_and_errors();
  case_misuse();
  case_sinks_stdin_env();
  case_memory_limit();
  case_memory_image();
  case_reset();
  case_threads();
  return t_summary("native-api");
}
