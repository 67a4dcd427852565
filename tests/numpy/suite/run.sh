#!/usr/bin/env bash
# tests/numpy/suite/run.sh [TEST_FILE...] -- numpy's own test suite inside
# the numpy module, through the Node host: pytest 7.2 and its dependencies
# copied from Debian's dist-packages (python3-pytest, python3-hypothesis and
# what they need), numpy's tests from the numpy build's Python tree, one
# instance per test file. Prints pytest's summary per file. Not part of
# `make test` yet: a first look (docs/numpy.md, "numpy's own tests").
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
tests=("$@")
[ ${#tests[@]} -gt 0 ] || tests=(numpy/_core/tests/test_numeric.py)
for t in "${tests[@]}"; do
  cell=$(python3 -c 'import json, sys; print(json.dumps({"op": "run", "code": "TESTS = %r\nTB = %r\nEXTRA = %r\n" % ([sys.argv[2]], sys.argv[3], sys.argv[4:]) + open(sys.argv[1]).read()}))' \
         tests/numpy/suite/run_suite.py "$t" "${TB:-line}" ${EXTRA:-})
  start=$(date +%s)
  echo "$cell" | node hosts/js/cli.mjs batch --wasm "$wasm" --dir "$work/site:/site:ro" --dir "$np:/np:ro" \
    --dir "$work/tmp:/work:rw" --env PYTHONPATH=/site >"$work/out" 2>"$work/err"
  echo "=== $t ($(( $(date +%s) - start )) s): $(head -c 300 "$work/out")"
  grep -E "passed|failed|error|FAILED|ERROR|SKIPPED|XFAIL" "$work/err" | tail -60
  if [ -n "${LOGS:-}" ]; then mkdir -p "$LOGS" && cp "$work/err" "$LOGS/$(basename "$t" .py).log"; fi
done
