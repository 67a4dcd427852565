#!/usr/bin/env node
// Command-line host: `cli.mjs batch [OPTIONS]` implements the batch protocol
// of the ABI (JSON Lines in on stdin, one result line out per request). Runs
// under Node and Deno; see README.md for Deno's flags and permissions.
// `--isolation process` runs the instance in a child process (this command
// again, through process-reactor.mjs), which a timeout kills: under Deno the
// one way to stop runaway code for certain.

import process from 'node:process';
import { Reactor, PythonError, OPS } from './reactor.mjs';
import { ProcessReactor } from './process-reactor.mjs';
import { memberText } from './json-text.mjs';
import { readLines } from './lines.mjs';

const USAGE = 'usage: cli.mjs batch [--wasm PATH] [--stack-size-mb N] [--timeout-ms N] [--memory-mb N]\n'
  + '                     [--dir HOST[:GUEST]]... [--env NAME=VALUE]... [--isolation worker|process]';

function positive(flag, value) {
  const n = Number(value);
  if (!Number.isInteger(n) || n <= 0) throw new Error(`${flag} takes a positive whole number\n${USAGE}`);
  return n;
}

function parseArgs(argv) {
  const [command, ...rest] = argv;
  if (command !== 'batch') throw new Error(USAGE);
  const options = {};
  for (let i = 0; i < rest.length; i++) {
    const flag = rest[i];
    const value = rest[++i];
    if (value === undefined) throw new Error(`${flag} needs a value\n${USAGE}`);
    if (flag === '--wasm') options.wasm = value;
    else if (flag === '--stack-size-mb') options.stackSizeMb = positive(flag, value);
    else if (flag === '--timeout-ms') options.timeoutMs = positive(flag, value);
    else if (flag === '--memory-mb') options.memoryMb = positive(flag, value);
    else if (flag === '--dir') addPreopen(options, value);
    else if (flag === '--env') addEnv(options, value);
    else if (flag === '--isolation' && (value === 'worker' || value === 'process')) options.isolation = value;
    else throw new Error(`unknown option ${flag} ${value}\n${USAGE}`);
  }
  return options;
}

function addPreopen(options, value) {
  const colon = value.indexOf(':');
  const host = colon < 0 ? value : value.slice(0, colon);
  const guest = colon < 0 ? value : value.slice(colon + 1);
  if (!host || !guest) throw new Error(`--dir takes HOST[:GUEST]\n${USAGE}`);
  options.preopens = { ...options.preopens, [guest]: host };
}

function addEnv(options, value) {
  const eq = value.indexOf('=');
  if (eq <= 0) throw new Error(`--env takes NAME=VALUE\n${USAGE}`);
  options.env = { ...options.env, [value.slice(0, eq)]: value.slice(eq + 1) };
}

const errLine = (error) => JSON.stringify({ tag: 'err', error });
const invalid = (message) => errLine({ type: 'InvalidRequest', message });

class InvalidRequest extends Error {}

/** What to hand to Reactor.call for one parsed request line. */
function requestFrom(line, request) {
  if (request === null || typeof request !== 'object' || Array.isArray(request)) {
    throw new InvalidRequest('a request must be a JSON object');
  }
  const { op } = request;
  if (typeof op !== 'string' || !Object.hasOwn(OPS, op)) {
    throw new InvalidRequest(`unknown op: ${JSON.stringify(op) ?? 'missing'}`);
  }
  const kind = OPS[op];
  if (kind !== 'none' && kind !== 'cell' && typeof request.name !== 'string') {
    throw new InvalidRequest(`${op} needs "name", a string`);
  }
  const withCode = kind === 'code' || kind === 'cell';
  if (withCode && typeof request.code !== 'string') {
    throw new InvalidRequest(`${op} needs "code", a string`);
  }
  return { op, name: request.name, payload: withCode ? request.code : argsText(line, request, kind) };
}

/** The args text exactly as the line wrote it: JSON.parse would round big ints. */
function argsText(line, request, kind) {
  if (kind !== 'args') return undefined;
  if (Object.hasOwn(request, 'args_text')) {
    if (typeof request.args_text !== 'string') throw new InvalidRequest('"args_text" must be a string');
    return request.args_text;
  }
  return Object.hasOwn(request, 'args') ? memberText(line, 'args') : '[]';
}

/** The output line for a guest result; its text goes in unchanged. */
function resultLine({ tag, text }) {
  try {
    JSON.parse(text); // a line must stay one valid JSON value
  } catch (error) {
    return errLine({ type: 'InvalidResult', message: `the guest returned invalid JSON (${error.message}): ${text.slice(0, 200)}` });
  }
  return tag === 'ok' ? `{"tag":"ok","value":${text}}` : `{"tag":"err","error":${text}}`;
}

async function handle(reactor, line) {
  let request;
  try {
    request = JSON.parse(line);
  } catch (error) {
    return invalid(`not valid JSON: ${error.message}`);
  }
  try {
    const { op, name, payload } = requestFrom(line, request);
    return resultLine(await reactor.call(op, name, payload));
  } catch (error) {
    if (error instanceof InvalidRequest) return invalid(error.message);
    if (error instanceof PythonError) {
      return errLine({ type: error.type, message: error.message, traceback: error.traceback });
    }
    // e.g. the instance could not be rebuilt: say so, and go on with the batch
    return errLine({ type: 'HostError', message: error?.message ?? String(error) });
  }
}

async function batch(options) {
  // User output goes to stderr so that stdout holds only result lines.
  const { isolation, ...rest } = options;
  const reactor = isolation === 'process'
    ? await ProcessReactor.load({ ...rest, output: 'inherit' })
    : await Reactor.load({ ...rest, stdout: 'stderr', stderr: 'stderr' });
  try {
    for await (const line of readLines(process.stdin)) {
      if (line.trim() === '') continue;
      process.stdout.write(`${await handle(reactor, line)}\n`);
    }
  } finally {
    await reactor.close();
  }
}

try {
  await batch(parseArgs(process.argv.slice(2)));
} catch (error) {
  process.stderr.write(`${error?.message ?? error}\n`);
  process.exitCode = 2;
}
