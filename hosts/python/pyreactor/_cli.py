"""``python3 -m pyreactor``: the batch protocol of ABI.md and a ``call`` mode,
with the options of the native ``pyreactor`` command."""

from __future__ import annotations

import json
import os
import re
import sys
from typing import Any, Dict, List, NoReturn, Optional, Tuple

from . import _errors, _native
from ._command import Command, CommandError, split
from ._reactor import MAX_MEMORY_MB, MAX_STACK_MB, MAX_TIMEOUT_MS, Dir, Reactor, raw

EXIT_PYERR = 1  # call: the function raised
EXIT_USAGE = 2
EXIT_HOST = 3  # the instance could not be opened, a trap (call), stdout gone (batch)

USAGE = """\
usage: python3 -m pyreactor [OPTIONS] batch
       python3 -m pyreactor [OPTIONS] call FILE.py FUNC [ARGS_JSON]
       python3 -m pyreactor --help | --version

Runs sandboxed Python 3.11 (libpyreactor, through the pyreactor package).

  batch   read JSON Lines requests on stdin ({"op","name","code","args"}),
          write one result line per request on stdout; guest output goes
          to stderr
  call    register FILE.py as module <stem>, call <stem>.FUNC with
          ARGS_JSON (a JSON array or object, default []), print the JSON
          result; guest output goes to stderr, so that stdout is only the
          result

options (the guest sees nothing of the host unless granted here):
  --dir HOST[:GUEST][:ro|:rw]
                           grant directory HOST, seen as GUEST (an absolute
                           path; default HOST); :ro makes it read-only, :rw
                           (the default) writable. Repeatable.
  --env NAME=VALUE         set a guest environment variable. Repeatable.
  --timeout-ms N           time limit per request; past it: error Timeout
                           and a rebuilt instance (default: none)
  --memory-mb N            cap on guest memory: MemoryError in Python
                           (default and maximum: 4096, the wasm32 limit; the
                           module itself needs about 17 to start)
  --stack-size-mb N        native stack for guest code (1 to 16384, default 64)
  --host-function NAME=COMMAND
                           expose host function NAME to Python
                           (reactor.call_host): each call runs COMMAND, split
                           into words as a POSIX shell would but run without
                           one, with the args JSON on its stdin; its stdout
                           (JSON, at most 64 MiB) is the reply; an exit status
                           other than 0 or output that is not JSON is a
                           HostError with the start of its stderr. Killed when
                           --timeout-ms passes. Repeatable.
  --module OUT.wasm        run a module made by `pyreactor pack` (packages
                           frozen in) instead of the library's own; its code
                           must be the library's (checked)
  --library PATH           the libpyreactor to load (default: $PYREACTOR_LIB,
                           pkg-config, the linker's path, the source tree)
  --help                   show this help
  --version                show the versions

exit status: 0 ok, 1 the Python call failed (call), 2 bad usage,
3 the instance could not be opened, the call trapped (call) or the
results could not be written (batch).
"""


class Usage(Exception):
    pass


def _bad(message: str) -> int:
    sys.stderr.write(f"pyreactor: {message}\nTry 'python3 -m pyreactor --help'.\n")
    return EXIT_USAGE


def _whole(flag: str, v: str, high: int) -> int:
    if not (v.isascii() and v.isdigit()) or not 1 <= int(v) <= high:
        raise Usage(f'{flag} takes a whole number from 1 to {high}, got "{v}"')
    return int(v)


def parse_args(argv: List[str]) -> Tuple[Dict[str, Any], List[str]]:
    """Options may come before or after the command; "--" ends them."""
    opts: Dict[str, Any] = {"dirs": [], "env": {}, "host_functions": {}}
    pos: List[str] = []
    options = True
    i = 0
    while i < len(argv):
        a = argv[i]
        i += 1
        if not options or not a.startswith("--"):
            if len(pos) == 4:
                raise Usage(f"too many arguments: {a}")
            pos.append(a)
            continue
        if a == "--":
            options = False
            continue
        if a == "--help":
            sys.stdout.write(USAGE)
            raise SystemExit(0)
        if a == "--version":  # after the other options: --library counts
            opts["version"] = True
            continue
        if i >= len(argv):
            raise Usage(f"{a} needs a value")
        v = argv[i]
        i += 1
        if a == "--dir":
            try:
                opts["dirs"].append(Dir.parse(v))
            except ValueError as e:
                raise Usage(str(e)) from None
        elif a == "--env":
            if v.startswith("=") or "=" not in v:
                raise Usage(f'--env takes NAME=VALUE, got "{v}"')
            name, value = v.split("=", 1)
            opts["env"][name] = value
        elif a == "--stack-size-mb":
            opts["stack_size_mb"] = _whole(a, v, MAX_STACK_MB)
        elif a == "--memory-mb":
            opts["memory_mb"] = _whole(a, v, MAX_MEMORY_MB)
        elif a == "--timeout-ms":
            opts["timeout_ms"] = _whole(a, v, MAX_TIMEOUT_MS)
        elif a == "--host-function":
            name, eq, command = v.partition("=")
            if not eq or not name:
                raise Usage(f'--host-function takes NAME=COMMAND, got "{v}"')
            if name in opts["host_functions"]:
                raise Usage(f"--host-function {name} is given twice")
            try:
                opts["host_functions"][name] = raw(Command(split(command)))
            except CommandError as e:
                raise Usage(f"--host-function {v[:600]}: the command has {e}") from None
        elif a == "--library":
            opts["library"] = v
        elif a == "--module":
            opts["module"] = v
        else:
            raise Usage(f"unknown option {a}")
    if opts.pop("version", False):
        from . import __version__

        lib = _native.load_library(opts.get("library"))
        # The first line as every host's command prints it; then which library answered.
        sys.stdout.write(
            f"python-wasi-reactor {__version__} (ABI {lib.abi_version})\n"
            f"the Python host over libpyreactor {lib.version or '(version unknown)'} ({lib.path})\n"
        )
        raise SystemExit(0)
    return opts, pos


def _to_stderr(data: bytes) -> None:
    view = memoryview(data)
    while view:
        try:
            view = view[os.write(2, view) :]
        except InterruptedError:
            continue
        except OSError:
            return  # stderr gone: the guest's output is dropped, the calls go on


def _open(opts: Dict[str, Any]) -> Reactor:
    # What the guest prints goes to stderr in both modes: stdout carries only
    # results (batch lines, or call's one value), ready for a pipe.
    try:
        return Reactor(stdout=_to_stderr, stderr=_to_stderr, **opts)
    except ValueError as e:  # an option the library refused: below the module's memory
        raise Usage(str(e)) from None


# ------------------------------------------------------------------ batch --

_KIND = {  # what each op takes: name, code, args (pyreactor_call's text)
    "init": "",
    "register_lambda": "name code",
    "register_def": "name code",
    "register_module": "name code",
    "unregister_lambda": "name",
    "unregister_def": "name",
    "unregister_module": "name",
    "apply_lambda": "name args",
    "apply_def": "name args",
    "run": "code",
    "register_package": "name files",
}
_WS = " \t\n\r"
_decoder = json.JSONDecoder(parse_constant=lambda c: _no_constant(c))


def _no_constant(name: str) -> NoReturn:
    raise ValueError(f"{name} is not JSON")


def _members(text: str) -> Dict[str, str]:
    """The raw text of each member of a JSON object text known to be valid
    (the last of a repeated key, as every host takes it)."""
    out: Dict[str, str] = {}
    i = len(text) - len(text.lstrip(_WS)) + 1  # past "{"
    while True:
        while text[i] in _WS:
            i += 1
        if text[i] == "}":
            return out
        key, i = _decoder.raw_decode(text, i)
        while text[i] in _WS + ":":
            i += 1
        _, end = _decoder.raw_decode(text, i)
        out[key] = text[i:end]
        i = end
        while text[i] in _WS + ",":
            i += 1


_ESCAPES = {'"': '"', "\\": "\\", "/": "/", "b": "\b", "f": "\f", "n": "\n", "r": "\r", "t": "\t"}


def _string(raw_text: str) -> bytes:
    """A JSON string's raw text decoded to bytes as the native host decodes
    it: escapes of lone surrogates become U+FFFD; raw bytes of the line
    (kept as surrogate escapes) go through unchanged."""
    s = raw_text[1:-1]
    if "\\" not in s:
        return s.encode("utf-8", "surrogateescape")
    out: List[str] = []
    i = 0
    while True:
        j = s.find("\\", i)
        if j < 0:
            out.append(s[i:])
            break
        out.append(s[i:j])
        c = s[j + 1]
        if c != "u":
            out.append(_ESCAPES[c])
            i = j + 2
            continue
        cp = int(s[j + 2 : j + 6], 16)
        i = j + 6
        if 0xD800 <= cp <= 0xDBFF and s.startswith("\\u", i):
            lo = int(s[i + 2 : i + 6], 16)
            if 0xDC00 <= lo <= 0xDFFF:
                cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00)
                i += 6
        out.append("\ufffd" if 0xD800 <= cp <= 0xDFFF else chr(cp))
    return "".join(out).encode("utf-8", "surrogateescape")


_CONSTANT = re.compile(r'"(?:[^"\\]|\\.)*"|(-?Infinity|NaN)', re.S)


def _error_position(text: str, e: ValueError) -> int:
    """Where the text stops being JSON: the decoder's position, or for NaN
    and Infinity (which it would take, but which are not JSON) the first of
    them outside a string."""
    if isinstance(e, json.JSONDecodeError):
        return e.pos
    for m in _CONSTANT.finditer(text):
        if m.group(1):
            return m.start()
    return 0


class Invalid(Exception):
    pass


def parse_request(line: bytes) -> Tuple[int, Optional[bytes], Optional[bytes]]:
    """One request line: (op, name, text) for pyreactor_call, or Invalid
    with the message every host gives (hosts/native/lib/batch_request.c)."""
    text = line.decode("utf-8", "surrogateescape")
    try:
        obj = _decoder.decode(text)
    except ValueError as e:
        at = len(text[: _error_position(text, e)].encode("utf-8", "surrogateescape"))
        raise Invalid(f"not valid JSON: unexpected input at byte {at}") from None
    if not isinstance(obj, dict):
        raise Invalid("a request must be a JSON object")
    m = _members(text)
    if "op" not in m:
        raise Invalid("unknown op: missing")
    op = obj["op"]
    if not isinstance(op, str) or op not in _KIND:
        shown = m["op"].encode("utf-8", "surrogateescape")[:200].decode("utf-8", "replace")
        raise Invalid(f"unknown op: {shown}")
    kind = _KIND[op]
    name = text_ = None
    if "name" in kind:
        if not isinstance(obj.get("name"), str):
            raise Invalid(f'{op} needs "name", a string')
        name = _string(m["name"])
    if "code" in kind:
        if not isinstance(obj.get("code"), str):
            raise Invalid(f'{op} needs "code", a string')
        text_ = _string(m["code"])
    if "files" in kind:  # register_package: the object's text as it is
        if not isinstance(obj.get("files"), dict):
            raise Invalid(f'{op} needs "files", an object of path: text')
        text_ = m["files"].encode("utf-8", "surrogateescape")
    if "args" in kind:
        if "args_text" in m:
            if not isinstance(obj["args_text"], str):
                raise Invalid('"args_text" must be a string')
            text_ = _string(m["args_text"])
        else:
            text_ = m.get("args", "[]").encode("utf-8", "surrogateescape")
    return _native.OPS[op], name, text_


def _result_line(r: Reactor, line: bytes) -> bytes:
    try:
        op, name, text = parse_request(line)
    except Invalid as e:
        error = {"type": "InvalidRequest", "message": str(e)}
        return b'{"tag":"err","error":' + json.dumps(error, ensure_ascii=False, separators=(",", ":")).encode("utf-8") + b"}"
    code, result = r._call(op, name, text)
    body = result.encode("utf-8")
    if code == _native.OK:
        return b'{"tag":"ok","value":' + body + b"}"
    if not body:
        body = json.dumps({"type": "HostError", "message": r.library.errstr(code)}, separators=(",", ":")).encode("utf-8")
    return b'{"tag":"err","error":' + body + b"}"


def _write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view) :]


def run_batch(opts: Dict[str, Any]) -> int:
    r = _open(opts)
    try:
        for line in sys.stdin.buffer:
            if line.strip(b" \t\r\n") == b"":
                continue
            try:
                _write_all(1, _result_line(r, line) + b"\n")
            except OSError as e:
                sys.stderr.write(f"pyreactor: cannot write the results: {e.strerror or e}\n")
                return EXIT_HOST
    finally:
        r.close()
    return 0


# ------------------------------------------------------------------- call --


def run_call(opts: Dict[str, Any], pos: List[str]) -> int:
    if not 3 <= len(pos) <= 4:
        raise Usage("call needs FILE.py FUNC [ARGS_JSON]")
    path, func = pos[1], pos[2]
    args = pos[3] if len(pos) == 4 else "[]"
    try:
        with open(path, "rb") as f:
            code = f.read()
    except OSError as e:
        sys.stderr.write(f"pyreactor: cannot read {path}: {e.strerror or e}\n")
        return EXIT_USAGE
    base = os.path.basename(path)
    module = base[:-3] if len(base) > 3 and base.endswith(".py") else base
    with _open(opts) as r:
        try:
            r.call("register_module", module, code)
            value = r.call("apply_def", f"{module}.{func}", args.encode("utf-8", "surrogateescape"))
        except _errors.PythonError as e:
            sys.stderr.write(f"{e.type}: {e.message}\n")
            if e.traceback is not None:
                sys.stderr.write(e.traceback)
            return EXIT_PYERR if e.code == _native.ERR else EXIT_HOST
    sys.stdout.write(value + "\n")
    return 0


def main(argv: Optional[List[str]] = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    try:
        opts, pos = parse_args(argv)
        if not pos:
            raise Usage("missing command (batch or call)")
        if pos[0] == "batch":
            if len(pos) != 1:
                raise Usage("batch takes no arguments")
            return run_batch(opts)
        if pos[0] == "call":
            return run_call(opts, pos)
        raise Usage(f"unknown command {pos[0]}")
    except Usage as e:
        return _bad(str(e))
    except _native.LibraryNotFound as e:
        sys.stderr.write(f"pyreactor: {e}\n")
        return EXIT_HOST
    except OSError as e:
        sys.stderr.write(f"pyreactor: cannot start: {e}\n")
        return EXIT_HOST
