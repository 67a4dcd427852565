"""Compute kernels of the benchmark suite (bench/, `make bench`).

One file, run unchanged by every system: the native CPython of the same
source and Debian's python3.11 import it, the reactor hosts register it as
the module `kernels` and call `kernels.run`, Pyodide imports it from its
in-memory file system. Only the standard library is used, and nothing that
differs between Python 3.11 and later versions.

    run(name, size=1.0) -> {"name", "seconds", "check"}

runs one kernel once and returns the time of the kernel alone
(`time.perf_counter` inside the interpreter, so no host or call overhead is
counted) and a small check value that must be identical on every system.
Test data (texts, lists) is built once per process, outside the timing.
`size` scales the work (the quick mode of the suite uses a fraction).
"""

import json
import math
import re
import time
import zlib
from decimal import Decimal, localcontext

NAMES = ["fib", "nbody", "json", "regex", "strings", "sort", "wordcount", "decimal", "pystone"]
# Measured and reported on their own, not part of the compute geometric mean.
EXTRA_NAMES = ["imports"]

# ------------------------------------------------------------- test data --

_cache = {}


def _lcg(seed):
    """A deterministic pseudo-random stream (the same on every system)."""
    x = seed & 0x7FFFFFFF
    while True:
        x = (1103515245 * x + 12345) & 0x7FFFFFFF
        yield x


_SYLLABLES = ["ka", "lo", "mi", "ne", "ru", "ta", "shi", "po", "an", "el",
              "or", "us", "ve", "qui", "da", "zo", "ber", "fin", "gal", "hex"]


def _words(count, seed):
    key = ("words", count, seed)
    if key not in _cache:
        rnd = _lcg(seed)
        out = []
        for _ in range(count):
            r = next(rnd)
            n = 1 + (r >> 8) % 3 + ((r >> 20) % 4 == 0)
            w = "".join(_SYLLABLES[(r >> (3 * i)) % len(_SYLLABLES)] for i in range(n))
            out.append(w)
        _cache[key] = out
    return _cache[key]


def _text(count, seed):
    """About 6 bytes per word: words, numbers, e-mail-like tokens, dates, punctuation."""
    key = ("text", count, seed)
    if key not in _cache:
        rnd = _lcg(seed + 1)
        parts = []
        for i, w in enumerate(_words(count, seed)):
            r = next(rnd)
            k = r % 29
            if k == 0:
                parts.append("%s.%s@%s.example.org" % (w, _SYLLABLES[r % 20], _SYLLABLES[(r >> 5) % 20]))
            elif k == 1:
                parts.append("%04d-%02d-%02d" % (1990 + r % 40, 1 + r % 12, 1 + r % 28))
            elif k == 2:
                parts.append(str(r % 100000))
            elif k == 3:
                parts.append(w.capitalize() + ".")
            elif k == 4:
                parts.append(w + ",")
            else:
                parts.append(w)
            if i % 17 == 16:
                parts.append("\n")
        _cache[key] = " ".join(parts)
    return _cache[key]


def _document(n, seed):
    key = ("doc", n, seed)
    if key not in _cache:
        rnd = _lcg(seed)
        words = _words(64, seed)
        items = []
        for i in range(n):
            r = next(rnd)
            items.append({
                "id": i,
                "name": words[r % 64] + " " + words[(r >> 6) % 64],
                "active": bool(r & 1),
                "score": (r % 100000) / 100.0,
                "tags": [words[(r >> k) % 64] for k in range(0, 12, 4)],
                "ratio": r / 2147483647.0,
                "owner": {"uid": r % 5000, "email": words[r % 64] + "@example.org", "note": None},
                "text": "caf\u00e9 \"quoted\" \\ line\nbreak \u2603 " + words[(r >> 3) % 64],
            })
        _cache[key] = {"version": 3, "items": items}
    return _cache[key]


# --------------------------------------------------------------- kernels --

def _fib(n):
    return n if n < 2 else _fib(n - 1) + _fib(n - 2)


def k_fib(size):
    # fib(n) costs about 1.618**n calls: size scales the work, not n
    n = 28 + int(round(math.log(size) / math.log(1.618)))
    return _fib(n)


_PI = 3.14159265358979323
_SOLAR_MASS = 4 * _PI * _PI
_DAYS_PER_YEAR = 365.24


def _bodies():
    return [
        [[0.0, 0.0, 0.0], [0.0, 0.0, 0.0], _SOLAR_MASS],
        [[4.84143144246472090e+00, -1.16032004402742839e+00, -1.03622044471123109e-01],
         [1.66007664274403694e-03 * _DAYS_PER_YEAR, 7.69901118419740425e-03 * _DAYS_PER_YEAR,
          -6.90460016972063023e-05 * _DAYS_PER_YEAR], 9.54791938424326609e-04 * _SOLAR_MASS],
        [[8.34336671824457987e+00, 4.12479856412430479e+00, -4.03523417114321381e-01],
         [-2.76742510726862411e-03 * _DAYS_PER_YEAR, 4.99852801234917238e-03 * _DAYS_PER_YEAR,
          2.30417297573763929e-05 * _DAYS_PER_YEAR], 2.85885980666130812e-04 * _SOLAR_MASS],
        [[1.28943695621391310e+01, -1.51111514016986312e+01, -2.23307578892655734e-01],
         [2.96460137564761618e-03 * _DAYS_PER_YEAR, 2.37847173959480950e-03 * _DAYS_PER_YEAR,
          -2.96589568540237556e-05 * _DAYS_PER_YEAR], 4.36624404335156298e-05 * _SOLAR_MASS],
        [[1.53796971148509165e+01, -2.59193146099879641e+01, 1.79258772950371181e-01],
         [2.68067772490389322e-03 * _DAYS_PER_YEAR, 1.62824170038242295e-03 * _DAYS_PER_YEAR,
          -9.51592254519715870e-05 * _DAYS_PER_YEAR], 5.15138902046611451e-05 * _SOLAR_MASS],
    ]


def _energy(bodies, pairs):
    e = 0.0
    for ((x1, y1, z1), v1, m1, (x2, y2, z2), v2, m2) in pairs:
        dx, dy, dz = x1 - x2, y1 - y2, z1 - z2
        e -= (m1 * m2) / ((dx * dx + dy * dy + dz * dz) ** 0.5)
    for (r, [vx, vy, vz], m) in bodies:
        e += m * (vx * vx + vy * vy + vz * vz) / 2.0
    return e


def k_nbody(size):
    bodies = _bodies()
    pairs = [(bodies[i][0], bodies[i][1], bodies[i][2], bodies[j][0], bodies[j][1], bodies[j][2])
             for i in range(len(bodies)) for j in range(i + 1, len(bodies))]
    px = py = pz = 0.0
    for (r, [vx, vy, vz], m) in bodies:
        px -= vx * m
        py -= vy * m
        pz -= vz * m
    v = bodies[0][1]
    v[0], v[1], v[2] = px / _SOLAR_MASS, py / _SOLAR_MASS, pz / _SOLAR_MASS
    dt = 0.01
    for _ in range(int(20000 * size)):
        for (([x1, y1, z1], v1, m1, [x2, y2, z2], v2, m2)) in pairs:
            dx, dy, dz = x1 - x2, y1 - y2, z1 - z2
            mag = dt * ((dx * dx + dy * dy + dz * dz) ** (-1.5))
            b1m, b2m = m1 * mag, m2 * mag
            v1[0] -= dx * b2m
            v1[1] -= dy * b2m
            v1[2] -= dz * b2m
            v2[0] += dx * b1m
            v2[1] += dy * b1m
            v2[2] += dz * b1m
        for (r, [vx, vy, vz], m) in bodies:
            r[0] += dt * vx
            r[1] += dt * vy
            r[2] += dt * vz
    return "%.9f" % _energy(bodies, pairs)


def k_json(size):
    doc = _document(1200, 7)
    total = 0
    for _ in range(max(1, int(2 * size))):
        text = json.dumps(doc)
        back = json.loads(text)
        total += len(text) + len(back["items"])
        text2 = json.dumps(back, indent=1, sort_keys=True)
        total += len(text2)
    return total


_RE_EMAIL = re.compile(r"\b([a-z]+(?:\.[a-z]+)*)@([a-z]+)\.example\.org\b")
_RE_DATE = re.compile(r"\b(\d{4})-(\d\d)-(\d\d)\b")
_RE_WORD = re.compile(r"\b[A-Z][a-z]+\.")
_RE_VOWELS = re.compile(r"[aeiou]{2,}|(?:qu|sh)i")


def k_regex(size):
    text = _text(int(80000 * min(size, 1.0)) or 1, 11)
    total = 0
    for _ in range(max(1, int(size))):
        total += len(_RE_EMAIL.findall(text))
        total += sum(int(m.group(1)) % 7 for m in _RE_DATE.finditer(text))
        total += len(_RE_WORD.findall(text))
        total += len(_RE_VOWELS.sub("_", text))
        total += len(re.split(r"\s*\n\s*", text))
    return total


def k_strings(size):
    words = _words(5000, 3)
    total = 0
    crc = 0
    for rnd in range(max(1, int(60 * size))):
        s = ""
        for i, w in enumerate(words):
            s += w
            if i % 10 == 9:
                s += "\n"
            else:
                s += " "
        lines = s.split("\n")
        out = []
        for j, line in enumerate(lines):
            out.append(f"{j:05d}|{line.strip().upper()}|{len(line)}")
            out.append("-".join(reversed(line.split())))
            out.append(line.replace("a", "4").replace("o", "0").title())
        joined = "\n".join(out)
        total += len(joined) + joined.count("KA") + joined.find("zz")
        crc = zlib.crc32(joined.encode("utf-8"), crc)
    return [total, crc]


def k_sort(size):
    n = int(40000 * size) or 1
    rnd = _lcg(5)
    ints = [next(rnd) % 1000003 for _ in range(n)]
    floats = [x / 7.0 for x in ints]
    words = _words(n // 2, 9)
    a = sorted(ints)
    b = sorted(floats, reverse=True)
    c = sorted(words)
    d = sorted(zip(words, ints), key=lambda t: (len(t[0]), t[1]))
    ints.sort()
    return [a[n // 2], int(b[n // 3]), c[len(c) // 2], d[len(d) // 4][1], ints[-1]]


def k_wordcount(size):
    text = _text(int(60000 * min(size, 1.0)) or 1, 13)
    counts = {}
    pairs = {}
    for _ in range(max(1, int(size))):
        prev = None
        for w in text.split():
            w = w.strip(".,").lower()
            counts[w] = counts.get(w, 0) + 1
            if prev is not None:
                key = (prev, w[:2])
                pairs[key] = pairs.get(key, 0) + 1
            prev = w
    by_first = {}
    for w, c in counts.items():
        by_first.setdefault(w[:1], []).append(c)
    top = sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))[:5]
    return [len(counts), len(pairs), sorted((k, sum(v)) for k, v in by_first.items())[:3], top]


def k_decimal(size):
    total = Decimal(0)
    with localcontext() as ctx:
        ctx.prec = 40
        rate = Decimal("1.0000375")
        for i in range(int(60000 * size) or 1):
            principal = Decimal(i % 997) + Decimal("0.01") * (i % 100)
            amount = principal * rate ** (i % 12) - Decimal(i % 13) / Decimal(7)
            total += amount.quantize(Decimal("0.0001"))
        # a series for e, as a long-precision workload
        ctx.prec = 200
        e = Decimal(0)
        term = Decimal(1)
        for k in range(1, int(300 * size) + 2):
            e += term
            term /= k
    return [str(total), str(e)[:60]]


# A Dhrystone-style loop in the spirit of the classic pystone: records,
# procedures on globals, enumeration-like constants, small arrays, string
# comparisons. Not the original program; the same kind of work.

IDENT1, IDENT2, IDENT3, IDENT4, IDENT5 = 1, 2, 3, 4, 5


class _Record:
    __slots__ = ("ptr_comp", "discr", "enum_comp", "int_comp", "string_comp")

    def __init__(self, ptr_comp=None, discr=0, enum_comp=0, int_comp=0, string_comp=""):
        self.ptr_comp = ptr_comp
        self.discr = discr
        self.enum_comp = enum_comp
        self.int_comp = int_comp
        self.string_comp = string_comp

    def copy(self):
        return _Record(self.ptr_comp, self.discr, self.enum_comp, self.int_comp, self.string_comp)


class _Stone:
    def __init__(self):
        self.int_glob = 0
        self.bool_glob = False
        self.char1_glob = "\0"
        self.char2_glob = "\0"
        self.array1 = [0] * 51
        self.array2 = [x[:] for x in [self.array1] * 51]
        self.ptr_glb = None
        self.ptr_glb_next = None

    def run(self, loops):
        self.ptr_glb_next = _Record()
        self.ptr_glb = _Record(self.ptr_glb_next, IDENT1, IDENT3, 40, "DHRYSTONE PROGRAM, SOME STRING")
        string1 = "DHRYSTONE PROGRAM, 1'ST STRING"
        self.array2[8][7] = 10
        int_loc1 = int_loc2 = int_loc3 = 0
        for _ in range(loops):
            self.proc5()
            self.proc4()
            int_loc1 = 2
            int_loc2 = 3
            string2 = "DHRYSTONE PROGRAM, 2'ND STRING"
            enum_loc = IDENT2
            self.bool_glob = not self.func2(string1, string2)
            while int_loc1 < int_loc2:
                int_loc3 = 5 * int_loc1 - int_loc2
                int_loc3 = self.proc7(int_loc1, int_loc2)
                int_loc1 = int_loc1 + 1
            self.proc8(self.array1, self.array2, int_loc1, int_loc3)
            self.ptr_glb = self.proc1(self.ptr_glb)
            char_index = "A"
            while char_index <= self.char2_glob:
                if enum_loc == self.func1(char_index, "C"):
                    enum_loc = self.proc6(IDENT1)
                char_index = chr(ord(char_index) + 1)
            int_loc3 = int_loc2 * int_loc1
            int_loc2 = int_loc3 // int_loc1
            int_loc2 = 7 * (int_loc3 - int_loc2) - int_loc1
            int_loc1 = self.proc2(int_loc1)
        return [int_loc1, int_loc2, int_loc3, self.int_glob, self.ptr_glb.int_comp]

    def proc1(self, ptr_par_in):
        ptr_par_in.ptr_comp = next_record = self.ptr_glb.copy()
        ptr_par_in.int_comp = 5
        next_record.int_comp = ptr_par_in.int_comp
        next_record.ptr_comp = ptr_par_in.ptr_comp
        next_record.ptr_comp = self.proc3(next_record.ptr_comp)
        if next_record.discr == IDENT1:
            next_record.int_comp = 6
            next_record.enum_comp = self.proc6(ptr_par_in.enum_comp)
            next_record.ptr_comp = self.ptr_glb.ptr_comp
            next_record.int_comp = self.proc7(next_record.int_comp, 10)
        else:
            ptr_par_in = next_record.copy()
        next_record.ptr_comp = None
        return ptr_par_in

    def proc2(self, int_par_io):
        int_loc = int_par_io + 10
        enum_loc = 0
        while True:
            if self.char1_glob == "A":
                int_loc = int_loc - 1
                int_par_io = int_loc - self.int_glob
                enum_loc = IDENT1
            if enum_loc == IDENT1:
                break
        return int_par_io

    def proc3(self, ptr_par_out):
        if self.ptr_glb is not None:
            ptr_par_out = self.ptr_glb.ptr_comp
        else:
            self.int_glob = 100
        self.ptr_glb.int_comp = self.proc7(10, self.int_glob)
        return ptr_par_out

    def proc4(self):
        bool_loc = self.char1_glob == "A"
        bool_loc = bool_loc or self.bool_glob
        self.char2_glob = "B"

    def proc5(self):
        self.char1_glob = "A"
        self.bool_glob = False

    def proc6(self, enum_par_in):
        enum_par_out = enum_par_in
        if not self.func3(enum_par_in):
            enum_par_out = IDENT4
        if enum_par_in == IDENT1:
            enum_par_out = IDENT1
        elif enum_par_in == IDENT2:
            enum_par_out = IDENT1 if self.int_glob > 100 else IDENT4
        elif enum_par_in == IDENT3:
            enum_par_out = IDENT2
        elif enum_par_in == IDENT5:
            enum_par_out = IDENT3
        return enum_par_out

    def proc7(self, int_par_i1, int_par_i2):
        int_loc = int_par_i1 + 2
        return int_par_i2 + int_loc

    def proc8(self, array1_par, array2_par, int_par_i1, int_par_i2):
        int_loc = int_par_i1 + 5
        array1_par[int_loc] = int_par_i2
        array1_par[int_loc + 1] = array1_par[int_loc]
        array1_par[int_loc + 30] = int_loc
        for int_index in range(int_loc, int_loc + 2):
            array2_par[int_loc][int_index] = int_loc
        array2_par[int_loc][int_loc - 1] = array2_par[int_loc][int_loc - 1] + 1
        array2_par[int_loc + 20][int_loc] = array1_par[int_loc]
        self.int_glob = 5

    def func1(self, char_par1, char_par2):
        char_loc1 = char_par1
        char_loc2 = char_loc1
        return IDENT1 if char_loc2 != char_par2 else IDENT2

    def func2(self, str_par_i1, str_par_i2):
        int_loc = 1
        char_loc = "\0"
        while int_loc <= 1:
            if self.func1(str_par_i1[int_loc], str_par_i2[int_loc + 1]) == IDENT1:
                char_loc = "A"
                int_loc = int_loc + 1
        if "W" <= char_loc <= "Z":
            int_loc = 7
        if char_loc == "X":
            return True
        if str_par_i1 > str_par_i2:
            int_loc = int_loc + 7
            return True
        return False

    def func3(self, enum_par_in):
        return enum_par_in == IDENT3


def k_pystone(size):
    return _Stone().run(int(50000 * size) or 1)


# ---------------------------------------------------------------- imports --
# Not compute: what importing costs, for modules the guest's snapshot does not
# hold (it decodes them from its LZMA2-compressed frozen stdlib; CPython reads
# .pyc files). What the snapshot does hold is imported first, outside the
# timing, on every system, so that each then imports the same modules.
# SNAPSHOT_HOLDS is guest/_reactor.py's PRELOAD (bench/run.py checks
# that they agree: this file cannot import the guest's module everywhere).
IMPORTS = ["email.message", "asyncio", "xml.etree.ElementTree", "argparse", "zipfile", "pickle",
           "csv", "html.parser", "tomllib", "difflib", "ipaddress", "encodings.cp1252",
           "encodings.shift_jis"]
SNAPSHOT_HOLDS = ["json", "re", "datetime", "decimal", "collections", "itertools", "functools",
                  "math", "random", "string", "hashlib", "base64", "struct", "dataclasses", "enum",
                  "typing", "textwrap", "statistics", "fractions", "copy", "operator", "heapq",
                  "bisect", "uuid", "time", "io"]


def k_imports(size):
    """Imports IMPORTS anew each run: whatever they added to sys.modules is
    removed again afterwards."""
    import importlib
    import sys
    for name in SNAPSHOT_HOLDS:
        importlib.import_module(name)
    before = set(sys.modules)
    t0 = time.perf_counter()
    done = [importlib.import_module(name).__name__ for name in IMPORTS]
    seconds = time.perf_counter() - t0
    for name in [m for m in sys.modules if m not in before]:
        del sys.modules[name]
    return {"seconds": seconds, "check": sorted(done)}


KERNELS = {
    "fib": k_fib, "nbody": k_nbody, "json": k_json, "regex": k_regex, "strings": k_strings,
    "sort": k_sort, "wordcount": k_wordcount, "decimal": k_decimal, "pystone": k_pystone,
    "imports": k_imports,
}


def prepare(name, size=1.0):
    """Builds the kernel's test data (also done by run; exposed for warm-up)."""
    if name in ("regex",):
        _text(int(80000 * min(size, 1.0)) or 1, 11)
    elif name == "wordcount":
        _text(int(60000 * min(size, 1.0)) or 1, 13)
    elif name == "json":
        _document(1200, 7)
    elif name == "strings":
        _words(5000, 3)
    return name


def run(name, size=1.0):
    fn = KERNELS[name]
    prepare(name, size)
    t0 = time.perf_counter()
    check = fn(size)
    t1 = time.perf_counter()
    if isinstance(check, dict):  # a kernel that times a part of itself
        return {"name": name, "seconds": check["seconds"], "check": check["check"]}
    return {"name": name, "seconds": t1 - t0, "check": check}


if __name__ == "__main__":
    import sys
    size = float(sys.argv[1]) if len(sys.argv) > 1 else 1.0
    for n in NAMES + EXTRA_NAMES:
        r = run(n, size)
        print("%-10s %8.1f ms  %s" % (n, r["seconds"] * 1e3, json.dumps(r["check"])[:70]))
