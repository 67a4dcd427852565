// Where the guest's output goes: the sinks (functions, 'ignore', the
// default: this process's stderr), and per-call output ({ output: true }).

import assert from 'node:assert/strict';
import { PythonError } from '../../hosts/deno/mod.ts';
import { rejection, runScript, withReactor } from './helpers.ts';

const text = (chunks: Uint8Array[]) => new TextDecoder().decode(new Uint8Array(chunks.flatMap((c) => [...c])));

Deno.test('output sinks: each stream to its function, before the call\'s result', async () => {
  const out: Uint8Array[] = [];
  const err: Uint8Array[] = [];
  await withReactor({ stdout: (b) => out.push(b), stderr: (b) => err.push(b) }, async (r) => {
    await r.run('import sys\nprint("to stdout")\nsys.stderr.write("to stderr\\n")');
    assert.equal(text(out), 'to stdout\n');
    assert.equal(text(err), 'to stderr\n');
    await r.run('print("é" * 3)');
    assert.equal(text(out), 'to stdout\nééé\n');
    assert.equal(text(err), 'to stderr\n');
  });
});

/** Runs `code` in a child Deno whose reactor has `options`: its stdout and stderr. */
async function child(options: string, code: string): Promise<{ stdout: string; stderr: string }> {
  const { code: status, stdout, stderr } = await runScript(`import { Reactor } from 'MOD';
const r = await Reactor.load({ libPath: LIB, ...${options} });
await r.run(${JSON.stringify(code)});
await r.close();
`);
  assert.equal(status, 0, stderr);
  return { stdout, stderr };
}

const PRINT_BOTH = 'import sys\nprint("OUT-LINE")\nsys.stderr.write("ERR-LINE\\n")';

Deno.test('output: by default both streams go to this process\'s stderr, never its stdout', async () => {
  const { stdout, stderr } = await child('{}', PRINT_BOTH);
  assert.equal(stdout, '');
  assert.match(stderr, /OUT-LINE\n/);
  assert.match(stderr, /ERR-LINE\n/);
});

Deno.test('output: \'inherit\' keeps each stream on its own fd, \'ignore\' drops it', async () => {
  const inherit = await child('{ stdout: "inherit", stderr: "inherit" }', PRINT_BOTH);
  assert.equal(inherit.stdout, 'OUT-LINE\n');
  assert.equal(inherit.stderr, 'ERR-LINE\n');
  const ignored = await child('{ stdout: "ignore", stderr: "ignore" }', PRINT_BOTH);
  assert.deepEqual(ignored, { stdout: '', stderr: '' });
});

Deno.test('per-call output: { output: true } returns what the call printed, and only that call', async () => {
  const out: Uint8Array[] = [];
  await withReactor({ stdout: (b) => out.push(b), stderr: (b) => out.push(b) }, async (r) => {
    if (!r.canCaptureOutput) {
      // An older library: refused clearly, never silently without output.
      const e = await rejection(r.run('1', { output: true }), TypeError);
      assert.match(e.message, /pyreactor_set_capture/);
      return;
    }
    await r.run('print("before")');
    const got = await r.run('import sys\nprint("one")\nsys.stderr.write("two")\n42', { output: true });
    assert.deepEqual(got, { value: 42, stdout: 'one\n', stderr: 'two', stdoutTruncated: false, stderrTruncated: false });
    assert.equal(text(out), 'before\n'); // captured output does not reach the sinks
    await r.registerLambda('p', 'lambda x: print(x) or x');
    const raw = await r.applyLambdaRaw('p', '[7]', { output: true });
    assert.deepEqual(raw, { value: { tag: 'ok', text: '7' }, stdout: '7\n', stderr: '', stdoutTruncated: false, stderrTruncated: false });
    const e = await rejection(r.run('print("partial")\n1/0', { output: true }), PythonError);
    assert.equal(e.type, 'ZeroDivisionError');
    assert.equal((e as PythonError & { stdout?: string }).stdout, 'partial\n');
    assert.equal(await r.run('print("after")'), null); // capture is per call
    assert.equal(text(out), 'before\nafter\n');
    await rejection(r.run('1', { output: 1 } as never), TypeError);
    await rejection(r.run('1', { outptu: true } as never), TypeError);
  });
});
