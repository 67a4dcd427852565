#!/usr/bin/env bash
# tests/numpy/run.sh -- the numpy module (docs/numpy.md): numpy.jsonl
# (every kind of numpy value as JSON, and numpy's work -- arithmetic,
# broadcasting, reductions, linalg, fft, seeded generators -- compared with
# Debian's native numpy, tests/numpy/make_vectors.py) through Node (snapshot
# and plain) and Deno; the snapshot's preloads and the per-instance reseed
# of numpy's global generator; the shared vectors on the numpy module.
# Needs `make numpy`. Prints its counts; exits non-zero on any failure.
set -uo pipefail
cd "$(dirname "$0")/../.."
passed=0 failed=0
wasm=build/python-reactor-numpy.wasm plain=build/python-reactor-numpy-plain.wasm
for f in "$wasm" "$plain"; do
  [ -f "$f" ] || { echo "missing $f: run make numpy"; echo "0 passed, 1 failed"; exit 1; }
done
ok() { passed=$((passed + 1)); }
bad() { failed=$((failed + 1)); echo "FAIL numpy: $*" >&2; }
vectors() { # NAME VECTOR-ARGS... -- COMMAND...
  local name=$1 out
  shift
  out=$(node tests/js/run-vectors.mjs --name "$name" "$@" 2>&1)
  local rc=$?
  echo "$out" | tail -8
  local p f
  read -r p f < <(echo "$out" | grep -oE '[0-9]+ passed, [0-9]+ failed' | tail -1 | awk '{print $1, $3}')
  passed=$((passed + ${p:-0}))
  failed=$((failed + ${f:-1}))
  if [ "$rc" -ne 0 ] && [ "${f:-1}" -eq 0 ]; then failed=$((failed + 1)); fi
}
deno=(node_modules/.bin/deno run --no-prompt --v8-flags=--stack-size=7680
      --allow-read=hosts/js,build/python-reactor.wasm,"$wasm")
vectors numpy-node --no-shared --vectors tests/numpy/numpy.jsonl --vectors tests/numpy/snapshot.jsonl \
  -- node hosts/js/cli.mjs batch --wasm "$wasm"
vectors numpy-plain-node --no-shared --vectors tests/numpy/numpy.jsonl -- node hosts/js/cli.mjs batch --wasm "$plain"
vectors numpy-deno --no-shared --vectors tests/numpy/numpy.jsonl --vectors tests/numpy/snapshot.jsonl \
  -- "${deno[@]}" hosts/js/cli.mjs batch --wasm "$wasm"

# Each instance made from the snapshot reseeds numpy's global generator
# (and `random`): two instances draw differently; a fixed seed still fixes it.
draw='{"op":"run","code":"import numpy as np, random\n[int(np.random.randint(2**31)), int(np.random.default_rng().integers(2**31)), random.random()]"}'
seeded='{"op":"run","code":"import numpy as np\nnp.random.seed(5)\nint(np.random.randint(2**31))"}'
a=$(printf '%s\n%s\n' "$draw" "$seeded" | node hosts/js/cli.mjs batch --wasm "$wasm" 2>&1)
b=$(printf '%s\n%s\n' "$draw" "$seeded" | node hosts/js/cli.mjs batch --wasm "$wasm" 2>&1)
if [ "$(echo "$a" | head -1)" != "$(echo "$b" | head -1)" ] && echo "$a" | head -1 | grep -q '"tag":"ok"'; then ok
else bad "two instances drew the same numbers (or failed): $a / $b"; fi
if [ "$(echo "$a" | tail -1)" = "$(echo "$b" | tail -1)" ] && echo "$a" | tail -1 | grep -q '"tag":"ok"'; then ok
else bad "np.random.seed(5) gave different draws: $a / $b"; fi

if [ -d ../shared/vectors/v2 ]; then
  vectors numpy-shared --vectors tests/vectors --vectors ../shared/vectors/v2/sandbox.jsonl \
    --vectors ../shared/vectors/v2/run.jsonl --vectors ../shared/vectors/v2/awaitables.jsonl \
    --vectors ../shared/vectors/v2/host.jsonl -- node hosts/js/cli.mjs batch --wasm "$wasm" \
    --host-function echo=cat --host-function "fail=sh -c 'echo nope >&2; exit 3'"
fi
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
