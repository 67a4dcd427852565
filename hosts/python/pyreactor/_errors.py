"""The exceptions of a call that did not succeed."""

from __future__ import annotations

import builtins
import json
from typing import Any, Optional, Tuple, Type

from . import _native


#: The error kinds of ABI version 2, the guest's and the hosts': the same
#: list as include/pyreactor.h's PYREACTOR_TYPE_* and docs/guide.md's table.
#: Any other ``type`` is a Python exception's class name or the type a host
#: function replied with.
ERROR_KINDS: Tuple[str, ...] = (
    # the guest's
    "NotRegistered", "InvalidName", "InvalidArgs", "InvalidInput", "NotCallable",
    "EncodeError", "Busy", "InitError", "InternalError",
    # the hosts'
    "Trap", "Timeout", "MemoryLimit", "HostError", "NoSuchHostFunction",
    "InvalidRequest", "InvalidResult", "Misuse", "MemoryError",
)


class PythonError(Exception):
    """A call ended with an error: the err object of the contract.

    ``type`` is the Python exception's class name in the guest
    (``"ZeroDivisionError"``), one of the ABI's kinds (``"NotRegistered"``,
    ...), a host kind (``"Trap"``, ``"Timeout"``, ``"MemoryLimit"``,
    ``"Busy"``, ``"Misuse"``, ``"InvalidResult"``, ``"HostError"``, ...) or
    the type a host function replied with. ``message`` is ``str()`` of the
    exception, ``traceback`` the guest's formatted traceback (or None), and
    ``code`` the library's result code (``pyreactor.ERR``, ``pyreactor.TRAP``,
    ...). Subclasses pick out the host's own kinds by code.
    """

    def __init__(self, type: str, message: str, traceback: Optional[str] = None, code: int = _native.ERR) -> None:
        super().__init__(f"{type}: {message}" if message else type)
        self.type = type
        self.message = message
        self.traceback = traceback
        self.code = code

    def __reduce__(self) -> Tuple[Any, ...]:  # picklable across processes, like other exceptions
        return (type(self), (self.type, self.message, self.traceback, self.code))


class TrapError(PythonError):
    """The guest trapped (code TRAP); the instance was rebuilt and its registrations replayed."""


class MemoryLimitError(TrapError):
    """A trap with guest memory at its cap (type ``MemoryLimit``), below Python's own MemoryError."""


class TimeoutError(PythonError, builtins.TimeoutError):
    """The call ran past ``timeout_ms`` (code TIMEOUT, type ``Timeout``); the instance was rebuilt and replayed."""


class MisuseError(PythonError):
    """The API used wrongly (code MISUSE, type ``Misuse``): a closed instance,
    a call from one of the instance's own sinks, close/reset/timeout_ms from
    inside its own host functions or sinks."""


class BusyError(MisuseError):
    """The instance is busy (code MISUSE, type ``Busy``): called from one of
    its own host functions, or from another thread while a call runs."""


def error_class(code: int, type: str) -> Type[PythonError]:
    if code == _native.TRAP:
        return MemoryLimitError if type == "MemoryLimit" else TrapError
    if code == _native.TIMEOUT:
        return TimeoutError
    if code == _native.MISUSE:
        return BusyError if type == "Busy" else MisuseError
    return PythonError


def from_result(code: int, text: str, fallback: str) -> PythonError:
    """The exception for a call's code and its error object's text;
    `fallback` (the library's description of the code) when the text is not
    an error object."""
    try:
        obj = json.loads(text)
    except ValueError:
        obj = None
    if isinstance(obj, dict) and isinstance(obj.get("type"), str):
        message = obj.get("message")
        tb = obj.get("traceback")
        type_ = obj["type"]
        return error_class(code, type_)(
            type_,
            message if isinstance(message, str) else "" if message is None else str(message),
            tb if isinstance(tb, str) else None,
            code,
        )
    return error_class(code, "HostError")("HostError", fallback, None, code)


def misuse(message: str) -> MisuseError:
    """A Misuse raised by this package itself (the library is not called)."""
    return MisuseError("Misuse", message, None, _native.MISUSE)


def busy(message: str) -> BusyError:
    """A Busy raised by this package itself: the instance is in another
    thread's call (the library answers that with PYREACTOR_MISUSE and no
    error object, "type Busy")."""
    return BusyError("Busy", message, None, _native.MISUSE)
