#!/usr/bin/env bash
# Runs every native suite (normal build, then the ASan/UBSan build) and ends
# with "N passed, N failed". `make native-test` builds what it needs first.
# Each suite is also runnable on its own: see docs/native-api.md.
set -u
cd "$(dirname "$0")/../.."
total_pass=0 total_fail=0

suite() {
  local name=$1; shift
  local log
  log=$(mktemp)
  "$@" >"$log" 2>&1 </dev/null
  local rc=$? p f
  read -r p f < <(grep -oE '[0-9]+ passed, [0-9]+ failed' "$log" | tail -1 | awk '{print $1, $3}')
  p=${p:-0} f=${f:-1}
  if [[ $rc -ne 0 && $f -eq 0 ]]; then f=1; fi
  total_pass=$((total_pass + p)) total_fail=$((total_fail + f))
  printf '%-26s %4d passed %4d failed\n' "$name" "$p" "$f"
  if [[ $f -ne 0 ]]; then tail -20 "$log" | sed 's/^/    | /'; fi
  rm -f "$log"
}

T=build/native-tests A=build/asan
# ABI 2's vectors; host.jsonl needs the two host functions below.
V2=(../shared/vectors/v2/sandbox.jsonl ../shared/vectors/v2/run.jsonl
    ../shared/vectors/v2/awaitables.jsonl ../shared/vectors/v2/host.jsonl)
V2_FLAGS=() && for f in "${V2[@]}"; do V2_FLAGS+=(--vectors "$f"); done
HF=(--host-function echo=cat --host-function "fail=sh -c 'echo nope >&2; exit 3'")
suite native-vectors-batch node tests/js/run-vectors.mjs --name native --vectors tests/vectors "${V2_FLAGS[@]}" -- build/pyreactor batch "${HF[@]}"
suite native-vectors-api $T/test_vectors_api ../shared/vectors tests/vectors "${V2[@]}"
suite native-hostile node tests/js/run-vectors.mjs --name native-hostile --no-shared --vectors tests/hostile -- build/pyreactor batch --timeout-ms 20000 --memory-mb 512
suite native-api $T/test_api
suite native-calls $T/test_calls
suite native-host-functions $T/test_host_functions
suite native-sandbox $T/test_sandbox tests/sandbox/probes
suite native-traps $T/test_traps
suite native-packs $T/test_packs build/python-reactor.wasm
suite native-hot-pages $T/test_hot_pages build/python-reactor.wasm
suite native-wasi $T/test_wasi
suite native-json $T/test_json
suite native-cli tests/native/test_cli.sh build/pyreactor
suite native-split tests/native/test_split.sh
suite native-readme tests/native/test_readme.sh
suite native-exports tests/native/test_exports.sh
suite native-asan tests/native/run-asan.sh

echo "$total_pass passed, $total_fail failed"
[[ $total_fail -eq 0 ]]
