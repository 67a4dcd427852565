"""What the guest sees: grants (read-only ones refuse writes), env, stdin."""

import os
import tempfile
import unittest

import pyreactor
from support import reactor


class Grants(unittest.TestCase):
    def setUp(self):
        tmp = tempfile.TemporaryDirectory()
        self.addCleanup(tmp.cleanup)
        self.dir = tmp.name
        with open(os.path.join(self.dir, "in.txt"), "w") as f:
            f.write("from the host")

    def test_nothing_is_granted_by_default(self):
        with reactor() as r:
            with self.assertRaises(pyreactor.PythonError):
                r.run("import os\nos.listdir('/')")
            with self.assertRaises(pyreactor.PythonError) as cm:
                r.run(f"open({os.path.join(self.dir, 'in.txt')!r}).read()")
            self.assertIn(cm.exception.type, ("FileNotFoundError", "PermissionError"))
            self.assertEqual(r.run("import os\ndict(os.environ)"), {})

    def test_read_write_grant(self):
        with reactor(dirs=[pyreactor.Dir(self.dir, "/data")]) as r:
            self.assertEqual(r.run("open('/data/in.txt').read()"), "from the host")
            r.run("with open('/data/out.txt', 'w') as f:\n    f.write('from the guest')")
        with open(os.path.join(self.dir, "out.txt")) as f:
            self.assertEqual(f.read(), "from the guest")

    def test_path_grant_is_seen_where_it_is(self):
        with reactor(dirs=[self.dir]) as r:
            self.assertEqual(r.run(f"open({os.path.join(self.dir, 'in.txt')!r}).read()"), "from the host")

    def test_read_only_grant_refuses_writes(self):
        with reactor(dirs=[pyreactor.Dir(self.dir, "/data", read_only=True)]) as r:
            self.assertEqual(r.run("open('/data/in.txt').read()"), "from the host")
            for code in ("open('/data/new.txt', 'w')", "open('/data/in.txt', 'a')",
                         "import os\nos.remove('/data/in.txt')", "import os\nos.mkdir('/data/d')",
                         "import os\nos.rename('/data/in.txt', '/data/moved')"):
                with self.subTest(code=code), self.assertRaises(pyreactor.PythonError) as cm:
                    r.run(code)
                self.assertIn("Read-only file system", cm.exception.message)
        self.assertEqual(sorted(os.listdir(self.dir)), ["in.txt"])

    def test_no_escape_from_a_grant(self):
        with reactor(dirs=[pyreactor.Dir(self.dir, "/data")]) as r:
            with self.assertRaises(pyreactor.PythonError):
                r.run("open('/data/../../etc/passwd').read()")

    def test_env_and_stdin(self):
        with reactor(env={"GREETING": "hej", "EMPTY": ""}, stdin="line one\nline two\n") as r:
            self.assertEqual(r.run("import os\ndict(os.environ)"), {"GREETING": "hej", "EMPTY": ""})
            self.assertEqual(r.run("import sys\nsys.stdin.readline()"), "line one\n")
        with reactor(stdin=b"\x00bytes") as r:
            self.assertEqual(r.run("import sys\nsys.stdin.buffer.read().hex()"), "006279746573")
        with reactor() as r:
            self.assertEqual(r.run("import sys\nsys.stdin.read()"), "")


if __name__ == "__main__":
    unittest.main()
