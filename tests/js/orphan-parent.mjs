// Fixture of process-reactor.test.mjs (not a test itself): a parent that
// dies, or stops answering, during a call. It loads a ProcessReactor (argv:
// wasm path, timeoutMs, and "block" to block its own thread once the call
// has started), prints the child's pid, and starts a call that never ends;
// the test then kills this process and checks that the child does not live
// on, or that the child stops by itself while this process cannot act.

import process from 'node:process';
import { ProcessReactor } from '../../hosts/js/process-reactor.mjs';

const [wasm, timeoutMs, mode] = process.argv.slice(2);
const reactor = await ProcessReactor.load({ wasm, output: 'ignore', timeoutMs: Number(timeoutMs) });
await reactor.registerDef('spin', 'def spin():\n    while True:\n        pass\n');
process.stdout.write(`${reactor.pid}\n`);
if (mode === 'block') {
  // Once the request is on its way: no timer of this process fires again.
  setTimeout(() => {
    for (;;);
  }, 200);
}
await reactor.applyDef('spin', []);
