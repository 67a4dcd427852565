"""Host functions as Python callables (and raw ones): values, errors, their
types, re-entry refused, exceptions that must not be swallowed."""

import threading
import unittest

import pyreactor
from support import reactor

CALL = "import reactor\n\ndef via(name, *a, **k):\n    return reactor.call_host(name, *a, **k)\n"


class HostFunctions(unittest.TestCase):
    def open(self, **fns):
        r = reactor(host_functions=fns)
        self.addCleanup(r.close)
        r.register_def("via", CALL)
        return r

    def error_of(self, r, *args):
        """The PythonError of r.apply_def("via", *args)."""
        with self.assertRaises(pyreactor.PythonError) as cm:
            r.apply_def("via", *args)
        return cm.exception

    def test_positional_and_keyword_args(self):
        seen = []

        def lookup(*args, **kwargs):
            seen.append((args, kwargs))
            return {"args": list(args), "kwargs": kwargs}

        r = self.open(lookup=lookup)
        self.assertEqual(r.apply_def("via", "lookup", 1, "two", [3]), {"args": [1, "two", [3]], "kwargs": {}})
        r.register_def("kw", "import reactor\n\ndef kw():\n    return reactor.host.lookup(code='fr', n=2**70)\n")
        self.assertEqual(r.apply_def("kw"), {"args": [], "kwargs": {"code": "fr", "n": 2**70}})
        self.assertEqual(seen[1], ((), {"code": "fr", "n": 2**70}))

    def test_values_of_every_kind(self):
        r = self.open(give=lambda v: v)
        for v in (None, True, 0.5, "ключ 😀", [1, [2]], {"a": None}, 2**100, -(3**90)):
            with self.subTest(v=v):
                self.assertEqual(r.apply_def("via", "give", v), v)

    def test_python_functions_keep_their_own_arguments_rules(self):
        r = self.open(two=lambda a, b: a - b)
        e = self.error_of(r, "two", 1)
        self.assertEqual(e.type, "TypeError")
        self.assertIn("missing", e.message)

    def test_exception_becomes_an_error_reply(self):
        class UnknownCountry(Exception):
            pass

        class Typed(Exception):
            type = "RateLimited"

        def lookup(code):
            if code == "xx":
                raise UnknownCountry(f"no country {code}")
            if code == "rl":
                raise Typed("slow down")
            return "Paris"

        r = self.open(lookup=lookup)
        self.assertEqual(r.apply_def("via", "lookup", "fr"), "Paris")
        e = self.error_of(r, "lookup", "xx")
        self.assertEqual((e.type, e.message), ("UnknownCountry", "no country xx"))
        e = self.error_of(r, "lookup", "rl")
        self.assertEqual((e.type, e.message), ("RateLimited", "slow down"))
        # caught in the guest as reactor.HostError with .type and .message
        r.register_def(
            "caught",
            "import reactor\n\ndef caught(c):\n    try:\n        return reactor.host.lookup(c)\n"
            "    except reactor.HostError as e:\n        return [e.type, e.message]\n",
        )
        self.assertEqual(r.apply_def("caught", "xx"), ["UnknownCountry", "no country xx"])

    def test_value_that_is_not_json(self):
        r = self.open(bad=lambda: {1, 2}, nan=lambda: float("nan"))
        e = self.error_of(r, "bad")
        self.assertEqual(e.type, "TypeError")
        self.assertIn("host function bad", e.message)
        e = self.error_of(r, "nan")
        self.assertEqual(e.type, "ValueError")

    def test_unknown_name(self):
        r = self.open(known=lambda: 1)
        e = self.error_of(r, "unknown")
        self.assertEqual(e.type, "NoSuchHostFunction")

    def test_raw_function_gets_and_gives_text(self):
        calls = []

        def echo(call):
            calls.append((call.name, call.args_json, call.ms_left()))
            return call.args_json

        r = self.open(echo=pyreactor.raw(echo), bad=pyreactor.raw(lambda call: "{not json"),
                      num=pyreactor.raw(lambda call: 5))
        self.assertEqual(r.apply_def_raw("via", '["echo", 18446744073709551617, 1.0e5]'), "[18446744073709551617,100000.0]")
        self.assertEqual(calls[0][0], "echo")
        self.assertIn("18446744073709551617", calls[0][1])
        self.assertIsNone(calls[0][2])  # no time limit
        e = self.error_of(r, "bad")
        self.assertEqual(e.type, "HostError")
        self.assertIn("not valid JSON", e.message)
        e = self.error_of(r, "num")
        self.assertEqual(e.type, "TypeError")

    def test_ms_left_with_a_time_limit(self):
        left, kept = [], []

        def t(call):
            kept.append(call)
            left.append(call.ms_left())
            return "0"

        r = reactor(timeout_ms=5000, host_functions={"t": pyreactor.raw(t)})
        r.register_def("via", CALL)
        r.apply_def("via", "t")
        self.assertTrue(0 < left[0] <= 5000, left)
        r.close()
        self.assertIsNone(kept[0].ms_left())  # kept past its call: no longer asks the library

    def test_reentry_into_the_same_instance_is_busy(self):
        inner = []
        r = None

        def again():
            for attempt in (lambda: r.apply_def("via", "again"), lambda: r.run("1"), r.reset, r.close):
                try:
                    attempt()
                    inner.append("no error")
                except pyreactor.PythonError as e:
                    inner.append((type(e).__name__, e.type))
            r.timeout_ms = None  # refused too, even when it changes nothing
            return 1

        r = self.open(again=again)
        e = self.error_of(r, "again")
        # the setter's MisuseError, raised in the host function, is its error reply
        self.assertEqual(e.type, "Misuse")
        self.assertEqual(inner[:2], [("BusyError", "Busy"), ("BusyError", "Busy")])
        self.assertEqual(inner[2:], [("MisuseError", "Misuse"), ("MisuseError", "Misuse")])
        self.assertFalse(r.closed)  # close() from inside did nothing
        self.assertEqual(r.run("6 * 7"), 42)

    def test_a_busy_error_not_caught_reaches_the_caller(self):
        r = None

        def again():
            return r.apply_def("via", "again")

        r = self.open(again=again)
        e = self.error_of(r, "again")
        self.assertEqual(e.type, "Busy")

    def test_calling_another_instance_is_fine(self):
        with reactor() as other:
            other.register_lambda("sq", "lambda x: x * x")
            r = self.open(square=lambda x: other.apply_lambda("sq", x))
            self.assertEqual(r.apply_def("via", "square", 12), 144)

    def test_keyboard_interrupt_is_raised_after_the_call(self):
        def stop():
            raise KeyboardInterrupt("stop")

        r = self.open(stop=stop)
        with self.assertRaises(KeyboardInterrupt):
            r.apply_def("via", "stop")
        self.assertEqual(r.run("1 + 1"), 2)

    def test_host_function_may_block_and_use_threads(self):
        def slow(x):
            box = []
            t = threading.Thread(target=lambda: box.append(x * 2))
            t.start()
            t.join()
            return box[0]

        r = self.open(slow=slow)
        self.assertEqual(r.apply_def("via", "slow", 21), 42)

    def test_many_calls(self):
        n = [0]

        def count():
            n[0] += 1
            return n[0]

        r = self.open(count=count)
        r.register_def("loop", "import reactor\n\ndef loop(k):\n    return sum(reactor.host.count() for _ in range(k))\n")
        self.assertEqual(r.apply_def("loop", 2000), 2000 * 2001 // 2)


if __name__ == "__main__":
    unittest.main()
