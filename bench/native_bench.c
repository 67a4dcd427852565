/*
** native_bench.c -- benchmark runner for the native host (libpyreactor),
** driven by bench/run.py. C11, only include/pyreactor.h.
**
**   native_bench first
**     from the start of main to the first apply_def result of a new
**     instance, one-time set-up of the process included; one JSON line.
**   native_bench serve KERNELS_PY
**     line protocol on stdin, one JSON line answered per command:
**       kernel NAME SIZE  kernels.run(NAME, SIZE) in a long-lived instance
**       warm N            N apply_def calls of the trivial def (JSON text in,
**                         JSON text out), time per call
**       noop N            N pyreactor_init calls on the initialized instance:
**                         the cost of crossing into the guest and back
**       hostcall N        a host-call round trip: one apply_def whose loop
**                         calls the trivial host function `nop` N times
**                         (reactor.call_host('nop'), the reply `null`),
**                         minus one whose same loop calls a Python function
**                         instead (the def's own cost), per call
**       hostpart N        the host's part of it: the loop calling the
**                         guest's raw _reactor_host.call('nop', '[]') (no
**                         JSON made or decoded in Python), minus the same
**                         loop calling Python, per call
**       idle MS N         N apply_def calls of the trivial def, each after
**                         MS ms of quiet: {"us":[...]} (docs/performance.md,
**                         "Idle calls")
**       cold              pyreactor_open -> register_def -> first apply_def
**                         of a new instance (then closed, untimed)
**       reset             the same with pyreactor_reset of a used instance
**                         in place of pyreactor_open
**       quit
**   native_bench pack PRELOADED.wasm LAZY.wasm N
**     modules made by `pyreactor pack` (docs/packages.md), N times each, the
**     median: pyreactor_open with module_path PRELOADED.wasm -> the first
**     result of a def that uses a preloaded package (dateutil), the same after
**     pyreactor_reset, the trivial def with the pack and with the compiled
**     module for comparison; then, with LAZY.wasm (the same packages, none
**     preloaded), importing jinja2, jsonschema, yaml and dateutil.parser for
**     the first time in an instance. One JSON line.
**   native_bench instances COUNTS
**     opens instances (each registers and applies the def once, then sits
**     idle) up to each count of COUNTS (comma-separated); prints the
**     process's resident (RSS) and proportional (PSS) memory at each count.
*/
#define _POSIX_C_SOURCE 200809L

#include "pyreactor.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#define ECHO_NAME "echo"
#define ECHO_CODE "def echo(s):\n    return s\n"
#define ECHO_ARGS "[\"hello, world\"]"
#define ECHO_RESULT "\"hello, world\""
#define MAX_INSTANCES 1000
/* Two loops alike but for what they call: the host, or Python. */
#define HOSTBENCH_CODE                                                      \
  "import reactor, _reactor_host\n"                                         \
  "_host, _raw = reactor.call_host, _reactor_host.call\n"                    \
  "def _python(name, args=None):\n    return None\n"                          \
  "def host(n):\n    for _ in range(n):\n        _host('nop')\n    return n\n" \
  "def raw(n):\n    for _ in range(n):\n        _raw('nop', '[]')\n    return n\n" \
  "def python(n):\n    for _ in range(n):\n        _python('nop')\n    return n\n" \
  "def python2(n):\n    for _ in range(n):\n        _python('nop', '[]')\n    return n\n"

static double now_ms(void)
{
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

/* Minor page faults of this process so far. */
static long faults(void)
{
  struct rusage ru;
  getrusage(RUSAGE_SELF, &ru);
  return ru.ru_minflt;
}

static void die(pyreactor *p, const char *what, int rc)
{
  fprintf(stderr, "native_bench: %s failed (%s): %s\n", what, pyreactor_errstr(rc),
          p != NULL ? pyreactor_errmsg(p) : "no instance");
  exit(1);
}

/* The trivial host function: replies null. */
static int nop(pyreactor_call_ctx *call, const char *name, const char *args, size_t len, void *user)
{
  (void)name, (void)args, (void)len, (void)user;
  return pyreactor_reply_ok(call, "null", 4);
}

static const pyreactor_host_function host_functions[] = {{"nop", nop, NULL}};

static pyreactor *open_with(const pyreactor_options *o)
{
  pyreactor *p = NULL;
  int rc = pyreactor_open(o, &p);
  if (rc != PYREACTOR_OK)
    die(p, "pyreactor_open", rc);
  return p;
}

static pyreactor *open_instance(void)
{
  return open_with(NULL);
}

static void check(pyreactor *p, int rc, const char *what)
{
  if (rc != PYREACTOR_OK)
    die(p, what, rc);
}

static void check_echo(pyreactor *p)
{
  const char *text = pyreactor_result(p, NULL);
  if (strcmp(text, ECHO_RESULT) != 0) {
    fprintf(stderr, "native_bench: unexpected result %s\n", text);
    exit(1);
  }
}

static pyreactor *open_fresh(pyreactor *unused)
{
  (void)unused;
  return open_instance();
}

static pyreactor *reset_used(pyreactor *used)
{
  check(used, pyreactor_reset(used), "pyreactor_reset");
  return used;
}

/* The time from `make` (an open, or a reset) to the first result of the
** trivial def, in phases named `phase`, register and apply; one JSON line.
** Returns the instance. */
static pyreactor *to_first_result(const char *phase, pyreactor *(*make)(pyreactor *),
                                  pyreactor *arg, double start)
{
  long f0 = faults();
  double t0 = start < 0 ? now_ms() : start;
  pyreactor *p = make(arg);
  double t1 = now_ms();
  long f1 = faults();
  check(p, pyreactor_register_def(p, ECHO_NAME, ECHO_CODE), "register_def");
  double t2 = now_ms();
  long f2 = faults();
  check(p, pyreactor_apply_def(p, ECHO_NAME, ECHO_ARGS), "apply_def");
  double t3 = now_ms();
  long f3 = faults();
  check_echo(p);
  printf("{\"ms\":%.6f,\"phases\":{\"%s\":%.6f,\"register\":%.6f,\"apply\":%.6f},"
         "\"faults\":{\"%s\":%ld,\"register\":%ld,\"apply\":%ld}}\n",
         t3 - t0, phase, t1 - t0, t2 - t1, t3 - t2, phase, f1 - f0, f2 - f1, f3 - f2);
  fflush(stdout);
  return p;
}

/* A new instance to its first result (then closed, untimed). */
static void cold(double start)
{
  pyreactor_close(to_first_result("open", open_fresh, NULL, start));
}

/* As cold, with a reset of an instance that has run calls: what the host
** does after a trap (before the replay). */
static void reset_cold(pyreactor *used)
{
  check(used, pyreactor_apply_def(used, ECHO_NAME, ECHO_ARGS), "apply_def before reset");
  to_first_result("reset", reset_used, used, -1);
}

static char *read_file(const char *path)
{
  FILE *f = fopen(path, "rb");
  if (f == NULL) {
    perror(path);
    exit(1);
  }
  size_t cap = 1 << 16, len = 0;
  char *buf = malloc(cap);
  size_t n;
  while (buf != NULL && (n = fread(buf + len, 1, cap - len - 1, f)) > 0) {
    len += n;
    if (cap - len - 1 == 0) {
      char *bigger = realloc(buf, cap * 2);
      if (bigger == NULL)
        free(buf);
      buf = bigger;
      cap *= 2;
    }
  }
  fclose(f);
  if (buf == NULL) {
    fprintf(stderr, "native_bench: out of memory\n");
    exit(1);
  }
  buf[len] = '\0';
  return buf;
}

/* One apply of hostbench.`which`(n); its milliseconds. */
static double time_loop(pyreactor *p, const char *which, long n)
{
  char name[32], args[32];
  snprintf(name, sizeof name, "hostbench.%s", which);
  snprintf(args, sizeof args, "[%ld]", n);
  double t0 = now_ms();
  int rc = pyreactor_apply_def(p, name, args);
  double t1 = now_ms();
  check(p, rc, name);
  return t1 - t0;
}

/* Per call: the loop `with` minus the loop `without` (its own cost). */
static void host_calls(pyreactor *p, const char *with, const char *without, long n)
{
  double a = time_loop(p, with, n);
  double b = time_loop(p, without, n);
  printf("{\"ns_per_call\":%.3f,\"loop_ns\":%.3f,\"python_loop_ns\":%.3f}\n",
         (a - b) * 1e6 / (double)n, a * 1e6 / (double)n, b * 1e6 / (double)n);
}


/* `idle MS N`: N calls of the trivial def, each after MS ms of quiet (a
** server between requests); the time of each, in us. */
static void idle_calls(pyreactor *p, long ms, long n)
{
  if (ms < 0 || ms > 10000)
    ms = 1;
  if (n < 1 || n > 10000)
    n = 1;
  struct timespec quiet = {ms / 1000, (ms % 1000) * 1000000L};
  printf("{\"us\":[");
  for (long i = 0; i < n; i++) {
    nanosleep(&quiet, NULL);
    double t0 = now_ms();
    pyreactor_apply_def(p, ECHO_NAME, ECHO_ARGS);
    double t1 = now_ms();
    check(p, pyreactor_last_code(p), "idle apply_def");
    printf("%s%.3f", i ? "," : "", (t1 - t0) * 1e3);
  }
  printf("]}\n");
}

static void serve(const char *kernels_path)
{
  char *source = read_file(kernels_path);
  pyreactor_options o;
  pyreactor_options_init(&o);
  o.host_functions = host_functions;
  o.n_host_functions = 1;
  pyreactor *p = open_with(&o); /* the long-lived one; exposes `nop` */
  check(p, pyreactor_register_module(p, "kernels", source), "register_module kernels");
  check(p, pyreactor_register_def(p, ECHO_NAME, ECHO_CODE), "register_def");
  check(p, pyreactor_register_module(p, "hostbench", HOSTBENCH_CODE), "register_module hostbench");
  free(source);
  pyreactor *used = open_instance(); /* the one `reset` resets */
  check(used, pyreactor_register_def(used, ECHO_NAME, ECHO_CODE), "register_def");
  printf("{\"ready\":true,\"abi\":%d}\n", pyreactor_abi_version());
  fflush(stdout);

  char line[512];
  while (fgets(line, sizeof line, stdin) != NULL) {
    char cmd[32] = "", arg1[64] = "", arg2[64] = "";
    if (sscanf(line, "%31s %63s %63s", cmd, arg1, arg2) < 1)
      continue;
    if (strcmp(cmd, "quit") == 0)
      break;
    if (strcmp(cmd, "kernel") == 0) {
      char args[160];
      snprintf(args, sizeof args, "[\"%s\", %s]", arg1, arg2[0] ? arg2 : "1.0");
      int rc = pyreactor_apply_def(p, "kernels.run", args);
      if (rc == PYREACTOR_OK)
        printf("%s\n", pyreactor_result(p, NULL));
      else
        printf("{\"error\":%s}\n", pyreactor_result(p, NULL));
    } else if (strcmp(cmd, "warm") == 0) {
      long n = strtol(arg1, NULL, 10);
      if (n < 1)
        n = 1;
      double t0 = now_ms();
      for (long i = 0; i < n; i++)
        pyreactor_apply_def(p, ECHO_NAME, ECHO_ARGS);
      double t1 = now_ms();
      check(p, pyreactor_last_code(p), "warm apply_def");
      check_echo(p);
      printf("{\"ns_per_call\":%.3f}\n", (t1 - t0) * 1e6 / (double)n);
    } else if (strcmp(cmd, "noop") == 0) {
      long n = strtol(arg1, NULL, 10);
      if (n < 1)
        n = 1;
      double t0 = now_ms();
      for (long i = 0; i < n; i++)
        pyreactor_init(p);
      double t1 = now_ms();
      check(p, pyreactor_last_code(p), "noop init");
      printf("{\"ns_per_call\":%.3f}\n", (t1 - t0) * 1e6 / (double)n);
    } else if (strcmp(cmd, "hostcall") == 0 || strcmp(cmd, "hostpart") == 0) {
      long n = strtol(arg1, NULL, 10);
      bool whole = strcmp(cmd, "hostcall") == 0;
      host_calls(p, whole ? "host" : "raw", whole ? "python" : "python2", n < 1 ? 1 : n);
    } else if (strcmp(cmd, "idle") == 0) {
      idle_calls(p, strtol(arg1, NULL, 10), strtol(arg2, NULL, 10));
    } else if (strcmp(cmd, "cold") == 0) {
      cold(-1);
    } else if (strcmp(cmd, "reset") == 0) {
      reset_cold(used);
    } else {
      printf("{\"error\":\"unknown command %s\"}\n", cmd);
    }
    fflush(stdout);
  }
  pyreactor_close(used);
  pyreactor_close(p);
}

/* KiB of "Key:" in a /proc file; -1 when absent. */
static long proc_kb(const char *path, const char *key)
{
  FILE *f = fopen(path, "r");
  if (f == NULL)
    return -1;
  char line[256];
  long value = -1;
  size_t klen = strlen(key);
  while (fgets(line, sizeof line, f) != NULL) {
    if (strncmp(line, key, klen) == 0) {
      value = strtol(line + klen, NULL, 10);
      break;
    }
  }
  fclose(f);
  return value;
}

static void print_point(int n, int *first)
{
  printf("%s{\"n\":%d,\"rss_kb\":%ld,\"pss_kb\":%ld}", *first ? "" : ",", n,
         proc_kb("/proc/self/status", "VmRSS:"), proc_kb("/proc/self/smaps_rollup", "Pss:"));
  *first = 0;
}

static void instances(const char *counts)
{
  static pyreactor *keep[MAX_INSTANCES];
  const long reserve_kb = 3L * 1024 * 1024;
  int n = 0, first = 1;
  char stopped[160] = "";
  double t0 = now_ms();
  printf("{\"points\":[");
  print_point(0, &first);
  long base_kb = proc_kb("/proc/self/status", "VmRSS:");
  const char *s = counts;
  while (*s != '\0' && stopped[0] == '\0') {
    char *end;
    long target = strtol(s, &end, 10);
    if (end == s || target > MAX_INSTANCES)
      break;
    s = *end == ',' ? end + 1 : end;
    while (n < target) {
      long rss = proc_kb("/proc/self/status", "VmRSS:");
      long per = n > 0 ? (rss - base_kb) / n : 100L * 1024;
      if (proc_kb("/proc/meminfo", "MemAvailable:") - per < reserve_kb) {
        snprintf(stopped, sizeof stopped, "stopped at %d instances: the machine had %ld MiB available",
                 n, proc_kb("/proc/meminfo", "MemAvailable:") / 1024);
        break;
      }
      pyreactor *p = open_instance();
      check(p, pyreactor_register_def(p, ECHO_NAME, ECHO_CODE), "register_def");
      check(p, pyreactor_apply_def(p, ECHO_NAME, ECHO_ARGS), "apply_def");
      check_echo(p);
      keep[n++] = p;
    }
    if (stopped[0] == '\0')
      print_point(n, &first);
  }
  double t1 = now_ms();
  if (stopped[0] != '\0')
    printf("],\"stopped\":\"%s\",\"seconds\":%.3f}\n", stopped, (t1 - t0) / 1e3);
  else
    printf("],\"stopped\":null,\"seconds\":%.3f}\n", (t1 - t0) / 1e3);
  fflush(stdout);
  for (int i = 0; i < n; i++)
    pyreactor_close(keep[i]);
}

#define RENDER_CODE "from dateutil import parser\n\ndef render(text):\n    return parser.parse(text).isoformat()\n"
#define LAZY_IMPORTS "import jinja2, jsonschema, yaml, dateutil.parser"

static int by_value(const void *a, const void *b)
{
  double x = *(const double *)a, y = *(const double *)b;
  return (x > y) - (x < y);
}

static double median(double *v, int n)
{
  qsort(v, (size_t)n, sizeof *v, by_value);
  return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

/* open (or reset `p`) -> register -> first apply, in ms; p is left open. */
static double pack_first(const char *module, pyreactor **p, const char *name, const char *code, const char *args)
{
  pyreactor_options o;
  pyreactor_options_init(&o);
  o.module_path = module;
  double t0 = now_ms();
  if (*p == NULL)
    *p = open_with(&o);
  else
    check(*p, pyreactor_reset(*p), "pyreactor_reset");
  check(*p, pyreactor_register_def(*p, name, code), "register_def");
  check(*p, pyreactor_apply_def(*p, name, args), "apply_def");
  return now_ms() - t0;
}

static void pack_bench(const char *preloaded, const char *lazy, int n)
{
  if (n < 1 || n > 1000)
    n = 20;
  double *v = calloc((size_t)n, sizeof *v);
  double open_ms, reset_ms, plain_ms, import_ms, trivial_ms;
  pyreactor *keep = NULL, *p = NULL;
  pack_first(preloaded, &keep, "render", RENDER_CODE, "[\"2024-03-05 10:20\"]"); /* the image, once per process */
  for (int i = 0; i < n; i++) {
    p = NULL;
    v[i] = pack_first(preloaded, &p, "render", RENDER_CODE, "[\"2024-03-05 10:20\"]");
    pyreactor_close(p);
  }
  open_ms = median(v, n);
  for (int i = 0; i < n; i++)
    v[i] = pack_first(preloaded, &keep, "render", RENDER_CODE, "[\"2024-03-05 10:20\"]");
  reset_ms = median(v, n);
  pyreactor_close(keep);
  for (int i = 0; i < n; i++) {
    p = NULL;
    v[i] = pack_first(NULL, &p, ECHO_NAME, ECHO_CODE, ECHO_ARGS);
    pyreactor_close(p);
  }
  plain_ms = median(v, n);
  for (int i = 0; i < n; i++) {
    p = NULL;
    v[i] = pack_first(preloaded, &p, ECHO_NAME, ECHO_CODE, ECHO_ARGS);
    pyreactor_close(p);
  }
  trivial_ms = median(v, n);
  for (int i = 0; i < n; i++) {
    p = NULL;
    pack_first(lazy, &p, ECHO_NAME, ECHO_CODE, ECHO_ARGS);
    double t0 = now_ms();
    check(p, pyreactor_call(p, PYREACTOR_OP_RUN, NULL, 0, LAZY_IMPORTS, strlen(LAZY_IMPORTS)), "import");
    v[i] = now_ms() - t0;
    pyreactor_close(p);
  }
  import_ms = median(v, n);
  printf("{\"open_first_ms\":%.3f,\"reset_first_ms\":%.3f,\"plain_open_first_ms\":%.3f,"
         "\"pack_trivial_first_ms\":%.3f,\"lazy_import_ms\":%.3f,\"n\":%d}\n", open_ms, reset_ms, plain_ms,
         trivial_ms, import_ms, n);
  free(v);
}

int main(int argc, char **argv)
{
  if (argc == 5 && strcmp(argv[1], "pack") == 0) {
    pack_bench(argv[2], argv[3], atoi(argv[4]));
    return 0;
  }
  double start = now_ms();
  if (argc == 2 && strcmp(argv[1], "first") == 0) {
    cold(start);
  } else if (argc == 3 && strcmp(argv[1], "serve") == 0) {
    serve(argv[2]);
  } else if (argc == 3 && strcmp(argv[1], "instances") == 0) {
    instances(argv[2]);
  } else {
    fprintf(stderr, "usage: native_bench first | serve KERNELS_PY | instances COUNTS\n");
    return 2;
  }
  return 0;
}
