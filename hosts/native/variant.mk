# The native host for a second module: a guest variant (guest/variant.mk,
# e.g. the numpy module) compiled ahead of time like the default one, with
# its own copy of the library and the command:
#   build/native-NAME/         the variant's wasm2c object and header, and
#                              the host objects compiled against that header
#   build/libpyreactor-NAME.a  the C API of include/pyreactor.h, same names
#   build/pyreactor-NAME       the pyreactor command (same options, batch,
#                              call, pack with --base the variant's module)
# Why a separate build and not a run-time choice: the compiled code *is* the
# module (wasm2c), and the host's instance struct comes from its header; a
# process links one of them. Both archives export the same pyreactor_*
# names, so a program links one or the other, never both.
#
# A makefile read before this one adds NAME to NATIVE_VARIANTS and sets
# NAME_WASM (guest/numpy.mk does); NATIVE_VARIANT_PGO
# (default 0) trains a profile for it as for the default module, which
# costs a second compile of the whole module plus the training run.
# Included by the top-level Makefile after hosts/native/native.mk.

NATIVE_VARIANT_PGO ?= 0

define native_variant
NATIVE_$(1)_DIR := $(BUILD)/native-$(1)
NATIVE_$(1)_OBJ := $$(NATIVE_LIB_SRC:hosts/native/%.c=$$(NATIVE_$(1)_DIR)/%.o)

$$(NATIVE_$(1)_DIR)/python_reactor.stamp: $(2) hosts/native/wasm2c/wasm2c-cache.sh \
    hosts/native/wasm2c/wasm2c-split.awk $(if $(filter 1,$(NATIVE_VARIANT_PGO)),$(NATIVE_PGO_DEPS))
	@mkdir -p $$(@D)
	cp $(2) $$(@D)/input.wasm
ifeq ($(NATIVE_VARIANT_PGO),1)
	PGO_HOST_CC='$(NATIVE_CC)' PGO_HOST_CFLAGS='$(NATIVE_CFLAGS)' \
	PGO_HOST_SRC='$(NATIVE_LIB_SRC) $(NATIVE_CLI_SRC)' \
	  hosts/native/wasm2c/wasm2c-pgo.sh $$(@D)/input.wasm $$(@D) $(CPY)/src/Lib \
	  $(NATIVE_GEN_CC) $(NATIVE_GEN_CFLAGS)
else
	hosts/native/wasm2c/wasm2c-cache.sh $$(@D)/input.wasm $$(@D) $(NATIVE_GEN_CC) $(NATIVE_GEN_CFLAGS)
endif
	@touch -r $$(@D)/input.wasm $$@
$$(NATIVE_$(1)_DIR)/python_reactor.o $$(NATIVE_$(1)_DIR)/python_reactor.h: $$(NATIVE_$(1)_DIR)/python_reactor.stamp ;

# What packs made from this module must share with it (lib/pyreactor_pack.c).
$$(NATIVE_$(1)_DIR)/guest_module.h: $$(NATIVE_$(1)_DIR)/python_reactor.stamp $(NATIVE_DIR)/wasm-module-info
	$(NATIVE_DIR)/wasm-module-info $$(NATIVE_$(1)_DIR)/input.wasm > $$@.tmp
	@cmp -s $$@.tmp $$@ && rm -f $$@.tmp || mv $$@.tmp $$@

# The variant's directory comes first on the include path: its
# python_reactor.h and guest_module.h, not the default module's. Messages
# name the variant's module, and pack's default --base is that file beside
# the command.
$$(NATIVE_$(1)_DIR)/%.o: hosts/native/%.c $(NATIVE_HDRS) $$(NATIVE_$(1)_DIR)/python_reactor.h \
    $$(NATIVE_$(1)_DIR)/guest_module.h hosts/native/native.mk hosts/native/variant.mk
	@mkdir -p $$(@D)
	$(NATIVE_CC) -I$$(NATIVE_$(1)_DIR) $(NATIVE_OBJ_CFLAGS) -DPYREACTOR_MODULE_FILE='"$(notdir $(2))"' \
	  -c $$< -o $$@

$$(NATIVE_$(1)_DIR)/libpyreactor.o: $$(NATIVE_$(1)_DIR)/python_reactor.o $$(NATIVE_$(1)_OBJ)
	ld -r -o $$@.tmp $$^
	objcopy --localize-hidden --wildcard --keep-global-symbol='pyreactor_*' $$@.tmp $$@
	rm -f $$@.tmp

$(BUILD)/libpyreactor-$(1).a: $$(NATIVE_$(1)_DIR)/libpyreactor.o
	rm -f $$@
	ar rcs $$@ $$^

$$(NATIVE_$(1)_DIR)/libpyreactor-internal.a: $$(NATIVE_$(1)_DIR)/python_reactor.o $$(NATIVE_$(1)_OBJ)
	rm -f $$@
	ar rcs $$@ $$^

$(BUILD)/pyreactor-$(1): $$(NATIVE_$(1)_DIR)/cli/pyreactor_cli.o $$(NATIVE_$(1)_DIR)/cli/pyreactor_pack_cmd.o \
    $$(NATIVE_$(1)_DIR)/libpyreactor-internal.a
	$(NATIVE_CC) -o $$@ $$^ $(NATIVE_LIBS)

.PHONY: native-$(1)
native-$(1): $(BUILD)/libpyreactor-$(1).a $(BUILD)/pyreactor-$(1)
endef

$(foreach v,$(NATIVE_VARIANTS),$(eval $(call native_variant,$(v),$($(v)_WASM))))
