#!/usr/bin/env bash
# The C examples of the docs, compiled and run exactly as written: the
# first C block of README.md's "Using it from C" and of docs/native-api.md's
# "Ten lines" (both print fib(100)), and native-api.md's host-function
# program (a table looked up from Python). Against build/libpyreactor.a.
#   tests/native/test_readme.sh [BUILD_DIR]
set -u
cd "$(dirname "$0")/../.."
build=${1:-build}
tmp=$(mktemp -d /tmp/pyreactor-readme-XXXXXX)
trap 'rm -rf "$tmp"' EXIT
passed=0 failed=0

# block FILE HEADING N: the Nth ```c block after the line HEADING.
block() {
  awk -v heading="$2" -v n="$3" '
    $0 == heading { seen = 1; next }
    seen && /^```c$/ { k++; if (k == n) { on = 1; next } }
    on && /^```$/ { exit }
    on { print }' "$1"
}

# check NAME FILE HEADING N WANT: compiles with the warnings on, runs, and
# wants WANT in its output.
check() {
  local name=$1 src=$tmp/$1.c
  block "$2" "$3" "$4" >"$src"
  if [[ ! -s $src ]]; then
    failed=$((failed + 1)); echo "FAIL $name: no C block $4 after '$3' in $2"; return
  fi
  if ! gcc -std=c11 -Wall -Wextra -Werror -Iinclude "$src" "$build/libpyreactor.a" -lpthread -lm \
       -o "$tmp/$name" 2>"$tmp/$name.err"; then
    failed=$((failed + 1)); echo "FAIL $name: does not compile"; sed 's/^/    | /' "$tmp/$name.err" | head -20
    return
  fi
  local out
  out=$("$tmp/$name" 2>&1)
  if [[ $out == *"$5"* ]]; then
    passed=$((passed + 1))
  else
    failed=$((failed + 1)); echo "FAIL $name: output '${out:0:300}', want '$5'"
  fi
}

check readme-c README.md "## Using it from C (and anything with a C FFI)" 1 "fib(100) = 354224848179261915075"
check native-api-ten-lines docs/native-api.md "## Ten lines" 1 "fib(100) = 354224848179261915075"
check native-api-host-functions docs/native-api.md "## Host functions" 2 '{"fr":"Paris","ke":"Nairobi","xx":"UnknownCountry: xx"}'

echo "native-readme: $passed passed, $failed failed"
[[ $failed -eq 0 ]]
