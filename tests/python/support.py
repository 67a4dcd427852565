"""Shared by the tests: the repository's paths and a fresh instance."""

import os
import subprocess
import unittest

import pyreactor

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
PACKAGE = os.path.join(ROOT, "hosts", "python")
PYTHON = "/usr/bin/python3"  # Debian's, as the launcher uses


def reactor(**options):
    return pyreactor.Reactor(**options)


class SharedReactor(unittest.TestCase):
    """One instance for all the tests of the class, as cls.r."""

    @classmethod
    def setUpClass(cls):
        cls.r = reactor()

    @classmethod
    def tearDownClass(cls):
        cls.r.close()


def child_env(**extra):
    """The environment of a child python3 running the package from the tree."""
    env = dict(os.environ)
    env["PYTHONPATH"] = PACKAGE
    env.setdefault("PYREACTOR_LIB", pyreactor.load_library().path)
    env.update(extra)
    return env


def run_python(code, timeout=120, **extra):
    """Runs `code` in a child /usr/bin/python3 with the package; CompletedProcess."""
    return subprocess.run(
        [PYTHON, "-c", code],
        env=child_env(**extra),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        stdin=subprocess.DEVNULL,
        timeout=timeout,
    )


def cli(*args, input=b"", timeout=120, env=None):
    """python3 -m pyreactor ARGS...; CompletedProcess with bytes output."""
    return subprocess.run(
        [PYTHON, "-m", "pyreactor", *args],
        input=input,
        env=env or child_env(),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        timeout=timeout,
        cwd=ROOT,
    )
