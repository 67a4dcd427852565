#!/usr/bin/env bash
# Checks the shape of build/python-reactor.wasm against ABI.md: it imports
# only WASI preview 1 and host.callback (with the contract's signature), and
# exports every call of the contract.
set -u
wasm=${1:-build/python-reactor.wasm}
pass=0
fail=0
check() {  # description, then a command that must succeed
  local what=$1; shift
  if "$@"; then pass=$((pass + 1)); else fail=$((fail + 1)); echo "FAIL: $what"; fi
}

imports=$(wasm-objdump -x -j Import "$wasm" | grep -oE '<- [^ ]+$' | cut -c4-)
exports=$(wasm-objdump -x -j Export "$wasm" | grep -oE -e '-> "[^"]+"' | tr -d '"' | cut -c4-)

foreign=$(echo "$imports" | grep -vE '^(wasi_snapshot_preview1\.[a-z_]+|host\.callback)$' || true)
check "imports only WASI preview 1 and host.callback (found: $foreign)" test -z "$foreign"
check "imports host.callback" grep -qx 'host.callback' <<<"$imports"

# host.callback is (i32, i32) -> nil
sig=$(wasm-objdump -x -j Import "$wasm" | grep '<host.callback>' | grep -oE 'sig=[0-9]+' | cut -d= -f2)
cb_type=$(wasm-objdump -x -j Type "$wasm" | grep -E "^ - type\[$sig\]" | sed 's/.*\] //')
check "host.callback has type (i32, i32) -> nil (found: $cb_type)" test "$cb_type" = "(i32, i32) -> nil"

for name in memory abi_version alloc dealloc result_free init register_lambda \
            unregister_lambda apply_lambda register_def unregister_def apply_def \
            register_module unregister_module; do
  check "exports $name" grep -qx "$name" <<<"$exports"
done
check "has no _start (reactor, not command)" bash -c "! grep -qx _start <<<'$exports'"

size=$(stat -c %s "$wasm")
echo "size: $size bytes ($(gzip -9 -c "$wasm" | wc -c) gzipped)"
echo "artifact: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
