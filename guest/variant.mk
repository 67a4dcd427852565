# Variants of the guest: the default module's objects plus C extension
# modules linked in under dotted names, their Python part as an embedded
# pack, and more modules preloaded in the snapshot (guest/variant/variant.h,
# docs/numpy.md). The default module is not touched: a variant links its
# own objects on top of guest.mk's and wraps Py_InitializeFromConfig.
# Included by the top-level Makefile after guest/guest.mk.
#
# A variant NAME is declared by defining, before $(eval $(call
# guest_variant,NAME,DIR,PLAIN_WASM,WASM)):
#   NAME_MODULES   modules.txt files (`<dotted.name> <PyInit_symbol>` lines)
#   NAME_OBJECTS   archives/objects that define those symbols
#   NAME_LIBS      further link flags (e.g. -lc++ -lc++abi)
#   NAME_PACKAGES  directories of Python packages to embed as a pack
#   NAME_EXCLUDE   paths inside them to leave out of the pack
#   NAME_PRELOAD   comma-separated modules the snapshot imports
#   NAME_DEPS      further prerequisites of the generated table (stamps)
# Its generated files go to DIR.

VARIANT_OBJ := $(BUILD)/variants/variant_module.o

$(VARIANT_OBJ): guest/variant/variant_module.c guest/variant/variant.h $(BUILD)/cpython.mk
	@mkdir -p $(@D)
	$(WASI_CC) $(GUEST_CFLAGS) -Iguest/variant -c $< -o $@

define guest_variant
$(2)/variant_table.c: guest/variant/variant_table.py guest/stdlib_freeze.py guest/_reactor_pack.py $$($(1)_MODULES) $$($(1)_DEPS) \
    $(BUILD)/cpython.mk
	@mkdir -p $$(@D)
	$(CPY)/native/python guest/variant/variant_table.py --name $(1) \
	  $$(addprefix --modules ,$$($(1)_MODULES)) $$(addprefix --packages ,$$($(1)_PACKAGES)) \
	  $$(addprefix --exclude ,$$($(1)_EXCLUDE)) --preload "$$($(1)_PRELOAD)" --out $$@

# Pure data and a table: optimizing it only costs time.
$(2)/variant_table.o: $(2)/variant_table.c guest/variant/variant.h
	$(WASI_CC) -O0 -I$(CPY)/src/Include -I$(CPY)/wasm -Iguest/variant -c $$< -o $$@

# As guest.mk links the default module, plus the variant's objects, and
# Py_InitializeFromConfig wrapped by variant_module.c.
$(2)/unopt.wasm: $(GUEST_OBJ) $(BUILD)/guest/frozen_stdlib.o $(VARIANT_OBJ) $(2)/variant_table.o $$($(1)_OBJECTS)
	$(WASI_CC) -mexec-model=reactor -fuse-ld=lld -o $$@ $(GUEST_OBJ) $(BUILD)/guest/frozen_stdlib.o \
	  $(VARIANT_OBJ) $(2)/variant_table.o $$($(1)_OBJECTS) $$($(1)_LIBS) $(GUEST_LIBS) \
	  -Wl,--stack-first -z stack-size=$(GUEST_STACK) -Wl,--strip-debug -Wl,--wrap=sbrk \
	  -Wl,--wrap=free -Wl,--wrap=realloc -Wl,--wrap=Py_InitializeFromConfig

$(3): $(2)/unopt.wasm
	wasm-opt -O2 --strip-debug --strip-producers -all $$< -o $$@
	@ls -l $$@ | awk '{printf "[variant $(1)] %s: %.1f MB\n", $$$$9, $$$$5/1e6}'

$(4): $(3) node_modules/.package-lock.json
	$(WIZER) --allow-wasi --inherit-env false --wasm-bulk-memory true \
	  --wasm-multi-value true --wasm-reference-types true --wasm-simd true -o $$@.tmp $$<
	mv $$@.tmp $$@
	@ls -l $$@ | awk '{printf "[variant $(1)] %s: %.1f MB\n", $$$$9, $$$$5/1e6}'
endef
