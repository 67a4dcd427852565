#!/usr/bin/env bash
# The npm package of the JavaScript host, as a user gets it:
#   tests/npm/run.sh [build/python-wasi-reactor-0.1.0.tgz]   (make npm-pack first)
# Checks the tarball's contents and package.json, installs it into an empty
# temporary directory outside the repository (`npm install --offline`: the
# package has no dependencies, so a local tarball installs without the
# network), and there imports it by its name, without naming the module
# (the host finds python-reactor.wasm beside its files): under Node
# (`Reactor`, `ProcessReactor` from "python-wasi-reactor/process", the CLI's
# batch and call through its bin) and under Deno with an `npm:` specifier, resolved from that
# node_modules (`--node-modules-dir=manual`; without it, or a package.json
# beside the script, Deno would ask the registry), and type-checks a
# TypeScript user of it with `deno check`. Nothing run there names a path
# into this repository. Ends with "npm: N passed, N failed".
set -u
here=$(cd "$(dirname "$0")/../.." && pwd)
tgz=$(readlink -f "${1:-$here/build/python-wasi-reactor-0.1.0.tgz}")
deno=$(readlink -f "$here/node_modules/.bin/deno")
pass=0
fail=0
check() {  # description, then a command that must succeed
  local what=$1; shift
  if "$@"; then pass=$((pass + 1)); echo "ok: $what"; else fail=$((fail + 1)); echo "FAIL: $what"; fi
}
finish() { echo "npm: $pass passed, $fail failed"; [ "$fail" -eq 0 ]; exit; }

if [ ! -f "$tgz" ]; then
  fail=1; echo "FAIL: no tarball at $tgz (make npm-pack)"; finish
fi

# ------------------------------------------------------------ contents --
listing=$(tar tzf "$tgz")
for f in package.json README.md reactor.mjs process-reactor.mjs worker.mjs guest.mjs cli.mjs \
         index.d.ts process-reactor.d.ts python-reactor.wasm wasi/wasi-host.mjs; do
  check "the tarball holds $f" grep -qx "package/$f" <<<"$listing"
done
# Every .mjs of hosts/js (and wasi/) is in it, and nothing else of the repository.
missing=$(cd "$here/hosts/js" && for f in *.mjs wasi/*.mjs; do grep -qx "package/$f" <<<"$listing" || echo "$f"; done)
check "every .mjs of hosts/js is in it (missing: ${missing:-none})" test -z "$missing"
extra=$(grep -vE '^package/(wasi/)?[a-z0-9-]+\.mjs$|^package/(package\.json|README\.md|index\.d\.ts|process-reactor\.d\.ts|python-reactor\.wasm)$' <<<"$listing")
check "it holds nothing else (extra: ${extra:-none})" test -z "$extra"
check "its module is build/python-reactor.wasm" \
  cmp -s <(tar xzOf "$tgz" package/python-reactor.wasm) "$here/build/python-reactor.wasm"

work=$(mktemp -d /tmp/pyreactor-npm.XXXXXX)
trap 'rm -rf "$work"' EXIT
cp "$tgz" "$work/"
cd "$work" || finish
tar xzOf "$tgz" package/package.json > manifest.json
check "package.json: name, version, no dependencies, exports, types, bin" node -e '
  const p = JSON.parse(require("fs").readFileSync("manifest.json", "utf8"));
  const ok = p.name === "python-wasi-reactor" && p.version === "0.1.0" && p.type === "module"
    && !p.dependencies && !p.peerDependencies && !p.optionalDependencies && !p.scripts
    && p.exports["."].default === "./reactor.mjs" && p.exports["."].types === "./index.d.ts"
    && p.exports["./process"].default === "./process-reactor.mjs"
    && p.exports["./process"].types === "./process-reactor.d.ts"
    && p.bin["python-wasi-reactor"] === "./cli.mjs";
  if (!ok) { console.error(p); process.exit(1); }'

# ------------------------------------------------------------- install --
# A cache of its own, so that nothing of the user's npm cache is used.
check "npm install --offline of the tarball into an empty directory" \
  npm install --offline --no-audit --no-fund --ignore-scripts --cache "$work/.npm-cache" \
    --loglevel=error "./$(basename "$tgz")"
rm -rf "$work/.npm-cache"
mkdir deno-only
cp -r node_modules deno-only/   # node_modules alone, no package.json: Deno needs the flag

# ---------------------------------------------------------------- node --
cat > node-reactor.mjs <<'EOF'
import { Reactor, PythonError } from "python-wasi-reactor";
const here = new URL(".", import.meta.url).href;
if (!import.meta.resolve("python-wasi-reactor").startsWith(here)) throw new Error("resolved outside: " + import.meta.resolve("python-wasi-reactor"));
const r = await Reactor.load(); // the module next to reactor.mjs, in the package
await r.registerDef("add", "def add(x, y=10):\n    return x + y\n");
const a = await r.applyDef("add", [1, 2]), b = await r.applyDef("add", { x: 1 });
let type;
try { await r.applyDef("nope", []); } catch (e) { type = e instanceof PythonError && e.type; }
await r.close();
console.log(JSON.stringify([a, b, type]));
EOF
out=$(node node-reactor.mjs 2>&1)
check "node: Reactor from \"python-wasi-reactor\" applies a def (got: $out)" test "$out" = '[3,11,"NotRegistered"]'

cat > node-process.mjs <<'EOF'
import { ProcessReactor } from "python-wasi-reactor/process";
const r = await ProcessReactor.load({ spare: false });
await r.registerLambda("sq", "lambda x: x * x");
console.log(await r.applyLambda("sq", [12]));
await r.close();
EOF
out=$(node node-process.mjs 2>&1)
check "node: ProcessReactor from \"python-wasi-reactor/process\" (got: $out)" test "$out" = 144

cat > node-guest.mjs <<'EOF'
import { readFile } from "node:fs/promises";
import { Guest } from "python-wasi-reactor/guest";
const bytes = await readFile(new URL(import.meta.resolve("python-wasi-reactor/python-reactor.wasm")));
const guest = await Guest.create(await WebAssembly.compile(bytes));
guest.call("register_lambda", "sq", "lambda x: x * x");
console.log(guest.call("apply_lambda", "sq", "[12]").text);
guest.close();
EOF
out=$(node node-guest.mjs 2>&1)
check "node: the in-thread Guest from \"python-wasi-reactor/guest\", the module from \"python-wasi-reactor/python-reactor.wasm\" (got: $out)" \
  test "$out" = 144

out=$(printf '%s\n' '{"op":"register_lambda","name":"sq","code":"lambda x: x*x"}' \
        '{"op":"apply_lambda","name":"sq","args":[12]}' | node_modules/.bin/python-wasi-reactor batch 2>&1)
check "the bin python-wasi-reactor batch (got: $(tr '\n' ' ' <<<"$out"))" \
  test "$out" = $'{"tag":"ok","value":"sq"}\n{"tag":"ok","value":144}'

printf 'def main(a, b):\n    print("hi")\n    return a * b\n' > mul.py
out=$(node_modules/.bin/python-wasi-reactor call mul.py main '[6, 7]' 2>err.txt)
check "the bin python-wasi-reactor call: the value on stdout, the print on stderr (got: $out, $(cat err.txt))" \
  test "$out" = 42 -a "$(cat err.txt)" = hi

# ---------------------------------------------------------------- deno --
cat > deno-only/deno-reactor.mjs <<'EOF'
import { Reactor } from "npm:python-wasi-reactor@0.1.0";
const r = await Reactor.load();
await r.registerDef("add", "def add(x, y=10):\n    return x + y\n");
console.log(await r.applyDef("add", [1, 2]));
await r.close();
EOF
cd deno-only || finish
# DENO_DIR of its own: no cached package from elsewhere. --cached-only: the
# registry is never asked.
out=$(DENO_DIR="$work/deno-dir" "$deno" run --no-prompt --cached-only --node-modules-dir=manual \
        --v8-flags=--stack-size=7680 --allow-read=. deno-reactor.mjs 2>&1)
check "deno: Reactor from \"npm:python-wasi-reactor@0.1.0\", node_modules only, --node-modules-dir=manual (got: $out)" \
  test "$out" = 3

cat > deno-process.mjs <<'EOF'
import { ProcessReactor } from "npm:python-wasi-reactor@0.1.0/process";
const r = await ProcessReactor.load({ spare: false, timeoutMs: 20000 });
await r.registerLambda("sq", "lambda x: x * x");
console.log(await r.applyLambda("sq", [12]));
await r.close();
EOF
out=$(DENO_DIR="$work/deno-dir" "$deno" run --no-prompt --cached-only --node-modules-dir=manual \
        --v8-flags=--stack-size=7680 --allow-read=. --allow-run="$deno" --allow-env=NODE_V8_COVERAGE \
        deno-process.mjs 2>&1)
check "deno: ProcessReactor from \"npm:python-wasi-reactor@0.1.0/process\" (got: $out)" test "$out" = 144
cd "$work" || finish

# Where npm install left a package.json (it lists the tarball), Deno finds
# node_modules without the flag: the plain `deno run` of a user's project.
sed 's/npm:python-wasi-reactor@0.1.0/python-wasi-reactor/g' deno-only/deno-reactor.mjs > deno-bare.mjs
out=$(DENO_DIR="$work/deno-dir" "$deno" run --no-prompt --cached-only \
        --v8-flags=--stack-size=7680 --allow-read=. deno-bare.mjs 2>&1)
check "deno: bare \"python-wasi-reactor\" beside npm's package.json, no flag (got: $out)" test "$out" = 3

# The types, through the exports map: Deno type-checks a TypeScript user of
# the package against index.d.ts and process-reactor.d.ts (a wrong option
# type must be an error, or the types were not found).
cat > typed.ts <<'EOF'
import { PythonError, Reactor } from "python-wasi-reactor";
import { ProcessReactor } from "python-wasi-reactor/process";
export async function main(): Promise<void> {
  const r: Reactor = await Reactor.load({ timeoutMs: 1000 });
  const v: unknown = await r.applyDef("add", [1, 2], { output: true });
  const p: ProcessReactor = await ProcessReactor.load({ spare: false });
  // @ts-expect-error: timeoutMs is a number
  await Reactor.load({ timeoutMs: "soon" });
  console.log(v, p, PythonError);
}
EOF
check "deno check: a TypeScript user of the package gets its types" \
  env DENO_DIR="$work/deno-dir" "$deno" check --quiet --no-config --node-modules-dir=manual typed.ts
sed '/ts-expect-error/d' typed.ts > typed-wrong.ts
check "deno check: the same with a wrong option type fails" \
  bash -c '! env DENO_DIR="$1" "$2" check --quiet --no-config --node-modules-dir=manual typed-wrong.ts >/dev/null 2>&1' \
  _ "$work/deno-dir" "$deno"

finish
