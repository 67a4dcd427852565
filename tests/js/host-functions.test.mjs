// Host functions (ABI.md, "Host functions") of the JavaScript host, the
// hostFunctions / hostFunctionsRaw options: through Reactor (the worker
// asks the main thread with a HOSTCALL frame), in-thread (Guest) and
// through ProcessReactor (the child asks its parent with a line).

import { test } from 'node:test';
import assert from 'node:assert/strict';
import v8 from 'node:v8';
import vm from 'node:vm';
import process from 'node:process';
import { setTimeout as sleep } from 'node:timers/promises';
import { Reactor } from '../../hosts/js/reactor.mjs';
import { ProcessReactor } from '../../hosts/js/process-reactor.mjs';
import { Guest } from '../../hosts/js/guest.mjs';
import { wasmModule, withReactor, rejectsWith, WASM_PATH } from './helpers.mjs';

/** call(name, *args) and callkw(name, **kwargs): the host function's reply, as Python got it. */
const CALLERS = {
  call: 'import reactor\ndef call(name, *args):\n    return reactor.call_host(name, *args)\n',
  callkw: 'import reactor\ndef callkw(name, **kwargs):\n    return reactor.call_host(name, **kwargs)\n',
};

async function registerCallers(reactor) {
  for (const [name, code] of Object.entries(CALLERS)) await reactor.registerDef(name, code);
}

/** `promise`, or a failure if it has not settled within `ms`: a hang is a bug here. */
function within(ms, promise) {
  let timer;
  const hang = new Promise((_, reject) => {
    timer = setTimeout(() => reject(new Error(`still pending after ${ms} ms`)), ms);
  });
  return Promise.race([promise, hang]).finally(() => clearTimeout(timer));
}

let gcFunction;
/** A full garbage collection (--expose-gc, set at run time when not given). */
function collect() {
  if (gcFunction === undefined) {
    gcFunction = globalThis.gc;
    if (typeof gcFunction !== 'function') {
      v8.setFlagsFromString('--expose-gc');
      gcFunction = vm.runInNewContext('gc');
    }
  }
  gcFunction();
  gcFunction();
}

test('sync and async host functions: args decoded, the value is the reply', async () => {
  const seen = [];
  await withReactor({
    hostFunctions: {
      add(args, context) {
        seen.push([args, context.name]);
        return args[0] + args[1];
      },
      async later(args) {
        await sleep(5);
        return { got: args, list: [1, 'two', null, true, 0.5] };
      },
      nothing() {},
      größe: (args) => `${args.length} args`,
    },
  }, async (r) => {
    await registerCallers(r);
    assert.equal(await r.applyDef('call', ['add', 40, 2]), 42);
    assert.deepEqual(seen, [[[40, 2], 'add']]);
    assert.deepEqual(await r.applyDef('callkw', { name: 'later', a: 1, ключ: '😀' }),
      { got: { a: 1, ключ: '😀' }, list: [1, 'two', null, true, 0.5] });
    assert.equal(await r.applyDef('call', ['nothing']), null, 'undefined replies None');
    assert.equal(await r.applyDef('call', ['größe', 1, 2, 3]), '3 args');
    // The sync API runs sync functions; an async one gets an error reply, no deadlock.
    assert.equal(r.applyDefSync('call', ['add', 1, 2]), 3);
    assert.throws(() => r.applyDefSync('call', ['later']), (error) => error.type === 'HostError'
      && /returned a promise, but a synchronous call .* cannot wait for it/.test(error.message));
    // From a coroutine, a lambda and a cell too.
    await r.registerDef('co', 'import asyncio, reactor\nasync def co():\n    await asyncio.sleep(0)\n    return reactor.host.later(1)\n');
    assert.deepEqual((await r.applyDef('co')).got, [1]);
    await r.registerLambda('lam', 'lambda: __import__("reactor").host.add(2, 3)');
    assert.equal(await r.applyLambda('lam'), 5);
    assert.equal(await r.run('import reactor\nreactor.host.add(20, 22)'), 42);
  });
});

test('errors: a throw or rejection is an error reply, of the error\'s own type if it has one', async () => {
  await withReactor({
    hostFunctions: {
      plain() { throw new Error('it broke'); },
      typed() { throw Object.assign(new Error('no such row'), { type: 'NotFound' }); },
      async rejects() { throw { type: 'Unavailable', message: 'try later' }; }, // eslint-disable-line no-throw-literal
      text() { throw 'just text'; }, // eslint-disable-line no-throw-literal
      map: () => new Map(),
      date: () => ({ when: new Date(0) }),
      nan: () => [NaN],
      async symbol() { return Symbol('s'); },
    },
    hostFunctionsRaw: {
      number: () => 42,
      garbage: () => 'not json',
    },
  }, async (r) => {
    await registerCallers(r);
    const cases = [
      ['plain', 'HostError', /^it broke$/],
      ['typed', 'NotFound', /^no such row$/],
      ['rejects', 'Unavailable', /^try later$/],
      ['text', 'HostError', /^just text$/],
      ['map', 'HostError', /host function map: value: a Map cannot be sent as JSON/],
      ['date', 'HostError', /value\.when: a Date cannot be sent as JSON/],
      ['nan', 'HostError', /value\[0\]: NaN cannot be sent as JSON/],
      ['symbol', 'HostError', /a symbol cannot be sent as JSON/],
      ['number', 'HostError', /\(raw\) must return the reply's JSON text, not number/],
      ['garbage', 'HostError', /JSON/],
      ['missing', 'NoSuchHostFunction', /no host function named missing/],
    ];
    for (const [name, type, pattern] of cases) await rejectsWith(r.applyDef('call', [name]), type, pattern);
    // Python sees them as reactor.HostError with the host's type.
    await r.registerDef('catch', 'import reactor\ndef catch(name):\n    try:\n        reactor.call_host(name)\n'
      + '    except reactor.HostError as e:\n        return [e.type, e.message]\n');
    assert.deepEqual(await r.applyDef('catch', ['typed']), ['NotFound', 'no such row']);
    assert.equal(r.rebuilds, 0, 'nothing of it is a trap');
  });
});

test('big integers both ways: BigInt args past 2**53, BigInt and big numbers exact in replies; raw text untouched', async () => {
  let got;
  await withReactor({
    hostFunctions: {
      inspect(args) {
        got = args;
        return [args[0] + 1n, 2n ** 100n, 2 ** 60, -(2n ** 64n)];
      },
    },
    hostFunctionsRaw: {
      raw: (argsText) => `{"args": ${argsText}, "n": 123456789012345678901234567890}`,
    },
  }, async (r) => {
    await registerCallers(r);
    const text = (await r.applyDefRaw('call', '["inspect", 1180591620717411303424, -18446744073709551616, 9007199254740991, 0.5, "12345678901234567890"]')).text;
    assert.deepEqual(got, [2n ** 70n, -(2n ** 64n), 9007199254740991, 0.5, '12345678901234567890']);
    assert.equal(text, `[${2n ** 70n + 1n},${2n ** 100n},1152921504606846976,-18446744073709551616]`);
    const raw = await r.applyDefRaw('call', '["raw", 340282366920938463463374607431768211457, 0.1]');
    assert.equal(raw.text, '{"args":[340282366920938463463374607431768211457,0.1],"n":123456789012345678901234567890}');
  });
});

test('a 1 MB reply and 1 MB args cross the channel in frames (UTF-8 cut anywhere)', async () => {
  const MB = 1 << 20;
  const big = `é${'x'.repeat(MB - 3)}😀`; // 1 MiB of UTF-16 units, a little more in UTF-8
  for (const channelBytes of [undefined, 4096]) {
    await withReactor({
      channelBytes,
      hostFunctions: {
        big: () => big,
        measure: ([s]) => [s.length, s.slice(0, 2), s.slice(-3)],
      },
    }, async (r) => {
      await r.registerDef('roundtrip', 'import reactor\ndef roundtrip():\n    s = reactor.host.big()\n'
        + '    return [len(s), s[:2], s[-1], reactor.host.measure("ü" + s)]\n');
      assert.deepEqual(await r.applyDef('roundtrip'), [MB - 1, 'éx', '😀', [MB + 1, 'üé', 'x😀']]);
      assert.deepEqual(r.applyDefSync('roundtrip')[3], [MB + 1, 'üé', 'x😀']);
    });
  }
});

test('10,000 host calls: the host\'s heap and the guest\'s memory stay flat', async () => {
  const LOOP = 'import reactor, sys\ndef loop(n):\n    total = 0\n    for i in range(n):\n'
    + '        total += reactor.call_host("inc", i)\n    return [total, sys.getallocatedblocks()]\n';
  let calls = 0;
  const hostFunctions = { inc: ([i]) => { calls++; return i + 1; } };
  await withReactor({ hostFunctions }, async (r) => {
    await r.registerDef('loop', LOOP);
    await r.applyDef('loop', [2000]); // warm: code compiled, buffers grown
    collect();
    const heap0 = process.memoryUsage().heapUsed;
    const [, blocks0] = await r.applyDef('loop', [10_000]);
    const [total, blocks1] = await r.applyDef('loop', [10_000]);
    collect();
    const heap1 = process.memoryUsage().heapUsed;
    assert.equal(total, 50_005_000);
    assert.ok(Math.abs(blocks1 - blocks0) < 50, `Python's allocated blocks went from ${blocks0} to ${blocks1}`);
    assert.ok(heap1 - heap0 < 1 << 20, `the heap grew by ${heap1 - heap0} bytes over 20,000 host calls`);
  });
  assert.equal(calls, 22_000);
  // In-thread, where the guest's memory can be seen.
  const guest = await Guest.create(await wasmModule(), { hostFunctions });
  assert.equal(guest.call('register_def', 'loop', LOOP).tag, 'ok');
  assert.equal(guest.call('apply_def', 'loop', '[2000]').tag, 'ok');
  const memory0 = guest.exports.memory.buffer.byteLength;
  collect();
  const heap0 = process.memoryUsage().heapUsed;
  for (let i = 0; i < 2; i++) assert.equal(guest.call('apply_def', 'loop', '[10000]').tag, 'ok');
  collect();
  assert.equal(guest.exports.memory.buffer.byteLength, memory0, 'guest memory grew');
  assert.ok(process.memoryUsage().heapUsed - heap0 < 1 << 20, 'the heap grew');
  guest.close();
});

test('a long loop of host calls does not starve the event loop', async () => {
  await withReactor({ hostFunctions: { ping: () => 1 } }, async (r) => {
    await r.registerDef('spin', 'import reactor, time\ndef spin(seconds):\n    end = time.monotonic() + seconds\n'
      + '    n = 0\n    while time.monotonic() < end:\n        n += reactor.call_host("ping")\n    return n\n');
    let ticks = 0;
    const ticker = setInterval(() => { ticks++; }, 20);
    let calls;
    try {
      calls = await r.applyDef('spin', [0.4]);
    } finally {
      clearInterval(ticker);
    }
    assert.ok(calls > 1000, `${calls} host calls`);
    assert.ok(ticks >= 5, `the event loop ran ${ticks} timer ticks meanwhile`);
  });
});

test('re-entry: a sync call from a host function throws busy; an async one is queued and the host call ends, no deadlock', async () => {
  let inner;
  let r;
  const hostFunctions = {
    syncAgain: () => r.applyDefSync('call', ['plain']),
    async awaitAgain() {
      inner = r.applyDef('call', ['plain']);
      return inner;
    },
    async awaitLater() {
      await sleep(10);
      inner = r.applyDef('call', ['plain']); // the async context still says where it comes from
      return inner;
    },
    async closeIt() {
      await r.close();
      return 'closed';
    },
    plain: () => 'plain',
    queueOnly() {
      inner = r.applyDef('call', ['plain']); // not awaited: it just runs after this call
      return 'queued';
    },
  };
  r = await Reactor.load({ wasm: await wasmModule(), hostFunctions });
  try {
    await registerCallers(r);
    await rejectsWith(r.applyDef('call', ['syncAgain']), 'HostError', /Reactor is busy/);
    for (const name of ['awaitAgain', 'awaitLater']) {
      await within(10_000, rejectsWith(r.applyDef('call', [name]), 'HostError',
        new RegExp(`host function ${name} called the reactor that runs it \\(apply_def\\)`)));
      assert.equal(await within(10_000, inner), 'plain', 'the queued call ran after');
    }
    assert.equal(await r.applyDef('call', ['queueOnly']), 'queued');
    assert.equal(await inner, 'plain');
    // A sync call's host function calling the reactor: busy as well.
    assert.throws(() => r.applyDefSync('call', ['syncAgain']), /Reactor is busy/);
    // close() waits for the call in flight: from inside, the same rule.
    await within(10_000, rejectsWith(r.applyDef('call', ['closeIt']), 'HostError', /called the reactor that runs it \(close\)/));
    await assert.rejects(r.applyDef('call', ['plain']), /closed/);
  } finally {
    await r.close();
  }
});

test('a call made (not awaited) from a host function or an output callback waits its turn, also while its caller is being started', async () => {
  // The caller's first frames are read before it is in the queue (the fast
  // path): a call made then used to start at once, beside it, and broke the
  // channel ("the worker is gone").
  let r;
  const inner = [];
  r = await Reactor.load({
    wasm: await wasmModule(),
    hostFunctions: {
      queue() {
        inner.push(r.applyDef('call', ['plain']));
        return 'queued';
      },
      plain: () => 'plain',
    },
    stdout: () => { inner.push(r.applyDef('call', ['plain'])); },
  });
  try {
    await registerCallers(r);
    await r.registerDef('say', 'def say():\n    print("x", flush=True)\n    return 1\n');
    for (let i = 0; i < 1000; i++) {
      assert.equal(await r.applyDef('call', ['queue']), 'queued');
      assert.equal(await r.applyDef('say'), 1);
    }
    const settled = await within(30_000, Promise.allSettled(inner));
    assert.equal(settled.length, 2000);
    assert.deepEqual(settled.filter((x) => x.status !== 'fulfilled' || x.value !== 'plain'), []);
  } finally {
    await r.close();
  }
  // The same without host functions (no async-context hooks: other timing).
  const more = [];
  await withReactor({ stdout: () => { more.push(r.applyLambda('one')); } }, async (reactor) => {
    r = reactor;
    await r.registerLambda('one', 'lambda: 1');
    await r.registerDef('say', 'def say():\n    print("x", flush=True)\n    return 1\n');
    for (let i = 0; i < 1000; i++) assert.equal(await r.applyDef('say'), 1);
    const settled = await within(30_000, Promise.allSettled(more));
    assert.deepEqual(settled.filter((x) => x.status !== 'fulfilled' || x.value !== 1), []);
  });
});

test('timeoutMs covers host calls: a pending one ends the call with Timeout, aborts its signal, and the next call works', async () => {
  let signal;
  await withReactor({
    timeoutMs: 400,
    hostFunctions: {
      never(args, context) {
        signal = context.signal;
        return new Promise(() => {});
      },
      busy() {
        const end = performance.now() + 600;
        while (performance.now() < end);
        return 'late';
      },
      add: ([a, b]) => a + b,
    },
  }, async (r) => {
    await registerCallers(r);
    const t0 = performance.now();
    await within(10_000, rejectsWith(r.applyDef('call', ['never']), 'Timeout'));
    assert.ok(performance.now() - t0 < 3000, 'the Timeout came late');
    assert.equal(signal.aborted, true);
    assert.equal(await r.applyDef('call', ['add', 1, 2]), 3, 'the instance was rebuilt');
    assert.equal(r.rebuilds, 1);
    // A sync function cannot be stopped, but its call ends with Timeout once it returns.
    assert.throws(() => r.applyDefSync('call', ['busy']), (error) => error.type === 'Timeout');
    assert.equal(r.applyDefSync('call', ['add', 2, 3]), 5);
  });
});

test('a module body\'s host call runs at registration and again at the replay after a trap', async () => {
  for (const async of [false, true]) {
    let ticks = 0;
    const tick = async ? async () => { await sleep(1); return ++ticks; } : () => ++ticks;
    await withReactor({ hostFunctions: { tick } }, async (r) => {
      await r.registerModule('m', 'import reactor\nAT = reactor.host.tick()\n');
      await r.registerDef('at', 'import m\ndef at():\n    return m.AT\n');
      await r.registerDef('crash', 'import os\ndef crash():\n    os.abort()\n');
      assert.equal(await r.applyDef('at'), 1);
      await rejectsWith(r.applyDef('crash'), 'Trap');
      assert.equal(await r.applyDef('at'), 2, 'the replay ran the module body, and its host call, again');
      assert.equal(ticks, 2);
      if (!async) {
        // The same through a sync call's replay.
        assert.throws(() => r.applyDefSync('crash'), (error) => error.type === 'Trap');
        assert.equal(r.applyDefSync('at'), 3);
      }
      assert.equal(r.rebuilds, async ? 1 : 2);
    });
  }
});

test('in-thread Guest: synchronous host functions; an async one gets an error reply', async () => {
  const guest = await Guest.create(await wasmModule(), {
    hostFunctions: { add: ([a, b]) => a + b, async later() { return 1; }, big: () => 2n ** 80n },
    hostFunctionsRaw: { raw: (text) => text },
  });
  const cell = (code) => guest.call('run', undefined, code);
  assert.equal(cell('import reactor\nreactor.host.add(1, 2)').text, '3');
  assert.equal(cell('reactor.host.big()').text, String(2n ** 80n));
  assert.equal(cell('reactor.host.raw(2**70)').text, `[${2n ** 70n}]`);
  const { tag, text } = cell('reactor.host.later()');
  assert.equal(tag, 'err');
  assert.equal(JSON.parse(text).type, 'HostError');
  assert.match(JSON.parse(text).message, /returned a promise, but an in-thread Guest cannot wait for it/);
  guest.close();
  await assert.rejects(Guest.create(await wasmModule(), { hostFunctions: { f: 1 } }), /Guest: hostFunctions\.f must be a function, not 1/);
  await assert.rejects(Guest.create(await wasmModule(), { hostFunctions: { f() {} }, hostCall: () => ({}) }),
    /hostCall and hostFunctions\/hostFunctionsRaw cannot be given together/);
  await assert.rejects(Guest.create(await wasmModule(), { hostCall: () => ({}), hostCallBytes: () => ({}) }),
    /hostCall and hostCallBytes cannot be given together/);
  await assert.rejects(Guest.create(await wasmModule(), { hostCallBytes: 'f' }), /hostCallBytes must be a function/);
  // hostCallBytes gets the name and args as the guest wrote them (the worker's hook)
  const seen = [];
  const bytesGuest = await Guest.create(await wasmModule(), {
    hostCallBytes: (name, args) => {
      seen.push([new TextDecoder().decode(name), new TextDecoder().decode(args)]);
      return { ok: true, text: new TextEncoder().encode('"é"') };
    },
  });
  assert.deepEqual(bytesGuest.call('run', undefined, 'import reactor\nreactor.call_host("né", 1, "x")'), { tag: 'ok', text: '"é"' });
  assert.deepEqual(seen, [['né', '[1,"x"]']]);
  bytesGuest.close();
});

test('the options are checked: a TypeError that names the bad value', async () => {
  const bad = [
    [{ hostFunctions: 5 }, /hostFunctions must be an object of name: function, not 5/],
    [{ hostFunctions: [() => 1] }, /hostFunctions must be an object of name: function, not an array/],
    [{ hostFunctions: { f: 'x' } }, /hostFunctions\.f must be a function, not "x"/],
    [{ hostFunctions: { '': () => 1 } }, /hostFunctions: the name "" must be non-empty, without NUL/],
    [{ hostFunctions: { 'a\0b': () => 1 } }, /without NUL/],
    [{ hostFunctionsRaw: new Map() }, /hostFunctionsRaw must be an object of name: function, not a Map/],
    [{ hostFunctions: { f() {} }, hostFunctionsRaw: { f() {} } }, /hostFunctions and hostFunctionsRaw both have "f"/],
  ];
  for (const [options, pattern] of bad) {
    await assert.rejects(Reactor.load({ wasm: await wasmModule(), ...options }), (error) => error instanceof TypeError
      && error.message.startsWith('Reactor: ') && pattern.test(error.message));
    assert.throws(() => new ProcessReactor(options), (error) => error instanceof TypeError
      && error.message.startsWith('ProcessReactor: ') && pattern.test(error.message));
  }
});

test('ProcessReactor: the host call crosses to this process and back', async () => {
  let signal;
  let r;
  r = await ProcessReactor.load({
    wasm: WASM_PATH,
    timeoutMs: 2000,
    output: 'ignore',
    hostFunctions: {
      add: ([a, b]) => a + b,
      async later(args) {
        await sleep(5);
        return { args, big: 2n ** 70n };
      },
      typed() { throw Object.assign(new Error('gone'), { type: 'NotFound' }); },
      big: () => `"${'y'.repeat(1 << 20)}\n`,
      never(args, context) {
        signal = context.signal;
        return new Promise(() => {});
      },
      async again() {
        return r.applyDef('call', ['add', 1, 1]);
      },
    },
    hostFunctionsRaw: { raw: (text) => `[${text}, "line\\nbreak"]` },
  });
  try {
    await registerCallers(r);
    assert.equal(await r.applyDef('call', ['add', 40, 2]), 42);
    assert.equal((await r.applyDefRaw('callkw', { name: 'later', n: 2n ** 64n })).text,
      `{"args":{"n":${2n ** 64n}},"big":${2n ** 70n}}`);
    await rejectsWith(r.applyDef('call', ['typed']), 'NotFound', /^gone$/);
    await rejectsWith(r.applyDef('call', ['nothere']), 'NoSuchHostFunction');
    assert.equal(await r.applyDef('call', ['big']), `"${'y'.repeat(1 << 20)}\n`);
    assert.equal((await r.applyDefRaw('call', '["raw", 18446744073709551617]')).text, '[[18446744073709551617],"line\\nbreak"]');
    await within(10_000, rejectsWith(r.applyDef('call', ['again']), 'HostError', /called the reactor that runs it/));
    await rejectsWith(r.applyDef('call', ['never']), 'Timeout');
    assert.equal(signal.aborted, true);
    assert.equal(await r.applyDef('call', ['add', 2, 3]), 5, 'a new child, callers replayed');
  } finally {
    await r.close();
  }
});
