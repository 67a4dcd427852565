#!/usr/bin/env bash
# bench/packages.sh BUILD CPYTHON -- issue 15's figures (docs/packages.md):
# packs the Debian packages of tests/packages/make-site.sh, then measures
#   - pyreactor pack's time and what the packages add to the module, raw
#     and gzipped, with and without --preload;
#   - native host: pyreactor_open -> first result of a def using a
#     preloaded package (dateutil.parser), after pyreactor_reset too, against the
#     compiled module's trivial def (bench/native_bench.c, `pack`);
#   - importing jinja2, jsonschema, yaml and dateutil.parser from a pack
#     that did not preload them, against the same-source native CPython
#     importing them from .pyc files;
#   - Node: instantiate -> first result with the pack, against the plain module.
# Writes BUILD/bench/packages.json and prints a summary.
set -euo pipefail
build=$1 cpython=$2
cd "$(dirname "$0")/.."
work=$(mktemp -d "${TMPDIR:-/tmp}/pyreactor-bench-packages.XXXXXX")
trap 'rm -rf "$work"' EXIT
tests/packages/make-site.sh "$work/site"
preload=jinja2,yaml,dateutil.parser,jsonschema,six
t0=$(date +%s%N)
"$build/pyreactor" pack --packages "$work/site" --preload "$preload" -o "$work/pre.wasm" 2>/dev/null
t1=$(date +%s%N)
"$build/pyreactor" pack --packages "$work/site" -o "$work/lazy.wasm" 2>/dev/null
native=$("$build/bench/native_bench" pack "$work/pre.wasm" "$work/lazy.wasm" 20)
# Native CPython from .pyc: compiled first, then the median of 20 fresh processes.
"$cpython" -m compileall -q "$work/site" >/dev/null
cpy=$("$cpython" - "$work/site" <<'PY'
import statistics, subprocess, sys
code = ("import sys, time; sys.path.insert(0, %r); t = time.perf_counter(); "
        "import jinja2, jsonschema, yaml, dateutil.parser; print((time.perf_counter() - t) * 1000)") % sys.argv[1]
runs = [float(subprocess.run([sys.executable, "-S", "-c", code], check=True, capture_output=True, text=True).stdout)
        for _ in range(20)]
print("%.3f" % statistics.median(runs))
PY
)
cat > "$work/first.mjs" <<JS
const { Reactor } = await import("$PWD/hosts/js/reactor.mjs");
const t = performance.now();
const r = await Reactor.load({ wasm: process.argv[2] });
await r.registerDef("f", "def f(x):\\n    return x\\n");
await r.applyDef("f", [1]);
console.log(performance.now() - t);
await r.close();
JS
node_first() { # MODULE: instantiate -> first result, median of 5 fresh processes
  for i in 1 2 3 4 5; do node --no-warnings "$work/first.mjs" "$1"; done | sort -n | sed -n 3p
}
node_pre=$(node_first "$work/pre.wasm") node_base=$(node_first "$build/python-reactor.wasm")
gz() { gzip -9c "$1" | wc -c; }
size() { stat -c %s "$1"; }
json=$(printf '{"pack_ms":%d,"base_bytes":%d,"base_gz":%d,"preloaded_bytes":%d,"preloaded_gz":%d,"lazy_bytes":%d,"lazy_gz":%d,"native":%s,"cpython_pyc_import_ms":%s,"node_first_ms":{"pack":%.1f,"base":%.1f}}' \
  $(((t1 - t0) / 1000000)) "$(size "$build/python-reactor.wasm")" "$(gz "$build/python-reactor.wasm")" \
  "$(size "$work/pre.wasm")" "$(gz "$work/pre.wasm")" "$(size "$work/lazy.wasm")" "$(gz "$work/lazy.wasm")" \
  "$native" "$cpy" "$node_pre" "$node_base")
mkdir -p "$build/bench"
echo "$json" > "$build/bench/packages.json"
python3 - "$json" "$preload" <<'PY'
import json, sys
j, pre = json.loads(sys.argv[1]), sys.argv[2]
mb = lambda b: b / 1e6
n = j["native"]
print("packages (%s preloaded): pack %d ms; module +%.2f MB raw, +%.2f MB gzipped (without preload: +%.2f MB, +%.2f MB)"
      % (pre, j["pack_ms"], mb(j["preloaded_bytes"] - j["base_bytes"]), mb(j["preloaded_gz"] - j["base_gz"]),
         mb(j["lazy_bytes"] - j["base_bytes"]), mb(j["lazy_gz"] - j["base_gz"])))
print("native: open -> first result of a def using dateutil (preloaded) %.2f ms (reset %.2f ms); trivial def %.2f ms "
      "with the pack, %.2f ms with the compiled module"
      % (n["open_first_ms"], n["reset_first_ms"], n["pack_trivial_first_ms"], n["plain_open_first_ms"]))
print("import jinja2, jsonschema, yaml, dateutil.parser not preloaded: %.1f ms native host, %.1f ms native CPython from .pyc (%.2fx)"
      % (n["lazy_import_ms"], j["cpython_pyc_import_ms"], n["lazy_import_ms"] / j["cpython_pyc_import_ms"]))
print("node: instantiate -> first result %.1f ms with the pack, %.1f ms with the base module"
      % (j["node_first_ms"]["pack"], j["node_first_ms"]["base"]))
PY
