// Options of Reactor.load and ProcessReactor.load (hosts/js/options.mjs):
// a bad value or an unknown key is a TypeError naming both, never a limit
// that is silently off; the forms of preopens and stdin reach the guest.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import process from 'node:process';
import { Reactor } from '../../hosts/js/reactor.mjs';
import { ProcessReactor } from '../../hosts/js/process-reactor.mjs';
import { REPO, WASM_PATH, isDeno, utf8, wasmModule, withReactor, rejectsWith } from './helpers.mjs';

/** [options, the key, how the value shows in the message] */
const BAD_REACTOR = [
  [{ timeoutMs: '200' }, 'timeoutMs', '"200"'],
  [{ timeoutMs: 'abc' }, 'timeoutMs', '"abc"'],
  [{ timeoutMs: -1 }, 'timeoutMs', '-1'],
  [{ timeoutMs: 0 }, 'timeoutMs', '0'],
  [{ timeoutMs: 2.5 }, 'timeoutMs', '2.5'],
  [{ timeoutMs: NaN }, 'timeoutMs', 'NaN'],
  [{ timeoutMs: Infinity }, 'timeoutMs', 'Infinity'],
  [{ timeoutMs: 2 ** 31 }, 'timeoutMs', '2147483648'], // setTimeout would fire at once
  [{ timeoutMs: null }, 'timeoutMs', 'null'],
  [{ memoryMb: 'abc' }, 'memoryMb', '"abc"'],
  [{ memoryMb: -1 }, 'memoryMb', '-1'],
  [{ memoryMb: 0 }, 'memoryMb', '0'],
  [{ memoryMb: 64.5 }, 'memoryMb', '64.5'],
  [{ memoryMb: 4097 }, 'memoryMb', '4097'],
  [{ stackSizeMb: 0 }, 'stackSizeMb', '0'],
  [{ stackSizeMb: '256' }, 'stackSizeMb', '"256"'],
  [{ stackSizeMb: 16385 }, 'stackSizeMb', '16385'],
  [{ channelBytes: 10 }, 'channelBytes', '10'],
  [{ spinMicros: -1 }, 'spinMicros', '-1'],
  [{ spinMicros: Infinity }, 'spinMicros', 'Infinity'],
  [{ topTier: 1 }, 'topTier', '1'],
  [{ env: { A: 1 } }, 'env.A', '1'],
  [{ env: { 'A=B': 'x' } }, 'env', '"A=B"'],
  [{ env: { '': 'x' } }, 'env', '""'],
  [{ env: { A: 'x\0y' } }, 'env.A', '"x\\u0000y"'],
  [{ env: 'A=b' }, 'env', '"A=b"'],
  [{ preopens: { '/d': '' } }, 'preopens["/d"]', '""'],
  [{ preopens: { '/d': 'a\0b' } }, 'preopens["/d"]', '"a\\u0000b"'],
  [{ preopens: { '': '/tmp' } }, 'preopens: a guest path', '""'],
  [{ preopens: { data: '/tmp' } }, 'preopens: a guest path', '"data"'],
  [{ preopens: { '/d': { path: '/tmp', readonly: true } } }, 'preopens["/d"]', '"readonly"'],
  [{ preopens: { '/d': { path: '/tmp', readOnly: 'yes' } } }, 'preopens["/d"].readOnly', '"yes"'],
  [{ preopens: { '/d': { readOnly: true } } }, 'preopens["/d"].path', 'undefined'],
  [{ preopens: ['/tmp'] }, 'preopens', 'an array'],
  [{ stdin: 5 }, 'stdin', '5'],
  [{ stdin: null }, 'stdin', 'null'],
  [{ stdout: 'nowhere' }, 'stdout', '"nowhere"'],
  [{ stderr: 2 }, 'stderr', '2'],
  [{ wasm: 5 }, 'wasm', '5'],
  [{ wasm: '' }, 'wasm', '""'],
  [{ timeout: 100 }, 'unknown option', '"timeout"'],
  [{ memoryLimit: 64 }, 'unknown option', '"memoryLimit"'],
];

test('Reactor.load refuses a bad option value or an unknown key with a TypeError naming both', async () => {
  const wasm = await wasmModule();
  for (const [options, key, shown] of BAD_REACTOR) {
    const wasmFirst = 'wasm' in options ? options : { wasm, ...options };
    await assert.rejects(Reactor.load(wasmFirst), (error) => {
      assert.ok(error instanceof TypeError, `${JSON.stringify(Object.keys(options))}: ${error}`);
      assert.ok(error.message.includes(key), `${error.message} names ${key}`);
      assert.ok(error.message.includes(shown), `${error.message} shows ${shown}`);
      return true;
    });
  }
  await assert.rejects(Reactor.load(null), /Reactor: options must be an object, not null/);
});

test('the values that were silently no limit before are refused, not run', async () => {
  // Before: timeoutMs '200' made every call a Timeout, memoryMb 'abc' or 0 no cap at all.
  const wasm = await wasmModule();
  for (const options of [{ timeoutMs: '200' }, { memoryMb: 'abc' }, { memoryMb: 0 }, { timeout: 100 }]) {
    await assert.rejects(Reactor.load({ wasm, ...options }), TypeError, JSON.stringify(options));
  }
});

test('undefined counts as not given; good values load and work', async () => {
  await withReactor({
    timeoutMs: undefined, memoryMb: undefined, env: undefined, stdin: undefined,
  }, async (r) => {
    await rejectsWith(r.applyLambda('x', []), 'NotRegistered');
  });
  await withReactor({ timeoutMs: 60_000, memoryMb: 4096, stackSizeMb: 64, spinMicros: 0.5, channelBytes: 256 }, async (r) => {
    await r.registerLambda('add', 'lambda a, b: a + b');
    assert.equal(await r.applyLambda('add', [1, 2]), 3);
  });
});

test('options are copied when loaded: later changes do not reach the guest', async () => {
  const env = { WHO: 'first' };
  const stdin = utf8('abc');
  await withReactor({ env, stdin }, async (r) => {
    env.WHO = 'second';
    stdin[0] = 0x7a;
    await r.registerDef('look', 'import os, sys\ndef look():\n    return [os.environ["WHO"], sys.stdin.read()]\n');
    assert.deepEqual(await r.applyDef('look', []), ['first', 'abc']);
  });
});

// ---- preopens: a path (read-write) or {path, readOnly}

const WRITE_AND_READ = 'import os\n\ndef f(name):\n'
  + '    try:\n        with open("/data/" + name, "w") as out:\n            out.write("written")\n        wrote = "wrote"\n'
  + '    except OSError as e:\n        wrote = type(e).__name__\n'
  + '    with open("/data/seed.txt") as f:\n        return [wrote, f.read()]\n';

async function withDir(body) {
  const dir = await mkdtemp(join(REPO, 'build', 'grant-'));
  try {
    await writeFile(join(dir, 'seed.txt'), 'seed');
    return await body(dir);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

test('preopens: a plain path and {path} are read-write, {path, readOnly: true} refuses writes', () => withDir(async (dir) => {
  for (const [grant, expected] of [[dir, 'wrote'], [{ path: dir }, 'wrote'], [{ path: dir, readOnly: false }, 'wrote'],
    [{ path: dir, readOnly: true }, 'OSError']]) {
    await withReactor({ preopens: { '/data': grant } }, async (r) => {
      await r.registerDef('f', WRITE_AND_READ);
      const name = `out-${expected}-${typeof grant}.txt`;
      assert.deepEqual(await r.applyDef('f', [name]), [expected, 'seed'], JSON.stringify(grant));
    });
  }
  await assert.rejects(readFile(join(dir, 'out-OSError-object.txt')), { code: 'ENOENT' });
}));

// ---- stdin: bytes, text, a function, or end of file

const READ_ALL = 'import sys\ndef f():\n    return sys.stdin.buffer.read().decode("latin-1")\n';

test('stdin: end of file by default; a string or bytes are what the guest reads', async () => {
  for (const [stdin, expected] of [[undefined, ''], ['héllo\nworld', 'hÃ©llo\nworld'], [new Uint8Array([0, 255, 10]), '\0\xff\n']]) {
    await withReactor({ stdin }, async (r) => {
      await r.registerDef('f', READ_ALL);
      assert.equal(await r.applyDef('f', []), expected);
      assert.equal(await r.applyDef('f', []), '', 'read once');
    });
  }
});

test('stdin: a function is asked for each chunk with the most bytes wanted, on the calling thread', async () => {
  const chunks = ['first line\n', utf8('second '), 'x'.repeat(5000), null];
  const asked = [];
  const stdin = (maxBytes) => {
    asked.push(maxBytes);
    return chunks.length ? chunks.shift() : null;
  };
  await withReactor({ stdin, channelBytes: 1024 }, async (r) => {
    await r.registerDef('f', 'import sys\ndef f():\n    return [sys.stdin.readline(), sys.stdin.read()]\n');
    assert.deepEqual(await r.applyDef('f', []), ['first line\n', `second ${'x'.repeat(5000)}`]);
    assert.ok(asked.length >= 4, `asked ${asked}`);
    for (const n of asked) assert.ok(Number.isInteger(n) && n > 0 && n <= 1024, `maxBytes ${n}`);
    // Sync calls run it too; it is asked again after an end of file.
    chunks.push('more');
    assert.equal(r.applyDefSync('f', [])[0], 'more');
  });
});

test('stdin: a function that throws or returns a wrong value gives end of file; the error is reported', async () => {
  // In a child process: the error is thrown in a microtask, as an output
  // callback's is, which a test runner counts as the test's failure.
  const dir = await mkdtemp(join(REPO, 'build', 'stdin-'));
  const script = join(dir, 'stdin-errors.mjs');
  await writeFile(script, `
    import process from 'node:process';
    import { Reactor } from ${JSON.stringify(new URL('../../hosts/js/reactor.mjs', import.meta.url).href)};
    const reported = [];
    process.on('uncaughtException', (error) => reported.push(error.message));
    let calls = 0;
    const stdin = () => {
      if (++calls === 1) return 42;
      throw new Error('no input');
    };
    const r = await Reactor.load({ stdin, stdout: 'ignore' });
    await r.registerDef('f', ${JSON.stringify(READ_ALL)});
    const read = [await r.applyDef('f', []), await r.applyDef('f', [])];
    await new Promise((resolve) => setTimeout(resolve, 20));
    await r.close();
    console.log(JSON.stringify({ read, reported }));`);
  try {
    const out = await runScript(script);
    const { read, reported } = JSON.parse(out);
    assert.deepEqual(read, ['', '']);
    assert.equal(reported.length, 2, reported.join('; '));
    assert.match(reported[0], /stdin: the function returned number/);
    assert.equal(reported[1], 'no input');
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

function runScript(script) {
  const args = isDeno ? ['run', '--no-prompt', `--allow-read=${REPO}`, script] : [script];
  return new Promise((resolve, reject) => {
    execFile(process.execPath, args, { timeout: 60_000, env: {} },
      (error, stdout, stderr) => (error ? reject(new Error(`${error.message}\n${stderr}`)) : resolve(stdout)));
  });
}

// ---- ProcessReactor

const BAD_PROCESS = [
  [{ timeoutMs: '200' }, 'timeoutMs', '"200"'],
  [{ timeoutMs: -1 }, 'timeoutMs', '-1'],
  [{ memoryMb: 'abc' }, 'memoryMb', '"abc"'],
  [{ memoryMb: 0 }, 'memoryMb', '0'],
  [{ stackSizeMb: 1.5 }, 'stackSizeMb', '1.5'],
  [{ wasm: new URL('file:///x.wasm') }, 'wasm', 'a URL'],
  [{ output: 'stdout' }, 'output', '"stdout"'],
  [{ spare: 1 }, 'spare', '1'],
  [{ env: { 'A=B': 'x' } }, 'env', '"A=B"'],
  [{ preopens: { '/d': { path: '/tmp', mode: 'ro' } } }, 'preopens["/d"]', '"mode"'],
  [{ preopens: { '/d': 'a:b' } }, 'preopens["/d"]', "':'"],
  [{ preopens: { '/d:x': '/tmp' } }, 'preopens["/d:x"]', "':'"],
  [{ stdin: 'x' }, 'unknown option', '"stdin"'],
  [{ timeout: 100 }, 'unknown option', '"timeout"'],
];

test('ProcessReactor refuses a bad option value or an unknown key with a TypeError naming both', async () => {
  for (const [options, key, shown] of BAD_PROCESS) {
    const check = (error) => {
      assert.ok(error instanceof TypeError, `${JSON.stringify(Object.keys(options))}: ${error}`);
      assert.ok(error.message.startsWith('ProcessReactor: '), error.message);
      assert.ok(error.message.includes(key), `${error.message} names ${key}`);
      assert.ok(error.message.includes(shown), `${error.message} shows ${shown}`);
      return true;
    };
    assert.throws(() => new ProcessReactor({ wasm: WASM_PATH, ...options }), check);
    await assert.rejects(ProcessReactor.load({ wasm: WASM_PATH, ...options }), check);
  }
});

test('ProcessReactor: a read-only grant refuses writes in the child, a read-write one does not', () => withDir(async (dir) => {
  const r = await ProcessReactor.load({
    wasm: WASM_PATH, output: 'ignore', spare: false, preopens: { '/data': { path: dir, readOnly: true } },
  });
  try {
    await r.registerDef('f', WRITE_AND_READ);
    assert.deepEqual(await r.applyDef('f', ['ro.txt']), ['OSError', 'seed']);
  } finally {
    await r.close();
  }
  const w = await ProcessReactor.load({ wasm: WASM_PATH, output: 'ignore', spare: false, preopens: { '/data': dir } });
  try {
    await w.registerDef('f', WRITE_AND_READ);
    assert.deepEqual(await w.applyDef('f', ['rw.txt']), ['wrote', 'seed']);
    assert.equal(await readFile(join(dir, 'rw.txt'), 'utf8'), 'written');
  } finally {
    await w.close();
  }
}));

test('a memoryMb below what the module needs is not a TypeError here (the instance checks it)', async () => {
  await assert.rejects(Reactor.load({ wasm: await wasmModule(), memoryMb: 1 }), (error) => {
    assert.ok(!(error instanceof TypeError), String(error));
    assert.match(error.message, /memoryMb 1/);
    return true;
  });
});

// topTier sets a process-wide V8 flag: under Node tried in a child process of its own.
test('topTier: under Node the guest runs with it (V8 compiles straight with TurboFan); under Deno it is an error', async () => {
  if (isDeno) {
    await assert.rejects(Reactor.load({ topTier: true }), /topTier needs Node; under Deno run with --v8-flags=--no-liftoff/);
    return;
  }
  const { spawnSync } = await import('node:child_process');
  const reactor = new URL('../../hosts/js/reactor.mjs', import.meta.url).href;
  const code = `import { Reactor } from ${JSON.stringify(reactor)};
    const r = await Reactor.load({ topTier: true, stderr: 'ignore' });
    console.log(JSON.stringify(await r.run('sum(range(10))')));
    await r.close();`;
  // A file, not -e: the worker would inherit -e's --input-type.
  const dir = await mkdtemp(join(tmpdir(), 'toptier-'));
  const file = join(dir, 'load.mjs');
  await writeFile(file, code);
  const child = spawnSync(process.execPath, [file], { encoding: 'utf8', timeout: 120_000 });
  await rm(dir, { recursive: true, force: true });
  assert.equal(child.stdout.trim(), '45', child.stderr);
});
