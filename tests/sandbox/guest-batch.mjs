#!/usr/bin/env node
// The in-thread Guest (hosts/js/guest.mjs) as a batch host, for the sandbox
// suite: the batch protocol of ABI.md on stdin/stdout, with the instance
// running on this process's main thread (no worker, no child process).
// Run as a process of its own so that whatever the guest does to "its"
// stdin/stdout/stderr is done to this process, not to the runner.
//
//   node tests/sandbox/guest-batch.mjs [--wasm PATH] [--dir HOST[:GUEST][:ro|:rw]]... [--env NAME=VALUE]...
//
// A trap rebuilds the instance and replays the registrations (answering
// `Trap`), as the other hosts do. No time limit: an in-thread guest cannot
// be stopped.

import { readFileSync } from 'node:fs';
import process from 'node:process';
import { Guest, GuestTrap } from '../../hosts/js/guest.mjs';
import { readLines } from '../../hosts/js/lines.mjs';

const REPO = new URL('../../', import.meta.url);

function parseArgs(argv) {
  const options = { wasm: new URL('build/python-reactor.wasm', REPO), env: {}, preopens: {}, readOnly: [] };
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i];
    if (flag === 'batch') continue;
    const value = argv[++i];
    if (value === undefined) throw new Error(`${flag} needs a value`);
    if (flag === '--wasm') options.wasm = value;
    else if (flag === '--env') {
      const eq = value.indexOf('=');
      if (eq <= 0) throw new Error('--env takes NAME=VALUE');
      options.env[value.slice(0, eq)] = value.slice(eq + 1);
    } else if (flag === '--dir') {
      const parts = value.split(':');
      let access = 'rw';
      if (parts.length > 1 && (parts.at(-1) === 'ro' || parts.at(-1) === 'rw')) access = parts.pop();
      const [host, guest = host] = parts;
      options.preopens[guest] = access === 'ro' ? { path: host, readOnly: true } : host;
    } else throw new Error(`unknown option ${flag}`);
  }
  return options;
}

const OPS = new Set(['init', 'register_lambda', 'register_def', 'register_module', 'unregister_lambda',
  'unregister_def', 'unregister_module', 'apply_lambda', 'apply_def']);

function requestOf(line) {
  const request = JSON.parse(line);
  if (request === null || typeof request !== 'object' || !OPS.has(request.op)) throw new SyntaxError('not a request');
  const { op, name } = request;
  let payload;
  if (op.startsWith('register_')) payload = request.code;
  else if (op.startsWith('apply_')) payload = request.args_text ?? JSON.stringify(request.args ?? []);
  return { op, name, payload };
}

function answer({ tag, text }) {
  return tag === 'ok' ? `{"tag":"ok","value":${text}}` : `{"tag":"err","error":${text}}`;
}

const errLine = (type, message) => JSON.stringify({ tag: 'err', error: { type, message } });

async function main() {
  const options = parseArgs(process.argv.slice(2));
  const module = await WebAssembly.compile(readFileSync(options.wasm));
  const guestOptions = { env: options.env, preopens: options.preopens, stdout: 'stderr', stderr: 'stderr' };
  const create = async () => {
    try {
      return await Guest.create(module, guestOptions);
    } catch (error) {
      // A Guest that takes only host paths as preopens: say so (the
      // read-only probes then show what it means) and grant read-write.
      const plain = Object.fromEntries(Object.entries(guestOptions.preopens)
        .map(([guest, host]) => [guest, typeof host === 'string' ? host : host.path]));
      if (JSON.stringify(plain) === JSON.stringify(guestOptions.preopens)) throw error;
      process.stderr.write(`guest-batch: Guest.create refused {path, readOnly} preopens (${error.message}); `
        + 'granting them read-write\n');
      guestOptions.preopens = plain;
      return Guest.create(module, guestOptions);
    }
  };
  let guest = await create();
  const log = []; // successful registrations, replayed into a new instance
  for await (const line of readLines(process.stdin)) {
    if (line.trim() === '') continue;
    let request;
    try {
      request = requestOf(line);
    } catch (error) {
      process.stdout.write(`${errLine('InvalidRequest', error.message)}\n`);
      continue;
    }
    let out;
    try {
      const result = guest.call(request.op, request.name, request.payload);
      if (result.tag === 'ok' && /^(un)?register_/.test(request.op)) log.push(request);
      out = answer(result);
    } catch (error) {
      if (!(error instanceof GuestTrap)) throw error;
      guest = await create();
      for (const r of log) guest.call(r.op, r.name, r.payload);
      out = errLine('Trap', error.message);
    }
    process.stdout.write(`${out}\n`);
  }
}

main().catch((error) => {
  process.stderr.write(`guest-batch: ${error?.stack ?? error}\n`);
  process.exitCode = 2;
});
