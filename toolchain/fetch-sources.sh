#!/usr/bin/env bash
# Fetches the pristine CPython, zlib and xz-utils tarballs from Debian's source packages
# into the cache and checks them by sha256. Nothing else is downloaded.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/config.sh"

mkdir -p "$SRC_CACHE"
cd "$SRC_CACHE"

verify() {  # file sha256 -> 0 when the file is there and matches
  [ -f "$1" ] && echo "$2  $1" | sha256sum -c --status
}

fetch() {  # package=version file sha256
  if verify "$2" "$3"; then return 0; fi
  rm -f "$2"
  log_stage "fetching $1 from Debian's source archive"
  # apt-get exits non-zero when a .dsc is missing although the tarball
  # arrived; the checksum below is what decides.
  apt-get source --download-only "$1" >apt-source.log 2>&1 || true
  if ! verify "$2" "$3"; then
    echo "error: $2 missing or sha256 mismatch (want $3); apt said:" >&2
    tail -20 apt-source.log >&2
    exit 1
  fi
}

fetch "python3.11=$PY_DEB_VERSION" "$PY_ORIG" "$PY_ORIG_SHA256"
fetch "zlib=$ZLIB_DEB_VERSION" "$ZLIB_ORIG" "$ZLIB_ORIG_SHA256"
fetch "xz-utils=$XZ_DEB_VERSION" "$XZ_ORIG" "$XZ_ORIG_SHA256"
log_stage "sources verified in $SRC_CACHE"
