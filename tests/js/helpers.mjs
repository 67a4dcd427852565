// Shared by the *.test.mjs files; they run under `node --test` and `deno test`.

import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';
import process from 'node:process';

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
