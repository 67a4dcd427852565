// Benchmark runner for Pyodide (the pinned npm package, loaded offline from
// its package directory), driven by bench/run.py.
//
//   node --expose-gc bench/pyodide_runner.mjs script
//     the whole-process cold start: loadPyodide, define the trivial def, call
//     it once with JSON args, print the JSON result on stdout; timings (ms
//     since this script started) on stderr as one JSON line.
//   node --expose-gc bench/pyodide_runner.mjs serve KERNELS_PY
//     line protocol: `kernel NAME SIZE`, `warm N` (string in, string out
//     through a PyProxy: json.loads, call, json.dumps), `quit`.
//   node bench/pyodide_runner.mjs passes KERNELS_PY COUNT SIZE NAMES
//     a fresh process: loadPyodide (timed), then COUNT passes over the
//     kernels NAMES (comma-separated); one JSON line (common.mjs kernelPasses).
//   node --expose-gc bench/pyodide_runner.mjs instances COUNTS
//     loadPyodide repeatedly in one process; prints memory at each count.

import path from 'node:path';
import process from 'node:process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { loadPyodide } from 'pyodide';
import { ECHO_CODE, ECHO_ARGS, ECHO_RESULT, serve, reply, scale, kernelPasses } from './common.mjs';

const t0 = performance.now();
export const indexURL = `${path.dirname(fileURLToPath(import.meta.resolve('pyodide')))}/`;

// The equivalent of register_def + apply_def: JSON text in, JSON text out.
const APPLY_CODE = `${ECHO_CODE}
import json as _json
def _apply(args_text):
    return _json.dumps(echo(*_json.loads(args_text)))
`;

async function load() {
  return loadPyodide({ indexURL, stdout: () => {}, stderr: () => {} });
}

/** Imports bench/kernels.py into `py`: (name, size) -> the JSON text of kernels.run. */
function withKernels(py, kernelsPath) {
  py.FS.writeFile('/home/pyodide/kernels.py', readFileSync(kernelsPath, 'utf8'));
  py.runPython(`import sys, json\nsys.path.insert(0, '/home/pyodide')\nimport kernels\n${APPLY_CODE}`);
  return py.runPython('lambda name, size: json.dumps(kernels.run(name, size))');
}

async function main() {
  const [mode, ...rest] = process.argv.slice(2);
  if (mode === 'script') {
    const tLoad = performance.now();
    const py = await load();
    const tLoaded = performance.now();
    py.runPython(APPLY_CODE);
    const apply = py.globals.get('_apply');
    const text = apply(ECHO_ARGS);
    const tResult = performance.now();
    process.stdout.write(`${text}\n`);
    process.stderr.write(`${JSON.stringify({
      import_ms: tLoad - t0, load_ms: tLoaded - tLoad, first_result_ms: tResult - tLoad,
    })}\n`);
    if (text !== ECHO_RESULT) process.exitCode = 1;
  } else if (mode === 'passes') {
    const [kernelsPath, count, size, names] = rest;
    const run = async () => {
      const runKernel = withKernels(await load(), kernelsPath);
      return (name, sz) => JSON.parse(runKernel(name, sz));
    };
    reply(await kernelPasses(run, names.split(','), Number(count), Number(size)));
  } else if (mode === 'serve') {
    const [kernelsPath] = rest;
    const py = await load();
    const runKernel = withKernels(py, kernelsPath);
    const apply = py.globals.get('_apply');
    reply({ ready: true, python: py.runPython('sys.version'), pyodide: py.version });
    await serve({
      kernel(name, size) {
        return JSON.parse(runKernel(name, Number(size)));
      },
      warm(n) {
        n = Number(n);
        const s = performance.now();
        for (let i = 0; i < n; i++) apply(ECHO_ARGS);
        const e = performance.now();
        if (apply(ECHO_ARGS) !== ECHO_RESULT) throw new Error('unexpected result');
        return { ns_per_call: ((e - s) * 1e6) / n };
      },
    });
  } else if (mode === 'instances') {
    const counts = rest[0].split(',').map(Number);
    const create = async () => {
      const py = await load();
      py.runPython(APPLY_CODE);
      py.globals.get('_apply')(ECHO_ARGS);
      return py;
    };
    const { points, stopped, seconds } = await scale(counts, create);
    reply({ points, stopped, seconds });
  } else {
    throw new Error('usage: pyodide_runner.mjs script | serve KERNELS | passes KERNELS COUNT SIZE NAMES | instances COUNTS');
  }
}

await main();
