// build/pyreactor-deno: options as the native command takes them, before or
// after the mode; usage errors; guest output on stderr; grants; commands.

import assert from 'node:assert/strict';
import { launch, resultLines } from './helpers.ts';

const lines = (...requests: unknown[]) => requests.map((r) => JSON.stringify(r)).join('\n') + '\n';

Deno.test('cli: --help and --version', async () => {
  const help = await launch(['--help']);
  assert.equal(help.code, 0);
  assert.match(help.stdout, /^usage: pyreactor-deno \[OPTIONS\] batch\n.*call FILE.py FUNC \[ARGS_JSON\]/);
  for (const flag of ['--dir', '--env', '--timeout-ms', '--memory-mb', '--stack-size-mb', '--host-function', '--version']) {
    assert.ok(help.stdout.includes(flag), flag);
  }
  const version = await launch(['batch', '--version']);
  assert.equal(version.code, 0);
  assert.match(version.stdout, /^python-wasi-reactor \d+\.\d+\.\d+ \(ABI 2\)\n$/);
});

Deno.test('cli: usage errors exit 2 and say why', async () => {
  const cases: [string[], RegExp][] = [
    [[], /missing command \(batch or call\)/],
    [['run'], /unknown command "run"/],
    [['batch', 'extra'], /batch takes no arguments/],
    [['call', 'f.py'], /call needs FILE.py FUNC \[ARGS_JSON\]/],
    [['call', '/nonexistent-deno-ffi.py', 'f'], /cannot read \/nonexistent-deno-ffi.py/],
    [['batch', '--bogus'], /unknown option --bogus/],
    [['batch', '--timeout-ms'], /--timeout-ms needs a value/],
    [['batch', '--timeout-ms', '0'], /--timeout-ms takes a whole number from 1 to 2147483647, got "0"/],
    [['batch', '--memory-mb', '4097'], /--memory-mb takes a whole number from 1 to 4096/],
    [['batch', '--stack-size-mb', '1x'], /--stack-size-mb/],
    [['batch', '--dir', '/tmp:RO'], /--dir takes HOST\[:GUEST\]\[:ro\|:rw\], got "\/tmp:RO"/],
    [['batch', '--env', '=x'], /--env takes NAME=VALUE/],
    [['batch', '--host-function', 'f=echo "unclosed'], /--host-function f: the " at 5 is never closed/],
    [['batch', '--host-function', 'f=a | b'], /--host-function f:/],
    [['batch', '--memory-mb', '5'], /memory_limit 5 MiB is below/],
  ];
  for (const [args, pattern] of cases) {
    const { code, stdout, stderr } = await launch(args);
    assert.equal(code, 2, `${args.join(' ')}: ${stderr}`);
    assert.equal(stdout, '');
    assert.match(stderr, pattern);
  }
});

Deno.test('cli: batch answers each line; guest output on stderr only; options after the mode', async () => {
  const { code, stdout, stderr } = await launch(['batch', '--env', 'WHO=deno', '--timeout-ms', '2000'], lines(
    { op: 'register_lambda', name: 'sq', code: 'lambda x: x*x' },
    { op: 'apply_lambda', name: 'sq', args: [12] },
    { op: 'run', code: 'import os\nprint("printed")\nos.environ["WHO"]' },
    { op: 'apply_lambda', name: 'sq', args_text: '[18446744073709551616]' },
    { op: 'run', code: 'while True: pass' },
    { op: 'apply_lambda', name: 'sq', args: [3] },
  ) + '\n{"op":"nope"}\nnot json\n');
  assert.equal(code, 0);
  assert.match(stderr, /printed\n/);
  assert.ok(!stdout.includes('printed'));
  const out = stdout.trim().split('\n');
  assert.equal(out[3], '{"tag":"ok","value":340282366920938463463374607431768211456}'); // exact
  const parsed = resultLines(stdout);
  assert.deepEqual(parsed.slice(0, 3), [{ tag: 'ok', value: 'sq' }, { tag: 'ok', value: 144 }, { tag: 'ok', value: 'deno' }]);
  assert.equal(parsed[4].error.type, 'Timeout');
  assert.deepEqual(parsed[5], { tag: 'ok', value: 9 });
  assert.deepEqual(parsed[6].error, { type: 'InvalidRequest', message: 'unknown op: "nope"' });
  assert.deepEqual(parsed[7].error, { type: 'InvalidRequest', message: 'not valid JSON: unexpected input at byte 0' });
  assert.equal(parsed.length, 8);
});

Deno.test('cli: --dir grants, read-only and writable; --host-function runs a command', async () => {
  const ro = await Deno.makeTempDir({ prefix: 'deno-ffi-cli-ro-' });
  const rw = await Deno.makeTempDir({ prefix: 'deno-ffi-cli-rw-' });
  try {
    await Deno.writeTextFile(`${ro}/in.txt`, 'data');
    const { code, stdout } = await launch([
      '--dir', `${ro}:/ro:ro`, '--dir', `${rw}:/rw`, 'batch', '--host-function', 'upper=tr a-z A-Z',
      '--host-function', "fail=sh -c 'echo nope >&2; exit 3'",
    ], lines(
      { op: 'run', code: 'open("/ro/in.txt").read()' },
      { op: 'run', code: 'open("/ro/x", "w")' },
      { op: 'run', code: 'open("/rw/x", "w").write("ok")' },
      { op: 'run', code: 'import reactor\nreactor.host.upper("shout")' },
      { op: 'run', code: 'reactor.host.fail()' },
    ));
    assert.equal(code, 0);
    const [read, refused, written, upper, fail] = resultLines(stdout);
    assert.deepEqual(read, { tag: 'ok', value: 'data' });
    assert.equal(refused.error.type, 'OSError');
    assert.deepEqual(written, { tag: 'ok', value: 2 });
    assert.deepEqual(upper, { tag: 'ok', value: ['SHOUT'] });
    assert.equal(fail.error.type, 'HostError');
    assert.equal(fail.error.message, 'nope');
    assert.equal(await Deno.readTextFile(`${rw}/x`), 'ok');
  } finally {
    await Deno.remove(ro, { recursive: true });
    await Deno.remove(rw, { recursive: true });
  }
});

Deno.test('cli: a grant that cannot be opened exits 3', async () => {
  const { code, stderr } = await launch(['batch', '--dir', '/nonexistent-deno-ffi:/x'], lines({ op: 'init' }));
  assert.equal(code, 3, stderr);
  assert.match(stderr, /cannot start/);
});

Deno.test('cli: call FILE.py FUNC [ARGS_JSON] prints the value alone; exit 1 for a Python error, 3 for a timeout', async () => {
  const file = await Deno.makeTempFile({ prefix: 'deno_ffi_', suffix: '.py' });
  try {
    await Deno.writeTextFile(file, 'def main(a, b=2):\n    print("side")\n    return a * b * 10**20\n'
      + 'def bad():\n    return 1/0\ndef spin():\n    while True:\n        pass\n');
    const ok = await launch(['call', file, 'main', '[3]']);
    assert.deepEqual([ok.code, ok.stdout, ok.stderr], [0, '600000000000000000000\n', 'side\n']);
    const keywords = await launch(['--timeout-ms', '5000', 'call', file, 'main', '{"a": 1, "b": 1}', '--memory-mb', '100']);
    assert.equal(keywords.stdout, '100000000000000000000\n');
    const bad = await launch(['call', file, 'bad']);
    assert.equal(bad.code, 1);
    assert.equal(bad.stdout, '');
    assert.match(bad.stderr, /^ZeroDivisionError: division by zero\nTraceback/);
    const spin = await launch(['call', file, 'spin', '--timeout-ms', '200']);
    assert.equal(spin.code, 3);
    assert.match(spin.stderr, /^Timeout: /);
  } finally {
    await Deno.remove(file);
  }
});
