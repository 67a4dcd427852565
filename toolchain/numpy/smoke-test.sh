#!/usr/bin/env bash
# Proves that a build-numpy.sh result links and runs, without the guest:
# links a throwaway WASI command (smoke_main.c: CPython + every module of
# modules.txt in its inittab) from libnumpy.a and libpython, lists what the
# archive leaves undefined, and runs numpy code in it under node:wasi with
# CPython's Lib/ and the result's py/ as preopened directories.
#   toolchain/numpy/smoke-test.sh [NUMPY_DIR]   (default: build-numpy.sh's)
#   SMOKE_KEEP=/path/smoke.wasm keeps the linked module.
# Exit status 0 only when every check's output matches.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
. "$here/../config.sh"
CPY=${CPY:-$("$root/toolchain/build-cpython.sh")}
NUMPY_DIR=${1:-$(CPY=$CPY "$here/build-numpy.sh")}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# The inittab: dotted names as modules.txt gives them.
{ echo '#include <Python.h>'
  while read -r mod init; do echo "PyMODINIT_FUNC $init(void);"; done <"$NUMPY_DIR/modules.txt"
  echo 'struct _inittab smoke_numpy_inittab[] = {'
  while read -r mod init; do echo "  {\"$mod\", $init},"; done <"$NUMPY_DIR/modules.txt"
  echo '  {NULL, NULL}};'
} >"$work/table.c"

WCC="$WASI_CC --target=$WASI_TARGET --sysroot=$CPY/sysroot"
$WCC -O1 -I"$CPY/src/Include" -I"$CPY/wasm" -c "$here/smoke_main.c" -o "$work/main.o"
$WCC -O1 -I"$CPY/src/Include" -I"$CPY/wasm" -c "$work/table.c" -o "$work/table.o"

libs=("$NUMPY_DIR/libnumpy.a" "$CPY/wasm/libpython3.11.a"
      "$CPY/wasm/Modules/_decimal/libmpdec/libmpdec.a" "$CPY/wasm/Modules/expat/libexpat.a"
      "$CPY/zlib/libz.a")
syslibs=(-lc++ -lc++abi -lc-printscan-long-double -lwasi-emulated-signal -lwasi-emulated-getpid
         -lwasi-emulated-process-clocks -lm)

# What the archive needs from outside: linked without libpython and the
# system libraries, everything undefined is listed; each must then be
# resolved by the full link below (wasm-ld fails on any undefined symbol).
$WASI_LD --no-entry --export-dynamic --allow-undefined \
  $(while read -r mod init; do echo "--export=$init"; done <"$NUMPY_DIR/modules.txt") \
  "$NUMPY_DIR/libnumpy.a" -o "$work/archive-only.wasm" 2>/dev/null
node --no-warnings -e '
  const m = new WebAssembly.Module(require("fs").readFileSync(process.argv[1]));
  const imp = WebAssembly.Module.imports(m).filter(i => i.module === "env" && i.kind === "function");
  console.log(imp.map(i => i.name).sort().join("\n"));' "$work/archive-only.wasm" >"$work/undefined.txt"
echo "[smoke] libnumpy.a needs $(wc -l <"$work/undefined.txt") functions from outside (libpython, libc, libc++)" >&2

$WCC -z stack-size=8388608 -Wl,--initial-memory=67108864 -Wl,--max-memory=2147483648 \
  "$work/main.o" "$work/table.o" "${libs[@]}" "${syslibs[@]}" -o "$work/smoke.wasm" 2>"$work/link.txt" ||
  { cat "$work/link.txt" >&2; exit 1; }
# A signature mismatch is a call through the wrong prototype (a 32-bit
# `long` against an int64_t, say): it links, and computes garbage.
if [ -s "$work/link.txt" ]; then
  echo "[smoke] the link warned:" >&2; cat "$work/link.txt" >&2; exit 1
fi
echo "[smoke] linked: $(stat -c %s "$work/smoke.wasm") bytes" >&2
# SMOKE_KEEP=file keeps the linked module (size and speed experiments).
if [ -n "${SMOKE_KEEP:-}" ]; then cp "$work/smoke.wasm" "$SMOKE_KEEP"; fi

py=$NUMPY_DIR/py
cat >"$work/run.mjs" <<'JS'
import { WASI } from 'node:wasi';
import { readFileSync } from 'node:fs';
const [wasm, lib, py, code] = process.argv.slice(2);
const wasi = new WASI({ version: 'preview1', args: ['smoke', code],
                        preopens: { '/lib': lib, '/py': py } });
const { instance } = await WebAssembly.instantiate(readFileSync(wasm), wasi.getImportObject());
process.exitCode = wasi.start(instance);
JS

check() {  # name expected code
  local got
  got=$(node --no-warnings --stack-size=8000 "$work/run.mjs" "$work/smoke.wasm" "$CPY/src/Lib" "$py" "$3" 2>"$work/err.txt") || true
  if [ "$got" = "$2" ]; then
    echo "[smoke] ok   $1" >&2
  else
    echo "[smoke] FAIL $1: expected '$2', got '$got'" >&2
    tail -20 "$work/err.txt" >&2
    fails=$((fails + 1))
  fi
}
fails=0
check "import numpy; arange(10).sum()" "45" \
  'import numpy as np; print(np.arange(10).sum())'
check "broadcasting, float math" "[[1. 2.] [2. 3.]] 1.0" \
  'import numpy as np; a = np.arange(2.0)[:, None] + np.array([1.0, 2.0]); print(str(a).replace(chr(10), ""), np.sin(np.pi / 2))'
check "linalg.solve / inv / eigvals / det" "[1. 2.] True [2. 3.] 6.0" \
  'import numpy as np; A = np.array([[2.0, 1.0], [0.0, 3.0]]); print(np.linalg.solve(A, [4.0, 6.0]), np.allclose(A @ np.linalg.inv(A), np.eye(2)), np.sort(np.linalg.eigvals(A)), round(np.linalg.det(A), 12))'
check "legacy binomial/poisson (RandomState(1))" "[4 5 0 3 2] [0 0 0 1 1]" \
  'import numpy as np; r = np.random.RandomState(1); print(r.binomial(10, 0.4, 5), r.poisson(1.0, 5))'
check "fft" "[ 6.+0.j -2.+2.j -2.+0.j -2.-2.j]" \
  'import numpy as np; print(np.fft.fft([0.0, 1.0, 2.0, 3.0]))'
check "random.default_rng(42)" "[0.77395605 0.43887844 0.85859792]" \
  'import numpy as np; print(np.random.default_rng(42).random(3))'
check "legacy RandomState(0)" "[0.5488135  0.71518937 0.60276338]" \
  'import numpy as np; print(np.random.RandomState(0).random_sample(3))'
check "sort, longdouble" "[1 2 3] 16" \
  'import numpy as np; print(np.sort(np.array([3, 1, 2])), np.dtype(np.longdouble).itemsize)'
check "test modules import" "ok" \
  'import numpy._core._multiarray_tests, numpy._core._umath_tests, numpy._core._rational_tests, numpy._core._struct_ufunc_tests, numpy._core._operand_flag_tests, numpy.linalg.lapack_lite; print("ok")'
[ "$fails" = 0 ] || { echo "[smoke] $fails check(s) failed" >&2; exit 1; }
echo "[smoke] all checks passed" >&2
