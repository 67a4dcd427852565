/*
** fuzz_api.c -- libFuzzer harness over the public C API (include/pyreactor.h).
**
** One long-lived instance, opened with a time limit and a memory cap so
** that fuzzed code (`while True: pass`, `[0] * 10**10`) ends as a Timeout or
** a MemoryError instead of hanging or exhausting libFuzzer. Each input is a
** short script of calls:
**
**   input := op (SEP op)*          SEP := "|||"
**   op    := selector-byte name-bytes SEP text-bytes
**
** The selector's low 5 bits pick the action (the nine calls, plus the other
** exports: misuse, take_result, set_timeout, reset, open with fuzzed
** options, the op-name functions, the JSON reader and the batch-protocol
** parser); bit 7 sends the call through the
** NUL-terminated wrappers instead of pyreactor_call, bit 6 reuses the
** previous op's name (so that an apply finds what a register made), bit 5
** repeats the text up to 256 KiB. `text` is the code of a register, the
** JSON args of an apply.
**
** After every call: the code is one of the eight, the result text is never
** NULL, is NUL-terminated at its length and is JSON; an error has a type
** and a message, of the kind its code promises; OK has none. After a trap,
** a timeout or an ABI error the instance must have been rebuilt and must
** still answer a known-good apply (an echo def registered at start)
** correctly. Sinks check that re-entering the instance is refused.
*/
#include "pyreactor.h"

#include "batch_request.h"
#include "json_reader.h"

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SEP "|||"
/* The last op the library knows: one past it must be refused. Update it
** when pyreactor_op grows (the harness once assumed RUN was last). */
#define LAST_OP PYREACTOR_OP_REGISTER_PACKAGE
#define SEP_LEN 3
#define MAX_OPS 8
#define TIMEOUT_MS 200u
#define MEMORY_LIMIT ((size_t)256 << 20)
#define AMPLIFIED ((size_t)256 << 10)
/* Bounds the registration log replayed after every trap, and the drift of
** one long-lived instance away from a reproducible state. */
#define MAX_REGISTRATIONS 64
#define MAX_INPUTS_PER_INSTANCE 5000

#define FUZZ_NAME "fuzz_api"
#include "fuzz_common.h"

/* ============================================================ state == */

static pyreactor *P;
static int tainted;          /* a fuzzed registration is in the log */
static int n_registrations;  /* successful fuzzed register/unregister */
static int inputs_on_instance;
static unsigned long failures_at_start; /* replay failures before tainting */
static int in_sink_check;    /* A_PRINT: sinks try to re-enter */
static volatile size_t sink_bytes;
/* FUZZ_TRACE=1 in the environment: one line per op and its outcome, to
** see what an input does (build/fuzz/fuzz_api FILE). */
static int trace;

static const char echo_name[] = "__fuzz_echo";
static const char echo_code[] = "def __fuzz_echo(x):\n    return x\n";
static const char print_name[] = "__fuzz_print";
static const char print_code[] =
  "import sys\n"
  "def __fuzz_print(*a, err=False, **k):\n"
  "    print(*a, file=sys.stderr if err else sys.stdout, flush=True)\n"
  "    return len(a)\n";

/* ============================================ result invariants == */

static const char *expected_type(int rc)
{
  switch (rc) {
  case PYREACTOR_TIMEOUT: return "Timeout";
  case PYREACTOR_MISUSE: return "Misuse";
  case PYREACTOR_ABI: return "InvalidResult";
  case PYREACTOR_NOMEM: return "MemoryError";
  default: return NULL; /* ERR: any; TRAP, CANTOPEN: checked apart */
  }
}

static void check_error_fields(pyreactor *p, int rc, const char *what)
{
  const char *type = pyreactor_error_type(p);
  const char *message = pyreactor_error_message(p);
  if (type == NULL || message == NULL || type[0] == '\0')
    fail("%s: code %d with an error lacking type or message: %s", what, rc,
         pyreactor_result(p, NULL));
  /* Only the guest's Python errors carry a traceback; reading it must be
  ** safe for every error. */
  const char *tb = pyreactor_error_traceback(p);
  if (tb != NULL && rc != PYREACTOR_ERR)
    fail("%s: code %d with a traceback", what, rc);
  const char *want = expected_type(rc);
  if (want != NULL && strcmp(type, want) != 0)
    fail("%s: code %d with error type %s, not %s", what, rc, type, want);
  if (rc == PYREACTOR_TRAP && strcmp(type, "Trap") != 0 && strcmp(type, "MemoryLimit") != 0)
    fail("%s: a trap of type %s", what, type);
  if (rc == PYREACTOR_CANTOPEN && strcmp(type, "HostError") != 0 && strcmp(type, "Trap") != 0)
    fail("%s: CANTOPEN of type %s", what, type);
}

/* What every call must leave behind, on instance p. */
static void check_result(pyreactor *p, int rc, const char *what)
{
  if (trace)
    fprintf(stderr, "    %s -> %d: %.160s\n", what, rc, pyreactor_result(p, NULL));
  if (rc < PYREACTOR_OK || rc > PYREACTOR_TIMEOUT)
    fail("%s returned %d, not a result code", what, rc);
  if (pyreactor_last_code(p) != rc)
    fail("%s returned %d but last_code says %d", what, rc, pyreactor_last_code(p));
  size_t len = 0;
  const char *text = pyreactor_result(p, &len);
  if (text == NULL)
    fail("%s: pyreactor_result is NULL", what);
  if (text[len] != '\0' || strlen(text) != len)
    fail("%s: result is not NUL-terminated at its length %zu", what, len);
  json_span v;
  if (len > 0 && json_parse(text, len, &v, NULL) != JSON_OK)
    fail("%s: code %d with a result that is not JSON: %.200s", what, rc, text);
  if (rc != PYREACTOR_OK && (len == 0 || json_type_of(v) != JSON_OBJECT))
    fail("%s: code %d with a result that is not an error object: %.200s", what, rc, text);
  if (pyreactor_errmsg(p) == NULL)
    fail("%s: errmsg is NULL", what);
  if (rc == PYREACTOR_OK) {
    if (strcmp(pyreactor_errmsg(p), "not an error") != 0 || pyreactor_error_type(p) != NULL)
      fail("%s: OK, yet with an error", what);
    return;
  }
  check_error_fields(p, rc, what);
}

static int rebuilds_after(int rc)
{
  return rc == PYREACTOR_TRAP || rc == PYREACTOR_TIMEOUT || rc == PYREACTOR_ABI;
}

/* The instance answers the echo def. Exactly, unless fuzzed code that is
** replayed on every rebuild may have changed the interpreter (a module that
** replaces json, a trace hook): then any well-formed answer will do. */
static void check_alive(const char *after)
{
  pyreactor_set_timeout(P, TIMEOUT_MS); /* a fuzzed 1 ms limit would fail it */
  int rc = pyreactor_apply_def(P, echo_name, "[12345]");
  check_result(P, rc, "apply_def(echo)");
  if (tainted)
    return;
  if (rc != PYREACTOR_OK || strcmp(pyreactor_result(P, NULL), "12345") != 0)
    fail("after %s the echo def answers %d: %s", after, rc, pyreactor_result(P, NULL));
}

/* ==================================================== the instance == */

/* Re-entry from a sink must be refused without touching the call running. */
static void sink(void *user, const char *data, size_t len)
{
  (void)user;
  if (data == NULL && len > 0)
    fail("sink got NULL data");
  size_t sum = 0;
  for (size_t i = 0; i < len; i++) /* ASan checks every byte is readable */
    sum += (unsigned char)data[i];
  sink_bytes += len + (sum & 1);
  if (!in_sink_check)
    return;
  in_sink_check = 0;
  if (pyreactor_apply_def(P, echo_name, "[1]") != PYREACTOR_MISUSE ||
      pyreactor_close(P) != PYREACTOR_MISUSE || pyreactor_reset(P) != PYREACTOR_MISUSE ||
      pyreactor_set_timeout(P, 1) != PYREACTOR_MISUSE)
    fail("a sink could re-enter its own instance");
}

static void register_helpers(void)
{
  pyreactor_set_timeout(P, TIMEOUT_MS); /* not a fuzzed 1 ms one */
  int rc = pyreactor_register_def(P, echo_name, echo_code);
  if (rc == PYREACTOR_OK)
    rc = pyreactor_register_def(P, print_name, print_code);
  if (rc != PYREACTOR_OK)
    fail("registering the helpers: %s", pyreactor_errmsg(P));
  tainted = 0;
  failures_at_start = pyreactor_replay_failures(P);
  n_registrations = 0;
  inputs_on_instance = 0;
}

static void open_instance(void)
{
  pyreactor_options o;
  pyreactor_options_init(&o);
  o.timeout_ms = TIMEOUT_MS;
  o.memory_limit = MEMORY_LIMIT;
  o.stdout_sink = sink;
  o.stderr_sink = sink;
  o.stdin_data = "stdin for the fuzzer\n";
  o.stdin_len = strlen(o.stdin_data);
  int rc = pyreactor_open(&o, &P);
  if (rc != PYREACTOR_OK)
    fail("pyreactor_open: %s", pyreactor_errmsg(P));
  register_helpers();
}

static void close_instance(void)
{
  pyreactor_close(P);
  P = NULL;
}

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerInitialize(int *argc, char ***argv)
{
  (void)argc;
  (void)argv;
  trace = getenv("FUZZ_TRACE") != NULL;
  open_instance();
  atexit(close_instance);
  return 0;
}

/* ================================================== input parsing == */

typedef struct bytes {
  const char *p;
  size_t n;
} bytes;

/* Cuts `data` at every SEP into at most `max` chunks (the last one keeps
** the rest). */
static size_t split(const uint8_t *data, size_t size, bytes *out, size_t max)
{
  const char *p = (const char *)data, *end = p + size;
  size_t k = 0;
  while (k + 1 < max) {
    const char *s = memmem(p, (size_t)(end - p), SEP, SEP_LEN);
    if (s == NULL)
      break;
    out[k++] = (bytes){p, (size_t)(s - p)};
    p = s + SEP_LEN;
  }
  out[k++] = (bytes){p, (size_t)(end - p)};
  return k;
}

/* A NUL-terminated copy (what a caller of the plain functions would pass:
** everything up to the first NUL). */
static char *cstr(bytes b)
{
  char *s = malloc(b.n + 1);
  if (s == NULL)
    fail("out of memory");
  memcpy(s, b.p, b.n);
  s[b.n] = '\0';
  return s;
}

/* `b` repeated up to AMPLIFIED bytes; *owned gets what to free. */
static bytes amplify(bytes b, char **owned)
{
  *owned = NULL;
  if (b.n == 0)
    return b;
  size_t times = AMPLIFIED / b.n + 1;
  char *big = malloc(times * b.n);
  if (big == NULL)
    fail("out of memory");
  for (size_t i = 0; i < times; i++)
    memcpy(big + i * b.n, b.p, b.n);
  *owned = big;
  return (bytes){big, times * b.n};
}

/* ===================================================== the actions == */

enum {
  /* 0-8: the nine calls, numbered as pyreactor_op */
  A_ECHO = 9, A_PRINT, A_MISUSE, A_TAKE, A_TIMEOUT, A_RESET, A_OPEN, A_NAMES, A_JSON, A_BATCH,
  N_ACTIONS
};
#define F_WRAPPER 0x80
#define F_SAME_NAME 0x40
#define F_AMPLIFY 0x20

typedef struct op {
  int action, flags;
  bytes name, text;
} op;

static int is_registration(int action)
{
  return action != PYREACTOR_OP_INIT && action != PYREACTOR_OP_APPLY_LAMBDA &&
         action != PYREACTOR_OP_APPLY_DEF && action <= PYREACTOR_OP_UNREGISTER_MODULE;
}

/* The plain NUL-terminated function for each op. */
static int call_wrapper(pyreactor_op o, const char *name, const char *text)
{
  switch (o) {
  case PYREACTOR_OP_INIT: return pyreactor_init(P);
  case PYREACTOR_OP_REGISTER_LAMBDA: return pyreactor_register_lambda(P, name, text);
  case PYREACTOR_OP_UNREGISTER_LAMBDA: return pyreactor_unregister_lambda(P, name);
  case PYREACTOR_OP_APPLY_LAMBDA: return pyreactor_apply_lambda(P, name, text);
  case PYREACTOR_OP_REGISTER_DEF: return pyreactor_register_def(P, name, text);
  case PYREACTOR_OP_UNREGISTER_DEF: return pyreactor_unregister_def(P, name);
  case PYREACTOR_OP_APPLY_DEF: return pyreactor_apply_def(P, name, text);
  case PYREACTOR_OP_REGISTER_MODULE: return pyreactor_register_module(P, name, text);
  default: return pyreactor_unregister_module(P, name);
  }
}

/* One of the nine calls, raw or through the wrappers. Apply with no text
** passes NULL ("[]"). */
static int do_call(const op *o, bytes name, bytes text)
{
  pyreactor_op po = (pyreactor_op)o->action;
  int apply = po == PYREACTOR_OP_APPLY_LAMBDA || po == PYREACTOR_OP_APPLY_DEF;
  if (!(o->flags & F_WRAPPER))
    return pyreactor_call(P, po, name.p, name.n, apply && text.n == 0 ? NULL : text.p, text.n);
  char *n = cstr(name), *t = cstr(text);
  int rc = call_wrapper(po, n, apply && text.n == 0 ? NULL : t);
  free(n);
  free(t);
  return rc;
}

/* The checks after one of the nine calls on P. */
static void after_call(int action, int rc, unsigned long rebuilds_before)
{
  const char *what = pyreactor_op_name((pyreactor_op)action);
  check_result(P, rc, what);
  if (rc == PYREACTOR_OK && is_registration(action)) {
    tainted = 1;
    n_registrations++;
  }
  if (rebuilds_after(rc)) {
    unsigned long failures = pyreactor_replay_failures(P);
    if (pyreactor_rebuilds(P) <= rebuilds_before)
      fail("code %d but the instance was not rebuilt", rc);
    /* Without fuzzed registrations there is nothing that could fail. */
    if (!tainted && failures != failures_at_start)
      fail("%lu replayed registrations failed", failures - failures_at_start);
    check_alive(what);
  }
}

static void act_call(const op *o)
{
  char name_buf[16];
  bytes name = o->name;
  /* The helpers' names are ours: fuzzed calls get a variant of them. */
  if (name.n >= 6 && memcmp(name.p, "__fuzz", 6) == 0) {
    size_t k = name.n < sizeof name_buf ? name.n : sizeof name_buf;
    memcpy(name_buf, name.p, k);
    name_buf[0] = 'X';
    name = (bytes){name_buf, k};
  }
  unsigned long rebuilds = pyreactor_rebuilds(P);
  int rc = do_call(o, name, o->text);
  after_call(o->action, rc, rebuilds);
}

/* The known-good defs with fuzzed arguments; A_PRINT also makes the sinks
** try to re-enter. */
static void act_helper(const op *o, const char *name)
{
  char *args = o->text.n > 0 ? cstr(o->text) : NULL;
  in_sink_check = o->action == A_PRINT;
  int rc = pyreactor_apply_def(P, name, args);
  in_sink_check = 0;
  free(args);
  check_result(P, rc, name);
  if (rebuilds_after(rc))
    check_alive(name);
}

static void expect_misuse(int rc, const char *what)
{
  if (rc != PYREACTOR_MISUSE)
    fail("%s returned %d, not MISUSE", what, rc);
  check_result(P, rc, what);
}

/* Arguments the API must refuse before reading them. The 4 GiB length is
** never backed by memory: reading it would be an ASan report. */
static void act_misuse(const op *o)
{
  unsigned k = o->name.n > 0 ? (unsigned char)o->name.p[0] : 0;
  const char *t = o->text.p;
  switch (k % 5) {
  case 0:
    expect_misuse(pyreactor_call(P, (pyreactor_op)(LAST_OP + 1 + k / 5), o->name.p,
                                 o->name.n, t, o->text.n),
                  "unknown op");
    break;
  case 1:
    expect_misuse(pyreactor_call(P, PYREACTOR_OP_REGISTER_DEF, NULL, 0, t, o->text.n), "NULL name");
    break;
  case 2:
    expect_misuse(pyreactor_call(P, PYREACTOR_OP_REGISTER_MODULE, "m", 1, NULL, 0), "NULL code");
    break;
  case 3:
    expect_misuse(pyreactor_call(P, PYREACTOR_OP_APPLY_DEF, echo_name, sizeof echo_name - 1, t,
                                 (size_t)UINT32_MAX + 1 + o->text.n),
                  "4 GiB args");
    break;
  default: {
    size_t len = 1;
    if (pyreactor_call(NULL, PYREACTOR_OP_INIT, NULL, 0, NULL, 0) != PYREACTOR_MISUSE ||
        strcmp(pyreactor_result(NULL, &len), "") != 0 || len != 0 ||
        pyreactor_take_result(NULL, NULL) != NULL || pyreactor_last_code(NULL) != PYREACTOR_MISUSE ||
        pyreactor_errmsg(NULL) == NULL || pyreactor_error_type(NULL) != NULL ||
        pyreactor_set_timeout(NULL, 1) != PYREACTOR_MISUSE || pyreactor_reset(NULL) != PYREACTOR_MISUSE ||
        pyreactor_close(NULL) != PYREACTOR_OK || pyreactor_rebuilds(NULL) != 0)
      fail("a NULL instance was not refused");
  }
  }
}

/* take_result hands the text over and leaves "" behind. */
static void act_take(void)
{
  int code = pyreactor_last_code(P);
  size_t len = 1, left = 1;
  char *t = pyreactor_take_result(P, &len);
  if (t != NULL && (strlen(t) != len || (len > 0 && json_parse(t, len, NULL, NULL) != JSON_OK)))
    fail("take_result gave %zu bytes that are not the JSON result", len);
  if (t == NULL && len != 0)
    fail("take_result gave NULL with length %zu", len);
  pyreactor_free(t);
  if (strcmp(pyreactor_result(P, &left), "") != 0 || left != 0 || pyreactor_errmsg(P) == NULL ||
      pyreactor_last_code(P) != code)
    fail("after take_result the result is not empty");
}

static void act_timeout(const op *o)
{
  unsigned ms = 1;
  for (size_t i = 0; i < o->name.n && i < 2; i++)
    ms += (unsigned char)o->name.p[i] << (8 * i);
  if (pyreactor_set_timeout(P, ms % 2000 + 1) != PYREACTOR_OK)
    fail("set_timeout refused");
}

static void act_reset(void)
{
  int rc = pyreactor_reset(P);
  if (rc != PYREACTOR_OK)
    fail("reset returned %d: %s", rc, pyreactor_errmsg(P));
  check_result(P, rc, "reset");
  register_helpers();
  check_alive("reset");
}

/* ------------------------------------------------- open with options -- */

/* Options from fuzzed bytes. Grants only ever name a directory that does
** not exist: code never runs in this instance, but a real one is no place
** for a fuzzer either. */
static void fuzz_options(const op *o, pyreactor_options *opt, pyreactor_dir *dir, char **env,
                         size_t *n_env, char *envbuf)
{
  static const size_t limits[] = {0, 1 << 20, 16 << 20, 32 << 20, 64 << 20, 256 << 20};
  static const size_t stacks[] = {0, 512 << 10, 1 << 20, 8 << 20, (size_t)1 << 35};
  unsigned k = o->name.n > 0 ? (unsigned char)o->name.p[0] : 0;
  pyreactor_options_init(opt);
  opt->memory_limit = limits[k % 6];
  opt->stack_size = stacks[k / 6 % 5];
  opt->timeout_ms = TIMEOUT_MS;
  opt->stdin_data = o->text.p;
  opt->stdin_len = o->text.n;
  /* The text, cut at newlines, as "NAME=VALUE" strings (valid or not). */
  memcpy(envbuf, o->text.p, o->text.n);
  envbuf[o->text.n] = '\0';
  *n_env = 0;
  for (char *s = envbuf; s != NULL && *n_env < 8; *n_env += 1) {
    env[*n_env] = s;
    s = strchr(s, '\n');
    if (s != NULL)
      *s++ = '\0';
  }
  opt->env = (const char *const *)env;
  opt->n_env = k & 0x80 ? *n_env : 0;
  if (k & 0x40) {
    *dir = (pyreactor_dir){(k & 1) ? "/nonexistent/pyreactor-fuzz" : "", "/data", (int)(k & 2)};
    opt->dirs = dir;
    opt->n_dirs = 1;
  }
}

static void act_open(const op *o)
{
  pyreactor_options opt;
  pyreactor_dir dir;
  char *env[8];
  size_t n_env;
  char *envbuf = malloc(o->text.n + 1);
  if (envbuf == NULL)
    fail("out of memory");
  fuzz_options(o, &opt, &dir, env, &n_env, envbuf);
  pyreactor *q = NULL;
  int rc = pyreactor_open(&opt, &q);
  free(envbuf); /* the options are copied by open */
  if (q == NULL && rc != PYREACTOR_NOMEM)
    fail("open returned %d and no handle", rc);
  if (q != NULL && rc != PYREACTOR_OK) {
    check_error_fields(q, rc, "open");
  } else if (q != NULL) {
    check_result(q, pyreactor_init(q), "init on a fuzzed instance");
  }
  if (pyreactor_close(q) != PYREACTOR_OK)
    fail("close of a fresh instance failed");
}

/* The pure functions: names, strings, version. */
static void act_names(const op *o)
{
  int k = pyreactor_op_from_name(o->name.p, o->name.n);
  if (k >= 0) {
    const char *n = pyreactor_op_name((pyreactor_op)k);
    if (n == NULL || strlen(n) != o->name.n || memcmp(n, o->name.p, o->name.n) != 0)
      fail("op_from_name(%.*s) = %d, named %s", (int)o->name.n, o->name.p, k, n ? n : "NULL");
  }
  int x = o->text.n > 0 ? (signed char)o->text.p[0] : -1;
  const char *n = pyreactor_op_name((pyreactor_op)x);
  if ((n != NULL) != (x >= 0 && x <= LAST_OP))
    fail("op_name(%d) is %s", x, n ? n : "NULL");
  if (pyreactor_errstr(x) == NULL || pyreactor_abi_version() != 2)
    fail("errstr or abi_version");
}

/* ----------------------------------------------- the host's parsers -- */

/* The JSON reader reads what the guest returns: a hostile guest picks
** those bytes. Whatever it accepts must be walkable, every string
** decodable and equal to its decoding, every key found again, and every
** value equal to itself (json_equal cannot compare keys holding NUL). */
static int walk(json_span v, int depth)
{
  json_type t = json_type_of(v);
  if (t == JSON_NONE)
    fail("json_type_of a parsed value is NONE: %.*s", (int)(v.n > 80 ? 80 : v.n), v.p);
  if (depth > 200)
    return depth;
  int deepest = depth;
  json_iter it;
  json_span key, item;
  json_iter_init(&it, v);
  if (t == JSON_ARRAY) {
    while (json_array_next(&it, &item)) {
      int d = walk(item, depth + 1);
      deepest = d > deepest ? d : deepest;
    }
  } else if (t == JSON_OBJECT) {
    while (json_object_next(&it, &key, &item)) {
      size_t n;
      char *k = json_string_decode(key, &n);
      json_span found;
      if (k == NULL || !json_string_eq(key, k, n) ||
          (strlen(k) == n && !json_object_get(v, k, &found)))
        fail("object key %.*s not found again", (int)(key.n > 80 ? 80 : key.n), key.p);
      free(k);
      int d = walk(item, depth + 1);
      deepest = d > deepest ? d : deepest;
    }
  } else if (t == JSON_STRING) {
    size_t n;
    char *d = json_string_decode(v, &n);
    if (d == NULL || !json_string_eq(v, d, n))
      fail("string %.*s differs from its decoding", (int)(v.n > 80 ? 80 : v.n), v.p);
    free(d);
  }
  return deepest;
}

static void act_json(const op *o)
{
  json_span v;
  size_t at = SIZE_MAX;
  int rc = json_parse(o->text.p, o->text.n, &v, &at);
  if (rc == JSON_INVALID) {
    if (at > o->text.n)
      fail("json_parse: error at %zu in %zu bytes", at, o->text.n);
    return;
  }
  if (rc != JSON_OK)
    fail("json_parse returned %d", rc);
  if (v.p < o->text.p || v.n > o->text.n || (size_t)(v.p - o->text.p) > o->text.n - v.n)
    fail("json_parse: value span outside the text");
  int depth = walk(v, 0);
  if (depth < 150 && !json_equal(v, v, 200) && memmem(o->text.p, o->text.n, "\\u0000", 6) == NULL)
    fail("a JSON value is not equal to itself: %.*s", (int)(v.n > 200 ? 200 : v.n), v.p);
}

static void check_line(char *line, size_t len, const char *what)
{
  if (line == NULL)
    fail("%s: out of memory", what);
  if (strlen(line) != len || memchr(line, '\n', len) != NULL || json_parse(line, len, NULL, NULL) != JSON_OK)
    fail("%s is not one line of JSON: %.200s", what, line);
  free(line);
}

/* The batch protocol (`pyreactor batch`) reads its lines from whoever runs
** it: parse the text as a request line, run what it asks on P as the
** command would, and check the output line it would print. */
static void act_batch(const op *o)
{
  batch_request req;
  size_t len;
  int rc = batch_request_parse(o->text.p, o->text.n, &req);
  if (rc == BATCH_INVALID) {
    if (req.error == NULL)
      fail("an invalid request without a reason");
    char *line = batch_invalid_line(req.error, &len);
    check_line(line, len, "invalid_line");
  } else if (rc == BATCH_OK) {
    if ((unsigned)req.op > LAST_OP ||
        (req.op != PYREACTOR_OP_INIT && req.op != PYREACTOR_OP_RUN && req.name == NULL))
      fail("a parsed request without op or name");
    int protected = req.name != NULL && req.name_len >= 6 && memcmp(req.name, "__fuzz", 6) == 0;
    if (!protected) {
      unsigned long rebuilds = pyreactor_rebuilds(P);
      int code = pyreactor_call(P, req.op, req.name, req.name_len, req.text, req.text_len);
      after_call((int)req.op, code, rebuilds);
      size_t text_len;
      const char *text = pyreactor_result(P, &text_len);
      char *line = batch_result_line(pyreactor_last_code(P), text, text_len, &len);
      check_line(line, len, "result_line");
    }
  } else if (rc != BATCH_NOMEM) {
    fail("batch_request_parse returned %d", rc);
  }
  batch_request_free(&req);
}

static void run_op(const op *o)
{
  if (trace)
    fprintf(stderr, "  action %2d flags %02x name %3zu bytes, text %6zu bytes\n", o->action,
            o->flags, o->name.n, o->text.n);
  switch (o->action) {
  case A_ECHO: act_helper(o, echo_name); break;
  case A_PRINT: act_helper(o, print_name); break;
  case A_MISUSE: act_misuse(o); break;
  case A_TAKE: act_take(); break;
  case A_TIMEOUT: act_timeout(o); break;
  case A_RESET: act_reset(); break;
  case A_OPEN: act_open(o); break;
  case A_NAMES: act_names(o); break;
  case A_JSON: act_json(o); break;
  case A_BATCH: act_batch(o); break;
  default: act_call(o); break;
  }
}

/* ====================================================== one input == */

/* A fresh guest now and then: the replay log stays short, and the
** instance does not drift too far from what a crash input reproduces. */
static void maybe_renew(void)
{
  if (n_registrations < MAX_REGISTRATIONS && inputs_on_instance < MAX_INPUTS_PER_INSTANCE)
    return;
  if (pyreactor_reset(P) != PYREACTOR_OK)
    fail("reset: %s", pyreactor_errmsg(P));
  register_helpers();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
  bytes chunk[2 * MAX_OPS];
  size_t n = split(data, size, chunk, 2 * MAX_OPS);
  maybe_renew();
  inputs_on_instance++;
  bytes prev_name = {"", 0};
  for (size_t i = 0; i < n; i += 2) {
    if (chunk[i].n == 0)
      continue;
    op o;
    unsigned char sel = (unsigned char)chunk[i].p[0];
    o.action = (sel & 0x1F) % N_ACTIONS;
    o.flags = sel & 0xE0;
    o.name = (bytes){chunk[i].p + 1, chunk[i].n - 1};
    o.text = i + 1 < n ? chunk[i + 1] : (bytes){"", 0};
    if (o.flags & F_SAME_NAME)
      o.name = prev_name;
    prev_name = o.name;
    char *owned = NULL;
    if (o.flags & F_AMPLIFY)
      o.text = amplify(o.text, &owned);
    run_op(&o);
    free(owned);
  }
  pyreactor_set_timeout(P, TIMEOUT_MS);
  return 0;
}
