// Tests of the batch mode of hosts/js/cli.mjs, run as a child process under
// the same runtime as the tests (Node, or Deno with its permissions).

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { cliCommand } from './helpers.mjs';

function batch(lines, ...args) {
  const [command, ...argv] = cliCommand('batch', ...args);
  return new Promise((resolve, reject) => {
    // No env: the host needs none (and under Deno, reading ours would need --allow-env).
    const child = spawn(command, argv, { stdio: ['pipe', 'pipe', 'pipe'], env: {} });
    const out = [];
    const err = [];
    child.stdout.on('data', (c) => out.push(c));
    child.stderr.on('data', (c) => err.push(c));
    child.on('error', reject);
    child.on('close', (code) => resolve({
      code,
      lines: Buffer.concat(out).toString('utf8').split('\n').filter((l) => l !== ''),
      stderr: Buffer.concat(err).toString('utf8'),
    }));
    child.stdin.end(lines.map((l) => (typeof l === 'string' ? l : JSON.stringify(l))).join('\n') + '\n');
  });
}

test('big ints pass through args and results digit for digit', async () => {
  const { code, lines } = await batch([
    { op: 'register_lambda', name: 'id', code: 'lambda *a: [a, type(a[0]).__name__]' },
    '{"op": "apply_lambda", "name": "id", "args": [18446744073709551617, -170141183460469231731687303715884105728, 1.5]}',
    { op: 'register_lambda', name: 'big', code: 'lambda: 2 ** 64' },
    { op: 'apply_lambda', name: 'big' },
  ]);
  assert.equal(code, 0);
  assert.deepEqual(lines, [
    '{"tag":"ok","value":"id"}',
    '{"tag":"ok","value":[[18446744073709551617,-170141183460469231731687303715884105728,1.5],"int"]}',
    '{"tag":"ok","value":"big"}',
    '{"tag":"ok","value":18446744073709551616}',
  ]);
});

test('bad requests get InvalidRequest and the batch goes on', async () => {
  const { code, lines } = await batch([
    'this is not json',
    '{"op": "register_lambda", "name": "one", "code": "lambda: 1"',
    '[1, 2]',
    { op: 'frobnicate', name: 'x' },
    { name: 'no op' },
    { op: 'apply_lambda' },
    { op: 'register_lambda', name: 'x' },
    { op: 'apply_lambda', name: 'x', args_text: 5 },
    '',
    { op: 'register_lambda', name: 'one', code: 'lambda: 1' },
    { op: 'apply_lambda', name: 'one' },
  ]);
  assert.equal(code, 0);
  assert.equal(lines.length, 10, 'one line per request; blank lines are skipped');
  for (const line of lines.slice(0, 8)) {
    const result = JSON.parse(line);
    assert.equal(result.tag, 'err', line);
    assert.equal(result.error.type, 'InvalidRequest', line);
    assert.equal(typeof result.error.message, 'string');
  }
  assert.match(JSON.parse(lines[3]).error.message, /frobnicate/);
  assert.deepEqual(lines.slice(8), ['{"tag":"ok","value":"one"}', '{"tag":"ok","value":1}']);
});

test('args_text is passed raw; missing args mean []', async () => {
  const { lines } = await batch([
    { op: 'register_lambda', name: 'n', code: 'lambda *a, **k: [len(a), sorted(k)]' },
    { op: 'apply_lambda', name: 'n' },
    { op: 'apply_lambda', name: 'n', args: { z: 1, a: 2 } },
    { op: 'apply_lambda', name: 'n', args: [1], args_text: '[1, 2, 3]' },
    { op: 'apply_lambda', name: 'n', args_text: '[1, 2' },
    { op: 'apply_lambda', name: 'n', args: 'a string' },
    '  {"op": "apply_lambda", "name": "n", "args": [18446744073709551616]}  \r',
  ]);
  assert.deepEqual(lines.slice(1, 4), [
    '{"tag":"ok","value":[0,[]]}',
    '{"tag":"ok","value":[0,["a","z"]]}',
    '{"tag":"ok","value":[3,[]]}',
  ]);
  assert.equal(JSON.parse(lines[4]).error.type, 'InvalidArgs');
  assert.equal(JSON.parse(lines[5]).error.type, 'InvalidArgs');
  assert.equal(lines[6], '{"tag":"ok","value":[1,[]]}', 'whitespace and CR around a line');
});

test('what Python prints goes to stderr; stdout holds only result lines', async () => {
  const { lines, stderr } = await batch([
    { op: 'register_def', name: 'talk', code: 'import sys\n\ndef talk():\n    print(\'{"tag": "fake"}\')\n    print("partial", end="")\n    sys.stderr.write("to stderr\\n")\n    return "done"\n' },
    { op: 'apply_def', name: 'talk' },
    { op: 'apply_def', name: 'talk' },
  ]);
  assert.deepEqual(lines, ['{"tag":"ok","value":"talk"}', '{"tag":"ok","value":"done"}', '{"tag":"ok","value":"done"}']);
  assert.equal(stderr.split('{"tag": "fake"}').length - 1, 2);
  assert.match(stderr, /partial/);
  assert.match(stderr, /to stderr/);
});

test('a trap is an err line, and later lines see every registration', async () => {
  const { code, lines } = await batch([
    { op: 'register_module', name: 'm', code: 'X = 41\n' },
    { op: 'register_def', name: 'f', code: 'import m\n\ndef f():\n    return m.X + 1\n' },
    { op: 'register_lambda', name: 'abort', code: "lambda: __import__('os').abort()" },
    { op: 'apply_lambda', name: 'abort' },
    { op: 'apply_def', name: 'f' },
  ]);
  assert.equal(code, 0);
  const trap = JSON.parse(lines[3]);
  assert.equal(trap.tag, 'err');
  assert.equal(trap.error.type, 'Trap');
  assert.equal(lines[4], '{"tag":"ok","value":42}');
});

test('a guest err line keeps the guest text (traceback included)', async () => {
  const { lines } = await batch([
    { op: 'register_def', name: 'bad', code: 'def bad():\n    raise ValueError("nope")\n' },
    { op: 'apply_def', name: 'bad' },
  ]);
  const { error } = JSON.parse(lines[1]);
  assert.equal(error.type, 'ValueError');
  assert.equal(error.message, 'nope');
  assert.match(error.traceback, /ValueError: nope/);
});

test('usage errors exit 2 with a message on stderr', async () => {
  const missing = await batch([], '--wasm', '/nonexistent/guest.wasm');
  assert.equal(missing.code, 2);
  assert.match(missing.stderr, /nonexistent/);
  const unknown = await batch([], '--frobnicate', '1');
  assert.equal(unknown.code, 2);
  assert.match(unknown.stderr, /unknown option --frobnicate/);
});

test('--env reaches the guest; --dir, --env and --isolation reject bad values', async () => {
  const { code, lines } = await batch([
    { op: 'register_lambda', name: 'env', code: 'lambda: sorted(__import__("os").environ.items())' },
    { op: 'apply_lambda', name: 'env' },
  ], '--env', 'GREETING=hi=there', '--env', 'EMPTY=');
  assert.equal(code, 0);
  assert.equal(lines[1], '{"tag":"ok","value":[["EMPTY",""],["GREETING","hi=there"]]}');
  for (const [flag, value, message] of [['--env', 'NOEQUALS', /--env takes NAME=VALUE/],
    ['--env', '=x', /--env takes NAME=VALUE/], ['--dir', ':/guest', /--dir takes HOST\[:GUEST\]/],
    ['--isolation', 'thread', /unknown option --isolation thread/]]) {
    const bad = await batch([], flag, value);
    assert.equal(bad.code, 2, `${flag} ${value}`);
    assert.match(bad.stderr, message);
  }
});
