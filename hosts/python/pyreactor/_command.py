"""Host functions that run a command (``--host-function NAME=COMMAND``), as
the native host runs them (docs/native-api.md, "Host functions that run a
command"): COMMAND split into words with the POSIX shell's quoting and run
without a shell, once per call, the args JSON on its standard input, its
standard output (one JSON value) the reply; an exit status other than 0 or
output that is not JSON is a HostError with the start of its standard error.
Only PATH of the environment is passed; the command runs in a process group
of its own, killed whole when the call's time limit passes."""

from __future__ import annotations

import os
import selectors
import signal
import subprocess
import sys
from typing import Any, Dict, List, Optional, Tuple

from . import _json
from ._reactor import HostCall

MAX_OUTPUT = 64 << 20  # past this much standard output the command is killed
MAX_STDERR = 4096  # the start of its standard error that makes a message


# A process group of its own, killed whole at a timeout (grandchildren too);
# before 3.11, a session of its own, which is one.
_own_group: Dict[str, Any] = {"process_group": 0} if sys.version_info >= (3, 11) else {"start_new_session": True}


class CommandError(ValueError):
    """A command that needs a shell (or no words): the reason is the message."""


class HostFunctionError(Exception):
    """An error reply with its own type (HostError, Timeout)."""

    def __init__(self, type: str, message: str) -> None:
        super().__init__(message)
        self.type = type


_NEEDS_SHELL = "|&;<>()$`"
_NAME_FIRST = set("_ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz")
_NAME_REST = _NAME_FIRST | set("0123456789")


def split(text: str) -> List[str]:
    """The words of COMMAND with the POSIX shell's quoting: blanks separate
    words, a backslash keeps the next character (backslash-newline goes),
    '...' keeps everything, "..." everything but \\$ \\` \\" \\\\ and
    backslash-newline. What a shell would do beyond quoting is refused
    (CommandError): an unquoted | & ; < > ( ) $ or `, # or ~ starting a
    word, $ or ` between double quotes, a NAME=VALUE first word, an
    unterminated quote, a trailing backslash, no words."""
    words: List[str] = []
    word: Optional[List[str]] = None
    assignable = False  # first word, unquoted name characters so far
    i, n = 0, len(text)

    def put(ch: str, quoted: bool) -> None:
        nonlocal word, assignable
        if word is None:
            word = []
            assignable = not words
        first = not word
        if quoted or ch not in (_NAME_FIRST if first else _NAME_REST):
            assignable = False
        word.append(ch)

    def begin() -> None:
        nonlocal word, assignable
        if word is None:
            word = []
            assignable = not words
        assignable = False

    while i < n:
        ch = text[i]
        if ch == "'":
            close = text.find("'", i + 1)
            if close < 0:
                raise CommandError("an unterminated single quote")
            begin()
            for q in text[i + 1 : close]:
                put(q, True)
            i = close + 1
        elif ch == '"':
            begin()
            i += 1
            while True:
                if i >= n:
                    raise CommandError("an unterminated double quote")
                q = text[i]
                if q == '"':
                    break
                if q in "$`":
                    raise CommandError("$ or ` between double quotes (a shell would expand it)")
                if q == "\\" and i + 1 < n and text[i + 1] in '$`"\\\n':
                    i += 1
                    if text[i] == "\n":
                        i += 1
                        continue
                put(text[i], True)
                i += 1
            i += 1
        elif ch == "\\":
            if i + 1 >= n:
                raise CommandError("a backslash at the end")
            if text[i + 1] != "\n":
                put(text[i + 1], True)
            i += 2
        else:
            if ch in " \t\n":
                if word is not None:
                    words.append("".join(word))
                word = None
            elif ch in _NEEDS_SHELL:
                raise CommandError(
                    "an unquoted | & ; < > ( ) $ or ` (it needs a shell: quote it, or run sh -c '...')"
                )
            elif ch in "#~" and word is None:
                raise CommandError("an unquoted # or ~ at the start of a word (it needs a shell)")
            elif ch == "=" and word is not None and assignable:
                raise CommandError(
                    "a NAME=VALUE first word (a shell would take it for an assignment; run env NAME=VALUE COMMAND)"
                )
            else:
                put(ch, False)
            i += 1
    if word is not None:
        words.append("".join(word))
    if not words:
        raise CommandError("no words")
    return words


class Command:
    """A raw host function (see pyreactor.raw) running `argv` per call."""

    def __init__(self, argv: List[str]) -> None:
        self.argv = argv

    def __call__(self, call: HostCall) -> bytes:
        cmd = self.argv[0][:200]
        env = {"PATH": os.environ["PATH"]} if "PATH" in os.environ else {}
        try:
            child = subprocess.Popen(
                self.argv,
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                env=env,
                close_fds=True,
                restore_signals=True,
                **_own_group,
            )
        except OSError as e:
            raise HostFunctionError("HostError", f"cannot run {cmd}: {e.strerror or e}") from None
        try:
            outcome, out, err = _pump(child, call.args_json.encode("utf-8"), call)
        finally:
            for f in (child.stdin, child.stdout, child.stderr):
                if f is not None:
                    f.close()
        status = _reap(child, call, kill_now=outcome != "done")
        said = err[:MAX_STDERR].rstrip(b" \t\r\n").decode("utf-8", "replace")

        def failure(why: str) -> HostFunctionError:
            return HostFunctionError("HostError", said or why)

        if outcome == "timeout":
            raise HostFunctionError("Timeout", f"{cmd} was killed: the call ran out of time")
        if outcome == "too much":
            raise HostFunctionError("HostError", f"{cmd} wrote more than {MAX_OUTPUT >> 20} MiB, the limit of a reply")
        if status < 0:
            raise failure(f"{cmd} was killed by signal {-status}")
        if status != 0:
            raise failure(f"{cmd} exited with status {status}")
        try:
            _json.loads(out.decode("utf-8"))
        except ValueError:
            raise failure(f"the output of {cmd} is not JSON") from None
        return out


def _pump(child: "subprocess.Popen[bytes]", data: bytes, call: HostCall) -> Tuple[str, bytes, bytes]:
    """Writes the args while reading both outputs, until the command closes
    them ("done"), the call's time is up ("timeout"), or the output is too
    big ("too much"). Returns that and what it wrote to stdout and stderr."""
    assert child.stdin is not None and child.stdout is not None and child.stderr is not None
    fd_in, fd_out, fd_err = child.stdin.fileno(), child.stdout.fileno(), child.stderr.fileno()
    out, err = bytearray(), bytearray()
    written = 0
    sel = selectors.DefaultSelector()
    for fd in (fd_in, fd_out, fd_err):
        os.set_blocking(fd, False)
    if data:
        sel.register(fd_in, selectors.EVENT_WRITE)
    else:
        child.stdin.close()
    sel.register(fd_out, selectors.EVENT_READ)
    sel.register(fd_err, selectors.EVENT_READ)
    open_outputs = 2
    try:
        while open_outputs:
            left = call.ms_left()
            if left == 0:
                return "timeout", bytes(out), bytes(err)
            for key, _ in sel.select(None if left is None else left / 1000):
                if key.fd == fd_in:
                    try:
                        written += os.write(fd_in, data[written : written + 65536])
                    except BlockingIOError:
                        continue
                    except OSError:  # it does not read it all: its answer decides
                        written = len(data)
                    if written >= len(data):
                        sel.unregister(fd_in)
                        child.stdin.close()
                    continue
                try:
                    chunk = os.read(key.fd, 65536)
                except BlockingIOError:
                    continue
                if not chunk:
                    sel.unregister(key.fd)
                    open_outputs -= 1
                elif key.fd == fd_out:
                    out += chunk
                    if len(out) > MAX_OUTPUT:
                        return "too much", bytes(out), bytes(err)
                elif len(err) < MAX_STDERR:
                    err += chunk[: MAX_STDERR - len(err)]
    finally:
        sel.close()
    return "done", bytes(out), bytes(err)


def _reap(child: "subprocess.Popen[bytes]", call: HostCall, kill_now: bool) -> int:
    """Waits for the command, killing its process group first when asked or
    when the call's time runs out meanwhile; its return code."""
    while True:
        if kill_now:
            try:
                os.killpg(child.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            return child.wait()
        left = call.ms_left()
        try:
            return child.wait(None if left is None else max(left, 1) / 1000)
        except subprocess.TimeoutExpired:
            kill_now = call.ms_left() == 0
