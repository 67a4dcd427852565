#!/usr/bin/env bash
# The splitter's fixed table (hosts/native/wasm2c/wasm2c-split.awk), on small
# modules: the table is fixed only when nothing can change it, and calls give
# the same results and the same traps either way: an index equal to the
# table's size or far past it, a null entry, an entry of another signature.
# Built with wabt's own runtime, not ours: this tests the generated code.
set -u
cd "$(dirname "$0")/../.." || exit 1
src=tests/native/split
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
pass=0 fail=0
check() { # what got want
  if [[ $2 == *"$3"* ]]; then pass=$((pass + 1)); else fail=$((fail + 1)); echo "FAIL $1: want '$3', got '$2'"; fi
}
calls="1:40 2:21 3:trap 0:trap 4:trap 5:trap 4294967295:trap"
for case in "fixed|fixed table: 5 entries, 1 indirect calls" \
            "mutable|table not fixed (a table operation in a body)" \
            "exported|table not fixed (0 initializations of the table w2c_T0)"; do
  name=${case%%|*} want=${case#*|}
  dir=$tmp/$name
  mkdir -p "$dir/split"
  if ! wat2wasm "$src/$name.wat" -o "$dir/m.wasm" || ! wasm2c -n python_reactor "$dir/m.wasm" -o "$dir/python_reactor.c"; then
    fail=$((fail + 1)); echo "FAIL $name: wat2wasm/wasm2c"; continue
  fi
  said=$(awk -v parts=2 -v out="$dir/split" -f hosts/native/wasm2c/wasm2c-split.awk \
    "$dir/python_reactor.c" "$dir/python_reactor.c" 2>&1 >/dev/null)
  check "$name: splitter" "$said" "$want"
  if ! clang-19 -O2 -w -I/usr/src/wasm2c -I"$dir" -I"$dir/split" -o "$dir/driver" \
      "$dir"/split/*.c "$src/driver.c" /usr/src/wasm2c/wasm-rt-impl.c -lm; then
    fail=$((fail + 1)); echo "FAIL $name: compile"; continue
  fi
  check "$name: calls" "$("$dir/driver")" "$calls"
done
echo "native-split: $pass passed, $fail failed"
[[ $fail -eq 0 ]]
