/*
** test_traps.c -- a trap costs the caller exactly one call.
**
** Each case provokes a trap a different way (out-of-bounds pointer through a
** raw export, `unreachable` via os.abort, wasm stack exhaustion by deep C
** recursion, a raw WASI proc_exit, from the host hook and from Python, bad
** indirect calls through a type slot overwritten from the host) and
** then checks that the host process is
** alive, the call said PYREACTOR_TRAP with an error of type "Trap", and every
** registration made before is back, in the same order (a def keeps the
** module version it imported).
*/
#include "pyreactor.h"
#include "pyreactor_testing.h"
#include "test_util.h"

#include <stdbool.h>
#include <time.h>

static pyreactor *open_default(void)
{
  pyreactor *p;
  if (pyreactor_open(NULL, &p) != PYREACTOR_OK) {
    fprintf(stderr, "pyreactor_open: %s\n", pyreactor_errmsg(p));
    exit(1);
  }
  return p;
}

/* apply_def/lambda name(args) must be ok with exactly `want` as text. */
static void expect_value(pyreactor *p, const char *where, bool def, const char *name,
                         const char *args, const char *want)
{
  int rc = def ? pyreactor_apply_def(p, name, args) : pyreactor_apply_lambda(p, name, args);
  const char *got = pyreactor_result(p, NULL);
  T_CHECK(where, rc == PYREACTOR_OK && strcmp(got, want) == 0, "%s: want %s, got rc=%d %s", name,
          want, rc, got);
}

static void expect_trap(pyreactor *p, const char *where, int rc, const char *contains)
{
  const char *type = pyreactor_error_type(p);
  const char *msg = pyreactor_error_message(p);
  T_CHECK(where, rc == PYREACTOR_TRAP && type != NULL && strcmp(type, "Trap") == 0 &&
                     msg != NULL && (contains == NULL || strstr(msg, contains) != NULL),
          "want a Trap%s%s, got rc=%d %s", contains ? " mentioning " : "", contains ? contains : "",
          rc, pyreactor_result(p, NULL));
}

/* Registrations whose survival every case checks afterwards. */
static void register_world(pyreactor *p)
{
  int ok = pyreactor_register_module(p, "cfg", "X = 1\n") == PYREACTOR_OK &&
           pyreactor_register_def(p, "old_x", "import cfg\ndef old_x():\n    return cfg.X\n") ==
               PYREACTOR_OK &&
           pyreactor_register_module(p, "cfg", "X = 2\n") == PYREACTOR_OK &&
           pyreactor_register_lambda(p, "new_x", "lambda: __import__('cfg').X") == PYREACTOR_OK &&
           pyreactor_register_lambda(p, "gone", "lambda: 'still here'") == PYREACTOR_OK &&
           pyreactor_unregister_lambda(p, "gone") == PYREACTOR_OK &&
           pyreactor_register_def(p, "counter", "n = 0\ndef counter():\n    global n\n"
                                                "    n += 1\n    return n\n") == PYREACTOR_OK;
  T_CHECK("register_world", ok, "registration failed: %s", pyreactor_result(p, NULL));
}

static void check_world(pyreactor *p, const char *where, unsigned long rebuilds)
{
  expect_value(p, where, true, "old_x", "[]", "1");
  expect_value(p, where, false, "new_x", "[]", "2");
  int rc = pyreactor_apply_lambda(p, "gone", "[]");
  const char *type = pyreactor_error_type(p);
  T_CHECK(where, rc == PYREACTOR_ERR && type && strcmp(type, "NotRegistered") == 0,
          "unregistered lambda came back: %s", pyreactor_result(p, NULL));
  T_CHECK(where, pyreactor_rebuilds(p) == rebuilds, "rebuilds %lu, want %lu",
          pyreactor_rebuilds(p), rebuilds);
  T_CHECK(where, pyreactor_replay_failures(p) == 0, "replay failures: %lu",
          pyreactor_replay_failures(p));
}

static void case_oob_pointer(pyreactor *p)
{
  /* A record address far past the end of guest memory: the guest's free()
  ** reads the allocator header in front of it. (The guest checks the
  ** pointers of apply_* itself, so those answer with an err.) */
  uint32_t args[1] = {0xFFFFFFF0u};
  int rc = pyreactor_testing_raw_export(p, "result_free", args, 1, NULL);
  expect_trap(p, "oob_pointer", rc, "out-of-bounds");
  check_world(p, "oob_pointer", 1);
}

static void case_unreachable(pyreactor *p)
{
  pyreactor_register_def(p, "boom", "import os\ndef boom():\n    os.abort()\n");
  int rc = pyreactor_apply_def(p, "boom", "[]");
  expect_trap(p, "unreachable", rc, "unreachable");
  check_world(p, "unreachable", 2);
}

static void case_stack_exhaustion(pyreactor *p)
{
  const char *code =
    "import sys\n"
    "class Loop:\n"
    "    def __repr__(self):\n"
    "        return 'L(%r)' % (self,)\n"
    "def deep_c():\n"
    "    sys.setrecursionlimit(10**7)\n"
    "    return repr(Loop())\n";
  pyreactor_register_def(p, "deep_c", code);
  int rc = pyreactor_apply_def(p, "deep_c", "[]");
  expect_trap(p, "stack_exhaustion", rc, NULL);
  check_world(p, "stack_exhaustion", 3);
  /* The rebuilt instance has the default limit again. */
  pyreactor_register_lambda(p, "limit", "lambda: __import__('sys').getrecursionlimit()");
  expect_value(p, "stack_exhaustion", false, "limit", "[]", "1000");
}

/* With a small native stack, the same recursion hits the guard of the
** instance's own stack first (the other path to a stack trap). */
static void case_native_stack_guard(void)
{
  pyreactor_options o;
  pyreactor_options_init(&o);
  o.stack_size = (size_t)2 << 20;
  pyreactor *p;
  if (pyreactor_open(&o, &p) != PYREACTOR_OK) {
    t_fail("native_stack", "open: %s", pyreactor_errmsg(p));
    pyreactor_close(p);
    return;
  }
  pyreactor_register_lambda(p, "two", "lambda: 2");
  pyreactor_register_def(p, "deep_c",
                         "import sys\n"
                         "class Loop:\n"
                         "    def __repr__(self):\n"
                         "        return 'L(%r)' % (self,)\n"
                         "def deep_c():\n"
                         "    sys.setrecursionlimit(10**7)\n"
                         "    return repr(Loop())\n");
  int rc = pyreactor_apply_def(p, "deep_c", "[]");
  expect_trap(p, "native_stack", rc, "call stack exhausted");
  expect_value(p, "native_stack", false, "two", "[]", "2");
  /* Python recursion to the default limit still works on 2 MiB. */
  pyreactor_register_def(p, "rrepr", "class L:\n    def __repr__(self):\n        return repr(self)\n"
                                     "def rrepr():\n    try:\n        repr(L())\n"
                                     "    except RecursionError:\n        return 'RecursionError'\n");
  expect_value(p, "native_stack", true, "rrepr", "[]", "\"RecursionError\"");
  pyreactor_close(p);
}

static void case_proc_exit(pyreactor *p)
{
  int rc = pyreactor_testing_proc_exit(p, 7);
  expect_trap(p, "proc_exit", rc, "proc_exit(7)");
  check_world(p, "proc_exit", 4);
}

/* The guest maps os._exit to SystemExit, but a fresh copy of the builtin
** posix module still has the real one, which calls WASI proc_exit: for the
** host that is a trap like any other. */
static void case_python_proc_exit(pyreactor *p)
{
  pyreactor_register_def(p, "real_exit",
                         "import _imp\n"
                         "def real_exit():\n"
                         "    spec = type('Spec', (), {'name': 'posix'})()\n"
                         "    _imp.create_builtin(spec)._exit(6)\n");
  int rc = pyreactor_apply_def(p, "real_exit", "[]");
  expect_trap(p, "python_proc_exit", rc, "proc_exit(6)");
  check_world(p, "python_proc_exit", 5);
}

static void case_os_exit_is_not_a_trap(pyreactor *p)
{
  pyreactor_register_def(p, "leave", "import os\ndef leave():\n    os._exit(3)\n");
  int rc = pyreactor_apply_def(p, "leave", "[]");
  const char *type = pyreactor_error_type(p);
  T_CHECK("os_exit", rc == PYREACTOR_ERR && type && strcmp(type, "SystemExit") == 0,
          "os._exit: want err SystemExit, got rc=%d %s", rc, pyreactor_result(p, NULL));
  check_world(p, "os_exit", 5);
}

/* An indirect call is checked against the table's size and the entry's
** type (in the native host, CALL_FIXED of hosts/native/wasm2c/wasm2c-split.awk).
** A class's tp_repr slot is a table index in guest memory: overwritten from
** the host with an index past any table and with the class's own
** tp_dealloc (a void(PyObject *) where repr needs PyObject *(PyObject *)),
** repr() of an instance must trap, never run another function. Offsets are
** those of CPython 3.11's PyTypeObject on wasm32; tp_name is checked first
** so a layout change fails here rather than writing somewhere else. */
enum { TYPE_TP_NAME = 12, TYPE_TP_DEALLOC = 24, TYPE_TP_REPR = 44 };

static uint32_t guest_u32(const uint8_t *mem, uint32_t at)
{
  uint32_t v;
  memcpy(&v, mem + at, sizeof v);
  return v;
}

/* The address of class K in guest memory, 0 (after a failed check) if its
** layout is not the expected one. */
static uint32_t class_address(pyreactor *p, const char *where, uint8_t **mem)
{
  const void *base;
  size_t size;
  int rc = pyreactor_apply_def(p, "klass", "[\"addr\"]");
  unsigned long addr = rc == PYREACTOR_OK ? strtoul(pyreactor_result(p, NULL), NULL, 10) : 0;
  bool found = pyreactor_testing_memory(p, &base, &size) == PYREACTOR_OK && addr > 0 &&
               addr + TYPE_TP_REPR + 4 <= size;
  T_CHECK(where, found, "id(K): rc=%d %s", rc, pyreactor_result(p, NULL));
  if (!found)
    return 0;
  /* The hook hands out the memory read-only; it is the guest's writable
  ** memory, and writing into it behind the guest's back is this test. */
  *mem = (uint8_t *)(uintptr_t)base;
  uint32_t name = guest_u32(*mem, (uint32_t)addr + TYPE_TP_NAME);
  bool layout = name < size - 2 && memcmp(*mem + name, "K", 2) == 0;
  T_CHECK(where, layout, "tp_name of K is not at offset %d", TYPE_TP_NAME);
  return layout ? (uint32_t)addr : 0;
}

static void case_bad_indirect_call(pyreactor *p, const char *where, int slot_from,
                                   uint32_t index, unsigned long rebuilds)
{
  uint8_t *mem = NULL;
  uint32_t k = class_address(p, where, &mem);
  if (k == 0)
    return;
  expect_value(p, where, true, "klass", "[\"repr\"]", "\"<K>\"");
  uint32_t value = slot_from >= 0 ? guest_u32(mem, k + (uint32_t)slot_from) : index;
  memcpy(mem + k + TYPE_TP_REPR, &value, sizeof value);
  int rc = pyreactor_apply_def(p, "klass", "[\"repr\"]");
  expect_trap(p, where, rc, "invalid indirect call");
  check_world(p, where, rebuilds);
  expect_value(p, where, true, "klass", "[\"repr\"]", "\"<K>\"");
}

static void case_indirect_calls(pyreactor *p)
{
  pyreactor_register_def(p, "klass",
                         "class K:\n"
                         "    pass\n"
                         "def klass(op):\n"
                         "    if op == 'addr':\n"
                         "        return id(K)\n"
                         "    return repr(K())[:1] + K.__name__ + '>'\n");
  case_bad_indirect_call(p, "indirect_past_table", -1, 0x7FFFFFFFu, 6);
  case_bad_indirect_call(p, "indirect_last_index", -1, 0xFFFFFFFFu, 7);
  case_bad_indirect_call(p, "indirect_wrong_type", TYPE_TP_DEALLOC, 0, 8);
}

static void case_state_lost_only_in_trapped_call(pyreactor *p)
{
  /* Module state is replayed, not snapshotted: counter restarts from the
  ** registration, which is what "replay the registrations" means. */
  expect_value(p, "state", true, "counter", "[]", "1");
  expect_value(p, "state", true, "counter", "[]", "2");
}

/* ---------------------------------------------------------- timeouts -- */

static double now_s(void)
{
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static size_t sink_bytes;
static void count_sink(void *user, const char *data, size_t len)
{
  (void)user;
  (void)data;
  sink_bytes += len;
}

/* A call past its limit ends with PYREACTOR_TIMEOUT whatever it was doing:
** pure computation (wasm code, stopped at once), sleeping (host code,
** woken), or printing through a sink (host code, stopped at the next switch
** back to wasm). The instance is rebuilt and replayed; calls within the
** limit never notice it. */
static void case_timeouts(void)
{
  pyreactor_options o;
  pyreactor_options_init(&o);
  o.timeout_ms = 300;
  o.stdout_sink = count_sink;
  pyreactor *p;
  if (pyreactor_open(&o, &p) != PYREACTOR_OK) {
    t_fail("timeout", "open: %s", pyreactor_errmsg(p));
    pyreactor_close(p);
    return;
  }
  pyreactor_register_module(p, "slow",
                            "import time\n"
                            "def spin():\n    while True:\n        pass\n"
                            "def nap():\n    time.sleep(30)\n"
                            "def chatter():\n    while True:\n        print('x' * 100, flush=True)\n"
                            "def quick(n):\n    return sum(range(n))\n");
  static const char *const slow[] = {"slow.spin", "slow.nap", "slow.chatter"};
  for (int i = 0; i < 3; i++) {
    double t0 = now_s();
    int rc = pyreactor_apply_def(p, slow[i], "[]");
    double took = now_s() - t0;
    const char *type = pyreactor_error_type(p);
    T_CHECK(slow[i], rc == PYREACTOR_TIMEOUT && type && strcmp(type, "Timeout") == 0,
            "want Timeout, got rc=%d %s", rc, pyreactor_result(p, NULL));
    /* Not a timing test: only that the 30 s nap was cut short. */
    T_CHECK(slow[i], took < 20.0, "took %.2f s to time out", took);
    expect_value(p, slow[i], true, "slow.quick", "[100]", "4950");
  }
  T_CHECK("timeout", sink_bytes > 0, "chatter printed nothing");
  T_CHECK("timeout", pyreactor_rebuilds(p) == 3, "rebuilds %lu", pyreactor_rebuilds(p));
  for (int i = 0; i < 200; i++) /* timers armed and disarmed cleanly */
    if (pyreactor_apply_def(p, "slow.quick", "[10]") != PYREACTOR_OK) {
      t_fail("timeout", "quick call %d failed: %s", i, pyreactor_result(p, NULL));
      break;
    }
  pyreactor_set_timeout(p, 0);
  int rc = pyreactor_apply_def(p, "slow.quick", "[3000000]");
  T_CHECK("no timeout", rc == PYREACTOR_OK, "without a limit: %s", pyreactor_result(p, NULL));
  pyreactor_close(p);
}

/* Timeouts of 1-3 ms landing anywhere (wasm, WASI calls, the sink, the
** record copy): every call is OK or TIMEOUT, never anything else, and no
** registration is lost on the way. */
static void case_timeout_storm(void)
{
  pyreactor_options o;
  pyreactor_options_init(&o);
  o.stdout_sink = count_sink;
  pyreactor *p;
  if (pyreactor_open(&o, &p) != PYREACTOR_OK) {
    t_fail("storm", "open: %s", pyreactor_errmsg(p));
    pyreactor_close(p);
    return;
  }
  pyreactor_register_def(p, "work", "def work(n):\n    for i in range(n):\n        print(i)\n    return n\n");
  int ok = 0, timeouts = 0, other = 0;
  for (int i = 0; i < 120; i++) {
    pyreactor_set_timeout(p, 1 + (unsigned)i % 3);
    int rc = pyreactor_apply_def(p, "work", i % 2 ? "[50000]" : "[10]");
    ok += rc == PYREACTOR_OK;
    timeouts += rc == PYREACTOR_TIMEOUT;
    other += rc != PYREACTOR_OK && rc != PYREACTOR_TIMEOUT;
  }
  pyreactor_set_timeout(p, 0);
  T_CHECK("storm", other == 0 && timeouts > 0 && ok > 0, "ok %d, timeouts %d, other %d", ok, timeouts, other);
  expect_value(p, "storm", true, "work", "[5]", "5");
  T_CHECK("storm", pyreactor_replay_failures(p) == 0, "replay failures %lu", pyreactor_replay_failures(p));
  pyreactor_close(p);
}

int main(void)
{
  pyreactor *p = open_default();
  register_world(p);
  check_world(p, "before", 0);
  case_state_lost_only_in_trapped_call(p);
  case_oob_pointer(p);
  case_unreachable(p);
  case_stack_exhaustion(p);
  case_proc_exit(p);
  case_python_proc_exit(p);
  case_os_exit_is_not_a_trap(p);
  case_indirect_calls(p);
  pyreactor_close(p);
  case_native_stack_guard();
  case_timeouts();
  case_timeout_storm();
  return t_summary("native-traps");
}
