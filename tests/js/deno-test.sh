#!/usr/bin/env bash
# Runs tests/js/*.test.mjs under Deno (from node_modules, see package.json)
# and ends with one plain line, "deno-unit: N passed, N failed, N skipped",
# counted from Deno's TAP output, which has no totals of its own.
set -uo pipefail
cd "$(dirname "$0")/../.."
deno=${DENO:-node_modules/.bin/deno}
log=$(mktemp)
trap 'rm -f "$log"' EXIT

# --v8-flags=--stack-size: Deno sizes a worker's thread from
#   resourceLimits.stackSizeMb but leaves V8's stack limit at its default; this
#   raises it for every thread (see hosts/js/README.md, "The stack").
# --allow-run: the CLI tests start deno itself; --allow-env=NODE_V8_COVERAGE:
#   Deno's child_process reads it; --allow-write=build: the preopen test's dir;
#   --allow-run=/usr/bin/ps: process-reactor.test.mjs sees whether a child is gone;
#   ln, mkfifo: wasi.test.mjs makes its fixture's links and FIFO with them (Deno's
#   own symlinkSync wants unscoped permissions); cat, sh, sleep: the commands
#   host-command.test.mjs runs as host functions.
NO_COLOR=1 "$deno" test --reporter=tap --no-check --no-prompt \
  --v8-flags=--stack-size=7680 \
  --allow-read=hosts/js,build --allow-write=build \
  --allow-run="$(readlink -f "$deno")",/usr/bin/ps,/usr/bin/ln,/usr/bin/mkfifo,/usr/bin/cat,/usr/bin/sh,/usr/bin/sleep \
  --allow-env=NODE_V8_COVERAGE \
  tests/js/*.test.mjs 2>&1 | tee "$log"
rc=${PIPESTATUS[0]}

skipped=$(grep -cE '^ok [0-9]+ .*# SKIP' "$log")
passed=$(( $(grep -cE '^ok [0-9]+' "$log") - skipped ))
failed=$(grep -cE '^not ok [0-9]+' "$log")
# Deno failing before or around the tests (no TAP lines) is a failure too.
if [ "$rc" -ne 0 ] && [ "$failed" -eq 0 ]; then failed=1; fi
echo "deno-unit: $passed passed, $failed failed, $skipped skipped"
exit "$rc"
