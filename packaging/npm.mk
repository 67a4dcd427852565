# `make npm-pack`: the npm package of the JavaScript host,
# build/python-wasi-reactor-VERSION.tgz (packaging/npm/stage.sh stages it in
# build/npm/ and runs `npm pack`). Tested by tests/npm/run.sh.
# Included by the top-level Makefile (it needs BUILD and WASM).
NPM_VERSION := $(shell sed -n 's/^  "version": "\(.*\)",$$/\1/p' packaging/npm/package.json)
NPM_TGZ := $(BUILD)/python-wasi-reactor-$(NPM_VERSION).tgz
NPM_INPUTS := packaging/npm/package.json packaging/npm/stage.sh \
  $(wildcard hosts/js/*.mjs hosts/js/wasi/*.mjs) hosts/js/index.d.ts \
  hosts/js/process-reactor.d.ts hosts/js/README.md

.PHONY: npm-pack
npm-pack: $(NPM_TGZ)

$(NPM_TGZ): $(WASM) $(NPM_INPUTS)
	packaging/npm/stage.sh $(BUILD)/npm $(WASM) $(BUILD)
