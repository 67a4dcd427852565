// The instance's fds 0-2 are its own (ABI.md, "The sandbox"): through the
// worker Reactor and the in-thread Guest, guest code that reads stdin gets
// end of file, and guest code that closes fds 0, 1 and 2 leaves the host
// process's own stdin, stdout and stderr open. With node:wasi the second
// closed the process's real fds: the host's next open got fd 0.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { closeSync, fstatSync, openSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { Reactor } from '../../hosts/js/reactor.mjs';
import { Guest } from '../../hosts/js/guest.mjs';

const WASM = new URL('../../build/python-reactor.wasm', import.meta.url);
const CLOSER = `import os, sys

def closer():
    got = sys.stdin.read()
    for fd in (0, 1, 2):
        os.close(fd)
    return got
`;

/** The host's fds 0-2 are open, and a new file does not take one of their numbers. */
function assertHostStdioIntact() {
  for (const fd of [0, 1, 2]) assert.ok(fstatSync(fd), `host fd ${fd} is open`);
  const fd = openSync(new URL('../../hosts/js/guest.mjs', import.meta.url), 'r');
  closeSync(fd);
  assert.ok(fd > 2, `a new host file got fd ${fd}`);
}

test('Reactor: guest stdin is empty and closing fds 0-2 closes nothing of the host', async () => {
  const r = await Reactor.load({ stdout: 'ignore', stderr: 'ignore' });
  try {
    await r.registerDef('closer', CLOSER);
    assert.equal(await r.applyDef('closer', []), '');
    assertHostStdioIntact();
    await r.registerLambda('alive', 'lambda: "alive"');
    assert.equal(await r.applyLambda('alive', []), 'alive');
  } finally {
    await r.close();
  }
  assertHostStdioIntact();
});

test('Reactor: stdin given as bytes is the guest\'s, and only that', async () => {
  const r = await Reactor.load({ stdin: 'one\ntwo\n', stdout: 'ignore' });
  try {
    await r.registerDef('lines', 'import sys\ndef lines():\n    return sys.stdin.read().split()\n');
    assert.deepEqual(await r.applyDef('lines', []), ['one', 'two']);
    assert.deepEqual(await r.applyDef('lines', []), []);
  } finally {
    await r.close();
  }
});

test('Guest in-thread: the same', async () => {
  const module = await WebAssembly.compile(await readFile(WASM));
  const out = [];
  const g = await Guest.create(module, { stdout: (b) => out.push(b), stderr: 'ignore' });
  assert.equal(g.call('register_def', 'closer', CLOSER).tag, 'ok');
  assert.deepEqual(g.call('apply_def', 'closer', '[]'), { tag: 'ok', text: '""' });
  assertHostStdioIntact();
  assert.equal(g.call('register_lambda', 'p', 'lambda: print("after") or 1').tag, 'ok');
  assert.deepEqual(g.call('apply_lambda', 'p', '[]'), { tag: 'ok', text: '1' });
  assert.equal(out.length, 0, 'fd 1 is closed in the instance: nothing reaches the sink');
  g.close();
});
