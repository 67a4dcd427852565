"""The Python half of the reactor: registries and the semantics of ABI.md.

Frozen into the guest as the module `_reactor` (the public module `reactor`,
guest/reactor.py, is a facade over the host-call part of it). The C half
(reactor_*.c) checks the bytes that cross the wasm boundary, turns them into
str objects, calls the functions below, and copies the text they return
into a result record. Every entry point returns `(ok, utf8_bytes)`: it never
raises, because any exception that escaped would have to be turned into JSON
by C.
"""
import ast
import builtins
import functools
import json
import sys
import traceback
import types

import _reactor_host  # built into the guest by reactor_host_call.c

# What the C half looks up here by name, per file: renaming one of these
# breaks the guest at its first call (tests/vectors/reactor_module.jsonl
# checks that each exists).
_USED_BY_C = {
    "reactor_calls.c": ("register_lambda", "register_def", "register_module",
                        "unregister_lambda", "unregister_def", "unregister_module",
                        "apply_lambda", "apply_def", "run", "register_package"),
    "reactor_apply.c": ("_lambdas", "_defs", "_scan", "_c_encode", "_encode_error",
                        "_error_bytes", "_await"),
    "reactor_snapshot.c": ("_preload", "_after_restore"),
}

_lambdas = {}
_defs = {}
_modules = {}

# JSON on the per-call path: JSONEncoder.encode builds a new C encoder on
# every call and JSONDecoder.decode runs two regexes; one long-lived C
# encoder and the C scanner called directly are several times faster.
# (_decode stays for what the scanner cannot do: json's error messages.)
def _not_serializable(obj):
    """The C encoder's fallback for a value of a type it does not know: a
    numpy array or scalar becomes the plain value it stands for (in a
    module with numpy built in, docs/numpy.md); anything else is refused.
    Only such values reach it, so plain results pay nothing for this."""
    value = _from_numpy(obj)
    if value is obj:
        raise TypeError("Object of type %s is not JSON serializable" % type(obj).__name__)
    return value


# numpy is never imported here: its arrays and scalars are known by the
# classes they derive from (every scalar type derives from numpy.generic).
# Their dtype kinds refused: complex, datetime64 and timedelta64 (item()
# of the latter gives a datetime or an int of the unit, depending on it).
_NUMPY_BASES = ("ndarray", "generic")
_NUMPY_REFUSED_KINDS = "cmM"


def _from_numpy(obj):
    """ndarray -> tolist() (nested lists; a 0-d array its scalar), numpy
    scalar -> item() (int, float, bool, str, a tuple for a structured
    one), longdouble -> the nearest float; `obj` itself if it is none of
    these. Raises TypeError for the kinds refused."""
    for cls in type(obj).__mro__:
        if cls.__name__ in _NUMPY_BASES and cls.__module__ == "numpy":
            break
    else:
        return obj
    try:
        kind = obj.dtype.kind
    except AttributeError:  # a class that only looks like numpy's
        return obj
    if kind in _NUMPY_REFUSED_KINDS:
        shown = "ndarray (dtype %s)" % obj.dtype if cls.__name__ == "ndarray" else type(obj).__name__
        raise TypeError("Object of type %s is not JSON serializable" % shown)
    if cls.__name__ == "ndarray":
        return obj.tolist()
    value = obj.item()
    if type(value) is type(obj):  # longdouble: item() cannot make it a float losslessly
        if kind == "f":
            return float(obj)
        raise TypeError("Object of type %s is not JSON serializable" % type(obj).__name__)
    return value


_encode_markers = {}
_c_encode = json.encoder.c_make_encoder(
    _encode_markers, _not_serializable, json.encoder.encode_basestring,
    None, ":", ",", False, False, False)
_decoder = json.JSONDecoder()
_decode = _decoder.decode
_scan = json.scanner.make_scanner(_decoder)
_JSON_SPACE = " \t\n\r"


def _loads(text):
    """json.loads(text), through the scanner; json's own decoder runs only
    to raise its usual error (ValueError) for text the scanner refuses."""
    stripped = text.strip(_JSON_SPACE)
    try:
        value, end = _scan(stripped, 0)
    except StopIteration:  # the scanner's "no value here"
        end = -1
    if end != len(stripped):
        value = _decode(text)
    return value


def _encode(value):
    """Compact JSON, non-ASCII kept, NaN and Infinity refused."""
    try:
        return "".join(_c_encode(value, 0))
    except BaseException:
        _encode_markers.clear()  # a failed encode leaves its markers behind
        raise


class AbiError(Exception):
    """An error of one of the ABI's own kinds (NotRegistered, ...)."""

    def __init__(self, kind, message):
        super().__init__(message)
        self.kind = kind


class HostError(Exception):
    """The error reply of a host function (ABI.md, "Host functions"), public
    as reactor.HostError: `.type` is the kind the host gave
    (NoSuchHostFunction, HostError, ...), `.message` its message, which is
    also what str() gives. Uncaught, it becomes an err of that type."""

    def __init__(self, message="", type="HostError"):
        super().__init__(message, type)
        self.message = str(message)
        self.type = str(type)

    def __str__(self):
        return self.message


HostError.__module__ = "reactor"

_OWN_FILE = "<frozen _reactor>"
_OWN_FILES = {_OWN_FILE, "<frozen _reactor_pack>"}
# The frames of the event loop that runs an awaitable result (_await):
# between _await and the user's coroutine, in every such traceback.
_LOOP_FRAMES = {
    ("<frozen asyncio.base_events>", "run_until_complete"),
    ("<frozen asyncio.base_events>", "run_forever"),
    ("<frozen asyncio.base_events>", "_run_once"),
    ("<frozen asyncio.events>", "_run"),
}


def _without_own_frames(te):
    """Drops this module's frames and the event loop's from a
    TracebackException and the ones it chains to (a finite tree:
    TracebackException breaks cycles itself), so users see their code, not
    the reactor's."""
    te.stack = traceback.StackSummary.from_list(
        [f for f in te.stack if f.filename not in _OWN_FILES and (f.filename, f.name) not in _LOOP_FRAMES])
    for chained in (te.__cause__, te.__context__):
        if chained is not None:
            _without_own_frames(chained)


def error_text(exc):
    """The err JSON of ABI.md for `exc`."""
    if isinstance(exc, AbiError):
        return _encode({"type": exc.kind, "message": str(exc)})
    try:
        message = str(exc)
    except BaseException:
        message = "<exception str() failed>"
    try:
        te = traceback.TracebackException(type(exc), exc, exc.__traceback__)
        _without_own_frames(te)
        formatted = "".join(te.format())
    except BaseException:
        formatted = ""
    # A host's error keeps the host's kind, as ABI.md has it.
    kind = str(exc.type) if isinstance(exc, HostError) else type(exc).__name__
    return _encode({"type": kind, "message": message, "traceback": formatted})


def _error_bytes(exc):
    # backslashreplace: a lone surrogate in a message becomes a JSON \\u
    # escape instead of making the error itself unreportable.
    try:
        return error_text(exc).encode("utf-8", "backslashreplace")
    except BaseException as again:
        return _encode({"type": type(again).__name__,
                        "message": "error while reporting an error"}).encode()


def _guarded(fn, *args):
    try:
        text = fn(*args)
    except BaseException as exc:  # SystemExit and KeyboardInterrupt included
        # (Leaving the clause unbinds exc, which breaks the frame <-> traceback cycle.)
        return False, _error_bytes(exc)
    try:
        return True, text.encode("utf-8")
    except UnicodeEncodeError as exc:  # a lone surrogate in the result
        return False, _error_bytes(AbiError(
            "EncodeError", "the result is not valid Unicode: %s" % exc))


def _callable_or_fail(obj, what):
    if not callable(obj):
        raise AbiError("NotCallable", "%s is not callable (it is %s)"
                       % (what, type(obj).__name__))
    return obj


def _register_lambda(name, code):
    namespace = {"__builtins__": builtins, "__name__": "<lambda %s>" % name}
    value = eval(compile(code, "<lambda %s>" % name, "eval"), namespace)
    _lambdas[name] = _callable_or_fail(value, "lambda %r" % name)
    return _encode(name)


def _register_def(name, code):
    module = types.ModuleType(name)
    exec(compile(code, "<def %s>" % name, "exec"), module.__dict__)
    if name not in module.__dict__:
        raise AbiError("NotCallable", "the code of def %r binds no %r" % (name, name))
    _defs[name] = _callable_or_fail(module.__dict__[name], "def %r" % name)
    return _encode(name)


def _register_module(name, code):
    module = types.ModuleType(name)
    module.__file__ = "<module %s>" % name
    missing = object()
    previous = sys.modules.get(name, missing)
    # In sys.modules while it runs, as a normal import would have it, so
    # that the code can refer to itself (dataclasses, pickle, typing do).
    sys.modules[name] = module
    try:
        exec(compile(code, module.__file__, "exec"), module.__dict__)
    except BaseException:
        if previous is missing:
            sys.modules.pop(name, None)
        else:
            sys.modules[name] = previous
        raise
    _drop_package(name)  # a package of that name before: its finder and submodules
    _modules[name] = module
    return _encode(name)


def _unregister(registry, what, name):
    if name not in registry:
        raise AbiError("NotRegistered", "no %s named %r" % (what, name))
    del registry[name]
    return _encode(name)


def _unregister_module(name):
    result = _unregister(_modules, "module", name)
    sys.modules.pop(name, None)
    _drop_package(name)
    return result


# Packages registered with register_package (docs/packages.md): the
# finder of each, first on sys.meta_path while it is registered.
_packages = {}


def _package_modules(name):
    return [key for key in sys.modules if key == name or key.startswith(name + ".")]


def _drop_package(name):
    """Forgets the package `name` registered by register_package, if any:
    its finder and its submodules (not sys.modules[name] itself)."""
    finder = _packages.pop(name, None)
    if finder is None:
        return
    if finder in sys.meta_path:
        sys.meta_path.remove(finder)
    for key in _package_modules(name):
        if key != name:
            del sys.modules[key]


def _register_package(name, files_text):
    """A package of several files: `files_text` is a JSON object mapping
    each file's path in the package to its text. Its modules are compiled
    now and imported as from files (the package itself now, as
    register_module runs its code); other files are its data, for
    importlib.resources and get_data. If anything fails, nothing changes."""
    try:
        files = _loads(files_text)
    except ValueError as exc:
        raise AbiError("InvalidInput", "the package's files are not valid JSON: %s" % exc) from None
    if not isinstance(files, dict) or not all(isinstance(v, str) for v in files.values()):
        raise AbiError("InvalidInput", "the package's files must be a JSON object of path: text")
    if not all(part.isidentifier() for part in name.split(".")):
        raise AbiError("InvalidName", "a package name is dotted identifiers, not %r" % name)
    import _reactor_pack
    try:
        finder = _reactor_pack.SourceFinder(name, files)
    except ValueError as exc:
        raise AbiError("InvalidInput", str(exc)) from None
    previous = {key: sys.modules.pop(key) for key in _package_modules(name)}
    sys.meta_path.insert(0, finder)
    try:
        __import__(name)  # not importlib's: its frames would be in tracebacks
        module = sys.modules[name]
    except BaseException:
        sys.meta_path.remove(finder)
        for key in _package_modules(name):
            del sys.modules[key]
        sys.modules.update(previous)
        raise
    old = _packages.get(name)
    if old is not None and old in sys.meta_path:
        sys.meta_path.remove(old)
    _packages[name] = finder
    _modules[name] = module
    return _encode(name)


def _resolve_dotted(name):
    """`module.attr[.attr...]` inside a registered module (the longest
    registered module name that is a prefix wins)."""
    parts = name.split(".")
    for cut in range(len(parts) - 1, 0, -1):
        module = _modules.get(".".join(parts[:cut]))
        if module is None:
            continue
        target = module
        for attr in parts[cut:]:
            try:
                target = getattr(target, attr)
            except AttributeError:
                raise AbiError("NotRegistered", "no def named %r: %r has no attribute %r"
                               % (name, ".".join(parts[:cut]), attr)) from None
        return _callable_or_fail(target, "def %r" % name)
    raise AbiError("NotRegistered", "no def named %r" % name)


def _find(registry, name):
    """The callable of a name not in `registry` itself: a dotted def."""
    fn = _resolve_dotted(name) if registry is _defs and "." in name else None
    if fn is None:
        raise AbiError("NotRegistered", "no %s named %r"
                       % ("def" if registry is _defs else "lambda", name))
    return fn


def _apply(registry, name, args_text):
    """Look up, parse, call, encode: apply_lambda and apply_def in one
    frame, since each Python-level call costs in the guest (this replaced
    four nested frames; each one fewer made a warm apply ~3% faster
    natively). The work is that of _guarded(_apply_*, ...) spelled out."""
    try:
        fn = registry.get(name)
        if fn is None:
            fn = _find(registry, name)
        try:
            args = _loads(args_text)
        except ValueError as exc:  # JSONDecodeError, and the int digits limit
            raise AbiError("InvalidArgs", "args are not valid JSON: %s" % exc) from None
        if isinstance(args, list):
            value = fn(*args)
        elif isinstance(args, dict):
            value = fn(**args)
        else:
            raise AbiError("InvalidArgs", "args must be a JSON array or object, not %s"
                           % type(args).__name__)
        if _is_awaitable(value):
            value = _await(value)
        try:
            data = "".join(_c_encode(value, 0)).encode("utf-8")
        except BaseException as exc:
            error = _encode_error(exc)
            if error is exc:
                raise
            raise error from None
    except BaseException as exc:  # SystemExit and KeyboardInterrupt included
        # (Leaving the clause unbinds exc, which breaks the frame <-> traceback cycle.)
        return False, _error_bytes(exc)
    return True, data


# Awaitable results (ABI.md, "Awaitables"). What counts is what `await`
# takes: a type with __await__ (coroutines, Futures, Tasks, user classes),
# checked in C so that reactor_apply.c's warm path and _apply agree.
_is_awaitable = _reactor_host.is_awaitable
_loop = None


def _await(awaitable):
    """Runs `awaitable` to completion on the instance's event loop and
    returns its value (or raises what it raised). The loop is made at first
    use, so never in the snapshot, and kept: tasks a call leaves running go
    on in later calls, and asyncio objects bound to it stay usable."""
    global _loop
    loop = _loop
    if loop is None or loop.is_closed():
        loop = _loop = _new_loop()
    return loop.run_until_complete(awaitable)


def _new_loop():
    import asyncio
    import selectors

    class Selector(selectors.DefaultSelector):
        """WASI's poll fails with ENOTSUP ("[Errno 58] Not supported") when
        asked to wait forever for nothing, which is what a loop does when
        its coroutine waits for something that cannot happen (a future no
        one resolves): the guest has one thread and no loop-wide fd, so
        nothing could wake it. That gets a message that says so."""

        def select(self, timeout=None):
            if (timeout is None or timeout < 0) and not self.get_map():
                raise RuntimeError("the awaitable can never finish: it waits, and the event "
                                   "loop has no timer or file left that could wake it")
            return super().select(timeout)

    return asyncio.SelectorEventLoop(Selector())


# Code cells (ABI.md, "Cells"): statements run in the instance's __main__,
# kept here in case user code takes it out of sys.modules.
_main = sys.modules["__main__"].__dict__
_cells = 0
# Top-level await is allowed, as in a notebook: the code then compiles to
# a coroutine (CO_COROUTINE), which runs on the loop above.
_CELL_FLAGS = ast.PyCF_ALLOW_TOP_LEVEL_AWAIT
_CO_COROUTINE = 0x80


def _run_code(code):
    value = eval(code, _main)
    if code.co_flags & _CO_COROUTINE:
        value = _await(value)
    return value


def _run_cell(code):
    """The statements of `code`, then the value of the last one if it is an
    expression (awaited if awaitable), else None, as JSON. What ran before
    a failure stays bound."""
    global _cells
    _cells += 1
    filename = "<cell %d>" % _cells
    tree = compile(code, filename, "exec", ast.PyCF_ONLY_AST | _CELL_FLAGS)
    last = tree.body.pop() if tree.body and isinstance(tree.body[-1], ast.Expr) else None
    if tree.body:
        _run_code(compile(tree, filename, "exec", _CELL_FLAGS))
    value = None
    if last is not None:
        value = _run_code(compile(ast.Expression(last.value), filename, "eval", _CELL_FLAGS))
        if _is_awaitable(value):
            value = _await(value)
    try:
        return _encode(value)
    except BaseException as exc:
        error = _encode_error(exc)
        if error is exc:
            raise
        raise error from None


def _encode_error(exc):
    """What the failure `exc` to encode a result is reported as: an
    EncodeError, or exc itself. The C half's apply (reactor_apply.c) calls
    it, and _error_bytes, for the same cases."""
    _encode_markers.clear()  # as in _encode
    if isinstance(exc, UnicodeEncodeError):  # a lone surrogate in the result
        return AbiError("EncodeError", "the result is not valid Unicode: %s" % exc)
    if isinstance(exc, (TypeError, ValueError)):
        return AbiError("EncodeError", "the result cannot be encoded as JSON: %s" % exc)
    return exc


# The entry points the C half calls; each returns (ok, utf8_bytes).
def register_lambda(name, code): return _guarded(_register_lambda, name, code)
def register_def(name, code): return _guarded(_register_def, name, code)
def register_module(name, code): return _guarded(_register_module, name, code)
def unregister_lambda(name): return _guarded(_unregister, _lambdas, "lambda", name)
def unregister_def(name): return _guarded(_unregister, _defs, "def", name)
def unregister_module(name): return _guarded(_unregister_module, name)
apply_lambda = functools.partial(_apply, _lambdas)  # no frame of its own
apply_def = functools.partial(_apply, _defs)
def run(code): return _guarded(_run_cell, code)
def register_package(name, files): return _guarded(_register_package, name, files)


# Host functions (ABI.md, "Host functions"), public through the module
# `reactor`. reactor_host_call.c moves the bytes; the JSON is done here.
_host_call = _reactor_host.call
_HOST_VALUE = 0


def call_host(name, /, *args, **kwargs):
    """Calls the host function `name` with the positional arguments as a
    JSON array or the keyword arguments as a JSON object (not both), and
    returns its reply, decoded from JSON. Raises HostError when the host
    replies with an error."""
    if args and kwargs:
        raise TypeError("call_host() sends positional or keyword arguments, not both")
    if not isinstance(name, str):
        raise TypeError("a host function's name is a str, not %s" % type(name).__name__)
    try:
        status, reply = _host_call(name, _encode(kwargs if kwargs else args))
    except RuntimeError as exc:  # the host broke the protocol of host.call
        raise HostError(str(exc)) from None
    try:
        value = _loads(reply.decode("utf-8"))
    except ValueError as exc:  # UnicodeDecodeError, JSONDecodeError
        raise HostError("the host's reply is not valid JSON: %s" % exc) from None
    if status == _HOST_VALUE:
        return value
    if isinstance(value, dict) and isinstance(value.get("type"), str):
        raise HostError(value.get("message", ""), value["type"])
    raise HostError("the host's error reply is not an object with a \"type\": %.200s"
                    % reply.decode("utf-8"))


class _Host:
    """reactor.host: `host.NAME(...)` is `call_host("NAME", ...)`."""

    __slots__ = ()

    def __getattr__(self, name):
        if name.startswith("__") and name.endswith("__"):
            raise AttributeError(name)  # copy, pickle and inspect probe these
        return functools.partial(call_host, name)

    def __repr__(self):
        return "<reactor.host>"


host = _Host()


def abi_error(kind, message):
    return _encode({"type": kind, "message": message})


def _exit_is_system_exit(status=0):
    """os._exit would end the whole wasm instance through WASI proc_exit;
    in a reactor it raises SystemExit instead, like sys.exit."""
    raise SystemExit(status)


def _no_self_pipe(self):
    pass


def _patch_selector_events(module):
    """The selector event loop wakes itself through a socketpair, which WASI
    preview 1 lacks (asyncio.run fails with errno 58). The guest has one
    thread, so nothing ever needs to wake the loop from outside."""
    loop = module.BaseSelectorEventLoop
    loop._make_self_pipe = loop._close_self_pipe = loop._write_to_self = _no_self_pipe


class _PatchingLoader:
    """Runs the real loader, then a patch on the fresh module."""

    def __init__(self, loader, patch):
        self._loader = loader
        self._patch = patch

    def create_module(self, spec):
        return self._loader.create_module(spec)

    def exec_module(self, module):
        self._loader.exec_module(module)
        self._patch(module)


class _PatchOnImport:
    """A meta path finder that patches stdlib modules WASI breaks, when (and
    only if) they are first imported, so unused ones cost nothing."""

    patches = {"asyncio.selector_events": _patch_selector_events}

    def find_spec(self, fullname, path=None, target=None):
        patch = self.patches.get(fullname)
        if patch is None:
            return None
        for finder in sys.meta_path:
            if finder is self or not hasattr(finder, "find_spec"):
                continue
            spec = finder.find_spec(fullname, path, target)
            if spec is not None:
                spec.loader = _PatchingLoader(spec.loader, patch)
                return spec
        return None


# Imported by the Wizer snapshot, so that instances start with them loaded:
# the modules user code reaches for most (and what they import themselves).
PRELOAD = (
    "json", "re", "datetime", "decimal", "collections", "itertools",
    "functools", "math", "random", "string", "hashlib", "base64", "struct",
    "dataclasses", "enum", "typing", "textwrap", "statistics", "fractions",
    "copy", "operator", "heapq", "bisect", "uuid", "time", "io",
)


def _variant_preload():
    """What a variant of the guest (docs/numpy.md) preloads besides PRELOAD:
    the names its built-in module _reactor_variant lists. The default
    module has no such module, hence nothing more."""
    if "_reactor_variant" not in sys.builtin_module_names:
        return ()
    import _reactor_variant
    return _reactor_variant.preload


def _seed_generators(seed):
    """`random`'s generator and, in a module where numpy is built in and
    loaded, numpy's legacy global one (numpy.random.seed, .rand, ...):
    seeded with a constant in a snapshot, from entropy (seed None) in each
    instance made from it."""
    random = sys.modules.get("random")
    if random is not None:
        random.seed(seed)
    mtrand = sys.modules.get("numpy.random.mtrand")
    if mtrand is not None and "numpy.random.mtrand" in sys.builtin_module_names:
        if seed is None:
            # 128 bits, as numpy's own seed() draws, but through MT19937's
            # init_by_array in C: its seed() hashes them into 624 words
            # through SeedSequence, 5.5 ms of every instance's first call.
            import os
            entropy = os.urandom(16)
            seed = [int.from_bytes(entropy[i:i + 4], "little") for i in range(0, 16, 4)]
        mtrand.seed(seed)


def _preload():
    import importlib
    for name in PRELOAD + _variant_preload():
        importlib.import_module(name)
    import reactor  # noqa: F401 (the guest's own: not in PRELOAD, which the native python imports)
    # Deterministic snapshot bytes; every instance reseeds in _after_restore.
    _seed_generators(0)
    # Cyclic garbage of the imports freed now, while the C side zeroes what
    # is freed (reactor_heap_scrub.c), rather than in every instance later.
    import gc
    gc.collect()


def _after_restore(environ):
    """First call of an instance made from the snapshot: `environ` is its
    real environment (bytes to bytes); everything derived from build-time
    entropy or environment is redone here."""
    import os
    os.environ._data.clear()       # libc already holds these: no putenv
    os.environ._data.update(environ)
    path = os.environ.get("PYTHONPATH")
    sys.path[:] = [p for p in path.split(":") if p] if path else []
    _seed_generators(None)         # from os.urandom, i.e. WASI random_get
    # A pack's snapshot (docs/packages.md) may hold logging, which notes
    # the time it was imported, for LogRecord.relativeCreated: a clock
    # reading of `pyreactor pack` (a fixed one), not the instance's start.
    logging = sys.modules.get("logging")
    if logging is not None and isinstance(getattr(logging, "_startTime", None), float):
        import time
        logging._startTime = time.time()


def _install_sandbox_patches():
    import os
    import posix
    os._exit = posix._exit = _exit_is_system_exit
    sys.meta_path.insert(0, _PatchOnImport())
    sys.setrecursionlimit(1000)


_install_sandbox_patches()
