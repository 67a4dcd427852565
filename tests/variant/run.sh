#!/usr/bin/env bash
# tests/variant/run.sh -- variants of the guest (guest/variant.mk,
# docs/numpy.md): the probe variant (two test-only extension modules under
# dotted names, tests/variant/probe_ext.c, and a small embedded package)
# through Node and Deno, snapshot and plain; the shared vectors on it (a
# variant keeps the contract); and the default module, which has none of
# it (node and native). Needs `make variant-probe`. Prints its counts.
set -uo pipefail
cd "$(dirname "$0")/../.."
probe=build/variants/probe
for f in "$probe/probe.wasm" "$probe/plain.wasm"; do
  [ -f "$f" ] || { echo "missing $f: run make variant-probe"; echo "0 passed, 1 failed"; exit 1; }
done
# shellcheck source=tests/vector-counts.sh
source tests/vector-counts.sh
deno=(node_modules/.bin/deno run --no-prompt --v8-flags=--stack-size=7680
      --allow-read=hosts/js,build/python-reactor.wasm,"$probe")
vectors variant-probe-node --no-shared --vectors tests/variant/probe.jsonl -- node hosts/js/cli.mjs batch --wasm "$probe/probe.wasm"
vectors variant-probe-plain-node --no-shared --vectors tests/variant/probe.jsonl -- node hosts/js/cli.mjs batch --wasm "$probe/plain.wasm"
vectors variant-probe-deno --no-shared --vectors tests/variant/probe.jsonl -- "${deno[@]}" hosts/js/cli.mjs batch --wasm "$probe/probe.wasm"
vectors variant-default-node --no-shared --vectors tests/variant/default.jsonl -- node hosts/js/cli.mjs batch
vectors variant-default-native --no-shared --vectors tests/variant/default.jsonl -- build/pyreactor batch
if [ -d ../shared/vectors/v2 ]; then
  vectors variant-probe-shared --vectors tests/vectors --vectors ../shared/vectors/v2/sandbox.jsonl \
    --vectors ../shared/vectors/v2/run.jsonl --vectors ../shared/vectors/v2/awaitables.jsonl \
    --vectors ../shared/vectors/v2/host.jsonl -- node hosts/js/cli.mjs batch --wasm "$probe/probe.wasm" \
    --host-function echo=cat --host-function "fail=sh -c 'echo nope >&2; exit 3'"
fi
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
