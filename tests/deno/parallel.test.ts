// Calls do not block the event loop, and two instances run at once.

import assert from 'node:assert/strict';
import { runScript, withReactor } from './helpers.ts';

const NAP = 'import time\ndef nap(s):\n    time.sleep(s)\n    return s\n';

Deno.test('two instances in parallel: both sleep 400 ms at once, a timer ticks meanwhile', () => withReactor({}, (a) => withReactor({}, async (b) => {
  await a.registerDef('nap', NAP);
  await b.registerDef('nap', NAP);
  let ticks = 0;
  const timer = setInterval(() => ticks++, 10);
  try {
    const started = performance.now();
    assert.deepEqual(await Promise.all([a.applyDef('nap', [0.4]), b.applyDef('nap', [0.4])]), [0.4, 0.4]);
    const took = performance.now() - started;
    assert.ok(took >= 390 && took < 750, `two 400 ms calls took ${took} ms together`);
    assert.ok(ticks >= 15, `the timer ticked ${ticks} times in ${took} ms`);
  } finally {
    clearInterval(timer);
  }
})));

Deno.test('a long compute does not block the event loop', () => withReactor({}, async (r) => {
  let ticks = 0;
  const timer = setInterval(() => ticks++, 10);
  try {
    const started = performance.now();
    await r.run('import time\nend = time.monotonic() + 0.5\nn = 0\nwhile time.monotonic() < end:\n    n += 1');
    const took = performance.now() - started;
    assert.ok(ticks >= 10, `the timer ticked ${ticks} times during a ${took} ms compute`);
  } finally {
    clearInterval(timer);
  }
}));

Deno.test('an idle reactor does not keep the process alive (host functions and sinks too); a call in flight does', async () => {
  const { code, stdout, stderr } = await runScript(`import { Reactor } from 'MOD';
const r = await Reactor.load({ libPath: LIB, hostFunctions: { later: async () => { await new Promise((s) => setTimeout(s, 200)); return 7; } }, stdout: () => {} });
const pending = r.run('import reactor\\nprint("x")\\nreactor.host.later()');
pending.then((v) => console.log('answer', v));
`, 15000);
  assert.equal(code, 0, stderr);
  assert.equal(stdout, 'answer 7\n'); // waited for the call, then ended without close()
});
