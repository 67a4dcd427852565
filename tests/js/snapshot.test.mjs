// The Wizer snapshot (build/python-reactor.wasm) against the plain module
// (build/python-reactor-plain.wasm): same behaviour, but started ahead of
// time, and nothing that must differ between instances is shared.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Reactor } from '../../hosts/js/reactor.mjs';
import { wasmModule, REPO, withReactor } from './helpers.mjs';

const PLAIN_PATH = join(REPO, 'build', 'python-reactor-plain.wasm');
const exportNames = (module) => WebAssembly.Module.exports(module).map((e) => e.name);


const PROBE = 'import random, sys, os\n\ndef probe():\n'
  + '    return {"r": random.random(), "u": random.getrandbits(64),\n'
  + '            "env": dict(os.environ), "preloaded": "decimal" in sys.modules}\n';

async function probe(options = {}) {
  return withReactor(options, async (r) => {
    await r.registerDef('probe', PROBE);
    return r.applyDef('probe', []);
  });
}

test('the snapshot has no _initialize; the plain module keeps it', async () => {
  assert.ok(!exportNames(await wasmModule()).includes('_initialize'));
  const plain = await WebAssembly.compile(await readFile(PLAIN_PATH));
  assert.ok(exportNames(plain).includes('_initialize'));
});

test('instances from one snapshot get their own random state', async () => {
  const a = await probe();
  const b = await probe();
  assert.notEqual(a.r, b.r);
  assert.notEqual(a.u, b.u);
});

test('the snapshot starts with the common stdlib modules already imported', async () => {
  assert.equal((await probe()).preloaded, true);
});

test('os.environ is the instance\'s, not the build machine\'s', async () => {
  assert.deepEqual((await probe()).env, {});
  assert.deepEqual((await probe({ env: { TENANT: 'acme' } })).env, { TENANT: 'acme' });
});

test('the plain module runs the same code', async () => {
  const plain = await WebAssembly.compile(await readFile(PLAIN_PATH));
  const reactor = await Reactor.load({ wasm: plain });
  try {
    await reactor.registerDef('probe', PROBE);
    const result = await reactor.applyDef('probe', []);
    assert.equal(result.preloaded, false);
    assert.deepEqual(result.env, {});
  } finally {
    await reactor.close();
  }
});
