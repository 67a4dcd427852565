#!/usr/bin/env bash
# Builds, once per machine, numpy 2.2.6's extension modules for wasm32-wasi
# as one static archive, and numpy's Python part, into
# $CACHE_ROOT/numpy-<key>, where <key> hashes the two source archives, these
# scripts, the patches, the flags, the compiler and the CPython build the
# modules compile against. Prints the path of the result (see README.md for
# what it holds).
#
# Sources: numpy-2.2.6-src.tar.xz and cython-3.1.8-src.tar.xz from
# $NUMPY_SOURCES (default: ../shared/sources next to the project root),
# checked against the sha256 sums below before anything is unpacked.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
. "$here/../config.sh"

NUMPY_VERSION=2.2.6
NUMPY_TAR=numpy-$NUMPY_VERSION-src.tar.xz
NUMPY_SHA256=8aec09b0a32355d2669d889be5adf84caf5714860b2a6349e36d345e7332af50
CYTHON_VERSION=3.1.8
CYTHON_TAR=cython-$CYTHON_VERSION-src.tar.xz
CYTHON_SHA256=274c4158fcfd9d719bc04c99549cf5174133fab61523285e43d9c29a2b3e8017
sources=${NUMPY_SOURCES:-$root/../shared/sources}

# The CPython build whose headers (pyconfig.h for wasm32-wasi) the modules
# are compiled against, and whose native python runs the generators.
CPY=${CPY:-$("$root/toolchain/build-cpython.sh")}
PY=$CPY/native/python

# -O2 as the rest of the guest. NPY_DISABLE_OPTIMIZATION: wasm32 has no CPU
# features numpy knows, so no dispatch (meson's -Ddisable-optimization).
# -ftrapping-math as numpy's meson.build gives clang; the wasm target ignores
# it with a warning (no FP exception flags in wasm), which is silenced as
# meson silences it. No C++ exceptions in this toolchain (-fno-exceptions,
# numpy's own C++ flags; patches/ make pocketfft build without them).
NUMPY_OPT_FLAGS=${NUMPY_OPT_FLAGS:-$WASI_OPT_FLAGS}
common="$NUMPY_OPT_FLAGS -DNDEBUG -DNPY_DISABLE_OPTIMIZATION -ftrapping-math -Wno-unsupported-floating-point-opt \
 -D_FILE_OFFSET_BITS=64 -D_LARGEFILE_SOURCE=1 -D_LARGEFILE64_SOURCE=1"
cflags="$common -std=c11 -fno-strict-aliasing"
# CPython 3.11.2's Include/cpython/pthread_stubs.h (WASI only) spells C99's
# `restrict`, which C++ does not have: clang's __restrict stands in for it.
cxxflags="$common -std=c++17 -fno-exceptions -fno-rtti -Drestrict=__restrict"

verify() {  # file sha256
  if [ ! -f "$1" ]; then
    echo "error: $1 missing. Set NUMPY_SOURCES to the directory holding $(basename "$1") (see toolchain/numpy/README.md)" >&2
    exit 1
  fi
  if ! echo "$2  $1" | sha256sum -c --status; then
    echo "error: $1 does not match sha256 $2" >&2
    exit 1
  fi
}
verify "$sources/$NUMPY_TAR" "$NUMPY_SHA256"
verify "$sources/$CYTHON_TAR" "$CYTHON_SHA256"

key=$( { cat "$here/../config.sh" "$here/build-numpy.sh" "$here/gen_config.py" "$here/build_plan.py" \
             "$here"/patches/*.patch;
         echo "$NUMPY_SHA256 $CYTHON_SHA256 $NUMPY_OPT_FLAGS $CPY";
         $WASI_CC --version | head -1; } | sha256sum | cut -c1-16)
out=$CACHE_ROOT/numpy-$key
if [ -f "$out/.complete" ]; then
  echo "$out"
  exit 0
fi

work=$out.tmp
log=$CACHE_ROOT/numpy-$key.log
rm -rf "$work"
mkdir -p "$work"
: >"$log"
echo "[numpy] building into $out (full log: $log)" >&2

fail() {
  echo "[numpy] FAILED in stage '$stage'. Last lines of $log:" >&2
  tail -40 "$log" >&2
  echo "[numpy] full log: $log" >&2
  exit 1
}
trap fail ERR
stage_start=0
stage=""
begin() { stage=$1; stage_start=$(date +%s); log_stage "[numpy] $stage ..." >&2; echo "=== $stage" >>"$log"; }
end() { log_stage "[numpy] $stage done in $(( $(date +%s) - stage_start ))s" >&2; }
build_start=$(date +%s)

begin "unpack and patch"
tar -xJf "$sources/$NUMPY_TAR" -C "$work"
mv "$work/numpy-$NUMPY_VERSION" "$work/src"
tar -xJf "$sources/$CYTHON_TAR" -C "$work"
mv "$work/cython-$CYTHON_VERSION" "$work/cython"
for p in "$here"/patches/*.patch; do
  echo "--- $p" >>"$log"
  patch -d "$work/src" -p1 --forward <"$p" >>"$log" 2>&1
done
end

sysroot=$CPY/sysroot
WCC="$WASI_CC --target=$WASI_TARGET --sysroot=$sysroot"
WCXX="${WASI_CC/clang/clang++} --target=$WASI_TARGET --sysroot=$sysroot"
pyinc="-I$CPY/src/Include -I$CPY/wasm"

begin "configuration headers (probing the wasm compiler)"
"$PY" "$here/gen_config.py" --src "$work/src" --cc "$WCC" --cxx "$WCXX" --pyinc "$pyinc" \
  --cflags="$cflags" --cxxflags="$cxxflags" \
  --cython-version "$CYTHON_VERSION" --python-version "$("$PY" -c 'import sys; print("%d.%d" % sys.version_info[:2])')" \
  >>"$log" 2>&1
end

begin "code generators"
( cd "$work/src"
  # .c.src / .h.src templates -> next to their source, as meson's @BASENAME@
  find numpy/_core/src -name '*.src' -not -path '*/_simd/*' -print0 |
    xargs -0 -n1 -P"$(nproc)" sh -c '"$0" numpy/_build_utils/process_src_template.py "$1" -o "${1%.src}"' "$PY"
  cd numpy/_core
  "$PY" code_generators/generate_umath.py -o __umath_generated.c
  "$PY" code_generators/generate_umath_doc.py -o _umath_doc_generated.h
  "$PY" code_generators/generate_numpy_api.py -o . --ignore __umath_generated.c
  "$PY" code_generators/generate_ufunc_api.py -o .
  # The headers are included as "__multiarray_api.h" from include/numpy/;
  # the .c tables are included by multiarraymodule.c through -Inumpy/_core.
  mv __multiarray_api.h __ufunc_api.h include/numpy/
  cd ../random
  "$PY" ../_build_utils/tempita.py _bounded_integers.pyx.in -o _bounded_integers.pyx
  "$PY" ../_build_utils/tempita.py _bounded_integers.pxd.in -o _bounded_integers.pxd
  cd ../..
  # No git here: gitversion.py falls back to the version in pyproject.toml.
  GIT_DIR=/nonexistent "$PY" numpy/_build_utils/gitversion.py --write numpy/version.py
) >>"$log" 2>&1
end

begin "compile (make -j$(nproc))"
CC="$WCC" CXX="$WCXX" CFLAGS="$cflags" CXXFLAGS="$cxxflags" PYINC="$pyinc" AR=$WASI_AR NM=llvm-nm-19 \
CYTHON="$PY $work/cython/cython.py -3 --fast-fail -Xfreethreading_compatible=True" \
  "$PY" "$here/build_plan.py" "$work/src" "$work" >>"$log" 2>&1
( cd "$work" && nice make -f numpy.mk -j"$(nproc)" ) >>"$log" 2>&1
end

begin "check: one definition per global symbol"
# Every extension used to be its own .so; in one archive a strong symbol
# defined twice would make the link fail (or silently pick one). Weak ones
# (C++ template instances, inline functions) are merged by the linker.
llvm-nm-19 --defined-only --extern-only -A "$work/libnumpy.a" >"$work/symbols.txt" 2>/dev/null
awk '$(NF-1) ~ /^[TDBR]$/ {print $NF}' "$work/symbols.txt" | sort | uniq -d >"$work/duplicate-symbols.txt"
if [ -s "$work/duplicate-symbols.txt" ]; then
  echo "duplicate global symbols:" >>"$log"; cat "$work/duplicate-symbols.txt" >>"$log"
  false
fi
# Each module's renamed PyInit_ must be in the archive.
while read -r mod init; do
  grep -q " T $init\$" "$work/symbols.txt" || { echo "missing $init for $mod" >>"$log"; false; }
done <"$work/modules.txt"
rm "$work/symbols.txt"
end

begin "pure-Python tree"
# numpy's Python part as the wheel installs it, tests included (the guest's
# test runs need them; packing for the product leaves them out). Only
# importable files and the test data: no C sources, templates or build files.
mkdir -p "$work/py"
( cd "$work/src" &&
  find numpy \( -name '*.py' -o -name '*.pyi' -o -name 'py.typed' -o -path '*/tests/*' \) -type f \
       -not -path 'numpy/_build_utils/*' -not -path 'numpy/_core/code_generators/*' \
       -not -path 'numpy/_core/src/*' -not -path 'numpy/fft/pocketfft/*' \
       -not -path 'numpy/random/src/*' -not -path 'numpy/_core/include/*' -print0 |
  xargs -0 cp --parents -t "$work/py" ) >>"$log" 2>&1
test -f "$work/py/numpy/version.py" && test -f "$work/py/numpy/__config__.py"
end

trap - ERR
secs=$(( $(date +%s) - build_start ))
{ echo "build seconds: $secs (make -j$(nproc))"
  echo "libnumpy.a bytes: $(stat -c %s "$work/libnumpy.a")"
  echo "objects: $(ls "$work"/obj/*.o | wc -l)"
} >"$work/build-info.txt"
cat "$work/build-info.txt" >&2
# Keep what users of the cache need, not the object files.
rm -rf "$work/obj" "$work/cython"
rm -rf "$out"
mv "$work" "$out"
touch "$out/.complete"
echo "$out"
