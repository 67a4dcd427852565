#!/usr/bin/env bash
# The short fuzz run of `make test` (suite fuzz-short): each harness for
# FUZZ_SHORT_SECONDS (default 20) from the seed corpus alone, with a fixed
# -seed, in scratch directories under build/fuzz/short/. Two checks per
# harness: it ran to the end without a crash, leak, hang or broken
# invariant; and it executed at least a minimum of inputs, so that it cannot
# pass by not running. Ends with "N passed, N failed".
set -u
cd "$(dirname "$0")/../.."
. tests/fuzz/common.sh
seconds=${FUZZ_SHORT_SECONDS:-20}
# Measured on the 2-core build machine: 1100-1300 inputs (api, slow seeds
# first) and 8000-21000 (wasi) in 20 s.
min_execs=${FUZZ_SHORT_MIN_EXECS:-300}
base=build/fuzz/short
rm -rf "$base"
mkdir -p "$base"
passed=0 failed=0

check() {
  local what=$1 ok=$2
  if [[ $ok -eq 1 ]]; then
    passed=$((passed + 1))
  else
    failed=$((failed + 1))
    echo "FAIL $what"
  fi
}

for h in api wasi; do
  if [[ ! -x build/fuzz/fuzz_$h ]]; then
    check "$h: build/fuzz/fuzz_$h missing (make fuzz-bins)" 0
    check "$h: executed inputs" 0
    continue
  fi
  fuzz_one "$h" "$seconds" "$base/corpus-$h" "$base/artifacts" "$base/$h.log" -seed=1
  rc=$?
  check "$h: ran without findings (log $base/$h.log)" $((rc == 0))
  execs=${FUZZ_EXECS:-0}
  check "$h: executed $execs inputs, want at least $min_execs" $((execs >= min_execs))
done

echo "fuzz-short: $passed passed, $failed failed"
[[ $failed -eq 0 ]]
