"""Packs the Python standard library into the guest as frozen bytecode.

Run with the native python built from the same CPython source as the guest,
so the marshal format and bytecode magic match. Writes one C file holding a
byte blob of marshalled code objects, LZMA2-compressed in groups of
neighbouring modules (see GROUP_BYTES), and a `struct _frozen` table whose
entries unpack them on demand (guest/reactor_frozen.c); the guest hands that
table to CPython through `PyImport_FrozenModules` before initialization, so
imports need no file system at all. Compression takes the bytecode from
5.0 MB to 1.2 MB; unpacking a module costs less than executing it.

Modules are compiled as toolchain/freeze_code.py says (no docstrings, no
column ranges: run with `python -X no_debug_ranges`), the same way as the
start-up modules CPython deep-freezes into libpython.
"""
import argparse
import ast
import lzma
import marshal
import os
import pprint
import subprocess
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "toolchain"))
import freeze_code  # noqa: E402

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
    return freeze_code.compile_frozen(name, source, path)


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
    ap.add_argument("--preload-from", help="NAME=PATH of the support module, whose PRELOAD the snapshot "
                    "imports (to group the modules it loads apart from the others); "
                    "the snapshot is taken to import every --extra module too")
    ap.add_argument("--not-preloaded", action="append", default=[],
                    help="an --extra module the snapshot does not import (grouped with the others)")
    ap.add_argument("--scrub", action="append", default=[],
                    help="a build directory to replace by %s in the sysconfig data "
                         "(it names the build tree 40 times)" % SCRUBBED_PREFIX)
    args = ap.parse_args()
    freeze_code.require_no_debug_ranges()
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

    snapshot = set()
    if args.preload_from:
        name, path = args.preload_from.split("=", 1)
        # The project's own modules: the snapshot imports them all.
        snapshot = snapshot_imports(path) | {spec.split("=", 1)[0] for spec in args.extra}
        snapshot -= set(args.not_preloaded)
    modules = []
    for name, path, is_pkg in entries:
        try:
            code = marshal.dumps(compile_module(name, path, sources.get(name)))
        except SyntaxError as e:  # a few stdlib files are Python-2 era test data
            print("skipped %s: %s" % (name, e), file=sys.stderr)
            continue
        modules.append((name, code, is_pkg))
    raw_groups, table = pack_groups(modules, snapshot)
    groups, dict_size = compress_groups(raw_groups)

    with open(args.out, "w") as out:
        write_c(out, groups, [len(g) for g in raw_groups], table, dict_size)
    with open(args.manifest, "w") as mf:
        for name, _group, _start, size, is_pkg in table:
            mf.write("%s %d%s\n" % (name, size, " package" if is_pkg else ""))
    raw = sum(entry[3] for entry in table)
    print("froze %d modules in %d groups, %.1f MB of bytecode, %.2f MB compressed"
          % (len(table), len(groups), raw / 1e6, sum(map(len, groups)) / 1e6), file=sys.stderr)


# Modules are compressed in groups of neighbours, up to this many bytes of
# marshalled code: one stream then shares what they have in common (the
# charmap codecs, a package's submodules): with zlib, 0.17 MB less than a
# stream per module. Unpacking a module decodes its group up to the
# module's end, so the bound is also the most an import decodes in vain.
GROUP_BYTES = 64 * 1024


# Raw LZMA2 (no .xz container: the table has the sizes, and the guest
# checks them), at xz's strongest preset, with pb=0 (marshal data has no
# 4-byte structure: 3 KB less). Against zlib -9 on the same groups the
# blob is 0.16 MB smaller gzipped; decoding is slower, but a group is at
# most GROUP_BYTES plus one module. The dictionary is what the guest's
# decoder allocates, so it is the smallest power of two that holds the
# largest group, not the preset's 64 MiB.
def lzma_filters(dict_size):
    return [{"id": lzma.FILTER_LZMA2, "preset": 9 | lzma.PRESET_EXTREME, "pb": 0,
             "dict_size": dict_size}]


def dictionary_size(raw_groups):
    size = 4096  # LZMA2's minimum
    while size < max(len(g) for g in raw_groups):
        size *= 2
    return size


def compress_groups(raw_groups):
    dict_size = dictionary_size(raw_groups)
    filters = lzma_filters(dict_size)
    return [lzma.compress(g, format=lzma.FORMAT_RAW, filters=filters) for g in raw_groups], dict_size


def group_key(name, is_pkg, snapshot):
    """Neighbours share a group only within one top-level package (top-level
    modules count as one), and only if both are imported by the snapshot or
    both not: the snapshot zeroes the groups all of whose modules it has
    loaded (reactor_frozen.c)."""
    package = name.split(".")[0] if is_pkg or "." in name else None
    return package, name in snapshot


def pack_groups(modules, snapshot):
    """Returns the groups' bytes and one (name, group, start, size, is_pkg)
    per module, in the order of `modules`."""
    groups, table, members, key = [], [], [], None
    for name, code, is_pkg in modules:
        size = sum(map(len, members))
        new_key = group_key(name, is_pkg, snapshot)
        if members and (new_key != key or size + len(code) > GROUP_BYTES):
            groups.append(b"".join(members))
            members, size = [], 0
        key = new_key
        table.append((name, len(groups), size, len(code), is_pkg))
        members.append(code)
    if members:
        groups.append(b"".join(members))
    return groups, table


# Modules the guest's C half builds in (reactor_host_call.c): the native
# python has none of them.
GUEST_BUILTINS = {"_reactor_host"}


def snapshot_imports(support):
    """The modules the snapshot will have imported, as the native python of
    the same source imports them: the support module's PRELOAD and its own
    top-level imports, with what they import in turn. Only a hint for
    grouping; a module the guest imports differently costs bytes, not
    correctness."""
    with open(support) as fh:
        tree = ast.parse(fh.read(), support)
    names = []
    for node in tree.body:
        if isinstance(node, ast.Import):
            names += [alias.name for alias in node.names if alias.name not in GUEST_BUILTINS]
        elif isinstance(node, ast.Assign) and any(getattr(t, "id", None) == "PRELOAD" for t in node.targets):
            names += ast.literal_eval(node.value)
    script = ("import importlib, sys\nfor n in %r: importlib.import_module(n)\n"
              "print('\\n'.join(sys.modules))" % (names,))
    out = subprocess.run([sys.executable, "-I", "-S", "-c", script], check=True,
                         stdout=subprocess.PIPE, text=True).stdout
    return set(out.split())


def write_c(out, groups, raw_sizes, table, dict_size):
    """CPython calls a module's get_code() with no argument, so each module
    gets a one-line function that names its index in the chunk table."""
    out.write("/* Generated by guest/stdlib_freeze.py: do not edit. */\n")
    out.write("#include <Python.h>\n#include \"reactor_frozen.h\"\n\n")
    out.write("unsigned char reactor_frozen_blob[] =\n")
    out.write("\n".join(c_string_lines(b"".join(groups))) or '""')
    out.write(";\n\nconst reactor_frozen_group reactor_frozen_groups[] = {\n")
    offset = 0
    for packed, size in zip(groups, raw_sizes):
        out.write("    {%d, %d, %d},\n" % (offset, len(packed), size))
        offset += len(packed)
    out.write("};\n\nconst reactor_frozen_chunk reactor_frozen_chunks[] = {\n")
    for name, group, start, size, _is_pkg in table:
        out.write("    {%d, %d, %d},  /* %s */\n" % (group, start, size, name))
    out.write("};\n\n")
    for i in range(len(table)):
        out.write("static PyObject *code_%d(void) { return reactor_frozen_unpack(%d); }\n" % (i, i))
    out.write("\nstatic const struct _frozen modules[] = {\n")
    for i, (name, _group, _start, _size, is_pkg) in enumerate(table):
        out.write('    {"%s", NULL, 0, %d, code_%d},\n' % (name, int(is_pkg), i))
    out.write("    {NULL, NULL, 0, 0, NULL},\n};\n\n")
    out.write("const struct _frozen *const reactor_frozen_modules = modules;\n")
    out.write("const size_t reactor_frozen_count = %d;\n" % len(table))
    out.write("const size_t reactor_frozen_group_count = %d;\n" % len(groups))
    out.write("const uint32_t reactor_frozen_dict_size = %d;\n" % dict_size)


if __name__ == "__main__":
    main()
