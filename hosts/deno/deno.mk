# hosts/deno/deno.mk -- the Deno host (hosts/deno/): libpyreactor through
# Deno's FFI. Included by the top-level Makefile, which defines BUILD (and
# hosts/native/native.mk, which builds $(BUILD)/libpyreactor.so).
#
# Targets:
#   deno-host    $(BUILD)/pyreactor-deno, the batch command: a shell script
#                that runs hosts/deno/cli.ts under the pinned Deno with the
#                permissions it needs (README.md, "Permissions")
#   deno-test    the unit tests (tests/deno/run.sh)

DENO_BIN ?= node_modules/.bin/deno
DENO_HOST_SRC := $(wildcard hosts/deno/*.ts) hosts/js/host-command.mjs hosts/js/json-text.mjs \
  hosts/js/lines.mjs hosts/js/options.mjs hosts/js/args-json.mjs hosts/js/host-functions.mjs

.PHONY: deno-host deno-test

deno-host: $(BUILD)/pyreactor-deno

# Absolute paths, so that the launcher works from any directory. Deno may
# use FFI (unscoped: Deno's pointer and callback calls refuse a scoped
# --allow-ffi; FFI is every right of the process anyway, README.md), read
# (the host's sources, call's FILE.py), run the commands of --host-function (any executable: the user
# names them on the command line, the guest cannot), and read PATH (the
# commands' lookup), NODE_V8_COVERAGE (node:child_process reads it) and
# PYREACTOR_LIB (which the launcher sets). No V8 flag: guest code runs on
# the library's own stack, not V8's.
$(BUILD)/pyreactor-deno: $(BUILD)/libpyreactor.so hosts/deno/deno.mk $(DENO_HOST_SRC) | node_modules/.package-lock.json
	@mkdir -p $(@D)
	@root='$(abspath .)'; lib='$(abspath $(BUILD)/libpyreactor.so)'; deno=$$(readlink -f $(DENO_BIN)); \
	{ echo '#!/bin/sh'; \
	  echo '# pyreactor-deno: written by hosts/deno/deno.mk (make deno-host); see hosts/deno/README.md.'; \
	  echo "export PYREACTOR_LIB='$$lib'"; \
	  echo "exec '$$deno' run --quiet --no-prompt --no-config --cached-only \\"; \
	  echo "  --allow-ffi --allow-read --allow-run \\"; \
	  echo "  --allow-env=PYREACTOR_LIB,PATH,NODE_V8_COVERAGE \\"; \
	  echo "  '$$root/hosts/deno/cli.ts' \"\$$@\""; \
	} > $@.tmp
	@chmod +x $@.tmp && mv $@.tmp $@
	@echo "wrote $@"

deno-test: $(BUILD)/pyreactor-deno
	tests/deno/run.sh
