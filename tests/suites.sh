# The test suites `make test` runs, in order; sourced by tests/run-all.sh,
# which defines `suite NAME COMMAND...`. Each command prints its counts.

deno=node_modules/.bin/deno
# Deno needs V8's stack limit raised by flag (see hosts/js/README.md).
deno_run=("$deno" run --no-prompt --v8-flags=--stack-size=7680
          --allow-read=hosts/js,build/python-reactor.wasm)
deno_batch=("${deno_run[@]}" hosts/js/cli.mjs batch)
# The instance in a child process, killed on a timeout (process-reactor.mjs):
# Deno needs to start itself, and its child_process reads NODE_V8_COVERAGE.
deno_process=("${deno_run[@]}" --allow-run="$(readlink -f "$deno")" --allow-env=NODE_V8_COVERAGE
              hosts/js/cli.mjs batch --isolation process)
# ABI 2's vectors on every JS host, with the two host functions host.jsonl
# needs (../shared/vectors/README.md) given to every run. Under Deno the CLI
# (the parent, with --isolation process) runs the commands: it must be
# allowed to run their executables, and its child_process reads NODE_V8_COVERAGE.
v2_vectors=(--vectors ../shared/vectors/v2/sandbox.jsonl --vectors ../shared/vectors/v2/run.jsonl
            --vectors ../shared/vectors/v2/awaitables.jsonl --vectors ../shared/vectors/v2/host.jsonl)
host_functions=(--host-function echo=cat --host-function "fail=sh -c 'echo nope >&2; exit 3'")
host_commands="$(command -v cat),$(command -v sh)"
deno_vectors=("${deno_run[@]}" --allow-run="$host_commands" --allow-env=NODE_V8_COVERAGE
              hosts/js/cli.mjs batch "${host_functions[@]}")
deno_vectors_process=("${deno_run[@]}" --allow-run="$(readlink -f "$deno")",$host_commands --allow-env=NODE_V8_COVERAGE
                      hosts/js/cli.mjs batch --isolation process "${host_functions[@]}")

suite artifact-snapshot tests/guest/artifact.sh build/python-reactor.wasm
suite artifact-plain   tests/guest/artifact.sh build/python-reactor-plain.wasm
suite snapshot-reproducible tests/guest/reproducible.sh
suite vectors-node     node tests/js/run-vectors.mjs --name node --vectors tests/vectors "${v2_vectors[@]}" -- node hosts/js/cli.mjs batch "${host_functions[@]}"
suite vectors-node-plain node tests/js/run-vectors.mjs --name node-plain --vectors tests/vectors "${v2_vectors[@]}" -- node hosts/js/cli.mjs batch --wasm build/python-reactor-plain.wasm "${host_functions[@]}"
suite vectors-deno     node tests/js/run-vectors.mjs --name deno --vectors tests/vectors "${v2_vectors[@]}" -- "${deno_vectors[@]}"
suite vectors-node-process node tests/js/run-vectors.mjs --name node-process --vectors tests/vectors "${v2_vectors[@]}" -- node hosts/js/cli.mjs batch --isolation process "${host_functions[@]}"
suite vectors-deno-process node tests/js/run-vectors.mjs --name deno-process --vectors tests/vectors "${v2_vectors[@]}" -- "${deno_vectors_process[@]}"
suite hostile-node     node tests/js/run-vectors.mjs --name hostile-node --no-shared --vectors tests/hostile -- node hosts/js/cli.mjs batch --timeout-ms 20000 --memory-mb 512
suite hostile-deno     node tests/js/run-vectors.mjs --name hostile-deno --no-shared --vectors tests/hostile -- "${deno_batch[@]}" --timeout-ms 20000 --memory-mb 512
suite hostile-deno-process node tests/js/run-vectors.mjs --name hostile-deno-process --no-shared --vectors tests/hostile -- "${deno_process[@]}" --timeout-ms 20000 --memory-mb 512
# The sandbox of ABI.md on all six hosts, with and without grants (tests/sandbox/README.md).
suite sandbox          node tests/sandbox/run.mjs
suite native-vectors     node tests/js/run-vectors.mjs --name native --vectors tests/vectors --vectors ../shared/vectors/v2/sandbox.jsonl --vectors ../shared/vectors/v2/run.jsonl --vectors ../shared/vectors/v2/awaitables.jsonl --vectors ../shared/vectors/v2/host.jsonl -- build/pyreactor batch --host-function echo=cat --host-function "fail=sh -c 'echo nope >&2; exit 3'"
suite native-hostile     node tests/js/run-vectors.mjs --name native-hostile --no-shared --vectors tests/hostile -- build/pyreactor batch --timeout-ms 20000 --memory-mb 512
# Issue 15: real packages packed, through every host that takes a module.
suite packages           tests/packages/run.sh
# Issue 16: guest variants (the probe's extension modules under dotted
# names) and the numpy module, in Node, Deno and the native host.
suite variant            tests/variant/run.sh
suite numpy              tests/numpy/run.sh
# numpy's own tests inside the numpy module (issue 16's files), known
# failures deselected with their reasons (tests/numpy/suite/known-failures.txt).
suite numpy-suite        tests/numpy/suite/run.sh --check
suite native-vectors-api build/native-tests/test_vectors_api ../shared/vectors tests/vectors ../shared/vectors/v2/sandbox.jsonl ../shared/vectors/v2/run.jsonl ../shared/vectors/v2/awaitables.jsonl ../shared/vectors/v2/host.jsonl
suite native-api         build/native-tests/test_api
suite native-calls       build/native-tests/test_calls
suite native-exports     tests/native/test_exports.sh
suite native-readme      tests/native/test_readme.sh
suite native-host-functions build/native-tests/test_host_functions
suite native-sandbox     build/native-tests/test_sandbox tests/sandbox/probes
suite native-traps       build/native-tests/test_traps
suite native-wasi        build/native-tests/test_wasi
suite native-json        build/native-tests/test_json
suite native-cli         tests/native/test_cli.sh build/pyreactor
suite native-split       tests/native/test_split.sh
suite native-asan        tests/native/run-asan.sh
# The hosts on libpyreactor.so: Python (ctypes, hosts/python) and Deno (FFI, hosts/deno).
suite python-vectors     node tests/js/run-vectors.mjs --name python --vectors tests/vectors "${v2_vectors[@]}" -- build/pyreactor-python batch "${host_functions[@]}"
suite python-hostile     node tests/js/run-vectors.mjs --name python-hostile --no-shared --vectors tests/hostile -- build/pyreactor-python batch --timeout-ms 20000 --memory-mb 512
suite python-unit        /usr/bin/python3 tests/python/run.py
suite deno-ffi-vectors   node tests/js/run-vectors.mjs --name deno-ffi --vectors tests/vectors "${v2_vectors[@]}" -- build/pyreactor-deno batch "${host_functions[@]}"
suite deno-ffi-hostile   node tests/js/run-vectors.mjs --name deno-ffi-hostile --no-shared --vectors tests/hostile -- build/pyreactor-deno batch --timeout-ms 20000 --memory-mb 512
suite deno-ffi-unit      tests/deno/run.sh
# The JS host as an npm package, installed by name into an empty directory.
suite npm-package        tests/npm/run.sh
# Every relative link and anchor of the docs resolves inside the repository.
suite docs-links         node tests/docs/links.mjs
# One error vocabulary: the header, the JS types, the Python binding and the guide list the same kinds.
suite error-kinds        node tests/docs/error-kinds.mjs
suite fuzz-short         tests/fuzz/run-short.sh
suite soak               tests/soak/run.sh
suite js-unit-node     node --test --test-reporter=tap --test-concurrency=1 tests/js/*.test.mjs
suite js-unit-deno     tests/js/deno-test.sh
suite stdlib           node tests/stdlib/probe.mjs
