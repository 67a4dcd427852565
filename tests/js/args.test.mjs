// Args of applyLambda/applyDef (hosts/js/args-json.mjs): what JSON text
// cannot carry exactly is a TypeError with the path of the value, a BigInt
// (and a number past 2**53) arrives as the exact integer.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { argsText } from '../../hosts/js/args-json.mjs';
import { ProcessReactor } from '../../hosts/js/process-reactor.mjs';
import { WASM_PATH, withReactor } from './helpers.mjs';

class Point {
  constructor(x) {
    this.x = x;
  }
}

const sparse = [1, , 3]; // eslint-disable-line no-sparse-arrays
const cycle = { a: { b: [] } };
cycle.a.b.push(cycle.a);
const selfArray = [];
selfArray.push(selfArray);

/** [args, the message] */
const REFUSED = [
  [[1, undefined], 'args[1]: undefined cannot be sent as JSON'],
  [sparse, 'args[1]: a hole of a sparse array cannot be sent as JSON'],
  [[() => 1], 'args[0]: a function cannot be sent as JSON'],
  [[Symbol('s')], 'args[0]: a symbol cannot be sent as JSON'],
  [[NaN], 'args[0]: NaN cannot be sent as JSON'],
  [[1, [Infinity]], 'args[1][0]: Infinity cannot be sent as JSON'],
  [{ x: -Infinity }, 'args.x: -Infinity cannot be sent as JSON'],
  [[1, { when: new Date(0) }], 'args[1].when: a Date cannot be sent as JSON'],
  [[new Map([[1, 2]])], 'args[0]: a Map cannot be sent as JSON'],
  [[new Set([1])], 'args[0]: a Set cannot be sent as JSON'],
  [[new Uint8Array([1, 2])], 'args[0]: a Uint8Array cannot be sent as JSON'],
  [[new Int32Array(1)], 'args[0]: an Int32Array cannot be sent as JSON'],
  [[new ArrayBuffer(1)], 'args[0]: an ArrayBuffer cannot be sent as JSON'],
  [[new Point(1)], 'args[0]: a Point cannot be sent as JSON'],
  [[new Number(1)], 'args[0]: a Number cannot be sent as JSON'], // eslint-disable-line no-new-wrappers
  [[/x/], 'args[0]: a RegExp cannot be sent as JSON'],
  [[{ toJSON: () => 1 }], 'args[0].toJSON: a function cannot be sent as JSON'],
  [[Object.create({ inherited: 1 })], 'args[0]: an object whose prototype is not Object.prototype of this realm cannot be sent as JSON'],
  [{ 'a b': [0, { c: undefined }] }, 'args["a b"][1].c: undefined cannot be sent as JSON'],
  [cycle, 'args.a.b[0]: a cycle cannot be sent as JSON'],
  [selfArray, 'args[0]: a cycle cannot be sent as JSON'],
  [new Map(), 'args: a Map cannot be args (an array or a plain object)'],
  [null, 'args: null cannot be args (an array or a plain object)'],
  ['[1]', 'args: a string cannot be args (an array or a plain object)'],
  [42, 'args: a number cannot be args (an array or a plain object)'],
  [new Point(1), 'args: a Point cannot be args (an array or a plain object)'],
];

test('argsText refuses what JSON cannot carry, naming where it is', () => {
  for (const [args, message] of REFUSED) {
    assert.throws(() => argsText(args), (error) => {
      assert.ok(error instanceof TypeError, String(error));
      assert.equal(error.message, message);
      return true;
    });
  }
});

test('argsText: plain values as JSON.stringify writes them; BigInts and integers past 2**53 exactly', () => {
  const dag = { shared: [1] };
  const plain = [[], {}, [1, 'two', null, true, false, 2.5, -1e-7, 1e300, 'é\u2028"\\'],
    { a: [{ b: { c: [] } }], 'odd key': 0 }, Object.assign(Object.create(null), { x: 1 }), [dag, dag], [2 ** 53, -(2 ** 53)]];
  for (const args of plain) assert.equal(argsText(args), JSON.stringify(args));
  assert.equal(argsText([-0]), '[0]', '-0 is sent as 0, as JSON.stringify writes it');
  assert.equal(argsText([{ [Symbol('k')]: 1, a: 1 }]), '[{"a":1}]', 'symbol keys are left out, as by JSON.stringify');
  const many = Array.from({ length: 40 }, (_, i) => (i % 2 ? i / 3 : `s${i}`));
  assert.equal(argsText(many), JSON.stringify(many), 'longer arrays: the same text');
  assert.equal(argsText(['x', 1e-7, -5, true, null]), JSON.stringify(['x', 1e-7, -5, true, null]));
  assert.equal(argsText([1n, -(2n ** 70n)]), '[1,-1180591620717411303424]');
  assert.equal(argsText({ big: [2n ** 64n, 'x'] }), '{"big":[18446744073709551616,"x"]}');
  assert.equal(argsText([2 ** 60, -(2 ** 64)]), '[1152921504606846976,-18446744073709551616]');
  assert.equal(argsText([2 ** 53 + 2, 1e20, 1e21, 2.5]), '[9007199254740994,100000000000000000000,1e+21,2.5]');
  assert.equal(JSON.stringify([2 ** 60]), '[1152921504606847000]', 'what JSON.stringify would have sent');
});

test('through the guest: BigInts arrive as exact Python ints, refusals are TypeErrors', () => withReactor({}, async (r) => {
  await r.registerLambda('show', 'lambda *a, **k: [[type(x).__name__, str(x)] for x in list(a) + list(k.values())]');
  assert.deepEqual(await r.applyLambda('show', [2n ** 70n, 2 ** 60, -0, 1.5]),
    [['int', '1180591620717411303424'], ['int', '1152921504606846976'], ['int', '0'], ['float', '1.5']]);
  assert.deepEqual(await r.applyLambda('show', { n: -(2n ** 64n) }), [['int', '-18446744073709551616']]);
  assert.deepEqual(r.applyLambdaSync('show', [1n]), [['int', '1']]);
  await r.registerDef('show', 'def show(*a):\n    return len(a)\n');
  assert.equal(await r.applyDef('show', [1n, 2n]), 2);
  assert.equal(r.applyDefSync('show', [3n]), 1);

  // The async calls reject, the sync ones throw, call() and callSync() too.
  const bytes = new Uint8Array([1, 2]);
  const rejected = r.applyLambda('show', [bytes]);
  assert.ok(rejected instanceof Promise, 'rejects, does not throw');
  await assert.rejects(rejected, /^TypeError: args\[0\]: a Uint8Array cannot be sent as JSON$/);
  await assert.rejects(r.applyDef('show', [new Map()]), TypeError);
  await assert.rejects(r.call('apply_def', 'show', [undefined]), /args\[0\]: undefined/);
  assert.throws(() => r.applyLambdaSync('show', [NaN]), /args\[0\]: NaN/);
  assert.throws(() => r.applyDefSync('show', { when: new Date() }), /args\.when: a Date/);
  assert.throws(() => r.callSync('apply_lambda', 'show', [() => 1]), TypeError);
  // Raw args are sent as given: the guest judges them.
  assert.deepEqual(await r.applyDefRaw('show', '[1, 2, 3]'), { tag: 'ok', text: '3' });
  assert.deepEqual(r.applyDefRawSync('show', '[18446744073709551616]'), { tag: 'ok', text: '1' });
  assert.equal(await r.applyDef('show'), 0, 'no args: []');
}));

test('raw results keep big integers exact while args are checked', () => withReactor({}, async (r) => {
  await r.registerDef('pow2', 'def pow2(n):\n    return 2 ** n\n');
  assert.deepEqual(await r.applyDefRaw('pow2', '[64]'), { tag: 'ok', text: '18446744073709551616' });
  assert.deepEqual(await r.call('apply_def', 'pow2', [100n]), { tag: 'ok', text: '1267650600228229401496703205376' });
  assert.deepEqual(r.callSync('apply_def', 'pow2', [64]), { tag: 'ok', text: '18446744073709551616' });
}));

test('ProcessReactor checks args the same way, before anything reaches a child', async () => {
  const r = new ProcessReactor({ wasm: WASM_PATH, output: 'ignore', spare: false });
  try {
    await assert.rejects(r.applyDef('f', [new Uint8Array(1)]), /^TypeError: args\[0\]: a Uint8Array/);
    await assert.rejects(r.applyLambda('f', { x: undefined }), /^TypeError: args\.x: undefined/);
    assert.equal(r.pid, undefined, 'no child was started');
  } finally {
    await r.close();
  }
});
