#!/usr/bin/env bash
# The native suites against the AddressSanitizer + UndefinedBehaviorSanitizer
# build in build/asan/ (`make native-asan`). Host-side C is instrumented; the
# wasm2c object is not.
#
# wasm2c-compiled code reports out-of-bounds accesses and stack exhaustion
# by faulting, and our SIGSEGV handler turns those faults into traps.
# allow_user_segv_handler=1 lets that handler replace ASan's (ASan's is still
# called, through our chaining, for faults that are not the guest's).
set -u
cd "$(dirname "$0")/../.."
export ASAN_OPTIONS=allow_user_segv_handler=1:handle_segv=1:detect_leaks=1:abort_on_error=0
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
A=build/asan
passed=0 failed=0

run() {
  local name=$1; shift
  local out rc p f
  out=$("$@" 2>&1 </dev/null)
  rc=$?
  read -r p f < <(grep -oE '[0-9]+ passed, [0-9]+ failed' <<<"$out" | tail -1 | awk '{print $1, $3}')
  p=${p:-0} f=${f:-1}
  # Any sanitizer report fails the suite even if the program carried on.
  if grep -qE 'ERROR: (Address|Leak)Sanitizer|runtime error:' <<<"$out"; then
    f=$((f + 1))
    grep -E -A12 'ERROR: (Address|Leak)Sanitizer|runtime error:' <<<"$out" | head -40
  fi
  if [[ $rc -ne 0 && $f -eq 0 ]]; then f=1; fi
  echo "asan/$name: $p passed, $f failed"
  if [[ $f -ne 0 ]]; then tail -15 <<<"$out" | sed 's/^/    | /'; fi
  passed=$((passed + p)) failed=$((failed + f))
}

# ABI 2's vectors; host.jsonl needs the two host functions below.
V2=(../shared/vectors/v2/sandbox.jsonl ../shared/vectors/v2/run.jsonl
    ../shared/vectors/v2/awaitables.jsonl ../shared/vectors/v2/host.jsonl)
V2_FLAGS=() && for f in "${V2[@]}"; do V2_FLAGS+=(--vectors "$f"); done
HF=(--host-function echo=cat --host-function "fail=sh -c 'echo nope >&2; exit 3'")
run vectors-batch node tests/js/run-vectors.mjs --name native-asan --vectors tests/vectors "${V2_FLAGS[@]}" -- $A/pyreactor batch "${HF[@]}"
run vectors-api $A/test_vectors_api ../shared/vectors tests/vectors "${V2[@]}"
run hostile node tests/js/run-vectors.mjs --name native-asan-hostile --no-shared --vectors tests/hostile -- $A/pyreactor batch --timeout-ms 20000 --memory-mb 512
run api $A/test_api
run calls $A/test_calls
run host-functions $A/test_host_functions
run sandbox $A/test_sandbox tests/sandbox/probes
run traps $A/test_traps
run packs $A/test_packs build/python-reactor.wasm
run hot-pages $A/test_hot_pages build/python-reactor.wasm
run wasi $A/test_wasi
run json $A/test_json
run cli tests/native/test_cli.sh $A/pyreactor

echo "native-asan: $passed passed, $failed failed"
[[ $failed -eq 0 ]]
