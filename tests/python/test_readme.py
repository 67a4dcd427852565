"""hosts/python/README.md's first example runs as written and prints what
its comments say."""

import os
import re
import unittest

from support import PACKAGE, run_python


class Readme(unittest.TestCase):
    def test_first_example(self):
        with open(os.path.join(PACKAGE, "README.md"), encoding="utf-8") as f:
            text = f.read()
        code = re.search(r"```python\n(.*?)```", text, re.S).group(1)
        # each print's comment, up to " (" or ": " (what follows explains)
        expected = [re.split(r" \(|: ", line.split("# ", 1)[1])[0]
                    for line in code.splitlines() if "print(" in line and "# " in line]
        self.assertGreater(len(expected), 5)
        done = run_python(code)
        self.assertEqual(done.returncode, 0, done.stderr.decode())
        self.assertEqual(done.stdout.decode().splitlines(), expected)


if __name__ == "__main__":
    unittest.main()
