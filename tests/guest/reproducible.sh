#!/usr/bin/env bash
# The snapshot must be reproducible: the same plain module gives the same
# snapshot bytes (no entropy, clock reading or stale stack in it), so that
# builds can be checked and the native host's compiled-module cache, keyed
# by the module's hash, keeps hitting. Re-runs Wizer and compares.
set -u
plain=${1:-build/python-reactor-plain.wasm}
snapshot=${2:-build/python-reactor.wasm}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
pass=0 fail=0
node_modules/.bin/wizer --allow-wasi --inherit-env false --wasm-bulk-memory true \
  --wasm-multi-value true --wasm-reference-types true -o "$tmp/again.wasm" "$plain"
if cmp "$tmp/again.wasm" "$snapshot"; then
  pass=$((pass + 1))
else
  fail=$((fail + 1)); echo "FAIL: a second Wizer run gave different bytes"
  cmp -l "$tmp/again.wasm" "$snapshot" | head -5
fi
echo "reproducible: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
