"""Packs the Python standard library into the guest as frozen bytecode.

Run with the native python built from the same CPython source as the guest,
so the marshal format and bytecode magic match. Writes one C file holding a
byte blob of zlib-compressed marshalled code objects and a `struct _frozen`
table whose entries unpack them on demand (guest/reactor_frozen.c); the
guest hands that table to CPython through `PyImport_FrozenModules` before
initialization, so imports need no file system at all. Compression takes
the bytecode from 5.5 MB to under 2 MB; unpacking a module costs far less
than executing it.

Docstrings are stripped (nothing in a sandbox reads them and they are about a
quarter of the bytes); asserts and everything else are kept, so the stdlib
behaves as on a native interpreter.
"""
import argparse
import ast
import marshal
import os
import pprint
import sys
import zlib

# Whole packages or modules that cannot work under WASI preview 1, or that
# nobody needs inside a sandbox (GUI, packaging, test suites, servers and
# clients for protocols that need sockets, process control).
EXCLUDED = {
    "test", "idlelib", "tkinter", "turtle", "turtledemo", "ensurepip", "venv",
    "lib2to3", "distutils", "pydoc", "pydoc_data", "msilib", "__phello__",
    "__hello__", "site-packages", "ctypes", "sqlite3", "curses", "dbm",
    "multiprocessing", "xmlrpc", "wsgiref", "unittest",
    "_pydecimal", "_pyio", "_osx_support", "_aix_support", "_bootsubprocess",
    "webbrowser", "pty", "tty", "getpass", "crypt", "mailcap",
    "imaplib", "smtplib", "smtpd", "poplib", "nntplib", "ftplib", "telnetlib",
    "asyncore", "asynchat", "socketserver", "cgi", "cgitb", "pdb", "bdb",
    "cProfile", "profile", "trace", "tabnanny", "nturl2path", "sndhdr",
    "imghdr", "aifc", "sunau", "wave", "chunk", "uu", "xdrlib", "msvcrt",
    "_winapi", "antigravity", "this", "idle", "mailbox",
    "compileall", "py_compile", "zipapp", "pyclbr", "doctest", "filecmp",
    "code", "codeop", "netrc",
    "shelve", "sched", "optparse", "getopt", "ssl", "pickletools", "bz2", "lzma",
}
# CPython already links these in as deep-frozen code objects (Python/frozen.c),
# which load faster than marshalled bytes: freezing them again only adds size.
ALREADY_FROZEN = {
    "abc", "codecs", "io", "_collections_abc", "_sitebuiltins", "genericpath",
    "ntpath", "posixpath", "os", "site", "stat", "importlib.util",
    "importlib.machinery", "runpy", "importlib._bootstrap",
    "importlib._bootstrap_external", "zipimport",
}
# Sub-packages dropped inside packages that are otherwise kept.
EXCLUDED_DOTTED = {
    "asyncio.windows_events", "asyncio.windows_utils", "encodings.mbcs",
    "encodings.oem", "encodings.cp65001", "email.architecture",
    "http.server", "http.cookiejar", "json.tool", "urllib.robotparser",
    "encodings.bz2_codec", "asyncio.__main__", "concurrent.futures.process",
    "logging.config",
}


def strip_docstrings(tree):
    for node in ast.walk(tree):
        if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)):
            body = node.body
            if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant) \
                    and isinstance(body[0].value.value, str):
                body[0] = ast.copy_location(ast.Pass(), body[0])
    return tree


def module_files(lib):
    """Yields (dotted name, path, is_package) for every kept module."""
    for root, dirs, files in os.walk(lib):
        rel = os.path.relpath(root, lib)
        pkg = "" if rel == "." else rel.replace(os.sep, ".")
        if pkg and not os.path.exists(os.path.join(root, "__init__.py")):
            dirs[:] = []
            continue
        dirs[:] = sorted(d for d in dirs if d not in EXCLUDED and d != "__pycache__"
                         and not (pkg + "." + d if pkg else d) in EXCLUDED_DOTTED)
        if pkg.split(".")[0] in EXCLUDED:
            continue
        for f in sorted(files):
            if not f.endswith(".py"):
                continue
            stem = f[:-3]
            if stem == "__init__":
                yield pkg, os.path.join(root, f), True
                continue
            name = pkg + "." + stem if pkg else stem
            if stem in EXCLUDED and not pkg or name in EXCLUDED_DOTTED or name in ALREADY_FROZEN:
                continue
            yield name, os.path.join(root, f), False


# What the build directory becomes in the sysconfig data (see --sysconfig).
SCRUBBED_PREFIX = "/build/cpython"


def sysconfig_source(path, scrub):
    """The sysconfig data module with the build directory replaced in every
    value, printed anew: the generated file's line breaks depend on the
    paths' lengths, and so would the bytecode's line table."""
    scope = {}
    with open(path) as fh:
        exec(fh.read(), scope)  # our own build's output: a dict literal
    names = sorted(k for k in scope if k != "__builtins__")
    if names != ["build_time_vars"]:
        raise SystemExit("%s: expected only build_time_vars, found %s" % (path, names))

    def clean(value):
        if isinstance(value, str):
            for prefix in scrub:
                value = value.replace(prefix, SCRUBBED_PREFIX)
        return value

    data = {k: clean(v) for k, v in scope["build_time_vars"].items()}
    return ("build_time_vars = %s\n" % pprint.pformat(data, width=100)).encode()


def compile_module(name, path, source=None):
    if source is None:
        with open(path, "rb") as fh:
            source = fh.read()
    tree = strip_docstrings(ast.parse(source, path))
    return compile(tree, "<frozen %s>" % name, "exec", dont_inherit=True)


def c_string_lines(data, width=100):
    out, line = [], []
    for b in data:
        if 32 <= b < 127 and b not in (34, 92, 63):  # printable, not " \ ?
            line.append(chr(b))
        else:
            line.append("\\%03o" % b)
        if len(line) >= width:
            out.append('"' + "".join(line) + '"')
            line = []
    if line:
        out.append('"' + "".join(line) + '"')
    return out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--lib", required=True, help="CPython's Lib directory")
    ap.add_argument("--extra", action="append", default=[], help="NAME=PATH of a project module to freeze too")
    ap.add_argument("--out", required=True, help="C file to write")
    ap.add_argument("--manifest", required=True, help="text file listing the frozen modules")
    ap.add_argument("--sysconfig", help="NAME=PATH of the sysconfig data module")
    ap.add_argument("--scrub", action="append", default=[],
                    help="a build directory to replace by %s in the sysconfig data "
                         "(it names the build tree 40 times)" % SCRUBBED_PREFIX)
    args = ap.parse_args()
    # Longest first, so that a prefix of another one does not cut it short.
    scrub = sorted(args.scrub, key=len, reverse=True)

    entries = list(module_files(args.lib))
    for spec in args.extra:
        name, path = spec.split("=", 1)
        entries.append((name, path, False))
    sources = {}
    if args.sysconfig:
        name, path = args.sysconfig.split("=", 1)
        entries.append((name, path, False))
        sources[name] = sysconfig_source(path, scrub)

    blob = bytearray()
    table = []
    for name, path, is_pkg in entries:
        try:
            code = marshal.dumps(compile_module(name, path, sources.get(name)))
        except SyntaxError as e:  # a few stdlib files are Python-2 era test data
            print("skipped %s: %s" % (name, e), file=sys.stderr)
            continue
        packed = zlib.compress(code, 9)
        table.append((name, len(blob), len(packed), len(code), is_pkg))
        blob += packed

    with open(args.out, "w") as out:
        write_c(out, blob, table)
    with open(args.manifest, "w") as mf:
        for name, _off, _packed, size, is_pkg in table:
            mf.write("%s %d%s\n" % (name, size, " package" if is_pkg else ""))
    raw = sum(entry[3] for entry in table)
    print("froze %d modules, %.1f MB of bytecode, %.1f MB compressed"
          % (len(table), raw / 1e6, len(blob) / 1e6), file=sys.stderr)


def write_c(out, blob, table):
    """CPython calls a module's get_code() with no argument, so each module
    gets a one-line function that names its index in the chunk table."""
    out.write("/* Generated by guest/stdlib_freeze.py: do not edit. */\n")
    out.write("#include <Python.h>\n#include \"reactor_frozen.h\"\n\n")
    out.write("const unsigned char reactor_frozen_blob[] =\n")
    out.write("\n".join(c_string_lines(blob)) or '""')
    out.write(";\n\nconst reactor_frozen_chunk reactor_frozen_chunks[] = {\n")
    for name, off, packed, size, _is_pkg in table:
        out.write("    {%d, %d, %d},  /* %s */\n" % (off, packed, size, name))
    out.write("};\n\n")
    for i in range(len(table)):
        out.write("static PyObject *code_%d(void) { return reactor_frozen_unpack(%d); }\n" % (i, i))
    out.write("\nstatic const struct _frozen modules[] = {\n")
    for i, (name, _off, _packed, _size, is_pkg) in enumerate(table):
        out.write('    {"%s", NULL, 0, %d, code_%d},\n' % (name, int(is_pkg), i))
    out.write("    {NULL, NULL, 0, 0, NULL},\n};\n\n")
    out.write("const struct _frozen *const reactor_frozen_modules = modules;\n")
    out.write("const size_t reactor_frozen_count = %d;\n" % len(table))


if __name__ == "__main__":
    main()
