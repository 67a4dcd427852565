#!/usr/bin/env node
// Conformance runner for any host's batch mode:
//
//   node tests/js/run-vectors.mjs --name NAME [--vectors DIR|FILE.jsonl]... [--no-shared]
//        [--timeout SECONDS] -- HOST COMMAND...
//
// Runs every *.jsonl of ../shared/vectors (from the repo root), of each
// --vectors DIR, and each --vectors FILE.jsonl, each file on one fresh host
// process, and checks every result line against the request's `expect` (see
// shared/vectors/README.md). Prints
// one line per failure, then `vectors[NAME]: N passed, N failed`, and writes
// `build/test-results/vectors-NAME.count` holding "passed failed".

import { spawn } from 'node:child_process';
import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import { join, resolve, basename, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import process from 'node:process';
import { objectMembers, parseExact } from '../../hosts/js/json-text.mjs';
import { jsonEqual, showValue } from './json-equal.mjs';

const REPO = resolve(fileURLToPath(new URL('../..', import.meta.url)));
const SHARED_VECTORS = resolve(REPO, '../shared/vectors');

function parseArgs(argv) {
  const split = argv.indexOf('--');
  if (split < 0 || split === argv.length - 1) throw new Error('missing `-- HOST COMMAND...`');
  const options = { name: null, dirs: [], shared: true, timeout: 600, command: argv.slice(split + 1) };
  const flags = argv.slice(0, split);
  for (let i = 0; i < flags.length; i++) {
    const flag = flags[i];
    if (flag === '--no-shared') { options.shared = false; continue; }
    const value = flags[++i];
    if (value === undefined) throw new Error(`${flag} needs a value`);
    if (flag === '--name') options.name = value;
    else if (flag === '--vectors') options.dirs.push(resolve(value));
    else if (flag === '--timeout') options.timeout = Number(value);
    else throw new Error(`unknown option ${flag}`);
  }
  if (!options.name || !/^[\w.-]+$/.test(options.name)) throw new Error('--name NAME ([A-Za-z0-9_.-]) is required');
  if (options.shared) options.dirs.unshift(SHARED_VECTORS);
  return options;
}

/** Every *.jsonl of each directory, in name order; a .jsonl file itself. */
async function vectorFiles(dirs) {
  const files = [];
  for (const dir of dirs) {
    if (dir.endsWith('.jsonl')) {
      files.push(dir);
      continue;
    }
    const names = (await readdir(dir)).filter((n) => n.endsWith('.jsonl')).sort();
    files.push(...names.map((n) => join(dir, n)));
  }
  return files;
}

/** Splits one vector line into the request to send and its expectation. */
function parseVector(text) {
  JSON.parse(text); // rejects invalid lines before the lenient tokenizer sees them
  const members = objectMembers(text);
  const expectRaw = members.findLast((m) => m.key === 'expect')?.raw;
  if (expectRaw === undefined) throw new Error('no "expect"');
  // Rebuilt from raw member texts, so big ints in args reach the host intact.
  const request = `{${members.filter((m) => m.key !== 'expect')
    .map((m) => `${JSON.stringify(m.key)}:${m.raw}`).join(',')}}`;
  const { op, name } = JSON.parse(text);
  return { request, expect: parseExact(expectRaw), label: `${op ?? '?'} ${name ?? ''}`.trim() };
}

/** Runs the host on the requests; resolves to its stdout lines, stderr and status. */
function runHost(command, input, timeoutSeconds) {
  return new Promise((resolvePromise) => {
    const child = spawn(command[0], command.slice(1), { cwd: REPO, stdio: ['pipe', 'pipe', 'pipe'] });
    const out = [];
    const err = [];
    let timedOut = false;
    const timer = setTimeout(() => { timedOut = true; child.kill('SIGKILL'); }, timeoutSeconds * 1000);
    child.stdout.on('data', (chunk) => out.push(chunk));
    child.stderr.on('data', (chunk) => err.push(chunk));
    child.stdin.on('error', () => {}); // a host that dies early closes its stdin
    child.on('error', (error) => err.push(Buffer.from(`cannot run host: ${error.message}\n`)));
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      const stdout = Buffer.concat(out).toString('utf8');
      const lines = stdout.split('\n');
      if (lines.at(-1) === '') lines.pop();
      resolvePromise({ lines, stderr: Buffer.concat(err).toString('utf8'), code, signal, timedOut });
    });
    child.stdin.end(input);
  });
}

/** Returns null when `line` meets `expect`, else what differed. */
export function check(line, expect) {
  let result;
  try {
    JSON.parse(line);
    result = parseExact(line);
  } catch {
    return `output is not valid JSON: ${line.slice(0, 300)}`;
  }
  if (!(result instanceof Map)) return `output is not an object: ${line.slice(0, 300)}`;
  const tag = expect.get('tag');
  if (result.get('tag') !== tag) return `expected tag ${tag}, got ${line.slice(0, 300)}`;
  if (tag === 'ok') {
    if (!expect.has('value')) return null;
    if (!result.has('value')) return 'ok without a value';
    return jsonEqual(result.get('value'), expect.get('value'))
      ? null
      : `expected value ${showValue(expect.get('value'))}, got ${showValue(result.get('value'))}`;
  }
  return checkError(result.get('error'), expect, line);
}

function checkError(error, expect, line) {
  if (!(error instanceof Map)) return `err without an error object: ${line.slice(0, 300)}`;
  const type = error.get('type');
  const message = error.get('message');
  if (expect.has('type')) {
    const allowed = [expect.get('type')].flat();
    if (!allowed.includes(type)) {
      return `expected error type ${allowed.join(' or ')}, got ${type}: ${String(message).slice(0, 200)}`;
    }
  }
  if (expect.has('message_contains')) {
    const needle = expect.get('message_contains');
    if (typeof message !== 'string' || !message.includes(needle)) {
      return `expected message containing ${JSON.stringify(needle)}, got ${JSON.stringify(message)?.slice(0, 200)}`;
    }
  }
  return null;
}

async function runFile(file, options, report) {
  const text = await readFile(file, 'utf8');
  const vectors = [];
  text.split('\n').forEach((line, index) => {
    if (line.trim() === '') return;
    const where = `${relative(process.cwd(), file)}:${index + 1}`;
    try {
      vectors.push({ where, ...parseVector(line) });
    } catch (error) {
      report.fail(where, `bad vector line: ${error.message}`);
    }
  });
  const input = vectors.map((v) => `${v.request}\n`).join('');
  const run = await runHost(options.command, input, options.timeout);
  let failedHere = false;
  vectors.forEach((vector, i) => {
    const line = run.lines[i];
    const why = line === undefined ? 'no output line' : check(line, vector.expect);
    if (why) {
      failedHere = true;
      // A host that stopped early fails every later line: show a few only.
      const quiet = line === undefined && i >= run.lines.length + 3;
      report.fail(vector.where, `${vector.label}: ${why}`, quiet);
    } else {
      report.passed++;
    }
  });
  const silent = vectors.length - Math.max(run.lines.length + 3, 0);
  if (silent > 0) console.log(`FAIL ${basename(file)}: ... and ${silent} more lines without output`);
  if (run.lines.length > vectors.length) {
    failedHere = true;
    report.fail(`${basename(file)}`, `${run.lines.length - vectors.length} extra output lines`);
  }
  const abnormal = run.timedOut || run.signal || run.code !== 0;
  if (abnormal || failedHere) {
    const status = run.timedOut ? `timed out after ${options.timeout}s` : run.signal ? `killed by ${run.signal}` : `exit code ${run.code}`;
    const stderr = run.stderr.trimEnd();
    console.log(`  ${basename(file)}: host ${status}; ${stderr ? 'last stderr lines:' : 'no stderr'}`);
    if (stderr) for (const l of stderr.split('\n').slice(-15)) console.log(`    | ${l.slice(0, 300)}`);
  }
}

async function main() {
  const options = parseArgs(process.argv.slice(2));
  const report = {
    passed: 0,
    failed: 0,
    fail(where, why, quiet = false) {
      this.failed++;
      if (!quiet) console.log(`FAIL ${where}: ${why}`);
    },
  };
  const files = await vectorFiles(options.dirs);
  for (const file of files) await runFile(file, options, report);
  console.log(`vectors[${options.name}]: ${report.passed} passed, ${report.failed} failed`);
  const resultsDir = join(REPO, 'build', 'test-results');
  await mkdir(resultsDir, { recursive: true });
  await writeFile(join(resultsDir, `vectors-${options.name}.count`), `${report.passed} ${report.failed}\n`);
  if (report.failed > 0 || report.passed === 0) process.exitCode = 1;
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  main().catch((error) => {
    console.error(`run-vectors: ${error.message}`);
    process.exitCode = 2;
  });
}
