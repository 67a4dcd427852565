"""How the guest's Python modules are compiled before they are frozen into it.

Both kinds of frozen module go through `compile_frozen`:
  - the stdlib blob of the guest (guest/stdlib_freeze.py imports this file);
  - CPython's own start-up modules (importlib._bootstrap, os, io, codecs, ...),
    which CPython's build deep-freezes into libpython as static objects:
    build-cpython.sh has the wasm build run this file in place of
    Programs/_freeze_module.py (same arguments, same output format).

What differs from a plain compile():
  - docstrings are stripped: nothing in a sandbox reads them, and they are a
    quarter of the bytes;
  - no column ranges: run with `python -X no_debug_ranges`. Code objects keep
    line numbers but not the column range 3.11 adds to every instruction,
    which tracebacks use only to underline a frame's source line; a frozen
    module has no source in the guest, so there is nothing to underline.
Asserts and everything else are kept, so the modules behave as on a native
interpreter.
"""
import ast
import marshal
import os
import sys


def require_no_debug_ranges():
    if "no_debug_ranges" not in sys._xoptions:
        raise SystemExit("%s: run with python -X no_debug_ranges (see toolchain/freeze_code.py)"
                         % os.path.basename(sys.argv[0]))


def strip_docstrings(tree):
    for node in ast.walk(tree):
        if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)):
            body = node.body
            if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant) \
                    and isinstance(body[0].value.value, str):
                body[0] = ast.copy_location(ast.Pass(), body[0])
    return tree


def compile_frozen(name, source, path):
    """The code object of module `name` from `source` (bytes), as frozen."""
    tree = strip_docstrings(ast.parse(source, path))
    return compile(tree, "<frozen %s>" % name, "exec", dont_inherit=True)


def main():
    """`CPYTHON_PROGRAMS=SRC/Programs freeze_code.py NAME SOURCE OUTPUT.h`, as
    Programs/_freeze_module.py: CPython's own script writes the header, so
    its format stays CPython's."""
    require_no_debug_ranges()
    programs = os.environ.get("CPYTHON_PROGRAMS")
    if len(sys.argv) != 4 or not programs:
        sys.exit("usage: CPYTHON_PROGRAMS=SRC/Programs python -X no_debug_ranges "
                 "freeze_code.py NAME SOURCE OUTPUT.h")
    name, inpath, outpath = sys.argv[1:]
    sys.path.insert(0, programs)
    import _freeze_module
    with open(inpath, "rb") as fh:
        code = compile_frozen(name, fh.read(), inpath)
    _freeze_module.write_frozen(outpath, inpath, name, marshal.dumps(code))


if __name__ == "__main__":
    main()
