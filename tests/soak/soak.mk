# tests/soak/soak.mk -- the soak: several threads, each with its own
# instance, a million applies in all, resident memory sampled (soak.c says
# what is checked). Included by the top-level Makefile after
# hosts/native/native.mk, whose variables it uses.
#
#   make soak-bin   build/soak/soak
#   make soak       the full run (4 threads, 1,000,000 applies; about 20 s on
#                   the 2-core build machine): build/soak/soak.csv and .log,
#                   then docs/soak.svg, the memory curve docs/reliability.md
#                   shows. `make test` runs the same full run (tests/soak/run.sh)
#                   but leaves docs/ alone.

SOAK_DIR := $(BUILD)/soak
SOAK_PY := /usr/bin/python3

.PHONY: soak-bin soak

soak-bin: $(SOAK_DIR)/soak

$(SOAK_DIR)/soak: tests/soak/soak.c $(BUILD)/libpyreactor.a include/pyreactor.h
	@mkdir -p $(@D)
	$(NATIVE_CC) $(NATIVE_CFLAGS) -o $@ $< $(BUILD)/libpyreactor.a $(NATIVE_LIBS)

# The chart is drawn even when a check failed (it shows why); make still
# fails afterwards with the soak's own exit status.
soak: $(SOAK_DIR)/soak
	@set -o pipefail; $(SOAK_DIR)/soak --threads 4 --applies 1000000 --csv $(SOAK_DIR)/soak.csv \
	  | tee $(SOAK_DIR)/soak.log; rc=$$?; \
	  $(SOAK_PY) tests/soak/plot.py $(SOAK_DIR)/soak.csv docs/soak.svg && echo "wrote docs/soak.svg"; \
	  exit $$rc
