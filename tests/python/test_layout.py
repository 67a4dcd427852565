"""The ctypes structs against a C compile of include/pyreactor.h: every field
at the same offset, and room for the whole C struct (pyreactor_options_init
writes all of it)."""

import ctypes
import os
import shutil
import subprocess
import tempfile
import unittest

from pyreactor import _native
from support import ROOT

STRUCTS = {
    "pyreactor_options": _native.Options,
    "pyreactor_dir": _native.Dir,
    "pyreactor_host_function": _native.HostFunction,
}


class Layout(unittest.TestCase):
    def test_same_offsets_as_c(self):
        cc = shutil.which("cc") or shutil.which("gcc")
        if cc is None:
            self.skipTest("no C compiler (cc) to compile include/pyreactor.h")
        lines = ['#include <stddef.h>', '#include <stdio.h>', '#include "pyreactor.h"', "int main(void) {"]
        for c_name, struct in STRUCTS.items():
            lines.append(f'  printf("{c_name} sizeof %zu\\n", sizeof({c_name}));')
            for field, _ in struct._fields_:
                if not field.startswith("_"):
                    lines.append(f'  printf("{c_name} {field} %zu\\n", offsetof({c_name}, {field}));')
        lines += ["  return 0;", "}"]
        with tempfile.TemporaryDirectory() as d:
            src, exe = os.path.join(d, "layout.c"), os.path.join(d, "layout")
            with open(src, "w") as f:
                f.write("\n".join(lines) + "\n")
            subprocess.run([cc, "-I", os.path.join(ROOT, "include"), "-o", exe, src], check=True)
            out = subprocess.run([exe], check=True, stdout=subprocess.PIPE).stdout.decode()
        for line in out.splitlines():
            c_name, field, value = line.split()
            struct = STRUCTS[c_name]
            with self.subTest(struct=c_name, field=field):
                if field == "sizeof" and c_name == "pyreactor_options":
                    self.assertLessEqual(int(value), ctypes.sizeof(struct))
                elif field == "sizeof":  # given as arrays: the same size
                    self.assertEqual(int(value), ctypes.sizeof(struct))
                else:
                    self.assertEqual(getattr(struct, field).offset, int(value))


if __name__ == "__main__":
    unittest.main()
