// host.call (ABI.md, "Host functions") and run, on an instance in this
// thread (Guest), where a test can be the host function: what the guest
// sends, what it makes of each kind of reply, and that every export but
// alloc/dealloc answers Busy, changing nothing, while a host call runs.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Guest } from '../../hosts/js/guest.mjs';
import { wasmModule, withReactor } from './helpers.mjs';

/** A Guest whose host functions are `functions[name](argsText) -> {ok, text}`. */
async function guestWith(functions, options = {}) {
  const hostCall = (name, argsText) => {
    const fn = functions[name];
    if (!fn) return { ok: false, text: JSON.stringify({ type: 'NoSuchHostFunction', message: name }) };
    return fn(argsText);
  };
  const guest = await Guest.create(await wasmModule(), { hostCall, ...options });
  assert.deepEqual(guest.call('init'), { tag: 'ok', text: 'null' });
  return guest;
}

/** The value of the cell `code`, or its error's type. */
function cell(guest, code) {
  const { tag, text } = guest.call('run', undefined, code);
  return tag === 'ok' ? JSON.parse(text) : { err: JSON.parse(text).type, message: JSON.parse(text).message };
}

test('without a hostCall, every host function is NoSuchHostFunction', async () => {
  const guest = await Guest.create(await wasmModule());
  assert.deepEqual(cell(guest, 'import reactor\n'
    + 'try:\n    reactor.call_host("anything", 1)\nexcept reactor.HostError as e:\n    r = [e.type, e.message]\nr'),
  ['NoSuchHostFunction', 'no host function named anything']);
  assert.equal(cell(guest, 'reactor.host.other()').err, 'NoSuchHostFunction');
});

test('args go as the JSON text Python wrote, replies come back exact (big ints too)', async () => {
  const seen = [];
  const guest = await guestWith({
    echo: (argsText) => { seen.push(argsText); return { ok: true, text: argsText }; },
    big: () => ({ ok: true, text: '{"n": 340282366920938463463374607431768211457, "f": 0.1}' }),
  });
  assert.deepEqual(guest.call('run', undefined, 'import reactor\nreactor.call_host("echo", 18446744073709551617, "ü", None)'),
    { tag: 'ok', text: '[18446744073709551617,"ü",null]' });
  assert.deepEqual(seen, ['[18446744073709551617,"ü",null]']);
  assert.deepEqual(guest.call('run', undefined, 'reactor.host.echo(k=[1])'), { tag: 'ok', text: '{"k":[1]}' });
  assert.equal(seen[1], '{"k":[1]}');
  assert.equal(guest.call('run', undefined, 'reactor.host.echo()').text, '[]');
  assert.deepEqual(guest.call('run', undefined, 'v = reactor.host.big()\n[v["n"] - 2**128, v["f"]]'),
    { tag: 'ok', text: '[1,0.1]' });
});

test('error replies raise HostError of the host\'s type; a broken reply is a HostError', async () => {
  const guest = await guestWith({
    fail: () => ({ ok: false, text: '{"type": "Unavailable", "message": "try later"}' }),
    throws: () => { throw new Error('the host function threw'); },
    garbage: () => ({ ok: true, text: 'not json' }),
    shapeless: () => ({ ok: false, text: '[1]' }),
  });
  cell(guest, 'import reactor');
  assert.deepEqual(cell(guest, 'reactor.host.fail()'), { err: 'Unavailable', message: 'try later' });
  assert.deepEqual(cell(guest, 'try:\n    reactor.host.fail()\nexcept reactor.HostError as e:\n    r = [e.type, e.message, str(e)]\nr'),
    ['Unavailable', 'try later', 'try later']);
  assert.deepEqual(cell(guest, 'reactor.host.throws()'), { err: 'HostError', message: 'the host function threw' });
  assert.equal(cell(guest, 'reactor.host.garbage()').err, 'HostError');
  assert.match(cell(guest, 'reactor.host.garbage()').message, /not valid JSON/);
  assert.equal(cell(guest, 'reactor.host.shapeless()').err, 'HostError');
  assert.equal(cell(guest, 'reactor.host.nothere()').err, 'NoSuchHostFunction');
  assert.equal(cell(guest, '1 + 1'), 2, 'the instance goes on');
});

test('a reply the guest cannot allocate is a MemoryError, and the instance goes on', async () => {
  const huge = `"${'x'.repeat(48 << 20)}"`;
  const guest = await guestWith({ huge: () => ({ ok: true, text: huge }) }, { memoryMb: 40 });
  assert.deepEqual(cell(guest, 'import reactor\nreactor.host.huge()').err, 'MemoryError');
  assert.equal(cell(guest, '"still" + " here"'), 'still here');
});

test('while host.call runs, every export but alloc/dealloc answers Busy and changes nothing', async () => {
  let guest;
  const during = {};
  const guestCall = (...args) => {
    const { tag, text } = guest.call(...args);
    return tag === 'ok' ? text : JSON.parse(text).type;
  };
  guest = await guestWith({
    reenter: () => {
      during.init = guestCall('init');
      during.register = guestCall('register_lambda', 'late', 'lambda: 1');
      during.unregister = guestCall('unregister_def', 'f');
      during.apply = guestCall('apply_def', 'f', '[]');
      during.applySlow = guestCall('apply_def', 'f', ' [] ');
      during.run = guestCall('run', undefined, 'x = "changed"');
      during.cap = guest.rawExport('set_memory_limit', 100);
      const ptr = guest.rawExport('alloc', 64) >>> 0;
      during.alloc = ptr !== 0;
      guest.rawExport('dealloc', ptr, 64);
      return { ok: true, text: '"back"' };
    },
  });
  assert.equal(guest.call('register_def', 'f', 'import reactor\ndef f():\n    return reactor.host.reenter()\n').tag, 'ok');
  assert.equal(guest.call('run', undefined, 'x = "before"').tag, 'ok');
  assert.deepEqual(guest.call('apply_def', 'f', '[]'), { tag: 'ok', text: '"back"' });
  assert.deepEqual(during, {
    init: 'Busy', register: 'Busy', unregister: 'Busy', apply: 'Busy', applySlow: 'Busy', run: 'Busy',
    cap: 0, alloc: true,
  });
  assert.equal(cell(guest, 'x'), 'before', 'run changed nothing');
  assert.equal(guest.call('apply_lambda', 'late', '[]').tag, 'err', 'register_lambda changed nothing');
  assert.equal(guest.rawExport('set_memory_limit', 0), 0, 'the cap stayed off');
  assert.deepEqual(guest.call('apply_def', 'f', '[]'), { tag: 'ok', text: '"back"' }, 'f is still registered');
  // From a cell and from a coroutine, the same.
  assert.equal(cell(guest, 'import reactor\nreactor.host.reenter()'), 'back');
  assert.equal(cell(guest, 'import asyncio\nasync def g():\n    await asyncio.sleep(0)\n    return reactor.host.reenter()\nawait g()'), 'back');
  assert.equal(during.run, 'Busy');
});

test('run: one callback with its id, __main__ shared between cells, top-level await', async () => {
  const seen = [];
  const guest = await Guest.create(await wasmModule(), { onCallback: (id) => seen.push(id) });
  assert.deepEqual(guest.call('run', undefined, 'n = 20'), { tag: 'ok', text: 'null' });
  assert.deepEqual(guest.call('run', undefined, 'import asyncio\nawait asyncio.sleep(0)\nn + 1'), { tag: 'ok', text: '21' });
  assert.deepEqual(guest.call('run', undefined, 'await asyncio.sleep(0, result=n * 2)'), { tag: 'ok', text: '40' });
  assert.equal(seen.length, 3);
  assert.equal(new Set(seen).size, 3);
  // Big inputs take buffers of their own instead of the scratch buffer.
  const big = `s = "${'y'.repeat(100_000)}"\nlen(s)`;
  assert.deepEqual(guest.call('run', undefined, big), { tag: 'ok', text: '100000' });
  assert.equal(guest.call('run', undefined, new Uint8Array([0x78, 0xff])).tag, 'err');
});

test('Reactor.run (in a worker) runs cells', async () => {
  await withReactor({}, async (reactor) => {
    assert.equal(await reactor.run('a = 2\na ** 10'), 1024);
    assert.equal(await reactor.run('a'), 2);
  });
});
