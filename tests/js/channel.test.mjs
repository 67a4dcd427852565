// Tests of the shared-memory channel between Reactor and its worker
// (hosts/js/channel.mjs), of the synchronous API, and of spare workers.
// A small channelBytes makes ordinary calls cross the data area's size.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import process from 'node:process';
import { Reactor, PythonError } from '../../hosts/js/reactor.mjs';
import { wasmModule, isDeno, REPO, WASM_PATH, withReactor, rejectsWith, utf8 } from './helpers.mjs';

const SMALL = 256; // bytes of data area: the smallest allowed

/** Strings around the data area's size, with multi-byte characters that
 *  fall across frame boundaries. */
function sizes(capacity) {
  const out = [];
  for (const n of [0, 1, capacity - 8, capacity - 2, capacity - 1, capacity, capacity + 1, 2 * capacity + 3, 50 * capacity]) {
    out.push('a'.repeat(n));
    out.push('é€𝄞'.repeat(Math.ceil(n / 9)));
  }
  return out;
}

test('requests and results of every size around the data area cross intact', () => withReactor({ channelBytes: SMALL }, async (r) => {
  await r.registerLambda('echo', 'lambda s: s');
  for (const s of sizes(SMALL)) {
    assert.equal(await r.applyLambda('echo', [s]), s, `async, ${s.length} chars`);
    assert.equal(r.applyLambdaSync('echo', [s]), s, `sync, ${s.length} chars`);
  }
  // Raw text is encoded frame by frame: surrogate pairs must not be split
  // and lone surrogates become U+FFFD, as TextEncoder does with the whole.
  for (const n of [SMALL - 3, SMALL - 2, SMALL - 1, SMALL, 3 * SMALL + 1]) {
    for (const tail of ['𝄞', '\ud800', '\udfff', 'x\ud83d', '€']) {
      const s = `${'a'.repeat(n)}${tail}${'é'.repeat(n % 7)}${tail}`.repeat(3);
      const expected = s.replace(/[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g, '\ufffd');
      const viaAsync = await r.applyLambdaRaw('echo', `["${s}"]`);
      assert.equal(JSON.parse(viaAsync.text), expected, `async, ${n} + ${JSON.stringify(tail)}`);
      assert.equal(JSON.parse(r.applyLambdaRawSync('echo', `["${s}"]`).text), expected);
    }
  }
  // Byte payloads and names, and code longer than the data area.
  const body = Array.from({ length: 200 }, (_, i) => `V${i} = ${i}`).join('\n');
  assert.equal(await r.registerModule('big', body), 'big');
  assert.equal(await r.applyDef(utf8('big.V199.__add__'), [1]), 200);
  assert.deepEqual(r.callSync('apply_lambda', utf8('echo'), utf8(JSON.stringify(['x'.repeat(1000)]))),
    { tag: 'ok', text: JSON.stringify('x'.repeat(1000)) });
  // An err result longer than the data area (a long message).
  await r.registerDef('fail', 'def fail(n):\n    raise ValueError("v" * n)\n');
  await rejectsWith(r.applyDef('fail', [5000]), 'ValueError', /^v{5000}$/);
  assert.throws(() => r.applyDefSync('fail', [5000]), (e) => e instanceof PythonError && e.message === 'v'.repeat(5000));
}));

test('the default data area: 9 MiB each way, async and sync', () => withReactor({}, async (r) => {
  await r.registerLambda('echo', 'lambda s: s');
  const big = '€'.repeat(3 * 1024 * 1024);
  assert.equal(await r.applyLambda('echo', [big]), big);
  assert.equal(r.applyLambdaSync('echo', [big]), big);
}));

test('output longer than the data area reaches the callback whole, before the result', () => {
  const out = [];
  const err = [];
  const decoder = new TextDecoder();
  return withReactor({
    channelBytes: SMALL,
    stdout: (b) => out.push(decoder.decode(b)),
    stderr: (b) => err.push(decoder.decode(b)),
  }, async (r) => {
    await r.registerDef('talk', 'import sys\n\ndef talk(n):\n    print("o€" * n)\n    print("e" * n, file=sys.stderr)\n    return n\n');
    assert.equal(await r.applyDef('talk', [1000]), 1000);
    assert.equal(out.join(''), `${'o€'.repeat(1000)}\n`);
    assert.equal(err.join(''), `${'e'.repeat(1000)}\n`);
    out.length = 0;
    assert.equal(r.applyDefSync('talk', [300]), 300);
    assert.equal(out.join(''), `${'o€'.repeat(300)}\n`, 'sync calls run the callback too, before returning');
  });
});

test('concurrent calls queue on one reactor and keep their order', () => withReactor({ channelBytes: SMALL }, async (r) => {
  await r.registerDef('log', 'seen = []\n\ndef log(x, pad):\n    seen.append(x)\n    return [len(seen), pad]\n');
  const calls = Array.from({ length: 60 }, (_, i) => r.applyDef('log', [i, 'p'.repeat((i * 37) % 700)]));
  const results = await Promise.all(calls);
  results.forEach(([count, pad], i) => {
    assert.equal(count, i + 1);
    assert.equal(pad, 'p'.repeat((i * 37) % 700));
  });
}));

test('sync calls refuse to run while async calls are queued, and after close', async () => {
  const r = await Reactor.load({ wasm: await wasmModule() });
  await r.registerLambda('id', 'lambda x: x');
  // Slow enough to be still running below: a quick call may be answered
  // while the caller polls, and is then done before applyLambda returns.
  await r.registerLambda('slow', 'lambda x: __import__("time").sleep(0.05) or x');
  const pending = r.applyLambda('slow', [1]);
  assert.throws(() => r.applyLambdaSync('id', [2]), /busy/);
  assert.equal(await pending, 1);
  assert.equal(r.applyLambdaSync('id', [3]), 3);
  assert.deepEqual(r.callSync('init'), { tag: 'ok', text: 'null' });
  assert.throws(() => r.callSync('nope'), TypeError);
  assert.throws(() => r.registerDefSync('x', 42), TypeError);
  assert.throws(() => r.applyLambdaSync('id', [new Map()]), TypeError); // args JSON cannot carry
  await r.close();
  assert.throws(() => r.applyLambdaSync('id', [4]), /closed/);
});

test('a sync call from an output callback of an async call is refused, not deadlocked', async () => {
  let reactor;
  let refused = null;
  const r = await Reactor.load({
    wasm: await wasmModule(),
    stdout: () => {
      try {
        reactor.applyLambdaSync('id', [1]);
      } catch (error) {
        refused = error;
      }
    },
  });
  reactor = r;
  try {
    await r.registerLambda('id', 'lambda x: x');
    await r.registerLambda('say', 'lambda: print("hi")');
    assert.equal(await r.applyLambda('say', []), null);
    assert.match(String(refused?.message), /busy/);
  } finally {
    await r.close();
  }
});

test('sync API: values, PythonErrors, registrations', () => withReactor({}, async (r) => {
  assert.equal(r.initSync(), null);
  assert.equal(r.registerLambdaSync('add', 'lambda a, b: a + b'), 'add');
  assert.equal(r.registerDefSync('twice', 'def twice(x):\n    return 2 * x\n'), 'twice');
  assert.equal(r.registerModuleSync('m', 'def f():\n    return "m.f"\n'), 'm');
  assert.equal(r.applyLambdaSync('add', [2, 3]), 5);
  assert.equal(r.applyDefSync('twice', { x: 4 }), 8);
  assert.equal(r.applyDefSync('m.f'), 'm.f');
  assert.deepEqual(r.applyDefRawSync('twice', '[18446744073709551616]'), { tag: 'ok', text: '36893488147419103232' });
  assert.deepEqual(r.applyLambdaRawSync('add', '[1]').tag, 'err');
  assert.throws(() => r.applyLambdaSync('add', [1]), (e) => e instanceof PythonError && e.type === 'TypeError');
  assert.equal(r.unregisterLambdaSync('add'), 'add');
  assert.equal(r.unregisterDefSync('twice'), 'twice');
  assert.equal(r.unregisterModuleSync('m'), 'm');
  assert.throws(() => r.applyDefSync('twice', [1]), (e) => e.type === 'NotRegistered');
  // async and sync calls share one instance
  await r.registerLambda('back', 'lambda: "async-registered"');
  assert.equal(r.applyLambdaSync('back'), 'async-registered');
}));

test('sync API: a trap throws Trap; the next call gets a rebuilt, replayed instance', () => withReactor({ channelBytes: SMALL }, async (r) => {
  r.registerModuleSync('base', 'VALUE = 41\n' + '# padding\n'.repeat(50));
  r.registerDefSync('answer', 'import base\n\ndef answer():\n    return base.VALUE + 1\n');
  r.registerLambdaSync('abort', "lambda: __import__('os').abort()");
  assert.throws(() => r.applyLambdaSync('abort'), (e) => e instanceof PythonError && e.type === 'Trap' && /unreachable/.test(e.message));
  assert.equal(r.applyDefSync('answer'), 42);
  assert.equal(r.rebuilds, 1);
  // and again, with an async call right after
  assert.throws(() => r.applyLambdaSync('abort'), (e) => e.type === 'Trap');
  assert.equal(await r.applyDef('answer'), 42);
  assert.equal(r.rebuilds, 2);
  await rejectsWith(r._rawExport('result_free', 0xfffffff0), 'Trap', /out of bounds/);
  assert.equal(r.applyDefSync('answer'), 42);
}));

test('sync API: timeoutMs stops a runaway call (busy loop, sleep) and the instance comes back', () => withReactor({ timeoutMs: 400 }, async (r) => {
  r.registerDefSync('keep', 'def keep(x):\n    return x + 1\n');
  r.registerDefSync('spin', 'def spin():\n    while True:\n        pass\n');
  r.registerDefSync('nap', 'import time\ndef nap():\n    time.sleep(3600)\n');
  for (const name of ['spin', 'nap']) {
    const started = performance.now();
    assert.throws(() => r.applyDefSync(name), (e) => e instanceof PythonError && e.type === 'Timeout' && /longer than 400 ms/.test(e.message));
    const elapsed = performance.now() - started;
    assert.ok(elapsed >= 390 && elapsed < 400 + 1500, `stopped after ${elapsed.toFixed(0)} ms`);
    assert.equal(r.applyDefSync('keep', [41]), 42);
  }
  assert.equal(r.rebuilds, 2);
  // Calls shorter than the limit are not cut, each has the whole limit.
  r.registerDefSync('short', 'import time\ndef short():\n    time.sleep(0.25)\n    return "done"\n');
  assert.equal(r.applyDefSync('short'), 'done');
  assert.equal(await r.applyDef('short'), 'done');
}));

test('async timeout while the result is crossing in frames, and while output waits for its callback', () => {
  let slow = false;
  return withReactor({
    timeoutMs: 500,
    channelBytes: SMALL,
    stdout: () => {
      if (!slow) return;
      const until = performance.now() + 150; // a callback that takes its time
      while (performance.now() < until);
    },
  }, async (r) => {
    await r.registerDef('chatty', 'def chatty(n):\n    for i in range(n):\n        print(i, flush=True)\n    return n\n');
    assert.equal(await r.applyDef('chatty', [3]), 3);
    slow = true;
    const started = performance.now();
    await rejectsWith(r.applyDef('chatty', [100]), 'Timeout');
    assert.ok(performance.now() - started < 500 + 1500);
    slow = false;
    assert.equal(await r.applyDef('chatty', [2]), 2);
    assert.equal(r.rebuilds, 1);
  });
});

test('a guest that prints to a callback forever is still stopped by timeoutMs, and timers run meanwhile', async () => {
  let lines = 0;
  await withReactor({ timeoutMs: 300, stdout: () => { lines++; } }, async (r) => {
    await r.registerDef('flood', 'def flood():\n    while True:\n        print("x", flush=True)\n');
    let ticks = 0;
    const ticker = setInterval(() => { ticks++; }, 20);
    try {
      await rejectsWith(r.applyDef('flood'), 'Timeout');
    } finally {
      clearInterval(ticker);
    }
    assert.ok(lines > 10, `${lines} lines`);
    assert.ok(ticks >= 3, `the event loop ran ${ticks} timer ticks meanwhile`);
    assert.throws(() => r.applyDefSync('flood'), (e) => e.type === 'Timeout');
    await r.registerLambda('one', 'lambda: 1');
    assert.equal(r.applyLambdaSync('one'), 1);
  });
});

test('a worker killed while its answer is awaited gives Trap; sync calls after it work', () => withReactor({}, async (r) => {
  await r.registerLambda('spin', 'lambda: [None for _ in iter(int, 1)]');
  await r.registerLambda('one', 'lambda: 1');
  const spinning = r.applyLambda('spin');
  setTimeout(() => r._killWorker(), 200);
  await rejectsWith(spinning, 'Trap', /exited/);
  assert.equal(r.applyLambdaSync('one'), 1);
}));

test('channelBytes and spinMicros are checked; spinMicros 0 still works', async () => {
  await assert.rejects(Reactor.load({ wasm: await wasmModule(), channelBytes: 10 }), TypeError);
  await assert.rejects(Reactor.load({ wasm: await wasmModule(), spinMicros: -1 }), TypeError);
  await withReactor({ spinMicros: 0, channelBytes: SMALL }, async (r) => {
    await r.registerLambda('echo', 'lambda s: s');
    const s = 'x€'.repeat(1000);
    assert.equal(await r.applyLambda('echo', [s]), s);
    assert.equal(r.applyLambdaSync('echo', [s]), s);
  });
});

test('no wake-up is lost when the sides poll for a moment and then sleep', async () => {
  // spinMicros 1: most waits give up polling at once and sleep, so each
  // hand-over races the other side going to sleep; a notify skipped wrongly
  // leaves the caller asleep until timeoutMs.
  await withReactor({ spinMicros: 1, timeoutMs: 5000 }, async (r) => {
    await r.registerDef('work', 'def work(n):\n    return sum(range(n))\n');
    for (let i = 0; i < 1500; i++) {
      const n = 1 + ((i * 7919) % 2000);
      assert.equal(await r.applyDef('work', [n]), (n * (n - 1)) / 2);
      assert.equal(r.applyDefSync('work', [n]), (n * (n - 1)) / 2);
    }
  });
});

test('load from a path or bytes (the worker starts while the module compiles)', async () => {
  const { readFile } = await import('node:fs/promises');
  for (const wasm of [WASM_PATH, new URL(`file://${WASM_PATH}`), await readFile(WASM_PATH)]) {
    const r = await Reactor.load({ wasm });
    try {
      assert.ok(r.module instanceof WebAssembly.Module);
      assert.equal(await r.registerLambda('one', 'lambda: 1'), 'one');
      assert.equal(r.applyLambdaSync('one'), 1);
    } finally {
      await r.close();
    }
  }
});

test('a module that is not the guest: load() rejects with the worker\'s reason', async () => {
  // A valid, empty module: it compiles and instantiates, but has no memory
  // and no abi_version, so the worker cannot set it up.
  const empty = new Uint8Array([0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00]);
  await assert.rejects(Reactor.load({ wasm: empty }), /python reactor failed to start: .+/);
  await assert.rejects(Reactor.load({ wasm: await WebAssembly.compile(empty) }), /python reactor failed to start: .+/);
});

test('prestart(): loads take booted spare workers, each a fresh instance', async () => {
  const saved = Reactor.spareWorkers;
  try {
    Reactor.spareWorkers = 1;
    await Reactor.prestart({ stackSizeMb: 64, count: 2 });
    const module = await wasmModule();
    const reactors = [];
    for (let i = 0; i < 4; i++) {
      const r = await Reactor.load({ wasm: module, stackSizeMb: 64, env: { WHO: `r${i}` } });
      reactors.push(r);
      await r.registerDef('who', 'import os\nstate = []\ndef who():\n    state.append(1)\n    return [os.environ["WHO"], len(state)]\n');
    }
    for (const [i, r] of reactors.entries()) assert.deepEqual(await r.applyDef('who'), [`r${i}`, 1]);
    await Promise.all(reactors.map((r) => r.close()));
  } finally {
    Reactor.spareWorkers = saved;
  }
});

/** Runs a script in a child process of this runtime; resolves to its stdout. */
async function runScript(body) {
  const dir = await mkdtemp(join(REPO, 'build', 'channel-'));
  const script = join(dir, 'script.mjs');
  const reactorUrl = new URL('../../hosts/js/reactor.mjs', import.meta.url).href;
  await writeFile(script, `import { Reactor } from ${JSON.stringify(reactorUrl)};\n${body}`);
  const args = isDeno ? ['run', '--allow-read', script] : [script];
  try {
    return await new Promise((resolve, reject) => {
      execFile(process.execPath, args, { timeout: 60_000, env: {} },
        (error, stdout, stderr) => (error ? reject(new Error(`${error.message}\n${stderr}`)) : resolve(stdout)));
    });
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

test('a pending call keeps the process alive; idle reactors and spares do not', async () => {
  // Top-level await on a slow call with nothing else to do: the process must
  // wait for it (a pending Atomics.waitAsync alone would not hold it).
  // Then reactors left open (and the spare the second one brings) must not
  // keep it from exiting.
  const out = await runScript(`
    const a = await Reactor.load({ stdout: 'ignore' });
    await a.registerDef('slow', 'import time\\ndef slow():\\n    time.sleep(0.5)\\n    return "slept"\\n');
    console.log(await a.applyDef('slow'));
    const b = await Reactor.load({ wasm: a.module });
    await b.registerLambda('abort', "lambda: __import__('os').abort()");
    console.log(await b.applyLambda('abort').catch((e) => e.type));
    console.log(await b.registerLambda('one', 'lambda: 1'));
    console.log(b.applyLambdaSync('one'));`);
  assert.deepEqual(out.trim().split('\n'), ['slept', 'Trap', 'one', '1']);
});
