#!/usr/bin/env python3
"""The Python host's tests: runs every tests/python/test_*.py with unittest,
against the package in hosts/python and the library the package finds
(PYREACTOR_LIB, pkg-config, the linker's path, build/libpyreactor.so).

    /usr/bin/python3 tests/python/run.py [-v] [PATTERN]

Ends with one line: "N passed, N failed". A skipped test counts as neither
and says why.
"""

import os
import sys
import time
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, os.path.join(ROOT, "hosts", "python"))
sys.path.insert(0, HERE)


class Result(unittest.TextTestResult):
    def __init__(self, *a, **k):
        super().__init__(*a, **k)
        self.passed = 0
        self.started = 0.0

    def startTest(self, test):
        self.started = time.monotonic()
        super().startTest(test)

    def addSuccess(self, test):
        super().addSuccess(test)
        self.passed += 1

    def stopTest(self, test):
        super().stopTest(test)
        took = time.monotonic() - self.started
        if took > 5:
            self.stream.write(f"  (slow: {test.id()} took {took:.1f} s)\n")


def main():
    verbose = "-v" in sys.argv[1:]
    pattern = next((a for a in sys.argv[1:] if a != "-v"), "test_*.py")
    # The tree's library unless told otherwise: not one installed elsewhere,
    # which the package's own search order would find first.
    built = os.path.join(ROOT, "build", "libpyreactor.so")
    if not os.environ.get("PYREACTOR_LIB") and os.path.exists(built):
        os.environ["PYREACTOR_LIB"] = built
    import pyreactor

    try:
        lib = pyreactor.load_library()
        print(f"library: {lib.path} (ABI {lib.abi_version}, capture: {'yes' if lib.has_capture else 'no'})")
    except pyreactor.LibraryNotFound as e:
        print(f"library: not found ({e}); every test that needs it fails")
    suite = unittest.defaultTestLoader.discover(HERE, pattern=pattern, top_level_dir=HERE)
    runner = unittest.TextTestRunner(stream=sys.stdout, verbosity=2 if verbose else 1, resultclass=Result)
    result = runner.run(suite)
    for test, reason in result.skipped:
        print(f"skipped: {test.id()}: {reason}")
    failed = len(result.failures) + len(result.errors) + len(result.unexpectedSuccesses)
    print(f"{result.passed} passed, {failed} failed")
    return 0 if failed == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
