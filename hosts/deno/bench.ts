// Benchmark runner for the Deno FFI host, in the line protocol of
// bench/js_runner.mjs (bench/common.mjs's serve: one JSON answer per
// command line), so that bench/run.py can drive it like the others:
//
//   deno run --allow-ffi --allow-read --allow-env hosts/deno/bench.ts serve KERNELS_PY
//     kernel NAME SIZE   kernels.run(NAME, SIZE) through Reactor.applyDefRaw
//                        (the kernel times itself inside the interpreter)
//     warm-api N         N sequential applyDefRaw of the trivial def
//     noop-api N         N sequential `init` calls: a call without Python work
//     hostcall-api N     the round trip of a trivial host function, per call
//                        (a loop calling it N times, minus the same loop without)
//     quit
//
// The library: $PYREACTOR_LIB, else build/libpyreactor.so.

import { readFileSync } from 'node:fs';
import { Reactor } from './mod.ts';
import { ECHO_ARGS, ECHO_CODE, ECHO_NAME, reply, serve } from '../../bench/common.mjs';

const HOSTCALL = 'import reactor\n\ndef hostloop(n):\n    call = reactor.call_host\n    for _ in range(n):\n        call("ping")\n    return n\n\n'
  + 'def emptyloop(n):\n    for _ in range(n):\n        pass\n    return n\n';

async function ok(answer: Promise<{ tag: string; text: string }>, what: string): Promise<string> {
  const { tag, text } = await answer;
  if (tag !== 'ok') throw new Error(`${what}: ${text}`);
  return text;
}

/** ns per call of `n` sequential calls of `once`. */
async function perCall(n: number, once: () => Promise<unknown>): Promise<{ ns_per_call: number }> {
  const t0 = performance.now();
  for (let i = 0; i < n; i++) await once();
  return { ns_per_call: ((performance.now() - t0) * 1e6) / n };
}

const [mode, kernelsPath] = Deno.args;
if (mode !== 'serve' || kernelsPath === undefined) {
  console.error('usage: bench.ts serve KERNELS_PY');
  Deno.exit(2);
}
const r = await Reactor.load({ stdout: 'ignore', stderr: 'ignore', hostFunctions: { ping: () => 1 } });
await ok(r.call('register_module', 'kernels', readFileSync(kernelsPath, 'utf8')), 'register kernels');
await ok(r.call('register_def', ECHO_NAME, ECHO_CODE), 'register echo');
await ok(r.call('register_module', 'hostcall', HOSTCALL), 'register hostcall');
reply({ ready: true, deno: Deno.version.deno });
await serve({
  kernel: async (name: string, size: string) => JSON.parse(await ok(r.applyDefRaw('kernels.run', JSON.stringify([name, Number(size)])), name)),
  'warm-api': (n: string) => perCall(Number(n), () => ok(r.applyDefRaw(ECHO_NAME, ECHO_ARGS), 'warm-api')),
  'noop-api': (n: string) => perCall(Number(n), () => ok(r.call('init'), 'noop-api')),
  'hostcall-api': async (n: string) => {
    const args = `[${Number(n)}]`;
    const t0 = performance.now();
    await ok(r.applyDefRaw('hostcall.hostloop', args), 'hostloop');
    const t1 = performance.now();
    await ok(r.applyDefRaw('hostcall.emptyloop', args), 'emptyloop');
    const t2 = performance.now();
    return { ns_per_call: (((t1 - t0) - (t2 - t1)) * 1e6) / Number(n), loop_ns: ((t2 - t1) * 1e6) / Number(n) };
  },
});
await r.close();
