# hosts/native/native.mk -- the native C host: libpyreactor, the pyreactor
# command, its tests and an ASan/UBSan build of them. Included by the
# top-level Makefile, which defines BUILD and WASM.
#
# Targets:
#   native            build/libpyreactor.a, build/pyreactor, build/pyreactor.pc
#   native-test-bins  the C test programs in build/native-tests/
#   native-asan       host C + tests built with -fsanitize=address,undefined
#                     in build/asan/ (the wasm2c object is reused as is)
#   native-test       builds all of the above and runs every native suite
#   install           PREFIX=/usr/local (and DESTDIR): header, library,
#                     pkg-config file, command
#
# The guest is compiled once per distinct wasm (hosts/native/wasm2c/wasm2c-cache.sh,
# cached in ~/.cache/python-wasi-reactor/; about 5 s of wasm2c and 70 s of
# gcc on 2 cores, 400 MB per compiler); everything else is small.
# PYREACTOR_WASM2C_JOBS (default 2) bounds the parallel guest compiles.

PREFIX ?= /usr/local
NATIVE_DIR := $(BUILD)/native
NATIVE_TEST_DIR := $(BUILD)/native-tests
NATIVE_ASAN_DIR := $(BUILD)/asan
WASM2C_RT := /usr/src/wasm2c
NATIVE_CC ?= gcc
# The generated code is compiled by clang: measured in one interleaved run
# of bench/kernels.py against the same-source native CPython, geomean 1.50x
# with clang-19 -O2 vs 1.59x with gcc 12 -O2 (clang -O3: 1.52x).
NATIVE_GEN_CC ?= clang-19

# Our code: strict. _GNU_SOURCE for ucontext, openat2, getrandom, preadv.
NATIVE_WARN := -Wall -Wextra -Werror
# The host is split by layer (hosts/native/<layer>/): runtime (wasm2c's
# runtime, guest calls, memory image), wasi, json, lib (the C API), cli,
# testing (test hooks), wasm2c (the guest's compile). Each layer's headers
# are found by name.
NATIVE_LAYERS := runtime wasi json lib testing
NATIVE_CFLAGS := -std=c11 -D_GNU_SOURCE -O2 -g $(NATIVE_WARN) -fstack-clash-protection \
  -Iinclude $(NATIVE_LAYERS:%=-Ihosts/native/%) -I$(NATIVE_DIR) -I$(WASM2C_RT)
# The generated code: not ours to warn about. Stack-clash protection makes a
# large frame probe page by page, so guest stack overflow always hits the
# guard region of the instance's stack (see guest_call.c).
# clang's tail duplication limits are raised so that the threaded dispatch
# of the eval loop stays threaded (wasm2c/wasm2c-split.awk, "Threaded dispatch").
NATIVE_GEN_CFLAGS := -O2 -fstack-clash-protection -w -I$(WASM2C_RT) \
  $(if $(findstring clang,$(NATIVE_GEN_CC)),-mllvm -tail-dup-pred-size=1000 -mllvm -tail-dup-succ-size=1000)
NATIVE_LIBS := -lpthread -lm

NATIVE_LIB_SRC := $(addprefix hosts/native/,runtime/guest_call.c runtime/wasm_rt_runtime.c \
  runtime/wasm_memory_image.c \
  wasi/wasi_mem.c wasi/wasi_fd_table.c wasi/wasi_fs.c wasi/wasi_path.c wasi/wasi_clock_random.c \
  wasi/wasi_env_proc.c wasi/wasi_link.c \
  json/json_reader.c json/json_writer.c \
  lib/host_call.c lib/host_command.c lib/batch_request.c \
  lib/pyreactor_instance.c lib/pyreactor_log.c lib/pyreactor_export_call.c lib/pyreactor_rebuild.c \
  lib/pyreactor_calls.c lib/pyreactor_result.c \
  testing/pyreactor_testing.c)
NATIVE_CLI_SRC := hosts/native/cli/pyreactor_cli.c
NATIVE_HDRS := include/pyreactor.h $(wildcard hosts/native/*/*.h)
NATIVE_LIB_OBJ := $(NATIVE_LIB_SRC:hosts/native/%.c=$(NATIVE_DIR)/%.o)
NATIVE_GEN_H := $(NATIVE_DIR)/python_reactor.h
NATIVE_GEN_O := $(NATIVE_DIR)/python_reactor.o
NATIVE_TESTS := test_vectors_api test_sandbox test_traps test_api test_wasi test_json test_host_functions
NATIVE_TEST_BINS := $(NATIVE_TESTS:%=$(NATIVE_TEST_DIR)/%)
NATIVE_ASAN_BINS := $(NATIVE_ASAN_DIR)/pyreactor $(NATIVE_TESTS:%=$(NATIVE_ASAN_DIR)/%)

.PHONY: native native-test-bins native-asan native-test install native-force

native: $(BUILD)/libpyreactor.a $(BUILD)/pyreactor $(BUILD)/pyreactor.pc

# ------------------------------------------------------------ the guest --
# The wasm is copied first and the stamp gets the copy's time, so a wasm
# rebuilt while this runs is seen as newer next time.
#
# With clang (the default), profile-guided: hosts/native/wasm2c/wasm2c-pgo.sh
# trains an instrumented build on CPython's own PGO test set first.
# NATIVE_PGO=0 skips that (a plain -O2 object, one compile instead of two).
NATIVE_PGO ?= 1
NATIVE_GUEST_BUILD := $(if $(and $(filter 1,$(NATIVE_PGO)),$(findstring clang,$(NATIVE_GEN_CC))),pgo,plain)
NATIVE_PGO_DEPS := hosts/native/wasm2c/wasm2c-pgo.sh hosts/native/wasm2c/pgo_train.py
$(NATIVE_DIR)/python_reactor.stamp: $(WASM) hosts/native/wasm2c/wasm2c-cache.sh hosts/native/wasm2c/wasm2c-split.awk \
    $(if $(filter pgo,$(NATIVE_GUEST_BUILD)),$(NATIVE_PGO_DEPS))
	@mkdir -p $(@D)
	cp $(WASM) $(NATIVE_DIR)/input.wasm
ifeq ($(NATIVE_GUEST_BUILD),pgo)
	PGO_HOST_CC='$(NATIVE_CC)' PGO_HOST_CFLAGS='$(NATIVE_CFLAGS)' \
	PGO_HOST_SRC='$(NATIVE_LIB_SRC) $(NATIVE_CLI_SRC)' \
	  hosts/native/wasm2c/wasm2c-pgo.sh $(NATIVE_DIR)/input.wasm $(NATIVE_DIR) $(CPY)/src/Lib \
	  $(NATIVE_GEN_CC) $(NATIVE_GEN_CFLAGS)
else
	hosts/native/wasm2c/wasm2c-cache.sh $(NATIVE_DIR)/input.wasm $(NATIVE_DIR) $(NATIVE_GEN_CC) $(NATIVE_GEN_CFLAGS)
endif
	@touch -r $(NATIVE_DIR)/input.wasm $@
# Side products of the stamp; the header keeps its time when unchanged.
$(NATIVE_GEN_O) $(NATIVE_GEN_H): $(NATIVE_DIR)/python_reactor.stamp ;

# ------------------------------------------------------------- library --
$(NATIVE_DIR)/%.o: hosts/native/%.c $(NATIVE_HDRS) $(NATIVE_GEN_H)
	@mkdir -p $(@D)
	$(NATIVE_CC) $(NATIVE_CFLAGS) -c $< -o $@

$(BUILD)/libpyreactor.a: $(NATIVE_GEN_O) $(NATIVE_LIB_OBJ)
	rm -f $@
	ar rcs $@ $^

$(BUILD)/pyreactor: $(NATIVE_DIR)/cli/pyreactor_cli.o $(BUILD)/libpyreactor.a
	$(NATIVE_CC) -o $@ $^ $(NATIVE_LIBS)

# Regenerated when PREFIX changes, rewritten only when its text does.
$(BUILD)/pyreactor.pc: native-force
	@mkdir -p $(@D)
	@printf '%s\n' 'prefix=$(PREFIX)' 'includedir=$${prefix}/include' 'libdir=$${prefix}/lib' '' \
	  'Name: pyreactor' 'Description: Sandboxed CPython 3.11 (python-reactor.wasm compiled by wasm2c)' \
	  'Version: 0.1.0' 'Cflags: -I$${includedir}' 'Libs: -L$${libdir} -lpyreactor -lpthread -lm' \
	  > $@.tmp
	@cmp -s $@.tmp $@ && rm -f $@.tmp || mv $@.tmp $@
native-force:

install: native
	install -D -m 644 include/pyreactor.h $(DESTDIR)$(PREFIX)/include/pyreactor.h
	install -D -m 644 $(BUILD)/libpyreactor.a $(DESTDIR)$(PREFIX)/lib/libpyreactor.a
	install -D -m 644 $(BUILD)/pyreactor.pc $(DESTDIR)$(PREFIX)/lib/pkgconfig/pyreactor.pc
	install -D -m 755 $(BUILD)/pyreactor $(DESTDIR)$(PREFIX)/bin/pyreactor

# --------------------------------------------------------------- tests --
native-test-bins: $(NATIVE_TEST_BINS)

$(NATIVE_TEST_DIR)/%: tests/native/%.c tests/native/test_util.h $(BUILD)/libpyreactor.a $(NATIVE_HDRS)
	@mkdir -p $(@D)
	$(NATIVE_CC) $(NATIVE_CFLAGS) -Itests/native -o $@ $< $(BUILD)/libpyreactor.a $(NATIVE_LIBS)

# ------------------------------------------------- ASan + UBSan build --
# Only the host-side C is instrumented; the generated object is linked as it
# is (instrumenting 95 MB of generated C buys nothing and costs 10 minutes).
NATIVE_SAN := -fsanitize=address,undefined -fno-sanitize-recover=undefined -fno-omit-frame-pointer
NATIVE_ASAN_CFLAGS := $(filter-out -O2,$(NATIVE_CFLAGS)) -O1 $(NATIVE_SAN)
NATIVE_ASAN_OBJ := $(NATIVE_LIB_SRC:hosts/native/%.c=$(NATIVE_ASAN_DIR)/%.o)

native-asan: $(NATIVE_ASAN_BINS)

$(NATIVE_ASAN_DIR)/%.o: hosts/native/%.c $(NATIVE_HDRS) $(NATIVE_GEN_H)
	@mkdir -p $(@D)
	$(NATIVE_CC) $(NATIVE_ASAN_CFLAGS) -c $< -o $@

$(NATIVE_ASAN_DIR)/libpyreactor.a: $(NATIVE_GEN_O) $(NATIVE_ASAN_OBJ)
	rm -f $@
	ar rcs $@ $^

$(NATIVE_ASAN_DIR)/pyreactor: $(NATIVE_ASAN_DIR)/cli/pyreactor_cli.o $(NATIVE_ASAN_DIR)/libpyreactor.a
	$(NATIVE_CC) $(NATIVE_SAN) -o $@ $^ $(NATIVE_LIBS)

$(NATIVE_ASAN_DIR)/test_%: tests/native/test_%.c tests/native/test_util.h $(NATIVE_ASAN_DIR)/libpyreactor.a $(NATIVE_HDRS)
	$(NATIVE_CC) $(NATIVE_ASAN_CFLAGS) -Itests/native -o $@ $< $(NATIVE_ASAN_DIR)/libpyreactor.a $(NATIVE_LIBS)

# ---------------------------------------------------------- run them all --
native-test: native native-test-bins native-asan node_modules/.package-lock.json
	tests/native/run-suites.sh
