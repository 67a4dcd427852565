# tests/fuzz/fuzz.mk -- libFuzzer harnesses over the native host (see
# docs/fuzzing.md). Included by the top-level Makefile after native.mk, whose
# variables (NATIVE_LIB_SRC, NATIVE_CFLAGS, NATIVE_GEN_O, ...) it reuses.
#
# Targets:
#   fuzz-bins  build/fuzz/fuzz_api and build/fuzz/fuzz_wasi (clang-19,
#              libFuzzer + ASan + UBSan)
#   fuzz       runs each harness for FUZZ_SECONDS (default 600), one after
#              the other (tests/fuzz/run.sh); corpora in build/fuzz/corpus-*,
#              crashes in build/fuzz/artifacts/; fails if any harness found
#              something. FUZZ_HARNESSES=wasi runs one, FUZZ_FLAGS adds
#              libFuzzer flags.
# `make test` runs both for 20 s each (tests/fuzz/run-short.sh).
#
# Only libFuzzer's clang can build these, so the host sources are compiled a
# third time (after build/native and build/asan) into build/fuzz/obj/, with
# coverage instrumentation (-fsanitize=fuzzer-no-link). The wasm2c object is
# gcc's, uninstrumented: coverage of 95 MB of generated guest code would
# drown the host's, and the guest is not what these harnesses test.

FUZZ_DIR := $(BUILD)/fuzz
FUZZ_CC ?= clang-19
FUZZ_SECONDS ?= 600
FUZZ_SAN := -fsanitize=address,undefined -fno-sanitize-recover=undefined -fno-omit-frame-pointer
FUZZ_CFLAGS := $(filter-out -O2 -g,$(NATIVE_CFLAGS)) -g -O1 $(FUZZ_SAN)
FUZZ_OBJ := $(patsubst hosts/native/%.c,$(FUZZ_DIR)/obj/%.o,$(NATIVE_LIB_SRC) $(NATIVE_TESTING_SRC))
FUZZ_LIB := $(FUZZ_DIR)/libpyreactor-fuzz.a
FUZZ_BINS := $(FUZZ_DIR)/fuzz_api $(FUZZ_DIR)/fuzz_wasi

.PHONY: fuzz-bins fuzz
fuzz-bins: $(FUZZ_BINS)

$(FUZZ_DIR)/obj/%.o: hosts/native/%.c $(NATIVE_HDRS) $(NATIVE_GEN_H)
	@mkdir -p $(@D)
	$(FUZZ_CC) $(FUZZ_CFLAGS) -fsanitize=fuzzer-no-link -c $< -o $@

# Without the guest object: fuzz_wasi needs only the WASI layer and
# guest_call, and the linker takes from an archive only what is used.
$(FUZZ_LIB): $(FUZZ_OBJ)
	rm -f $@
	ar rcs $@ $^

$(FUZZ_DIR)/fuzz_api: tests/fuzz/fuzz_api.c tests/fuzz/fuzz_common.h $(FUZZ_LIB) $(NATIVE_GEN_O) $(NATIVE_HDRS)
	$(FUZZ_CC) $(FUZZ_CFLAGS) -fsanitize=fuzzer -o $@ $< $(NATIVE_GEN_O) $(FUZZ_LIB) $(NATIVE_LIBS)

$(FUZZ_DIR)/fuzz_wasi: tests/fuzz/fuzz_wasi.c tests/fuzz/fuzz_common.h $(FUZZ_LIB) $(NATIVE_HDRS) $(NATIVE_GEN_H)
	$(FUZZ_CC) $(FUZZ_CFLAGS) -fsanitize=fuzzer -o $@ $< $(FUZZ_LIB) $(NATIVE_LIBS)

FUZZ_HARNESSES ?= api wasi
FUZZ_FLAGS ?=
fuzz: fuzz-bins
	FUZZ_SECONDS='$(FUZZ_SECONDS)' FUZZ_HARNESSES='$(FUZZ_HARNESSES)' FUZZ_FLAGS='$(FUZZ_FLAGS)' tests/fuzz/run.sh
