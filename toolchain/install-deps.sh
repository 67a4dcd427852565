#!/usr/bin/env bash
# Installs every Debian package the build and the tests need, and enables the
# deb-src entries that `apt-get source` needs for CPython, zlib and xz-utils.
# Idempotent: does nothing when everything is already there.
set -euo pipefail

PACKAGES=(
  clang-19 lld-19 llvm-19 libclang-rt-19-dev-wasm32 wasi-libc
  libclang-rt-19-dev
  # C++ parts of numpy (npysort, pocketfft, umath loops) for wasm32-wasi
  libc++-19-dev-wasm32 libc++abi-19-dev-wasm32
  wabt binaryen
  build-essential dpkg-dev pkg-config ca-certificates
  zlib1g-dev libffi-dev
  # the native CPython's lzma module packs the guest's stdlib; .tar.xz sources
  liblzma-dev xz-utils
  nodejs python3
  procps  # ps: the JS tests check that a killed child process is gone
  # the Python host (hosts/python): installed offline with pip, type-checked
  python3-setuptools python3-pip python3-mypy
  # real third-party pure-Python packages that tests/packages/ packs
  # (docs/packages.md), with what they need
  python3-dateutil python3-six python3-yaml python3-jinja2 python3-markupsafe
  python3-jsonschema python3-tz
  # the numpy module's vectors are computed by Debian's numpy
  # (tests/numpy/make_vectors.py); numpy's own tests run in the guest under
  # Debian's pytest and hypothesis (tests/numpy/suite)
  python3-numpy python3-pytest python3-hypothesis
)

SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi

SRC_LIST=/etc/apt/sources.list.d/python-wasi-reactor-src.sources

missing=()
for p in "${PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done

need_update=0
if [ ! -f "$SRC_LIST" ]; then
  # Same suites and keyring as the deb entries Debian 12 ships with.
  $SUDO tee "$SRC_LIST" >/dev/null <<'SRC'
Types: deb-src
URIs: http://deb.debian.org/debian
Suites: bookworm bookworm-updates
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg

Types: deb-src
URIs: http://deb.debian.org/debian-security
Suites: bookworm-security
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
SRC
  need_update=1
fi

if [ ${#missing[@]} -gt 0 ] || [ "$need_update" = 1 ]; then
  echo "[deps] apt-get update"
  $SUDO apt-get update -qq
fi
if [ ${#missing[@]} -gt 0 ]; then
  echo "[deps] installing: ${missing[*]}"
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi
echo "[deps] Debian packages ok"
