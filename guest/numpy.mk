# The numpy module (issue 16, docs/numpy.md): `make numpy` builds
#   build/python-reactor-numpy-plain.wasm  the guest + numpy's extension
#                                          modules built in + its Python part
#                                          embedded as a pack
#   build/python-reactor-numpy.wasm        the same, Wizer-snapshotted with
#                                          numpy, numpy.linalg, numpy.fft and
#                                          numpy.random imported
# as a variant of the guest (guest/variant.mk). numpy itself is compiled
# once per machine by toolchain/numpy/build-numpy.sh (toolchain/numpy/
# README.md), which prints its cache directory: libnumpy.a, modules.txt,
# py/numpy/. That slow build runs only when a numpy target is asked for, so
# the file naming the directory is included only then.
# Included by the top-level Makefile after guest/variant.mk.

NUMPY_WASM := $(BUILD)/python-reactor-numpy.wasm
NUMPY_WASM_PLAIN := $(BUILD)/python-reactor-numpy-plain.wasm
NUMPY_VARIANT_DIR := $(BUILD)/variants/numpy
# The goals that need numpy (make with no goal means `all`, which builds it).
NUMPY_GOALS := all demo test bench numpy numpy-test native-numpy $(NUMPY_WASM) $(NUMPY_WASM_PLAIN) \
  $(BUILD)/pyreactor-numpy $(BUILD)/libpyreactor-numpy.a

$(NUMPY_VARIANT_DIR)/numpy-dir.mk: $(wildcard toolchain/numpy/* toolchain/numpy/patches/*) $(BUILD)/cpython.mk
	@mkdir -p $(@D)
	@dir=$$(CPY=$(CPY) toolchain/numpy/build-numpy.sh) && test -f "$$dir/libnumpy.a" && \
	  echo "NUMPY_DIR := $$dir" > $@.tmp && mv $@.tmp $@

ifneq ($(filter $(NUMPY_GOALS),$(or $(MAKECMDGOALS),all)),)
# NUMPY_DIR=DIR on the command line: that build of numpy instead.
ifndef NUMPY_DIR
include $(NUMPY_VARIANT_DIR)/numpy-dir.mk
numpy_DEPS := $(NUMPY_VARIANT_DIR)/numpy-dir.mk
else
numpy_DEPS := $(NUMPY_DIR)/libnumpy.a
endif

numpy_MODULES := $(NUMPY_DIR)/modules.txt
numpy_OBJECTS := $(NUMPY_DIR)/libnumpy.a
# numpy's C++ parts (sorting, pocketfft, some loops), built -fno-exceptions;
# printf/scanf of long double (np.longdouble), which wasi-libc leaves out
# unless asked (numpy's import aborts without it).
numpy_LIBS := -lc++ -lc++abi -lc-printscan-long-double
numpy_PACKAGES := $(NUMPY_DIR)/py
# What cannot work in the guest: numpy.distutils and numpy.f2py drive C and
# Fortran compilers in subprocesses; _pyinstaller is a PyInstaller hook.
# (tests/ directories are left out by the packer itself.)
numpy_EXCLUDE := numpy/distutils numpy/f2py numpy/_pyinstaller
numpy_PRELOAD := numpy,numpy.linalg,numpy.fft,numpy.random

$(eval $(call guest_variant,numpy,$(NUMPY_VARIANT_DIR),$(NUMPY_WASM_PLAIN),$(NUMPY_WASM)))
# ... and its native host, build/pyreactor-numpy and build/libpyreactor-numpy.a
# (hosts/native/variant.mk, which declares it once native.mk is read).
NATIVE_VARIANTS += numpy
numpy_WASM := $(NUMPY_WASM)
endif

.PHONY: numpy numpy-test
numpy: $(NUMPY_WASM_PLAIN) $(NUMPY_WASM)

# The variant machinery (probe) and the numpy module's tests (docs/numpy.md).
numpy-test: numpy native-numpy variant-probe node_modules/.package-lock.json
	tests/variant/run.sh
	tests/numpy/run.sh
