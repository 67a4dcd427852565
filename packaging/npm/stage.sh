#!/usr/bin/env bash
# Stages the npm package of the JavaScript host and packs it:
#   packaging/npm/stage.sh STAGE_DIR WASM DEST_DIR
# STAGE_DIR (e.g. build/npm) is emptied and filled with hosts/js's runtime
# files (every .mjs, wasi/*.mjs, the two .d.ts files, README.md), the module
# WASM copied in as python-reactor.wasm (next to reactor.mjs, where the host
# looks for it by default) and packaging/npm/package.json; then `npm pack`
# writes python-wasi-reactor-VERSION.tgz into DEST_DIR (e.g. build/).
# Nothing is fetched: the package has no dependencies.
set -euo pipefail
cd "$(dirname "$0")/../.."
[ $# -eq 3 ] || { echo "usage: $0 STAGE_DIR WASM DEST_DIR" >&2; exit 2; }
stage=$1 wasm=$2 dest=$3
[ -f "$wasm" ] || { echo "$0: no module at $wasm (run make first)" >&2; exit 1; }

rm -rf "$stage"
mkdir -p "$stage/wasi" "$dest"
dest_abs=$(cd "$dest" && pwd)
cp hosts/js/*.mjs hosts/js/index.d.ts hosts/js/process-reactor.d.ts hosts/js/README.md "$stage/"
cp hosts/js/wasi/*.mjs "$stage/wasi/"
cp "$wasm" "$stage/python-reactor.wasm"
cp packaging/npm/package.json "$stage/package.json"
chmod +x "$stage/cli.mjs"

# --ignore-scripts: the package has none, and none of the user's npm
# configuration should run anything here.
(cd "$stage" && npm pack --ignore-scripts --loglevel=warn --pack-destination "$dest_abs" >/dev/null)
version=$(node -p 'JSON.parse(require("fs").readFileSync(process.argv[1], "utf8")).version' "$stage/package.json")
echo "$dest/python-wasi-reactor-$version.tgz"
