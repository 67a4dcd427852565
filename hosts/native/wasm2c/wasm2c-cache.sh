#!/usr/bin/env bash
# Compiles python-reactor.wasm to one native object through wasm2c, once per
# distinct input, cached in
#   ~/.cache/python-wasi-reactor/wasm2c-<key>.{o,h}
# where <key> hashes the wasm's sha256, the wasm2c and compiler versions, the
# flags and the splitter: rebuilding host code, or `make clean`, never
# recompiles the guest.
#
#   wasm2c-cache.sh WASM OUTDIR CC FLAGS...
# leaves OUTDIR/python_reactor.o and OUTDIR/python_reactor.h.
#
# The generated C (~90 MB) is rewritten and split by wasm2c-split.awk into
# 10 units, compiled $PYREACTOR_WASM2C_JOBS (default: up to 2) at a time:
# about 70 s and 400 MB per compiler on 2 cores, where the file as wasm2c
# writes it took gcc -O2 18 minutes and 14 GB (see the awk script for why).
set -euo pipefail
wasm=$1 out=$2 cc=$3
shift 3
flags=("$@")
here=$(cd "$(dirname "$0")" && pwd)
splitter=$here/wasm2c-split.awk
parts=8
jobs=${PYREACTOR_WASM2C_JOBS:-$(n=$(nproc); echo $((n < 2 ? n : 2)))}

cache=${PYREACTOR_CACHE:-$HOME/.cache/python-wasi-reactor}
mkdir -p "$cache" "$out"
key=$({ sha256sum <"$wasm" | cut -d' ' -f1
        wasm2c --version
        "$cc" --version | head -1
        printf '%s\n' "${flags[@]}" "parts=$parts"
        # A profile (wasm2c-pgo.sh) counts by its bytes, not its name.
        for f in "${flags[@]}"; do
          if [[ $f == -fprofile-instr-use=* ]]; then sha256sum <"${f#-fprofile-instr-use=}"; fi
        done
        sha256sum <"$splitter"; } | sha256sum | cut -c1-16)
obj=$cache/wasm2c-$key.o
hdr=$cache/wasm2c-$key.h

build() {
  local tmp=$1 start=$SECONDS
  wasm2c -n python_reactor "$wasm" -o "$tmp/python_reactor.c"
  echo "[native] wasm2c: $((SECONDS - start))s ($(du -m "$tmp/python_reactor.c" | cut -f1) MB of C)"
  start=$SECONDS
  # In the run's own temporary directory: two builds at once (two make
  # runs in one tree) must not delete each other's units.
  local split=$tmp/split
  mkdir -p "$split"
  awk -v parts=$parts -v out="$split" -f "$splitter" "$tmp/python_reactor.c" "$tmp/python_reactor.c"
  echo "[native] compiling the guest in $((parts + 2)) units, $jobs at a time ($cc ${flags[*]})"
  (cd "$split" && ls ./*.c) | xargs -P "$jobs" -I{} \
    "$cc" "${flags[@]}" -I"$tmp" -I"$split" -c "$split/{}" -o "$split/{}.o"
  # One relocatable object; the functions made global for the split become
  # local again, so the object exports exactly the Z_* symbols.
  ld -r -o "$tmp/combined.o" "$split"/*.c.o
  objcopy --localize-hidden "$tmp/combined.o" "$tmp/o"
  rm -rf "$split" "$tmp/python_reactor.c"
  echo "[native] guest compiled in $((SECONDS - start))s"
}

if [[ -f $obj && -f $hdr ]]; then
  echo "[native] wasm2c object cached: $obj"
else
  tmp=$(mktemp -d "$cache/wasm2c-tmp.XXXXXX")
  trap 'rm -rf "$tmp"' EXIT
  build "$tmp"
  cp "$tmp/python_reactor.h" "$tmp/h"
  mv "$tmp/h" "$hdr" # header first: an object without its header is a miss
  mv "$tmp/o" "$obj"
  # Keep the 6 most recent guests (15-30 MB each; a PGO build makes two),
  # so switching branches back and forth stays cheap without the cache
  # growing forever.
  ls -t "$cache"/wasm2c-*.o 2>/dev/null | tail -n +7 | while read -r old; do
    rm -f "$old" "${old%.o}.h"
  done
fi
# The header goes in place only when it changed, so host code is recompiled
# only when the guest's interface did.
cmp -s "$hdr" "$out/python_reactor.h" 2>/dev/null || cp "$hdr" "$out/python_reactor.h"
cp "$obj" "$out/python_reactor.o"
