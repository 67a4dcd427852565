// Per-instance limits of the JS host: a call that runs too long ends with a
// Timeout, memory past the cap gives MemoryError inside Python; either way
// the caller keeps everything it registered.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import process from 'node:process';
import { isDeno, REPO, RUNAWAY, withReactor, rejectsWith } from './helpers.mjs';
import { Reactor } from '../../hosts/js/reactor.mjs';

for (const [what, code] of Object.entries(RUNAWAY)) {
  test(`timeoutMs stops ${what}, and registrations survive`, async () => {
    await withReactor({ timeoutMs: 300 }, async (r) => {
      await r.registerDef('keep', 'def keep(x):\n    return x + 1\n');
      await r.registerDef('f', code);
      const started = performance.now();
      await rejectsWith(r.applyDef('f', []), 'Timeout');
      const elapsed = performance.now() - started;
      assert.ok(elapsed < 300 + 1000, `stopped after ${elapsed.toFixed(0)} ms`);
      assert.equal(await r.applyDef('keep', [41]), 42);
      assert.equal(r.rebuilds, 1);
    });
  });
}

test('memoryMb: allocations past the cap raise MemoryError and the instance goes on', async () => {
  await withReactor({ memoryMb: 96 }, async (r) => {
    await r.registerDef('alloc', 'def alloc(mb):\n    return len(bytearray(mb * 1024 * 1024))\n');
    await r.registerDef('hoard', 'def hoard():\n    a = []\n    while True:\n        a.append("x" * 100000)\n');
    assert.equal(await r.applyDef('alloc', [16]), 16 * 1024 * 1024);
    await rejectsWith(r.applyDef('alloc', [200]), 'MemoryError');
    await rejectsWith(r.applyDef('hoard', []), 'MemoryError');
    assert.equal(await r.applyDef('alloc', [8]), 8 * 1024 * 1024);
    assert.equal(r.rebuilds, 0);
  });
});

test('memoryMb below what the module itself needs is refused as such, and a missing grant is named', async () => {
  await assert.rejects(Reactor.load({ memoryMb: 5 }), (e) => e instanceof RangeError
    && /memoryMb 5 is below the \d+ MiB this module needs/.test(e.message));
  await assert.rejects(Reactor.load({ preopens: { '/d': 'build/no-such-grant' } }),
    /grant "\/d": host directory build\/no-such-grant does not exist/);
});

test('without memoryMb the same allocation succeeds', async () => {
  await withReactor({}, async (r) => {
    await r.registerDef('alloc', 'def alloc(mb):\n    return len(bytearray(mb * 1024 * 1024))\n');
    assert.equal(await r.applyDef('alloc', [200]), 200 * 1024 * 1024);
  });
});

test('time.sleep and asyncio.sleep still wait as long as asked', async () => {
  await withReactor({}, async (r) => {
    await r.registerDef('naps', 'import time, asyncio\n\ndef naps():\n'
      + '    t = time.monotonic(); time.sleep(0.2); a = time.monotonic() - t\n'
      + '    t = time.monotonic(); asyncio.run(asyncio.sleep(0.1)); b = time.monotonic() - t\n'
      + '    return [a, b]\n');
    const [slept, awaited] = await r.applyDef('naps', []);
    assert.ok(slept >= 0.19 && slept < 5, `time.sleep(0.2) took ${slept}`);
    assert.ok(awaited >= 0.09 && awaited < 5, `asyncio.sleep(0.1) took ${awaited}`);
  });
});

test('a stopped time.sleep(3600) does not keep the process alive', async () => {
  // A child process, so that a sleeping thread left behind would show up as
  // a child that does not exit (the runner kills it after a minute).
  const dir = await mkdtemp(join(REPO, 'build', 'sleep-'));
  const script = join(dir, 'stop-sleep.mjs');
  await writeFile(script, `
    import { Reactor } from ${JSON.stringify(new URL('../../hosts/js/reactor.mjs', import.meta.url).href)};
    const r = await Reactor.load({ timeoutMs: 3000 });
    await r.registerDef('f', 'import time\\ndef f():\\n    time.sleep(3600)\\n');
    await r.applyDef('f', []).catch((e) => console.log(e.type));
    await r.close();`);
  const args = isDeno ? ['run', '--allow-read', script] : [script];
  try {
    const out = await new Promise((resolve, reject) => {
      execFile(process.execPath, args, { timeout: 60_000, env: {} },
        (error, stdout) => (error ? reject(error) : resolve(stdout)));
    });
    assert.equal(out.trim(), 'Timeout');
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
