#!/usr/bin/env bash
# tests/numpy/suite/run.sh [TEST_FILE...] -- numpy's own test suite inside
# the numpy module, through the Node host: pytest 7.2 and its dependencies
# copied from Debian's dist-packages (python3-pytest, python3-hypothesis and
# what they need), numpy's tests from the numpy build's Python tree, one
# instance per test file. Prints pytest's summary per file.
#   --check       the files issue 16 names, with the known failures of
#                 tests/numpy/suite/known-failures.txt deselected; counts
#                 pytest's passed tests, and as failed every other failure
#                 or error (a file without a summary counts one): the
#                 "numpy-suite" suite of `make test` (docs/numpy.md).
#   NUMPY_PY=DIR  numpy's Python tree with tests (default: from build-numpy.sh)
#   LOGS=DIR      keep each file's whole pytest output there
#   TB=short      pytest's --tb (default line); EXTRA="-k expr ..." more pytest arguments
set -uo pipefail
cd "$(dirname "$0")/../../.."
wasm=build/python-reactor-numpy.wasm
np=${NUMPY_PY:-$(toolchain/numpy/build-numpy.sh)/py}
work=$(mktemp -d "${TMPDIR:-/tmp}/numpy-suite.XXXXXX")
trap 'rm -rf "$work"' EXIT
src=/usr/lib/python3/dist-packages
mkdir -p "$work/site" "$work/tmp"
cp tests/numpy/suite/pytest.ini "$work/tmp/pytest.ini"
for item in pytest pytest-7.2.1.dist-info _pytest py py.py pluggy pluggy-1.0.0+repack.egg-info iniconfig \
            iniconfig-1.1.1.egg-info packaging packaging-23.0.dist-info attr attrs attrs-22.2.0.dist-info \
            hypothesis hypothesis-6.67.1.egg-info sortedcontainers sortedcontainers-2.4.0.egg-info \
            dateutil six.py more_itertools _hypothesis_pytestplugin.py _hypothesis_ftz_detector.py; do
  [ -e "$src/$item" ] || { echo "missing $src/$item (apt install python3-pytest python3-hypothesis)"; exit 1; }
  cp -a "$src/$item" "$work/site/"
done
# Standard-library modules the guest leaves out (guest/stdlib_freeze.py's
# EXCLUDED) that pytest imports, from the same CPython source.
cpy=$(sed -n 's/^CPY := //p' build/cpython.mk)
for item in bdb.py pdb.py cmd.py code.py codeop.py doctest.py unittest pydoc.py pydoc_data getopt.py \
            optparse.py shlex.py glob.py; do
  [ -e "$work/site/$item" ] || cp -a "$cpy/src/Lib/$item" "$work/site/" 2>/dev/null || true
done
check=0 deselect=/dev/null
if [ "${1:-}" = --check ]; then
  check=1 deselect=tests/numpy/suite/known-failures.txt
  shift
  set -- numpy/_core/tests/test_multiarray.py numpy/_core/tests/test_umath.py numpy/_core/tests/test_numeric.py \
    numpy/_core/tests/test_ufunc.py numpy/linalg/tests/test_linalg.py numpy/fft/tests \
    numpy/random/tests/test_generator_mt19937.py
fi
passed=0 failed=0
tests=("$@")
[ ${#tests[@]} -gt 0 ] || tests=(numpy/_core/tests/test_numeric.py)
for t in "${tests[@]}"; do
  # The known failures become --deselect arguments here, in Python, so that
  # the shell never globs their brackets.
  cell=$(python3 -c 'import json, sys
ids = [l.strip() for l in open(sys.argv[2]) if l.strip() and not l.startswith("#")]
extra = ["--deselect=" + i for i in ids] + sys.argv[5:]
print(json.dumps({"op": "run", "code": "TESTS = %r\nTB = %r\nEXTRA = %r\n" % ([sys.argv[3]], sys.argv[4], extra) + open(sys.argv[1]).read()}))' \
         tests/numpy/suite/run_suite.py "$deselect" "$t" "${TB:-line}" ${EXTRA:-})
  start=$(date +%s)
  echo "$cell" | node hosts/js/cli.mjs batch --wasm "$wasm" --dir "$work/site:/site:ro" --dir "$np:/np:ro" \
    --dir "$work/tmp:/work:rw" --env PYTHONPATH=/site >"$work/out" 2>"$work/err"
  echo "=== $t ($(( $(date +%s) - start )) s): $(head -c 300 "$work/out")"
  grep -E "passed|failed|error|FAILED|ERROR|SKIPPED|XFAIL" "$work/err" | tail -60
  if [ -n "${LOGS:-}" ]; then mkdir -p "$LOGS" && cp "$work/err" "$LOGS/$(basename "$t" .py).log"; fi
  # pytest's last line: "N failed, N passed, N skipped, ... in S s".
  summary=$(grep -E "^(=+ )?[0-9]+ (passed|failed)" "$work/err" | tail -1)
  if [ -z "$summary" ]; then
    failed=$((failed + 1))
    echo "FAIL $t: no pytest summary" >&2
    continue
  fi
  count() { echo "$summary" | grep -oE "[0-9]+ $1" | awk '{s += $1} END {print s + 0}'; }
  passed=$((passed + $(count passed) + $(count xpassed) + $(count xfailed)))
  failed=$((failed + $(count failed) + $(count error)))
done
if [ "$check" -eq 1 ]; then
  echo "$passed passed, $failed failed"
  [ "$failed" -eq 0 ]
fi
