#!/usr/bin/env bash
# Checks the shape of build/python-reactor.wasm against ABI.md (version 2):
# it imports only WASI preview 1, host.callback and host.call (with the
# contract's signatures), and exports every call of the contract.
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

foreign=$(echo "$imports" | grep -vE '^(wasi_snapshot_preview1\.[a-z_]+|host\.callback|host\.call)$' || true)
check "imports only WASI preview 1, host.callback and host.call (found: $foreign)" test -z "$foreign"

import_type() {  # the signature of import $1
  local sig
  sig=$(wasm-objdump -x -j Import "$wasm" | grep "<$1>" | grep -oE 'sig=[0-9]+' | cut -d= -f2)
  [ -n "$sig" ] && wasm-objdump -x -j Type "$wasm" | grep -E "^ - type\[$sig\]" | sed 's/.*\] //'
}
cb_type=$(import_type host.callback)
check "imports host.callback: (i32, i32) -> nil (found: $cb_type)" test "$cb_type" = "(i32, i32) -> nil"
call_type=$(import_type host.call)
check "imports host.call: (i32, i32, i32, i32, i32) -> i32 (found: $call_type)" \
  test "$call_type" = "(i32, i32, i32, i32, i32) -> i32"

for name in memory abi_version alloc dealloc result_free init register_lambda \
            unregister_lambda apply_lambda register_def unregister_def apply_def \
            register_module unregister_module run set_memory_limit; do
  check "exports $name" grep -qx "$name" <<<"$exports"
done
check "has no _start (reactor, not command)" bash -c "! grep -qx _start <<<'$exports'"

size=$(stat -c %s "$wasm")
echo "size: $size bytes ($(gzip -9 -c "$wasm" | wc -c) gzipped)"
echo "artifact: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
