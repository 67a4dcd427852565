#!/usr/bin/env bash
# Runs tests/deno/*.test.ts (the Deno FFI host, hosts/deno/) and ends with
# one plain line, "deno-ffi-unit: N passed, N failed", counted from Deno's
# TAP output, which has no totals of its own.
#
# PYREACTOR_LIB: the library (default build/libpyreactor.so);
# PYREACTOR_DENO: the batch launcher (default build/pyreactor-deno).
set -uo pipefail
cd "$(dirname "$0")/../.."
deno=${DENO:-node_modules/.bin/deno}
export PYREACTOR_LIB=${PYREACTOR_LIB:-$PWD/build/libpyreactor.so}
export PYREACTOR_DENO=${PYREACTOR_DENO:-$PWD/build/pyreactor-deno}
log=$(mktemp)
trap 'rm -f "$log"' EXIT

# --allow-ffi: the host (Deno's pointer calls want it unscoped); --allow-run:
# the launcher, cc (layout.test.ts) and the host functions' commands;
# --allow-write: temporary directories for the grants; --allow-env: the two
# paths above, and what node:child_process reads.
NO_COLOR=1 "$deno" test --reporter=tap --no-prompt --no-config \
  --allow-ffi --allow-read --allow-write --allow-run --allow-env \
  tests/deno/*.test.ts 2>&1 | tee "$log"
rc=${PIPESTATUS[0]}

passed=$(grep -cE '^ok [0-9]+' "$log")
failed=$(grep -cE '^not ok [0-9]+' "$log")
# Deno failing before or around the tests (no TAP lines) is a failure too.
if [ "$rc" -ne 0 ] && [ "$failed" -eq 0 ]; then failed=1; fi
echo "deno-ffi-unit: $passed passed, $failed failed"
exit "$rc"
