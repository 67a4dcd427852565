# tests/vector-counts.sh -- sourced by suite scripts that run several vector
# files through tests/js/run-vectors.mjs and add up the counts:
#   ok / bad WHY          count one check of the script's own
#   vectors NAME ARGS...  run-vectors.mjs --name NAME ARGS... (vector files,
#                         then -- and the host command); its counts are added,
#                         a non-zero exit with no failure counted counts one
# The script ends with: echo "$passed passed, $failed failed".
passed=0 failed=0
ok() { passed=$((passed + 1)); }
bad() { failed=$((failed + 1)); echo "FAIL: $*" >&2; }
vectors() {
  local name=$1 out
  shift
  out=$(node tests/js/run-vectors.mjs --name "$name" "$@" 2>&1)
  local rc=$?
  echo "$out" | tail -8
  local p f
  read -r p f < <(echo "$out" | grep -oE '[0-9]+ passed, [0-9]+ failed' | tail -1 | awk '{print $1, $3}')
  passed=$((passed + ${p:-0}))
  failed=$((failed + ${f:-1}))
  if [ "$rc" -ne 0 ] && [ "${f:-1}" -eq 0 ]; then failed=$((failed + 1)); fi
}
