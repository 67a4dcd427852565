// Limits and grants: the time limit (the instance works after), the memory
// cap, read-only and writable grants, the guest's own stack.

import assert from 'node:assert/strict';
import { PythonError } from '../../hosts/deno/mod.ts';
import { rejection, withReactor } from './helpers.ts';

// Limits of 1 s: the library replays each registration under the call's
// limit, and drops one that runs out of it (pyreactor.h, "traps"); on a
// loaded 2-core machine a 300 ms limit once dropped this trivial def.
Deno.test('timeoutMs: a runaway call ends with Timeout in time; registrations are replayed', () => withReactor({ timeoutMs: 1000 }, async (r) => {
  await r.registerDef('f', 'counter = 0\ndef f():\n    global counter\n    counter += 1\n    return counter\n');
  assert.equal(await r.applyDef('f'), 1);
  const started = performance.now();
  const e = await rejection(r.run('while True:\n    pass'), PythonError);
  const took = performance.now() - started;
  assert.equal(e.type, 'Timeout');
  assert.ok(took >= 990 && took < 4000, `took ${took} ms`);
  assert.equal(r.rebuilds, 1);
  assert.equal(await r.applyDef('f'), 1); // a fresh instance, the def replayed
  assert.equal(await r.run('1 + 1'), 2);
}));

Deno.test('memoryMb: MemoryError past the cap, and the instance goes on', () => withReactor({ memoryMb: 64 }, async (r) => {
  const e = await rejection(r.run('x = bytearray(200 * 1024 * 1024)'), PythonError);
  assert.equal(e.type, 'MemoryError');
  assert.equal(await r.run('len(bytearray(10 * 1024 * 1024))'), 10 * 1024 * 1024);
}));

Deno.test('grants: read-only refuses every write, read-write takes them, nothing outside', async () => {
  const ro = await Deno.makeTempDir({ prefix: 'deno-ffi-ro-' });
  const rw = await Deno.makeTempDir({ prefix: 'deno-ffi-rw-' });
  try {
    await Deno.writeTextFile(`${ro}/in.txt`, 'hello');
    await withReactor({ preopens: { '/ro': { path: ro, readOnly: true }, '/rw': rw } }, async (r) => {
      assert.equal(await r.run('open("/ro/in.txt").read()'), 'hello');
      const e = await rejection(r.run('open("/ro/new.txt", "w")'), PythonError);
      assert.equal(e.type, 'OSError');
      assert.match(e.message, /Read-only file system/);
      await rejection(r.run('import os\nos.remove("/ro/in.txt")'), PythonError);
      assert.equal(await r.run('open("/rw/out.txt", "w").write("written")'), 7);
      await rejection(r.run('open("/ro/../etc/passwd").read()'), PythonError);
    });
    assert.equal(await Deno.readTextFile(`${rw}/out.txt`), 'written');
    assert.deepEqual([...Deno.readDirSync(ro)].map((e) => e.name), ['in.txt']);
  } finally {
    await Deno.remove(ro, { recursive: true });
    await Deno.remove(rw, { recursive: true });
  }
});

Deno.test('deep recursion through C is a RecursionError (the guest has its own stack)', () => withReactor({}, async (r) => {
  const e = await rejection(r.run('class A:\n    def __repr__(self):\n        return repr(self)\nrepr(A())'), PythonError);
  assert.equal(e.type, 'RecursionError');
  assert.equal(await r.run('def d(n):\n    return 0 if n == 0 else 1 + d(n - 1)\nd(900)'), 900);
}));
