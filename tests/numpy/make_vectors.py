"""Writes tests/numpy/*.jsonl: vectors for the numpy module (docs/numpy.md),
with the expected values computed here by Debian's native numpy
(python3-numpy) and the guest's own result encoder (guest/_reactor.py, run
outside the guest), so the guest's results are compared with native numpy's.

    /usr/bin/python3 tests/numpy/make_vectors.py      # rewrites the files

Floating-point results are rounded in the defs themselves (to 9 decimals):
the guest's numpy has no BLAS and no SIMD, Debian's has both, so the last
bits may differ; rounding keeps the comparison exact elsewhere.
"""
import json
import os
import sys
import types

HERE = os.path.dirname(os.path.abspath(__file__))
sys.modules["_reactor_host"] = types.SimpleNamespace(is_awaitable=lambda x: False, call=None)
sys.path.insert(0, os.path.join(HERE, "..", "..", "guest"))
import _reactor  # noqa: E402
import numpy  # noqa: E402,F401  (Debian's)

# (name, code of a def `name`, args) whose value is computed natively.
COMPUTED = [
    # --- what each kind of numpy value is encoded as
    ("int_matrix", "import numpy as np\ndef int_matrix():\n    return np.arange(6).reshape(2, 3)\n", []),
    ("scalars", "import numpy as np\ndef scalars():\n    return [np.float32(1.5), np.float64(-2.25), np.int8(-3), np.int64(2**62),"
     " np.uint64(2**64 - 1), np.uint8(255), np.bool_(True), np.bool_(False), np.str_('s')]\n", []),
    ("zero_d", "import numpy as np\ndef zero_d():\n    return [np.array(3.5), np.array(7), np.array(True), np.array('x')]\n", []),
    ("empty", "import numpy as np\ndef empty():\n    return [np.zeros((0, 3)), np.array([]), np.ones((2, 0), dtype=int)]\n", []),
    ("bools", "import numpy as np\ndef bools(xs):\n    a = np.array(xs)\n    return [a > 2, (a > 2).all(), (a > 2).any()]\n", [[1, 2, 3, 4]]),
    ("strings", "import numpy as np\ndef strings():\n    return np.array(['a', 'b\u00e9', '\u20ac\u20ac'])\n", []),
    ("structured", "import numpy as np\ndef structured():\n    a = np.array([(1, 2.5, 'x'), (2, -1.0, 'y')], dtype=[('n', 'i4'), ('v', 'f8'), ('s', 'U1')])\n"
     "    return [a, a[0], a['v']]\n", []),
    ("objects", "import numpy as np\ndef objects():\n    return np.array([1, 'x', None, [2, 3], {'k': 1.5}], dtype=object)\n", []),
    ("float16_32", "import numpy as np\ndef float16_32():\n    return [np.float16(0.1), np.float32(0.1), np.array([0.5, 0.1], dtype=np.float32)]\n", []),
    ("masked", "import numpy as np\ndef masked():\n    return np.ma.masked_array([1, 2, 3], mask=[0, 1, 0])\n", []),
    ("matrix", "import numpy as np\ndef matrix():\n    return np.matrix([[1, 2], [3, 4]]) * 2\n", []),
    ("nested", "import numpy as np\ndef nested():\n    return {'a': np.arange(3), 'b': (np.int32(1), np.float64(2.0)), 'c': [np.eye(2, dtype=int)]}\n", []),
    ("dtypes", "import numpy as np\ndef dtypes():\n    return [np.array([0, 1, 2]).astype(t) for t in ('i1', 'u1', 'i2', 'u2', 'i4', 'u4', 'i8', 'u8', 'f2', 'f4', 'f8', '?')]\n", []),
    # --- numpy's work, compared with native numpy
    ("arith", "import numpy as np\ndef arith(xs, ys):\n    a, b = np.array(xs, dtype=float), np.array(ys, dtype=float)\n"
     "    return [a + b, a * b, a - b, np.round(a / b, 9), a ** 2, -a, np.abs(a - 3), a // 2, a % 3]\n", [[1, 2, 3, 4, 5], [2, 4, 8, 16, 32]]),
    ("broadcast", "import numpy as np\ndef broadcast(n):\n    col = np.arange(n).reshape(n, 1)\n    row = np.arange(n)\n"
     "    return [col + row, (col * row).sum(axis=0), np.broadcast_to(row, (2, n))]\n", [4]),
    ("reductions", "import numpy as np\ndef reductions(n):\n    a = np.arange(1, n + 1, dtype=float).reshape(4, -1)\n"
     "    r = lambda x: np.round(x, 9)\n"
     "    return [a.sum(), a.sum(axis=0), a.sum(axis=1), a.prod(axis=0), a.min(), a.max(axis=1), a.argmax(), r(a.mean()), r(a.std()),"
     " r(a.var(axis=0)), np.cumsum(a, axis=1), np.median(a), r(np.percentile(a, [10, 50, 90]))]\n", [20]),
    ("ufuncs", "import numpy as np\ndef ufuncs(xs):\n    a = np.array(xs)\n    r = lambda x: np.round(x, 9)\n"
     "    return [r(np.sin(a)), r(np.cos(a)), r(np.exp(a)), r(np.log1p(a)), r(np.sqrt(a)), r(np.tanh(a)), r(np.arctan2(a, 1.5)),"
     " np.floor(a * 1.7), np.clip(a, 0.5, 2)]\n", [[0.0, 0.25, 1.0, 2.5, 3.0]]),
    ("sorting", "import numpy as np\ndef sorting(xs):\n    a = np.array(xs)\n"
     "    return [np.sort(a), np.argsort(a, kind='stable'), np.unique(a), np.searchsorted(np.sort(a), 3), np.sort(a.astype(float))[::-1],"
     " np.partition(a, 2)[2]]\n", [[5, 3, 9, 1, 3, 7, 2, 8]]),
    ("indexing", "import numpy as np\ndef indexing():\n    a = np.arange(24).reshape(2, 3, 4)\n"
     "    return [a[1, :, ::2], a[..., -1], a[a % 5 == 0], a.transpose(2, 0, 1)[0], np.where(a[0] > 5, a[0], -1), a.reshape(-1)[[1, 3, 5]]]\n", []),
    ("solve", "import numpy as np\ndef solve(a, b):\n    x = np.linalg.solve(np.array(a, dtype=float), np.array(b, dtype=float))\n    return np.round(x, 9)\n",
     [[[3, 1, 2], [1, 5, 1], [2, 1, 4]], [1, 2, 3]]),
    ("inv_det", "import numpy as np\ndef inv_det(a):\n    m = np.array(a, dtype=float)\n"
     "    return [np.round(np.linalg.inv(m), 9), round(float(np.linalg.det(m)), 9), np.round(m @ np.linalg.inv(m), 9)]\n", [[[4, 7], [2, 6]]]),
    ("eig", "import numpy as np\ndef eig(a):\n    m = np.array(a, dtype=float)\n    w = np.linalg.eigvals(m)\n    ws, v = np.linalg.eigh(m + m.T)\n"
     "    return [np.round(np.sort(w.real), 9), np.round(ws, 9), np.round(np.abs(v), 9)]\n", [[[2, 1, 0], [1, 3, 1], [0, 1, 4]]]),
    ("linalg_more", "import numpy as np\ndef linalg_more(n):\n    m = np.arange(1, n * n + 1, dtype=float).reshape(n, n) + np.eye(n) * n\n"
     "    q, r = np.linalg.qr(m)\n    s = np.linalg.svd(m, compute_uv=False)\n"
     "    return [np.round(np.abs(np.diag(r)), 9), np.round(s, 9), round(float(np.linalg.norm(m)), 9), int(np.linalg.matrix_rank(m)),"
     " np.round(np.linalg.cholesky(m @ m.T), 6), np.round(np.linalg.lstsq(m, np.ones(n), rcond=None)[0], 9)]\n", [4]),
    ("matmul", "import numpy as np\ndef matmul(n):\n    a = np.arange(n * n, dtype=float).reshape(n, n) / n\n"
     "    return [np.round(a @ a.T, 9), np.round(np.dot(a, np.ones(n)), 9), np.einsum('ii', a), np.round(np.outer(a[0], a[1]), 9)]\n", [5]),
    ("fft", "import numpy as np\ndef fft(n):\n    x = np.cos(2 * np.pi * 3 * np.arange(n) / n) + 0.5 * np.sin(2 * np.pi * 5 * np.arange(n) / n)\n"
     "    f = np.fft.fft(x)\n    r = lambda v: np.round(v, 9) + 0.0\n"
     "    return [r(f.real), r(f.imag), r(np.abs(np.fft.rfft(x))), r(np.fft.ifft(f).real), r(np.fft.fftfreq(n, 0.5))]\n", [16]),
    ("fft2", "import numpy as np\ndef fft2(n):\n    a = np.arange(n * n, dtype=float).reshape(n, n) % 7\n    f = np.fft.fft2(a)\n"
     "    r = lambda v: np.round(v, 9) + 0.0\n    return [r(f.real), r(f.imag), r(np.fft.irfft(np.fft.rfft(a[0])))]\n", [4]),
    ("rng", "import numpy as np\ndef rng(seed):\n    g = np.random.default_rng(seed)\n"
     "    return [g.integers(0, 100, 10), np.round(g.random(5), 12), np.round(g.normal(size=4), 9), g.permutation(8), g.choice(5, 3, replace=False),"
     " np.round(g.uniform(-1, 1, 3), 12), g.poisson(4.0, 5), np.round(g.exponential(2.0, 3), 9)]\n", [12345]),
    ("rng_bitgens", "import numpy as np\ndef rng_bitgens(seed):\n"
     "    out = []\n    for bg in (np.random.PCG64, np.random.MT19937, np.random.Philox, np.random.SFC64, np.random.PCG64DXSM):\n"
     "        out.append(np.random.Generator(bg(seed)).integers(0, 2**32, 4))\n"
     "    out.append(np.random.RandomState(seed).randint(0, 1000, 5))\n    return out\n", [7]),
    ("polynomial", "import numpy as np\ndef polynomial(xs, ys):\n    c = np.polyfit(xs, ys, 2)\n"
     "    return [np.round(c, 9) + 0.0, np.round(np.polyval(c, 2.5), 9), np.round(np.roots([1, -3, 2]), 9)]\n", [[0, 1, 2, 3, 4], [1, 2, 5, 10, 17]]),
    ("misc", "import numpy as np\ndef misc():\n    a = np.linspace(0, 1, 5)\n"
     "    return [a, np.histogram([1, 2, 2, 3, 3, 3], bins=3)[0], np.round(np.interp([0.5, 1.5], [0, 1, 2], [0, 10, 0]), 9), np.concatenate([a[:2], a[-2:]]),"
     " np.stack([np.arange(2), np.arange(2, 4)]), np.diff([1, 4, 9, 16]),"
     " np.bincount([0, 1, 1, 3]), np.nonzero([0, 2, 0, 3])[0], np.isclose(0.1 + 0.2, 0.3), np.iinfo(np.int16).max, float(np.finfo(np.float32).eps)]\n", []),
]

# (name, code, args, expected error type, message fragment): refused values.
REFUSED = [
    ("complex_scalar", "import numpy as np\ndef complex_scalar():\n    return np.complex128(1 + 2j)\n", [], "EncodeError", "complex128"),
    ("complex_array", "import numpy as np\ndef complex_array():\n    return np.fft.fft([1.0, 0.0])\n", [], "EncodeError", "ndarray (dtype complex128)"),
    ("datetime", "import numpy as np\ndef datetime():\n    return np.datetime64('2024-03-05')\n", [], "EncodeError", "datetime64"),
    ("datetime_array", "import numpy as np\ndef datetime_array():\n    return np.arange('2024-01', '2024-03', dtype='datetime64[M]')\n", [], "EncodeError", "datetime64[M]"),
    ("timedelta", "import numpy as np\ndef timedelta():\n    return np.timedelta64(3, 's')\n", [], "EncodeError", "timedelta64"),
    ("nan_scalar", "import numpy as np\ndef nan_scalar():\n    return np.float64('nan')\n", [], "EncodeError", "Out of range float"),
    ("inf_array", "import numpy as np\ndef inf_array():\n    return np.array([1.0, np.inf])\n", [], "EncodeError", "Out of range float"),
    ("nan_float32", "import numpy as np\ndef nan_float32():\n    return np.float32('nan')\n", [], "EncodeError", "Out of range float"),
    ("bytes_array", "import numpy as np\ndef bytes_array():\n    return np.array([b'ab'])\n", [], "EncodeError", "bytes"),
    ("numpy_keys", "import numpy as np\ndef numpy_keys():\n    return {np.int64(1): 2}\n", [], "EncodeError", "keys must be"),
    ("dtype_object", "import numpy as np\ndef dtype_object():\n    return np.dtype('f8')\n", [], "EncodeError", "is not JSON serializable"),
]


def expected(code, name, args):
    scope = {}
    exec(compile(code, "<def %s>" % name, "exec"), scope)
    value = scope[name](*args)
    return json.loads(_reactor._encode(value))


def refused_natively(code, name, args):
    scope = {}
    exec(compile(code, "<def %s>" % name, "exec"), scope)
    try:
        _reactor._encode(scope[name](*args))
    except (TypeError, ValueError) as exc:
        return str(_reactor._encode_error(exc))
    raise SystemExit("%s: native numpy encoded it: the vector would be wrong" % name)


def line(request, expect):
    return json.dumps(dict(request, expect=expect), ensure_ascii=False)


def main():
    lines = []
    for name, code, args in COMPUTED:
        lines.append(line({"op": "register_def", "name": name, "code": code}, {"tag": "ok", "value": name}))
        lines.append(line({"op": "apply_def", "name": name, "args": args}, {"tag": "ok", "value": expected(code, name, args)}))
    for name, code, args, kind, fragment in REFUSED:
        message = refused_natively(code, name, args)
        if fragment not in message:
            raise SystemExit("%s: native message %r lacks %r" % (name, message, fragment))
        lines.append(line({"op": "register_def", "name": name, "code": code}, {"tag": "ok", "value": name}))
        lines.append(line({"op": "apply_def", "name": name, "args": args},
                          {"tag": "err", "type": kind, "message_contains": fragment}))
    # The other paths to the encoder: a lambda, keyword args (_reactor._apply), a cell.
    lines.append(line({"op": "register_lambda", "name": "lam", "code": "lambda n: __import__('numpy').arange(n) * 2"},
                      {"tag": "ok", "value": "lam"}))
    lines.append(line({"op": "apply_lambda", "name": "lam", "args": [3]}, {"tag": "ok", "value": [0, 2, 4]}))
    lines.append(line({"op": "apply_lambda", "name": "lam", "args": {"n": 2}}, {"tag": "ok", "value": [0, 2]}))
    lines.append(line({"op": "run", "code": "import numpy as np\nnp.linalg.solve([[2.0, 0.0], [0.0, 4.0]], [2.0, 2.0])"},
                      {"tag": "ok", "value": [1.0, 0.5]}))
    lines.append(line({"op": "run", "code": "np.int16(7), np.array([[True]])"}, {"tag": "ok", "value": [7, [[True]]]}))
    with open(os.path.join(HERE, "numpy.jsonl"), "w", encoding="utf-8") as out:
        out.write("\n".join(lines) + "\n")
    print("numpy.jsonl: %d lines (Debian numpy %s)" % (len(lines), numpy.__version__))


if __name__ == "__main__":
    main()
