// ProcessReactor: the instance in a child process, which a timeout kills.
// Runs under Node and Deno; under Deno it is what stops runaway code for
// certain (the worker-based Reactor's Worker.terminate() does not).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import process from 'node:process';
import { setImmediate } from 'node:timers';
import { ProcessReactor } from '../../hosts/js/process-reactor.mjs';
import { REPO, RUNAWAY, WASM_PATH, isDeno, rejectsWith, utf8, withReactor } from './helpers.mjs';

async function withProcessReactor(options, body) {
  const reactor = await ProcessReactor.load({ wasm: WASM_PATH, output: 'ignore', ...options });
  try {
    return await body(reactor);
  } finally {
    await reactor.close();
  }
}

/** Whether process `pid` runs, as ps(1) sees it (an exited child that is not
** reaped yet counts as gone). Not process.kill(pid, 0): under Deno that needs
** --allow-run on everything, and /proc needs --allow-all. */
function alive(pid) {
  return new Promise((resolve, reject) => {
    execFile('/usr/bin/ps', ['-o', 'stat=', '-p', String(pid)], { env: {} }, (error, stdout) => {
      if (error && error.code !== 1) reject(error);
      else resolve(stdout.trim() !== '' && !stdout.trim().startsWith('Z'));
    });
  });
}

/** Waits up to `ms` for process `pid` to be gone; true when it is. */
async function gone(pid, ms = 2000) {
  for (const end = performance.now() + ms; performance.now() < end;) {
    if (!(await alive(pid))) return true;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  return !(await alive(pid));
}

test('calls, values and errors go through the child as through Reactor', async () => {
  await withProcessReactor({}, async (r) => {
    assert.equal(await r.registerDef('add', 'def add(x, y=10):\n    return x + y\n'), 'add');
    assert.equal(await r.applyDef('add', [1, 2]), 3);
    assert.equal(await r.applyDef('add', { x: 1 }), 11);
    assert.equal(await r.registerLambda('inv', 'lambda x: 1 / x'), 'inv');
    await rejectsWith(r.applyLambda('inv', [0]), 'ZeroDivisionError');
    // the args text and the result text cross unchanged (no float rounding)
    const big = '123456789012345678901234567890';
    assert.deepEqual(await r.applyDefRaw('add', `[${big}, 0]`), { tag: 'ok', text: big });
    // names and code as bytes, as Reactor takes them
    assert.equal(await r.registerDef(utf8('dbl'), utf8('def dbl(x):\n    return 2 * x\n')), 'dbl');
    assert.equal(await r.applyDef(utf8('dbl'), [4]), 8);
    assert.equal(await r.unregisterDef('add'), 'add');
    await rejectsWith(r.applyDef('add', [1]), 'NotRegistered');
    assert.equal(r.rebuilds, 0);
  });
});

for (const [what, code] of Object.entries(RUNAWAY)) {
  test(`timeoutMs kills the child running ${what}; registrations survive`, async () => {
    await withProcessReactor({ timeoutMs: 300 }, async (r) => {
      await r.registerModule('base', 'OFFSET = 1\n');
      await r.registerDef('keep', 'import base\ndef keep(x):\n    return x + base.OFFSET\n');
      await r.registerDef('f', code);
      const pid = r.pid;
      const started = performance.now();
      await rejectsWith(r.applyDef('f', []), 'Timeout');
      const elapsed = performance.now() - started;
      assert.ok(elapsed < 300 + 1000, `stopped after ${elapsed.toFixed(0)} ms`);
      assert.ok(await gone(pid), `the child ${pid} still runs`);
      assert.equal(await r.applyDef('keep', [41]), 42);
      assert.notEqual(r.pid, pid);
      assert.equal(r.rebuilds, 1);
    });
  });
}

test('memoryMb reaches the child: MemoryError inside Python, the child goes on', async () => {
  await withProcessReactor({ memoryMb: 96 }, async (r) => {
    await r.registerDef('alloc', 'def alloc(mb):\n    return len(bytearray(mb * 1024 * 1024))\n');
    assert.equal(await r.applyDef('alloc', [16]), 16 * 1024 * 1024);
    await rejectsWith(r.applyDef('alloc', [200]), 'MemoryError');
    assert.equal(await r.applyDef('alloc', [8]), 8 * 1024 * 1024);
    assert.equal(r.rebuilds, 0);
  });
});

test('env and preopens reach the guest, nothing else of this process does', async () => {
  const dir = await mkdtemp(join(REPO, 'build', 'process-preopen-'));
  try {
    await writeFile(join(dir, 'note.txt'), 'from the host');
    await withProcessReactor({ env: { GREETING: 'hi' }, preopens: { '/data': dir } }, async (r) => {
      await r.registerDef('look', 'import os\ndef look():\n'
        + '    return [os.environ.get("GREETING"), sorted(os.environ), open("/data/note.txt").read()]\n');
      assert.deepEqual(await r.applyDef('look', []), ['hi', ['GREETING'], 'from the host']);
    });
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('a child killed from outside is replaced, with the registrations replayed', async () => {
  await withProcessReactor({}, async (r) => {
    await r.registerDef('twice', 'def twice(x):\n    return 2 * x\n');
    const pid = r.pid;
    r._killChild(); // as the kernel's OOM killer or an operator would
    assert.ok(await gone(pid));
    // A call the dead child cannot answer fails (Trap); once the death has
    // been noticed, the next call starts a new child.
    for (const end = performance.now() + 2000; r.pid !== undefined && performance.now() < end;) {
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    assert.equal(r.pid, undefined);
    assert.equal(await r.applyDef('twice', [21]), 42);
    assert.equal(r.rebuilds, 1);
  });
});

test('the replay keeps the order of the registrations, as Reactor\'s does', async () => {
  await withProcessReactor({ timeoutMs: 2000 }, async (r) => {
    await r.registerModule('m', 'def f():\n    return 1\n');
    await r.registerDef('old', 'from m import f as old\n'); // holds version 1
    await r.registerModule('m', 'def f():\n    return 2\n');
    await r.registerDef('new', 'from m import f as new\n');
    await r.registerDef('spin', 'def spin():\n    while True:\n        pass\n');
    await r.unregisterDef('spin');
    await r.registerDef('spin', 'def spin():\n    while True:\n        pass\n');
    await rejectsWith(r.applyDef('spin', []), 'Timeout');
    assert.deepEqual([await r.applyDef('old', []), await r.applyDef('new', [])], [1, 2]);
    assert.equal(r.rebuilds, 1);
  });
});

test('a registration that fails or times out on replay is reported, and the rest comes back', async () => {
  const dir = await mkdtemp(join(REPO, 'build', 'process-replay-'));
  const warnings = [];
  const onWarning = (warning) => warnings.push(String(warning.message));
  process.on('warning', onWarning);
  try {
    await writeFile(join(dir, 'data.txt'), 'text');
    await withProcessReactor({ timeoutMs: 1000, preopens: { '/data': dir } }, async (r) => {
      await r.registerDef('one', 'def one():\n    return 1\n');
      // Both succeed now; in a new child, one cannot read its file and the
      // other spins at import, because of what changed in the directory.
      await r.registerModule('reads', 'DATA = open("/data/data.txt").read()\n');
      await r.registerModule('hangs', 'import os\nwhile os.path.exists("/data/hang"):\n    pass\n');
      await r.registerDef('two', 'def two():\n    return 2\n');
      await r.registerDef('spin', 'def spin():\n    while True:\n        pass\n');
      await rm(join(dir, 'data.txt'));
      await writeFile(join(dir, 'hang'), '');
      await rejectsWith(r.applyDef('spin', []), 'Timeout');
      assert.deepEqual([await r.applyDef('one', []), await r.applyDef('two', [])], [1, 2]);
      assert.ok(warnings.some((w) => /register_module reads .*failed: .*FileNotFoundError/.test(w)), warnings.join('\n'));
      assert.ok(warnings.some((w) => /register_module hangs .*trapped .*dropped/.test(w)), warnings.join('\n'));
      // Dropped: a later rebuild does not replay it again (no second
      // timeout for it), while the failing one is still replayed and reported.
      const count = (pattern) => warnings.filter((w) => pattern.test(w)).length;
      const [hangs, reads] = [count(/register_module hangs /), count(/register_module reads /)];
      await rejectsWith(r.applyDef('spin', []), 'Timeout');
      assert.equal(await r.applyDef('two', []), 2);
      await new Promise((resolve) => setImmediate(resolve)); // warnings are emitted on the next tick
      assert.equal(count(/register_module hangs /), hangs, 'the dropped registration was not replayed again');
      assert.equal(count(/register_module reads /), reads + 1);
    });
  } finally {
    process.off('warning', onWarning);
    await rm(dir, { recursive: true, force: true });
  }
});

test('close() ends the child', async () => {
  const r = await ProcessReactor.load({ wasm: WASM_PATH, output: 'ignore' });
  const pid = r.pid;
  assert.ok(await alive(pid));
  await r.close();
  assert.ok(await gone(pid), `the child ${pid} still runs`);
  await assert.rejects(r.applyDef('x', []), /closed/);
});

test('output goes to a callback when one is given', async () => {
  let seen = '';
  await withProcessReactor({ output: (chunk) => { seen += chunk; } }, async (r) => {
    await r.registerDef('say', 'import sys\ndef say():\n    print("to stdout")\n    print("to stderr", file=sys.stderr)\n');
    assert.equal(await r.applyDef('say', []), null);
  }); // close() returns once the child's output is drained
  assert.match(seen, /to stdout/);
  assert.match(seen, /to stderr/);
});

test('without a spare child, a timeout still gets a new child with the registrations', async () => {
  await withProcessReactor({ timeoutMs: 300, spare: false }, async (r) => {
    await r.registerDef('keep', 'def keep(x):\n    return x + 1\n');
    await r.registerDef('f', RUNAWAY['a busy loop']);
    const pid = r.pid;
    await rejectsWith(r.applyDef('f', []), 'Timeout');
    assert.ok(await gone(pid), `the child ${pid} still runs`);
    assert.equal(await r.applyDef('keep', [1]), 2);
    assert.equal(r.rebuilds, 1);
  });
});

/** The pids of the children of process `pid`, as ps(1) sees them. */
function childrenOf(pid) {
  return new Promise((resolve, reject) => {
    execFile('/usr/bin/ps', ['-o', 'pid=', '--ppid', String(pid)], { env: {} }, (error, stdout) => {
      if (error && error.code !== 1) reject(error);
      else resolve(stdout.split('\n').map((line) => line.trim()).filter((line) => line !== '').map(Number));
    });
  });
}

const FIXTURE = join(REPO, 'tests', 'js', 'orphan-parent.mjs');

/** Asserts that the children of a dead parent end too. The spare may still
 *  be starting (under Deno, constructing the Worker blocks its main thread,
 *  which then sees the end of stdin only after), so this waits longer. */
async function allGone(children) {
  for (const child of children) assert.ok(await gone(child, 15_000), `the child ${child} outlived its parent`);
}

/** Starts tests/js/orphan-parent.mjs under this runtime: a parent whose
 *  ProcessReactor child runs a busy loop. Resolves to {parent, child pid}. */
async function spinningParent(timeoutMs, mode = 'wait') {
  const tail = [FIXTURE, WASM_PATH, String(timeoutMs), mode];
  const args = isDeno
    ? ['run', '--no-prompt', `--allow-read=${join(REPO, 'hosts', 'js')},${WASM_PATH},${FIXTURE}`,
      `--allow-run=${process.execPath}`, '--allow-env=NODE_V8_COVERAGE', ...tail]
    : tail;
  const parent = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'inherit'], env: {} });
  let out = '';
  const pid = await new Promise((resolve, reject) => {
    parent.stdout.on('data', (chunk) => {
      out += chunk;
      if (out.includes('\n')) resolve(Number(out));
    });
    parent.on('exit', (code) => reject(new Error(`the parent exited (${code}) before it started its child`)));
  });
  await new Promise((resolve) => setTimeout(resolve, 300)); // the call is running now
  return { parent, pid };
}

for (const signal of ['SIGKILL', 'SIGTERM']) {
  test(`the child ends when its parent dies during a call (${signal})`, async () => {
    const { parent, pid } = await spinningParent(60_000);
    const children = await childrenOf(parent.pid); // the child and the spare
    assert.ok(children.includes(pid), `${pid} among ${children}`);
    assert.ok(await alive(pid));
    const exited = new Promise((resolve) => parent.on('exit', resolve));
    parent.kill(signal);
    await exited;
    assert.ok(await gone(pid, 3000), `the child ${pid} outlived its parent`);
    await allGone(children);
  });
}

test('a child stops by itself past the limit while its parent cannot act', async () => {
  // The parent's thread is blocked, so its own timer cannot kill the child.
  // (Not SIGSTOP: under Deno a ChildProcess takes one kill() only.)
  const { parent, pid } = await spinningParent(1000, 'block');
  const children = await childrenOf(parent.pid);
  try {
    assert.ok(await gone(pid, 5000), `the child ${pid} ran on past its limit`);
  } finally {
    parent.kill('SIGKILL');
  }
  await allGone(children);
});

test('names and payloads that are not UTF-8 reach the guest as they are, as through Reactor', async () => {
  const calls = [
    ['register_lambda', new Uint8Array([0x61, 0xff]), 'lambda: 1'],
    ['register_lambda', new Uint8Array([0x61, 0xfe]), 'lambda: 2'],
    ['register_lambda', 'ok', new Uint8Array([...utf8('lambda *a: a'), 0xff])],
    ['register_lambda', 'ok', 'lambda *a: [len(x) for x in a]'],
    ['apply_lambda', 'ok', new Uint8Array([0x5b, 0x22, 0xc3, 0x22, 0x5d])],
    ['apply_lambda', 'ok', utf8('["\u00e9x"]')],
    ['apply_lambda', new Uint8Array([0x6f, 0x6b]), '["\ud800"]'],
  ];
  const answers = async (r) => {
    const out = [];
    for (const [op, name, payload] of calls) out.push(await r.call(op, name, payload));
    return out;
  };
  const expected = await withReactor({}, answers);
  assert.deepEqual(expected.map((r) => (r.tag === 'ok' ? r.text : JSON.parse(r.text).type)),
    ['InvalidName', 'InvalidName', 'InvalidInput', '"ok"', 'InvalidArgs', '[2]', '[1]']);
  await withProcessReactor({}, async (r) => assert.deepEqual(await answers(r), expected));
});

test('a record that breaks the contract is an InvalidResult, and its registration is undone', async () => {
  // The module swaps the guest's encoder for one call: its registration
  // answers text that is not JSON. The instance that holds it is given up
  // (by the child's own Reactor, as the native host rebuilds its instance),
  // and it is not replayed, in the child or by the parent.
  const breach = 'import _reactor\n_orig = _reactor._encode\ndef _bad(value):\n'
    + '    _reactor._encode = _orig\n    return "{not json"\n_reactor._encode = _bad\nX = 42\n';
  await withProcessReactor({}, async (r) => {
    await r.registerLambda('x', 'lambda: __import__("m").X');
    await rejectsWith(r.registerModule('m', breach), 'InvalidResult', /not JSON/);
    await rejectsWith(r.applyLambda('x'), 'ModuleNotFoundError');
    assert.equal(await r.applyLambda('x').catch((e) => e.type), 'ModuleNotFoundError');
    r._killChild();
    await rejectsWith(r.applyLambda('x'), 'Trap');
    await rejectsWith(r.applyLambda('x'), 'ModuleNotFoundError', /'m'/);
  });
});

test('a trap inside the child rejects, as Reactor\'s call does; the child goes on', async () => {
  await withProcessReactor({}, async (r) => {
    await r.registerLambda('abort', 'lambda: __import__("os").abort()');
    await r.registerLambda('one', 'lambda: 1');
    const pid = r.pid;
    await rejectsWith(r.call('apply_lambda', 'abort'), 'Trap');
    assert.equal(await r.applyLambda('one'), 1);
    assert.equal(r.pid, pid);
  });
});

test('a result of 30 MiB comes back whole', async () => {
  await withProcessReactor({}, async (r) => {
    await r.registerDef('big', 'def big(n):\n    return "y" * n\n');
    const n = 30 * 2 ** 20;
    const { tag, text } = await r.applyDefRaw('big', `[${n}]`);
    assert.equal(tag, 'ok');
    assert.ok(text === `"${'y'.repeat(n)}"`, text.slice(0, 100));
  });
});
