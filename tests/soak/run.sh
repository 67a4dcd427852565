#!/usr/bin/env bash
# The soak as `make test` runs it: the full million applies on 4 threads
# (about 20 s on the 2-core build machine, so no shorter variant is needed).
# Samples go to build/soak/soak-test.csv; `make soak` is the run that
# redraws docs/soak.svg.
set -eu
cd "$(dirname "$0")/../.."
exec build/soak/soak --threads 4 --applies 1000000 --csv build/soak/soak-test.csv
