#!/usr/bin/env bash
# What libpyreactor exports, and that a program links against it every
# documented way (docs/native-api.md, "Linking"):
#   - the global defined symbols of build/libpyreactor.a and of
#     build/libpyreactor.so are exactly the functions include/pyreactor.h
#     declares (all pyreactor_*; no guest Z_*, no internals, no test hooks);
#   - the .so's soname is libpyreactor.so.0, the file libpyreactor.so.0.1.0,
#     with the two symlinks; it needs nothing but the C library's;
#   - a small C program runs an apply_def linked four ways: -L build
#     -lpyreactor with an rpath; pkg-config --libs (PKG_CONFIG_PATH=build,
#     which finds build/pyreactor-uninstalled.pc); pkg-config --static with
#     -static; and the archive by name (-l:libpyreactor.a) with dynamic libc;
#   - the .so loads with dlopen (ctypes), as the Python and Deno hosts load it;
#   - a program that uses an internal function does not link against either.
# Ends with "N passed, N failed".
#
#   tests/native/test_exports.sh [BUILD_DIR]   (default build; run from anywhere)
set -u
cd "$(dirname "$0")/../.."
B=${1:-build}
B=$(cd "$B" && pwd)
CC=${CC:-gcc}
pass=0 fail=0
ok() { pass=$((pass + 1)); echo "ok   $1"; }
bad() { fail=$((fail + 1)); echo "FAIL $1"; [[ $# -gt 1 ]] && printf '%s\n' "$2" | sed 's/^/     /'; }
check() { # check NAME COMMAND...: passes when the command succeeds
  local name=$1 out
  shift
  if out=$("$@" 2>&1); then ok "$name"; else bad "$name" "$out"; fi
}

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# The API: every function include/pyreactor.h declares (comments stripped
# by the preprocessor; a typedef of a function pointer has ")(" and is not
# matched).
"$CC" -E -P -x c include/pyreactor.h | grep -oE '\bpyreactor_[a-z0-9_]+ *\(' | tr -d ' (' | sort -u >"$tmp/api"
if [[ -s $tmp/api ]]; then ok "the header declares $(wc -l <"$tmp/api") functions"; else bad "no function found in include/pyreactor.h"; fi

# ------------------------------------------------------------ exports --
for lib in libpyreactor.a libpyreactor.so; do
  if [[ ! -e $B/$lib ]]; then
    bad "$lib exists" "$B/$lib is missing: make native"
    continue
  fi
  if [[ $lib == *.a ]]; then
    nm -g --defined-only "$B/$lib" 2>/dev/null | awk 'NF == 3 { print $3 }' | sort -u >"$tmp/got"
  else
    nm -D --defined-only "$B/$lib" | awk 'NF == 3 { print $3 }' | sed 's/@.*//' | sort -u >"$tmp/got"
  fi
  other=$(grep -v '^pyreactor_' "$tmp/got")
  if [[ -z $other ]]; then ok "$lib: every global defined symbol is pyreactor_* ($(wc -l <"$tmp/got"))"
  else bad "$lib: global symbols that are not pyreactor_*" "$(head -20 <<<"$other")"; fi
  if cmp -s "$tmp/api" "$tmp/got"; then ok "$lib: exports exactly the header's functions"
  else bad "$lib: exports differ from the header's functions (< header only, > library only)" \
    "$(diff "$tmp/api" "$tmp/got" | grep '^[<>]')"; fi
done
if [[ -e $B/libpyreactor.a ]]; then
  n=$(ar t "$B/libpyreactor.a" | wc -l)
  if [[ $n -eq 1 ]]; then ok "libpyreactor.a holds one object"; else bad "libpyreactor.a holds $n objects, not 1"; fi
fi

# ------------------------------------------------------------- the .so --
if [[ -e $B/libpyreactor.so ]]; then
  soname=$(readelf -d "$B/libpyreactor.so" | sed -n 's/.*Library soname: \[\(.*\)\]/\1/p')
  if [[ $soname == libpyreactor.so.0 ]]; then ok "soname libpyreactor.so.0"; else bad "soname is '$soname'"; fi
  real=$(readlink -f "$B/libpyreactor.so")
  if [[ $(basename "$real") == libpyreactor.so.0.1.0 && -f $real && ! -L $real ]]; then ok "libpyreactor.so -> libpyreactor.so.0.1.0"
  else bad "libpyreactor.so resolves to $real"; fi
  if [[ $(readlink "$B/libpyreactor.so.0") == libpyreactor.so.0.1.0 ]]; then ok "libpyreactor.so.0 -> libpyreactor.so.0.1.0"
  else bad "libpyreactor.so.0 -> $(readlink "$B/libpyreactor.so.0")"; fi
  needed=$(readelf -d "$B/libpyreactor.so" | sed -n 's/.*Shared library: \[\(.*\)\]/\1/p' |
           grep -vE '^(libc|libm|libpthread)\.so\.[0-9]+$|^ld-linux' || true)
  if [[ -z $needed ]]; then ok "the .so needs only libc, libm (and the loader)"; else bad "the .so needs" "$needed"; fi
  # Undefined: the C library's (versioned) and the toolchain's usual weak
  # hooks; nothing the library itself should have defined.
  und=$(nm -D --undefined-only "$B/libpyreactor.so" | awk '{ print $NF }' |
        grep -vE '@GLIBC_|^(__gmon_start__|_ITM_deregisterTMCloneTable|_ITM_registerTMCloneTable)$' || true)
  if [[ -z $und ]]; then ok "the .so's undefined symbols are all the C library's"; else bad "undefined in the .so" "$und"; fi
fi

# ------------------------------------------------------- linking a program --
cat >"$tmp/prog.c" <<'EOF'
#include <pyreactor.h>
#include <stdio.h>
#include <string.h>

int main(void)
{
  pyreactor *p = NULL;
  if (pyreactor_open(NULL, &p) != PYREACTOR_OK) {
    fprintf(stderr, "open: %s\n", p != NULL ? pyreactor_errmsg(p) : "no memory");
    return 1;
  }
  int rc = pyreactor_register_def(p, "add", "def add(x, y=10):\n    return x + y\n");
  if (rc == PYREACTOR_OK)
    rc = pyreactor_apply_def(p, "add", "[1, 2]");
  if (rc != PYREACTOR_OK) {
    fprintf(stderr, "%s: %s\n", pyreactor_errstr(rc), pyreactor_errmsg(p));
    pyreactor_close(p);
    return 1;
  }
  printf("abi %d %s\n", pyreactor_abi_version(), pyreactor_result(p, NULL));
  pyreactor_close(p);
  return 0;
}
EOF
runs() { # runs NAME BINARY: the program prints the ABI version and 3
  local out
  if out=$("$2" 2>&1) && [[ $out == "abi 2 3" ]]; then ok "$1: apply_def ran"; else bad "$1: apply_def" "$out"; fi
}
linked() { # linked NAME BINARY yes|no: is libpyreactor.so a NEEDED entry
  local has=no
  readelf -d "$2" 2>/dev/null | grep -q 'Shared library: \[libpyreactor\.so' && has=yes
  if [[ $has == "$3" ]]; then ok "$1: libpyreactor.so needed: $3"; else bad "$1: libpyreactor.so needed: $has, not $3"; fi
}
export PKG_CONFIG_PATH=$B PKG_CONFIG_LIBDIR=$B

# shared, by hand
if out=$("$CC" -Iinclude -o "$tmp/shared" "$tmp/prog.c" -L"$B" -lpyreactor -Wl,-rpath,"$B" 2>&1); then
  ok "shared: links with -L$B -lpyreactor"
  linked shared "$tmp/shared" yes
  runs shared "$tmp/shared"
else bad "shared: link" "$out"; fi

# shared, through pkg-config
if flags=$(pkg-config --cflags --libs pyreactor 2>&1) && libdir=$(pkg-config --variable=libdir pyreactor); then
  ok "pkg-config finds pyreactor: $flags"
  # shellcheck disable=SC2086 # a list of flags
  if out=$("$CC" -o "$tmp/pc" "$tmp/prog.c" $flags -Wl,-rpath,"$libdir" 2>&1); then
    ok "pkg-config: links"
    linked pkg-config "$tmp/pc" yes
    runs pkg-config "$tmp/pc"
  else bad "pkg-config: link" "$out"; fi
else bad "pkg-config --cflags --libs pyreactor" "$flags"; fi

# static, through pkg-config --static
if flags=$(pkg-config --static --cflags --libs pyreactor 2>&1); then
  if grep -q -- '-lpthread' <<<"$flags" && grep -q -- '-lm' <<<"$flags"; then ok "pkg-config --static adds -lpthread -lm"
  else bad "pkg-config --static --libs gives: $flags"; fi
  # shellcheck disable=SC2086
  if out=$("$CC" -static -o "$tmp/static" "$tmp/prog.c" $flags 2>&1); then
    ok "static: links with -static \$(pkg-config --static --cflags --libs pyreactor)"
    if readelf -d "$tmp/static" 2>/dev/null | grep -q NEEDED; then bad "static: has dynamic dependencies"
    else ok "static: no dynamic dependency"; fi
    runs static "$tmp/static"
  else bad "static: link" "$out"; fi
  # The archive by name, the C library still shared.
  # shellcheck disable=SC2086
  if out=$("$CC" -o "$tmp/archive" "$tmp/prog.c" ${flags//-lpyreactor/-l:libpyreactor.a} 2>&1); then
    ok "archive: links with -l:libpyreactor.a"
    linked archive "$tmp/archive" no
    runs archive "$tmp/archive"
  else bad "archive: link" "$out"; fi
else bad "pkg-config --static" "$flags"; fi

# Loaded at run time (as the Python and Deno hosts do), after the program
# started: the .so's initial-exec thread-locals must fit glibc's reserve.
if command -v python3 >/dev/null && [[ -e $B/libpyreactor.so ]]; then
  out=$(python3 -c 'import ctypes, sys; print(ctypes.CDLL(sys.argv[1]).pyreactor_abi_version())' "$B/libpyreactor.so" 2>&1)
  if [[ $out == 2 ]]; then ok "dlopen (ctypes): loads, pyreactor_abi_version() = 2"; else bad "dlopen (ctypes)" "$out"; fi
fi

# Internals and test hooks are not there to link against.
for sym in json_parse pyreactor_testing_image guest_call wasi_ctx_init Z_python_reactorZ_alloc; do
  printf 'extern int %s(void);\nint main(void) { return %s(); }\n' "$sym" "$sym" >"$tmp/internal.c"
  if "$CC" -o "$tmp/internal" "$tmp/internal.c" -L"$B" -lpyreactor >/dev/null 2>&1; then bad "$sym links against the .so"
  else ok "$sym: not in the .so"; fi
  if "$CC" -o "$tmp/internal" "$tmp/internal.c" "$B/libpyreactor.a" -lpthread -lm >/dev/null 2>&1; then bad "$sym links against the .a"
  else ok "$sym: not in the .a"; fi
done

echo "$pass passed, $fail failed"
[[ $fail -eq 0 ]]
