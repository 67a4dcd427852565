// Per-call output ({ output: true } on any call: what that call printed,
// returned with its value) and the default routing of the guest's output
// (both streams to the host's stderr, never its stdout). Runs under Node
// and Deno.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import process from 'node:process';
import { Reactor, PythonError } from '../../hosts/js/reactor.mjs';
import { ProcessReactor } from '../../hosts/js/process-reactor.mjs';
import { Guest, GuestTrap } from '../../hosts/js/guest.mjs';
import { OUTPUT_LIMIT_BYTES } from '../../hosts/js/capture.mjs';
import { REPO, WASM_PATH, isDeno, runProcess, wasmModule, withReactor } from './helpers.mjs';

// Prints its tag on both streams, flushed, `n` times, with a host-side
// pause in between (a sleep lets the other reactor's calls run meanwhile).
const TALK = `import sys, time
def talk(tag, n=3, fail=False):
    for i in range(n):
        print(f"out {tag} {i}", flush=True)
        print(f"err {tag} {i}", file=sys.stderr, flush=True)
        time.sleep(0.002)
    if fail:
        raise ValueError(f"failed {tag}")
    return tag
`;

const lines = (tag, stream, n = 3) => Array.from({ length: n }, (_, i) => `${stream} ${tag} ${i}\n`).join('');

/** A Reactor whose sinks record what reaches them (nothing captured may). */
async function withSinks(body) {
  const sinks = { stdout: '', stderr: '' };
  const decoder = new TextDecoder();
  const options = {
    stdout: (bytes) => { sinks.stdout += decoder.decode(bytes); },
    stderr: (bytes) => { sinks.stderr += decoder.decode(bytes); },
  };
  return withReactor(options, (r) => body(r, sinks));
}

test('interleaved calls on two Reactors each get their own output, and the sinks get none of it', async () => {
  await withSinks((a, sinksA) => withSinks(async (b, sinksB) => {
    await a.registerDef('talk', TALK);
    await b.registerDef('talk', TALK);
    // Not awaited one by one: both reactors' queues run at once, their
    // calls' prints interleave in time.
    const calls = [];
    for (let i = 0; i < 6; i++) {
      calls.push(a.applyDef('talk', [`a${i}`], { output: true }));
      calls.push(b.applyDef('talk', [`b${i}`], { output: true }));
    }
    const plain = a.applyDef('talk', ['plain', 1]); // no options: to the sinks
    const results = await Promise.all(calls);
    assert.equal(await plain, 'plain');
    for (const { value, stdout, stderr, stdoutTruncated, stderrTruncated } of results) {
      assert.equal(stdout, lines(value, 'out'));
      assert.equal(stderr, lines(value, 'err'));
      assert.equal(stdoutTruncated, false);
      assert.equal(stderrTruncated, false);
    }
    assert.equal(sinksA.stdout, 'out plain 0\n');
    assert.equal(sinksA.stderr, 'err plain 0\n');
    assert.equal(sinksB.stdout, '');
    assert.equal(sinksB.stderr, '');
  }));
});

test('every call form takes { output: true }: async, sync, raw, run, call, registrations', async () => {
  await withSinks(async (r, sinks) => {
    const say = (text) => `import sys\nprint(${JSON.stringify(text)})\nsys.stderr.write("e")\n`;
    const out = (value, stdout, stderr = 'e') => ({ value, stdout, stderr, stdoutTruncated: false, stderrTruncated: false });
    assert.deepEqual(await r.init({ output: true }), out(null, '', ''));
    assert.deepEqual(await r.registerModule('m', say('m'), { output: true }), out('m', 'm\n'));
    assert.deepEqual(await r.registerDef('talk', `${say('d')}${TALK}`, { output: true }), out('talk', 'd\n'));
    assert.deepEqual(await r.registerLambda('l', 'lambda: print("l") or 1', { output: true }), out('l', '', ''));
    assert.deepEqual(await r.applyLambda('l', [], { output: true }), out(1, 'l\n', ''));
    assert.deepEqual(await r.applyDef('talk', ['x', 1], { output: true }), out('x', lines('x', 'out', 1), lines('x', 'err', 1)));
    assert.deepEqual(await r.applyDefRaw('talk', '["y", 1]', { output: true }),
      out({ tag: 'ok', text: '"y"' }, lines('y', 'out', 1), lines('y', 'err', 1)));
    assert.deepEqual(await r.applyLambdaRaw('l', '[]', { output: true }), out({ tag: 'ok', text: '1' }, 'l\n', ''));
    assert.deepEqual(await r.run('print("cell")\n6 * 7', { output: true }), out(42, 'cell\n', ''));
    assert.deepEqual(await r.call('run', undefined, 'print(1)', { output: true }), out({ tag: 'ok', text: 'null' }, '1\n', ''));
    // synchronous
    assert.deepEqual(r.initSync({ output: true }), out(null, '', ''));
    assert.deepEqual(r.registerDefSync('s', 'print("s")\ndef s():\n    print("in s")\n    return 5\n', { output: true }), out('s', 's\n', ''));
    assert.deepEqual(r.applyDefSync('s', [], { output: true }), out(5, 'in s\n', ''));
    assert.deepEqual(r.applyDefRawSync('s', '[]', { output: true }), out({ tag: 'ok', text: '5' }, 'in s\n', ''));
    assert.deepEqual(r.applyLambdaSync('l', [], { output: true }), out(1, 'l\n', ''));
    assert.deepEqual(r.applyLambdaRawSync('l', undefined, { output: true }), out({ tag: 'ok', text: '1' }, 'l\n', ''));
    assert.deepEqual(r.runSync('print("c")', { output: true }), out(null, 'c\n', ''));
    assert.deepEqual(r.callSync('apply_def', 's', '[]', { output: true }), out({ tag: 'ok', text: '5' }, 'in s\n', ''));
    assert.deepEqual(r.unregisterDefSync('s', { output: true }), out('s', '', ''));
    assert.deepEqual(await r.unregisterModule('m', { output: true }), out('m', '', ''));
    // { output: false } and no options: the value alone, the output to the sinks
    assert.equal(await r.applyLambda('l', [], { output: false }), 1);
    assert.equal(r.applyLambdaSync('l', []), 1);
    assert.equal(sinks.stdout, 'l\nl\n');
  });
});

test('a PythonError of a call with { output: true } carries what it printed before the error', async () => {
  await withReactor({ stdout: 'ignore', stderr: 'ignore', timeoutMs: 3000 }, async (r) => {
    await r.registerDef('talk', TALK);
    const check = (error, tag, type = 'ValueError') => {
      assert.ok(error instanceof PythonError, String(error));
      assert.equal(error.type, type);
      assert.equal(error.stdout, lines(tag, 'out'));
      assert.equal(error.stderr, lines(tag, 'err'));
      assert.equal(error.stdoutTruncated, false);
      return true;
    };
    await assert.rejects(r.applyDef('talk', ['f', 3, true], { output: true }), (e) => check(e, 'f'));
    assert.throws(() => r.applyDefSync('talk', ['g', 3, true], { output: true }), (e) => check(e, 'g'));
    // a raw call answers the err, with its output
    const raw = await r.applyDefRaw('talk', '["h", 3, true]', { output: true });
    assert.equal(raw.value.tag, 'err');
    assert.equal(raw.stdout, lines('h', 'out'));
    // stopped by the time limit: what was flushed before is there
    await r.registerDef('hang', 'import time\ndef hang():\n    print("before", flush=True)\n    time.sleep(3600)\n');
    await assert.rejects(r.applyDef('hang', [], { output: true }), (e) => {
      assert.equal(e.type, 'Timeout');
      assert.equal(e.stdout, 'before\n');
      return true;
    });
    // without the option, nothing is attached
    await assert.rejects(r.applyDef('talk', ['i', 1, true]), (e) => e.type === 'ValueError' && e.stdout === undefined);
  });
});

test('output past 16 MiB per stream is cut there (at a character boundary) and flagged; the call goes on', async () => {
  await withSinks(async (r, sinks) => {
    // stdout: 'é' (2 bytes) past the limit, which falls inside one; stderr: short.
    const chars = OUTPUT_LIMIT_BYTES / 2 + 1000;
    await r.registerDef('flood', `import sys\ndef flood():\n    sys.stdout.write("x" + "é" * ${chars})\n    sys.stdout.flush()\n    print("tail")\n    print("small", file=sys.stderr)\n    return 1\n`);
    const result = await r.applyDef('flood', [], { output: true });
    assert.equal(result.value, 1);
    assert.equal(result.stdoutTruncated, true);
    assert.equal(result.stderrTruncated, false);
    assert.equal(result.stderr, 'small\n');
    const kept = new TextEncoder().encode(result.stdout).length;
    assert.equal(kept, OUTPUT_LIMIT_BYTES - 1, 'cut before the character the limit splits'); // 1 + 2k <= limit
    assert.ok(result.stdout.startsWith('xéé'));
    assert.ok(result.stdout.endsWith('é'), 'no partial character at the cut');
    assert.ok(!result.stdout.includes('\uFFFD'));
    assert.equal(sinks.stdout, '', 'what was dropped does not go to the sink either');
    // the sync form is bounded the same way
    assert.equal(r.applyDefSync('flood', [], { output: true }).stdoutTruncated, true);
  });
});

test('output that is not UTF-8 is decoded with U+FFFD; a BOM is kept', async () => {
  await withReactor({ stdout: 'ignore' }, async (r) => {
    const result = await r.run('import sys\nsys.stdout.buffer.write(b"\\xef\\xbb\\xbfa\\xffb\\xc3")\nsys.stdout.flush()', { output: true });
    assert.equal(result.stdout, '\uFEFFa\uFFFDb\uFFFD');
  });
});

test('call options are checked strictly: an unknown key or a value of the wrong kind is a TypeError', async () => {
  const bad = [{ output: 1 }, { output: 'yes' }, { out: true }, { output: true, extra: 1 }, 5, 'output', [], null, new Map()];
  await withReactor({ stdout: 'ignore' }, async (r) => {
    await r.registerLambda('l', 'lambda: 1');
    for (const options of bad) {
      await assert.rejects(r.applyLambda('l', [], options), TypeError, `async ${String(options)}`);
      await assert.rejects(r.applyLambdaRaw('l', '[]', options), TypeError);
      await assert.rejects(r.init(options), TypeError);
      assert.throws(() => r.applyLambdaSync('l', [], options), TypeError, `sync ${String(options)}`);
      assert.throws(() => r.runSync('1', options), TypeError);
    }
    // a key whose value is undefined counts as not given
    assert.equal(await r.applyLambda('l', [], { output: undefined }), 1);
    // nothing was lost: the reactor works on
    assert.equal(await r.applyLambda('l', [], {}), 1);
  });
});

test('ProcessReactor: { output: true } per call, errors carry it, the bound holds, options checked', async () => {
  let merged = '';
  const r = await ProcessReactor.load({ wasm: WASM_PATH, output: (text) => { merged += text; } });
  try {
    await r.registerDef('talk', TALK);
    const calls = [];
    for (let i = 0; i < 4; i++) calls.push(r.applyDef('talk', [`p${i}`], { output: true }));
    for (const { value, stdout, stderr } of await Promise.all(calls)) {
      assert.equal(stdout, lines(value, 'out'));
      assert.equal(stderr, lines(value, 'err'));
    }
    assert.deepEqual(await r.applyDefRaw('talk', '["q", 1]', { output: true }),
      { value: { tag: 'ok', text: '"q"' }, stdout: lines('q', 'out', 1), stderr: lines('q', 'err', 1), stdoutTruncated: false, stderrTruncated: false });
    await assert.rejects(r.applyDef('talk', ['e', 3, true], { output: true }), (e) => {
      assert.equal(e.type, 'ValueError');
      assert.equal(e.stdout, lines('e', 'out'));
      assert.equal(e.stderr, lines('e', 'err'));
      return true;
    });
    const flood = await r.run(`import sys\nsys.stderr.write("y" * ${OUTPUT_LIMIT_BYTES + 10})\n7`, { output: true });
    assert.equal(flood.value, 7);
    assert.equal(flood.stderr.length, OUTPUT_LIMIT_BYTES);
    assert.equal(flood.stderrTruncated, true);
    for (const options of [{ output: 1 }, { nope: true }, 3]) {
      await assert.rejects(r.applyDef('talk', ['z'], options), TypeError);
    }
    assert.equal(await r.applyDef('talk', ['plain', 1]), 'plain'); // to `output`
  } finally {
    await r.close();
  }
  assert.equal(merged.split('\n').filter((l) => l.includes('plain')).length, 2);
  assert.ok(!merged.includes('p0') && !merged.includes('yyyy'), 'captured output does not reach `output`');
});

test('in-thread Guest: call(op, name, payload, { output: true }), the sinks get none of it, a trap carries it', async () => {
  let sunk = '';
  const g = await Guest.create(await wasmModule(), { stdout: (b) => { sunk += new TextDecoder().decode(b); }, stderr: 'ignore' });
  try {
    assert.equal(g.call('register_def', 'talk', TALK).tag, 'ok');
    assert.deepEqual(g.call('apply_def', 'talk', '["g", 2]', { output: true }), {
      value: { tag: 'ok', text: '"g"' }, stdout: lines('g', 'out', 2), stderr: lines('g', 'err', 2), stdoutTruncated: false, stderrTruncated: false,
    });
    const failed = g.call('apply_def', 'talk', '["h", 1, true]', { output: true });
    assert.equal(failed.value.tag, 'err');
    assert.equal(failed.stdout, lines('h', 'out', 1));
    assert.deepEqual(g.call('apply_def', 'talk', '["plain", 1]'), { tag: 'ok', text: '"plain"' });
    assert.equal(sunk, 'out plain 0\n');
    for (const options of [{ output: 'yes' }, { other: true }, 7]) {
      assert.throws(() => g.call('init', undefined, undefined, options), TypeError);
    }
    assert.throws(() => g.call('run', undefined, 'print("last", flush=True)\nimport os\nos.abort()', { output: true }), (e) => {
      assert.ok(e instanceof GuestTrap);
      assert.equal(e.stdout, 'last\n');
      return true;
    });
  } finally {
    g.close();
  }
});

// ---- the default routing: the guest's stdout and stderr go to the host's stderr

async function runScript(body, allowRun = false) {
  const dir = await mkdtemp(join(REPO, 'build', 'output-'));
  const script = join(dir, 'script.mjs');
  const host = new URL('../../hosts/js/', import.meta.url).href;
  await writeFile(script, `import { Reactor } from '${host}reactor.mjs';
import { ProcessReactor } from '${host}process-reactor.mjs';
import { Guest } from '${host}guest.mjs';
import { readFile } from 'node:fs/promises';
${body}`);
  const deno = ['run', '--no-prompt', '--v8-flags=--stack-size=7680', `--allow-read=${REPO}`,
    ...(allowRun ? [`--allow-run=${process.execPath}`, '--allow-env=NODE_V8_COVERAGE'] : []), script];
  try {
    return await runProcess([process.execPath, ...(isDeno ? deno : [script])], '');
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

const SAY = 'import sys\\nprint("guest-out")\\nprint("guest-err", file=sys.stderr)';

test('by default the guest\'s stdout and stderr go to the host\'s stderr: Reactor, in-thread Guest', async () => {
  const { code, stdout, stderr } = await runScript(`
const r = await Reactor.load();
await r.run('${SAY}');
r.runSync('${SAY}');
await r.close();
const g = await Guest.create(await WebAssembly.compile(await readFile(${JSON.stringify(WASM_PATH)})));
g.call('run', undefined, '${SAY}');
g.close();
const i = await Reactor.load({ stdout: 'inherit', stderr: 'inherit' });
await i.run('${SAY.replaceAll('guest', 'inherited')}');
await i.close();
console.log('host-out');`);
  assert.equal(code, 0, stderr);
  assert.equal(stdout, 'inherited-out\nhost-out\n');
  assert.equal(stderr.match(/guest-out\n/g)?.length, 3, stderr);
  assert.equal(stderr.match(/guest-err\n/g)?.length, 3, stderr);
  assert.match(stderr, /inherited-err/);
});

test('by default ProcessReactor\'s guest output goes to the host\'s stderr', async () => {
  const { code, stdout, stderr } = await runScript(`
const r = await ProcessReactor.load();
await r.run('${SAY}');
await r.close();
console.log('host-out');`, true);
  assert.equal(code, 0, stderr);
  assert.equal(stdout, 'host-out\n');
  assert.match(stderr, /guest-out\n/);
  assert.match(stderr, /guest-err\n/);
});
