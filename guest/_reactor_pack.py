"""Users' pure-Python packages frozen into a custom module (docs/packages.md).

Frozen into the guest as `_reactor_pack`. `pyreactor pack` (the native
host, hosts/native/lib/pyreactor_pack.c) uses it in two instances of the
guest, both run natively:

1. `build(dirs)`, in an instance granted each --packages directory
   read-only: walks them, refuses C extensions (naming every file), compiles
   every module with this interpreter's own compile() (so the bytecode is
   the guest's, whatever Python the packing machine has), and returns the
   pack: one marshalled table of zlib-compressed code objects and data
   files, base64 for the trip through JSON.
2. `snapshot(preload)`, in a fresh instance granted nothing: takes the pack
   from the host function `pack_blob`, installs the importer below, imports
   the --preload modules, cleans up and re-arms the refresh every instance
   made from a snapshot does at its first call. The host then saves that
   instance's memory as the new module's data.

The importer (`PackFinder`) is a meta path finder after the standard
library's and the PYTHONPATH ones: packed modules import with no file
system at all, each decompressed when first imported. Packed files appear
under ROOT (`/pack/jinja2/__init__.py`): `__file__`, `__path__` and
tracebacks name them there, but nothing exists there on any file system.
Data files of packages are in the pack too and are read through the loader:
`importlib.resources` (`files()`, `read_text`, ...), `pkgutil.get_data`,
`__loader__.get_data(path)`; `importlib.metadata` finds the packed
`*.dist-info` / `*.egg-info`. A plain `open()` of a path beside `__file__`
does not work (docs/packages.md says what to do).
"""
import base64
import io
import marshal
import posixpath
import sys
import zlib
from importlib._bootstrap import _call_with_frames_removed
from importlib.machinery import ModuleSpec

import _reactor_host

ROOT = "/pack"
FORMAT = "python-wasi-reactor pack 1"

# Left out of the walk: caches, tests, stubs. Refused: native code.
SKIP_DIRS = frozenset({"__pycache__", "tests", "test"})
SKIP_SUFFIXES = (".pyc", ".pyo", ".pyi")
EXTENSION_SUFFIXES = (".so", ".pyd", ".dylib", ".dll")
METADATA_SUFFIXES = (".dist-info", ".egg-info")


class PackError(Exception):
    """What makes a directory unpackable; the message names the file."""


# ------------------------------------------------------------ building --

def _listing(path):
    import os
    with os.scandir(path) as it:
        return sorted((entry.name, entry.is_dir()) for entry in it)


def _is_extension(name):
    return name.endswith(EXTENSION_SUFFIXES) or ".so." in name


def _varint(value, out):
    while value >= 64:
        out.append(0x40 | (value & 63))
        value >>= 6
    out.append(value)


def _read_varint(table, i):
    b = table[i]
    i += 1
    value, shift = b & 63, 6
    while b & 64:
        b = table[i]
        i += 1
        value |= (b & 63) << shift
        shift += 6
    return value, i


def _read_svarint(table, i):
    value, i = _read_varint(table, i)
    return (-(value >> 1) if value & 1 else value >> 1), i


def _no_columns(code):
    """`code` (and the code objects in its constants) with the location
    table of `python -X no_debug_ranges`: line numbers, no column ranges.
    Tracebacks use the columns only to underline a frame's source line, and
    packed modules have no source in the guest; they are a third of the
    bytes (as for the frozen stdlib, toolchain/freeze_code.py). CPython
    3.11's format: Objects/locations.md."""
    table = code.co_linetable
    out = bytearray()
    i, line, emitted = 0, code.co_firstlineno, code.co_firstlineno
    while i < len(table):
        first = table[i]
        i += 1
        kind, length = (first >> 3) & 15, first & 7
        if kind == 15:  # no location
            out.append(first)
            continue
        if kind == 14:  # long form
            delta, i = _read_svarint(table, i)
            _end, i = _read_varint(table, i)
            _col, i = _read_varint(table, i)
            _end_col, i = _read_varint(table, i)
            line += delta
        elif kind == 13:  # no columns already
            delta, i = _read_svarint(table, i)
            line += delta
        elif kind >= 10:  # one-line forms: two column bytes
            line += kind - 10
            i += 2
        else:  # short forms: one column byte
            i += 1
        out.append(0x80 | (13 << 3) | length)
        delta = line - emitted
        _varint((-delta << 1) | 1 if delta < 0 else delta << 1, out)
        emitted = line
    consts = tuple(_no_columns(c) if isinstance(c, type(code)) else c for c in code.co_consts)
    return code.replace(co_linetable=bytes(out), co_consts=consts)


def _compile(host_path, virtual_path):
    with open(host_path, "rb") as fh:
        source = fh.read()
    try:
        code = compile(source, virtual_path, "exec", dont_inherit=True)
    except SyntaxError as exc:
        raise PackError("%s:%s: %s: %s" % (host_path, exc.lineno, type(exc).__name__, exc.msg)) from None
    except ValueError as exc:  # NUL bytes
        raise PackError("%s: %s" % (host_path, exc)) from None
    return zlib.compress(marshal.dumps(_no_columns(code)), 9)


class _Builder:
    def __init__(self):
        self.modules = {}      # name -> (is_package, relative path or None, zcode or None)
        self.data = {}         # relative path -> zbytes
        self.extensions = []   # host paths
        self.claimed = {}      # top-level name -> "module" | "package" | "namespace"
        self.raw = 0

    def _file(self, top, rel):
        return top + "/" + rel

    def module(self, top, name, is_package, rel):
        if name not in self.modules or self.modules[name][2] is None:
            self.modules[name] = (is_package, rel, _compile(self._file(top, rel), ROOT + "/" + rel))

    def datum(self, top, rel):
        if rel in self.data:
            return
        with open(self._file(top, rel), "rb") as fh:
            content = fh.read()
        self.raw += len(content)
        self.data[rel] = zlib.compress(content, 9)

    def tree(self, top, rel, dotted):
        """Directory `rel` of `top`: the package `dotted`, or data only
        (dotted None)."""
        listing = _listing(self._file(top, rel))
        if dotted is not None and ("__init__.py", False) not in listing:
            self.modules.setdefault(dotted, (True, rel + "/", None))  # namespace package
        for name, is_dir in listing:
            sub = rel + "/" + name
            if is_dir:
                if name in SKIP_DIRS or name.startswith("."):
                    continue
                self.tree(top, sub, dotted + "." + name if dotted is not None and name.isidentifier() else None)
            elif _is_extension(name):
                self.extensions.append(self._file(top, sub))
            elif name.endswith(SKIP_SUFFIXES):
                continue
            elif dotted is not None and name.endswith(".py") and name[:-3].isidentifier():
                stem = name[:-3]
                if stem == "__init__":
                    self.module(top, dotted, True, sub)
                else:
                    self.module(top, dotted + "." + stem, False, sub)
            else:
                self.datum(top, sub)

    def directory(self, top):
        top = top.rstrip("/") or "/"
        for name, is_dir in _listing(top):
            if is_dir:
                if name.endswith(METADATA_SUFFIXES):
                    self.tree(top, name, None)
                    continue
                if not name.isidentifier() or name in SKIP_DIRS:
                    continue  # bin/, NAME-VERSION.data/, ...
                import os
                kind = "package" if os.path.exists(self._file(top, name + "/__init__.py")) else "namespace"
                seen = self.claimed.get(name)
                if seen is not None and not (seen == kind == "namespace"):
                    continue  # an earlier directory has it, as on sys.path
                self.claimed[name] = kind
                self.tree(top, name, name)
            elif _is_extension(name):
                self.extensions.append(self._file(top, name))
            elif name.endswith(".py") and name[:-3].isidentifier() and name[:-3] not in self.claimed:
                self.claimed[name[:-3]] = "module"
                self.module(top, name[:-3], False, name)

    def blob(self):
        if self.extensions:
            shown = sorted(self.extensions)
            more = "" if len(shown) <= 20 else " and %d more" % (len(shown) - 20)
            raise PackError("C extensions cannot be packed (only pure-Python packages can; "
                            "remove them if the package works without): %s%s"
                            % (", ".join(shown[:20]), more))
        modules = tuple((name,) + self.modules[name] for name in sorted(self.modules))
        data = tuple((rel, self.data[rel]) for rel in sorted(self.data))
        # Version 2: no references, so the bytes do not depend on refcounts.
        return marshal.dumps((FORMAT, modules, data), 2)


_stats = None


def build(dirs):
    """The pack of the directories `dirs` (guest paths, in order: a name in
    an earlier one hides the same name in a later one, as on sys.path), as
    base64 text. Raises PackError naming the file for a C extension or a
    syntax error."""
    global _stats
    builder = _Builder()
    for top in dirs:
        builder.directory(top)
    blob = builder.blob()
    code = sum(len(m[2]) for m in builder.modules.values() if m[2] is not None)
    _stats = {"modules": sum(1 for m in builder.modules.values() if m[2] is not None),
              "namespaces": sum(1 for m in builder.modules.values() if m[2] is None),
              "data_files": len(builder.data), "data_bytes": builder.raw,
              "code_compressed": code, "pack_bytes": len(blob)}
    return base64.b64encode(blob).decode("ascii")


# ------------------------------------------------------------ importing --



class _Resource:
    """A Traversable (importlib.resources.abc) for a file or directory of a
    pack, read-only."""

    def __init__(self, finder, rel):
        self._finder = finder
        self._rel = rel

    @property
    def name(self):
        return posixpath.basename(self._rel)

    def __str__(self):
        return self._finder._root + "/" + self._rel

    def __repr__(self):
        return "<packed %s>" % self

    def is_file(self):
        return self._rel in self._finder._data

    def is_dir(self):
        return self._rel in self._finder._dirs

    def iterdir(self):
        for name in self._finder._dirs.get(self._rel, ()):
            yield _Resource(self._finder, self._rel + "/" + name)

    def joinpath(self, *descendants):
        rel = posixpath.normpath(posixpath.join(self._rel, *descendants))
        return _Resource(self._finder, rel)

    def __truediv__(self, child):
        return self.joinpath(child)

    def read_bytes(self):
        return self._finder._read(self._rel)

    def read_text(self, encoding=None):
        return self.read_bytes().decode(encoding or "utf-8")

    def open(self, mode="r", *args, **kwargs):
        if mode not in ("r", "rb", "rt"):
            raise PermissionError("packed files are read-only: %s" % self)
        raw = io.BytesIO(self.read_bytes())
        return raw if "b" in mode else io.TextIOWrapper(raw, *args, **kwargs)


class _Reader:
    """The resource reader of a packed package: files() is what
    importlib.resources needs (the legacy functions are built on it)."""

    def __init__(self, finder, rel):
        self._root = _Resource(finder, rel)

    def files(self):
        return self._root

    # importlib.resources.abc.TraversableResources, spelled out (that
    # module is imported only when someone uses resources).
    def open_resource(self, resource):
        return self._root.joinpath(resource).open("rb")

    def resource_path(self, resource):
        raise FileNotFoundError(resource)

    def is_resource(self, path):
        return self._root.joinpath(path).is_file()

    def contents(self):
        return (item.name for item in self._root.iterdir())


class PackFinder:
    """Meta path finder and loader of one pack's modules: `modules` maps
    each name to (is_package, path, zlib'ed marshalled code, or None for a
    namespace package), `data` each data file's path to its zlib'ed bytes,
    paths being relative to `root`."""

    def __init__(self, modules, data, root=ROOT):
        self._root = root
        self._modules = modules
        self._data = data
        # Directory -> its entries, for the resource readers: the data
        # files and every directory on the way to them or to a module.
        dirs = {}

        def add(path, child=None):
            parts = path.split("/") if path else []
            for depth in range(1, len(parts) + 1):
                entries = dirs.setdefault("/".join(parts[:depth]), set())
                if depth < len(parts):
                    entries.add(parts[depth])
            if child is not None and path:
                dirs[path].add(child)

        for rel in data:
            add(posixpath.dirname(rel), posixpath.basename(rel))
        for _is_package, rel, code in modules.values():
            add(rel.rstrip("/") if code is None else posixpath.dirname(rel))
        self._dirs = {d: tuple(sorted(names)) for d, names in dirs.items()}

    @classmethod
    def from_blob(cls, blob):
        fmt, modules, data = marshal.loads(blob)
        if fmt != FORMAT:
            raise PackError("not a pack of this guest (format %r)" % (fmt,))
        return cls({m[0]: m[1:] for m in modules}, dict(data))

    def __repr__(self):
        return "<PackFinder: %d modules>" % len(self._modules)

    def _read(self, rel):
        z = self._data.get(rel)
        if z is None:
            raise FileNotFoundError(2, "No such file in the pack", self._root + "/" + rel)
        return zlib.decompress(z)

    # -- finder
    def find_spec(self, fullname, path=None, target=None):
        entry = self._modules.get(fullname)
        if entry is None:
            return None
        is_package, rel, zcode = entry
        if zcode is None:  # namespace package: no code, no file
            spec = ModuleSpec(fullname, self, is_package=True)
            spec.submodule_search_locations = [self._root + "/" + rel.rstrip("/")]
            return spec
        spec = ModuleSpec(fullname, self, origin=self._root + "/" + rel, is_package=is_package)
        spec.has_location = True
        if is_package:
            spec.submodule_search_locations = [self._root + "/" + posixpath.dirname(rel)]
        return spec

    def find_distributions(self, context=None):
        """importlib.metadata's hook: the packed *.dist-info / *.egg-info."""
        import importlib.metadata as metadata
        wanted = getattr(context, "name", None)
        for top in sorted(d for d in self._dirs if "/" not in d):
            if not top.endswith(METADATA_SUFFIXES):
                continue
            if wanted is not None and _dist_name(top) != _dist_name(wanted):
                continue
            yield _distribution(metadata)(self, top)

    def invalidate_caches(self):
        pass

    # -- loader
    def create_module(self, spec):
        return None

    def exec_module(self, module):
        code = self.get_code(module.__name__)
        # As importlib's own loaders do: the import machinery's frames are
        # then left out of tracebacks.
        _call_with_frames_removed(exec, code, module.__dict__)

    def get_code(self, fullname):
        is_package, rel, zcode = self._entry(fullname)
        if zcode is None:
            return compile("", "<namespace %s>" % fullname, "exec")
        return marshal.loads(zlib.decompress(zcode))

    def get_source(self, fullname):
        self._entry(fullname)
        return None

    def is_package(self, fullname):
        return self._entry(fullname)[0]

    def get_filename(self, fullname):
        is_package, rel, zcode = self._entry(fullname)
        if zcode is None:
            raise ImportError("namespace package %r has no file" % fullname, name=fullname)
        return self._root + "/" + rel

    def get_data(self, path):
        path = posixpath.normpath(path)
        if not path.startswith(self._root + "/"):
            raise FileNotFoundError(2, "Not a file of the pack", path)
        return self._read(path[len(self._root) + 1:])

    def get_resource_reader(self, fullname):
        is_package, rel, zcode = self._entry(fullname)
        if not is_package:
            return None
        return _Reader(self, rel.rstrip("/") if zcode is None else posixpath.dirname(rel))

    def _entry(self, fullname):
        entry = self._modules.get(fullname)
        if entry is None:
            raise ImportError("%r is not in the pack" % fullname, name=fullname)
        return entry


def _dist_name(name):
    """A distribution's name as importlib.metadata compares them, from a
    metadata directory's name (NAME-VERSION.dist-info, NAME.egg-info) or a
    name asked for."""
    import re
    for suffix in METADATA_SUFFIXES:
        if name.endswith(suffix):
            name = name[:-len(suffix)]
    return re.sub(r"[-_.]+", "_", name.split("-")[0]).lower()


_distribution_class = None


def _distribution(metadata):
    global _distribution_class
    if _distribution_class is None:
        class PackedDistribution(metadata.Distribution):
            def __init__(self, finder, top):
                self._finder = finder
                self._top = top

            def read_text(self, filename):
                try:
                    return self._finder._read(self._top + "/" + filename).decode("utf-8")
                except FileNotFoundError:
                    return None

            def locate_file(self, path):
                import pathlib
                return pathlib.PurePosixPath(self._finder._root, path)

        _distribution_class = PackedDistribution
    return _distribution_class


finders = []


def install(blob):
    """Makes the modules of the pack `blob` importable: after the standard
    library and the PYTHONPATH entries, as site-packages would be."""
    finder = PackFinder.from_blob(blob)
    sys.meta_path.append(finder)
    finders.append(finder)
    return finder


def snapshot(preload):
    """The pack's own snapshot (see the top): run as a cell in a fresh
    instance, by `pyreactor pack`, as its last call."""
    import gc
    import importlib
    import _reactor
    _reactor_host._heap_scrub(True)
    install(base64.b64decode(_reactor.call_host("pack_blob")))
    for name in preload:
        importlib.import_module(name)
    # What a snapshot must not carry: the state of `random` (reseeded in
    # every instance, _reactor._after_restore), this cell's number, caches.
    _reactor._seed_generators(0)
    _reactor._cells = 0
    import linecache
    linecache.clearcache()
    importlib.invalidate_caches()
    gc.collect()
    _reactor_host._snapshot_rearm()


# ------------------------------------------- packages registered at run time --

REGISTERED_ROOT = "/registered"


class SourceFinder(PackFinder):
    """A package registered at run time (the export register_package):
    `files` maps paths relative to the package's directory to their text.
    Every module is compiled at once (a syntax error names the file) and
    runs when imported, as from files; sources are kept, so tracebacks show
    their lines."""

    def __init__(self, name, files):
        modules, data, self._sources = {}, {}, {}
        for rel in sorted(files):
            parts = rel.split("/")
            if not rel or rel.startswith("/") or "\\" in rel or "\0" in rel \
                    or any(p in ("", ".", "..") for p in parts):
                raise ValueError("bad file name %r in package %r: paths are relative, "
                                 "'/'-separated, without '.' or '..'" % (rel, name))
            full = name + "/" + rel
            dirs = parts[:-1]
            if rel.endswith(".py") and parts[-1][:-3].isidentifier() and all(d.isidentifier() for d in dirs):
                stem = parts[-1][:-3]
                dotted = ".".join([name] + dirs + ([] if stem == "__init__" else [stem]))
                self._sources[full] = files[rel]
                code = compile(files[rel], REGISTERED_ROOT + "/" + full, "exec", dont_inherit=True)
                modules[dotted] = (stem == "__init__", full, code)
            else:
                data[full] = files[rel].encode("utf-8")
        # Directories without __init__.py: namespace packages, as on disk.
        for full in [m[1] for m in modules.values()] + list(data):
            parts = full.split("/")[:-1]
            for depth in range(1, len(parts) + 1):
                if all(p.isidentifier() for p in parts[:depth]):
                    modules.setdefault(".".join(parts[:depth]), (True, "/".join(parts[:depth]) + "/", None))
        super().__init__(modules, data, REGISTERED_ROOT)

    def __repr__(self):
        return "<SourceFinder: %d modules>" % len(self._modules)

    def _read(self, rel):
        content = self._data.get(rel)
        if content is None:
            raise FileNotFoundError(2, "No such file in the package", self._root + "/" + rel)
        return content

    def get_code(self, fullname):
        is_package, rel, code = self._entry(fullname)
        return code if code is not None else compile("", "<namespace %s>" % fullname, "exec")

    def get_source(self, fullname):
        is_package, rel, code = self._entry(fullname)
        return self._sources.get(rel)
