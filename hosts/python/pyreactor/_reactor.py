"""Reactor: one sandboxed Python interpreter (a libpyreactor instance)."""

from __future__ import annotations

import ctypes
import errno
import json
import os
import threading
import weakref
from dataclasses import dataclass
from typing import Any, Callable, Dict, Iterable, List, Mapping, Optional, Tuple, Union

from . import _errors, _json, _native
from ._errors import PythonError

PathLike = Union[str, "os.PathLike[str]"]


class _Discard:
    def __repr__(self) -> str:
        return "pyreactor.DISCARD"


#: As ``stdout`` or ``stderr``: drop that stream (the library's own
#: pyreactor_sink_discard; an older library without it drops with no sink).
DISCARD = _Discard()

Sink = Union[Callable[[bytes], object], _Discard]

MAX_MEMORY_MB = 4096  # wasm32: 65536 pages of 64 KiB
MAX_STACK_MB = 16384  # what pyreactor_open accepts
MAX_TIMEOUT_MS = 86400000  # one day, as the command lines take


@dataclass(frozen=True)
class Dir:
    """A directory grant: `host` seen by the guest as `guest` (an absolute
    path; None: the host path), read-only if `read_only`."""

    host: PathLike
    guest: Optional[str] = None
    read_only: bool = False

    @classmethod
    def parse(cls, spec: str) -> "Dir":
        """``HOST[:GUEST][:ro|:rw]`` as the command lines take it (split at
        every ':'; GUEST absolute; the mode exactly ``ro`` or ``rw``)."""
        parts = spec.split(":")
        modes = ("ro", "rw")
        mode = None
        if len(parts) == 3 or (len(parts) == 2 and parts[1] in modes):
            mode = parts.pop()
        host, guest = parts[0], parts[1] if len(parts) == 2 else None
        if (
            len(parts) > 2
            or host == ""
            or (guest is not None and not guest.startswith("/"))
            or (mode is not None and mode not in modes)
        ):
            raise ValueError(f'--dir takes HOST[:GUEST][:ro|:rw], got "{spec}"')
        return cls(host, guest, mode == "ro")


class HostCall:
    """What a raw host function gets (see `raw`): valid only during the call."""

    __slots__ = ("name", "args_json", "_lib", "_ctx")

    def __init__(self, lib: _native.Library, ctx: Optional[int], name: str, args_json: str) -> None:
        self.name = name
        self.args_json = args_json
        self._lib = lib
        self._ctx = ctx

    def ms_left(self) -> Optional[int]:
        """Milliseconds before the call's time limit passes (0: passed), None without a limit."""
        if self._ctx is None:
            return None
        left = self._lib.cdll.pyreactor_call_ms_left(self._ctx)
        return None if left < 0 else left


class raw:
    """Marks a host function that takes and gives JSON text:
    ``host_functions={"f": pyreactor.raw(fn)}`` calls ``fn(call)`` with a
    `HostCall` (``call.name``, ``call.args_json`` exactly as the guest sent
    it, ``call.ms_left()``); it returns the reply's JSON text (str or
    bytes) or raises, as any host function."""

    def __init__(self, fn: Callable[[HostCall], Union[str, bytes]]) -> None:
        if not callable(fn):
            raise TypeError(f"pyreactor.raw takes a callable, not {type(fn).__name__}")
        self.fn = fn


HostFunction = Union[Callable[..., Any], raw]


class Output:
    """What the guest wrote during a `Reactor.capture` block."""

    def __init__(self) -> None:
        self.stdout = b""
        self.stderr = b""
        self.stdout_truncated = False
        self.stderr_truncated = False

    def __repr__(self) -> str:
        return f"<pyreactor.Output stdout={self.stdout!r} stderr={self.stderr!r}>"


# ------------------------------------------------------------ the checks --


def _whole(name: str, v: Any, low: int, high: int) -> Optional[int]:
    if v is None:
        return None
    if not isinstance(v, int) or isinstance(v, bool):
        raise TypeError(f"{name} must be an int from {low} to {high} or None, not {type(v).__name__}")
    if not low <= v <= high:
        raise ValueError(f"{name} must be from {low} to {high}, got {v}")
    return v


def _utf8(what: str, s: Any, *, allow_empty: bool = True) -> bytes:
    """A str as C wants it: UTF-8, NUL-terminated (so no NUL inside)."""
    if not isinstance(s, str):
        raise TypeError(f"{what} must be a str, not {type(s).__name__}")
    if not allow_empty and s == "":
        raise ValueError(f"{what} must not be empty")
    if "\0" in s:
        raise ValueError(f"{what} must not hold a NUL character: {s!r}")
    try:
        return s.encode("utf-8")
    except UnicodeEncodeError:
        raise ValueError(f"{what} is not valid Unicode (a lone surrogate): {s!r}") from None


def _path(what: str, p: Any) -> bytes:
    if not isinstance(p, (str, os.PathLike)):
        raise TypeError(f"{what} must be a path (str or os.PathLike), not {type(p).__name__}")
    b = os.fsencode(p)
    if b"\0" in b or b == b"":
        raise ValueError(f"{what} must be a non-empty path without NUL: {p!r}")
    return b


def _text(what: str, t: Any) -> bytes:
    """Code, args or a name for the raw call: str (UTF-8; a lone surrogate
    goes as it is and the guest answers with an err) or bytes as they are."""
    if isinstance(t, str):
        return t.encode("utf-8", "surrogatepass")
    if isinstance(t, (bytes, bytearray, memoryview)):
        return bytes(t)
    raise TypeError(f"{what} must be str or bytes, not {type(t).__name__}")


def _grant(d: Any) -> _native.Dir:
    if isinstance(d, (str, os.PathLike)):
        d = Dir(d)
    if not isinstance(d, Dir):
        raise TypeError(f"a dirs entry must be a pyreactor.Dir or a path, not {type(d).__name__}")
    host = _path("Dir.host", d.host)
    if not os.path.isdir(host):
        code = errno.ENOTDIR if os.path.exists(host) else errno.ENOENT
        raise (NotADirectoryError if code == errno.ENOTDIR else FileNotFoundError)(
            code, f"cannot grant {os.fsdecode(host)!r}: {os.strerror(code)}", os.fsdecode(host)
        )
    guest = None
    if d.guest is not None:
        guest = _utf8("Dir.guest", d.guest)
        if not guest.startswith(b"/"):
            raise ValueError(f"Dir.guest must be an absolute path, got {d.guest!r}")
    if not isinstance(d.read_only, bool):
        raise TypeError(f"Dir.read_only must be a bool, not {type(d.read_only).__name__}")
    return _native.Dir(host, guest, 1 if d.read_only else 0)


def _env_entry(name: Any, value: Any) -> bytes:
    n = _utf8("an env name", name, allow_empty=False)
    if b"=" in n:
        raise ValueError(f"an env name must not hold '=': {name!r}")
    return n + b"=" + _utf8(f"env[{name!r}]", value)


# --------------------------------------------------------- the instance --


class _Instance:
    """The handle and everything the C side points to (callbacks, options'
    strings), apart from the Reactor so that the callbacks do not keep the
    Reactor alive: its finalizer closes this."""

    def __init__(self, lib: _native.Library) -> None:
        self.lib = lib
        self.handle: Optional[ctypes.c_void_p] = None
        self.keep: List[Any] = []  # ctypes objects the library points to
        self.lock = threading.Lock()  # held by the thread inside a call
        self.owner: Optional[int] = None  # that thread's ident
        self.pending: Optional[BaseException] = None  # raised after the call
        self.capture: Optional[Output] = None

    def remember(self, e: BaseException) -> None:
        if self.pending is None:
            self.pending = e

    def close(self) -> None:
        handle, self.handle = self.handle, None
        if handle is not None:
            self.lib.cdll.pyreactor_close(handle)


def _sink(inst: _Instance, fn: Sink) -> Any:
    """The C sink for a stdout/stderr option; None: no sink (NULL)."""
    if isinstance(fn, _Discard):
        address = inst.lib.discard_sink
        return None if address is None else _native.SINK(address)
    write = fn

    def sink(user: Any, data: int, n: int) -> None:
        try:
            write(ctypes.string_at(data, n))
        except BaseException as e:  # the first one is raised after the call
            inst.remember(e)

    return _native.SINK(sink)


def _error_type(e: BaseException) -> str:
    t = getattr(e, "type", None)
    return t if isinstance(t, str) and t else type(e).__name__


def _c_text(s: str) -> bytes:
    # NUL-terminated for the library, which makes invalid UTF-8 U+FFFD.
    return s.replace("\0", "\ufffd").encode("utf-8", "surrogatepass")


def _host_function(inst: _Instance, name: str, fn: HostFunction) -> Any:
    lib = inst.lib.cdll

    def reply(ctx: int, args_json: str) -> bytes:
        if isinstance(fn, raw):
            call = HostCall(inst.lib, ctx, name, args_json)
            try:
                text = fn.fn(call)
            finally:
                call._ctx = None  # the context dies with the callback
            if isinstance(text, str):
                return text.encode("utf-8", "surrogatepass")
            if isinstance(text, (bytes, bytearray)):
                return bytes(text)
            raise TypeError(f"the raw host function {name} returned {type(text).__name__}, not JSON text")
        args = _json.loads(args_json)
        value = fn(*args) if isinstance(args, list) else fn(**args)
        try:
            text = _json.dumps(value)
        except (TypeError, ValueError) as e:
            raise type(e)(f"the value of host function {name} is not JSON: {e}") from None
        return text.encode("utf-8", "surrogatepass")

    def callback(ctx: int, name_p: int, args_p: int, args_len: int, user: Any) -> int:
        try:
            try:
                text = reply(ctx, ctypes.string_at(args_p, args_len).decode("utf-8"))
            except Exception as e:
                lib.pyreactor_reply_error(ctx, _c_text(_error_type(e)), _c_text(str(e)))
            else:
                lib.pyreactor_reply_ok(ctx, text, len(text))
        except BaseException as e:  # KeyboardInterrupt, SystemExit: after the call
            inst.remember(e)
            lib.pyreactor_reply_error(ctx, _c_text(_error_type(e)), _c_text(str(e)))
        return _native.OK

    return _native.HOST_FN(callback)


class Reactor:
    """One sandboxed CPython 3.11 interpreter (a libpyreactor instance).

    Every option is keyword-only and checked (a wrong type is a TypeError,
    a value out of range a ValueError):

    - ``timeout_ms``: per-call time limit, 1 to 86400000 (None: none);
      past it the call raises `TimeoutError` and the instance is rebuilt
      with its registrations replayed.
    - ``memory_mb``: cap on guest memory, 1 to 4096 (None: 4096), at least
      what the module needs (about 17); past it Python raises MemoryError.
    - ``stack_size_mb``: native stack for guest code, 1 to 16384 (None: 64).
    - ``dirs``: directory grants, each a `Dir` or a host path (read-write,
      seen at the same path).
    - ``env``: environment variables of the guest, a mapping str -> str.
    - ``host_functions``: name -> callable (or `raw`) that Python code in the
      guest calls as ``reactor.host.NAME(...)``.
    - ``stdout``, ``stderr``: a callable taking each chunk the guest writes
      (bytes), `DISCARD`, or None for the library's default (the host
      process's stderr, fd 2; a library older than that default drops it).
    - ``stdin``: what the guest reads on stdin (bytes or str; None: empty).
    - ``library``: the libpyreactor to use (a path or a `Library`), else the
      search order of `load_library`.
    - ``module``: a module made by ``pyreactor pack`` (packages frozen in,
      docs/packages.md) to run instead of the library's own; its code must
      be the library's (checked: OSError otherwise). None: the library's.
    """

    def __init__(
        self,
        *,
        timeout_ms: Optional[int] = None,
        memory_mb: Optional[int] = None,
        stack_size_mb: Optional[int] = None,
        dirs: Iterable[Union[Dir, PathLike]] = (),
        env: Optional[Mapping[str, str]] = None,
        host_functions: Optional[Mapping[str, HostFunction]] = None,
        stdout: Optional[Sink] = None,
        stderr: Optional[Sink] = None,
        stdin: Union[bytes, str, None] = None,
        library: Union[PathLike, _native.Library, None] = None,
        module: Optional[PathLike] = None,
    ) -> None:
        self._inst: Optional[_Instance] = None
        timeout_ms = _whole("timeout_ms", timeout_ms, 1, MAX_TIMEOUT_MS)
        memory_mb = _whole("memory_mb", memory_mb, 1, MAX_MEMORY_MB)
        stack_size_mb = _whole("stack_size_mb", stack_size_mb, 1, MAX_STACK_MB)
        if isinstance(dirs, (str, bytes, os.PathLike, Dir)):
            raise TypeError("dirs must be a list of grants (pyreactor.Dir or paths), not one")
        grants = [_grant(d) for d in dirs]
        if env is not None and not isinstance(env, Mapping):
            raise TypeError(f"env must be a mapping of str to str, not {type(env).__name__}")
        env_entries = [_env_entry(k, v) for k, v in (env or {}).items()]
        if host_functions is not None and not isinstance(host_functions, Mapping):
            raise TypeError(f"host_functions must be a mapping of names to callables, not {type(host_functions).__name__}")
        fns = dict(host_functions or {})
        for name, fn in fns.items():
            _utf8("a host function name", name, allow_empty=False)
            if not (callable(fn) or isinstance(fn, raw)):
                raise TypeError(f"host function {name!r} must be callable, not {type(fn).__name__}")
        for what, sink in (("stdout", stdout), ("stderr", stderr)):
            if sink is not None and not isinstance(sink, _Discard) and not callable(sink):
                raise TypeError(
                    f"{what} must be a callable taking bytes, pyreactor.DISCARD or None, not {type(sink).__name__}"
                )
        if stdin is not None and not isinstance(stdin, (bytes, bytearray, str)):
            raise TypeError(f"stdin must be bytes, str or None, not {type(stdin).__name__}")
        stdin_bytes = stdin.encode("utf-8") if isinstance(stdin, str) else None if stdin is None else bytes(stdin)
        lib = library if isinstance(library, _native.Library) else _native.load_library(library)

        inst = _Instance(lib)
        o = _native.Options()
        lib.cdll.pyreactor_options_init(ctypes.byref(o))
        if grants:
            dir_array = (_native.Dir * len(grants))(*grants)
            o.dirs, o.n_dirs = dir_array, len(grants)
            inst.keep.append(dir_array)
        if env_entries:
            env_array = (ctypes.c_char_p * len(env_entries))(*env_entries)
            o.env, o.n_env = env_array, len(env_entries)
            inst.keep.append(env_array)
        out_sink = None if stdout is None else _sink(inst, stdout)
        if out_sink is not None:
            o.stdout_sink = out_sink
            inst.keep.append(out_sink)
        err_sink = None if stderr is None else _sink(inst, stderr)
        if err_sink is not None:
            o.stderr_sink = err_sink
            inst.keep.append(err_sink)
        if stdin_bytes:
            o.stdin_data, o.stdin_len = stdin_bytes, len(stdin_bytes)
        o.stack_size = (stack_size_mb or 0) << 20
        o.memory_limit = (memory_mb or 0) << 20
        o.timeout_ms = timeout_ms or 0
        if module is not None:
            module_bytes = os.fsencode(module)
            if b"\0" in module_bytes:
                raise ValueError("module path holds a NUL byte")
            o.module_path = module_bytes
            inst.keep.append(module_bytes)
        if fns:
            entries = []
            for name, fn in fns.items():
                cb = _host_function(inst, name, fn)
                inst.keep.append(cb)
                entries.append(_native.HostFunction(name.encode("utf-8"), cb, None))
            fn_array = (_native.HostFunction * len(entries))(*entries)
            o.host_functions, o.n_host_functions = fn_array, len(entries)
            inst.keep.append(fn_array)

        handle = ctypes.c_void_p()
        code = lib.cdll.pyreactor_open(ctypes.byref(o), ctypes.byref(handle))
        inst.handle = handle if handle.value else None
        if code != _native.OK:
            err = self._error_of(inst, code) if inst.handle is not None else None
            inst.close()
            message = err.message if err is not None else lib.errstr(code)
            if code == _native.MISUSE:
                raise ValueError(message)
            if code == _native.NOMEM:
                raise MemoryError(message)
            if code == _native.CANTOPEN:
                raise OSError(f"cannot open the instance: {message}")
            raise err if err is not None else PythonError("HostError", message, None, code)
        self._inst = inst
        self._timeout_ms = timeout_ms
        self._finalizer = weakref.finalize(self, inst.close)

    # ----------------------------------------------------------- lifetime --

    def close(self) -> None:
        """Frees the instance (idempotent). Later calls raise MisuseError."""
        inst = self._inst
        if inst is None or inst.handle is None:
            return
        with _Entered(inst):
            code = inst.lib.cdll.pyreactor_close(inst.handle)
            if code != _native.OK:  # from inside one of its own host functions or sinks
                raise _errors.misuse("close() from inside one of the instance's own host functions or sinks")
            inst.handle = None
        self._finalizer.detach()

    def __enter__(self) -> "Reactor":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()

    @property
    def closed(self) -> bool:
        return self._inst is None or self._inst.handle is None

    def reset(self) -> None:
        """Gives the instance a pristine guest: everything registered and
        every cell's state is gone; options, grants and counters are kept."""
        inst = self._live()
        with _Entered(inst):
            code = inst.lib.cdll.pyreactor_reset(inst.handle)
            if code == _native.MISUSE:  # no result text is set for this one
                raise _errors.misuse("reset() from inside one of the instance's own host functions or sinks")
            if code != _native.OK:
                raise self._error_of(inst, code)

    @property
    def library(self) -> _native.Library:
        return self._live().lib

    @property
    def rebuilds(self) -> int:
        """How many times the instance was rebuilt after a trap or a timeout."""
        inst = self._live()
        return int(inst.lib.cdll.pyreactor_rebuilds(inst.handle))

    @property
    def replay_failures(self) -> int:
        """Replayed registrations that failed during rebuilds (normally 0)."""
        inst = self._live()
        return int(inst.lib.cdll.pyreactor_replay_failures(inst.handle))

    @property
    def timeout_ms(self) -> Optional[int]:
        return self._timeout_ms

    @timeout_ms.setter
    def timeout_ms(self, value: Optional[int]) -> None:
        value = _whole("timeout_ms", value, 1, MAX_TIMEOUT_MS)
        inst = self._live()
        with _Entered(inst):
            code = inst.lib.cdll.pyreactor_set_timeout(inst.handle, value or 0)
            if code != _native.OK:
                raise _errors.misuse("timeout_ms set from inside one of the instance's own host functions or sinks")
        self._timeout_ms = value

    # -------------------------------------------------------------- calls --

    def init(self) -> None:
        """Starts Python in the instance (any call does it first anyway)."""
        self.call("init")

    def register_lambda(self, name: str, code: str) -> str:
        return _name_of(self.call("register_lambda", _name(name), _code(code)))

    def register_def(self, name: str, code: str) -> str:
        return _name_of(self.call("register_def", _name(name), _code(code)))

    def register_module(self, name: str, code: str) -> str:
        return _name_of(self.call("register_module", _name(name), _code(code)))

    def unregister_lambda(self, name: str) -> str:
        return _name_of(self.call("unregister_lambda", _name(name)))

    def unregister_def(self, name: str) -> str:
        return _name_of(self.call("unregister_def", _name(name)))

    def register_package(self, name: str, files: Mapping[str, str]) -> str:
        """A package of several files, {"__init__.py": source, "sub.py":
        source, "data.txt": text} (docs/packages.md); unregister_module
        removes it."""
        if not isinstance(files, Mapping) or not all(isinstance(k, str) and isinstance(v, str) for k, v in files.items()):
            raise TypeError("files must be a mapping of str paths to str texts")
        return _name_of(self.call("register_package", _name(name), json.dumps(dict(files), ensure_ascii=False)))

    def unregister_module(self, name: str) -> str:
        return _name_of(self.call("unregister_module", _name(name)))

    def apply_lambda(self, name: str, /, *args: Any, **kwargs: Any) -> Any:
        """Calls lambda `name` with these arguments (positional or keyword,
        not both: JSON args are an array or an object); returns its value."""
        return _json.loads(self.call("apply_lambda", _name(name), _args(args, kwargs)))

    def apply_def(self, name: str, /, *args: Any, **kwargs: Any) -> Any:
        """Calls def `name` (or ``module.attr``) with these arguments
        (positional or keyword, not both); returns its value."""
        return _json.loads(self.call("apply_def", _name(name), _args(args, kwargs)))

    def apply_lambda_raw(self, name: str, args_json: Union[str, bytes] = "[]") -> str:
        """Calls lambda `name` with this JSON args text; returns the value's JSON text."""
        return self.call("apply_lambda", _name(name), args_json)

    def apply_def_raw(self, name: str, args_json: Union[str, bytes] = "[]") -> str:
        """Calls def `name` with this JSON args text; returns the value's JSON text."""
        return self.call("apply_def", _name(name), args_json)

    def run(self, code: str) -> Any:
        """Runs a code cell in the instance's ``__main__``: the value of its
        last statement if that is an expression, else None."""
        return _json.loads(self.call("run", None, _code(code)))

    def run_raw(self, code: str) -> str:
        return self.call("run", None, _code(code))

    def call(self, op: str, name: Union[str, bytes, None] = None, text: Union[str, bytes, None] = None) -> str:
        """The raw form, any op by its protocol name (``"apply_def"``, ...):
        `text` is the code (register_*, run) or the JSON args text (apply_*;
        None: ``[]``), str or bytes passed as they are. Returns the result's
        JSON text; raises PythonError (or a subclass) for an err."""
        if op not in _native.OPS:
            raise ValueError(f"unknown op {op!r}: one of {', '.join(_native.OPS)}")
        code, result = self._call(_native.OPS[op], name, text)
        if code == _native.OK:
            return result
        raise self._error(code, result)

    def capture(self) -> "_Capture":
        """``with r.capture() as out:`` collects what the guest writes during
        the block's calls into ``out.stdout`` and ``out.stderr`` (bytes),
        instead of the sinks; ``out.stdout_truncated`` tells that the
        library kept only the start of a call's output. Needs a
        libpyreactor with pyreactor_set_capture."""
        return _Capture(self)

    # ---------------------------------------------------------- internals --

    def _live(self) -> _Instance:
        inst = self._inst
        if inst is None or inst.handle is None:
            raise _errors.misuse("the instance is closed")
        return inst

    def _call(self, op: int, name: Union[str, bytes, None], text: Union[str, bytes, None]) -> Tuple[int, str]:
        nb = None if name is None else _text("name", name)
        tb = None if text is None else _text("text", text)
        inst = self._live()
        with _Entered(inst) as entered:
            cdll = inst.lib.cdll
            code = cdll.pyreactor_call(
                inst.handle, op, nb, 0 if nb is None else len(nb), tb, 0 if tb is None else len(tb)
            )
            n = ctypes.c_size_t()
            ptr = cdll.pyreactor_result(inst.handle, ctypes.byref(n))
            result = ctypes.string_at(ptr, n.value) if ptr else b""
            if inst.capture is not None and not entered.nested:
                _collect(inst)
        return code, result.decode("utf-8", "replace")

    def _error(self, code: int, text: str) -> PythonError:
        return _errors.from_result(code, text, self._live().lib.errstr(code))

    @staticmethod
    def _error_of(inst: _Instance, code: int) -> PythonError:
        n = ctypes.c_size_t()
        ptr = inst.lib.cdll.pyreactor_result(inst.handle, ctypes.byref(n))
        text = ctypes.string_at(ptr, n.value).decode("utf-8", "replace") if ptr else ""
        return _errors.from_result(code, text, inst.lib.errstr(code))

    def __repr__(self) -> str:
        return f"<pyreactor.Reactor {'closed' if self.closed else 'open'}>"


class _Entered:
    """One thread at a time in an instance, as the C API requires: a call
    from another thread while one runs raises MisuseError at once (it would
    otherwise race the running call for the instance's result text); a call
    from the same thread, from inside a host function or sink of the running
    call, goes to the library, which refuses it (Busy, Misuse). What a host
    function or sink raised as BaseException is raised when the call ends."""

    __slots__ = ("inst", "nested")
    # nested: entered from a host function or sink of the running call

    def __init__(self, inst: _Instance) -> None:
        self.inst = inst
        self.nested = False

    def __enter__(self) -> "_Entered":
        inst = self.inst
        me = threading.get_ident()
        if inst.owner == me:
            self.nested = True
            return self
        if not inst.lock.acquire(blocking=False):
            raise _errors.busy(
                "the instance is in use by another thread (one thread at a time; use one instance per thread)"
            )
        inst.owner = me
        if inst.handle is None:
            self._leave()
            raise _errors.misuse("the instance is closed")
        return self

    def _leave(self) -> None:
        self.inst.owner = None
        self.inst.lock.release()

    def __exit__(self, exc_type: Any, exc: Any, tb: Any) -> None:
        if self.nested:
            return
        self._leave()
        pending, self.inst.pending = self.inst.pending, None
        if pending is not None:
            raise pending


def _collect(inst: _Instance) -> None:
    out = inst.capture
    cdll = inst.lib.cdll
    assert out is not None
    for stream in (1, 2):
        n = ctypes.c_size_t()
        ptr = cdll.pyreactor_output(inst.handle, stream, ctypes.byref(n))
        data = ctypes.string_at(ptr, n.value) if ptr and n.value else b""
        truncated = bool(cdll.pyreactor_output_truncated(inst.handle, stream))
        if stream == 1:
            out.stdout += data
            out.stdout_truncated |= truncated
        else:
            out.stderr += data
            out.stderr_truncated |= truncated


class _Capture:
    def __init__(self, reactor: Reactor) -> None:
        self.reactor = reactor

    def __enter__(self) -> Output:
        inst = self.reactor._live()
        if not inst.lib.has_capture:
            raise NotImplementedError(
                f"capture() needs pyreactor_set_capture, which {inst.lib.path} does not have (an older libpyreactor)"
            )
        with _Entered(inst):
            if inst.capture is not None:
                raise _errors.misuse("capture() blocks do not nest")
            if inst.lib.cdll.pyreactor_set_capture(inst.handle, 1) != _native.OK:
                raise Reactor._error_of(inst, _native.MISUSE)
            inst.capture = Output()
        return inst.capture

    def __exit__(self, *exc: Any) -> None:
        inst = self.reactor._inst
        if inst is None or inst.handle is None:
            return
        with _Entered(inst):
            inst.capture = None
            inst.lib.cdll.pyreactor_set_capture(inst.handle, 0)


def _name(name: Any) -> str:
    if not isinstance(name, str):
        raise TypeError(f"name must be a str, not {type(name).__name__}")
    return name


def _name_of(text: str) -> str:
    """The ok value of a registration: the name, a JSON string."""
    name = _json.loads(text)
    if not isinstance(name, str):
        raise _errors.PythonError("InvalidResult", f"a registration answered {text[:200]}, not its name")
    return name


def _code(code: Any) -> str:
    if not isinstance(code, str):
        raise TypeError(f"code must be a str, not {type(code).__name__}")
    return code


def _args(args: Tuple[Any, ...], kwargs: Dict[str, Any]) -> str:
    if args and kwargs:
        raise TypeError("pass positional or keyword arguments, not both (JSON args are an array or an object)")
    return _json.dumps(kwargs if kwargs else list(args))
