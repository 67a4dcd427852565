#!/usr/bin/env bash
# `make fuzz`: each harness for FUZZ_SECONDS (default 600), one after the
# other (the build machine has two cores, and each harness is one process).
# Corpora accumulate in build/fuzz/corpus-{api,wasi} across runs; crashes,
# leaks and hangs go to build/fuzz/artifacts/. Fails if either run failed or
# found anything. Extra libFuzzer flags: FUZZ_FLAGS="-seed=1 ..."; one
# harness only: FUZZ_HARNESSES=wasi.
set -u
cd "$(dirname "$0")/../.."
. tests/fuzz/common.sh
seconds=${FUZZ_SECONDS:-600}
status=0
for h in ${FUZZ_HARNESSES:-api wasi}; do
  # shellcheck disable=SC2086
  fuzz_one "$h" "$seconds" "build/fuzz/corpus-$h" build/fuzz/artifacts "build/fuzz/fuzz-$h.log" \
    ${FUZZ_FLAGS:-} || status=1
done
[[ $status -eq 0 ]] && echo "fuzz: nothing found" || echo "fuzz: FINDINGS (see build/fuzz/artifacts/)"
exit $status
