#!/usr/bin/env bash
# Runs every test suite of the project, keeps each one's full output in
# build/test-results/NAME.log, and ends with one line: "N passed, N failed".
# A suite that crashes or exits non-zero without reporting a failure counts
# as one failure, so nothing can pass by not running.
set -u
cd "$(dirname "$0")/.."
results=build/test-results
rm -rf "$results"
mkdir -p "$results"

total_pass=0
total_fail=0

# Counts from a suite's output: TAP's "# pass N" / "# fail N", or the plain
# "N passed, N failed" line every other runner here prints.
counts() {
  local log=$1 p f
  p=$(grep -E '^# pass [0-9]+' "$log" | tail -1 | awk '{print $3}')
  f=$(grep -E '^# fail [0-9]+' "$log" | tail -1 | awk '{print $3}')
  if [ -z "$p" ]; then
    read -r p f < <(grep -oE '[0-9]+ passed, [0-9]+ failed' "$log" | tail -1 | awk '{print $1, $3}')
  fi
  echo "${p:-} ${f:-}"
}

suite() {
  local name=$1; shift
  local log=$results/$name.log start=$SECONDS
  printf "%-28s " "$name"
  "$@" >"$log" 2>&1 </dev/null
  local rc=$?
  read -r p f < <(counts "$log")
  if [ -z "$p" ]; then p=0; f=1; echo "(no test count in output)" >>"$log"; fi
  if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then f=1; fi
  total_pass=$((total_pass + p))
  total_fail=$((total_fail + f))
  if [ "$f" -eq 0 ]; then
    printf 'ok    %4d passed          (%ds)\n' "$p" $((SECONDS - start))
  else
    printf 'FAIL  %4d passed %4d failed (%ds)  log: %s\n' "$p" "$f" $((SECONDS - start)) "$log"
    tail -25 "$log" | sed 's/^/    | /'
  fi
}

. tests/suites.sh

echo
echo "$total_pass passed, $total_fail failed"
[ "$total_fail" -eq 0 ]
