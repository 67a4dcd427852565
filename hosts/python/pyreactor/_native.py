"""Finding libpyreactor and declaring its C API (include/pyreactor.h) for ctypes.

Nothing here is compiled: the library is loaded at run time. Where it is
looked for, in order:

1. an explicit path (``Reactor(library=...)``, ``load_library(path)``) or the
   environment variable ``PYREACTOR_LIB``;
2. ``pkg-config --variable=libdir pyreactor`` (an installed library);
3. ``ctypes.util.find_library("pyreactor")`` (the system's search path);
4. ``build/`` of the source tree, when this package is run from it
   (``hosts/python/pyreactor`` inside the repository).
"""

from __future__ import annotations

import ctypes
import ctypes.util
import os
import shutil
import subprocess
import threading
from pathlib import Path
from typing import Any, Dict, List, Optional, Tuple, Union

# Result codes (pyreactor.h).
OK = 0
ERR = 1
TRAP = 2
NOMEM = 3
MISUSE = 4
CANTOPEN = 5
ABI = 6
TIMEOUT = 7

# Ops of pyreactor_call, by protocol name (pyreactor_op, in order).
OPS: Dict[str, int] = {
    name: i
    for i, name in enumerate(
        (
            "init",
            "register_lambda",
            "unregister_lambda",
            "apply_lambda",
            "register_def",
            "unregister_def",
            "apply_def",
            "register_module",
            "unregister_module",
            "run",
            "register_package",  # an extension of ABI 2 (docs/packages.md)
        )
    )
}

SONAMES = ("libpyreactor.so.0", "libpyreactor.so")


class LibraryNotFound(OSError):
    """libpyreactor could not be found or loaded; the message lists where it was looked for."""


# ------------------------------------------------------------- the C types --

c_void_p = ctypes.c_void_p
c_char_p = ctypes.c_char_p
c_size_t = ctypes.c_size_t
c_int = ctypes.c_int

# typedef void (*pyreactor_sink)(void *user, const char *data, size_t len);
SINK = ctypes.CFUNCTYPE(None, c_void_p, c_void_p, c_size_t)
# typedef int (*pyreactor_host_fn)(pyreactor_call_ctx *call, const char *name,
#                                  const char *args_json, size_t args_len, void *user);
HOST_FN = ctypes.CFUNCTYPE(c_int, c_void_p, c_void_p, c_void_p, c_size_t, c_void_p)


class Dir(ctypes.Structure):
    _fields_ = [("host_path", c_char_p), ("guest_path", c_char_p), ("read_only", c_int)]


class HostFunction(ctypes.Structure):
    _fields_ = [("name", c_char_p), ("fn", HOST_FN), ("user", c_void_p)]


class Options(ctypes.Structure):
    _fields_ = [
        ("dirs", ctypes.POINTER(Dir)),
        ("n_dirs", c_size_t),
        ("env", ctypes.POINTER(c_char_p)),
        ("n_env", c_size_t),
        ("stdout_sink", SINK),
        ("stderr_sink", SINK),
        ("sink_user", c_void_p),
        ("stdin_data", c_char_p),
        ("stdin_len", c_size_t),
        ("stack_size", c_size_t),
        ("memory_limit", c_size_t),
        ("timeout_ms", ctypes.c_uint),
        ("host_functions", ctypes.POINTER(HostFunction)),
        ("n_host_functions", c_size_t),
        ("capture_output", c_int),  # read only by a library with capture
        ("capture_limit", c_size_t),
        ("module_path", c_char_p),  # read only by a library that loads packs
        # Room for what a newer library adds at the end: its
        # pyreactor_options_init writes its whole struct into this one.
        ("_reserved", ctypes.c_byte * 1024),
    ]


# name: (restype, argtypes)
_PROTOTYPES: Dict[str, Tuple[Any, List[Any]]] = {
    "pyreactor_errstr": (c_char_p, [c_int]),
    "pyreactor_options_init": (None, [ctypes.POINTER(Options)]),
    "pyreactor_open": (c_int, [ctypes.POINTER(Options), ctypes.POINTER(c_void_p)]),
    "pyreactor_set_timeout": (c_int, [c_void_p, ctypes.c_uint]),
    "pyreactor_reset": (c_int, [c_void_p]),
    "pyreactor_close": (c_int, [c_void_p]),
    "pyreactor_call": (c_int, [c_void_p, c_int, c_char_p, c_size_t, c_char_p, c_size_t]),
    "pyreactor_reply_ok": (c_int, [c_void_p, c_char_p, c_size_t]),
    "pyreactor_reply_error": (c_int, [c_void_p, c_char_p, c_char_p]),
    "pyreactor_call_ms_left": (ctypes.c_long, [c_void_p]),
    # c_void_p, not c_char_p: the text may hold NUL bytes; read with string_at.
    "pyreactor_result": (c_void_p, [c_void_p, ctypes.POINTER(c_size_t)]),
    "pyreactor_last_code": (c_int, [c_void_p]),
    "pyreactor_errmsg": (c_char_p, [c_void_p]),
    "pyreactor_rebuilds": (ctypes.c_ulong, [c_void_p]),
    "pyreactor_replay_failures": (ctypes.c_ulong, [c_void_p]),
    "pyreactor_abi_version": (c_int, []),
}

# Bound only when the loaded library has them (newer than the first ones).
_CAPTURE: Dict[str, Tuple[Any, List[Any]]] = {
    "pyreactor_set_capture": (c_int, [c_void_p, c_int]),
    "pyreactor_output": (c_void_p, [c_void_p, c_int, ctypes.POINTER(c_size_t)]),
    "pyreactor_output_truncated": (c_int, [c_void_p, c_int]),
}
_OPTIONAL: Dict[str, Tuple[Any, List[Any]]] = {
    **_CAPTURE,
    "pyreactor_libversion": (c_char_p, []),
}


class Library:
    """A loaded libpyreactor with its functions declared."""

    def __init__(self, path: str) -> None:
        self.path = path
        try:
            self.cdll = ctypes.CDLL(path)
        except OSError as e:
            raise LibraryNotFound(f"cannot load libpyreactor from {path}: {e}") from None
        for name, (restype, argtypes) in _PROTOTYPES.items():
            if not hasattr(self.cdll, name):
                raise LibraryNotFound(f"{path} is not libpyreactor: it has no {name}")
            fn = getattr(self.cdll, name)
            fn.restype, fn.argtypes = restype, argtypes
        for name, (restype, argtypes) in _OPTIONAL.items():
            if hasattr(self.cdll, name):
                fn = getattr(self.cdll, name)
                fn.restype, fn.argtypes = restype, argtypes
        #: pyreactor_set_capture, pyreactor_output and _output_truncated are there
        self.has_capture = all(hasattr(self.cdll, name) for name in _CAPTURE)
        #: pyreactor_sink_discard, the address of the library's own discarding
        #: sink (None: an older library, whose NULL sink discards)
        self.discard_sink: Optional[int] = (
            ctypes.cast(self.cdll.pyreactor_sink_discard, c_void_p).value
            if hasattr(self.cdll, "pyreactor_sink_discard")
            else None
        )
        self.abi_version: int = self.cdll.pyreactor_abi_version()
        version: Optional[bytes] = (
            self.cdll.pyreactor_libversion() if hasattr(self.cdll, "pyreactor_libversion") else None
        )
        #: the library's version (PYREACTOR_VERSION), None for one too old to say
        self.version = version.decode("ascii", "replace") if version is not None else None

    def errstr(self, code: int) -> str:
        text: bytes = self.cdll.pyreactor_errstr(code)
        return text.decode("utf-8", "replace")

    def __repr__(self) -> str:
        return f"<pyreactor.Library {self.path!r}>"


# ------------------------------------------------------------ the search --


def _source_tree_build() -> Optional[Path]:
    """build/ of the repository, if this file is hosts/python/pyreactor/ in it."""
    root = Path(__file__).resolve().parents[3]
    if (root / "include" / "pyreactor.h").is_file() and (root / "hosts" / "python").is_dir():
        return root / "build"
    return None


def _pkg_config_libdir() -> Optional[str]:
    exe = shutil.which("pkg-config")
    if exe is None:
        return None
    try:
        done = subprocess.run(
            [exe, "--variable=libdir", "pyreactor"],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            timeout=10,
            check=False,
        )
    except (OSError, subprocess.SubprocessError):
        return None
    libdir = done.stdout.decode("utf-8", "replace").strip()
    return libdir if done.returncode == 0 and libdir else None


def candidates(explicit: Union[str, "os.PathLike[str]", None] = None) -> List[str]:
    """Where the library is looked for, in order (each a path or a name for dlopen)."""
    if explicit is not None:
        return [os.fspath(explicit)]
    env = os.environ.get("PYREACTOR_LIB")
    if env:
        return [env]
    found: List[str] = []
    libdir = _pkg_config_libdir()
    if libdir is not None:
        found += [os.path.join(libdir, so) for so in SONAMES if os.path.exists(os.path.join(libdir, so))]
    name = ctypes.util.find_library("pyreactor")
    if name is not None:
        found.append(name)
    build = _source_tree_build()
    if build is not None:
        found += [str(build / so) for so in SONAMES if (build / so).exists()]
    return found


_loaded: Dict[str, Library] = {}
_loaded_lock = threading.Lock()


def load_library(path: Union[str, "os.PathLike[str]", None] = None) -> Library:
    """Loads libpyreactor (once per path) from `path`, or from the first place
    of the search order that has it. Raises LibraryNotFound."""
    if path is not None and not isinstance(path, (str, os.PathLike)):
        raise TypeError(f"library must be a path (str or os.PathLike), not {type(path).__name__}")
    tried = candidates(path)
    if not tried:
        raise LibraryNotFound(
            "libpyreactor not found: set PYREACTOR_LIB to its path, install it where "
            "pkg-config (pyreactor.pc) or the dynamic linker finds it, or build it "
            "in the source tree (make native: build/libpyreactor.so)"
        )
    errors = []
    with _loaded_lock:
        for where in tried:
            if where in _loaded:
                return _loaded[where]
            try:
                lib = Library(where)
            except LibraryNotFound as e:
                errors.append(str(e))
                continue
            _loaded[where] = lib
            return lib
    raise LibraryNotFound("; ".join(errors))
