// Shared by the *.test.mjs files; they run under `node --test` and `deno test`.

import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { Buffer } from 'node:buffer';
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';
import process from 'node:process';
import { Reactor, PythonError } from '../../hosts/js/reactor.mjs';

export const REPO = fileURLToPath(new URL('../..', import.meta.url));
export const WASM_PATH = join(REPO, 'build', 'python-reactor.wasm');
export const isDeno = typeof globalThis.Deno !== 'undefined';

let compiled;
/** The guest, compiled once per test file. */
export function wasmModule() {
  compiled ??= readFile(WASM_PATH).then((bytes) => WebAssembly.compile(bytes));
  return compiled;
}

/** argv that runs hosts/js/cli.mjs under the runtime running the tests. */
export function cliCommand(...args) {
  const cli = join(REPO, 'hosts', 'js', 'cli.mjs');
  if (!isDeno) return [process.execPath, cli, ...args];
  const readable = `${join(REPO, 'hosts', 'js')},${WASM_PATH}`;
  return [process.execPath, 'run', '--no-prompt', `--allow-read=${readable}`, cli, ...args];
}

export const utf8 = (text) => new TextEncoder().encode(text);

/**
 * Runs `argv` with `input` (a string or bytes) on stdin and an empty
 * environment (the hosts need none; under Deno, reading ours would need
 * --allow-env). Resolves to {code, stdout, lines, stderr}, `lines` being
 * stdout's non-empty lines.
 */
export function runProcess(argv, input) {
  const [command, ...args] = argv;
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { stdio: ['pipe', 'pipe', 'pipe'], env: {} });
    const out = [];
    const err = [];
    child.stdout.on('data', (c) => out.push(c));
    child.stderr.on('data', (c) => err.push(c));
    child.on('error', reject);
    child.on('close', (code) => {
      const stdout = Buffer.concat(out).toString('utf8');
      resolve({ code, stdout, lines: stdout.split('\n').filter((l) => l !== ''), stderr: Buffer.concat(err).toString('utf8') });
    });
    child.stdin.on('error', () => {}); // a host that exits before reading it all: its code says why
    child.stdin.end(input);
  });
}

/** Runs `body` with a Reactor on the test module, closing it in any case. */
export async function withReactor(options, body) {
  const reactor = await Reactor.load({ wasm: await wasmModule(), ...options });
  try {
    return await body(reactor);
  } finally {
    await reactor.close();
  }
}

/** Asserts that `promise` rejects with a PythonError of `type`. */
export async function rejectsWith(promise, type, pattern) {
  await assert.rejects(promise, (error) => {
    assert.ok(error instanceof PythonError, `not a PythonError: ${error}`);
    assert.equal(error.type, type, `${error.type}: ${error.message}`);
    if (pattern) assert.match(error.message, pattern);
    return true;
  });
}

/** Code that never ends by itself, by the way it keeps the guest busy. */
export const RUNAWAY = {
  'a busy loop': 'def f():\n    while True:\n        pass\n',
  'a long sleep': 'import time\ndef f():\n    time.sleep(3600)\n',
  'a long C-level loop': 'def f():\n    return sum(range(10**12))\n',
  'catastrophic regex backtracking': 'import re\ndef f():\n    return bool(re.match(r"(a+)+$", "a" * 64 + "b"))\n',
};
