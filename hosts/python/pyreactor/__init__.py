"""pyreactor: sandboxed CPython 3.11 (python-reactor.wasm compiled to native
code, libpyreactor) from Python, through ctypes.

    import pyreactor

    with pyreactor.Reactor(timeout_ms=2000, memory_mb=256) as r:
        r.register_def("add", "def add(x, y=10):\\n    return x + y\\n")
        r.apply_def("add", 1, 2)      # 3
        r.apply_def("add", x=1)       # 11

See hosts/python/README.md for the whole API.
"""

from ._errors import ERROR_KINDS, BusyError, MemoryLimitError, MisuseError, PythonError, TimeoutError, TrapError
from ._native import (
    ABI,
    CANTOPEN,
    ERR,
    MISUSE,
    NOMEM,
    OK,
    TIMEOUT,
    TRAP,
    Library,
    LibraryNotFound,
    load_library,
)
from ._reactor import DISCARD, Dir, HostCall, Output, Reactor, raw

__version__ = "0.1.0"

__all__ = [
    "Reactor",
    "Dir",
    "DISCARD",
    "raw",
    "HostCall",
    "Output",
    "PythonError",
    "ERROR_KINDS",
    "TrapError",
    "MemoryLimitError",
    "TimeoutError",
    "MisuseError",
    "BusyError",
    "Library",
    "LibraryNotFound",
    "load_library",
    "OK",
    "ERR",
    "TRAP",
    "NOMEM",
    "MISUSE",
    "CANTOPEN",
    "ABI",
    "TIMEOUT",
]
