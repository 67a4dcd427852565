# hosts/native/native.mk -- the native C host: libpyreactor, the pyreactor
# command, its tests and an ASan/UBSan build of them. Included by the
# top-level Makefile, which defines BUILD and WASM.
#
# Targets:
#   native            build/libpyreactor.a, build/libpyreactor.so (soname
#                     libpyreactor.so.0, the file libpyreactor.so.0.1.0),
#                     build/pyreactor, build/pyreactor.pc (for install) and
#                     build/pyreactor-uninstalled.pc (the build tree, for
#                     PKG_CONFIG_PATH=build)
#   native-test-bins  the C test programs in build/native-tests/, linked with
#                     build/native-tests/libpyreactor-testing.a
#   native-asan       host C + tests built with -fsanitize=address,undefined
#                     in build/asan/ (the wasm2c object is reused as is)
#   native-test       builds all of the above and runs every native suite
#   install           PREFIX=/usr/local, LIBDIR=PREFIX/lib (and DESTDIR):
#                     header, both libraries, pkg-config file, command
#
# What the libraries export (docs/native-api.md, "Linking"): the functions
# of include/pyreactor.h and nothing else. The host C is compiled with
# -fvisibility=hidden and PYREACTOR_BUILD (the header's pragma makes its
# declarations visible); the guest object and the host objects are linked
# into one object (ld -r) whose every other symbol is made local (objcopy),
# and that object is both the archive's only member and the shared
# library's content. The test hooks (hosts/native/testing/) and the
# internals the command and the tests use (JSON, batch requests, the WASI
# layer) are in unlocalized archives of the same objects: libpyreactor-
# internal.a (the command) and libpyreactor-testing.a (tests, fuzz).
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
NATIVE_LAYERS := runtime wasi json lib testing cli
# The layers in the library; testing/ goes only into the test archives.
NATIVE_LIB_LAYERS := runtime wasi json lib
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

# Every .c of a layer is in: a new file needs no edit here.
NATIVE_LIB_SRC := $(sort $(wildcard $(NATIVE_LIB_LAYERS:%=hosts/native/%/*.c)))
NATIVE_TESTING_SRC := $(sort $(wildcard hosts/native/testing/*.c))
NATIVE_CLI_SRC := hosts/native/cli/pyreactor_cli.c hosts/native/cli/pyreactor_pack_cmd.c
NATIVE_HDRS := include/pyreactor.h $(wildcard hosts/native/*/*.h)
NATIVE_LIB_OBJ := $(NATIVE_LIB_SRC:hosts/native/%.c=$(NATIVE_DIR)/%.o)
NATIVE_TESTING_OBJ := $(NATIVE_TESTING_SRC:hosts/native/%.c=$(NATIVE_DIR)/%.o)
# The host objects: position-independent (the same objects make the .a and
# the .so), hidden unless include/pyreactor.h declares them. Thread-locals
# are initial-exec: -fPIC alone makes every access in the .so a call to
# __tls_get_addr, several per call into the guest (guest_call.c, the busy
# check); the .so then needs 32 bytes of static TLS, which glibc keeps in
# reserve for libraries loaded by dlopen (ctypes, Deno FFI: both tested),
# and a program linked with the .a gets local-exec anyway.
NATIVE_OBJ_CFLAGS := $(NATIVE_CFLAGS) -fPIC -fvisibility=hidden -DPYREACTOR_BUILD -ftls-model=initial-exec
NATIVE_SO_VERSION := 0.1.0
NATIVE_SONAME := libpyreactor.so.0
NATIVE_SO := $(BUILD)/libpyreactor.so.$(NATIVE_SO_VERSION)
NATIVE_INTERNAL_LIB := $(NATIVE_DIR)/libpyreactor-internal.a
NATIVE_TESTING_LIB := $(NATIVE_TEST_DIR)/libpyreactor-testing.a
NATIVE_GEN_H := $(NATIVE_DIR)/python_reactor.h
NATIVE_GEN_O := $(NATIVE_DIR)/python_reactor.o
# Every tests/native/test_*.c is a test program.
NATIVE_TESTS := $(sort $(patsubst tests/native/%.c,%,$(wildcard tests/native/test_*.c)))
NATIVE_TEST_BINS := $(NATIVE_TESTS:%=$(NATIVE_TEST_DIR)/%)
NATIVE_ASAN_BINS := $(NATIVE_ASAN_DIR)/pyreactor $(NATIVE_TESTS:%=$(NATIVE_ASAN_DIR)/%)

.PHONY: native native-test-bins native-asan native-test install native-force

native: $(BUILD)/libpyreactor.a $(BUILD)/libpyreactor.so $(BUILD)/pyreactor $(BUILD)/pyreactor.pc \
  $(BUILD)/pyreactor-uninstalled.pc

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

# What a module loaded at run time must share with the compiled one (its
# code's hash, globals, memory): lib/pyreactor_pack.c checks packs with it
# (docs/packages.md). Rewritten only when it changes.
NATIVE_MODULE_INFO := $(NATIVE_DIR)/guest_module.h
$(NATIVE_DIR)/wasm-module-info: hosts/native/wasm2c/wasm_module_info.c hosts/native/runtime/wasm_module.c \
    hosts/native/runtime/wasm_module.h
	@mkdir -p $(@D)
	$(NATIVE_CC) $(NATIVE_CFLAGS) -o $@ hosts/native/wasm2c/wasm_module_info.c hosts/native/runtime/wasm_module.c
$(NATIVE_MODULE_INFO): $(NATIVE_DIR)/python_reactor.stamp $(NATIVE_DIR)/wasm-module-info
	$(NATIVE_DIR)/wasm-module-info $(NATIVE_DIR)/input.wasm > $@.tmp
	@cmp -s $@.tmp $@ && rm -f $@.tmp || mv $@.tmp $@

# ------------------------------------------------------------- library --
# native.mk itself is a prerequisite, so that a change of these flags
# rebuilds the host objects (seconds; the guest's stamp does not depend on it).
$(NATIVE_DIR)/%.o: hosts/native/%.c $(NATIVE_HDRS) $(NATIVE_GEN_H) $(NATIVE_MODULE_INFO) hosts/native/native.mk
	@mkdir -p $(@D)
	$(NATIVE_CC) $(NATIVE_OBJ_CFLAGS) -c $< -o $@

# The library as one object: guest and host linked, then every symbol that
# is not a pyreactor_* function of default visibility made local (the
# guest's Z_* exports, and whatever -fvisibility=hidden hid).
$(NATIVE_DIR)/libpyreactor.o: $(NATIVE_GEN_O) $(NATIVE_LIB_OBJ)
	ld -r -o $@.tmp $^
	objcopy --localize-hidden --wildcard --keep-global-symbol='pyreactor_*' $@.tmp $@
	rm -f $@.tmp

$(BUILD)/libpyreactor.a: $(NATIVE_DIR)/libpyreactor.o
	rm -f $@
	ar rcs $@ $^

# The version script repeats the rule for what the linker itself adds.
$(NATIVE_SO): $(NATIVE_DIR)/libpyreactor.o hosts/native/lib/libpyreactor.map
	$(NATIVE_CC) -shared -o $@ $< -Wl,-soname,$(NATIVE_SONAME) \
	  -Wl,--version-script=hosts/native/lib/libpyreactor.map -Wl,--no-undefined -Wl,-z,noexecstack \
	  -Wl,-z,relro -Wl,-z,now $(NATIVE_LIBS)
$(BUILD)/$(NATIVE_SONAME): $(NATIVE_SO)
	ln -sf $(<F) $@
$(BUILD)/libpyreactor.so: $(BUILD)/$(NATIVE_SONAME)
	ln -sf $(<F) $@

# Unlocalized: the internals the command uses (batch requests, host
# commands, JSON), and for the tests also the hooks of hosts/native/testing.
$(NATIVE_INTERNAL_LIB): $(NATIVE_GEN_O) $(NATIVE_LIB_OBJ)
	rm -f $@
	ar rcs $@ $^
$(NATIVE_TESTING_LIB): $(NATIVE_GEN_O) $(NATIVE_LIB_OBJ) $(NATIVE_TESTING_OBJ)
	@mkdir -p $(@D)
	rm -f $@
	ar rcs $@ $^

$(BUILD)/pyreactor: $(NATIVE_DIR)/cli/pyreactor_cli.o $(NATIVE_DIR)/cli/pyreactor_pack_cmd.o $(NATIVE_INTERNAL_LIB)
	$(NATIVE_CC) -o $@ $^ $(NATIVE_LIBS)

# pyreactor.pc: for the installed copy; regenerated when PREFIX or LIBDIR
# changes, rewritten only when its text does. pyreactor-uninstalled.pc:
# the build tree (pkg-config prefers NAME-uninstalled.pc when both are on
# PKG_CONFIG_PATH). Libs.private is what --static adds: the .so records
# pthread and m itself.
LIBDIR ?= $(PREFIX)/lib
INCLUDEDIR ?= $(PREFIX)/include
NATIVE_PC_BODY := 'Name: pyreactor' \
  'Description: Sandboxed CPython 3.11 (python-reactor.wasm compiled by wasm2c)' \
  'Version: $(NATIVE_SO_VERSION)' 'Cflags: -I$${includedir}' 'Libs: -L$${libdir} -lpyreactor' \
  'Libs.private: $(NATIVE_LIBS)'
$(BUILD)/pyreactor.pc: native-force
	@mkdir -p $(@D)
	@printf '%s\n' 'prefix=$(PREFIX)' 'includedir=$(patsubst $(PREFIX)/%,$${prefix}/%,$(INCLUDEDIR))' \
	  'libdir=$(patsubst $(PREFIX)/%,$${prefix}/%,$(LIBDIR))' '' $(NATIVE_PC_BODY) > $@.tmp
	@cmp -s $@.tmp $@ && rm -f $@.tmp || mv $@.tmp $@
$(BUILD)/pyreactor-uninstalled.pc: native-force
	@mkdir -p $(@D)
	@printf '%s\n' 'includedir=$(abspath include)' 'libdir=$(abspath $(BUILD))' '' $(NATIVE_PC_BODY) > $@.tmp
	@cmp -s $@.tmp $@ && rm -f $@.tmp || mv $@.tmp $@
native-force:

install: native
	install -D -m 644 include/pyreactor.h $(DESTDIR)$(INCLUDEDIR)/pyreactor.h
	install -D -m 644 $(BUILD)/libpyreactor.a $(DESTDIR)$(LIBDIR)/libpyreactor.a
	install -D -m 755 $(NATIVE_SO) $(DESTDIR)$(LIBDIR)/$(notdir $(NATIVE_SO))
	ln -sf $(notdir $(NATIVE_SO)) $(DESTDIR)$(LIBDIR)/$(NATIVE_SONAME)
	ln -sf $(NATIVE_SONAME) $(DESTDIR)$(LIBDIR)/libpyreactor.so
	install -D -m 644 $(BUILD)/pyreactor.pc $(DESTDIR)$(LIBDIR)/pkgconfig/pyreactor.pc
	install -D -m 755 $(BUILD)/pyreactor $(DESTDIR)$(PREFIX)/bin/pyreactor

# --------------------------------------------------------------- tests --
native-test-bins: $(NATIVE_TEST_BINS)

$(NATIVE_TEST_DIR)/%: tests/native/%.c tests/native/test_util.h $(NATIVE_TESTING_LIB) $(NATIVE_HDRS)
	@mkdir -p $(@D)
	$(NATIVE_CC) $(NATIVE_CFLAGS) -Itests/native -o $@ $< $(NATIVE_TESTING_LIB) $(NATIVE_LIBS)

# ------------------------------------------------- ASan + UBSan build --
# Only the host-side C is instrumented; the generated object is linked as it
# is (instrumenting 95 MB of generated C buys nothing and costs 10 minutes).
NATIVE_SAN := -fsanitize=address,undefined -fno-sanitize-recover=undefined -fno-omit-frame-pointer
NATIVE_ASAN_CFLAGS := $(filter-out -O2,$(NATIVE_CFLAGS)) -O1 $(NATIVE_SAN)
NATIVE_ASAN_OBJ := $(patsubst hosts/native/%.c,$(NATIVE_ASAN_DIR)/%.o,$(NATIVE_LIB_SRC) $(NATIVE_TESTING_SRC))

native-asan: $(NATIVE_ASAN_BINS)

$(NATIVE_ASAN_DIR)/%.o: hosts/native/%.c $(NATIVE_HDRS) $(NATIVE_GEN_H) $(NATIVE_MODULE_INFO)
	@mkdir -p $(@D)
	$(NATIVE_CC) $(NATIVE_ASAN_CFLAGS) -c $< -o $@

$(NATIVE_ASAN_DIR)/libpyreactor.a: $(NATIVE_GEN_O) $(NATIVE_ASAN_OBJ)
	rm -f $@
	ar rcs $@ $^

$(NATIVE_ASAN_DIR)/pyreactor: $(NATIVE_ASAN_DIR)/cli/pyreactor_cli.o $(NATIVE_ASAN_DIR)/cli/pyreactor_pack_cmd.o \
    $(NATIVE_ASAN_DIR)/libpyreactor.a
	$(NATIVE_CC) $(NATIVE_SAN) -o $@ $^ $(NATIVE_LIBS)

$(NATIVE_ASAN_DIR)/test_%: tests/native/test_%.c tests/native/test_util.h $(NATIVE_ASAN_DIR)/libpyreactor.a $(NATIVE_HDRS)
	$(NATIVE_CC) $(NATIVE_ASAN_CFLAGS) -Itests/native -o $@ $< $(NATIVE_ASAN_DIR)/libpyreactor.a $(NATIVE_LIBS)

# ---------------------------------------------------------- run them all --
native-test: native native-test-bins native-asan node_modules/.package-lock.json
	tests/native/run-suites.sh
