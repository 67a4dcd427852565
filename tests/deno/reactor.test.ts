// The calls, values, errors and their types, big integers, options, close.

import assert from 'node:assert/strict';
import { PythonError, Reactor } from '../../hosts/deno/mod.ts';
import { LIB, rejection, withReactor } from './helpers.ts';

Deno.test('lambdas, defs, modules, cells: values and unregistering', () => withReactor({}, async (r) => {
  assert.equal(await r.init(), null);
  assert.equal(await r.registerLambda('add', 'lambda a, b: a + b'), 'add');
  assert.equal(await r.applyLambda('add', [1, 2]), 3);
  assert.equal(await r.registerDef('hello', 'def hello(name, greeting="hi"):\n    return greeting + " " + name\n'), 'hello');
  assert.equal(await r.applyDef('hello', ['you']), 'hi you');
  assert.equal(await r.applyDef('hello', { name: 'you', greeting: 'yo' }), 'yo you');
  assert.equal(await r.registerModule('util', 'def twice(x):\n    return 2 * x\n'), 'util');
  assert.equal(await r.applyDef('util.twice', [21]), 42);
  assert.deepEqual(await r.applyLambda('add', [[1], [2, { a: null, b: 'é' }]]), [1, 2, { a: null, b: 'é' }]);
  assert.equal(await r.run('x = 6\nx * 7'), 42);
  assert.equal(await r.run('x + 1'), 7); // __main__ is shared by cells
  assert.equal(await r.run('y = 1'), null);
  assert.equal(await r.unregisterModule('util'), 'util');
  assert.equal(await r.unregisterLambda('add'), 'add');
  assert.equal(await r.unregisterDef('hello'), 'hello');
  assert.equal((await rejection(r.applyDef('hello', ['x']), PythonError)).type, 'NotRegistered');
}));

Deno.test('errors: PythonError with type, message and traceback; the instance goes on', () => withReactor({}, async (r) => {
  await r.registerLambda('inv', 'lambda x: 1 / x');
  const e = await rejection(r.applyLambda('inv', [0]), PythonError);
  assert.equal(e.name, 'PythonError');
  assert.equal(e.type, 'ZeroDivisionError');
  assert.equal(e.message, 'division by zero');
  assert.match(e.traceback ?? '', /ZeroDivisionError/);
  assert.equal((await rejection(r.registerDef('f', 'def f(:'), PythonError)).type, 'SyntaxError');
  assert.equal((await rejection(r.registerDef('f', 'f = 3'), PythonError)).type, 'NotCallable');
  assert.equal((await rejection(r.applyLambda('inv', [1, 2]), PythonError)).type, 'TypeError');
  assert.equal((await rejection(r.run('raise SystemExit(3)'), PythonError)).type, 'SystemExit');
  assert.equal((await rejection(r.registerLambda('', 'lambda: 1'), PythonError)).type, 'InvalidName');
  assert.equal(await r.applyLambda('inv', [4]), 0.25);
  // The raw forms resolve an err; only what is not the guest's answer rejects.
  const raw = await r.applyDefRaw('nope');
  assert.equal(raw.tag, 'err');
  assert.equal(JSON.parse(raw.text).type, 'NotRegistered');
  const bad = await r.applyLambdaRaw('inv', '[1,');
  assert.equal(JSON.parse(bad.text).type, 'InvalidArgs');
  assert.deepEqual(await r.call('apply_lambda', 'inv', '[2]'), { tag: 'ok', text: '0.5' });
  // Bytes as they are: a name that is not UTF-8 reaches the guest, which refuses it.
  assert.equal(JSON.parse((await r.call('unregister_def', new Uint8Array([0xff]))).text).type, 'InvalidName');
}));

Deno.test('big integers: BigInts in exactly, the raw form out exactly', () => withReactor({}, async (r) => {
  await r.registerLambda('inc', 'lambda x: x + 1');
  assert.deepEqual(await r.applyLambdaRaw('inc', '[18446744073709551615]'), { tag: 'ok', text: '18446744073709551616' });
  assert.deepEqual(await r.call('apply_lambda', 'inc', [2n ** 64n]), { tag: 'ok', text: '18446744073709551617' });
  assert.equal(await r.applyLambda('inc', [2n ** 80n]), Number(2n ** 80n + 1n)); // the value form goes through JSON.parse
  assert.equal(await r.run('type(2**100).__name__'), 'int');
  assert.deepEqual(await r.call('run', undefined, '2**100'), { tag: 'ok', text: String(2n ** 100n) });
  // What JSON cannot carry exactly is refused before the call, saying where.
  const e = await rejection(r.applyLambda('inc', [new Date() as never]), TypeError);
  assert.match(e.message, /args\[0\]: a Date cannot be sent as JSON/);
  await rejection(r.applyLambda('inc', [NaN]), TypeError);
  await rejection(r.applyLambda('inc', 5 as never), TypeError);
}));

Deno.test('options: unknown keys and bad values are TypeErrors that name them', async () => {
  const refused = async (options: unknown, pattern: RegExp) => {
    const e = await rejection(Reactor.load(options as never), TypeError);
    assert.match(e.message, pattern);
  };
  await refused({ timeout: 100 }, /unknown option "timeout"/);
  await refused({ libPath: LIB, timeoutMs: '200' }, /timeoutMs must be a whole number of milliseconds from 1 to 2147483647, not "200"/);
  await refused({ libPath: LIB, timeoutMs: 0 }, /timeoutMs/);
  await refused({ libPath: LIB, timeoutMs: 1.5 }, /timeoutMs/);
  await refused({ libPath: LIB, memoryMb: 4097 }, /memoryMb/);
  await refused({ libPath: LIB, stackSizeMb: 0 }, /stackSizeMb/);
  await refused({ libPath: LIB, env: { 'A=B': 'x' } }, /env/);
  await refused({ libPath: LIB, preopens: { data: '/tmp' } }, /absolute path/);
  await refused({ libPath: LIB, preopens: { '/d': { path: '/tmp', readonly: true } } }, /unknown key "readonly"/);
  await refused({ libPath: LIB, stdout: 'nowhere' }, /stdout/);
  await refused({ libPath: LIB, stdin: () => 'x' }, /stdin: this host takes the guest's input as a string or a Uint8Array/);
  await refused({ libPath: LIB, hostFunctions: { f: 1 } }, /hostFunctions\.f must be a function/);
  await refused({ libPath: LIB, hostFunctions: { f() {} }, hostFunctionsRaw: { f() {} } }, /both have "f"/);
  await refused({ libPath: '' }, /libPath/);
  await refused([], /options must be a plain object/);
  // A cap below what the module needs is refused by the library, at load.
  await refused({ libPath: LIB, memoryMb: 5 }, /memory_limit 5 MiB is below/);
  // A library that is not there: an Error naming it.
  await assert.rejects(Reactor.load({ libPath: '/nonexistent/libpyreactor.so' }), /nonexistent/);
  // Undefined counts as not given.
  await withReactor({ timeoutMs: undefined, env: undefined }, async (r) => assert.equal(await r.run('1'), 1));
});

Deno.test('env and stdin reach the guest; nothing else does', () => withReactor({ env: { LANG: 'C.UTF-8' }, stdin: 'line one\n' }, async (r) => {
  assert.deepEqual(await r.run('import os\ndict(os.environ)'), { LANG: 'C.UTF-8' });
  assert.equal(await r.run('import sys\nsys.stdin.readline()'), 'line one\n');
  assert.equal(await r.run('sys.stdin.read()'), '');
  assert.equal(await r.run('import os\nos.path.exists("/tmp")'), false);
}));

Deno.test('calls run one at a time, in order; close waits for them, later calls reject', async () => {
  const r = await Reactor.load({ libPath: LIB });
  await r.run('seen = []');
  const calls = [1, 2, 3, 4].map((i) => r.run(`seen.append(${i})\nlist(seen)`));
  const closing = r.close();
  assert.deepEqual(await Promise.all(calls), [[1], [1, 2], [1, 2, 3], [1, 2, 3, 4]]);
  await closing;
  await assert.rejects(r.run('1'), /Reactor is closed/);
  await r.close(); // twice: nothing
});
