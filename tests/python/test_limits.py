"""Limits: time (the instance works after, registrations replayed), the
memory cap, reset, rebuild counts."""

import time
import unittest

import pyreactor
from support import reactor

SPIN = "def spin():\n    while True:\n        pass\n"


class Limits(unittest.TestCase):
    def test_timeout_then_the_instance_works(self):
        with reactor(timeout_ms=300) as r:
            r.register_def("spin", SPIN)
            r.register_lambda("sq", "lambda x: x * x")
            r.run("kept = 1")
            self.assertEqual(r.rebuilds, 0)
            start = time.monotonic()
            with self.assertRaises(pyreactor.TimeoutError) as cm:
                r.apply_def("spin")
            took = time.monotonic() - start
            self.assertLess(took, 10)
            self.assertGreaterEqual(took, 0.29)
            e = cm.exception
            self.assertEqual((e.type, e.code), ("Timeout", pyreactor.TIMEOUT))
            self.assertIsInstance(e, TimeoutError)  # the builtin one too
            self.assertIn("300 ms", e.message)
            self.assertEqual(r.rebuilds, 1)
            self.assertEqual(r.replay_failures, 0)
            self.assertEqual(r.apply_lambda("sq", 9), 81)  # replayed
            with self.assertRaises(pyreactor.PythonError) as cm:
                r.run("kept")  # cells are not replayed
            self.assertEqual(cm.exception.type, "NameError")

    def test_timeout_in_a_host_function(self):
        def slow():
            time.sleep(0.6)
            return 1

        with reactor(timeout_ms=200, host_functions={"slow": slow}) as r:
            r.register_def("f", "import reactor\n\ndef f():\n    return reactor.host.slow()\n")
            with self.assertRaises(pyreactor.TimeoutError):
                r.apply_def("f")
            self.assertEqual(r.run("2 + 2"), 4)

    def test_set_the_timeout_later(self):
        with reactor() as r:
            self.assertIsNone(r.timeout_ms)
            r.register_def("spin", SPIN)
            r.timeout_ms = 200
            self.assertEqual(r.timeout_ms, 200)
            with self.assertRaises(pyreactor.TimeoutError):
                r.apply_def("spin")
            r.timeout_ms = None
            self.assertEqual(r.run("sum(range(10**6))"), 499999500000)
            for bad, exc in ((0, ValueError), (86400001, ValueError), ("1", TypeError)):
                with self.assertRaises(exc):
                    r.timeout_ms = bad

    def test_memory_cap(self):
        with reactor(memory_mb=64) as r:
            with self.assertRaises(pyreactor.PythonError) as cm:
                r.run("x = bytearray(200 * 1024 * 1024)")
            self.assertEqual(cm.exception.type, "MemoryError")
            self.assertEqual(r.run("len(bytearray(8 * 1024 * 1024))"), 8 * 1024 * 1024)
        with reactor() as r:  # no cap: the same allocation works
            self.assertEqual(r.run("len(bytearray(200 * 1024 * 1024))"), 200 * 1024 * 1024)

    def test_memory_cap_can_grow_to(self):
        with reactor(memory_mb=64) as r:
            r.run("keep = []")
            with self.assertRaises(pyreactor.PythonError) as cm:
                r.run("while True:\n    keep.append(bytearray(1024 * 1024))")
            self.assertEqual(cm.exception.type, "MemoryError")
            got = r.run("n = len(keep)\nkeep.clear()\nn")
            self.assertTrue(10 < got < 64, got)

    def test_reset(self):
        with reactor(timeout_ms=200) as r:
            r.register_lambda("sq", "lambda x: x * x")
            r.register_def("spin", SPIN)
            with self.assertRaises(pyreactor.TimeoutError):
                r.apply_def("spin")
            r.reset()
            self.assertEqual(r.rebuilds, 1)  # counters kept
            with self.assertRaises(pyreactor.PythonError) as cm:
                r.apply_lambda("sq", 2)
            self.assertEqual(cm.exception.type, "NotRegistered")
            with self.assertRaises(pyreactor.TimeoutError):
                r.run("while True: pass")  # the options too


if __name__ == "__main__":
    unittest.main()
