"""The training run of the profile-guided build (hosts/native/wasm2c-pgo.sh).

Registered by `pyreactor call` in the instrumented build, once per test
module: `one("test_json")` runs CPython's own unit tests of that module
inside the guest, from the source tree's Lib/ granted read-only at /pylib.
Which modules: the list CPython's `--enable-optimizations` build trains on
(Lib/test/libregrtest/pgo.py), so the profile is the interpreter's typical
work and not this project's benchmark kernels. Results do not matter, only
that the code ran: failures and skips (no threads, no subprocess, no
_sqlite3 in the guest) are reported and ignored.
"""
import io
import sys
import time


def one(name):
    if "/pylib" not in sys.path:
        # Frozen modules are found first: only what the guest lacks (test/,
        # unittest/, doctest, ...) comes from here.
        sys.path.append("/pylib")
    import unittest

    start = time.perf_counter()
    try:
        suite = unittest.defaultTestLoader.loadTestsFromName("test." + name)
        result = unittest.TextTestRunner(stream=io.StringIO(), verbosity=0).run(suite)
        outcome = {"run": result.testsRun, "failures": len(result.failures),
                   "errors": len(result.errors), "skipped": len(result.skipped)}
    except BaseException as exc:  # SkipTest of a whole module, ImportError, ...
        outcome = {"not_run": "%s: %s" % (type(exc).__name__, exc)}
    outcome["module"] = name
    outcome["seconds"] = round(time.perf_counter() - start, 2)
    return outcome
