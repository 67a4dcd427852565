"""Threads, as the C API has them: different instances run in parallel (the
GIL is released during calls); one instance is used by one thread at a time,
and a second thread is refused, never a crash."""

import threading
import time
import unittest

import pyreactor
from support import reactor, run_python

LOOP = "import time\n\ndef busy(s):\n    end = time.monotonic() + s\n    n = 0\n    while time.monotonic() < end:\n        n += 1\n    return n\n"


class Threads(unittest.TestCase):
    def test_many_threads_each_with_its_own_instance(self):
        errors, results = [], {}

        def work(i):
            try:
                with reactor() as r:
                    r.register_def("f", f"def f(x):\n    return [{i}, x * {i}]\n")
                    results[i] = [r.apply_def("f", k) for k in range(50)]
            except BaseException as e:  # reported below
                errors.append(e)

        threads = [threading.Thread(target=work, args=(i,)) for i in range(8)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        self.assertEqual(errors, [])
        for i in range(8):
            self.assertEqual(results[i], [[i, k * i] for k in range(50)])

    def test_the_gil_is_released_during_a_call(self):
        count, done = [0], threading.Event()

        def guest():
            with reactor() as r:
                r.register_def("busy", LOOP)
                started.set()
                r.apply_def("busy", 0.5)
            done.set()

        started = threading.Event()
        t = threading.Thread(target=guest)
        t.start()
        started.wait()
        while not done.is_set():  # Python runs here while the guest runs there
            count[0] += 1
        t.join()
        self.assertGreater(count[0], 1000)

    def test_instances_run_at_the_same_time(self):
        spans = {}
        barrier = threading.Barrier(2)

        def run(i):
            with reactor() as r:
                r.register_def("busy", LOOP)
                barrier.wait()
                start = time.monotonic()
                r.apply_def("busy", 1.0)  # long against a thread's start skew on a loaded machine
                spans[i] = (start, time.monotonic())

        threads = [threading.Thread(target=run, args=(i,)) for i in range(2)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        # serialized calls would not overlap: each takes at least 1 s
        self.assertLess(max(s for s, _ in spans.values()), min(e for _, e in spans.values()))

    def busy_elsewhere(self):
        """An instance whose call, on another thread, waits in a host
        function until the returned `release` is called; `release` gives
        that call's value."""
        inside, go_on = threading.Event(), threading.Event()

        def wait():
            inside.set()
            go_on.wait(30)
            return "done"

        r = reactor(host_functions={"wait": wait})
        self.addCleanup(r.close)
        r.register_def("f", "import reactor\n\ndef f():\n    return reactor.host.wait()\n")
        box = []
        t = threading.Thread(target=lambda: box.append(r.apply_def("f")))
        t.start()
        self.assertTrue(inside.wait(30))

        def release():
            go_on.set()
            t.join()
            return box

        self.addCleanup(release)
        return r, release

    def test_one_instance_two_threads_is_refused(self):
        r, release = self.busy_elsewhere()
        for attempt in (lambda: r.run("1"), r.reset, r.close, lambda: setattr(r, "timeout_ms", 5)):
            with self.assertRaises(pyreactor.BusyError) as cm:
                attempt()
            self.assertEqual(cm.exception.type, "Busy")
            self.assertIn("another thread", cm.exception.message)
        self.assertEqual(release(), ["done"])
        self.assertEqual(r.run("6 * 7"), 42)  # one at a time again

    def test_the_library_refuses_a_second_thread_during_a_host_call(self):
        # Past the package's own check: the C function called directly.
        r, release = self.busy_elsewhere()
        code = r._inst.lib.cdll.pyreactor_call(r._inst.handle, 9, None, 0, b"1", 1)
        self.assertEqual(code, pyreactor.MISUSE)
        self.assertEqual(release(), ["done"])

    def test_the_library_survives_two_threads_on_one_instance(self):
        # Two threads call one handle through the C API directly, many
        # times: every call must be answered OK or MISUSE, and the process
        # must live (run in a child, so that a crash is a failure here).
        code = (
            "import ctypes, threading, pyreactor\n"
            "lib = pyreactor.load_library().cdll\n"
            "p = ctypes.c_void_p()\n"
            "assert lib.pyreactor_open(None, ctypes.byref(p)) == 0\n"
            "codes = {}\n"
            "def hammer():\n"
            "    for i in range(3000):\n"
            "        c = lib.pyreactor_call(p, 9, None, 0, b'sum(range(50))', 14)\n"
            "        codes[c] = codes.get(c, 0) + 1\n"
            "ts = [threading.Thread(target=hammer) for _ in range(2)]\n"
            "[t.start() for t in ts]\n"
            "[t.join() for t in ts]\n"
            "assert lib.pyreactor_call(p, 9, None, 0, b'6*7', 3) == 0\n"
            "print(sorted(codes.items()))\n"
            "lib.pyreactor_close(p)\n"
        )
        done = run_python(code, timeout=300)
        self.assertEqual(done.returncode, 0, done.stderr.decode("utf-8", "replace")[-2000:])
        codes = dict(eval(done.stdout.decode()))
        self.assertEqual(set(codes) - {pyreactor.OK, pyreactor.MISUSE}, set(), codes)
        self.assertEqual(sum(codes.values()), 6000)


if __name__ == "__main__":
    unittest.main()
