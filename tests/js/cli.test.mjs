// Tests of hosts/js/cli.mjs (batch and call modes, --help, --version), run
// as a child process under the same runtime as the tests (Node, or Deno with
// its permissions). The call mode is checked against the native host's
// `pyreactor call` where that may be run.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { REPO, cliCommand, isDeno, runProcess } from './helpers.mjs';

/** Runs the CLI with `argv` and the request `lines` (objects or text) on
 *  stdin; under Deno with read and write permission on `dirs` too. */
function runCli(argv, lines = [], dirs = []) {
  const command = cliCommand(...argv).map((arg) => (isDeno && arg.startsWith('--allow-read=') && dirs.length
    ? `${arg},${dirs.join(',')} --allow-write=${dirs.join(',')}`.split(' ') : arg)).flat();
  return runProcess(command, lines.map((l) => (typeof l === 'string' ? l : JSON.stringify(l))).join('\n') + '\n');
}

const batch = (lines, ...args) => runCli(['batch', ...args], lines);

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
    ['--isolation', 'thread', /--isolation takes worker or process, got "thread"/]]) {
    const bad = await batch([], flag, value);
    assert.equal(bad.code, 2, `${flag} ${value}`);
    assert.match(bad.stderr, message);
  }
});

const cli = (...argv) => runCli(argv);

test('--help describes every option and exits 0', async () => {
  for (const argv of [['--help'], ['batch', '--help'], ['-h'], ['call', '--help']]) {
    const { code, stdout } = await cli(...argv);
    assert.equal(code, 0, argv.join(' '));
    for (const option of ['--dir HOST[:GUEST][:ro|:rw]', '--env', '--timeout-ms', '--memory-mb', '--stack-size-mb',
      '--wasm', '--isolation worker|process', '--host-function NAME=COMMAND', '--child', '--parent-function',
      '--version', '--help', 'batch', 'call FILE.py FUNC [ARGS_JSON]', 'exit status']) {
      assert.ok(stdout.includes(option), `${option} in --help`);
    }
  }
});

test('options go before or after batch, as the ABI says', async () => {
  const requests = [{ op: 'register_lambda', name: 'env', code: 'lambda: __import__("os").environ["A"]' }, { op: 'apply_lambda', name: 'env' }];
  const { code, lines } = await runCli(['--env', 'A=before', '--timeout-ms', '5000', 'batch', '--memory-mb', '256'], requests);
  assert.equal(code, 0);
  assert.equal(lines[1], '{"tag":"ok","value":"before"}');
});

test('usage mistakes say what is wrong, with exit status 2', async () => {
  for (const [argv, message] of [
    [['batch', 'extra'], /batch takes no arguments/],
    [['batch', '--timeout-ms'], /--timeout-ms needs a value/],
    [['batch', '--timeout-ms', '1e3'], /--timeout-ms takes a whole number from 1 to 2147483647, got "1e3"/],
    [['batch', '--timeout-ms', '0'], /--timeout-ms takes a whole number/],
    [['batch', '--memory-mb', '4097'], /--memory-mb takes a whole number from 1 to 4096, got "4097"/],
    [['batch', '--stack-size-mb', '-1'], /--stack-size-mb takes a whole number/],
    [['batch', '--wasm', ''], /--wasm takes a file path/],
    [[], /missing command \(batch or call\)/],
    [['run'], /unknown command run/],
    [['call'], /call needs FILE.py FUNC \[ARGS_JSON\]/],
    [['call', 'f.py'], /call needs FILE.py FUNC \[ARGS_JSON\]/],
    [['call', 'f.py', 'f', '[]', 'extra'], /too many arguments: extra/],
    [['call', 'f.py', 'f', '--child'], /--child is for batch only/],
    [['batch', '--frobnicate', '1'], /unknown option --frobnicate/],
    [['batch', '--dir', 'a:/x', '--dir', 'b:/x'], /guest path "\/x" is granted twice/],
  ]) {
    const { code, stderr } = await cli(...argv);
    assert.equal(code, 2, argv.join(' '));
    assert.match(stderr, message, argv.join(' '));
    if (!/needs a value/.test(message.source)) assert.doesNotMatch(stderr, /needs a value/, argv.join(' '));
  }
});

test('--dir takes exactly HOST[:GUEST][:ro|:rw]; anything else is refused', async () => {
  for (const spec of ['data:/d:RO', 'data:/d:readonly', 'data:RO', 'data:readonly', 'data:/d:ro:x', 'data:/d:', ':/d',
    'data:', 'data::ro', '', 'data:relative']) {
    const { code, stderr } = await cli('batch', '--dir', spec);
    assert.equal(code, 2, spec);
    assert.ok(stderr.includes(`--dir takes HOST[:GUEST][:ro|:rw], got "${spec}"`), `${spec}: ${stderr}`);
  }
});

test('--dir HOST:GUEST:ro is a read-only grant at GUEST; :rw and no mode are writable', async () => {
  const dir = await mkdtemp(join(REPO, 'build', 'cli-grants-'));
  try {
    await writeFile(join(dir, 'note.txt'), 'hello');
    const look = 'import os\ndef look(path):\n    text = open(path + "/note.txt").read()\n    try:\n'
      + '        open(path + "/new.txt", "w").close()\n        wrote = True\n    except OSError as e:\n'
      + '        wrote = e.__class__.__name__\n    return [text, wrote, os.path.exists("/d:ro")]\n';
    for (const [spec, guest, wrote] of [[`${dir}:/d:ro`, '/d', 'OSError'], [`${dir}:/w:rw`, '/w', true],
      [`${dir}:/v`, '/v', true], [`${dir}:ro`, dir, 'OSError']]) {
      await rm(join(dir, 'new.txt'), { force: true });
      const { code, lines, stderr } = await runCli(['batch', '--dir', spec], [
        { op: 'register_def', name: 'look', code: look },
        { op: 'apply_def', name: 'look', args: [guest] },
      ], [dir]);
      assert.equal(code, 0, stderr);
      assert.deepEqual(JSON.parse(lines[1]), { tag: 'ok', value: ['hello', wrote, false] }, spec);
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

// ---- --version and call

const NATIVE = join(REPO, 'build', 'pyreactor');
const nativeRuns = () => existsSync(NATIVE)
  && (!isDeno || globalThis.Deno.permissions.querySync({ name: 'run', command: NATIVE }).state === 'granted');

test('--version prints the release and the ABI version, before or after a command, and exits 0', async () => {
  for (const argv of [['--version'], ['batch', '--version'], ['--env', 'A=1', '--version']]) {
    const { code, stdout, stderr } = await cli(...argv);
    assert.equal(code, 0, stderr);
    assert.equal(stdout, 'python-wasi-reactor 0.1.0 (ABI 2)\n');
  }
});

test('the release is package.json\'s version and the native PYREACTOR_VERSION', { skip: isDeno && 'reads the repository root' }, async () => {
  const { VERSION } = await import('../../hosts/js/version.mjs');
  assert.equal(VERSION, JSON.parse(await readFile(join(REPO, 'package.json'), 'utf8')).version);
  // the native host's, once its header has one (it is being added alongside)
  const native = (await readFile(join(REPO, 'include', 'pyreactor.h'), 'utf8')).match(/#define PYREACTOR_VERSION "([^"]*)"/)?.[1];
  if (native !== undefined) assert.equal(VERSION, native);
});

const CALL_FILE = `import sys
def main(a, b=2):
    print("hi")
    print("to err", file=sys.stderr)
    return a + b
def boom():
    raise ValueError("bad")
def bare():
    raise ValueError()
def big():
    return [2 ** 70, "\u00e9"]
def crash():
    import os
    os.abort()
`;

/** [argv after `call FILE`, exit status, stdout, stderr (a RegExp, or the exact text)]. */
const CALLS = [
  [['main', '[1, 2]'], 0, '3\n', /^(to err\nhi\n|hi\nto err\n)$/],
  [['main', '{"a": 5}'], 0, '7\n', /to err/],
  [['main'], 1, '', "TypeError: main() missing 1 required positional argument: 'a'\nTypeError: main() missing 1 required positional argument: 'a'\n"],
  [['boom'], 1, '', 'ValueError: bad\nTraceback (most recent call last):\n  File "<module mod>", line 7, in boom\nValueError: bad\n'],
  [['bare'], 1, '', 'ValueError: \nTraceback (most recent call last):\n  File "<module mod>", line 9, in bare\nValueError\n'],
  [['big'], 0, '[1180591620717411303424,"\u00e9"]\n', ''],
  [['main', '[1'], 1, '', /^InvalidArgs: args are not valid JSON/],
  [['main', '5'], 1, '', 'InvalidArgs: args must be a JSON array or object, not int\n'],
  [['nofunc'], 1, '', "NotRegistered: no def named 'mod.nofunc': 'mod' has no attribute 'nofunc'\n"],
  [['crash'], 3, '', /^Trap: /],
];

async function withCallFile(body) {
  const dir = await mkdtemp(join(REPO, 'build', 'cli-call-'));
  try {
    await writeFile(join(dir, 'mod.py'), CALL_FILE);
    await writeFile(join(dir, 'broken.py'), 'def f(:\n');
    return await body(dir);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

test('call FILE.py FUNC [ARGS_JSON]: the result on stdout, errors on stderr, exit status 0, 1 or 3', async () => {
  await withCallFile(async (dir) => {
    const file = join(dir, 'mod.py');
    for (const [rest, status, stdout, stderr] of CALLS) {
      const got = await runCli(['call', file, ...rest], [], [dir]);
      const what = `call ${rest.join(' ')}: ${got.stderr}`;
      assert.equal(got.code, status, what);
      assert.equal(got.stdout, stdout, what);
      if (stderr instanceof RegExp) assert.match(got.stderr, stderr, what);
      else assert.equal(got.stderr, stderr, what);
    }
    // options after the mode, a time limit (exit status 3), the process isolation
    if (!isDeno) { // under Deno the process isolation needs --allow-run, which runCli does not give
      const isolated = await runCli(['call', file, 'main', '[1]', '--timeout-ms', '20000', '--isolation', 'process'], [], [dir]);
      assert.equal(isolated.code, 0, isolated.stderr);
      assert.equal(isolated.stdout, '3\n');
    }
    await writeFile(join(dir, 'spin.py'), 'import time\ndef f():\n    time.sleep(3600)\n');
    const late = await runCli(['--timeout-ms', '300', 'call', join(dir, 'spin.py'), 'f'], [], [dir]);
    assert.equal(late.code, 3, late.stderr);
    assert.equal(late.stderr, 'Timeout: the call took longer than 300 ms\n');
    // a module that does not compile: the Python error of the registration
    const broken = await runCli(['call', join(dir, 'broken.py'), 'f'], [], [dir]);
    assert.equal(broken.code, 1, broken.stderr);
    assert.match(broken.stderr, /^SyntaxError: /);
    // a file that cannot be read: a usage error (2), as in the native host
    const missing = await runCli(['call', join(dir, 'nope.py'), 'f'], [], [dir]);
    assert.equal(missing.code, 2);
    assert.equal(missing.stderr, `cli.mjs: cannot read ${join(dir, 'nope.py')}: No such file or directory\n`);
    // a module that cannot be loaded: 3
    const noWasm = await runCli(['--wasm', join(dir, 'none.wasm'), 'call', file, 'main', '[1]'], [], [dir]);
    assert.equal(noWasm.code, 3, noWasm.stderr);
  });
});

test('call answers as the native pyreactor call does: stdout, stderr and exit status', { skip: !nativeRuns() && 'build/pyreactor cannot be run here' }, async () => {
  await withCallFile(async (dir) => {
    const file = join(dir, 'mod.py');
    for (const [rest] of CALLS) {
      const js = await runCli(['call', file, ...rest], [], [dir]);
      const native = await runProcess([NATIVE, 'call', file, ...rest], '');
      const what = `call ${rest.join(' ')}`;
      assert.equal(js.code, native.code, what);
      assert.equal(js.stdout, native.stdout, what);
      // the trap's message is each host's own; everything else is the same text
      if (rest[0] === 'crash') assert.match(native.stderr, /^Trap: /);
      else assert.equal(js.stderr.split('\n').sort().join('\n'), native.stderr.split('\n').sort().join('\n'), what);
    }
  });
});
