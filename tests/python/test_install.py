"""Installing the package (pip, offline) and finding the library."""

import os
import shutil
import subprocess
import tempfile
import unittest

import pyreactor
from support import PACKAGE, PYTHON, ROOT


def pip_available():
    done = subprocess.run([PYTHON, "-m", "pip", "--version"], stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    return done.returncode == 0, done.stdout.decode("utf-8", "replace").strip()


class Install(unittest.TestCase):
    def test_pip_install_offline(self):
        ok, why = pip_available()
        if not ok:
            self.skipTest(f"no pip for {PYTHON} ({why}); install python3-pip to run this test")
        with tempfile.TemporaryDirectory() as target, tempfile.TemporaryDirectory() as work:
            src = os.path.join(work, "src")  # a copy: a build leaves files next to the sources
            shutil.copytree(PACKAGE, src, ignore=shutil.ignore_patterns("__pycache__", "build", "*.egg-info"))
            done = subprocess.run(
                [PYTHON, "-m", "pip", "install", "--quiet", "--no-build-isolation", "--no-index",
                 "--disable-pip-version-check", "--target", target, src],
                stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=300, cwd=work,
                env={**os.environ, "PIP_NO_CACHE_DIR": "1"},
            )
            self.assertEqual(done.returncode, 0, done.stdout.decode("utf-8", "replace"))
            self.assertTrue(os.path.isfile(os.path.join(target, "pyreactor", "py.typed")))
            self.assertTrue(os.path.isfile(os.path.join(target, "bin", "pyreactor-python")))
            # the installed copy, away from the source tree, with the library by env
            code = ("import pyreactor, sys\n"
                    "assert pyreactor.__file__.startswith(sys.argv[1]), pyreactor.__file__\n"
                    "with pyreactor.Reactor() as r:\n"
                    "    print(r.run('2 ** 100'))\n")
            env = {"PATH": os.environ.get("PATH", ""), "PYTHONPATH": target,
                   "PYREACTOR_LIB": pyreactor.load_library().path}
            done = subprocess.run([PYTHON, "-c", code, target], env=env, cwd=work, stdout=subprocess.PIPE,
                                  stderr=subprocess.PIPE, timeout=120)
            self.assertEqual(done.stderr, b"")
            self.assertEqual(done.stdout, b"1267650600228229401496703205376\n")


class LibrarySearch(unittest.TestCase):
    """PYREACTOR_LIB or an explicit path, then pkg-config, then the linker's
    path, then build/ of the source tree."""

    def setUp(self):
        self.real = os.path.realpath(pyreactor.load_library().path)

    def search(self, code="import pyreactor\nprint(pyreactor.load_library().path)", **env):
        """What `code` prints (by default the path the package picks) in a
        child without PYREACTOR_LIB and PKG_CONFIG_PATH, plus `env`."""
        base = {k: v for k, v in os.environ.items() if k not in ("PYREACTOR_LIB", "PKG_CONFIG_PATH")}
        base.update(env)
        done = subprocess.run([PYTHON, "-c", code], env={**base, "PYTHONPATH": PACKAGE},
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=60)
        return done.returncode, done.stdout.decode().strip(), done.stderr.decode()

    def test_env_var_first(self):
        rc, path, _ = self.search(PYREACTOR_LIB=self.real)
        self.assertEqual((rc, path), (0, self.real))
        rc, _, err = self.search(PYREACTOR_LIB="/nonexistent/libpyreactor.so")
        self.assertNotEqual(rc, 0)
        self.assertIn("/nonexistent/libpyreactor.so", err)  # no silent fallback

    def test_explicit_path_over_the_env_var(self):
        with pyreactor.Reactor(library=self.real) as r:
            self.assertEqual(r.library.path, self.real)
        lib = pyreactor.load_library(self.real)
        self.assertIs(pyreactor.load_library(self.real), lib)  # loaded once
        with pyreactor.Reactor(library=lib) as r:
            self.assertEqual(r.run("1"), 1)

    def test_pkg_config(self):
        if shutil.which("pkg-config") is None:
            self.skipTest("no pkg-config on this machine")
        with tempfile.TemporaryDirectory() as d:
            libdir = os.path.join(d, "lib")
            os.makedirs(os.path.join(libdir, "pkgconfig"))
            os.symlink(self.real, os.path.join(libdir, "libpyreactor.so.0"))
            with open(os.path.join(libdir, "pkgconfig", "pyreactor.pc"), "w") as f:
                f.write(f"prefix={d}\nlibdir=${{prefix}}/lib\n\nName: pyreactor\nDescription: test\n"
                        "Version: 0.1.0\nLibs: -L${libdir} -lpyreactor\n")
            rc, path, err = self.search(PKG_CONFIG_PATH=os.path.join(libdir, "pkgconfig"))
            self.assertEqual(rc, 0, err)
            self.assertEqual(path, os.path.join(libdir, "libpyreactor.so.0"))

    def test_source_tree_last(self):
        build = os.path.join(ROOT, "build")
        if not any(os.path.exists(os.path.join(build, so)) for so in ("libpyreactor.so.0", "libpyreactor.so")):
            self.skipTest(f"no libpyreactor.so in {build} yet (make native)")
        rc, out, err = self.search(code="from pyreactor import _native\nprint('\\n'.join(_native.candidates()))")
        self.assertEqual(rc, 0, err)
        found = out.splitlines()
        in_tree = [c for c in found if c.startswith(build + os.sep)]
        self.assertTrue(in_tree, found)
        self.assertEqual(found[-len(in_tree):], in_tree)


class Launcher(unittest.TestCase):
    def test_launcher_runs_the_tree_package(self):
        launcher = os.path.join(ROOT, "build", "pyreactor-python")
        if not os.access(launcher, os.X_OK):
            self.skipTest(f"{launcher} is not built (make python-host)")
        env = {**os.environ, "PYREACTOR_LIB": pyreactor.load_library().path}
        done = subprocess.run([launcher, "batch"], input=b'{"op":"run","code":"import sys\\nsys.version_info[:2]"}\n',
                              env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=60, cwd="/")
        self.assertEqual(done.stdout, b'{"tag":"ok","value":[3,11]}\n', done.stderr)


if __name__ == "__main__":
    unittest.main()
