"""What the guest writes: sinks (callables taking bytes), the library's
default, and per-call capture (Reactor.capture)."""

import unittest

import pyreactor
from support import reactor, run_python

PRINT_BOTH = "import sys\nprint('to out')\nprint('to err', file=sys.stderr)\n"


class Sinks(unittest.TestCase):
    def test_sinks_get_bytes(self):
        out, err = [], []
        with reactor(stdout=out.append, stderr=err.append) as r:
            r.run(PRINT_BOTH)
            r.run("import sys\nsys.stdout.buffer.write(b'\\x00\\xff raw')")
        self.assertEqual(b"".join(out), b"to out\n\x00\xff raw")
        self.assertEqual(b"".join(err), b"to err\n")
        self.assertTrue(all(type(chunk) is bytes for chunk in out + err))

    def test_one_sink_only(self):
        out = []
        with reactor(stdout=out.append, stderr=pyreactor.DISCARD) as r:
            r.run(PRINT_BOTH)
        self.assertEqual(b"".join(out), b"to out\n")

    def test_a_sink_that_raises(self):
        def broken(data):
            raise ValueError("sink broke")

        with reactor(stdout=broken) as r:
            with self.assertRaises(ValueError):
                r.run("x = 1\nprint(x)")
            self.assertEqual(r.run("x"), 1)  # the call itself ran

    def test_call_from_a_sink_is_refused(self):
        seen = []
        r = None

        def again(data):
            try:
                r.run("1")
            except pyreactor.MisuseError as e:
                seen.append(e.type)

        with reactor(stdout=again) as r:
            r.run("print('x')")
            self.assertEqual(r.run("2"), 2)
        self.assertEqual(seen, ["Misuse"])

    def test_default_is_the_librarys(self):
        # A child opens one instance through ctypes with no sinks and one
        # through Reactor() without stdout/stderr: both must put the guest's
        # output at the same place (per the project: the host's stderr).
        code = (
            "import ctypes, pyreactor\n"
            "lib = pyreactor.load_library()\n"
            "p = ctypes.c_void_p()\n"
            "assert lib.cdll.pyreactor_open(None, ctypes.byref(p)) == 0\n"
            f"cell = {PRINT_MARKS.format('C')!r}.encode()\n"
            "assert lib.cdll.pyreactor_call(p, 9, None, 0, cell, len(cell)) == 0\n"
            "lib.cdll.pyreactor_close(p)\n"
        ) + printing("C", "")
        done = run_python(code)
        self.assertEqual(done.returncode, 0, done.stderr)
        for stream in (done.stdout, done.stderr):
            for mark in (b"OUT-C", b"ERR-C"):
                self.assertIn(stream.count(mark), (0, 2), (mark, stream))

    def test_discard(self):
        code = (printing("D", "stdout=pyreactor.DISCARD, stderr=pyreactor.DISCARD")
                + printing("K", "stdout=pyreactor.DISCARD")
                + "print(pyreactor.load_library().discard_sink is not None)\n")
        done = run_python(code)
        self.assertEqual(done.returncode, 0, done.stderr)
        both = done.stdout + done.stderr
        for mark in (b"OUT-D", b"ERR-D", b"OUT-K"):
            self.assertNotIn(mark, both)
        if done.stdout.endswith(b"True\n"):  # a library whose default is fd 2
            self.assertIn(b"ERR-K", done.stderr)


PRINT_MARKS = "import sys\nprint('OUT-{0}')\nprint('ERR-{0}', file=sys.stderr)"


def printing(label, options):
    """Code for a child: an instance with these options prints OUT-label and ERR-label."""
    return (f"import pyreactor\nwith pyreactor.Reactor({options}) as r:\n"
            f"    r.run({PRINT_MARKS.format(label)!r})\n")


class Capture(unittest.TestCase):
    def setUp(self):
        self.lib = pyreactor.load_library()

    def need_capture(self):
        if not self.lib.has_capture:
            self.skipTest(f"{self.lib.path} has no pyreactor_set_capture yet (the C API is being added)")

    def test_without_the_c_api(self):
        if self.lib.has_capture:
            self.skipTest(f"{self.lib.path} has pyreactor_set_capture")
        with reactor() as r, self.assertRaises(NotImplementedError) as cm:
            with r.capture():
                pass
        self.assertIn("pyreactor_set_capture", str(cm.exception))

    def test_capture(self):
        self.need_capture()
        sunk = []
        with reactor(stdout=sunk.append) as r:
            with r.capture() as out:
                r.run(PRINT_BOTH)
                with self.assertRaises(pyreactor.PythonError):
                    r.run("print('before the error')\n1 / 0")
                r.run("import sys\nsys.stdout.buffer.write(b'\\x00\\xff')")
            self.assertEqual(out.stdout, b"to out\nbefore the error\n\x00\xff")
            self.assertEqual(out.stderr, b"to err\n")
            self.assertFalse(out.stdout_truncated or out.stderr_truncated)
            self.assertEqual(sunk, [])  # kept instead of going to the sink
            r.run("print('after')")
            self.assertEqual(out.stdout, b"to out\nbefore the error\n\x00\xff")  # the block is over
            self.assertEqual(b"".join(sunk), b"after\n")
            with r.capture() as again:
                with self.assertRaises(pyreactor.MisuseError):
                    with r.capture():
                        pass
                r.run("print('second')")
            self.assertEqual(again.stdout, b"second\n")


    def test_truncated_and_after_a_timeout(self):
        self.need_capture()
        with reactor(timeout_ms=3000) as r:
            with r.capture() as out:
                r.run("import sys\nsys.stdout.write('x' * (17 << 20))\nsys.stderr.write('small')")
            self.assertTrue(out.stdout_truncated)
            self.assertFalse(out.stderr_truncated)
            self.assertEqual(out.stdout, b"x" * (16 << 20))  # the library keeps 16 MiB a call
            self.assertEqual(out.stderr, b"small")
            with r.capture() as out:
                with self.assertRaises(pyreactor.TimeoutError):
                    r.run("print('before the loop', flush=True)\nwhile True:\n    pass")
            self.assertEqual(out.stdout, b"before the loop\n")


if __name__ == "__main__":
    unittest.main()
