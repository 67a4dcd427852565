#!/usr/bin/env bash
# Profile-guided build of the guest object (clang only):
#
#   wasm2c-pgo.sh WASM OUTDIR PYLIB CC FLAGS...
#
# leaves OUTDIR/python_reactor.{o,h} as wasm2c-cache.sh does, compiled with
# -fprofile-instr-use of a profile made here:
#   1. the guest compiled with -fprofile-instr-generate (wasm2c-cache.sh);
#   2. the pyreactor command linked with it ($PGO_HOST_CC, $PGO_HOST_CFLAGS,
#      $PGO_HOST_SRC: the host C as the Makefile builds it);
#   3. that command runs CPython's own PGO training set (the test modules of
#      PYLIB/test/libregrtest/pgo.py, with PYLIB granted read-only) through
#      hosts/native/pgo_train.py, two at a time;
#   4. llvm-profdata merges the counts.
# Why: the generated C is one function per wasm function with no hint of
# which paths are hot; with the counts clang lays out the eval loop and the
# allocator for the paths real code takes. Measured on bench/kernels.py
# (which the training does not run): see docs/performance.md.
#
# The profile is cached next to the objects, keyed by everything it is made
# from; the final object's key includes the profile's bytes (wasm2c-cache.sh
# hashes files named by -fprofile-instr-use=), so a warm cache rebuilds
# nothing. From nothing: ~2 min instrumented compile, ~2 min training, ~1
# min final compile on 2 cores.
set -euo pipefail
wasm=$1 out=$2 pylib=$3 cc=$4
shift 4
flags=("$@")
here=$(cd "$(dirname "$0")" && pwd)
cache=${PYREACTOR_CACHE:-$HOME/.cache/python-wasi-reactor}
profdata=${LLVM_PROFDATA:-llvm-profdata-19}
jobs=${PYREACTOR_WASM2C_JOBS:-$(n=$(nproc); echo $((n < 2 ? n : 2)))}
: "${PGO_HOST_CC:?}" "${PGO_HOST_CFLAGS:?}" "${PGO_HOST_SRC:?}"
[[ -f $pylib/test/libregrtest/pgo.py ]] || { echo "wasm2c-pgo.sh: no $pylib/test/libregrtest/pgo.py" >&2; exit 1; }
mkdir -p "$cache" "$out"

key=$({ sha256sum <"$wasm" | cut -d' ' -f1
        "$cc" --version | head -1
        printf '%s\n' "${flags[@]}"
        # Not the host C: it only runs the training, and editing it should
        # not cost a new one.
        cat "$0" "$here/wasm2c-cache.sh" "$here/wasm2c-split.awk" "$here/pgo_train.py" \
            "$pylib/test/libregrtest/pgo.py" | sha256sum; } | sha256sum | cut -c1-16)
prof=$cache/pgo-$key.profdata

train() {
  local tmp=$1 start=$SECONDS
  "$here/wasm2c-cache.sh" "$wasm" "$tmp/gen" "$cc" "${flags[@]}" -fprofile-instr-generate
  # The host C is not instrumented (-fprofile-instr-generate at the link
  # only pulls in the runtime that writes the counts at exit).
  local objs=()
  for src in $PGO_HOST_SRC; do
    # The new header first: the flags may name a directory with an older one.
    # shellcheck disable=SC2086 # a list of flags
    "$PGO_HOST_CC" -I"$tmp/gen" $PGO_HOST_CFLAGS -c "$src" -o "$tmp/$(basename "$src" .c).o"
    objs+=("$tmp/$(basename "$src" .c).o")
  done
  "$cc" -o "$tmp/pyreactor" "${objs[@]}" "$tmp/gen/python_reactor.o" -fprofile-instr-generate -lpthread -lm
  local tests
  tests=$(grep -o "^ *'test_[a-z0-9_]*'," "$pylib/test/libregrtest/pgo.py" | tr -d " ',")
  [[ -n $tests ]] || { echo "wasm2c-pgo.sh: no test list in pgo.py" >&2; return 1; }
  mkdir -p "$tmp/profraw"
  echo "[native] PGO training: $(echo "$tests" | wc -w) test modules of CPython's PGO set, $jobs at a time"
  # One process per module: a crash or a hang (each call is limited) costs
  # that module's counts only. The results are kept in the log, not judged.
  echo "$tests" | LLVM_PROFILE_FILE="$tmp/profraw/%p.profraw" xargs -P "$jobs" -I{} \
    "$tmp/pyreactor" --timeout-ms 300000 --dir "$pylib:/pylib:ro" \
    call "$here/pgo_train.py" one '["{}"]' >"$tmp/train.log" 2>/dev/null || true
  local ran
  ran=$(grep -c '"run"' "$tmp/train.log" || true)
  if (( ran < 20 )); then
    echo "wasm2c-pgo.sh: only $ran test modules ran; the training is broken:" >&2
    cat "$tmp/train.log" >&2
    return 1
  fi
  "$profdata" merge -o "$tmp/merged.profdata" "$tmp"/profraw/*.profraw
  mv "$tmp/merged.profdata" "$prof"
  echo "[native] PGO profile in $((SECONDS - start))s: $ran test modules ran ($prof)"
}

if [[ -f $prof ]]; then
  echo "[native] PGO profile cached: $prof"
else
  tmp=$(mktemp -d "$cache/pgo-tmp.XXXXXX")
  trap 'rm -rf "$tmp"' EXIT
  train "$tmp"
  # Keep the 3 most recent profiles (2 MB each).
  ls -t "$cache"/pgo-*.profdata 2>/dev/null | tail -n +4 | xargs -r rm -f
fi
"$here/wasm2c-cache.sh" "$wasm" "$out" "$cc" "${flags[@]}" -fprofile-instr-use="$prof"
