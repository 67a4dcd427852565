#!/usr/bin/env bash
# Removes old CPython builds from the cache: keeps KEEP (default 3) of the
# most recently completed ones, and always the one given. Each is ~350 MB,
# and every change to the toolchain scripts or flags makes a new one.
# In-progress builds (cpython-<key>.tmp) are never touched.
#
#   prune-cache.sh CURRENT_DIR [KEEP]
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/config.sh"
current=$1 keep=${2:-3}
n=0
# Newest first, by the time the build completed.
mapfile -t markers < <(stat -c '%Y %n' "$CACHE_ROOT"/cpython-*/.complete 2>/dev/null | sort -rn | cut -d' ' -f2-)
for marker in "${markers[@]}"; do
  dir=${marker%/.complete}
  [[ $(basename "$dir") =~ ^cpython-[0-9a-f]{16}$ ]] || continue
  n=$((n + 1))
  if (( n > keep )) && [[ $dir != "$current" ]]; then
    echo "[cpython] removing an old build from the cache: $dir" >&2
    rm -rf "$dir" "$dir.log"
  fi
done
