#!/usr/bin/env bash
# Builds, once per machine, everything the guest links against:
#   native/   CPython 3.11.2 for this machine (the build-python, and the
#             same-source yardstick for the benchmarks)
#   wasm/     libpython3.11.a and its helper libraries for wasm32-wasi
#   zlib/     libz.a for wasm32-wasi
#   lzma/     liblzma.a (decoder only) for wasm32-wasi, and its headers
# into $CACHE_ROOT/cpython-<key>, where <key> hashes the sources, these
# scripts and the compiler version, so a changed flag means a new build and an
# unchanged one means no build at all. Prints the path of the result.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/config.sh"

"$here/fetch-sources.sh" >&2

key=$( { cat "$here/config.sh" "$here/build-cpython.sh" "$here/freeze_code.py";
         echo "$PY_ORIG_SHA256 $ZLIB_ORIG_SHA256 $XZ_ORIG_SHA256";
         $WASI_CC --version | head -1; gcc --version | head -1; } | sha256sum | cut -c1-16)
out=$CACHE_ROOT/cpython-$key
if [ -f "$out/.complete" ]; then
  echo "$out"
  exit 0
fi

work=$out.tmp
log=$CACHE_ROOT/cpython-$key.log
rm -rf "$work"
mkdir -p "$work"
: >"$log"
echo "[cpython] building into $out (full log: $log)" >&2

fail() {
  echo "[cpython] FAILED in stage '$stage'. Last lines of $log:" >&2
  tail -40 "$log" >&2
  echo "[cpython] full log: $log" >&2
  exit 1
}
trap fail ERR

stage_start=0
stage=""
begin() { stage=$1; stage_start=$(date +%s); log_stage "[cpython] $stage ..." >&2; echo "=== $stage" >>"$log"; }
end() { log_stage "[cpython] $stage done in $(( $(date +%s) - stage_start ))s" >&2; }

jobs=$(nproc)

begin "unpack"
tar -xzf "$SRC_CACHE/$PY_ORIG" -C "$work"
mv "$work/Python-$PY_VERSION" "$work/src"
tar -xjf "$SRC_CACHE/$ZLIB_ORIG" -C "$work"
mv "$work"/zlib-* "$work/zlib-src"
tar -xJf "$SRC_CACHE/$XZ_ORIG" -C "$work"
mv "$work/xz-$XZ_VERSION" "$work/xz-src"
# The WASI build expects this file (Tools/wasm/wasm_build.py does the same).
touch "$work/src/Modules/Setup.local"
end

begin "native CPython (configure + make)"
mkdir -p "$work/native"
( cd "$work/native" && ../src/configure --without-ensurepip --prefix="$out/native-prefix" && make -j"$jobs" ) >>"$log" 2>&1
end

# Debian's clang looks in /usr/include after /usr/include/wasm32-wasi, so a
# sysroot holding only the wasi directories keeps host headers out.
sysroot=$work/sysroot
mkdir -p "$sysroot/include" "$sysroot/lib"
ln -s /usr/include/wasm32-wasi "$sysroot/include/wasm32-wasi"
ln -s /usr/lib/wasm32-wasi "$sysroot/lib/wasm32-wasi"
WCC="$WASI_CC --target=$WASI_TARGET --sysroot=$sysroot"

begin "zlib for wasm32-wasi"
mkdir -p "$work/zlib"
( cd "$work/zlib-src"
  for f in adler32 crc32 deflate infback inffast inflate inftrees trees zutil compress uncompr; do
    $WCC $WASI_OPT_FLAGS -D_LARGEFILE64_SOURCE=1 -c "$f.c" -o "$work/zlib/$f.o"
  done
  $WASI_AR rcs "$work/zlib/libz.a" "$work"/zlib/*.o
  cp zlib.h zconf.h "$work/zlib/" ) >>"$log" 2>&1
end

# Only the raw LZMA2 decoder the frozen stdlib needs. mythread.h declares a
# sigprocmask() wrapper for single-threaded builds, and WASI has no
# signals: the same exclusion later xz releases make for wasm.
begin "liblzma for wasm32-wasi"
sed -i 's|^#if !(defined(_WIN32) \&\& !defined(__CYGWIN__))$|& \&\& !defined(__wasm__)|' \
  "$work/xz-src/src/common/mythread.h"
grep -q '__wasm__' "$work/xz-src/src/common/mythread.h"
( cd "$work/xz-src" && \
  CC="$WCC" AR=$WASI_AR RANLIB=$WASI_RANLIB CFLAGS="$WASI_OPT_FLAGS" \
  ./configure --host=wasm32-unknown-wasi --build="$(build-aux/config.guess)" \
     --disable-shared --enable-static --disable-threads \
     --disable-encoders --enable-decoders=lzma1,lzma2 --enable-checks=crc32 \
     --disable-xz --disable-xzdec --disable-lzmadec --disable-lzmainfo \
     --disable-lzma-links --disable-scripts --disable-doc --disable-nls --disable-assembler && \
  make -C src/liblzma -j"$jobs" && \
  mkdir -p "$work/lzma/include" && cp src/liblzma/.libs/liblzma.a "$work/lzma/" && \
  cp -r src/liblzma/api/lzma.h src/liblzma/api/lzma "$work/lzma/include/" ) >>"$log" 2>&1
end

begin "CPython for wasm32-wasi (configure)"
mkdir -p "$work/wasm"
# clang 19 turns these two warnings into errors; wasi-libc's
# CLOCK_PROCESS_CPUTIME_ID is a pointer, which Modules/timemodule.c trips on.
# CPython 3.11's configure turns pymalloc off for WASI by default (as for
# Emscripten); every small object would then go through wasi-libc's
# dlmalloc, and the sort and word-count kernels ran 1.3-1.6x slower than
# with pymalloc. Its arenas come from malloc (no mmap here), so the guest's
# memory cap still bounds them.
wflags="$WASI_OPT_FLAGS -Wno-error=int-conversion -Wno-error=incompatible-function-pointer-types"
( cd "$work/wasm" && \
  CONFIG_SITE=../src/Tools/wasm/config.site-wasm32-wasi \
  CC="$WCC" CPP="$WCC -E" AR=$WASI_AR RANLIB=$WASI_RANLIB READELF=true \
  CFLAGS="$wflags" LDFLAGS="" \
  PKG_CONFIG=false PKG_CONFIG_PATH= PKG_CONFIG_LIBDIR= \
  ZLIB_CFLAGS="-I$work/zlib" ZLIB_LIBS="-L$work/zlib -lz" \
  ../src/configure --host=wasm32-unknown-wasi --build="$(../src/config.guess)" \
     --with-build-python="$work/native/python" --without-ensurepip \
     --disable-ipv6 --disable-test-modules --with-pymalloc ) >>"$log" 2>&1
end

# The start-up modules CPython deep-freezes into libpython are compiled the
# way the guest's own frozen stdlib is (toolchain/freeze_code.py: no
# docstrings, no column ranges): 75 KB less in the module, gzipped.
freeze="env CPYTHON_PROGRAMS=$work/src/Programs $work/native/python -X no_debug_ranges $here/freeze_code.py"
begin "CPython for wasm32-wasi (make)"
( cd "$work/wasm" && make -j"$jobs" FREEZE_MODULE="$freeze" FREEZE_MODULE_BOOTSTRAP="$freeze" \
     libpython3.11.a Modules/_decimal/libmpdec/libmpdec.a Modules/expat/libexpat.a \
     pybuilddir.txt ) >>"$log" 2>&1
# sysconfig (and zoneinfo through it) needs the guest's build-time variables.
cp "$work/wasm/$(cat "$work/wasm/pybuilddir.txt")"/_sysconfigdata_*.py "$work/wasm/"
end

begin "record link flags"
# The guest's link line needs exactly what CPython's own link would use.
cat >"$work/print-vars.mk" <<'MK'
print-vars:
	@echo "PY_LIBS=$(LIBS)"
	@echo "PY_MODLIBS=$(MODLIBS)"
	@echo "PY_SYSLIBS=$(SYSLIBS)"
	@echo "PY_LDFLAGS=$(PY_LDFLAGS_NODIST) $(LDFLAGS_NODIST)"
	@echo "PY_LIBMPDEC_A=$(LIBMPDEC_A)"
	@echo "PY_LIBEXPAT_A=$(LIBEXPAT_A)"
	@echo "PY_SYSCONFIGDATA=_sysconfigdata_$(ABIFLAGS)_$(MACHDEP)_$(MULTIARCH)"
MK
( cd "$work/wasm" && make -s --no-print-directory -f Makefile -f ../print-vars.mk print-vars ) >"$work/link-vars.mk" 2>>"$log"
cat "$work/link-vars.mk" >>"$log"
end

trap - ERR
# Paths inside the tree are absolute; re-point them at the final location.
grep -rl --null "$work" "$work/wasm/Makefile" "$work/link-vars.mk" 2>/dev/null | xargs -0 -r sed -i "s#$work#$out#g"
rm -rf "$out"
mv "$work" "$out"
rm -rf "$out/sysroot"; mkdir -p "$out/sysroot/include" "$out/sysroot/lib"
ln -s /usr/include/wasm32-wasi "$out/sysroot/include/wasm32-wasi"
ln -s /usr/lib/wasm32-wasi "$out/sysroot/lib/wasm32-wasi"
touch "$out/.complete"
echo "$out"
