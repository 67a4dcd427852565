// `--host-function NAME=COMMAND` of cli.mjs (ABI.md, "Batch protocol"):
// the POSIX-shell word splitter, the command run per call, and the CLI's
// handling of both (usage errors; a command outliving --timeout-ms).

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import process from 'node:process';
import { splitWords, ShellSyntaxError, commandHostFunction, STDERR_START_BYTES } from '../../hosts/js/host-command.mjs';
import { REPO, WASM_PATH, isDeno } from './helpers.mjs';

test('splitWords splits as a POSIX shell does', () => {
  const cases = [
    ['cat', ['cat']],
    ['  a  b\tc\n', ['a', 'b', 'c']],
    ["sh -c 'echo nope >&2; exit 3'", ['sh', '-c', 'echo nope >&2; exit 3']],
    [`a'b'"c"d`, ['abcd']],
    ["''", ['']],
    ['a "" b', ['a', '', 'b']],
    ['"a\\"b\\\\c\\$d\\`e"', ['a"b\\c$d`e']],
    ['"a\\nb"', ['a\\nb']], // in double quotes a backslash before n stays
    ["'a\\nb'", ['a\\nb']], // in single quotes everything stays
    ['a\\ b', ['a b']],
    ['a\\\nb', ['ab']], // backslash-newline: removed
    ['"x\\\ny"', ['xy']],
    ["'it'\\''s'", ["it's"]],
    ['x=1 a#b jq .[0] *.txt', ['x=1', 'a#b', 'jq', '.[0]', '*.txt']], // no globbing, # only starts a comment at a word's start
    ['', []],
    ['ü "😀 x"', ['ü', '😀 x']],
  ];
  for (const [text, words] of cases) assert.deepEqual(splitWords(text), words, JSON.stringify(text));
  assert.deepEqual(splitWords("'$'\\$"), ['$$']);
});

test('splitWords refuses what a shell would expand or treat as an operator, and open quotes', () => {
  const bad = ['a | b', 'a;b', 'a&', 'a>b', 'a<b', '(x)', '$HOME', 'echo `id`', '"$x"', '"`id`"',
    '#comment', '~/bin/x', "'open", '"open', 'end\\'];
  for (const text of bad) assert.throws(() => splitWords(text), ShellSyntaxError, JSON.stringify(text));
});

/** Runs a command host function once, as host-functions.mjs would. */
function runCommand(argv, argsText, signal = new AbortController().signal) {
  return commandHostFunction(argv)(argsText, { name: 'test', signal });
}

test('a command host function: stdin is the args text, stdout the reply; failures are errors with stderr\'s start', async () => {
  assert.equal(await runCommand(['cat'], '[1, "ü", 18446744073709551617]'), '[1, "ü", 18446744073709551617]');
  assert.equal(await runCommand(['sh', '-c', 'printf " {\\"a\\": 1}\\n"'], '[]'), ' {"a": 1}\n');
  await assert.rejects(runCommand(['sh', '-c', 'echo nope >&2; exit 3'], '[]'), (error) => {
    assert.equal(error.message, 'nope');
    assert.equal(error.type, undefined, 'type HostError, the default');
    return true;
  });
  await assert.rejects(runCommand(['sh', '-c', 'echo not json'], '[]'), /sh printed what is not a JSON value: "not json\\n"/);
  await assert.rejects(runCommand(['sh', '-c', 'echo why >&2; echo not json'], '[]'), /^Error: why$/);
  await assert.rejects(runCommand(['sh', '-c', 'exit 4'], '[]'), /sh ended with exit status 4 and printed nothing to stderr/);
  await assert.rejects(runCommand(['sh', '-c', 'head -c 100000 /dev/zero | tr "\\0" e >&2; exit 1'], '[]'),
    (error) => error.message === 'e'.repeat(STDERR_START_BYTES));
  await assert.rejects(runCommand(['no-such-command-here'], '[]'), /cannot run no-such-command-here/);
  // A command that does not read its stdin is no error.
  assert.equal(await runCommand(['sh', '-c', 'echo 7'], 'x'.repeat(1 << 20)), '7\n');
  // Given up (the call's time limit): killed at once.
  const controller = new AbortController();
  const t0 = performance.now();
  const slow = runCommand(['sleep', '30'], '[]', controller.signal);
  setTimeout(() => controller.abort(new Error('the call took longer than 10 ms')), 100);
  await assert.rejects(slow);
  assert.ok(performance.now() - t0 < 5000, 'sleep 30 was not killed');
});

/** argv of cli.mjs under the runtime running the tests, allowed to run the commands the tests use
 *  (by their full paths: the CLI runs with an empty environment, no PATH for Deno to find them in). */
function cliWithCommands(...args) {
  const cli = join(REPO, 'hosts', 'js', 'cli.mjs');
  if (!isDeno) return [process.execPath, cli, ...args];
  return [process.execPath, 'run', '--no-prompt', `--allow-read=${join(REPO, 'hosts', 'js')},${WASM_PATH}`,
    `--allow-run=${process.execPath},/usr/bin/cat,/usr/bin/sleep`, '--allow-env=NODE_V8_COVERAGE', cli, ...args];
}

/** Runs the CLI on `input`; resolves to {code, stdout, stderr, ms}. */
function runCli(argv, input) {
  return new Promise((resolve) => {
    const t0 = performance.now();
    const child = spawn(argv[0], argv.slice(1), { stdio: ['pipe', 'pipe', 'pipe'], env: {} });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk) => { stdout += chunk; });
    child.stderr.on('data', (chunk) => { stderr += chunk; });
    child.on('close', (code) => resolve({ code, stdout, stderr, ms: performance.now() - t0 }));
    child.stdin.end(input);
  });
}

test('cli.mjs --host-function: usage errors', async () => {
  const bad = [
    [['--host-function', 'nocommand'], /--host-function takes NAME=COMMAND/],
    [['--host-function', '=cat'], /--host-function takes NAME=COMMAND/],
    [['--host-function', 'f='], /--host-function f: the command is empty/],
    [['--host-function', "f=cat 'x"], /--host-function f: the ' at 4 is never closed/],
    [['--host-function', 'f=cat | wc'], /--host-function f: \| at 4 would mean more than a character to a shell/],
    [['--host-function', 'f=/usr/bin/cat', '--host-function', 'f=/usr/bin/cat'], /--host-function: f is given twice/],
    [['--parent-function', 'f'], /--parent-function is for --child only/],
  ];
  for (const [args, pattern] of bad) {
    const { code, stderr } = await runCli(cliWithCommands(...args, 'batch'), '');
    assert.equal(code, 2, args.join(' '));
    assert.match(stderr, pattern);
  }
});

test('cli.mjs --host-function: a command that outlives --timeout-ms is killed, the batch goes on and ends', async () => {
  const lines = [
    { op: 'register_def', name: 'slow', code: 'import reactor\ndef slow():\n    return reactor.host.slow()\n' },
    { op: 'apply_def', name: 'slow' },
    { op: 'register_def', name: 'echo', code: 'import reactor\ndef echo(*a):\n    return reactor.host.echo(*a)\n' },
    '{"op": "apply_def", "name": "echo", "args": [18446744073709551617]}',
  ].map((line) => `${typeof line === 'string' ? line : JSON.stringify(line)}\n`).join('');
  for (const isolation of ['worker', 'process']) {
    const argv = cliWithCommands('batch', '--isolation', isolation, '--timeout-ms', '1500',
      '--host-function', 'slow=/usr/bin/sleep 30', '--host-function', 'echo=/usr/bin/cat');
    const { code, stdout, ms } = await runCli(argv, lines);
    assert.equal(code, 0, isolation);
    const out = stdout.trim().split('\n');
    assert.equal(JSON.parse(out[1]).error.type, 'Timeout', isolation);
    assert.equal(out[3], '{"tag":"ok","value":[18446744073709551617]}', isolation);
    assert.ok(ms < 15_000, `${isolation}: the batch took ${ms} ms: sleep 30 was left running`);
  }
});
