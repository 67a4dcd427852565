// Tests of the Reactor API (hosts/js/reactor.mjs): the instance in a worker.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, writeFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { Reactor, PythonError } from '../../hosts/js/reactor.mjs';
import { wasmModule, isDeno, REPO, withReactor, rejectsWith } from './helpers.mjs';



test('lambdas, defs and modules: register, apply, unregister', () => withReactor({}, async (r) => {
  assert.equal(await r.init(), null);
  assert.equal(await r.registerLambda('add', 'lambda a, b: a + b'), 'add');
  assert.equal(await r.applyLambda('add', [2, 3]), 5);
  assert.equal(await r.applyLambda('add', { a: 'x', b: 'y' }), 'xy');
  assert.equal(await r.registerModule('shapes', 'def area(w, h):\n    return {"area": w * h}\n'), 'shapes');
  assert.equal(await r.registerModule('report', 'from shapes import area\n\ndef show(w, h):\n    return [area(w, h), __name__]\n'), 'report');
  assert.deepEqual(await r.applyDef('report.show', [2, 4]), [{ area: 8 }, 'report']);
  assert.equal(await r.registerDef('total', 'import shapes\n\ndef total(*sizes):\n    return sum(shapes.area(w, h)["area"] for w, h in sizes)\n'), 'total');
  assert.equal(await r.applyDef('total', [[1, 2], [3, 4]]), 14);
  assert.equal(await r.applyDef('total'), 0, 'args default to []');
  assert.equal(await r.unregisterDef('total'), 'total');
  await rejectsWith(r.applyDef('total', []), 'NotRegistered');
  assert.equal(await r.unregisterLambda('add'), 'add');
  assert.equal(await r.unregisterModule('report'), 'report');
  await rejectsWith(r.applyDef('report.show', [1, 1]), 'NotRegistered');
  await rejectsWith(r.unregisterModule('report'), 'NotRegistered');
}));

test('PythonError carries type, message and traceback', () => withReactor({}, async (r) => {
  await r.registerDef('divide', 'def divide(a, b):\n    return a / b\n');
  const error = await r.applyDef('divide', [1, 0]).then(() => null, (e) => e);
  assert.ok(error instanceof PythonError);
  assert.ok(error instanceof Error);
  assert.equal(error.name, 'PythonError');
  assert.equal(error.type, 'ZeroDivisionError');
  assert.equal(error.message, 'division by zero');
  assert.match(error.traceback, /File "<def divide>", line 2, in divide/);
  assert.match(error.traceback, /ZeroDivisionError: division by zero/);
  await rejectsWith(r.registerLambda('bad', 'lambda: ('), 'SyntaxError');
  await rejectsWith(r.registerLambda('', 'lambda: 1'), 'InvalidName');
}));

test('raw API: text exactly as the guest wrote it, big ints intact', () => withReactor({}, async (r) => {
  await r.registerLambda('pred', 'lambda n: n - 1');
  await r.registerLambda('echo', 'lambda *a: a');
  assert.deepEqual(await r.applyLambdaRaw('pred', '[18446744073709551617]'), { tag: 'ok', text: '18446744073709551616' });
  assert.deepEqual(await r.applyLambdaRaw('echo', '[1.0, 1e300, -0.0]'), { tag: 'ok', text: '[1.0,1e+300,-0.0]' });
  await r.registerDef('pow2', 'def pow2(n):\n    return 2 ** n\n');
  assert.deepEqual(await r.applyDefRaw('pow2', '[64]'), { tag: 'ok', text: '18446744073709551616' });
  const err = await r.applyDefRaw('pow2', '{"m": 1}');
  assert.equal(err.tag, 'err');
  assert.equal(JSON.parse(err.text).type, 'TypeError');
  assert.deepEqual(await r.applyDefRaw('pow2', 'nonsense'), await r.call('apply_def', 'pow2', 'nonsense'));
  assert.equal(await r.applyDef('pow2', [64]), 2 ** 64, 'the parsed API goes through JS numbers');
  assert.equal(await r.applyDef('pow2', [64n]), 2 ** 64, 'BigInt args are sent as JSON integers');
  await assert.rejects(r.applyDef('pow2', [new Uint8Array(1)]), TypeError, 'args that JSON cannot carry reject, not throw');
}));

test('call(): generic op runner; objects become JSON, bytes pass through', () => withReactor({}, async (r) => {
  assert.deepEqual(await r.call('init'), { tag: 'ok', text: 'null' });
  assert.deepEqual(await r.call('register_lambda', 'kw', 'lambda **k: sorted(k)'), { tag: 'ok', text: '"kw"' });
  assert.deepEqual(await r.call('apply_lambda', 'kw', { b: 1, a: 2 }), { tag: 'ok', text: '["a","b"]' });
  assert.deepEqual(await r.call('apply_lambda', 'kw'), { tag: 'ok', text: '[]' });
  const badName = await r.call('apply_lambda', new Uint8Array([0x6b, 0xff]), '[]');
  assert.equal(JSON.parse(badName.text).type, 'InvalidName');
  const badArgs = await r.call('apply_lambda', 'kw', new Uint8Array([0x7b, 0xc3, 0x7d]));
  assert.equal(JSON.parse(badArgs.text).type, 'InvalidArgs');
  await assert.rejects(r.call('nope', 'x'), TypeError);
  await assert.rejects(r.call('register_def', 'x', 42), TypeError);
  await rejectsWith(r.registerDef(new Uint8Array([0xc0, 0x80]), 'def f(): pass'), 'InvalidName');
  await rejectsWith(r.registerModule('m', new Uint8Array([0xff])), 'InvalidInput');
}));

test('an 8 MB string through the worker and back', () => withReactor({}, async (r) => {
  await r.registerLambda('echo', 'lambda s: s');
  const big = '€'.repeat(3 * 1024 * 1024); // 9 MiB of UTF-8
  assert.equal(await r.applyLambda('echo', [big]), big);
}));

test('calls run in order even when not awaited one by one', () => withReactor({}, async (r) => {
  await r.registerDef('log', 'seen = []\n\ndef log(x):\n    seen.append(x)\n    return list(seen)\n');
  const results = await Promise.all(Array.from({ length: 50 }, (_, i) => r.applyDef('log', [i])));
  results.forEach((seen, i) => assert.deepEqual(seen, Array.from({ length: i + 1 }, (_, j) => j)));
}));

test('stdout and stderr callbacks get what Python prints, before the result', () => {
  const out = [];
  const err = [];
  const decoder = new TextDecoder();
  return withReactor({ stdout: (b) => out.push(decoder.decode(b)), stderr: (b) => err.push(decoder.decode(b)) }, async (r) => {
    await r.registerDef('talk', 'import sys\n\ndef talk(n):\n    print("out", n, "ünï")\n    print("err", n, file=sys.stderr)\n    return n\n');
    assert.equal(await r.applyDef('talk', [1]), 1);
    assert.equal(out.join(''), 'out 1 ünï\n');
    assert.equal(err.join(''), 'err 1\n');
    await rejectsWith(r.applyLambda('nothing', []), 'NotRegistered');
    await r.registerLambda('fail', 'lambda: [print("before"), 1 / 0]');
    await rejectsWith(r.applyLambda('fail', []), 'ZeroDivisionError');
    assert.equal(out.join(''), 'out 1 ünï\nbefore\n');
  });
});

test('env and preopens reach the guest', async () => {
  const dir = await mkdtemp(join(REPO, 'build', 'preopen-'));
  try {
    await writeFile(join(dir, 'data.txt'), 'from the host');
    await withReactor({ env: { GREETING: 'hi' }, preopens: { '/data': dir } }, async (r) => {
      await r.registerDef('look', 'import os\n\ndef look():\n    with open("/data/data.txt") as f:\n        return [os.environ["GREETING"], f.read(), sorted(os.listdir("/data"))]\n');
      assert.deepEqual(await r.applyDef('look', []), ['hi', 'from the host', ['data.txt']]);
    });
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('PYTHONPATH puts a preopened directory on sys.path (docs/guest.md)', async () => {
  const dir = await mkdtemp(join(REPO, 'build', 'pylib-'));
  try {
    await writeFile(join(dir, 'hostlib.py'), 'VERSION = "1.2"\n');
    await withReactor({ env: { PYTHONPATH: '/lib' }, preopens: { '/lib': dir } }, async (r) => {
      await r.registerDef('version', 'import sys, hostlib\n\ndef version():\n    return [hostlib.VERSION, sys.path]\n');
      assert.deepEqual(await r.applyDef('version', []), ['1.2', ['/lib']]);
    });
    await withReactor({ preopens: { '/lib': dir } }, async (r) => {
      await rejectsWith(r.registerDef('nope', 'import hostlib\ndef nope():\n    pass\n'), 'ModuleNotFoundError');
    });
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

/** Registers a bit of everything, then checks it all still works. */
async function registerWorld(r) {
  await r.registerModule('base', 'VALUE = 40\n');
  await r.registerModule('derived', 'import base\nVALUE = base.VALUE + 1\n');
  await r.registerDef('answer', 'import derived\n\ndef answer():\n    return derived.VALUE + 1\n');
  await r.registerLambda('gone', 'lambda: "should stay unregistered"');
  await r.unregisterLambda('gone');
  await r.registerLambda('twice', 'lambda x: 2 * x');
  await r.registerLambda('twice', 'lambda x: 3 * x'); // replaced: the replay must keep the order
  await rejectsWith(r.registerDef('broken', 'def broken(:'), 'SyntaxError'); // failed: not replayed
}

async function checkWorld(r) {
  assert.equal(await r.applyDef('answer', []), 42);
  assert.equal(await r.applyLambda('twice', [5]), 15);
  assert.equal(await r.applyDef('derived.VALUE.__add__', [1]), 42);
  await rejectsWith(r.applyLambda('gone', []), 'NotRegistered');
  await rejectsWith(r.applyDef('broken', []), 'NotRegistered');
}

test('a trap rejects with Trap; the rebuilt instance has every registration back', () => withReactor({}, async (r) => {
  await registerWorld(r);
  await r.registerLambda('abort', "lambda: __import__('os').abort()");
  await rejectsWith(r.applyLambda('abort', []), 'Trap', /wasm trap: unreachable/);
  await checkWorld(r);
  assert.equal(r.rebuilds, 1);
  // Python code that runs the guest's own stack out traps too.
  await r.registerDef('dive', 'import sys\n\ndef dive():\n    sys.setrecursionlimit(1_000_000)\n    class R:\n        def __repr__(self):\n            return repr(self)\n    return repr(R())\n');
  await rejectsWith(r.applyDef('dive', []), 'Trap');
  await checkWorld(r);
  assert.equal(await r.applyLambda('abort', []).catch((e) => e.type), 'Trap', 'registered lambdas replay too');
  assert.equal(r.rebuilds, 2);
}));

test('a trap from a bad pointer (test hook) is recovered from', () => withReactor({}, async (r) => {
  await registerWorld(r);
  await rejectsWith(r._rawExport('result_free', 0xfffffff0), 'Trap', /memory access out of bounds/);
  await checkWorld(r);
}));

test('a worker that dies mid-call gives Trap and a working instance', () => withReactor({}, async (r) => {
  await registerWorld(r);
  await r.registerLambda('spin', 'lambda: [None for _ in iter(int, 1)]');
  const spinning = r.applyLambda('spin', []);
  setTimeout(() => r._killWorker(), 300);
  await rejectsWith(spinning, 'Trap', /exited/);
  await checkWorld(r);
}));

test('timeoutMs ends a runaway call with Timeout', () => withReactor({ timeoutMs: 2000 }, async (r) => {
  await registerWorld(r);
  await r.registerLambda('forever', 'lambda: [None for _ in iter(int, 1)]');
  const started = Date.now();
  await rejectsWith(r.applyLambda('forever', []), 'Timeout', /longer than 2000 ms/);
  assert.ok(Date.now() - started < 10_000);
  await checkWorld(r);
}));

const RECURSE_THROUGH_C = [
  'import sys',
  'class Loop:',
  '    def __repr__(self):',
  '        return "L(%r)" % (self,)',
  'def rrepr(limit):',
  '    old = sys.getrecursionlimit()',
  '    sys.setrecursionlimit(limit)',
  '    try:',
  '        return repr(Loop())',
  '    finally:',
  '        sys.setrecursionlimit(old)',
].join('\n');

test('the default stack turns deep recursion through C into RecursionError', () => withReactor({}, async (r) => {
  await r.registerDef('rrepr', RECURSE_THROUGH_C);
  await rejectsWith(r.applyDef('rrepr', [1000]), 'RecursionError');
  await rejectsWith(r.applyDef('rrepr', [10000]), 'RecursionError');
}));

// Deno applies --v8-flags=--stack-size to every thread: a worker whose stack
// is smaller than that aborts the process instead of trapping.
test('with a small stackSizeMb the same recursion traps, and the host recovers', { skip: isDeno && 'Deno: see README' }, () => withReactor({ stackSizeMb: 2 }, async (r) => {
  await r.registerDef('rrepr', RECURSE_THROUGH_C);
  await rejectsWith(r.applyDef('rrepr', [1000]), 'RecursionError');
  await rejectsWith(r.applyDef('rrepr', [10000]), 'Trap', /stack/);
  await rejectsWith(r.applyDef('rrepr', [1000]), 'RecursionError');
}));

test('the compiled module is reusable and close() is final', async () => {
  const first = await Reactor.load({ wasm: await wasmModule() });
  const second = await Reactor.load({ wasm: first.module });
  await first.registerLambda('who', 'lambda: "first"');
  await rejectsWith(second.applyLambda('who', []), 'NotRegistered');
  await first.close();
  await assert.rejects(first.applyLambda('who', []), /closed/);
  await second.close();
});

test('load() fails clearly for a missing file and bad output options', async () => {
  await assert.rejects(Reactor.load({ wasm: join(REPO, 'build', 'no-such.wasm') }), /no-such\.wasm/);
  await assert.rejects(Reactor.load({ wasm: await wasmModule(), stdout: 'nowhere' }), TypeError);
});
