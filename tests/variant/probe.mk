# The probe variant (tests/variant/run.sh): two test-only extension modules
# under dotted names and a small package, built as a variant of the guest
# exactly as the numpy module is (guest/variant.mk). Included by the
# top-level Makefile after guest/variant.mk.
PROBE_DIR := $(BUILD)/variants/probe
probe_MODULES := tests/variant/modules.txt
probe_OBJECTS := $(PROBE_DIR)/probe_ext.o
probe_PACKAGES := tests/variant/probe_py
probe_EXCLUDE := reactor_probe/unusable
probe_PRELOAD := reactor_probe,reactor_probe.sub
probe_DEPS := $(shell find tests/variant/probe_py -type f 2>/dev/null)

$(PROBE_DIR)/probe_ext.o: tests/variant/probe_ext.c $(BUILD)/cpython.mk
	@mkdir -p $(@D)
	$(WASI_CC) $(GUEST_CFLAGS) -c $< -o $@

$(eval $(call guest_variant,probe,$(PROBE_DIR),$(PROBE_DIR)/plain.wasm,$(PROBE_DIR)/probe.wasm))

.PHONY: variant-probe
variant-probe: $(PROBE_DIR)/plain.wasm $(PROBE_DIR)/probe.wasm
