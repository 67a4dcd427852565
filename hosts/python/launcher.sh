#!/bin/sh
# build/pyreactor-python: python3 -m pyreactor from the source tree
# (written by hosts/python/python.mk). The package is hosts/python/, the
# library build/libpyreactor.so unless PYREACTOR_LIB names another.
root=$(CDPATH= cd -- "$(dirname -- "$0")/.." && pwd) || exit 3
PYTHONPATH="$root/hosts/python${PYTHONPATH:+:$PYTHONPATH}" \
PYREACTOR_LIB="${PYREACTOR_LIB:-$root/build/libpyreactor.so}" \
  exec @PYTHON@ -s -m pyreactor "$@"
