// Host functions: sync, async, errors, the raw form, big integers, re-entry,
// and a pending one at the time limit.

import assert from 'node:assert/strict';
import { PythonError, Reactor } from '../../hosts/deno/mod.ts';
import { LIB, rejection, withReactor } from './helpers.ts';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

Deno.test('host functions: sync and async, positional and keyword args, None for no return', () => withReactor({
  hostFunctions: {
    price: (args) => ({ apple: 0.5, pear: 0.75 } as Record<string, number>)[(args as string[])[0]],
    stock: async (args) => {
      await sleep(5);
      return { item: (args as Record<string, unknown>).item, count: 3 };
    },
    nothing: () => {},
    whoami: (_args, context) => context.name,
  },
}, async (r) => {
  await r.registerDef('total', 'import reactor\n\ndef total(item, n):\n    return reactor.host.price(item) * n\n');
  assert.equal(await r.applyDef('total', ['pear', 4]), 3);
  assert.deepEqual(await r.run('import reactor\nreactor.host.stock(item="apple")'), { item: 'apple', count: 3 });
  assert.equal(await r.run('reactor.call_host("nothing") is None'), true);
  assert.equal(await r.run('reactor.host.whoami()'), 'whoami');
  // Many in a row, sync and async mixed.
  assert.equal(await r.run('sum(reactor.host.price("apple") + reactor.host.stock(item="x")["count"] for _ in range(50))'), 175);
  const e = await rejection(r.run('reactor.host.missing()'), PythonError);
  assert.equal(e.type, 'NoSuchHostFunction');
}));

Deno.test('host functions: a throw or a rejection is reactor.HostError of the error\'s type', () => withReactor({
  hostFunctions: {
    strict: () => { throw Object.assign(new Error('no price for plum'), { type: 'NotFound' }); },
    later: async () => { await sleep(1); throw new Error('went wrong'); },
    odd: () => new Map(),
  },
}, async (r) => {
  await r.registerDef('safe', 'import reactor\n\ndef safe(name):\n    try:\n        return reactor.call_host(name)\n    except reactor.HostError as e:\n        return [e.type, e.message]\n');
  assert.deepEqual(await r.applyDef('safe', ['strict']), ['NotFound', 'no price for plum']);
  assert.deepEqual(await r.applyDef('safe', ['later']), ['HostError', 'went wrong']);
  const [type, message] = await r.applyDef('safe', ['odd']) as string[];
  assert.equal(type, 'HostError');
  assert.match(message, /a Map cannot be sent as JSON/);
  const uncaught = await rejection(r.run('import reactor\nreactor.host.strict()'), PythonError);
  assert.equal(uncaught.type, 'NotFound');
  assert.equal(uncaught.message, 'no price for plum');
}));

Deno.test('host functions: big integers both ways, and the raw form untouched', () => withReactor({
  hostFunctions: { kinds: (args) => (args as unknown[]).map((a) => typeof a), next: (args) => (args as bigint[])[0] + 1n },
  hostFunctionsRaw: { echo: (text) => text, broken: () => 'not json' },
}, async (r) => {
  assert.deepEqual(await r.run('import reactor\nreactor.host.kinds(2**70, 3)'), ['bigint', 'number']);
  assert.deepEqual(await r.call('run', undefined, 'reactor.host.next(2**64)'), { tag: 'ok', text: '18446744073709551617' });
  assert.deepEqual(await r.call('run', undefined, 'reactor.host.echo(12345678901234567890123, x=1) if False else reactor.host.echo(12345678901234567890123)'),
    { tag: 'ok', text: '[12345678901234567890123]' });
  const e = await rejection(r.run('reactor.host.broken()'), PythonError);
  assert.equal(e.type, 'HostError');
}));

Deno.test('host functions: one that calls its own reactor gets HostError; the queued call runs after', async () => {
  let inner: Promise<unknown> | undefined;
  const r: Reactor = await Reactor.load({
    libPath: LIB,
    hostFunctions: {
      again: async () => {
        inner = r.run('40 + 2');
        return await inner;
      },
    },
  });
  try {
    await r.registerDef('f', 'import reactor\n\ndef f():\n    try:\n        return reactor.host.again()\n    except reactor.HostError as e:\n        return e.message\n');
    assert.match(await r.applyDef('f') as string, /host function again called the reactor that runs it/);
    assert.equal(await inner, 42);
  } finally {
    await r.close();
  }
});

Deno.test('host functions: one pending at timeoutMs ends the call with Timeout, its signal aborted; the instance goes on', async () => {
  let aborted = false;
  await withReactor({
    timeoutMs: 1000, // not less: see limits.test.ts
    hostFunctions: {
      hang: (_args, { signal }) => new Promise((resolve) => {
        signal.addEventListener('abort', () => { aborted = true; resolve(0); });
      }),
      one: () => 1,
    },
  }, async (r) => {
    await r.registerDef('f', 'import reactor\n\ndef f(name):\n    return reactor.call_host(name)\n');
    const started = performance.now();
    const e = await rejection(r.applyDef('f', ['hang']), PythonError);
    assert.equal(e.type, 'Timeout');
    assert.ok(performance.now() - started < 4000);
    assert.ok(aborted);
    assert.equal(await r.applyDef('f', ['one']), 1); // replayed
    assert.equal(r.rebuilds, 1);
  });
});

Deno.test('host functions: one that awaits another reactor, whose own host function runs meanwhile', () => withReactor({
  hostFunctions: { base: async () => { await sleep(1); return 10; } },
}, (b) => withReactor({
  hostFunctions: { viaB: async (args) => await b.applyDef('plus', args) },
}, async (a) => {
  await b.registerDef('plus', 'import reactor\n\ndef plus(x):\n    return reactor.host.base() + x\n');
  assert.equal(await a.run('import reactor\nsum(reactor.host.viaB(i) for i in range(20))'), 390);
  // Both at once, from two callers.
  assert.deepEqual(await Promise.all([a.run('reactor.host.viaB(1)'), b.applyDef('plus', [2])]), [11, 12]);
})));
