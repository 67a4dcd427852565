# python-wasi-reactor: top-level build.
#   make demo    build everything, then run the example
#   make test    build everything, then run every test suite
#   make bench   measure every host against native CPython (docs/performance.md)
#   make fuzz    libFuzzer over the C API and the WASI layer (FUZZ_SECONDS each)
#   make soak    a million applies on 4 threads, memory sampled (docs/soak.svg)
#   make clean   remove build/ (the CPython cache under ~/.cache stays)
# The slow part, CPython itself, is built once per machine by
# toolchain/build-cpython.sh into ~/.cache/python-wasi-reactor/.

SHELL := /bin/bash
BUILD := build
WASM := $(BUILD)/python-reactor.wasm
WASM_PLAIN := $(BUILD)/python-reactor-plain.wasm

.PHONY: all deps demo test clean distclean
all: $(WASM) $(WASM_PLAIN) native python-host deno-host npm-pack numpy native-numpy

# ---------------------------------------------------------------- setup --
# Debian packages (and deb-src entries), then the pinned npm packages.
$(BUILD)/.deps-apt: toolchain/install-deps.sh
	@mkdir -p $(BUILD)
	toolchain/install-deps.sh
	@touch $@

node_modules/.package-lock.json: package.json package-lock.json | $(BUILD)/.deps-apt
	npm ci --no-audit --no-fund
	@touch $@

deps: $(BUILD)/.deps-apt node_modules/.package-lock.json

# Where the cached CPython build is, and the link flags it recorded.
# Included below, so make builds it (or finds it cached) before anything
# that needs it.
CPYTHON_SCRIPTS := toolchain/build-cpython.sh toolchain/config.sh toolchain/fetch-sources.sh \
  toolchain/freeze_code.py
$(BUILD)/cpython.mk: $(CPYTHON_SCRIPTS) toolchain/prune-cache.sh | $(BUILD)/.deps-apt
	@dir=$$(toolchain/build-cpython.sh) && toolchain/prune-cache.sh "$$dir" && \
	  { echo "CPY := $$dir"; sed 's/=/:=/' "$$dir/link-vars.mk"; } > $@.tmp && mv $@.tmp $@

ifeq ($(filter clean distclean deps,$(MAKECMDGOALS)),)
include $(BUILD)/cpython.mk
endif

# ---------------------------------------------------------------- guest --
include guest/guest.mk
# Variants of the guest with C extension modules built in (guest/variant.mk):
# the numpy module (`make numpy`, guest/numpy.mk) and the test probe.
include guest/variant.mk
include guest/numpy.mk
include tests/variant/probe.mk

# --------------------------------------------------------- native host --
# libpyreactor, the pyreactor command, their tests (hosts/native/native.mk).
include hosts/native/native.mk
# The same for a second module (a guest variant): build/pyreactor-NAME and
# build/libpyreactor-NAME.a (hosts/native/variant.mk).
include hosts/native/variant.mk
# On libpyreactor.so: the Python host (hosts/python/python.mk,
# build/pyreactor-python) and the Deno FFI host (hosts/deno/deno.mk,
# build/pyreactor-deno).
include hosts/python/python.mk
include hosts/deno/deno.mk
# `make npm-pack`: the JS host as an npm package (packaging/npm.mk).
include packaging/npm.mk
# `make soak`: a million applies on 4 threads, docs/soak.svg (tests/soak/soak.mk).
include tests/soak/soak.mk

# ---------------------------------------------------------------- demo --
demo: $(WASM) native numpy native-numpy node_modules/.package-lock.json
	node hosts/js/demo.mjs
	@echo
	@echo "--- the same guest, compiled to native code: build/pyreactor batch ---"
	build/pyreactor --host-function "upper=tr a-z A-Z" batch < hosts/native/cli/demo.jsonl
	@echo
	@echo "--- numpy (docs/numpy.md): the numpy module in Node, then compiled: build/pyreactor-numpy ---"
	node hosts/js/cli.mjs batch --wasm $(NUMPY_WASM) < hosts/native/cli/numpy-demo.jsonl
	build/pyreactor-numpy batch < hosts/native/cli/numpy-demo.jsonl

# ---------------------------------------------------------------- bench --
# `make bench`: docs/performance.md and docs/performance.svg (bench/bench.mk).
include bench/bench.mk

# ---------------------------------------------------------------- fuzz --
# `make fuzz` (FUZZ_SECONDS per harness): libFuzzer over the C API and the
# WASI layer (tests/fuzz/fuzz.mk, docs/fuzzing.md).
include tests/fuzz/fuzz.mk

# ---------------------------------------------------------------- tests --
test: $(WASM) $(WASM_PLAIN) native native-test-bins native-asan soak-bin fuzz-bins node_modules/.package-lock.json \
    python-host deno-host npm-pack numpy native-numpy variant-probe
	@tests/run-all.sh

clean:
	rm -rf $(BUILD)

distclean: clean
	rm -rf node_modules
