// Benchmark runner for the JavaScript host (hosts/js), driven by bench/run.py.
//
//   node --expose-gc bench/js_runner.mjs serve WASM KERNELS_PY
//     line protocol on stdin/stdout (one JSON answer per command):
//       kernel NAME SIZE   kernels.run(NAME, SIZE) through the public Reactor API
//       warm-api N         N sequential applyDefRaw calls of the trivial def (Reactor, worker thread)
//       warm-api-sync N    the same through applyDefRawSync (the caller's thread blocks)
//       warm-inthread N    N Guest.call apply_def of the same def, in this thread (guest.mjs)
//       noop-api N / noop-inthread N   the same with the `init` op, which
//                          returns at once: the cost of a call without Python work
//       hostcall-api N / hostcall-inthread N   one applyDefRaw (Reactor) or Guest.call
//                          of a def that calls the trivial host function N times in
//                          a loop, minus one of the same loop without the call: the
//                          host call's round trip, per call (reactor.call_host ->
//                          host.call -> the function on the main thread and back)
//       cold-api           Reactor.load({wasm: compiled module}) -> registerDef -> first applyDefRaw,
//                          with a spare worker booted (Reactor.prestart, untimed)
//       cold-inthread      Guest.create(compiled module) -> register_def -> first apply_def
//       idle-api MS N / idle-api-sync MS N   N calls of the trivial def (applyDefRaw,
//                          applyDefRawSync), each after MS ms of quiet (a timer): a
//                          server answering now and then; µs per call, every sample
//   node bench/js_runner.mjs passes WASM KERNELS_PY COUNT SIZE NAMES
//     a fresh process: Reactor.load (compiling the module: timed), then COUNT
//     passes over the kernels NAMES (comma-separated); one JSON line
//     (common.mjs kernelPasses). Pass 1 is what a new instance runs at first.
//     With a sixth argument `top`: Reactor.load's option topTier.
//   node bench/js_runner.mjs first WASM
//     a fresh process's first result through the Reactor API: read the file,
//     compile the module, Reactor.load, registerDef, applyDefRaw; one JSON line
//     (ms from the start of this script, and since the process started).
//   node --expose-gc bench/js_runner.mjs instances api|inthread WASM COUNTS
//     creates instances (each has registered and applied the def, then sits
//     idle) up to each count of COUNTS (comma-separated); prints memory.

import { readFileSync } from 'node:fs';
import process from 'node:process';
import { Reactor } from '../hosts/js/reactor.mjs';
import { Guest } from '../hosts/js/guest.mjs';
import { ECHO_NAME, ECHO_CODE, ECHO_ARGS, ECHO_RESULT, serve, reply, scale, kernelPasses } from './common.mjs';

const QUIET = { stdout: 'ignore', stderr: 'ignore' };

// The host-call round trip: a trivial host function, called from a loop in
// a def; the loop alone is timed too and taken off.
const HOST_FUNCTIONS = { hostFunctions: { ping: () => 1 } };
const HOSTCALL_CODE = [
  'import reactor',
  '',
  'def hostloop(n):',
  '    call = reactor.call_host',
  '    for _ in range(n):',
  '        call("ping")',
  '    return n',
  '',
  'def emptyloop(n):',
  '    for _ in range(n):',
  '        pass',
  '    return n',
  '',
].join('\n');

/** ns per host call: `apply(name, argsText)` runs a def and returns its result text. */
async function hostCallCost(n, apply) {
  const args = `[${n}]`;
  const t0 = performance.now();
  const a = await apply('hostloop', args);
  const t1 = performance.now();
  const b = await apply('emptyloop', args);
  const t2 = performance.now();
  if (a !== String(n) || b !== String(n)) throw new Error(`unexpected results ${a}, ${b}`);
  return { ns_per_call: (((t1 - t0) - (t2 - t1)) * 1e6) / n, loop_ns: ((t2 - t1) * 1e6) / n };
}

function expectOk(result, what) {
  if (result.tag !== 'ok') throw new Error(`${what}: ${result.text}`);
  return result.text;
}

async function coldApi(module) {
  // Untimed: the spare worker the previous load asked for has booted. Its
  // boot (25-30 ms of CPU in a thread of its own) would otherwise overlap
  // this sample or the other systems' samples beside it on two cores.
  await Reactor.prestart();
  const t0 = performance.now();
  const r = await Reactor.load({ wasm: module, ...QUIET });
  const t1 = performance.now();
  expectOk(await r.call('register_def', ECHO_NAME, ECHO_CODE), 'register_def');
  const t2 = performance.now();
  const text = expectOk(await r.applyDefRaw(ECHO_NAME, ECHO_ARGS), 'apply_def');
  const t3 = performance.now();
  if (text !== ECHO_RESULT) throw new Error(`unexpected result ${text}`);
  await r.close();
  return { ms: t3 - t0, phases: { load: t1 - t0, register: t2 - t1, apply: t3 - t2 } };
}

/** µs per call of `call()`, each after `ms` of quiet in the event loop (a timer). */
async function idleCalls(ms, n, call) {
  const us = [];
  for (let i = 0; i < n; i++) {
    await new Promise((resolve) => { setTimeout(resolve, ms); });
    const t0 = performance.now();
    expectOk(await call(), 'idle call');
    us.push((performance.now() - t0) * 1e3);
  }
  return { us };
}

const faults = () => process.resourceUsage().minorPageFault;

async function coldInThread(module) {
  const f0 = faults();
  const t0 = performance.now();
  const g = await Guest.create(module, QUIET);
  const t1 = performance.now();
  const f1 = faults();
  expectOk(g.call('register_def', ECHO_NAME, ECHO_CODE), 'register_def');
  const t2 = performance.now();
  const f2 = faults();
  const text = expectOk(g.call('apply_def', ECHO_NAME, ECHO_ARGS), 'apply_def');
  const t3 = performance.now();
  const f3 = faults();
  if (text !== ECHO_RESULT) throw new Error(`unexpected result ${text}`);
  return {
    ms: t3 - t0,
    phases: { instantiate: t1 - t0, register: t2 - t1, apply: t3 - t2 },
    faults: { instantiate: f1 - f0, register: f2 - f1, apply: f3 - f2 },
  };
}

async function main() {
  const [mode, ...rest] = process.argv.slice(2);
  if (mode === 'serve') {
    const [wasmPath, kernelsPath] = rest;
    const bytes = readFileSync(wasmPath);
    const module = await WebAssembly.compile(bytes);
    const reactor = await Reactor.load({ wasm: module, ...QUIET, ...HOST_FUNCTIONS });
    expectOk(await reactor.call('register_module', 'kernels', readFileSync(kernelsPath, 'utf8')), 'register kernels');
    expectOk(await reactor.call('register_def', ECHO_NAME, ECHO_CODE), 'register echo');
    expectOk(await reactor.call('register_module', 'hostcall', HOSTCALL_CODE), 'register hostcall');
    const guest = await Guest.create(module, { ...QUIET, ...HOST_FUNCTIONS });
    expectOk(guest.call('register_def', ECHO_NAME, ECHO_CODE), 'register echo in-thread');
    expectOk(guest.call('register_module', 'hostcall', HOSTCALL_CODE), 'register hostcall in-thread');
    reply({ ready: true, node: process.version });
    await serve({
      async kernel(name, size) {
        return JSON.parse(expectOk(await reactor.applyDefRaw('kernels.run', JSON.stringify([name, Number(size)])), name));
      },
      async 'warm-api'(n) {
        n = Number(n);
        const t0 = performance.now();
        for (let i = 0; i < n; i++) await reactor.applyDefRaw(ECHO_NAME, ECHO_ARGS);
        const t1 = performance.now();
        expectOk(await reactor.applyDefRaw(ECHO_NAME, ECHO_ARGS), 'warm-api');
        return { ns_per_call: ((t1 - t0) * 1e6) / n };
      },
      'warm-api-sync'(n) {
        n = Number(n);
        const t0 = performance.now();
        for (let i = 0; i < n; i++) reactor.applyDefRawSync(ECHO_NAME, ECHO_ARGS);
        const t1 = performance.now();
        expectOk(reactor.applyDefRawSync(ECHO_NAME, ECHO_ARGS), 'warm-api-sync');
        return { ns_per_call: ((t1 - t0) * 1e6) / n };
      },
      'warm-inthread'(n) {
        n = Number(n);
        const t0 = performance.now();
        for (let i = 0; i < n; i++) guest.call('apply_def', ECHO_NAME, ECHO_ARGS);
        const t1 = performance.now();
        expectOk(guest.call('apply_def', ECHO_NAME, ECHO_ARGS), 'warm-inthread');
        return { ns_per_call: ((t1 - t0) * 1e6) / n };
      },
      async 'noop-api'(n) {
        n = Number(n);
        const t0 = performance.now();
        for (let i = 0; i < n; i++) await reactor.call('init');
        const t1 = performance.now();
        expectOk(await reactor.call('init'), 'noop-api');
        return { ns_per_call: ((t1 - t0) * 1e6) / n };
      },
      'noop-inthread'(n) {
        n = Number(n);
        const t0 = performance.now();
        for (let i = 0; i < n; i++) guest.call('init');
        const t1 = performance.now();
        expectOk(guest.call('init'), 'noop-inthread');
        return { ns_per_call: ((t1 - t0) * 1e6) / n };
      },
      'hostcall-api': (n) => hostCallCost(Number(n),
        async (name, args) => expectOk(await reactor.applyDefRaw(`hostcall.${name}`, args), name)),
      'hostcall-inthread': (n) => hostCallCost(Number(n),
        (name, args) => expectOk(guest.call('apply_def', `hostcall.${name}`, args), name)),
      'idle-api': (ms, n) => idleCalls(Number(ms), Number(n), () => reactor.applyDefRaw(ECHO_NAME, ECHO_ARGS)),
      'idle-api-sync': (ms, n) => idleCalls(Number(ms), Number(n), () => reactor.applyDefRawSync(ECHO_NAME, ECHO_ARGS)),
      'cold-api': () => coldApi(module),
      'cold-inthread': () => coldInThread(module),
    });
    await reactor.close();
  } else if (mode === 'passes') {
    const [wasmPath, kernelsPath, count, size, names, tier] = rest;
    const load = async () => {
      const r = await Reactor.load({ wasm: wasmPath, ...QUIET, ...(tier === 'top' ? { topTier: true } : {}) });
      expectOk(await r.call('register_module', 'kernels', readFileSync(kernelsPath, 'utf8')), 'register kernels');
      return async (name, sz) => JSON.parse(expectOk(await r.applyDefRaw('kernels.run', JSON.stringify([name, sz])), name));
    };
    reply(await kernelPasses(load, names.split(','), Number(count), Number(size)));
    process.exit(0); // the reactor's worker would keep the process: nothing else to wait for
  } else if (mode === 'first') {
    const t0 = performance.now();
    const bytes = readFileSync(rest[0]);
    const t1 = performance.now();
    const module = await WebAssembly.compile(bytes);
    const t2 = performance.now();
    const r = await Reactor.load({ wasm: module, ...QUIET });
    const t3 = performance.now();
    expectOk(await r.call('register_def', ECHO_NAME, ECHO_CODE), 'register_def');
    const t4 = performance.now();
    const text = expectOk(await r.applyDefRaw(ECHO_NAME, ECHO_ARGS), 'apply_def');
    const t5 = performance.now();
    if (text !== ECHO_RESULT) throw new Error(`unexpected result ${text}`);
    reply({
      ms: t5 - t0, since_process_start_ms: t5,
      phases: { read: t1 - t0, compile: t2 - t1, load: t3 - t2, register: t4 - t3, apply: t5 - t4 },
    });
    await r.close();
  } else if (mode === 'instances') {
    const [kind, wasmPath, counts] = rest;
    const module = await WebAssembly.compile(readFileSync(wasmPath));
    const create = kind === 'api'
      ? async () => {
        const r = await Reactor.load({ wasm: module, ...QUIET });
        await r.registerDef(ECHO_NAME, ECHO_CODE);
        await r.applyDefRaw(ECHO_NAME, ECHO_ARGS);
        return r;
      }
      : async () => {
        const g = await Guest.create(module, QUIET);
        expectOk(g.call('register_def', ECHO_NAME, ECHO_CODE), 'register');
        expectOk(g.call('apply_def', ECHO_NAME, ECHO_ARGS), 'apply');
        return g;
      };
    const { points, stopped, seconds, keep } = await scale(counts.split(',').map(Number), create);
    reply({ points, stopped, seconds });
    if (kind === 'api') await Promise.all(keep.map((r) => r.close()));
  } else {
    throw new Error('usage: js_runner.mjs serve WASM KERNELS | instances api|inthread WASM COUNTS');
  }
}

await main();
