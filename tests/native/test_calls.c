/*
** test_calls.c -- what a call does around the guest (issues 13 and 14):
** per-call output capture, the default sink (the host's fd 2) and the
** discard sink, the bounded replay after a trap, two threads racing on one
** instance, and calls from a thread that blocks every signal.
*/
#include "pyreactor.h"
#include "test_util.h"

#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <time.h>
#include <unistd.h>

static double now_ms(void)
{
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (double)t.tv_sec * 1e3 + (double)t.tv_nsec / 1e6;
}

/* What a sink received, both streams together. */
typedef struct seen {
  char text[4096];
  size_t n;
  pyreactor *p; /* for the re-entry check */
  int reentry_rc;
} seen;

static void to_seen(void *user, const char *data, size_t len)
{
  seen *s = user;
  size_t room = sizeof s->text - 1 - s->n;
  size_t k = len < room ? len : room;
  memcpy(s->text + s->n, data, k);
  s->n += k;
  s->text[s->n] = '\0';
  if (s->p != NULL)
    s->reentry_rc = pyreactor_set_capture(s->p, 1);
}

/* Default options but stderr (guest output, replay warnings) into s. */
static void watch_stderr(pyreactor_options *o, seen *s)
{
  memset(s, 0, sizeof *s);
  pyreactor_options_init(o);
  o->stderr_sink = to_seen;
  o->sink_user = s;
}

static const char printer[] =
  "import sys\n"
  "def show(out, err):\n"
  "    print(out, end='')\n"
  "    sys.stderr.write(err)\n"
  "    return len(out) + len(err)\n";

/* ------------------------------------------------------------ capture -- */

static void case_capture(void)
{
  seen s;
  pyreactor_options o;
  watch_stderr(&o, &s);
  o.stdout_sink = to_seen;
  pyreactor *p = t_open(&o);
  pyreactor_register_def(p, "show", printer);
  T_CHECK("capture off", pyreactor_apply_def(p, "show", "[\"a\", \"b\"]") == PYREACTOR_OK &&
                             t_streq(s.text, "ab") && t_streq(pyreactor_output(p, 1, NULL), ""),
          "sink %s, output %s", s.text, pyreactor_output(p, 1, NULL));

  T_CHECK("set_capture", pyreactor_set_capture(p, 1) == PYREACTOR_OK, "refused");
  size_t n1 = 99, n2 = 99;
  int rc = pyreactor_apply_def(p, "show", "[\"out\\n\", \"err\\u0000x\"]");
  const char *out = pyreactor_output(p, 1, &n1), *err = pyreactor_output(p, 2, &n2);
  T_CHECK("captured", rc == PYREACTOR_OK && t_streq(out, "out\n") && n1 == 4 && n2 == 5 &&
                          memcmp(err, "err\0x", 6) == 0 && t_streq(s.text, "ab"),
          "rc %d out [%s] %zu err %zu sink [%s]", rc, out, n1, n2, s.text);
  T_CHECK("not truncated", pyreactor_output_truncated(p, 1) == 0 && pyreactor_output_truncated(p, 2) == 0,
          "truncated");
  T_CHECK("bad stream", pyreactor_output(p, 0, &n1) == NULL && n1 == 0 &&
                            pyreactor_output(p, 3, NULL) == NULL && pyreactor_output(NULL, 1, NULL) == NULL &&
                            pyreactor_output_truncated(p, 3) == 0,
          "stream 0/3 not NULL");

  /* The next call replaces it; one that prints nothing leaves "". */
  pyreactor_apply_def(p, "show", "[\"\", \"\"]");
  T_CHECK("replaced", t_streq(pyreactor_output(p, 1, NULL), "") && t_streq(pyreactor_output(p, 2, NULL), ""),
          "left [%s]", pyreactor_output(p, 1, NULL));

  /* A call that times out keeps what it wrote before the timeout. */
  pyreactor_register_def(p, "spin", "def spin():\n    print('before', flush=True)\n"
                                    "    while True:\n        pass\n");
  pyreactor_set_timeout(p, 200);
  rc = pyreactor_apply_def(p, "spin", "[]");
  T_CHECK("timeout keeps output", rc == PYREACTOR_TIMEOUT && t_streq(pyreactor_output(p, 1, NULL), "before\n"),
          "rc %d out [%s]", rc, pyreactor_output(p, 1, NULL));
  pyreactor_set_timeout(p, 0);

  /* And one that traps. */
  pyreactor_register_def(p, "deep", "import sys\nclass L:\n    def __repr__(self):\n"
                                    "        return 'L(%r)' % (self,)\n"
                                    "def deep():\n    sys.stderr.write('going down')\n"
                                    "    sys.stderr.flush()\n"
                                    "    sys.setrecursionlimit(10**7)\n    return repr(L())\n");
  rc = pyreactor_apply_def(p, "deep", "[]");
  T_CHECK("trap keeps output", rc == PYREACTOR_TRAP && t_streq(pyreactor_output(p, 2, NULL), "going down"),
          "rc %d err [%s]", rc, pyreactor_output(p, 2, NULL));

  /* Off again: to the sinks. */
  T_CHECK("set_capture 0", pyreactor_set_capture(p, 0) == PYREACTOR_OK, "refused");
  s.n = 0;
  pyreactor_apply_def(p, "show", "[\"c\", \"d\"]");
  T_CHECK("off again", t_streq(s.text, "cd") && t_streq(pyreactor_output(p, 1, NULL), ""), "sink [%s]", s.text);

  /* From inside a sink of the same instance: refused. */
  s.p = p;
  pyreactor_apply_def(p, "show", "[\"e\", \"\"]");
  s.p = NULL;
  T_CHECK("set_capture from a sink", s.reentry_rc == PYREACTOR_MISUSE, "gave %d", s.reentry_rc);
  T_CHECK("set_capture NULL", pyreactor_set_capture(NULL, 1) == PYREACTOR_MISUSE, "not refused");
  pyreactor_close(p);
}

static void case_capture_limit(void)
{
  pyreactor_options o;
  pyreactor_options_init(&o);
  o.capture_output = 1;
  o.capture_limit = 10;
  pyreactor *p = t_open(&o);
  pyreactor_register_def(p, "show", printer);
  size_t n = 0;
  int rc = pyreactor_apply_def(p, "show", "[\"0123456789abcdef\", \"short\"]");
  const char *out = pyreactor_output(p, 1, &n);
  T_CHECK("limit", rc == PYREACTOR_OK && n == 10 && t_streq(out, "0123456789") &&
                       pyreactor_output_truncated(p, 1) == 1 && pyreactor_output_truncated(p, 2) == 0 &&
                       t_streq(pyreactor_output(p, 2, NULL), "short"),
          "rc %d out [%s] %zu truncated %d", rc, out, n, pyreactor_output_truncated(p, 1));
  pyreactor_apply_def(p, "show", "[\"x\", \"\"]");
  T_CHECK("limit per call", t_streq(pyreactor_output(p, 1, NULL), "x") && pyreactor_output_truncated(p, 1) == 0,
          "out [%s]", pyreactor_output(p, 1, NULL));
  pyreactor_close(p);

  /* The default bound (16 MiB) keeps 1 MiB whole. */
  pyreactor_options_init(&o);
  o.capture_output = 1;
  p = t_open(&o);
  pyreactor_register_def(p, "big", "def big(n):\n    print('x' * n, end='')\n");
  rc = pyreactor_apply_def(p, "big", "[1048576]");
  pyreactor_output(p, 1, &n);
  T_CHECK("1 MiB", rc == PYREACTOR_OK && n == 1048576 && pyreactor_output_truncated(p, 1) == 0,
          "rc %d n %zu", rc, n);
  pyreactor_close(p);
}

/* Instances on two threads capture at the same time, each its own. */
static void *capture_worker(void *arg)
{
  intptr_t id = (intptr_t)arg;
  pyreactor_options o;
  pyreactor_options_init(&o);
  o.capture_output = 1;
  pyreactor *p = t_open(&o);
  pyreactor_register_def(p, "say", "def say(w, n):\n    for _ in range(n):\n        print(w)\n");
  char args[64], want[64];
  snprintf(args, sizeof args, "[\"w%d\", 3]", (int)id);
  snprintf(want, sizeof want, "w%d\nw%d\nw%d\n", (int)id, (int)id, (int)id);
  intptr_t bad = 0;
  for (int i = 0; i < 200; i++)
    if (pyreactor_apply_def(p, "say", args) != PYREACTOR_OK || !t_streq(pyreactor_output(p, 1, NULL), want))
      bad++;
  pyreactor_close(p);
  return (void *)bad;
}

static void case_capture_threads(void)
{
  pthread_t t[2];
  for (intptr_t i = 0; i < 2; i++)
    pthread_create(&t[i], NULL, capture_worker, (void *)i);
  for (int i = 0; i < 2; i++) {
    void *bad;
    pthread_join(t[i], &bad);
    T_CHECK("capture per thread", bad == NULL, "thread %d: %ld calls saw other output", i, (long)(intptr_t)bad);
  }
}

/* ------------------------------------------------------ default sinks -- */

/* Runs `show` with fds 1 and 2 sent to files, and reads them back. */
static void run_redirected(pyreactor *p, char *out, char *err, size_t cap)
{
  fflush(stdout);
  fflush(stderr);
  FILE *fo = tmpfile(), *fe = tmpfile();
  int keep1 = dup(1), keep2 = dup(2);
  dup2(fileno(fo), 1);
  dup2(fileno(fe), 2);
  pyreactor_apply_def(p, "show", "[\"to-out\\n\", \"to-err\\n\"]");
  dup2(keep1, 1);
  dup2(keep2, 2);
  close(keep1);
  close(keep2);
  FILE *f[2] = {fo, fe};
  char *dst[2] = {out, err};
  for (int i = 0; i < 2; i++) {
    rewind(f[i]);
    size_t k = fread(dst[i], 1, cap - 1, f[i]);
    dst[i][k] = '\0';
    fclose(f[i]);
  }
}

static void case_default_sinks(void)
{
  char out[256], err[256];
  pyreactor *p = t_open(NULL);
  pyreactor_register_def(p, "show", printer);
  run_redirected(p, out, err, sizeof out);
  /* (Python flushes its stderr at once, its stdout when the call ends.) */
  T_CHECK("NULL sinks: fd 2", t_streq(out, "") && strlen(err) == 14 && strstr(err, "to-out\n") != NULL &&
                                  strstr(err, "to-err\n") != NULL,
          "fd 1 [%s] fd 2 [%s]", out, err);
  pyreactor_close(p);

  pyreactor_options o;
  pyreactor_options_init(&o);
  o.stdout_sink = pyreactor_sink_discard;
  o.stderr_sink = pyreactor_sink_discard;
  p = t_open(&o);
  pyreactor_register_def(p, "show", printer);
  run_redirected(p, out, err, sizeof out);
  T_CHECK("discard sinks", t_streq(out, "") && t_streq(err, ""), "fd 1 [%s] fd 2 [%s]", out, err);
  pyreactor_close(p);

  /* A closed stderr pipe costs the text, not the process (SIGPIPE). */
  p = t_open(NULL);
  pyreactor_register_def(p, "show", printer);
  int fds[2];
  if (pipe(fds) == 0) {
    close(fds[0]);
    fflush(stderr);
    int keep2 = dup(2);
    dup2(fds[1], 2);
    int rc = pyreactor_apply_def(p, "show", "[\"x\", \"y\"]");
    dup2(keep2, 2);
    close(keep2);
    close(fds[1]);
    T_CHECK("broken stderr", rc == PYREACTOR_OK, "rc %d", rc);
  }
  pyreactor_close(p);
}

/* ------------------------------------------------------------- replay -- */

/* A module that behaves when registered and loops once `at` has passed. */
static void register_time_bomb(pyreactor *p, const char *name, double at)
{
  char code[256];
  snprintf(code, sizeof code,
           "import time\nif time.time() > %.3f:\n    while True:\n        pass\n"
           "def f():\n    return 1\n",
           at);
  int rc = pyreactor_register_module(p, name, code);
  T_CHECK("time bomb registers", rc == PYREACTOR_OK, "%s: %s", name, pyreactor_errmsg(p));
}

static const char deep_code[] =
  "import sys\nclass L:\n    def __repr__(self):\n        return 'L(%r)' % (self,)\n"
  "def deep():\n    sys.setrecursionlimit(10**7)\n    return repr(L())\n";

static int count(const char *hay, const char *needle)
{
  int n = 0;
  for (const char *s = strstr(hay, needle); s != NULL; s = strstr(s + 1, needle))
    n++;
  return n;
}

static void case_replay_budget(void)
{
  seen s;
  pyreactor_options o;
  watch_stderr(&o, &s);
  o.timeout_ms = 200;
  o.stack_size = (size_t)2 << 20; /* deep recursion traps in ~60 ms, not ~220 */
  pyreactor *p = t_open(&o);
  pyreactor_register_def(p, "good", "def good():\n    return 'still here'\n");
  pyreactor_register_def(p, "deep", deep_code);
  struct timespec wall;
  clock_gettime(CLOCK_REALTIME, &wall);
  double at = (double)wall.tv_sec + (double)wall.tv_nsec / 1e9 + 0.35;
  register_time_bomb(p, "m1", at);
  register_time_bomb(p, "m2", at);
  register_time_bomb(p, "m3", at);
  /* A trapping call while the modules still behave: the trap, one rebuild. */
  double t0 = now_ms();
  int rc = pyreactor_apply_def(p, "deep", "[]");
  double base = now_ms() - t0;
  T_CHECK("trap before", rc == PYREACTOR_TRAP && pyreactor_replay_failures(p) == 0, "rc %d", rc);
  while (now_ms() - t0 < 450) /* `at` passes */
    usleep(10 * 1000);

  t0 = now_ms();
  rc = pyreactor_apply_def(p, "deep", "[]");
  double took = now_ms() - t0;
  /* The three cost 2 x 200 ms (the budget) + ~100 ms (the third's own
  ** allowance) + their rebuilds, each about `base` (the trap and one
  ** rebuild; + 50 ms, for the load of a shared 2-core machine); before
  ** the budget: 3 x 10 s. */
  T_CHECK("trap answered in time", rc == PYREACTOR_TRAP && took < 4 * (base + 50) + 3 * 200 + 100,
          "rc %d after %.0f ms (%.0f ms without the loops)", rc, took, base);
  printf("trapping call: %.0f ms; with 3 modules looping on replay under 200 ms: %.0f ms\n", base, took);
  T_CHECK("dropped", pyreactor_replay_failures(p) == 3, "replay failures %lu",
          pyreactor_replay_failures(p));
  T_CHECK("warned", count(s.text, "pyreactor: replaying register_module m") == 3 &&
                        count(s.text, "; dropped\n") == 3,
          "warnings [%s]", s.text);
  rc = pyreactor_apply_def(p, "m2.f", "[]");
  T_CHECK("dropped is NotRegistered", rc == PYREACTOR_ERR && t_streq(pyreactor_error_type(p), "NotRegistered"),
          "rc %d %s", rc, pyreactor_errmsg(p));
  rc = pyreactor_apply_def(p, "good", "[]");
  T_CHECK("others kept", rc == PYREACTOR_OK && t_streq(pyreactor_result(p, NULL), "\"still here\""),
          "rc %d %s", rc, pyreactor_result(p, NULL));
  pyreactor_close(p);
}

/* A registration that only waits past its own replay time (here a sleep;
** on a loaded machine, the CPU it does not get) is tried once more with
** four times as long, and kept. */
static void case_replay_retry(void)
{
  seen s;
  pyreactor_options o;
  watch_stderr(&o, &s);
  pyreactor *p = t_open(&o);
  struct timespec wall;
  clock_gettime(CLOCK_REALTIME, &wall);
  double at = (double)wall.tv_sec + (double)wall.tv_nsec / 1e9 + 0.2;
  char code[256];
  snprintf(code, sizeof code, "import time\nif time.time() > %.3f:\n    time.sleep(0.25)\n"
           "def f():\n    return 1\n", at);
  int rc = pyreactor_register_module(p, "slow", code);
  T_CHECK("sleeper registers", rc == PYREACTOR_OK, "%s", pyreactor_errmsg(p));
  pyreactor_register_lambda(p, "spin", "lambda: [0 for _ in iter(int, 1)]");
  usleep(300 * 1000);
  pyreactor_set_timeout(p, 5); /* a budget of 10 ms: the module gets its own time */
  double t0 = now_ms();
  rc = pyreactor_apply_lambda(p, "spin", "[]");
  double took = now_ms() - t0;
  pyreactor_set_timeout(p, 0);
  printf("replay of a module that sleeps 250 ms past its own time: %.0f ms\n", took);
  T_CHECK("sleeper kept", rc == PYREACTOR_TIMEOUT && pyreactor_replay_failures(p) == 0 && s.n == 0,
          "rc %d, failures %lu, warnings [%s]", rc, pyreactor_replay_failures(p), s.text);
  rc = pyreactor_apply_def(p, "slow.f", "[]");
  T_CHECK("sleeper works", rc == PYREACTOR_OK && t_streq(pyreactor_result(p, NULL), "1"), "rc %d %s", rc,
          pyreactor_result(p, NULL));
  pyreactor_close(p);
}

/* ------------------------------------------------------ racing threads -- */

typedef struct racer {
  pyreactor *p;
  long ok, busy, other;
} racer;

/* Each thread calls for 300 ms, so that both get turns. */
static void *race(void *arg)
{
  racer *r = arg;
  double end = now_ms() + 300;
  for (int i = 0; now_ms() < end; i++) {
    int rc = i % 100 == 7   ? pyreactor_set_timeout(r->p, 0)
             : i % 100 == 9 ? pyreactor_set_capture(r->p, 0)
                            : pyreactor_apply_def(r->p, "inc", "[1]");
    if (rc == PYREACTOR_OK)
      r->ok++;
    else if (rc == PYREACTOR_MISUSE)
      r->busy++;
    else
      r->other++;
  }
  return NULL;
}

static void case_racing_threads(void)
{
  pyreactor *p = t_open(NULL);
  pyreactor_register_def(p, "inc", "def inc(x):\n    return x + 1\n");
  racer r[2];
  pthread_t t[2];
  for (int i = 0; i < 2; i++) {
    memset(&r[i], 0, sizeof r[i]);
    r[i].p = p;
    pthread_create(&t[i], NULL, race, &r[i]);
  }
  for (int i = 0; i < 2; i++)
    pthread_join(t[i], NULL);
  printf("racing threads: ok %ld+%ld, refused %ld+%ld\n", r[0].ok, r[1].ok, r[0].busy, r[1].busy);
  /* Who wins is the scheduler's business (a loaded machine may starve
  ** one thread), but every answer is OK or MISUSE. */
  T_CHECK("race codes", r[0].other == 0 && r[1].other == 0 && r[0].ok + r[1].ok > 0,
          "other codes %ld %ld", r[0].other, r[1].other);
  int rc = pyreactor_apply_def(p, "inc", "[41]");
  T_CHECK("after the race", rc == PYREACTOR_OK && t_streq(pyreactor_result(p, NULL), "42"), "rc %d %s", rc,
          pyreactor_result(p, NULL));
  T_CHECK("no rebuild", pyreactor_rebuilds(p) == 0, "rebuilds %lu", pyreactor_rebuilds(p));
  pyreactor_close(p);
}

/* ------------------------------------------------- blocked signal mask -- */

typedef struct masked {
  bool block_late; /* block only after a first call with the mask clean */
  int timeout_rc, trap_rc, after_rc;
  double timeout_ms;
  bool mask_kept;
} masked;

/* The thread's mask is what it set, signal by signal. */
static bool mask_is(const sigset_t *want)
{
  sigset_t now;
  pthread_sigmask(SIG_BLOCK, NULL, &now);
  for (int sig = 1; sig <= SIGRTMAX; sig++)
    if (sigismember(&now, sig) != sigismember(want, sig))
      return false;
  return true;
}

static void *blocked_worker(void *arg)
{
  masked *m = arg;
  sigset_t all, set;
  sigfillset(&all);
  if (!m->block_late)
    pthread_sigmask(SIG_SETMASK, &all, NULL);
  pyreactor_options o;
  pyreactor_options_init(&o);
  o.stack_size = (size_t)2 << 20; /* the recursion hits the stack's guard: SIGSEGV */
  pyreactor *p = t_open(&o);
  pyreactor_register_lambda(p, "spin", "lambda: [0 for _ in iter(int, 1)]");
  /* The library reads a thread's mask on its first call and on calls with
  ** a limit: a thread that blocks later is seen at its next timed call. */
  pyreactor_register_def(p, "deep", deep_code);
  pthread_sigmask(SIG_SETMASK, &all, NULL);
  pthread_sigmask(SIG_BLOCK, NULL, &set); /* all that can be blocked */
  pyreactor_set_timeout(p, 200);
  double t0 = now_ms();
  m->timeout_rc = pyreactor_apply_lambda(p, "spin", "[]");
  m->timeout_ms = now_ms() - t0;
  pyreactor_set_timeout(p, 0);
  m->trap_rc = pyreactor_apply_def(p, "deep", "[]");
  pyreactor_register_lambda(p, "two", "lambda: 2");
  m->after_rc = pyreactor_apply_lambda(p, "two", "[]");
  m->mask_kept = mask_is(&set) && sigismember(&set, SIGSEGV) == 1 &&
                 sigismember(&set, SIGRTMIN + 4) == 1;
  pyreactor_close(p);
  return NULL;
}

static void case_blocked_signals(bool late)
{
  masked m;
  memset(&m, 0, sizeof m);
  m.block_late = late;
  pthread_t t;
  pthread_create(&t, NULL, blocked_worker, &m);
  pthread_join(t, NULL);
  printf("signals blocked %s: Timeout after %.0f ms\n", late ? "after a first call" : "from the start",
         m.timeout_ms);
  T_CHECK("blocked: timeout", m.timeout_rc == PYREACTOR_TIMEOUT && m.timeout_ms < 2000,
          "rc %d after %.0f ms", m.timeout_rc, m.timeout_ms);
  T_CHECK("blocked: deep recursion", m.trap_rc == PYREACTOR_TRAP,
          "rc %d", m.trap_rc);
  T_CHECK("blocked: still works", m.after_rc == PYREACTOR_OK, "rc %d", m.after_rc);
  T_CHECK("blocked: mask kept", m.mask_kept, "the thread's mask changed");
}

/* ---------------------------------------------------- error vocabulary -- */

static const char *const header_kinds[] = {
  PYREACTOR_TYPE_NOT_REGISTERED, PYREACTOR_TYPE_INVALID_NAME, PYREACTOR_TYPE_INVALID_ARGS,
  PYREACTOR_TYPE_INVALID_INPUT, PYREACTOR_TYPE_NOT_CALLABLE, PYREACTOR_TYPE_ENCODE_ERROR,
  PYREACTOR_TYPE_BUSY, PYREACTOR_TYPE_INIT_ERROR, PYREACTOR_TYPE_INTERNAL_ERROR,
  PYREACTOR_TYPE_TRAP, PYREACTOR_TYPE_TIMEOUT, PYREACTOR_TYPE_MEMORY_LIMIT,
  PYREACTOR_TYPE_HOST_ERROR, PYREACTOR_TYPE_NO_SUCH_HOST_FUNCTION, PYREACTOR_TYPE_INVALID_REQUEST,
  PYREACTOR_TYPE_INVALID_RESULT, PYREACTOR_TYPE_MISUSE, PYREACTOR_TYPE_MEMORY_ERROR,
};
enum { N_HEADER_KINDS = sizeof header_kinds / sizeof header_kinds[0] };

static bool in_header(const char *word, size_t n)
{
  for (size_t i = 0; i < N_HEADER_KINDS; i++)
    if (strlen(header_kinds[i]) == n && memcmp(header_kinds[i], word, n) == 0)
      return true;
  return false;
}

/* The header's PYREACTOR_TYPE_* are exactly the kinds ABI.md's "Error
** kinds" paragraphs name (every `CamelCase` word there, Python's
** MemoryError included), when the workspace's spec is beside the tree. */
static void case_error_vocabulary(void)
{
  char *abi = t_read_file("../shared/spec/ABI.md", NULL);
  char *from = abi != NULL ? strstr(abi, "Error kinds of the guest") : NULL;
  char *to = from != NULL ? strstr(from, "## Semantics") : NULL;
  if (to == NULL) {
    printf("error vocabulary: ../shared/spec/ABI.md not found, not compared\n");
    free(abi);
    return;
  }
  *to = '\0';
  int named = 0;
  for (char *q = strchr(from, '`'); q != NULL; q = strchr(q + 1, '`')) {
    char *end = strchr(q + 1, '`');
    if (end == NULL)
      break;
    size_t n = (size_t)(end - q - 1);
    bool camel = n > 0 && q[1] >= 'A' && q[1] <= 'Z' && strspn(q + 1, "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
                                                                 "abcdefghijklmnopqrstuvwxyz") == n;
    if (camel) {
      named++;
      T_CHECK("kind in header", in_header(q + 1, n), "ABI.md's %.*s has no PYREACTOR_TYPE_", (int)n, q + 1);
    }
    q = end;
  }
  for (size_t i = 0; i < N_HEADER_KINDS; i++) {
    char quoted[64];
    snprintf(quoted, sizeof quoted, "`%s`", header_kinds[i]);
    T_CHECK("header kind in ABI.md", strstr(from, quoted) != NULL, "%s is not an ABI.md kind", header_kinds[i]);
  }
  T_CHECK("kinds named", named >= (int)N_HEADER_KINDS, "only %d kinds found in ABI.md", named);
  free(abi);
}

/* ------------------------------------------------------------ version -- */

static void case_version(void)
{
  T_CHECK("version", t_streq(pyreactor_libversion(), PYREACTOR_VERSION) && t_streq(PYREACTOR_VERSION, "0.1.0") &&
                         PYREACTOR_VERSION_NUMBER == 1000,
          "libversion %s", pyreactor_libversion());
}

int main(void)
{
  case_version();
  case_error_vocabulary();
  case_capture();
  case_capture_limit();
  case_capture_threads();
  case_default_sinks();
  case_replay_budget();
  case_replay_retry();
  case_racing_threads();
  case_blocked_signals(false);
  case_blocked_signals(true);
  return t_summary("native-calls");
}
