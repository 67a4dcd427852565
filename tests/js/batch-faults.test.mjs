// The batch CLI (hosts/js/cli.mjs) on lines and readers that used to break
// it: bytes that are not UTF-8, strings of tens of MiB, a line past the
// host's limit, a guest record that breaks the contract, a reader that
// closes stdout early. In both isolations, under the runtime running the
// tests; where the native host (build/pyreactor) may be run, its answers are
// the reference, line for line.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import process from 'node:process';
import { Buffer } from 'node:buffer';
import { REPO, WASM_PATH, isDeno, runProcess } from './helpers.mjs';

const CLI = join(REPO, 'hosts', 'js', 'cli.mjs');
const NATIVE = join(REPO, 'build', 'pyreactor');
const ISOLATIONS = ['worker', 'process'];

/** Whether this process may run the native host (Deno: --allow-run on it). */
function nativeRunnable() {
  if (!existsSync(NATIVE)) return false;
  return !isDeno || globalThis.Deno.permissions.querySync({ name: 'run', command: NATIVE }).state === 'granted';
}

/** argv of `cli.mjs batch` in `isolation` under this runtime, then `args`. */
function jsBatch(isolation, ...args) {
  const tail = [CLI, 'batch', '--isolation', isolation, ...args];
  if (!isDeno) return [process.execPath, ...tail];
  const permissions = [`--allow-read=${join(REPO, 'hosts', 'js')},${WASM_PATH}`];
  // ProcessReactor starts Deno again; its child_process reads NODE_V8_COVERAGE.
  if (isolation === 'process') permissions.push(`--allow-run=${process.execPath}`, '--allow-env=NODE_V8_COVERAGE');
  return [process.execPath, 'run', '--no-prompt', '--v8-flags=--stack-size=7680', ...permissions, ...tail];
}

const bytes = (...parts) => Buffer.concat(parts.map((p) => (typeof p === 'string' ? Buffer.from(p, 'utf8') : Buffer.from(p))));
const jsonLines = (...requests) => bytes(requests.map((r) => `${JSON.stringify(r)}\n`).join(''));
const types = (lines) => lines.map((line) => {
  const result = JSON.parse(line);
  return result.tag === 'ok' ? 'ok' : result.error.type;
});

// Each line and the answer's type (the native host's).
const RAW_LINES = [
  [bytes('{"op":"register_lambda","name":"a', [0xff], '","code":"lambda: 1"}'), 'InvalidName'],
  [bytes('{"op":"register_lambda","name":"a', [0xfe], '","code":"lambda: 2"}'), 'InvalidName'],
  [bytes('{"op":"apply_lambda","name":"a', [0xff], '"}'), 'InvalidName'],
  [bytes('{"op":"apply_lambda","name":"a\uFFFD"}'), 'NotRegistered'],
  [bytes('{"op":"register_lambda","name":"ok","code":"lambda *a: a', [0xff], '"}'), 'InvalidInput'],
  [bytes('{"op":"register_lambda","name":"ok","code":"lambda *a: [len(x) for x in a]"}'), 'ok'],
  [bytes('{"op":"apply_lambda","name":"ok","args":["', [0xff], '"]}'), 'InvalidArgs'],
  [bytes('{"op":"apply_lambda","name":"ok","args_text":"[\\"', [0xc3], '\\"]"}'), 'InvalidArgs'],
  [bytes('{"op":"apply_lambda","name":"ok","args":["\u00e9"]}'), 'ok'],
  [bytes('{"op":"apply_lambda","name":"ok","args":["\\u00e9\\ud800"]}'), 'ok'],
  [bytes('{"op":"x', [0xff, 0xe2, 0x82], 'A"}'), 'InvalidRequest'],
  [bytes('{"op":"register_lambda","name":"', [0xed, 0xa0, 0x80], '","code":"lambda: 1"}'), 'InvalidName'],
  [bytes('{"op":"register_def","name":"n\\u0000","code":"def f(): pass"}'), 'InvalidName'],
  [bytes('{"op":"apply_lambda","na', [0xff], 'me":"ok"}'), 'InvalidRequest'],
  [bytes('{"op":"apply_lambda","name":"ok"} ', [0xff]), 'InvalidRequest'],
  [bytes([0xef, 0xbb, 0xbf], '{"op":"init"}'), 'InvalidRequest'],
  [bytes('{"op":"init"}\r'), 'ok'],
  [bytes('   \t\r'), null], // blank: no answer
  [bytes('\u00a0'), 'InvalidRequest'], // not JSON's whitespace
];
const RAW_INPUT = Buffer.concat(RAW_LINES.flatMap(([line]) => [line, Buffer.from('\n')]));
const RAW_TYPES = RAW_LINES.map(([, type]) => type).filter((type) => type !== null);

test('lines with bytes that are not UTF-8 get the native host\'s answers, byte for byte', async () => {
  const reference = nativeRunnable() ? (await runProcess([NATIVE, 'batch'], RAW_INPUT)).lines : null;
  if (reference) assert.deepEqual(types(reference), RAW_TYPES, 'the native host');
  for (const isolation of ISOLATIONS) {
    const { code, lines } = await runProcess(jsBatch(isolation), RAW_INPUT);
    assert.equal(code, 0);
    assert.deepEqual(types(lines), RAW_TYPES, isolation);
    if (reference) assert.deepEqual(lines, reference, `${isolation}: as the native host`);
  }
});

test('strings of 8 and 64 MiB go in and come back (a regex overflowed V8\'s stack at 8 MiB)', async () => {
  const s8 = `\u00e9${'x'.repeat(8 * 2 ** 20)}`;
  const s64 = 'y'.repeat(64 * 2 ** 20);
  const input = bytes(
    jsonLines({ op: 'register_def', name: 'size', code: 'def size(s):\n    return len(s)\n' },
      { op: 'register_def', name: 'echo', code: 'def echo(s):\n    return s\n' }),
    `{"op":"apply_def","name":"size","args":["${s8}"]}\n{"op":"apply_def","name":"echo","args_text":"[\\"${s8}\\"]"}\n`,
    `{"op":"apply_def","name":"size","args":["${s64}"]}\n{"op":"apply_def","name":"echo","args":["${s64}"]}\n`,
  );
  for (const isolation of ISOLATIONS) {
    const { code, lines, stderr } = await runProcess(jsBatch(isolation), input);
    assert.equal(code, 0, stderr);
    assert.deepEqual(lines.slice(0, 3), ['{"tag":"ok","value":"size"}', '{"tag":"ok","value":"echo"}', '{"tag":"ok","value":8388609}'], isolation);
    assert.ok(lines[3] === `{"tag":"ok","value":"${s8}"}`, `${isolation}: the 8 MiB string back: ${lines[3].slice(0, 100)}`);
    assert.equal(lines[4], '{"tag":"ok","value":67108864}', isolation);
    assert.ok(lines[5] === `{"tag":"ok","value":"${s64}"}`, `${isolation}: the 64 MiB string back: ${lines[5].slice(0, 100)}`);
  }
});

// A module whose registration answers text that is not JSON (it swaps the
// guest's encoder for one call), then the same questions before and after
// the instance is rebuilt (a timeout).
const BREACH = 'import _reactor\n_orig = _reactor._encode\ndef _bad(value):\n'
  + '    _reactor._encode = _orig\n    return "{not json"\n_reactor._encode = _bad\nX = 42\n';
const BREACH_INPUT = jsonLines(
  { op: 'register_module', name: 'm', code: BREACH },
  { op: 'register_lambda', name: 'x', code: 'lambda: __import__("m").X' },
  { op: 'apply_lambda', name: 'x' },
  { op: 'register_def', name: 'spin', code: 'def spin():\n    while True:\n        pass\n' },
  { op: 'apply_def', name: 'spin' },
  { op: 'apply_lambda', name: 'x' },
);

test('a registration answered InvalidResult is undone, as in the native host', async () => {
  const reference = nativeRunnable() ? (await runProcess([NATIVE, 'batch', '--timeout-ms', '500'], BREACH_INPUT)).lines : null;
  for (const isolation of ISOLATIONS) {
    const { lines } = await runProcess(jsBatch(isolation, '--timeout-ms', '500'), BREACH_INPUT);
    assert.equal(lines[0], '{"tag":"err","error":{"type":"InvalidResult","message":"the guest returned text that is not JSON"}}');
    assert.equal(types(lines)[4], 'Timeout');
    // Undone, as in the native host: the instance that held it is given up
    // (nothing of the module is left), and it is not replayed after the
    // rebuild either, so the answers before and after are the same.
    assert.equal(types(lines)[2], 'ModuleNotFoundError', `${isolation}: undone, the instance that held it replaced`);
    assert.equal(lines[5], lines[2], `${isolation}: before and after the rebuild`);
    if (reference) assert.deepEqual(lines, reference, `${isolation}: as the native host`);
  }
});

test('a line longer than 1 GiB is InvalidRequest, not kept past the limit; the batch goes on', async () => {
  const [command, ...args] = jsBatch('worker');
  const child = spawn(command, args, { stdio: ['pipe', 'pipe', 'inherit'], env: {} });
  const out = [];
  child.stdout.on('data', (c) => out.push(c));
  const closed = new Promise((resolve) => child.on('close', resolve));
  const write = (chunk) => new Promise((resolve) => { if (child.stdin.write(chunk)) resolve(); else child.stdin.once('drain', resolve); });
  const mib = Buffer.alloc(2 ** 20, 0x20); // spaces: JSON's whitespace
  await write('{"op":"init"}\n{"op": "init"');
  for (let i = 0; i < 1024; i++) await write(mib);
  // the host's peak memory so far (Node only: Deno's tests may not read /proc)
  const peakKib = isDeno ? 0 : Number(/VmHWM:\s+(\d+)/.exec(readFileSync(`/proc/${child.pid}/status`, 'utf8'))[1]);
  child.stdin.end('}\n{"op":"register_lambda","name":"one","code":"lambda: 1"}\n');
  assert.equal(await closed, 0);
  const lines = Buffer.concat(out).toString('utf8').split('\n').filter((l) => l !== '');
  assert.equal(lines.length, 3);
  assert.equal(lines[0], '{"tag":"ok","value":null}');
  const { error } = JSON.parse(lines[1]);
  assert.equal(error.type, 'InvalidRequest');
  assert.match(error.message, /1073741839 bytes long; this host reads at most 1073741824/);
  assert.equal(lines[2], '{"tag":"ok","value":"one"}');
  // It holds up to 1 GiB of a line before it knows the line is too long,
  // then drops it: no copy of it, no more of it.
  assert.ok(peakKib < 1536 * 1024, `the host peaked at ${peakKib >> 10} MiB`);
});

/** Runs a batch whose reader takes the first line and closes stdout;
 *  `endless`: stdin never ends. Resolves to {code, stderr}, or rejects. */
function closedEarly(isolation, endless) {
  const [command, ...args] = jsBatch(isolation);
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { stdio: ['pipe', 'pipe', 'pipe'], env: {} });
    let stderr = '';
    child.stderr.on('data', (c) => { stderr += c; });
    child.stdout.once('data', () => child.stdout.destroy());
    const hang = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`${isolation}: no exit within 20 s after stdout closed`));
    }, 20_000);
    child.on('close', (code) => {
      clearTimeout(hang);
      resolve({ code, stderr });
    });
    child.stdin.on('error', () => {});
    const requests = '{"op":"init"}\n'.repeat(20000);
    if (endless) child.stdin.write(requests);
    else child.stdin.end(requests);
  });
}

test('a reader that closes stdout early gets a clean exit: no EPIPE trace, no hang', async () => {
  for (const isolation of ISOLATIONS) {
    for (const endless of [false, true]) {
      const { code, stderr } = await closedEarly(isolation, endless);
      assert.equal(code, 0, `${isolation}${endless ? ', stdin open' : ''}: ${stderr}`);
      assert.doesNotMatch(stderr, /EPIPE|Error|at /, isolation);
    }
  }
});
