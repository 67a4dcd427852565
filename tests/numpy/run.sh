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
wasm=build/python-reactor-numpy.wasm plain=build/python-reactor-numpy-plain.wasm
for f in "$wasm" "$plain"; do
  [ -f "$f" ] || { echo "missing $f: run make numpy"; echo "0 passed, 1 failed"; exit 1; }
done
# shellcheck source=tests/vector-counts.sh
source tests/vector-counts.sh
deno=(node_modules/.bin/deno run --no-prompt --v8-flags=--stack-size=7680
      --allow-read=hosts/js,build/python-reactor.wasm,"$wasm")
vectors numpy-node --no-shared --vectors tests/numpy/numpy.jsonl --vectors tests/numpy/snapshot.jsonl \
  -- node hosts/js/cli.mjs batch --wasm "$wasm"
vectors numpy-plain-node --no-shared --vectors tests/numpy/numpy.jsonl -- node hosts/js/cli.mjs batch --wasm "$plain"
vectors numpy-deno --no-shared --vectors tests/numpy/numpy.jsonl --vectors tests/numpy/snapshot.jsonl \
  -- "${deno[@]}" hosts/js/cli.mjs batch --wasm "$wasm"

# The native host's own compile of the numpy module (hosts/native/variant.mk).
if [ -x build/pyreactor-numpy ]; then
  vectors numpy-native --no-shared --vectors tests/numpy/numpy.jsonl --vectors tests/numpy/snapshot.jsonl \
    -- build/pyreactor-numpy batch
  # A pack made on top of the numpy module loads there without recompiling.
  pack_dir=$(mktemp -d "${TMPDIR:-/tmp}/numpy-pack.XXXXXX")
  mkdir -p "$pack_dir/site/shapes"
  printf 'import numpy as np\ndef area(r):\n    return float(np.pi * np.float64(r) ** 2)\n' > "$pack_dir/site/shapes/__init__.py"
  if build/pyreactor-numpy pack --packages "$pack_dir/site" --preload shapes -o "$pack_dir/np-pack.wasm" 2>"$pack_dir/err" &&
     out=$(echo '{"op":"run","code":"import shapes\nshapes.area(2)"}' |
           build/pyreactor-numpy --module "$pack_dir/np-pack.wasm" batch 2>&1) &&
     [ "$out" = '{"tag":"ok","value":12.566370614359172}' ]; then ok
  else bad "a pack on the numpy module in pyreactor-numpy: $(cat "$pack_dir/err") ${out:-}"; fi
  rm -rf "$pack_dir"
else
  bad "build/pyreactor-numpy missing: run make native-numpy"
fi

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
  shared_vectors() { # NAME HOST-COMMAND...
    local name=$1
    shift
    vectors "$name" --vectors tests/vectors --vectors ../shared/vectors/v2/sandbox.jsonl \
      --vectors ../shared/vectors/v2/run.jsonl --vectors ../shared/vectors/v2/awaitables.jsonl \
      --vectors ../shared/vectors/v2/host.jsonl -- "$@" \
      --host-function echo=cat --host-function "fail=sh -c 'echo nope >&2; exit 3'"
  }
  shared_vectors numpy-shared node hosts/js/cli.mjs batch --wasm "$wasm"
  shared_vectors numpy-shared-native build/pyreactor-numpy batch
fi
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
