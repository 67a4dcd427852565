"""Errors: the err object as PythonError, the host kinds' subclasses, and
every option checked before anything is opened."""

import os
import pickle
import tempfile
import unittest

import pyreactor
from support import SharedReactor, reactor


class Errors(SharedReactor):
    def test_python_exception(self):
        self.r.register_lambda("inv", "lambda x: 1 / x")
        with self.assertRaises(pyreactor.PythonError) as cm:
            self.r.apply_lambda("inv", 0)
        e = cm.exception
        self.assertIs(type(e), pyreactor.PythonError)
        self.assertEqual((e.type, e.message, e.code), ("ZeroDivisionError", "division by zero", pyreactor.ERR))
        self.assertIn("ZeroDivisionError", e.traceback)
        self.assertEqual(str(e), "ZeroDivisionError: division by zero")
        self.assertEqual(self.r.apply_lambda("inv", 4), 0.25)  # the instance goes on

    def test_kinds_of_the_guest(self):
        self.r.register_lambda("inv", "lambda x: 1 / x")
        cases = [
            (lambda: self.r.register_def("bad", "def bad(:\n"), "SyntaxError"),
            (lambda: self.r.apply_def("nothing_here"), "NotRegistered"),
            (lambda: self.r.apply_lambda_raw("inv", "[1,"), "InvalidArgs"),
            (lambda: self.r.register_lambda("", "lambda: 1"), "InvalidName"),
            (lambda: self.r.register_lambda("notcallable", "5"), "NotCallable"),
            (lambda: self.r.run("raise KeyError('k')"), "KeyError"),
            (lambda: self.r.run("import sys\nsys.exit(3)"), "SystemExit"),
            (lambda: self.r.run("object()"), "EncodeError"),
            (lambda: self.r.call("register_def", "x", b"\xff\xfe"), "InvalidInput"),
            (lambda: self.r.call("apply_def", "a\udc80b", "[]"), "InvalidName"),
        ]
        for call, kind in cases:
            with self.subTest(kind=kind):
                with self.assertRaises(pyreactor.PythonError) as cm:
                    call()
                self.assertEqual(cm.exception.type, kind)
                self.assertEqual(cm.exception.code, pyreactor.ERR)

    def test_raised_exceptions_message(self):
        self.r.run("class Custom(Exception):\n    pass\n")
        with self.assertRaises(pyreactor.PythonError) as cm:
            self.r.run("raise Custom('with a message')")
        self.assertEqual((cm.exception.type, cm.exception.message), ("Custom", "with a message"))

    def test_pickles(self):
        e = pyreactor.TimeoutError("Timeout", "too long", None, pyreactor.TIMEOUT)
        back = pickle.loads(pickle.dumps(e))
        self.assertIs(type(back), pyreactor.TimeoutError)
        self.assertEqual((back.type, back.message, back.code), ("Timeout", "too long", pyreactor.TIMEOUT))

    def test_hierarchy(self):
        self.assertTrue(issubclass(pyreactor.MemoryLimitError, pyreactor.TrapError))
        self.assertTrue(issubclass(pyreactor.BusyError, pyreactor.MisuseError))
        self.assertTrue(issubclass(pyreactor.TimeoutError, TimeoutError))
        for cls in (pyreactor.TrapError, pyreactor.TimeoutError, pyreactor.MisuseError):
            self.assertTrue(issubclass(cls, pyreactor.PythonError))


class Closed(unittest.TestCase):
    def test_calls_after_close(self):
        r = reactor()
        r.register_lambda("one", "lambda: 1")
        r.close()
        r.close()  # idempotent
        self.assertTrue(r.closed)
        for call in (lambda: r.apply_lambda("one"), r.init, r.reset, lambda: r.rebuilds, lambda: r.run("1")):
            with self.assertRaises(pyreactor.MisuseError) as cm:
                call()
            self.assertEqual(cm.exception.type, "Misuse")
            self.assertIn("closed", cm.exception.message)

    def test_context_manager_closes(self):
        with reactor() as r:
            self.assertEqual(r.run("1 + 1"), 2)
        self.assertTrue(r.closed)

    def test_finalizer_closes(self):
        import gc
        import weakref

        r = reactor(host_functions={"f": lambda: 1})
        fin = r._finalizer
        ref = weakref.ref(r)
        self.assertTrue(fin.alive)
        del r
        gc.collect()
        self.assertIsNone(ref())  # the callbacks do not keep it alive
        self.assertFalse(fin.alive)


class Options(unittest.TestCase):
    def test_unknown_option(self):
        with self.assertRaises(TypeError):
            pyreactor.Reactor(timeout=5)
        with self.assertRaises(TypeError):
            pyreactor.Reactor(100)  # keyword-only

    def test_numbers(self):
        for opt, high in (("timeout_ms", 86400000), ("memory_mb", 4096), ("stack_size_mb", 16384)):
            for bad in (0, -1, high + 1):
                with self.subTest(opt=opt, bad=bad), self.assertRaises(ValueError) as cm:
                    pyreactor.Reactor(**{opt: bad})
                self.assertIn(opt, str(cm.exception))
            for bad in ("5", 5.0, True):
                with self.subTest(opt=opt, bad=bad), self.assertRaises(TypeError):
                    pyreactor.Reactor(**{opt: bad})

    def test_memory_below_the_module(self):
        with self.assertRaises(ValueError) as cm:
            pyreactor.Reactor(memory_mb=5)
        self.assertIn("below", str(cm.exception))

    def test_dirs(self):
        with tempfile.TemporaryDirectory() as d:
            f = os.path.join(d, "file")
            open(f, "w").close()
            with self.assertRaises(FileNotFoundError):
                pyreactor.Reactor(dirs=[os.path.join(d, "missing")])
            with self.assertRaises(NotADirectoryError):
                pyreactor.Reactor(dirs=[f])
            with self.assertRaises(ValueError):
                pyreactor.Reactor(dirs=[pyreactor.Dir(d, "relative")])
            with self.assertRaises(TypeError):
                pyreactor.Reactor(dirs=[pyreactor.Dir(d, "/x", read_only="yes")])
            with self.assertRaises(TypeError):
                pyreactor.Reactor(dirs=d)  # one path, not a list
            with self.assertRaises(TypeError):
                pyreactor.Reactor(dirs=[5])

    def test_dir_specs(self):
        D = pyreactor.Dir
        self.assertEqual(D.parse("/h"), D("/h"))
        self.assertEqual(D.parse("/h:/g"), D("/h", "/g"))
        self.assertEqual(D.parse("/h:ro"), D("/h", None, True))
        self.assertEqual(D.parse("/h:rw"), D("/h", None, False))
        self.assertEqual(D.parse("/h:/g:ro"), D("/h", "/g", True))
        for bad in ("", ":/g", "/h:RO", "/h:g", "/h:/g:x", "/h:/g:ro:x", "/h::ro", "/h:"):
            with self.subTest(bad=bad), self.assertRaises(ValueError):
                D.parse(bad)

    def test_env_and_host_functions_and_sinks(self):
        for bad, exc in (({"": "v"}, ValueError), ({"A=B": "v"}, ValueError), ({"A": 1}, TypeError),
                         ({"A": "a\0b"}, ValueError), (["A=1"], TypeError)):
            with self.subTest(env=bad), self.assertRaises(exc):
                pyreactor.Reactor(env=bad)
        for bad, exc in (({"": len}, ValueError), ({"f": 5}, TypeError), ({1: len}, TypeError),
                         ({"a\0b": len}, ValueError), ([len], TypeError)):
            with self.subTest(host_functions=bad), self.assertRaises(exc):
                pyreactor.Reactor(host_functions=bad)
        with self.assertRaises(TypeError):
            pyreactor.Reactor(stdout="stderr")
        with self.assertRaises(TypeError):
            pyreactor.Reactor(stdin=5)
        with self.assertRaises(TypeError):
            pyreactor.raw(5)

    def test_library_not_found(self):
        with self.assertRaises(pyreactor.LibraryNotFound) as cm:
            pyreactor.Reactor(library="/nonexistent/libpyreactor.so")
        self.assertIn("/nonexistent/libpyreactor.so", str(cm.exception))
        with self.assertRaises(pyreactor.LibraryNotFound):
            pyreactor.Reactor(library="/bin/sh")  # loads, but is not libpyreactor
        with self.assertRaises(TypeError):
            pyreactor.Reactor(library=5)


if __name__ == "__main__":
    unittest.main()
