"""Runs numpy's own tests inside the numpy module (tests/numpy/suite/run.sh).

A `run` cell execs this file's text with TESTS (test files, relative to
numpy's tree) set. The instance is granted: /site (pytest and its
pure-Python dependencies from Debian, on PYTHONPATH), /np (numpy's Python
tree with its tests/, read-only) and /work (writable, TMPDIR). numpy itself
is the module's own (built in and packed, preloaded); its tests/ packages
are found in /np by adding /np's directories to the packages' __path__, so
that `numpy._core.tests.test_numeric` is /np/numpy/_core/tests/test_numeric.py,
as pytest's default import mode expects.
"""
import io
import os
import sys

import numpy


def _extend_paths(root="/np"):
    for name, module in list(sys.modules.items()):
        if not (name == "numpy" or name.startswith("numpy.")):
            continue
        path = getattr(module, "__path__", None)
        if path is None:
            continue
        there = os.path.join(root, *name.split("."))
        if os.path.isdir(there) and there not in path:
            path.append(there)


def _import_parents():
    """Packages whose tests run must be imported before their __path__ is
    extended (numpy.ma, numpy.polynomial, ... are not preloaded)."""
    import importlib
    for rel in TESTS:  # noqa: F821 (set by the cell)
        parts = rel.split("/")[:-2]
        if parts and parts[-1] == "tests":
            parts = parts[:-1]
        for depth in range(1, len(parts) + 1):
            importlib.import_module(".".join(parts[:depth]))


_import_parents()
_extend_paths()
# Outside its grants the guest answers ENOTCAPABLE (76), where a file system
# would answer ENOENT; pytest's walk up to "/" (Path.is_dir) stops only on
# the latter.
import errno  # noqa: E402
import pathlib  # noqa: E402
pathlib._IGNORED_ERRNOS = pathlib._IGNORED_ERRNOS + (errno.ENOTCAPABLE,)
# pytest's tmp_path names its directory after the user (os.getuid), which
# the WASI build of the os module does not have: one user, 0.
if not hasattr(os, "getuid"):
    os.getuid = lambda: 0
os.environ["TMPDIR"] = "/work"
os.chdir("/work")
import tempfile  # noqa: E402
tempfile.tempdir = "/work"
import pytest  # noqa: E402

_out = io.StringIO()
# Plugins that need what the sandbox has not: a cache directory, the
# faulthandler's signals, /dev/null (logging's file handler).
_args = ["-p", "no:cacheprovider", "-p", "no:faulthandler", "-p", "no:logging", "--capture=sys", "-q", "-rfEsx",
         "--rootdir=/np", "-c", "/work/pytest.ini", "--confcutdir=/np", "-o", "cache_dir=/work/.cache", "--tb=" + TB,
         "-W", "ignore::pytest.PytestUnraisableExceptionWarning"] + EXTRA + ["/np/" + t for t in TESTS]  # noqa: F821
_status = pytest.main(_args)
int(_status)
