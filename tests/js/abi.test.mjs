// Byte-level tests of the guest's ABI, on an instance in this thread (Guest),
// where the test can see linear memory, records and callbacks.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Guest, GuestTrap } from '../../hosts/js/guest.mjs';
import { wasmModule, utf8 } from './helpers.mjs';

const INVALID_UTF8 = [
  new Uint8Array([0x61, 0xff, 0x62]), // a byte that never occurs in UTF-8
  new Uint8Array([0x61, 0xc3]), // truncated sequence
  new Uint8Array([0xc0, 0x80]), // overlong NUL
  new Uint8Array([0xed, 0xa0, 0x80]), // encoded surrogate
];

async function newGuest(options = {}) {
  const guest = await Guest.create(await wasmModule(), options);
  assert.deepEqual(guest.call('init'), { tag: 'ok', text: 'null' });
  return guest;
}

const errType = (result) => {
  assert.equal(result.tag, 'err', `expected err, got ${result.text}`);
  return JSON.parse(result.text).type;
};

/** apply_* by hand: returns the record address, frees the inputs only. */
function rawApply(guest, exportName, id, name, args) {
  const e = guest.exports;
  const put = (bytes) => {
    const ptr = e.alloc(Math.max(bytes.length, 1));
    new Uint8Array(e.memory.buffer, ptr, bytes.length).set(bytes);
    return ptr;
  };
  const namePtr = put(name);
  const argsPtr = put(args);
  const record = e[exportName](id, namePtr, name.length, argsPtr, args.length);
  e.dealloc(namePtr, Math.max(name.length, 1));
  e.dealloc(argsPtr, Math.max(args.length, 1));
  return record;
}

test('exports and abi_version match ABI.md', async () => {
  const guest = await newGuest();
  const arity = {
    abi_version: 0, alloc: 1, dealloc: 2, result_free: 1, init: 0,
    register_lambda: 4, register_def: 4, register_module: 4,
    unregister_lambda: 2, unregister_def: 2, unregister_module: 2,
    apply_lambda: 5, apply_def: 5, run: 3, set_memory_limit: 1,
  };
  for (const [name, length] of Object.entries(arity)) {
    assert.equal(typeof guest.exports[name], 'function', name);
    assert.equal(guest.exports[name].length, length, name);
  }
  assert.ok(guest.exports.memory instanceof WebAssembly.Memory);
  assert.equal(guest.exports.abi_version(), 2);
  const imports = WebAssembly.Module.imports(await wasmModule());
  const host = imports.filter((i) => i.module === 'host').map((i) => i.name).sort();
  assert.deepEqual(host, ['call', 'callback']);
  const foreign = imports.filter((i) => i.module !== 'wasi_snapshot_preview1' && i.module !== 'host');
  assert.deepEqual(foreign, []);
});

test('init is idempotent and every export works before it', async () => {
  const guest = await Guest.create(await wasmModule());
  assert.deepEqual(guest.call('register_lambda', 'one', 'lambda: 1'), { tag: 'ok', text: '"one"' });
  assert.deepEqual(guest.call('init'), { tag: 'ok', text: 'null' });
  assert.deepEqual(guest.call('init'), { tag: 'ok', text: 'null' });
  assert.deepEqual(guest.call('apply_lambda', 'one', '[]'), { tag: 'ok', text: '1' });
});

test('invalid UTF-8 in names gives InvalidName', async () => {
  const guest = await newGuest();
  for (const bad of INVALID_UTF8) {
    assert.equal(errType(guest.call('register_lambda', bad, 'lambda: 1')), 'InvalidName');
    assert.equal(errType(guest.call('register_def', bad, 'def f(): pass')), 'InvalidName');
    assert.equal(errType(guest.call('register_module', bad, 'X = 1')), 'InvalidName');
    assert.equal(errType(guest.call('apply_lambda', bad, '[]')), 'InvalidName');
    assert.equal(errType(guest.call('apply_def', bad, '[]')), 'InvalidName');
    assert.equal(errType(guest.call('unregister_module', bad)), 'InvalidName');
  }
});

test('invalid UTF-8 in code gives InvalidInput, in args InvalidArgs', async () => {
  const guest = await newGuest();
  guest.call('register_lambda', 'id', 'lambda *a: a');
  for (const bad of INVALID_UTF8) {
    assert.equal(errType(guest.call('register_lambda', 'x', bad)), 'InvalidInput');
    assert.equal(errType(guest.call('register_def', 'x', bad)), 'InvalidInput');
    assert.equal(errType(guest.call('register_module', 'x', bad)), 'InvalidInput');
    const args = new Uint8Array([...utf8('["'), ...bad, ...utf8('"]')]);
    assert.equal(errType(guest.call('apply_lambda', 'id', args)), 'InvalidArgs');
  }
  assert.deepEqual(guest.call('apply_lambda', 'id', '["still fine"]'), { tag: 'ok', text: '["still fine"]' });
});

test('NUL bytes: in names InvalidName, raw in args InvalidArgs, escaped in args fine', async () => {
  const guest = await newGuest();
  assert.equal(errType(guest.call('register_lambda', 'a\0b', 'lambda: 1')), 'InvalidName');
  assert.equal(errType(guest.call('register_module', '\0', 'X = 1')), 'InvalidName');
  assert.equal(errType(guest.call('apply_def', 'f\0', '[]')), 'InvalidName');
  assert.ok(['ValueError', 'SyntaxError', 'InvalidInput'].includes(errType(guest.call('register_lambda', 'x', 'lambda: 1\0'))));
  guest.call('register_lambda', 'codes', 'lambda s: [ord(c) for c in s]');
  assert.equal(errType(guest.call('apply_lambda', 'codes', '["a\0b"]')), 'InvalidArgs');
  assert.deepEqual(guest.call('apply_lambda', 'codes', '["a\\u0000b"]'), { tag: 'ok', text: '[97,0,98]' });
});

test('empty names give InvalidName in every op', async () => {
  const guest = await newGuest();
  for (const op of ['register_lambda', 'register_def', 'register_module']) {
    assert.equal(errType(guest.call(op, '', 'x = 1')), 'InvalidName', op);
    assert.equal(errType(guest.call(op, new Uint8Array(0), 'x = 1')), 'InvalidName', op);
  }
  for (const op of ['unregister_lambda', 'unregister_def', 'unregister_module']) {
    assert.equal(errType(guest.call(op, '')), 'InvalidName', op);
  }
  for (const op of ['apply_lambda', 'apply_def']) assert.equal(errType(guest.call(op, '', '[]')), 'InvalidName', op);
});

test('an 8 MB argument string makes the round trip intact', async () => {
  const guest = await newGuest();
  guest.call('register_lambda', 'echo', 'lambda s: s');
  guest.call('register_lambda', 'size', 'lambda s: [len(s), len(s.encode())]');
  const big = 'é'.repeat(4 * 1024 * 1024) + '🌍 end'; // 8 MiB of UTF-8 and a bit
  const args = JSON.stringify([big]);
  const echoed = guest.call('apply_lambda', 'echo', args);
  assert.equal(echoed.tag, 'ok');
  assert.equal(echoed.text.length, JSON.stringify(big).length);
  assert.equal(echoed.text, JSON.stringify(big));
  assert.deepEqual(JSON.parse(guest.call('apply_lambda', 'size', args).text), [big.length - 1, utf8(big).length]);
});

test('host.callback: once per apply, with its id, and the record apply returns', async () => {
  const seen = [];
  const guest = await newGuest({ onCallback: (id, record) => seen.push([id, record]) });
  guest.call('register_lambda', 'inc', 'lambda x: x + 1');
  guest.call('register_def', 'boom', 'def boom():\n    raise KeyError("k")\n');
  assert.deepEqual(seen, [], 'register_* does not call back');
  const cases = [
    ['apply_lambda', 7, 'inc', '[41]', 'ok', '42'],
    ['apply_lambda', -5, 'inc', '["x"]', 'err', 'TypeError'],
    ['apply_def', 0x7fffffff, 'boom', '[]', 'err', 'KeyError'],
    ['apply_def', 0, 'missing', '[]', 'err', 'NotRegistered'],
    ['apply_lambda', -2147483648, 'inc', 'not json', 'err', 'InvalidArgs'],
    ['apply_def', 12, '', '[]', 'err', 'InvalidName'],
  ];
  for (const [exportName, id, name, args, tag, what] of cases) {
    seen.length = 0;
    const record = rawApply(guest, exportName, id, utf8(name), utf8(args));
    assert.deepEqual(seen, [[id, record]], `${exportName} ${name}`);
    const { tag: gotTag, text } = guest.readRecord(record);
    assert.equal(gotTag, tag);
    assert.equal(tag === 'ok' ? text : JSON.parse(text).type, what);
    guest.exports.result_free(record);
  }
  // Through Guest.call, which checks the same thing itself.
  seen.length = 0;
  assert.deepEqual(guest.call('apply_lambda', 'inc', '[1]'), { tag: 'ok', text: '2' });
  assert.equal(seen.length, 1);
});

test('result records: 12 bytes, tag 0/1, text in bounds, err text an error object', async () => {
  const guest = await newGuest();
  const e = guest.exports;
  const name = utf8('r');
  const code = utf8('lambda: "ünï"');
  const namePtr = e.alloc(name.length);
  const codePtr = e.alloc(code.length);
  new Uint8Array(e.memory.buffer).set(name, namePtr);
  new Uint8Array(e.memory.buffer).set(code, codePtr);
  const record = e.register_lambda(namePtr, name.length, codePtr, code.length);
  const view = new DataView(e.memory.buffer);
  assert.equal(view.getUint32(record, true), 0);
  const textPtr = view.getUint32(record + 4, true);
  const textLen = view.getUint32(record + 8, true);
  assert.equal(new TextDecoder().decode(new Uint8Array(e.memory.buffer, textPtr, textLen)), '"r"');
  e.result_free(record);
  const bad = e.unregister_def(namePtr, name.length); // no def "r": err
  const err = guest.readRecord(bad);
  assert.equal(new DataView(e.memory.buffer).getUint32(bad, true), 1);
  assert.deepEqual(Object.keys(JSON.parse(err.text)).sort(), ['message', 'type']);
  assert.equal(JSON.parse(err.text).type, 'NotRegistered');
  e.result_free(bad);
  e.dealloc(namePtr, name.length);
  e.dealloc(codePtr, code.length);
  const applied = guest.call('apply_lambda', 'r', '[]');
  assert.deepEqual(applied, { tag: 'ok', text: '"ünï"' }, 'ensure_ascii is off');
});

const ECHO_ARG = JSON.stringify(['x'.repeat(4096)]);

test('no leak: 20000 calls leave linear memory the size it was after warm-up', async () => {
  const guest = await newGuest();
  guest.call('register_lambda', 'echo', 'lambda s: s');
  const run = (n) => {
    for (let i = 0; i < n; i++) {
      assert.equal(guest.call('apply_lambda', 'echo', ECHO_ARG).tag, 'ok');
      if (i % 10 === 0) assert.equal(guest.call('apply_lambda', 'nope', ECHO_ARG).tag, 'err');
    }
  };
  run(2000);
  const before = guest.exports.memory.buffer.byteLength;
  run(20000);
  assert.equal(guest.exports.memory.buffer.byteLength, before);
});

test('control for the leak test: skipping the frees does grow memory', async () => {
  const guest = await newGuest();
  guest.call('register_lambda', 'echo', 'lambda s: s');
  const before = guest.exports.memory.buffer.byteLength;
  const args = utf8(ECHO_ARG);
  for (let i = 0; i < 5000; i++) {
    const e = guest.exports;
    const ptr = e.alloc(args.length); // never deallocated, like the record below
    new Uint8Array(e.memory.buffer, ptr, args.length).set(args);
    const name = e.alloc(4);
    new Uint8Array(e.memory.buffer, name, 4).set(utf8('echo'));
    e.apply_lambda(i, name, 4, ptr, args.length);
  }
  assert.ok(guest.exports.memory.buffer.byteLength > before + 20 * 1024 * 1024);
});

test('results and inputs cross correctly after the memory grew during a call', async () => {
  // Guest keeps its views of memory between calls; growing detaches them.
  const guest = await newGuest();
  guest.call('register_def', 'grow', 'keep = []\ndef grow(n, s):\n'
    + '    keep.append(bytearray(n))\n    return s + "|" + "y" * n\n');
  assert.equal(guest.call('apply_def', 'grow', '[1, "a"]').text, '"a|y"');
  const before = guest.exports.memory.buffer.byteLength;
  const n = 48 << 20;
  const big = guest.call('apply_def', 'grow', JSON.stringify([n, 'ü'.repeat(70000)]));
  assert.ok(guest.exports.memory.buffer.byteLength > before + 2 * n, 'memory grew');
  assert.equal(big.tag, 'ok');
  assert.equal(big.text.length, 2 + 70000 + 1 + n);
  assert.ok(big.text.startsWith('"üü') && big.text.endsWith('yy"'));
  // Short input (encoded straight into guest memory) into the grown memory.
  assert.equal(guest.call('apply_def', 'grow', '[2, "ünï"]').text, '"ünï|yy"');
});

test('an alloc result past the end of memory poisons the Guest instead of cutting the input short', async () => {
  const guest = await newGuest();
  const size = guest.exports.memory.buffer.byteLength;
  guest.exports = { ...guest.exports, alloc: () => size - 4 };
  assert.throws(() => guest.call('register_lambda', 'x', 'lambda: 1'), (error) => error instanceof GuestTrap
    && /past the end of its memory/.test(error.message));
  assert.match(guest.poisoned, /alloc/);
});

test('out-of-bounds input pointers give err, not a trap', async () => {
  const guest = await newGuest();
  const record = guest.rawExport('apply_def', 1, 0xfffffff0, 16, 0, 0);
  assert.equal(JSON.parse(guest.readRecord(record).text).type, 'InvalidName');
  guest.exports.result_free(record);
  assert.equal(guest.poisoned, null);
});

test('a trap poisons the Guest: bad record pointer, then every call throws GuestTrap', async () => {
  const guest = await newGuest();
  assert.throws(() => guest.rawExport('result_free', 0xfffffff0), GuestTrap);
  assert.match(guest.poisoned, /wasm trap/);
  assert.throws(() => guest.call('init'), /unusable/);
});

test('os.abort() traps (wasm unreachable) instead of killing the host', async () => {
  const guest = await newGuest();
  guest.call('register_lambda', 'abort', "lambda: __import__('os').abort()");
  assert.throws(() => guest.call('apply_lambda', 'abort', '[]'), (error) => error instanceof GuestTrap && /wasm trap/.test(error.message));
});

test('the guest gets nothing by default: no env, no files, no args', async () => {
  const guest = await newGuest();
  guest.call('register_def', 'probe', [
    'import os, sys',
    'def probe():',
    '    try:',
    '        open("/etc/passwd").read()',
    '        opened = True',
    '    except OSError:',
    '        opened = False',
    '    return [dict(os.environ), opened, sys.argv[1:]]',
  ].join('\n'));
  assert.deepEqual(JSON.parse(guest.call('apply_def', 'probe', '[]').text), [{}, false, []]);
});

test('short inputs go through one kept scratch buffer; big ones get buffers of their own, freed', async () => {
  const guest = await newGuest();
  const real = guest.exports;
  const live = new Map(); // ptr -> size of what the host holds
  guest.exports = {
    ...real,
    alloc: (size) => {
      const ptr = real.alloc(size);
      live.set(ptr, size);
      return ptr;
    },
    dealloc: (ptr, size) => {
      assert.equal(live.get(ptr), size, 'dealloc of what alloc gave');
      live.delete(ptr);
      return real.dealloc(ptr, size);
    },
  };
  assert.equal(guest.call('register_def', 'echo', 'def echo(s):\n    return s\n').tag, 'ok');
  for (let i = 0; i < 100; i++) {
    assert.deepEqual(guest.call('apply_def', 'echo', `["${i}"]`), { tag: 'ok', text: `"${i}"` });
  }
  assert.equal(live.size, 1, 'one scratch buffer for all of them');
  const [scratchSize] = live.values();
  // Longer than the scratch: it grows (the old one is freed) and is used again.
  const longer = 'x'.repeat(scratchSize);
  assert.equal(guest.call('apply_def', 'echo', `["${longer}"]`).text, `"${longer}"`);
  assert.equal(live.size, 1);
  assert.ok([...live.values()][0] > scratchSize);
  // Past the scratch's limit: a buffer for the call, freed after it.
  const big = 'y'.repeat(1 << 17);
  assert.equal(guest.call('apply_def', 'echo', `["${big}"]`).text, `"${big}"`);
  assert.equal(live.size, 1);
  assert.deepEqual(guest.call('apply_def', 'echo', '["again"]'), { tag: 'ok', text: '"again"' });
});
