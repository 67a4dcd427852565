/*
** test_host_functions.c -- host functions through the C API (ABI.md, "Host
** functions"): values and errors both ways, args text passed through
** exactly, big replies, many calls with flat memory, the reply helpers
** misused, re-entry refused, the time limit across a callback, host calls
** at registration and at replay; then the command host functions of
** --host-function: the word splitter, and commands run without a shell
** (no descriptor or zombie left, killed at the time limit).
*/
#include "host_command.h"
#include "json_reader.h"
#include "pyreactor.h"
#include "pyreactor_testing.h"
#include "test_util.h"

#include <dirent.h>
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/wait.h>
#include <time.h>

#if defined(__SANITIZE_ADDRESS__)
#define UNDER_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define UNDER_ASAN 1
#endif
#endif

static bool is(const char *a, const char *b)
{
  return a != NULL && b != NULL && strcmp(a, b) == 0;
}

static double now_ms(void)
{
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

/* Sleeps `ms` whatever signals arrive (the time limit's does). */
static void sleep_ms(double ms)
{
  double until = now_ms() + ms;
  for (double left = ms; left > 0; left = until - now_ms()) {
    struct timespec ts = {(time_t)(left / 1e3), (long)((left - (double)(time_t)(left / 1e3) * 1e3) * 1e6)};
    nanosleep(&ts, NULL);
  }
}

static pyreactor *open_with(const pyreactor_host_function *fns, size_t n, unsigned timeout_ms)
{
  pyreactor_options o;
  pyreactor_options_init(&o);
  o.host_functions = fns;
  o.n_host_functions = n;
  o.timeout_ms = timeout_ms;
  pyreactor *p;
  int rc = pyreactor_open(&o, &p);
  if (rc != PYREACTOR_OK) {
    printf("pyreactor_open: %d %s\n", rc, pyreactor_errmsg(p));
    exit(1);
  }
  return p;
}

static void must_register(pyreactor *p, const char *name, const char *code)
{
  int rc = pyreactor_register_def(p, name, code);
  T_CHECK(name, rc == PYREACTOR_OK, "register_def %s: %d %s", name, rc, pyreactor_result(p, NULL));
}

/* apply_def name(args) must give `code` and, if want != NULL, exactly want
** as the text (OK) or as the error type (otherwise). */
static void expect(pyreactor *p, const char *where, const char *name, const char *args, int code,
                   const char *want)
{
  int rc = pyreactor_apply_def(p, name, args);
  const char *got = rc == PYREACTOR_OK ? pyreactor_result(p, NULL) : pyreactor_error_type(p);
  T_CHECK(where, rc == code && (want == NULL || is(got, want)), "%s(%s): want %d %s, got %d %s",
          name, args, code, want ? want : "", rc, pyreactor_result(p, NULL));
}

/* ------------------------------------------------- the host functions -- */

/* What the last call of `record` saw. */
static char seen_name[64], seen_args[256];
static size_t seen_len;
static int calls;

static int echo_fn(pyreactor_call_ctx *call, const char *name, const char *args, size_t len,
                   void *user)
{
  (void)name, (void)user;
  calls++;
  return pyreactor_reply_ok(call, args, len);
}

static int record_fn(pyreactor_call_ctx *call, const char *name, const char *args, size_t len,
                     void *user)
{
  snprintf(seen_name, sizeof seen_name, "%s", name);
  snprintf(seen_args, sizeof seen_args, "%s", args);
  seen_len = len;
  calls++;
  const char *reply = user;
  return pyreactor_reply_ok(call, reply, strlen(reply));
}

static int typed_error_fn(pyreactor_call_ctx *call, const char *name, const char *args, size_t len,
                          void *user)
{
  (void)name, (void)args, (void)len, (void)user;
  return pyreactor_reply_error(call, "LookupFailed", "no such key: ключ");
}

static int untyped_error_fn(pyreactor_call_ctx *call, const char *name, const char *args,
                            size_t len, void *user)
{
  (void)name, (void)args, (void)len, (void)user;
  return pyreactor_reply_error(call, NULL, NULL);
}

static int failing_fn(pyreactor_call_ctx *call, const char *name, const char *args, size_t len,
                      void *user)
{
  (void)call, (void)name, (void)args, (void)len, (void)user;
  return PYREACTOR_NOMEM;
}

/* Replies `user` as a JSON string of that many 'x'. */
static int big_fn(pyreactor_call_ctx *call, const char *name, const char *args, size_t len,
                  void *user)
{
  (void)name, (void)args, (void)len;
  size_t n = (size_t)(uintptr_t)user;
  char *text = malloc(n + 2);
  if (text == NULL)
    return PYREACTOR_NOMEM;
  memset(text + 1, 'x', n);
  text[0] = text[n + 1] = '"';
  int rc = pyreactor_reply_ok(call, text, n + 2);
  free(text);
  return rc;
}

/* Replies with the length of its args. */
static int length_fn(pyreactor_call_ctx *call, const char *name, const char *args, size_t len,
                     void *user)
{
  (void)name, (void)user;
  char text[32];
  snprintf(text, sizeof text, "%zu", strlen(args) == len ? len : (size_t)0);
  return pyreactor_reply_ok(call, text, strlen(text));
}

/* The dispatcher: replies with the name it was called by. */
static int dispatch_fn(pyreactor_call_ctx *call, const char *name, const char *args, size_t len,
                       void *user)
{
  (void)args, (void)len, (void)user;
  char text[128];
  snprintf(text, sizeof text, "[\"dispatched\", \"%.100s\"]", name);
  return pyreactor_reply_ok(call, text, strlen(text));
}

static const char caller[] = "import reactor\n"
                             "def call(name, *args, **kwargs):\n"
                             "    return reactor.call_host(name, *args, **kwargs)\n";

/* --------------------------------------------------- values and errors -- */

static void case_values(void)
{
  const pyreactor_host_function fns[] = {
    {"echo", echo_fn, NULL},
    {"record", record_fn, "123456789012345678901234567890123"},
  };
  pyreactor *p = open_with(fns, 2, 0);
  must_register(p, "call", caller);
  expect(p, "value", "call", "[\"echo\", 1, \"two\", [3], null]", PYREACTOR_OK, "[1,\"two\",[3],null]");
  expect(p, "kwargs", "call", "{\"name\": \"echo\", \"k\": {\"a\": 1}}", PYREACTOR_OK, "{\"k\":{\"a\":1}}");
  /* The args text reaches the callback as the guest wrote it, big numbers
  ** and all; the reply's big integer reaches the caller intact. */
  expect(p, "bigint out", "call", "[\"record\", 18446744073709551617, 0.1, \"ключ\"]", PYREACTOR_OK,
         "123456789012345678901234567890123");
  T_CHECK("bigint in", is(seen_args, "[18446744073709551617,0.1,\"ключ\"]") &&
                           seen_len == strlen(seen_args) && is(seen_name, "record"),
          "the callback saw %s (%zu bytes) as %s", seen_args, seen_len, seen_name);
  must_register(p, "attr", "import reactor\ndef attr(x):\n    return reactor.host.record(key=x)\n");
  expect(p, "reactor.host", "attr", "[\"k\"]", PYREACTOR_OK, "123456789012345678901234567890123");
  T_CHECK("reactor.host", is(seen_args, "{\"key\":\"k\"}"), "args %s", seen_args);
  pyreactor_close(p);
}

static void case_errors(void)
{
  const pyreactor_host_function fns[] = {
    {"typed", typed_error_fn, NULL},
    {"untyped", untyped_error_fn, NULL},
    {"failing", failing_fn, NULL},
  };
  pyreactor *p = open_with(fns, 3, 0);
  must_register(p, "call", caller);
  expect(p, "typed error", "call", "[\"typed\"]", PYREACTOR_ERR, "LookupFailed");
  T_CHECK("typed error", is(pyreactor_error_message(p), "no such key: ключ"), "message %s",
          pyreactor_error_message(p));
  must_register(p, "caught",
                "import reactor\ndef caught(name):\n    try:\n        reactor.call_host(name)\n"
                "    except reactor.HostError as e:\n        return [e.type, e.message, str(e)]\n");
  expect(p, "caught", "caught", "[\"typed\"]", PYREACTOR_OK,
         "[\"LookupFailed\",\"no such key: ключ\",\"no such key: ключ\"]");
  expect(p, "untyped", "caught", "[\"untyped\"]", PYREACTOR_OK, "[\"HostError\",\"\",\"\"]");
  expect(p, "failing", "caught", "[\"failing\"]", PYREACTOR_OK,
         "[\"HostError\",\"the host function failed: out of memory\","
         "\"the host function failed: out of memory\"]");
  expect(p, "no such", "call", "[\"nobody\"]", PYREACTOR_ERR, "NoSuchHostFunction");
  T_CHECK("no such", is(pyreactor_error_message(p), "no host function named nobody"), "message %s",
          pyreactor_error_message(p));
  pyreactor_close(p);
}

/* Guest code can give host.call any text and any name; the callback only
** ever sees a UTF-8 JSON array or object and a name it was given. */
static void case_raw_guest_calls(void)
{
  const pyreactor_host_function fns[] = {{"echo", echo_fn, NULL}, {NULL, dispatch_fn, NULL}};
  pyreactor *p = open_with(fns, 2, 0);
  must_register(p, "raw", "import _reactor_host, json\n"
                          "def raw(name, args):\n"
                          "    status, reply = _reactor_host.call(name, args)\n"
                          "    return [status, json.loads(reply)]\n");
  calls = 0;
  expect(p, "not json", "raw", "[\"echo\", \"[1,\"]", PYREACTOR_OK, NULL);
  T_CHECK("not json", strstr(pyreactor_result(p, NULL), "[1,{\"type\":\"InvalidArgs\"") != NULL,
          "got %s", pyreactor_result(p, NULL));
  expect(p, "scalar", "raw", "[\"echo\", \"5\"]", PYREACTOR_OK, NULL);
  T_CHECK("scalar", strstr(pyreactor_result(p, NULL), "InvalidArgs") != NULL, "got %s",
          pyreactor_result(p, NULL));
  T_CHECK("no callback", calls == 0, "echo ran %d times on bad args", calls);
  expect(p, "dispatcher", "raw", "[\"any.thing\", \"[]\"]", PYREACTOR_OK,
         "[0,[\"dispatched\",\"any.thing\"]]");
  expect(p, "nul name", "raw", "[\"ec\\u0000ho\", \"[]\"]", PYREACTOR_OK, NULL);
  T_CHECK("nul name", strstr(pyreactor_result(p, NULL), "NoSuchHostFunction") != NULL, "got %s",
          pyreactor_result(p, NULL));
  expect(p, "registered first", "raw", "[\"echo\", \"[7]\"]", PYREACTOR_OK, "[0,[7]]");
  pyreactor_close(p);
}

static void expect_open_misuse(const char *where, const pyreactor_host_function *fns, size_t n,
                               const char *contains)
{
  pyreactor_options o;
  pyreactor_options_init(&o);
  o.host_functions = fns;
  o.n_host_functions = n;
  pyreactor *p;
  int rc = pyreactor_open(&o, &p);
  const char *msg = pyreactor_error_message(p);
  T_CHECK(where, rc == PYREACTOR_MISUSE && msg != NULL && strstr(msg, contains) != NULL,
          "want MISUSE mentioning %s, got %d %s", contains, rc, pyreactor_result(p, NULL));
  pyreactor_close(p);
}

static void case_options(void)
{
  const pyreactor_host_function no_fn[] = {{"x", NULL, NULL}};
  const pyreactor_host_function empty[] = {{"", echo_fn, NULL}};
  const pyreactor_host_function twice[] = {{"a", echo_fn, NULL}, {"b", echo_fn, NULL}, {"a", echo_fn, NULL}};
  const pyreactor_host_function two_dispatchers[] = {{NULL, echo_fn, NULL}, {NULL, echo_fn, NULL}};
  const pyreactor_host_function not_utf8[] = {{"\xff", echo_fn, NULL}};
  expect_open_misuse("no fn", no_fn, 1, "needs fn");
  expect_open_misuse("empty name", empty, 1, "not empty");
  expect_open_misuse("twice", twice, 3, "host function a is given twice");
  expect_open_misuse("two dispatchers", two_dispatchers, 2, "at most one");
  expect_open_misuse("not utf-8", not_utf8, 1, "UTF-8");
  expect_open_misuse("NULL array", NULL, 1, "host_functions is NULL");
}

/* ------------------------------------------------ the reply helpers -- */

static pyreactor_call_ctx *kept_call;
static int helper_codes[4];

/* user says how to misbehave. */
static int misbehave_fn(pyreactor_call_ctx *call, const char *name, const char *args, size_t len,
                        void *user)
{
  (void)name, (void)args, (void)len;
  const char *how = user;
  kept_call = call;
  memset(helper_codes, -1, sizeof helper_codes);
  if (is(how, "twice")) {
    helper_codes[0] = pyreactor_reply_ok(call, "1", 1);
    helper_codes[1] = pyreactor_reply_ok(call, "2", 1);
    helper_codes[2] = pyreactor_reply_error(call, "E", "m");
  } else if (is(how, "invalid")) {
    helper_codes[0] = pyreactor_reply_ok(call, "{\"a\":", 5);
    helper_codes[1] = pyreactor_reply_ok(call, "1", 1);
  } else if (is(how, "utf8")) {
    helper_codes[0] = pyreactor_reply_ok(call, "\"\xff\"", 3);
  } else if (is(how, "null")) {
    helper_codes[0] = pyreactor_reply_ok(call, NULL, 4);
  } else if (is(how, "spaces")) {
    helper_codes[0] = pyreactor_reply_ok(call, " \n[1, 2] \t", 10);
  }
  helper_codes[3] = (int)pyreactor_call_ms_left(call);
  return PYREACTOR_OK; /* "none" gives no reply at all */
}

static void case_reply_misuse(void)
{
  const pyreactor_host_function fns[] = {
    {"twice", misbehave_fn, "twice"}, {"none", misbehave_fn, "none"},
    {"invalid", misbehave_fn, "invalid"}, {"utf8", misbehave_fn, "utf8"},
    {"null", misbehave_fn, "null"}, {"spaces", misbehave_fn, "spaces"},
  };
  pyreactor *p = open_with(fns, 6, 0);
  must_register(p, "call", caller);
  expect(p, "twice", "call", "[\"twice\"]", PYREACTOR_OK, "1");
  T_CHECK("twice", helper_codes[0] == PYREACTOR_OK && helper_codes[1] == PYREACTOR_MISUSE &&
                       helper_codes[2] == PYREACTOR_MISUSE && helper_codes[3] == -1,
          "codes %d %d %d, ms_left %d", helper_codes[0], helper_codes[1], helper_codes[2],
          helper_codes[3]);
  expect(p, "none", "call", "[\"none\"]", PYREACTOR_ERR, "HostError");
  T_CHECK("none", is(pyreactor_error_message(p), "the host function gave no reply"), "message %s",
          pyreactor_error_message(p));
  expect(p, "invalid", "call", "[\"invalid\"]", PYREACTOR_ERR, "HostError");
  T_CHECK("invalid", helper_codes[0] == PYREACTOR_MISUSE && helper_codes[1] == PYREACTOR_MISUSE &&
                         is(pyreactor_error_message(p), "the host function's reply is not valid JSON"),
          "codes %d %d, message %s", helper_codes[0], helper_codes[1], pyreactor_error_message(p));
  expect(p, "utf8", "call", "[\"utf8\"]", PYREACTOR_ERR, "HostError");
  T_CHECK("utf8", helper_codes[0] == PYREACTOR_MISUSE, "code %d", helper_codes[0]);
  expect(p, "null", "call", "[\"null\"]", PYREACTOR_ERR, "HostError");
  expect(p, "spaces", "call", "[\"spaces\"]", PYREACTOR_OK, "[1,2]");
  /* The context outlives the callback in the instance: a late reply is
  ** recognized, not written into a dead frame. */
  T_CHECK("after return", pyreactor_reply_ok(kept_call, "1", 1) == PYREACTOR_MISUSE &&
                              pyreactor_reply_error(kept_call, "E", "m") == PYREACTOR_MISUSE &&
                              pyreactor_call_ms_left(kept_call) == -1,
          "a reply after the callback returned was taken");
  T_CHECK("NULL call", pyreactor_reply_ok(NULL, "1", 1) == PYREACTOR_MISUSE &&
                           pyreactor_reply_error(NULL, NULL, NULL) == PYREACTOR_MISUSE &&
                           pyreactor_call_ms_left(NULL) == -1,
          "NULL call accepted");
  expect(p, "still works", "call", "[\"twice\"]", PYREACTOR_OK, "1");
  pyreactor_close(p);
}

/* --------------------------------------------------------- big and many -- */

static void case_big(void)
{
  const pyreactor_host_function fns[] = {
    {"big", big_fn, (void *)(uintptr_t)1000000},
    {"length", length_fn, NULL},
  };
  pyreactor *p = open_with(fns, 2, 0);
  must_register(p, "big", "import reactor\ndef big():\n    s = reactor.call_host('big')\n"
                          "    return [len(s), s.count('x')]\n");
  expect(p, "1 MB reply", "big", "[]", PYREACTOR_OK, "[1000000,1000000]");
  must_register(p, "send", "import reactor\ndef send(n):\n    return reactor.call_host('length', 'y' * n)\n");
  expect(p, "1 MB args", "send", "[1000000]", PYREACTOR_OK, "1000004");
  pyreactor_close(p);
}

static long rss_kb(void)
{
  FILE *f = fopen("/proc/self/statm", "r");
  long pages = 0, resident = 0;
  if (f != NULL) {
    if (fscanf(f, "%ld %ld", &pages, &resident) != 2)
      resident = 0;
    fclose(f);
  }
  return resident * 4;
}

static void case_many(void)
{
  const pyreactor_host_function fns[] = {{"echo", echo_fn, NULL}};
  pyreactor *p = open_with(fns, 1, 0);
  must_register(p, "many", "import reactor\ndef many(n):\n    t = 0\n    for i in range(n):\n"
                           "        t += reactor.call_host('echo', i, 'x' * 100)[0]\n    return t\n");
  must_register(p, "one", "import reactor\ndef one(i):\n    return reactor.call_host('echo', i)\n");
  expect(p, "warm-up", "many", "[10000]", PYREACTOR_OK, "49995000");
  for (int i = 0; i < 2000; i++)
    pyreactor_apply_def(p, "one", "[1]");
  const void *base;
  size_t guest0, guest1;
  pyreactor_testing_memory(p, &base, &guest0);
  long rss0 = rss_kb();
  calls = 0;
  expect(p, "10000 in one apply", "many", "[10000]", PYREACTOR_OK, "49995000");
  int bad = 0;
  for (int i = 0; i < 10000; i++)
    bad += pyreactor_apply_def(p, "one", "[1]") != PYREACTOR_OK;
  long rss1 = rss_kb();
  pyreactor_testing_memory(p, &base, &guest1);
  T_CHECK("10000 applies", bad == 0 && calls == 20000, "%d failed, %d calls", bad, calls);
  T_CHECK("guest memory flat", guest1 == guest0, "guest memory %zu -> %zu", guest0, guest1);
#ifndef UNDER_ASAN /* ASan's quarantine holds freed blocks: RSS grows by design */
  T_CHECK("host memory flat", rss1 - rss0 < 512, "RSS %ld -> %ld KiB", rss0, rss1);
#else
  (void)rss0, (void)rss1;
#endif
  pyreactor_close(p);
}

/* ------------------------------------------------------------ re-entry -- */

typedef struct reentry {
  pyreactor *self, *other;
  int apply, reset, close, timeout, other_apply;
  char type[32];
} reentry;

static int reenter_fn(pyreactor_call_ctx *call, const char *name, const char *args, size_t len,
                      void *user)
{
  (void)name, (void)args, (void)len;
  reentry *r = user;
  r->apply = pyreactor_apply_def(r->self, "call", "[\"echo\", 1]");
  snprintf(r->type, sizeof r->type, "%s", pyreactor_error_type(r->self) ? pyreactor_error_type(r->self) : "");
  r->reset = pyreactor_reset(r->self);
  r->close = pyreactor_close(r->self);
  r->timeout = pyreactor_set_timeout(r->self, 5);
  r->other_apply = pyreactor_apply_def(r->other, "call", "[\"echo\", 2]");
  return pyreactor_reply_ok(call, pyreactor_result(r->other, NULL), strlen(pyreactor_result(r->other, NULL)));
}

static void case_reentry(void)
{
  reentry r;
  memset(&r, 0, sizeof r);
  const pyreactor_host_function fns[] = {{"echo", echo_fn, NULL}, {"reenter", reenter_fn, &r}};
  r.self = open_with(fns, 2, 0);
  r.other = open_with(fns, 2, 0);
  must_register(r.self, "call", caller);
  must_register(r.other, "call", caller);
  expect(r.self, "reentry", "call", "[\"reenter\"]", PYREACTOR_OK, "[2]");
  T_CHECK("reentry", r.apply == PYREACTOR_MISUSE && is(r.type, "Busy") && r.reset == PYREACTOR_MISUSE &&
                         r.close == PYREACTOR_MISUSE && r.timeout == PYREACTOR_MISUSE &&
                         r.other_apply == PYREACTOR_OK,
          "apply %d (%s), reset %d, close %d, set_timeout %d, other instance %d", r.apply, r.type,
          r.reset, r.close, r.timeout, r.other_apply);
  expect(r.self, "after reentry", "call", "[\"echo\", 3]", PYREACTOR_OK, "[3]");
  T_CHECK("after reentry", pyreactor_rebuilds(r.self) == 0, "rebuilt");
  pyreactor_close(r.self);
  pyreactor_close(r.other);
}

/* ---------------------------------------------------------- time limit -- */

static long left_at_start, left_at_end;

static int slow_fn(pyreactor_call_ctx *call, const char *name, const char *args, size_t len,
                   void *user)
{
  (void)name, (void)args, (void)len;
  left_at_start = pyreactor_call_ms_left(call);
  sleep_ms((double)(uintptr_t)user);
  left_at_end = pyreactor_call_ms_left(call);
  return pyreactor_reply_ok(call, "\"late\"", 6);
}

/* Waits in slices bounded by the time left, as a good callback does. */
static int polite_fn(pyreactor_call_ctx *call, const char *name, const char *args, size_t len,
                     void *user)
{
  (void)name, (void)args, (void)len, (void)user;
  long left;
  while ((left = pyreactor_call_ms_left(call)) != 0)
    sleep_ms(left > 0 && left < 20 ? (double)left : 20);
  return pyreactor_reply_error(call, "Timeout", "gave up");
}

static void case_timeout(void)
{
  const pyreactor_host_function fns[] = {
    {"slow", slow_fn, (void *)(uintptr_t)700}, {"quick", slow_fn, (void *)(uintptr_t)1},
    {"polite", polite_fn, NULL},
  };
  pyreactor *p = open_with(fns, 3, 250);
  must_register(p, "call", caller);
  double t0 = now_ms();
  int rc = pyreactor_apply_def(p, "call", "[\"slow\"]");
  double took = now_ms() - t0;
  T_CHECK("outlives", rc == PYREACTOR_TIMEOUT && is(pyreactor_error_type(p), "Timeout"), "got %d %s",
          rc, pyreactor_result(p, NULL));
  /* Ends as the callback returns, not before (it cannot be interrupted),
  ** and not much after. */
  T_CHECK("outlives", took >= 690 && took < 690 + 400, "took %.0f ms", took);
  T_CHECK("ms_left", left_at_start > 0 && left_at_start <= 250 && left_at_end == 0,
          "ms_left %ld at the start, %ld at the end", left_at_start, left_at_end);
  T_CHECK("rebuilt", pyreactor_rebuilds(p) == 1, "rebuilds %lu", pyreactor_rebuilds(p));
  expect(p, "usable", "call", "[\"quick\"]", PYREACTOR_OK, "\"late\"");
  T_CHECK("ms_left", left_at_start > 0 && left_at_start <= 250 && left_at_end > 0,
          "ms_left %ld at the start, %ld at the end", left_at_start, left_at_end);
  t0 = now_ms();
  rc = pyreactor_apply_def(p, "call", "[\"polite\"]");
  took = now_ms() - t0;
  T_CHECK("polite", rc == PYREACTOR_TIMEOUT && took < 250 + 150, "got %d after %.0f ms", rc, took);
  pyreactor_set_timeout(p, 0);
  expect(p, "no limit", "call", "[\"quick\"]", PYREACTOR_OK, "\"late\"");
  T_CHECK("no limit", left_at_start == -1, "ms_left %ld without a limit", left_at_start);
  pyreactor_close(p);
}

/* ------------------------------------------------ registration, replay -- */

static int counter_fn(pyreactor_call_ctx *call, const char *name, const char *args, size_t len,
                      void *user)
{
  (void)name, (void)args, (void)len;
  int *n = user;
  char text[16];
  snprintf(text, sizeof text, "%d", ++*n);
  return pyreactor_reply_ok(call, text, strlen(text));
}

static void case_replay(void)
{
  int count = 0;
  const pyreactor_host_function fns[] = {{"count", counter_fn, &count}};
  pyreactor *p = open_with(fns, 1, 0);
  int rc = pyreactor_register_module(p, "config", "import reactor\nSTART = reactor.call_host('count')\n");
  T_CHECK("at registration", rc == PYREACTOR_OK && count == 1, "register_module: %d %s, %d calls", rc,
          pyreactor_result(p, NULL), count);
  must_register(p, "start", "import config\ndef start():\n    return config.START\n");
  must_register(p, "boom", "import os\ndef boom():\n    os.abort()\n");
  expect(p, "before", "start", "[]", PYREACTOR_OK, "1");
  expect(p, "trap", "boom", "[]", PYREACTOR_TRAP, "Trap");
  T_CHECK("at replay", count == 2 && pyreactor_rebuilds(p) == 1 && pyreactor_replay_failures(p) == 0,
          "%d calls, %lu rebuilds, %lu replay failures", count, pyreactor_rebuilds(p),
          pyreactor_replay_failures(p));
  expect(p, "after", "start", "[]", PYREACTOR_OK, "2");
  pyreactor_close(p);
}

/* ------------------------------------------------------------- splitting -- */

/* Words joined by '|', or "!" + why. */
static void split_text(const char *text, char *out, size_t cap)
{
  host_command c;
  const char *why;
  int rc = host_command_split(text, &c, &why);
  if (rc != HOST_COMMAND_OK) {
    snprintf(out, cap, "!%s", rc == HOST_COMMAND_NOMEM ? "nomem" : why);
    return;
  }
  size_t n = 0;
  out[0] = '\0';
  for (size_t i = 0; i < c.argc && n < cap; i++)
    n += (size_t)snprintf(out + n, cap - n, "%s%s", i ? "|" : "", c.argv[i]);
  T_CHECK(text, c.argv[c.argc] == NULL, "argv not NULL-terminated");
  host_command_free(&c);
}

static void case_split(void)
{
  static const char *const cases[][2] = {
    {"cat", "cat"},
    {"  sort   -n\t-r\n", "sort|-n|-r"},
    {"sh -c 'echo nope >&2; exit 3'", "sh|-c|echo nope >&2; exit 3"},
    {"a 'b c' \"d e\" f\\ g", "a|b c|d e|f g"},
    {"a''b \"\"c ''", "ab|c|"},
    {"echo \"a\\\"b\\\\c\\$d\\`e\\x\"", "echo|a\"b\\c$d`e\\x"},
    {"echo 'a\\b' \\'q\\'", "echo|a\\b|'q'"},
    {"echo a\\\nb \"c\\\nd\"", "echo|ab|cd"},
    {"printf %s x=1 a#b a~b", "printf|%s|x=1|a#b|a~b"},
    {"ls *.c ? [ab]", "ls|*.c|?|[ab]"},
    {"'A=1' b", "A=1|b"},
    {"A\\=1 b", "A=1|b"},
    {"9A=1 b", "9A=1|b"},
    {"python3 -c 'import sys; print(sys.stdin.read())'", "python3|-c|import sys; print(sys.stdin.read())"},
    {"ключ 😀", "ключ|😀"},
    {"a 'b", "!an unterminated single quote"},
    {"a \"b", "!an unterminated double quote"},
    {"a \\", "!a backslash at the end"},
    {"a \"$HOME\"", "!$ or ` between double quotes (a shell would expand it)"},
    {"", "!no words"},
    {" \t\n", "!no words"},
    {"A=1 b", "!a NAME=VALUE first word (a shell would take it for an assignment; run env NAME=VALUE COMMAND)"},
  };
  char got[512];
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    split_text(cases[i][0], got, sizeof got);
    T_CHECK(cases[i][0], is(got, cases[i][1]), "split as \"%s\", want \"%s\"", got, cases[i][1]);
  }
  static const char *const shell_only[] = {"a | b", "a;b", "a && b", "a > f", "a < f", "(a)",
                                           "echo $HOME", "echo `x`", "a #comment", "cd ~", "a 2>&1"};
  for (size_t i = 0; i < sizeof shell_only / sizeof shell_only[0]; i++) {
    split_text(shell_only[i], got, sizeof got);
    T_CHECK(shell_only[i], got[0] == '!' && strstr(got, "shell") != NULL, "split as \"%s\"", got);
  }
}

/* -------------------------------------------------------------- commands -- */

static int count_fds(void)
{
  DIR *d = opendir("/proc/self/fd");
  int n = 0;
  for (struct dirent *e; d != NULL && (e = readdir(d)) != NULL;)
    n += e->d_name[0] != '.';
  if (d != NULL)
    closedir(d);
  return n - 1; /* the directory's own */
}

static bool no_children(void)
{
  return waitpid(-1, NULL, WNOHANG) == -1 && errno == ECHILD;
}

typedef struct commands {
  host_command c[10];
  pyreactor_host_function fns[10];
  size_t n;
} commands;

static void add_command(commands *cs, const char *name, const char *text)
{
  const char *why;
  if (host_command_split(text, &cs->c[cs->n], &why) != HOST_COMMAND_OK) {
    t_fail(name, "cannot split %s", text);
    return;
  }
  cs->fns[cs->n] = (pyreactor_host_function){name, host_command_fn, &cs->c[cs->n]};
  cs->n++;
}

static void case_commands(void)
{
  commands cs;
  memset(&cs, 0, sizeof cs);
  add_command(&cs, "echo", "cat");
  add_command(&cs, "fail", "sh -c 'echo nope >&2; exit 3'");
  add_command(&cs, "deaf", "echo 1");
  add_command(&cs, "missing", "/nonexistent/command");
  add_command(&cs, "killed", "sh -c 'kill -9 $$'");
  add_command(&cs, "hang", "sh -c 'sleep 30 & sleep 31'");
  add_command(&cs, "closes", "sh -c 'exec >&- 2>&-; sleep 30'");
  add_command(&cs, "env", "sh -c 'env | grep -c .'");
  int fds0 = count_fds();
  pyreactor *p = open_with(cs.fns, cs.n, 0);
  must_register(p, "call", caller);
  must_register(p, "bigecho", "import reactor\ndef bigecho(n):\n    s = 'z' * n\n"
                              "    return reactor.call_host('echo', s)[0] == s\n");
  expect(p, "cat", "call", "[\"echo\", 18446744073709551617, {\"k\": \"😀\"}]", PYREACTOR_OK,
         "[18446744073709551617,{\"k\":\"😀\"}]");
  /* Bigger than a pipe's buffer both ways: written and read at once. */
  expect(p, "cat 2 MB", "bigecho", "[2000000]", PYREACTOR_OK, "true");
  expect(p, "fail", "call", "[\"fail\"]", PYREACTOR_ERR, "HostError");
  T_CHECK("fail", is(pyreactor_error_message(p), "nope"), "message %s", pyreactor_error_message(p));
  must_register(p, "deaf", "import reactor\ndef deaf():\n    return reactor.call_host('deaf', 'w' * 3000000)\n");
  expect(p, "not reading stdin", "deaf", "[]", PYREACTOR_OK, "1");
  /* Only PATH (and what sh sets itself: PWD) of our environment. */
  setenv("PYREACTOR_TEST_SECRET", "x", 1);
  expect(p, "environment", "call", "[\"env\"]", PYREACTOR_OK, NULL);
  T_CHECK("environment", atoi(pyreactor_result(p, NULL)) <= 3, "the command saw %s variables",
          pyreactor_result(p, NULL));
  expect(p, "missing", "call", "[\"missing\"]", PYREACTOR_ERR, "HostError");
  T_CHECK("missing", strstr(pyreactor_error_message(p), "cannot run /nonexistent/command") != NULL,
          "message %s", pyreactor_error_message(p));
  expect(p, "killed", "call", "[\"killed\"]", PYREACTOR_ERR, "HostError");
  T_CHECK("killed", is(pyreactor_error_message(p), "sh was killed by signal 9"), "message %s",
          pyreactor_error_message(p));
  T_CHECK("no zombie", no_children(), "a child is left");
  pyreactor_set_timeout(p, 400);
  for (int i = 0; i < 2; i++) {
    const char *which = i == 0 ? "[\"hang\"]" : "[\"closes\"]";
    double t0 = now_ms();
    int rc = pyreactor_apply_def(p, "call", which);
    double took = now_ms() - t0;
    T_CHECK(which, rc == PYREACTOR_TIMEOUT && took < 400 + 400, "got %d after %.0f ms: %s", rc, took,
            pyreactor_result(p, NULL));
    T_CHECK(which, no_children(), "a child is left after the time limit");
  }
  expect(p, "after", "call", "[\"echo\", 5]", PYREACTOR_OK, "[5]");
  pyreactor_close(p);
  T_CHECK("no descriptor left", count_fds() == fds0, "%d descriptors before, %d after", fds0, count_fds());
  for (size_t i = 0; i < cs.n; i++)
    host_command_free(&cs.c[i]);
}

int main(void)
{
  case_values();
  case_errors();
  case_raw_guest_calls();
  case_options();
  case_reply_misuse();
  case_big();
  case_many();
  case_reentry();
  case_timeout();
  case_replay();
  case_split();
  case_commands();
  return t_summary("native-host-functions");
}
