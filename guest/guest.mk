# The guest: C glue + frozen stdlib + libpython -> build/python-reactor.wasm.
# Included by the top-level Makefile, which defines CPY and the PY_* link
# variables recorded by toolchain/build-cpython.sh.

GUEST_SRC := $(wildcard guest/reactor_*.c)
GUEST_OBJ := $(GUEST_SRC:guest/%.c=$(BUILD)/guest/%.o)
WASI_CC := clang-19 --target=wasm32-wasi --sysroot=$(CPY)/sysroot
GUEST_CFLAGS := -std=c11 -O2 -Wall -Wextra -Werror -I$(CPY)/src/Include -I$(CPY)/wasm -I$(CPY)/zlib \
  -I$(CPY)/lzma/include -Iguest
# Recursion through C at Python's limit of 1000 needs a few hundred KiB;
# 8 MiB, as CPython 3.13 chose for WASI, leaves room for user-raised limits.
GUEST_STACK := 8388608
GUEST_LIBS := $(CPY)/wasm/libpython3.11.a $(CPY)/wasm/$(PY_LIBMPDEC_A) \
  $(CPY)/wasm/$(PY_LIBEXPAT_A) $(CPY)/zlib/libz.a $(CPY)/lzma/liblzma.a $(PY_LIBS) $(filter-out %.a,$(PY_MODLIBS)) $(PY_SYSLIBS)

# memcpy & co. as bulk-memory instructions (see the file); -fno-builtin so
# that no loop in it is turned back into a call of itself.
$(BUILD)/guest/reactor_memory_ops.o: GUEST_CFLAGS += -mbulk-memory -fno-builtin

$(BUILD)/guest/%.o: guest/%.c guest/reactor.h guest/reactor_frozen.h $(BUILD)/cpython.mk
	@mkdir -p $(@D)
	$(WASI_CC) $(GUEST_CFLAGS) -c $< -o $@

# The stdlib as frozen bytecode, compiled by the native python of the same
# source so the bytecode format matches the guest's interpreter. The build
# tree's path (it was built in $(CPY).tmp) is scrubbed from the sysconfig
# data: the guest must not carry the build machine's paths, and the module's
# bytes must not depend on where the cache is. No column ranges: the frozen
# modules have no source to underline (toolchain/freeze_code.py).
$(BUILD)/guest/frozen_stdlib.c: guest/stdlib_freeze.py toolchain/freeze_code.py guest/_reactor.py \
  guest/reactor.py guest/_reactor_pack.py $(BUILD)/cpython.mk
	@mkdir -p $(@D)
	$(CPY)/native/python -X no_debug_ranges guest/stdlib_freeze.py --lib $(CPY)/src/Lib \
	  --extra _reactor=guest/_reactor.py --extra reactor=guest/reactor.py \
	  --extra _reactor_pack=guest/_reactor_pack.py --not-preloaded _reactor_pack \
	  --preload-from _reactor=guest/_reactor.py \
	  --sysconfig $(PY_SYSCONFIGDATA)=$(CPY)/wasm/$(PY_SYSCONFIGDATA).py \
	  --scrub $(CPY).tmp --scrub $(CPY) \
	  --out $@ --manifest $(BUILD)/guest/frozen_modules.txt

# Pure data: optimizing it only costs time.
$(BUILD)/guest/frozen_stdlib.o: $(BUILD)/guest/frozen_stdlib.c guest/reactor_frozen.h
	$(WASI_CC) -O0 -I$(CPY)/src/Include -I$(CPY)/wasm -Iguest -c $< -o $@

# Linked without -O: clang would run wasm-opt on its own; it is run below,
# deliberately, with the flags chosen here.
$(BUILD)/python-reactor.unopt.wasm: $(GUEST_OBJ) $(BUILD)/guest/frozen_stdlib.o
	$(WASI_CC) -mexec-model=reactor -fuse-ld=lld -o $@ $^ $(GUEST_LIBS) \
	  -Wl,--stack-first -z stack-size=$(GUEST_STACK) -Wl,--strip-debug -Wl,--wrap=sbrk \
	  -Wl,--wrap=free -Wl,--wrap=realloc

# The plain module: a host calls _initialize and the first call starts Python.
$(WASM_PLAIN): $(BUILD)/python-reactor.unopt.wasm
	wasm-opt -O2 --strip-debug --strip-producers -all $< -o $@
	@ls -l $@ | awk '{printf "[guest] %s: %.1f MB\n", $$9, $$5/1e6}'

# The default module: the plain one pre-initialized by Wizer (see
# guest/reactor_snapshot.c). No directory or environment is granted while
# it runs, so nothing of the build machine ends up inside.
WIZER := node_modules/.bin/wizer
$(WASM): $(WASM_PLAIN) node_modules/.package-lock.json
	$(WIZER) --allow-wasi --inherit-env false --wasm-bulk-memory true \
	  --wasm-multi-value true --wasm-reference-types true -o $@.tmp $<
	mv $@.tmp $@
	@ls -l $@ | awk '{printf "[guest] %s: %.1f MB\n", $$9, $$5/1e6}'
