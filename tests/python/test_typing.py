"""The package's type hints (it ships py.typed) hold under mypy --strict."""

import subprocess
import unittest

from support import PACKAGE, PYTHON


class Typing(unittest.TestCase):
    def test_mypy_strict(self):
        have = subprocess.run([PYTHON, "-m", "mypy", "--version"], stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        if have.returncode != 0:
            self.skipTest(f"no mypy for {PYTHON} (apt-get install python3-mypy)")
        done = subprocess.run([PYTHON, "-m", "mypy", "--strict", "--no-error-summary", "--cache-dir=/dev/null", "pyreactor"], cwd=PACKAGE,
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=600)
        self.assertEqual(done.returncode, 0, done.stdout.decode("utf-8", "replace"))


if __name__ == "__main__":
    unittest.main()
