#!/usr/bin/env bash
# tests/packages/make-site.sh DIR [--with-extensions]
# Copies real third-party pure-Python packages from Debian's dist-packages
# (installed by toolchain/install-deps.sh) into DIR, as `pip install
# --target DIR` would leave them: jinja2 + markupsafe, dateutil + six,
# yaml, jsonschema + attrs + pyrsistent + typing_extensions, pytz, with
# their metadata. Their C extensions (markupsafe._speedups, yaml's
# _yaml) are left out unless --with-extensions: the pure-Python parts work
# without them, and a pack refuses them.
set -euo pipefail
dest=$1
with_ext=${2:-}
src=/usr/lib/python3/dist-packages
items=(jinja2 Jinja2-3.1.2.egg-info markupsafe MarkupSafe-2.1.2.egg-info
       dateutil python_dateutil-2.8.2.egg-info six.py six-1.16.0.egg-info
       yaml PyYAML-6.0.dist-info
       jsonschema jsonschema-4.10.3.dist-info attr attrs attrs-22.2.0.dist-info
       pyrsistent _pyrsistent_version.py pyrsistent-0.18.1.egg-info
       typing_extensions.py typing_extensions-4.4.0.dist-info
       pytz pytz-2022.7.1.egg-info)
mkdir -p "$dest"
for item in "${items[@]}"; do
  if [ ! -e "$src/$item" ]; then
    echo "make-site.sh: $src/$item is missing (toolchain/install-deps.sh installs it)" >&2
    exit 1
  fi
  cp -a "$src/$item" "$dest/"
done
find "$dest" -name __pycache__ -prune -exec rm -rf {} +
if [ "$with_ext" != --with-extensions ]; then
  find "$dest" -name '*.so' -delete
fi
