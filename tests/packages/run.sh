#!/usr/bin/env bash
# tests/packages/run.sh -- issue 15 (docs/packages.md): packs real
# third-party packages from Debian with `pyreactor pack`, checks that the
# same inputs give the same bytes, runs the packed module through every
# host (native, Python and Deno FFI --module, Node and Deno --wasm: a def
# parses a date, renders a template, validates a document, loads YAML), the
# shared vectors with the packed module, and the refusals (C extensions,
# a syntax error, a missing preload, a module whose code is not the
# compiled one). Prints its counts; exits non-zero on any failure.
set -uo pipefail
cd "$(dirname "$0")/../.."
work=$(mktemp -d "${TMPDIR:-/tmp}/pyreactor-packages.XXXXXX")
trap 'rm -rf "$work"' EXIT
passed=0 failed=0
ok() { passed=$((passed + 1)); }
bad() { failed=$((failed + 1)); echo "FAIL packages: $*" >&2; }
# expect_fail NAME EXPECTED_EXIT PATTERN COMMAND...: exits so, says PATTERN on stderr
expect_fail() {
  local name=$1 want=$2 pattern=$3
  shift 3
  "$@" >"$work/out" 2>"$work/err" </dev/null
  local got=$?
  if [ "$got" != "$want" ]; then bad "$name: exit $got, expected $want: $(head -c 400 "$work/err")"
  elif ! grep -qF -- "$pattern" "$work/err"; then bad "$name: stderr lacks \"$pattern\": $(head -c 400 "$work/err")"
  else ok; fi
}
vectors() { # NAME [--no-shared] VECTORS... -- COMMAND...
  local name=$1
  shift
  if node tests/js/run-vectors.mjs --name "$name" "$@" >"$work/vec" 2>&1; then ok
  else bad "$name: $(tail -5 "$work/vec")"; fi
  tail -1 "$work/vec"
}

tests/packages/make-site.sh "$work/site" || exit 1
tests/packages/make-site.sh "$work/site-ext" --with-extensions || exit 1
preload=jinja2,yaml,dateutil.parser,jsonschema,six
pack=(build/pyreactor pack --packages "$work/site" --preload "$preload")

# The pack, twice, the second from a copy elsewhere: the same bytes.
start=$(date +%s%N)
if "${pack[@]}" -o "$work/out.wasm" 2>"$work/pack.log"; then ok; else bad "pack: $(cat "$work/pack.log")"; exit 1; fi
end=$(date +%s%N)
cp -a "$work/site" "$work/elsewhere"
build/pyreactor pack --packages "$work/elsewhere" --preload "$preload" -o "$work/again.wasm" 2>/dev/null
if cmp -s "$work/out.wasm" "$work/again.wasm"; then ok; else bad "two packs of the same packages differ"; fi
build/pyreactor pack --packages "$work/site" -o "$work/lazy.wasm" 2>/dev/null || bad "pack without --preload"
gz() { gzip -9c "$1" | wc -c; }
awk -v ms=$(((end - start) / 1000000)) -v base="$(stat -c %s build/python-reactor.wasm)" \
    -v out="$(stat -c %s "$work/out.wasm")" -v lazy="$(stat -c %s "$work/lazy.wasm")" \
    -v gbase="$(gz build/python-reactor.wasm)" -v gout="$(gz "$work/out.wasm")" -v glazy="$(gz "$work/lazy.wasm")" \
    -v preload="$preload" 'BEGIN {
  printf "packages: pack %d ms; module %.2f MB (+%.2f MB, gzipped +%.2f MB) with %s preloaded, " \
    "%.2f MB (+%.2f MB, gzipped +%.2f MB) without\n", ms, out / 1e6, (out - base) / 1e6, (gout - gbase) / 1e6,
    preload, lazy / 1e6, (lazy - base) / 1e6, (glazy - gbase) / 1e6 }'

# Every host that takes a module.
pkg_vectors=(--vectors tests/packages/packages.jsonl --vectors tests/packages/register_package.jsonl
             --vectors tests/packages/register_package_op.jsonl)
tz=(--dir /usr/share/zoneinfo:/usr/share/zoneinfo:ro)  # Debian's pytz reads the system's tzdata
deno=(node_modules/.bin/deno run --no-prompt --v8-flags=--stack-size=7680
      --allow-read=hosts/js,build/python-reactor.wasm,"$work")
vectors packages-native --no-shared "${pkg_vectors[@]}" -- build/pyreactor --module "$work/out.wasm" batch
vectors packages-node --no-shared "${pkg_vectors[@]}" -- node hosts/js/cli.mjs batch --wasm "$work/out.wasm"
vectors packages-deno --no-shared "${pkg_vectors[@]}" -- "${deno[@]}" hosts/js/cli.mjs batch --wasm "$work/out.wasm"
vectors packages-python --no-shared "${pkg_vectors[@]}" -- build/pyreactor-python --module "$work/out.wasm" batch
vectors packages-deno-ffi --no-shared "${pkg_vectors[@]}" -- build/pyreactor-deno --module "$work/out.wasm" batch
vectors packages-native-pytz --no-shared --vectors tests/packages/pytz.jsonl -- build/pyreactor --module "$work/out.wasm" batch "${tz[@]}"
vectors packages-node-pytz --no-shared --vectors tests/packages/pytz.jsonl -- node hosts/js/cli.mjs batch --wasm "$work/out.wasm" "${tz[@]}"
# The registered package alone, in the plain modules.
vectors packages-native-base --no-shared --vectors tests/packages/register_package.jsonl \
  --vectors tests/packages/register_package_op.jsonl -- build/pyreactor batch
vectors packages-node-process --no-shared --vectors tests/packages/register_package_op.jsonl \
  -- node hosts/js/cli.mjs batch --isolation process
# The shared vectors with the packed module.
shared=(--vectors tests/vectors --vectors ../shared/vectors/v2/sandbox.jsonl --vectors ../shared/vectors/v2/run.jsonl
        --vectors ../shared/vectors/v2/awaitables.jsonl --vectors ../shared/vectors/v2/host.jsonl)
fns=(--host-function echo=cat --host-function "fail=sh -c 'echo nope >&2; exit 3'")
if [ -d ../shared/vectors/v2 ]; then
  vectors packages-native-shared "${shared[@]}" -- build/pyreactor --module "$work/out.wasm" batch "${fns[@]}"
  vectors packages-node-shared "${shared[@]}" -- node hosts/js/cli.mjs batch --wasm "$work/out.wasm" "${fns[@]}"
  vectors packages-python-shared "${shared[@]}" -- build/pyreactor-python --module "$work/out.wasm" batch "${fns[@]}"
  vectors packages-deno-ffi-shared "${shared[@]}" -- build/pyreactor-deno --module "$work/out.wasm" batch "${fns[@]}"
  vectors packages-node-process-shared "${shared[@]}" -- node hosts/js/cli.mjs batch --isolation process \
    --wasm "$work/out.wasm" "${fns[@]}"
  # Deno runs the host functions' commands (and, with process isolation, itself).
  commands="$(command -v cat),$(command -v sh)"
  deno_self=$(readlink -f node_modules/.bin/deno)
  vectors packages-deno-shared "${shared[@]}" -- "${deno[@]}" --allow-run="$commands" --allow-env=NODE_V8_COVERAGE \
    hosts/js/cli.mjs batch --wasm "$work/out.wasm" "${fns[@]}"
  vectors packages-deno-process-shared "${shared[@]}" -- "${deno[@]}" --allow-run="$deno_self,$commands" \
    --allow-env=NODE_V8_COVERAGE hosts/js/cli.mjs batch --isolation process --wasm "$work/out.wasm" "${fns[@]}"
fi

# An empty directory still gives a working module.
mkdir -p "$work/empty"
if build/pyreactor pack --packages "$work/empty" -o "$work/empty.wasm" 2>/dev/null; then ok; else bad "empty pack"; fi
vectors packages-empty --no-shared --vectors tests/packages/small.jsonl -- build/pyreactor --module "$work/empty.wasm" batch

# Refusals, each with a message that says what and where, and no module written.
expect_fail c-extension 1 "_speedups.cpython-311-x86_64-linux-gnu.so" \
  build/pyreactor pack --packages "$work/site-ext" -o "$work/ext.wasm"
grep -qF "yaml/_yaml.cpython-311-x86_64-linux-gnu.so" "$work/err" && ok || bad "c-extension: the second .so not named"
[ ! -e "$work/ext.wasm" ] && ok || bad "c-extension: a module was written"
mkdir -p "$work/broken/pkg" && touch "$work/broken/pkg/__init__.py" && printf 'x = 1\ndef f(:\n' >"$work/broken/pkg/mod.py"
expect_fail syntax-error 1 "$work/broken/pkg/mod.py:2: SyntaxError" \
  build/pyreactor pack --packages "$work/broken" -o "$work/broken.wasm"
expect_fail missing-preload 1 "No module named 'nosuch'" \
  build/pyreactor pack --packages "$work/site" --preload jinja2,nosuch -o "$work/x.wasm"
expect_fail missing-dir 1 "--packages $work/nowhere" build/pyreactor pack --packages "$work/nowhere" -o "$work/x.wasm"
expect_fail no-output 2 "-o OUT.wasm is required" build/pyreactor pack --packages "$work/site"
# A module whose code is not the compiled one, and broken ones.
printf '\0asm\1\0\0\0' >"$work/empty-module.wasm"
expect_fail foreign-module 3 "its code is not the code compiled into this library" \
  build/pyreactor --module build/python-reactor-plain.wasm batch
expect_fail no-memory 3 "defines no memory" build/pyreactor --module "$work/empty-module.wasm" batch
head -c 100000 "$work/out.wasm" >"$work/cut.wasm"
expect_fail truncated 3 "runs past the end of the module" build/pyreactor --module "$work/cut.wasm" batch
expect_fail not-wasm 3 "not a WebAssembly module" build/pyreactor --module tests/packages/run.sh batch
expect_fail foreign-module-python 3 "its code is not the code compiled into this library" \
  build/pyreactor-python --module build/python-reactor-plain.wasm batch
expect_fail foreign-module-deno-ffi 3 "its code is not the code compiled into this library" \
  build/pyreactor-deno --module build/python-reactor-plain.wasm batch

echo "packages: $passed passed, $failed failed"
[ "$failed" = 0 ]
