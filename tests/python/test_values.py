"""Values both ways: the ten calls, args as Python values, raw JSON text."""

import json
import unittest

import pyreactor
from pyreactor import _json
from support import SharedReactor

FIB = "def fib(n):\n    a, b = 0, 1\n    for _ in range(n):\n        a, b = b, a + b\n    return a\n"


class Values(SharedReactor):
    def test_register_returns_the_name(self):
        self.assertEqual(self.r.register_def("fib", FIB), "fib")
        self.assertEqual(self.r.register_lambda("sq", "lambda x: x * x"), "sq")
        self.assertEqual(self.r.register_module("consts", "K = 7\n"), "consts")
        self.assertIsNone(self.r.init())

    def test_positional_and_keyword_args(self):
        self.r.register_def("add", "def add(x, y=10):\n    return x + y\n")
        self.assertEqual(self.r.apply_def("add", 1, 2), 3)
        self.assertEqual(self.r.apply_def("add", x=1), 11)
        self.assertEqual(self.r.apply_def("add", 5), 15)
        with self.assertRaises(TypeError):
            self.r.apply_def("add", 1, y=2)

    def test_name_is_positional_only(self):
        # a keyword argument called "name" goes to the Python function
        self.r.register_def("greet", "def greet(name):\n    return 'hi ' + name\n")
        self.assertEqual(self.r.apply_def("greet", name="ann"), "hi ann")
        self.r.register_lambda("ident", "lambda name: name")
        self.assertEqual(self.r.apply_lambda("ident", name=[1]), [1])

    def test_values_round_trip(self):
        self.r.register_lambda("same", "lambda x: x")
        for v in (None, True, False, 0, -1, 1.5, 0.1, 1e300, "", "ключ 😀 \u0000 \n", [], {}, [1, [2, [3]]],
                  {"a": {"b": [None, True]}, "ü": 1}, 2**64 + 1, -(2**200), 10**4000):
            with self.subTest(v=v):
                got = self.r.apply_lambda("same", v)
                self.assertEqual(got, v)
                self.assertIs(type(got), type(v))
        self.assertEqual(self.r.apply_lambda("same", (1, 2)), [1, 2])  # a tuple is an array

    def test_big_ints_computed_in_the_guest(self):
        self.r.register_def("fib", FIB)
        self.assertEqual(self.r.apply_def("fib", 100), 354224848179261915075)
        self.r.register_lambda("mul", "lambda a, b: a * b")
        a, b = 3**300, -(7**250)
        self.assertEqual(self.r.apply_lambda("mul", a, b), a * b)

    def test_values_that_json_cannot_carry_are_refused_here(self):
        self.r.register_lambda("same", "lambda x: x")
        with self.assertRaises(ValueError):
            self.r.apply_lambda("same", float("nan"))
        with self.assertRaises(TypeError):
            self.r.apply_lambda("same", {1, 2})
        with self.assertRaises(TypeError):
            self.r.apply_lambda("same", b"bytes")

    def test_raw_calls_keep_the_text(self):
        self.r.register_lambda("same", "lambda x: x")
        self.assertEqual(self.r.apply_lambda_raw("same", "[18446744073709551617]"), "18446744073709551617")
        self.assertEqual(self.r.apply_lambda_raw("same", "[1.0e5]"), "100000.0")
        self.r.register_def("pair", "def pair(a, b):\n    return [b, a]\n")
        self.assertEqual(self.r.apply_def_raw("pair", '{"a": 1, "b": "x"}'), '["x",1]')
        self.assertEqual(self.r.apply_def_raw("pair", b"[1, 2]"), "[2,1]")
        self.assertEqual(self.r.call("apply_def", "pair", "[3, 4]"), "[4,3]")
        self.assertEqual(self.r.call("init"), "null")
        with self.assertRaises(ValueError):
            self.r.call("apply_everything", "pair", "[]")

    def test_modules_and_dotted_names(self):
        self.r.register_module("geo", "def area(w, h):\n    return w * h\n")
        self.r.register_def("use", "import geo\n\ndef use(n):\n    return geo.area(n, n)\n")
        self.assertEqual(self.r.apply_def("use", 4), 16)
        self.assertEqual(self.r.apply_def("geo.area", 2, 3), 6)
        self.assertEqual(self.r.unregister_module("geo"), "geo")
        with self.assertRaises(pyreactor.PythonError) as e:
            self.r.apply_def("geo.area", 2, 3)
        self.assertEqual(e.exception.type, "NotRegistered")

    def test_unregister(self):
        self.r.register_lambda("gone", "lambda: 1")
        self.assertEqual(self.r.unregister_lambda("gone"), "gone")
        self.r.register_def("gone", "def gone():\n    return 1\n")
        self.assertEqual(self.r.unregister_def("gone"), "gone")
        for f in (self.r.unregister_lambda, self.r.unregister_def, self.r.unregister_module):
            with self.assertRaises(pyreactor.PythonError) as e:
                f("gone")
            self.assertEqual(e.exception.type, "NotRegistered")

    def test_cells(self):
        self.assertEqual(self.r.run("x = 6\nx * 7"), 42)
        self.assertEqual(self.r.run("x + 1"), 7)
        self.assertIsNone(self.r.run("y = 1"))
        self.assertEqual(self.r.run_raw("2 ** 70"), "1180591620717411303424")
        self.assertEqual(self.r.run("import asyncio\nasync def f():\n    return 5\nf()"), 5)

    def test_state_survives_between_calls(self):
        self.r.register_def("counter", "n = 0\n\ndef counter():\n    global n\n    n += 1\n    return n\n")
        self.assertEqual([self.r.apply_def("counter") for _ in range(3)], [1, 2, 3])

    def test_wrong_argument_types(self):
        with self.assertRaises(TypeError):
            self.r.register_def(1, "x")
        with self.assertRaises(TypeError):
            self.r.register_def("x", b"def x(): pass")
        with self.assertRaises(TypeError):
            self.r.apply_def_raw("x", 5)
        with self.assertRaises(TypeError):
            self.r.run(None)


class JsonText(unittest.TestCase):
    """Python's int <-> str limit (4300 digits) does not cut big integers."""

    def test_past_the_digit_limit_both_ways(self):
        big = -(10**5000) - 7
        text = _json.dumps({"k": [big, 1.5, "s", None, True]})
        self.assertEqual(text, '{"k":[-1' + "0" * 4999 + '7,1.5,"s",null,true]}')
        self.assertEqual(_json.loads(text), {"k": [big, 1.5, "s", None, True]})
        self.assertEqual(_json.loads("-1" + "0" * 4999 + "7"), big)

    def test_refused(self):
        for bad in ("NaN", "[Infinity]", "-Infinity", "[1,", "{'a': 1}"):
            with self.subTest(bad=bad), self.assertRaises(ValueError):
                _json.loads(bad)
        with self.assertRaises(ValueError):
            _json.dumps([10**5000, float("inf")])
        with self.assertRaises(TypeError):
            _json.dumps([10**5000, object()])
        loop = [10**5000]
        loop.append(loop)
        with self.assertRaises(ValueError):
            _json.dumps(loop)

    def test_same_text_as_json_below_the_limit(self):
        v = {"a": [1, 2.5, "ü", None], "b": {"c": False}}
        self.assertEqual(_json.dumps(v), json.dumps(v, ensure_ascii=False, separators=(",", ":")))


if __name__ == "__main__":
    unittest.main()
