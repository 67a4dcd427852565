# bench/bench.mk -- the benchmark suite. Included by the top-level Makefile,
# which defines BUILD, WASM, WASM_PLAIN and CPY.
#
#   make bench                 full run (several minutes), writes
#                              docs/performance.md and docs/performance.svg
#   make bench BENCH_QUICK=1   quick pass for development, writes
#                              build/bench/performance.{md,svg} instead
#
# Raw samples go to build/bench/results.json (results-quick.json for a quick
# run), runner logs to build/bench/logs/. `make bench-report` re-renders the
# page from the last results without measuring.
# The native host's rows need libpyreactor: when hosts/native/native.mk is
# included, make builds it first; otherwise an existing build/libpyreactor.a
# is used, and without one those rows are skipped (the report says so).
# So include this file after native.mk: that choice is made when it is read.

BENCH_DIR := $(BUILD)/bench
BENCH_PY := /usr/bin/python3.11
BENCH_CC := $(or $(NATIVE_CC),gcc)
BENCH_CFLAGS := -std=c11 -O2 -Wall -Wextra -Werror
BENCH_LIBS := $(or $(NATIVE_LIBS),-lpthread -lm)
BENCH_IS_QUICK := $(filter-out 0 no false,$(BENCH_QUICK))
BENCH_OUT := $(if $(BENCH_IS_QUICK),$(BENCH_DIR),docs)
BENCH_RESULTS := $(BENCH_DIR)/results$(if $(BENCH_IS_QUICK),-quick).json

ifneq ($(NATIVE_LIB_SRC),)
BENCH_NATIVE := $(BENCH_DIR)/native_bench $(BUILD)/pyreactor
else ifneq ($(wildcard $(BUILD)/libpyreactor.a),)
BENCH_NATIVE := $(BENCH_DIR)/native_bench
endif

.PHONY: bench bench-report bench-packages

bench: $(WASM) $(WASM_PLAIN) node_modules/.package-lock.json $(BENCH_DIR)/spawn $(BENCH_NATIVE)
	$(BENCH_PY) bench/run.py $(if $(BENCH_IS_QUICK),--quick) --cpython $(CPY)/native/python \
	  --wasm $(WASM) --wasm-plain $(WASM_PLAIN) --build $(BUILD) --out $(BENCH_RESULTS)
	$(if $(BENCH_NATIVE),bench/packages.sh $(BUILD) $(CPY)/native/python)
	$(BENCH_PY) bench/report.py $(BENCH_RESULTS) $(BENCH_OUT)

# Issue 15's figures alone (docs/packages.md): packs, their sizes, start and
# import times; writes build/bench/packages.json.
bench-packages: $(WASM) node_modules/.package-lock.json $(BENCH_NATIVE)
	bench/packages.sh $(BUILD) $(CPY)/native/python

# Re-renders the report from the last results (no measuring).
bench-report:
	$(BENCH_PY) bench/report.py $(BENCH_RESULTS) $(BENCH_OUT)

$(BENCH_DIR)/spawn: bench/spawn.c
	@mkdir -p $(@D)
	$(BENCH_CC) $(BENCH_CFLAGS) -o $@ $<

$(BENCH_DIR)/native_bench: bench/native_bench.c include/pyreactor.h $(BUILD)/libpyreactor.a
	@mkdir -p $(@D)
	$(BENCH_CC) $(BENCH_CFLAGS) -Iinclude -o $@ $< $(BUILD)/libpyreactor.a $(BENCH_LIBS)
