# Shared settings for the toolchain scripts: versions, checksums, cache paths.
# Sourced, not run.

PY_VERSION=3.11.2
PY_DEB_VERSION=3.11.2-6+deb12u8     # +deb12u9's .dsc is missing on the security mirror
PY_ORIG=python3.11_${PY_VERSION}.orig.tar.gz
PY_ORIG_SHA256=2411c74bda5bbcfcddaf4531f66d1adc73f247f529aee981b029513aefdbf849

ZLIB_VERSION=1.2.13
ZLIB_DEB_VERSION=1:1.2.13.dfsg-1
ZLIB_ORIG=zlib_${ZLIB_VERSION}.dfsg.orig.tar.bz2
ZLIB_ORIG_SHA256=71feb7947e3c00ef125f83b79a4e529bde31171e5babe48b391f06758d1ab0a1

# liblzma's decoder: the guest's frozen stdlib is LZMA2-compressed.
XZ_VERSION=5.4.1
XZ_DEB_VERSION=5.4.1-1+deb12u2
XZ_ORIG=xz-utils_${XZ_VERSION}.orig.tar.xz
XZ_ORIG_SHA256=5d9827aa1875b21c288f78864bb26d2650b436ea8d2cad364e4921eb6266a5a5

# __DATE__/__TIME__ (CPython's build info, `sys.version`) say the release
# date of 3.11.2 instead of the time of the build, so the module's bytes do
# not depend on when the cache was made (gcc and clang read this variable).
export SOURCE_DATE_EPOCH=1675814400  # 2023-02-08 00:00:00 UTC

WASI_CC=clang-19
WASI_AR=llvm-ar-19
WASI_RANLIB=llvm-ranlib-19
WASI_LD=wasm-ld-19
WASI_TARGET=wasm32-wasi
WASI_OPT_FLAGS="-O2"

CACHE_ROOT=${PYREACTOR_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/python-wasi-reactor}
SRC_CACHE=$CACHE_ROOT/sources

log_stage() { printf '[%s] %s\n' "$(date +%H:%M:%S)" "$*"; }
