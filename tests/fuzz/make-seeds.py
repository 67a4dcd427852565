#!/usr/bin/env python3
"""Writes the hand-made seed inputs of tests/fuzz/corpus/{api,wasi}/.

The harnesses decode their input as a little script (see the comments at the
top of fuzz_api.c and fuzz_wasi.c); random bytes rarely make a valid one, so
each seed here is one meaningful script the fuzzer starts mutating from.
Run it again after changing an input format. Reproducers of findings are
saved next to these seeds by hand (named find-*) and are left alone here.
"""
import os
import struct

HERE = os.path.dirname(os.path.abspath(__file__))

# ------------------------------------------------------------------ api --
SEP = b"|||"
INIT, REG_LAMBDA, UNREG_LAMBDA, APPLY_LAMBDA, REG_DEF, UNREG_DEF, APPLY_DEF, \
    REG_MODULE, UNREG_MODULE, ECHO, PRINT, MISUSE, TAKE, TIMEOUT, RESET, OPEN, NAMES, JSON, \
    BATCH = range(19)
WRAPPER, SAME_NAME, AMPLIFY = 0x80, 0x40, 0x20


def op(action, name=b"", text=b"", flags=0):
    return bytes([action | flags]) + name + SEP + text


def script(*ops):
    return SEP.join(ops)


PROC_EXIT = (b"import _imp, importlib.machinery\n"
             b"posix = _imp.create_builtin(importlib.machinery.ModuleSpec('posix', None))\n"
             b"def boom():\n    posix._exit(7)\n")

API = {
    "lambda": script(op(REG_LAMBDA, b"add", b"lambda a, b=1: a + b"),
                     op(APPLY_LAMBDA, b"add", b"[40, 2]"),
                     op(APPLY_LAMBDA, b"add", b'{"a": 1, "b": 2}'),
                     op(UNREG_LAMBDA, b"add")),
    "def": script(op(REG_DEF, b"fib", b"def fib(n):\n    a, b = 0, 1\n    for _ in range(n):\n"
                                     b"        a, b = b, a + b\n    return a\n"),
                  op(APPLY_DEF, b"", b"[300]", SAME_NAME),
                  op(APPLY_DEF, b"fib", b'{"n": 10}', WRAPPER),
                  op(UNREG_DEF, b"fib", b"", WRAPPER)),
    "module": script(op(REG_MODULE, b"helpers", b"K = 3\ndef triple(x):\n    return K * x\n"),
                     op(REG_DEF, b"use", b"import helpers\ndef use(x):\n    return helpers.triple(x)\n"),
                     op(APPLY_DEF, b"use", b"[[1, 2], 3.5]"),
                     op(UNREG_MODULE, b"helpers")),
    "init-names": script(op(INIT), op(NAMES, b"apply_def", b"\x06"), op(NAMES, b"bogus", b"\xff")),
    "bad-utf8": script(op(REG_LAMBDA, b"\xff\xfe", b"lambda: '\xc3\x28'"),
                       op(APPLY_LAMBDA, b"\xed\xa0\x80", b'["\xc0\xaf"]'),
                       op(ECHO, b"", b'["\\ud800", "\xf4\x90\x80\x80"]')),
    "nul-bytes": script(op(REG_DEF, b"f\x00g", b"def f():\n    return 1\n\x00"),
                        op(REG_DEF, b"f\x00g", b"def f():\n    return 1\n", WRAPPER),
                        op(APPLY_DEF, b"f", b"[]\x00", WRAPPER),
                        op(ECHO, b"", b'["a\\u0000b"]')),
    "huge-args": script(op(ECHO, b"", b"[[" + b",".join([b"12345678901234567890"] * 1500) + b"]]"),
                        op(ECHO, b"", b"[", AMPLIFY),
                        op(ECHO, b"", b'["' + b"x" * 2000 + b'"]')),
    "deep-json": script(op(ECHO, b"", b"[" * 3000 + b"]" * 3000),
                        op(ECHO, b"", b'{"x":' * 2000 + b"1" + b"}" * 2000)),
    "timeout": script(op(REG_LAMBDA, b"spin", b"lambda: [None for _ in iter(int, 1)]"),
                      op(APPLY_LAMBDA, b"spin", b"[]"),
                      op(REG_DEF, b"w", b"def w():\n    while True:\n        pass\n"),
                      op(APPLY_DEF, b"w")),
    "recursion": script(op(REG_DEF, b"r", b"def r(n):\n    return r(n + 1)\n"),
                        op(APPLY_DEF, b"r", b"[0]"),
                        op(REG_LAMBDA, b"nest", b"lambda n: repr(eval('[' * n + ']' * n))"),
                        op(APPLY_LAMBDA, b"nest", b"[5000]")),
    "traps": script(op(REG_DEF, b"abort", b"import os\ndef abort():\n    os.abort()\n"),
                    op(APPLY_DEF, b"abort"),
                    op(REG_DEF, b"deep_c", b"import sys\nclass L:\n    def __repr__(self):\n"
                                           b"        return repr(self)\ndef deep_c():\n"
                                           b"    sys.setrecursionlimit(10 ** 6)\n    return repr(L())\n"),
                    op(APPLY_DEF, b"deep_c")),
    "proc-exit": script(op(REG_DEF, b"boom", PROC_EXIT), op(APPLY_DEF, b"boom")),
    "memory": script(op(REG_LAMBDA, b"big", b"lambda n: len(bytearray(n))"),
                     op(APPLY_LAMBDA, b"big", b"[1000000000]"),
                     op(APPLY_LAMBDA, b"big", b"[20000000]"),
                     op(REG_LAMBDA, b"grow", b"lambda: [bytes(10**7) for _ in range(10**3)]"),
                     op(APPLY_LAMBDA, b"grow")),
    "print": script(op(PRINT, b"", b'["hello", "sink"]'),
                    op(PRINT, b"", b'{"err": true}'),
                    op(REG_LAMBDA, b"p", b"lambda: print('x' * 100000)"),
                    op(APPLY_LAMBDA, b"p"),
                    op(REG_LAMBDA, b"inp", b"lambda: input()"),
                    op(APPLY_LAMBDA, b"inp")),
    "errors": script(op(REG_LAMBDA, b"bad", b"lambda: 1/0"),
                     op(APPLY_LAMBDA, b"bad"),
                     op(REG_DEF, b"syn", b"def syn(:\n"),
                     op(APPLY_DEF, b"missing"),
                     op(UNREG_MODULE, b"never"),
                     op(APPLY_LAMBDA, b"bad", b"not json"),
                     op(APPLY_LAMBDA, b"bad", b"7"),
                     op(TAKE)),
    "misuse": script(op(MISUSE, b"\x00", b"x"), op(MISUSE, b"\x01"), op(MISUSE, b"\x02"),
                     op(MISUSE, b"\x03", b"[1]"), op(MISUSE, b"\x04"), op(TAKE)),
    "timeout-reset": script(op(TIMEOUT, b"\x01\x00"),
                            op(REG_LAMBDA, b"slow", b"lambda: sum(range(10**8))"),
                            op(APPLY_LAMBDA, b"slow"),
                            op(RESET),
                            op(APPLY_LAMBDA, b"slow")),
    "json": script(op(JSON, b"", b' {"a": [1, -2.5e+3, true, false, null], "b": {"c": "\\u00e9\\n"}} '),
                   op(JSON, b"", b'{"k": 1, "k": 2, "\\u006b": 3}'),
                   op(JSON, b"", b'["\\ud83d\\ude00", "\\ud800", "\\udc00x", "\xf0\x9f\x98\x80"]'),
                   op(JSON, b"", b"[12345678901234567890123456789, 1e400, -0, 0.1e-5]"),
                   op(JSON, b"", b'{"a":1,}'), op(JSON, b"", b"[" * 500 + b"]" * 500)),
    "batch": script(op(BATCH, b"", b'{"op":"register_def","name":"f","code":"def f(x):\\n    return [x]\\n"}'),
                    op(BATCH, b"", b'{"op":"apply_def","name":"f","args":[{"y":1}]}'),
                    op(BATCH, b"", b'{"op":"apply_def","name":"f","args_text":"[2]"}'),
                    op(BATCH, b"", b'{"op":"init"}'),
                    op(BATCH, b"", b'{"op":"unregister_def","name":"f"}'),
                    op(BATCH, b"", b'{"op":"apply_lambda","name":3}'),
                    op(BATCH, b"", b'{"op":"nope"}'), op(BATCH, b"", b"[1]"), op(BATCH, b"", b"{")),
    "open": script(op(OPEN, b"\x00", b"A=1\nB=2"), op(OPEN, b"\x81", b"NAME=V\n=bad\nnoeq"),
                   op(OPEN, b"\x41", b""), op(OPEN, b"\x06", b""), op(OPEN, b"\x1e", b"in")),
}

# ----------------------------------------------------------------- wasi --
(POKE, IOVECS, PATH, SUBS, ENVIRON_GET, ENVIRON_SIZES_GET, CLOCK_RES_GET, CLOCK_TIME_GET,
 FD_ADVISE, FD_ALLOCATE, FD_CLOSE, FD_DATASYNC, FD_FDSTAT_GET, FD_FDSTAT_SET_FLAGS,
 FD_FILESTAT_GET, FD_FILESTAT_SET_SIZE, FD_FILESTAT_SET_TIMES, FD_PREAD, FD_PRESTAT_GET,
 FD_PRESTAT_DIR_NAME, FD_PWRITE, FD_READ, FD_READDIR, FD_SEEK, FD_SYNC, FD_TELL, FD_WRITE,
 PATH_CREATE_DIRECTORY, PATH_FILESTAT_GET, PATH_FILESTAT_SET_TIMES, PATH_LINK, PATH_OPEN,
 PATH_READLINK, PATH_REMOVE_DIRECTORY, PATH_RENAME, PATH_SYMLINK, PATH_UNLINK_FILE,
 POLL_ONEOFF, PROC_EXIT, RANDOM_GET, SCHED_YIELD, SOCK_ACCEPT, SOCK_RECV, SOCK_SEND,
 SOCK_SHUTDOWN) = range(45)
PATHS = ["a.txt", "sub", "sub/b.txt", "link", "esc", "abs", "up", "loop", "dotted", "new",
         "new/x", "sub/new", "f.txt", "d", "lnk", "to_rw", ".", "..", "../ro/f.txt",
         "../outside/secret.txt", "up/outside/secret.txt", "sub/../a.txt", "sub/", "a.txt/",
         "/etc/passwd", "./a.txt", "sub//b.txt", "esc/..", "link/", "", "...", "a\xff", "nul"]
M_POKE, M_IOVS, M_PATH_A, M_PATH_B, M_SUBS = range(5)
RIGHTS_READ, RIGHTS_ALL = 0x81, 0x80  # path_open's rights selector (then 1 or 0)


def at(off):
    """arg_ptr for an offset: one byte if small, else a multiple of 4."""
    return bytes([0, off]) if off < 256 else bytes([1]) + struct.pack("<H", off // 4)


def mark(m):
    return bytes([6 | m << 3])


def small(n):
    """arg_len / arg_u64 for a small value."""
    return bytes([n << 3]) if n < 32 else bytes([3]) + struct.pack("<H", n)


def u64(n):
    return bytes([n << 2]) if n < 64 else bytes([1]) + struct.pack("<H", n)


REF = b"\x00"  # arg_ref/arg_count: the structure last written


def wild_ptr(off):
    """arg_ref as an explicit pointer instead of the structure."""
    return b"\xff" + at(off)


def wild_len(n):
    return b"\xff" + small(n)


def path(p, slot=0, off=128):
    return bytes([PATH, slot]) + at(off) + bytes([2 * PATHS.index(p)])


def path_open(fd, p, oflags=0, rights=RIGHTS_READ, fdflags=0, out=64, follow=1):
    sel = bytes([0x80, 1 if rights == RIGHTS_ALL else 0])
    return (path(p) + bytes([PATH_OPEN, fd, follow]) + REF + REF + bytes([oflags, 0]) + sel
            + u64(0) + bytes([fdflags]) + at(out))


def iovecs(off, entries, count=None):
    """A count of 200 or more means 1000 + 4 * (count - 200) entries, of
    which the input gives the first 40."""
    n = len(entries) if count is None else count
    if n >= 200:
        entries = (entries * 40)[:40]
    body = b"".join(at(b) + small(length) for b, length in entries)
    return bytes([IOVECS]) + at(off) + bytes([n]) + body


WASI = {
    "create-write-read": bytes([2]) + path_open(3, "new", oflags=1, rights=RIGHTS_ALL)
    + bytes([FD_WRITE, 5]) + REF + REF + at(200)
    + bytes([FD_SEEK, 5]) + u64(0) + bytes([0]) + at(208)
    + bytes([FD_READ, 5]) + REF + REF + at(200)
    + bytes([FD_PWRITE, 5]) + REF + REF + u64(40) + at(200)
    + bytes([FD_PREAD, 5]) + REF + REF + u64(3) + at(200)
    + bytes([FD_FILESTAT_GET, 5]) + at(300)
    + bytes([FD_FILESTAT_SET_SIZE, 5]) + u64(7)
    + bytes([FD_ALLOCATE, 5]) + u64(0) + u64(4096)
    + bytes([FD_FDSTAT_SET_FLAGS, 5, 1])
    + bytes([FD_FDSTAT_GET, 5]) + at(300)
    + bytes([FD_TELL, 5]) + at(208)
    + bytes([FD_DATASYNC, 5, FD_SYNC, 5, FD_ADVISE, 5]) + u64(0) + u64(10) + bytes([1])
    + bytes([FD_FILESTAT_SET_TIMES, 5]) + u64(1) + u64(2) + bytes([5])
    + bytes([FD_CLOSE, 5, FD_CLOSE, 5]),
    "readdir-prestat": bytes([1])
    + bytes([FD_PRESTAT_GET, 3]) + at(0) + bytes([FD_PRESTAT_DIR_NAME, 3]) + at(16) + small(3)
    + bytes([FD_PRESTAT_GET, 4]) + at(0) + bytes([FD_PRESTAT_DIR_NAME, 4]) + at(16) + small(2)
    + bytes([FD_READDIR, 3]) + at(8192) + small(1024) + u64(0) + at(240)
    + bytes([FD_READDIR, 3]) + at(8192) + small(30) + u64(1) + at(240)
    + path_open(3, "sub", oflags=2) + bytes([FD_READDIR, 5]) + at(8192) + small(200) + u64(0) + at(240),
    "paths": bytes([1]) + path("a.txt") + path("new", 1, 160)
    + bytes([PATH_FILESTAT_GET, 3, 1]) + REF + REF + at(300)
    + bytes([PATH_FILESTAT_SET_TIMES, 3, 0]) + REF + REF + u64(5) + u64(6) + bytes([5])
    + bytes([PATH_LINK, 3, 0]) + REF + REF + bytes([3]) + REF + REF
    + bytes([PATH_RENAME, 3]) + REF + REF + bytes([3]) + REF + REF
    + path("sub/new") + bytes([PATH_CREATE_DIRECTORY, 3]) + REF + REF
    + bytes([PATH_REMOVE_DIRECTORY, 3]) + REF + REF
    + path("link") + bytes([PATH_READLINK, 3]) + REF + REF + at(400) + small(20) + at(240)
    + path("new", 1, 160) + bytes([PATH_SYMLINK, 3]) + REF + REF + REF + REF
    + bytes([PATH_UNLINK_FILE, 3]) + REF + REF,
    "escapes": bytes([1])
    + path_open(3, "esc") + path_open(3, "abs") + path_open(3, "up/outside/secret.txt")
    + path_open(3, "../ro/f.txt") + path_open(3, "dotted") + path_open(3, "loop")
    + path_open(3, "/etc/passwd") + path("..") + bytes([PATH_UNLINK_FILE, 3]) + REF + REF
    + path("esc/..") + bytes([PATH_CREATE_DIRECTORY, 3]) + REF + REF
    + path("../outside/secret.txt", 1, 160) + bytes([PATH_SYMLINK, 3]) + REF + REF + REF + REF
    + path("up") + path("new", 1, 160) + bytes([PATH_RENAME, 3]) + REF + REF + bytes([3]) + REF + REF,
    "read-only": bytes([1])
    + path_open(4, "f.txt", rights=RIGHTS_ALL) + path_open(4, "f.txt", oflags=8)
    + path_open(4, "f.txt", fdflags=1) + path_open(4, "f.txt")
    + bytes([FD_WRITE, 5]) + REF + REF + at(200) + bytes([FD_FILESTAT_SET_SIZE, 5]) + u64(0)
    + bytes([FD_READ, 5]) + REF + REF + at(200)
    + path("f.txt") + bytes([PATH_UNLINK_FILE, 4]) + REF + REF
    + bytes([PATH_FILESTAT_SET_TIMES, 4, 0]) + REF + REF + u64(1) + u64(1) + bytes([10])
    + bytes([PATH_LINK, 4, 0]) + REF + REF + bytes([3]) + REF + REF
    + bytes([PATH_RENAME, 3]) + REF + REF + bytes([4]) + REF + REF,
    "iovecs": bytes([2])
    + iovecs(0x60, [(1024, 5), (2048, 0), (65536 * 2 - 2, 5)])
    + bytes([FD_WRITE, 1]) + REF + REF + at(200)
    + iovecs(0x60, [(1024, 3)], count=210) + bytes([FD_WRITE, 2]) + REF + REF + at(200)
    + bytes([FD_READ, 0]) + REF + REF + at(200)
    + iovecs(0x60, [(1024, 31)] * 20) + bytes([FD_READ, 0]) + REF + REF + at(200)
    # an iovec array at 2^32 - 8 and a count of 2^32 - 1
    + bytes([FD_WRITE, 1, 0xFF, 4, 7, 0xFF, 6]) + at(200),
    "poll": bytes([1])
    + bytes([SUBS]) + at(4096) + bytes([1]) + bytes([7, 0, 1]) + u64(63) + bytes([0])
    + bytes([8, 1, 0])
    + bytes([POLL_ONEOFF]) + REF + at(6144) + REF + at(240)
    + bytes([SUBS]) + at(4096) + bytes([0]) + bytes([9, 0, 1]) + u64(1000) + bytes([0])
    + bytes([POLL_ONEOFF]) + REF + at(4100) + REF + at(240)
    + bytes([SUBS]) + at(4096) + bytes([0]) + bytes([9, 0, 4]) + u64(0) + bytes([1])
    + bytes([POLL_ONEOFF]) + REF + at(6144) + REF + at(240),
    "misc": bytes([1])
    + bytes([ENVIRON_SIZES_GET]) + at(0) + at(4) + bytes([ENVIRON_GET]) + at(64) + at(128)
    + bytes([CLOCK_RES_GET, 1]) + at(8) + bytes([CLOCK_TIME_GET, 0]) + u64(0) + at(8)
    + bytes([RANDOM_GET]) + at(16) + small(16) + bytes([SCHED_YIELD])
    + bytes([SOCK_ACCEPT, 3, 0]) + at(0) + bytes([SOCK_RECV, 3]) + REF + REF + bytes([0]) + at(0) + at(4)
    + bytes([SOCK_SEND, 99]) + REF + REF + bytes([0]) + at(0) + bytes([SOCK_SHUTDOWN, 3, 1])
    + bytes([PROC_EXIT, 3, 0, 0, 0]),
    "memory-edges": bytes([0])
    + bytes([FD_WRITE, 1]) + wild_ptr(0) + wild_len(0) + at(0)
    + bytes([RANDOM_GET]) + at(0) + small(0) + bytes([RANDOM_GET]) + at(0) + small(1)
    + bytes([FD_PRESTAT_DIR_NAME, 3]) + at(0) + small(3),
}


def write(kind, seeds):
    d = os.path.join(HERE, "corpus", kind)
    os.makedirs(d, exist_ok=True)
    for name, data in seeds.items():
        with open(os.path.join(d, name), "wb") as f:
            f.write(data)


if __name__ == "__main__":
    write("api", API)
    write("wasi", WASI)
