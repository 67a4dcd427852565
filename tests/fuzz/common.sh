# tests/fuzz/common.sh -- sourced by run.sh (make fuzz) and run-short.sh
# (make test): runs one harness and reads its figures back.
#
# fuzz_one HARNESS SECONDS CORPUS_DIR ARTIFACT_DIR LOG [libFuzzer flags...]
#   Runs build/fuzz/fuzz_HARNESS for SECONDS over CORPUS_DIR (new inputs
#   land there) plus the seeds in tests/fuzz/corpus/HARNESS, with the
#   harness's dictionary. Sets FUZZ_RC, FUZZ_EXECS, FUZZ_RATE, FUZZ_COV,
#   FUZZ_FT, FUZZ_CORPUS, FUZZ_FINDINGS (new crash/leak/timeout/oom files in
#   ARTIFACT_DIR, named HARNESS-*), prints one summary line, and returns
#   non-zero if the run failed or found anything.

# Inputs grow up to this size (the API harness repeats texts itself when it
# wants big ones).
FUZZ_MAX_LEN_api=16384
FUZZ_MAX_LEN_wasi=4096

findings_in() {
  local dir=$1 h=$2
  find "$dir" -maxdepth 1 -type f \( -name "$h-crash-*" -o -name "$h-leak-*" \
    -o -name "$h-timeout-*" -o -name "$h-oom-*" \) 2>/dev/null | sort
}

# The scratch directories of fuzz_wasi processes that died without cleaning
# up (a crash aborts before atexit); never those of a live process.
remove_stale_scratch() {
  local d pid
  for d in /tmp/pyreactor-fuzz-wasi-*; do
    [[ -d $d ]] || continue
    pid=${d#/tmp/pyreactor-fuzz-wasi-}
    pid=${pid%%-*}
    kill -0 "$pid" 2>/dev/null || rm -rf "$d"
  done
}

fuzz_one() {
  local h=$1 seconds=$2 corpus=$3 artifacts=$4 log=$5
  shift 5
  local max_len_var=FUZZ_MAX_LEN_$h
  mkdir -p "$corpus" "$artifacts"
  local before start=$SECONDS
  before=$(findings_in "$artifacts" "$h")
  # Through a pipe: fuzz_wasi caps file sizes (RLIMIT_FSIZE), which must not
  # cut its own log short.
  "build/fuzz/fuzz_$h" -max_total_time="$seconds" -timeout=60 -rss_limit_mb=4096 \
    -max_len="${!max_len_var}" -dict="tests/fuzz/$h.dict" -print_final_stats=1 \
    -artifact_prefix="$artifacts/$h-" "$@" "$corpus" "tests/fuzz/corpus/$h" 2>&1 | cat >"$log"
  FUZZ_RC=${PIPESTATUS[0]}
  remove_stale_scratch
  local last
  last=$(grep -E '^#[0-9]+[[:space:]]+(INITED|NEW|REDUCE|pulse|DONE)' "$log" | tail -1)
  FUZZ_EXECS=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
  FUZZ_RATE=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log" | tail -1)
  FUZZ_COV=$(grep -oE 'cov: [0-9]+' <<<"$last" | awk '{print $2}')
  FUZZ_FT=$(grep -oE 'ft: [0-9]+' <<<"$last" | awk '{print $2}')
  FUZZ_CORPUS=$(grep -oE 'corp: [0-9]+/[0-9]+[a-zA-Z]+' <<<"$last" | awk '{print $2}')
  FUZZ_FINDINGS=$(comm -13 <(echo "$before") <(findings_in "$artifacts" "$h") | grep -c .)
  echo "$h: ${FUZZ_EXECS:-0} execs in $((SECONDS - start)) s (${FUZZ_RATE:-0}/s), cov ${FUZZ_COV:-?} ft ${FUZZ_FT:-?}," \
    "corpus ${FUZZ_CORPUS:-?} (inputs/bytes), ${FUZZ_FINDINGS} findings, exit ${FUZZ_RC}  log: $log"
  if [[ $FUZZ_FINDINGS -ne 0 || $FUZZ_RC -ne 0 ]]; then
    comm -13 <(echo "$before") <(findings_in "$artifacts" "$h") | sed 's/^/  finding: /'
    grep -E -m1 -A25 'ERROR: |invariant broken|runtime error:' "$log" | sed 's/^/  | /'
    return 1
  fi
  return 0
}
