#!/usr/bin/env node
// The sandbox suite (ABI.md, "The sandbox"; issue 12): every probe of
// tests/sandbox/probes, a few cases of the runner's own, and
// ../shared/vectors/v2/sandbox.jsonl, run against every host the project
// ships, each with the fixture's grants and with nothing granted.
//
//   node tests/sandbox/run.mjs [--host NAME]... [--grants yes|no] [--jobs N]
//                              [--table yes] [--update docs/reliability.md] [--js-root DIR]
//
// Prints one line per failed (host, grants, probe), one summary line per
// host session, and last `sandbox: N passed, N failed`. `--update FILE`
// rewrites the table between FILE's sandbox-table markers (only after a
// run of every host, both ways); `--table yes` prints it. README.md says what each part checks.

import { spawn } from 'node:child_process';
import { readdirSync, readFileSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { randomUUID } from 'node:crypto';
import process from 'node:process';
import {
  makeFixture, removeFixture, snapshot, checkHostSide, swapInLinks, unblockFifos, escapeMarks,
} from './fixture.mjs';
import { check } from '../js/run-vectors.mjs';
import { parseExact } from '../../hosts/js/json-text.mjs';

const REPO = resolve(fileURLToPath(new URL('../..', import.meta.url)));
const PROBES = join(REPO, 'tests/sandbox/probes');
const VECTORS = resolve(REPO, '../shared/vectors/v2/sandbox.jsonl');
const DENO = join(REPO, 'node_modules/.bin/deno');

/** How long a host may take to start (compile the module) and answer one request. */
const START_MS = 90_000;
const STEP_MS = 15_000;
/** --timeout-ms for the hosts that take one: a guest stuck in the host ends as Timeout. */
const HOST_LIMIT_MS = 10_000;
/** After this long without an answer the runner unblocks the fixture's FIFOs. */
const UNBLOCK_AFTER_MS = 1500;
const BIG = 250_000; // characters of the request sent right after stdin_eof's

// ------------------------------------------------------------------ hosts --

/** The fixture's grants, as every host's command line takes them. */
function grantArgs(fix) {
  return fix ? ['--dir', `${fix}/rw:/rw`, '--dir', `${fix}/ro:/ro:ro`, '--env', 'GRANTED=yes'] : [];
}

/**
 * Deno's command line, permissions and all, in one place: read on the host's
 * files and the module; with grants, read on both granted directories and
 * write on the read-write one. `child`: the host starts itself again
 * (ProcessReactor), which needs --allow-run on Deno and NODE_V8_COVERAGE.
 */
function denoRun(fix, { child = false } = {}) {
  const read = ['hosts/js', 'build/python-reactor.wasm'];
  const args = [DENO, 'run', '--no-prompt', '--v8-flags=--stack-size=7680'];
  if (fix) {
    read.push(`${fix}/rw`, `${fix}/ro`);
    args.push(`--allow-write=${fix}/rw`);
  }
  args.push(`--allow-read=${read.join(',')}`);
  if (child) args.push(`--allow-run=${realpathSync(DENO)}`, '--allow-env=NODE_V8_COVERAGE');
  return args;
}

const limit = ['--timeout-ms', String(HOST_LIMIT_MS)];
/** Where the JS hosts run from: this tree, or (--js-root) another one, e.g.
 *  an older commit's hosts/js and tests/sandbox with build/ linked in, to
 *  see a probe fail on the code before a fix. */
let jsRoot = REPO;
const cwdOf = (host) => (host.onLibrary ? REPO : jsRoot);
const node = process.execPath;

/** Every host the project ships, as a batch command for a fixture (or null: no grants). */
const HOSTS = [
  { name: 'native', title: 'native', onLibrary: true, command: (fix) => ['build/pyreactor', 'batch', ...limit, ...grantArgs(fix)] },
  // The hosts on libpyreactor.so: Python (ctypes) and Deno (FFI).
  {
    name: 'python', title: 'Python (ctypes)', onLibrary: true,
    command: (fix) => ['build/pyreactor-python', 'batch', ...limit, ...grantArgs(fix)],
  },
  {
    name: 'deno-ffi', title: 'Deno FFI', onLibrary: true,
    command: (fix) => ['build/pyreactor-deno', 'batch', ...limit, ...grantArgs(fix)],
  },
  { name: 'node', title: 'Node worker', command: (fix) => [node, 'hosts/js/cli.mjs', 'batch', ...limit, ...grantArgs(fix)] },
  {
    name: 'node-inthread', title: 'Node in-thread Guest',
    command: (fix) => [node, 'tests/sandbox/guest-batch.mjs', 'batch', ...grantArgs(fix)],
  },
  {
    name: 'node-process', title: 'Node ProcessReactor',
    command: (fix) => [node, 'hosts/js/cli.mjs', 'batch', '--isolation', 'process', ...limit, ...grantArgs(fix)],
  },
  { name: 'deno', title: 'Deno worker', command: (fix) => [...denoRun(fix), 'hosts/js/cli.mjs', 'batch', ...limit, ...grantArgs(fix)] },
  {
    name: 'deno-process', title: 'Deno ProcessReactor',
    command: (fix) => [...denoRun(fix, { child: true }), 'hosts/js/cli.mjs', 'batch', '--isolation', 'process',
      ...limit, ...grantArgs(fix)],
  },
];

class HostGone extends Error {}

/** One host process speaking the batch protocol, driven a request at a time. */
class Host {
  constructor(argv, cwd = REPO) {
    this.argv = argv;
    this.child = spawn(argv[0], argv.slice(1), {
      cwd,
      stdio: ['pipe', 'pipe', 'pipe'],
      detached: true, // its own process group: a ProcessReactor's children go with it
      env: { ...process.env, PYREACTOR_HOST_SECRET: 'leak' },
    });
    this.lines = [];
    this.pending = '';
    this.stderr = '';
    this.ended = null; // how it ended, once it has
    this.wake = null;
    this.decoder = new TextDecoder();
    this.child.stdout.on('data', (chunk) => {
      this.pending += this.decoder.decode(chunk, { stream: true });
      const parts = this.pending.split('\n');
      this.pending = parts.pop();
      this.lines.push(...parts);
      this.wake?.();
    });
    this.child.stderr.on('data', (chunk) => {
      if (this.stderr.length < 4e6) this.stderr += chunk.toString('utf8');
    });
    this.child.stdin.on('error', () => {}); // a host that died: 'close' says so
    this.closed = new Promise((resolveClosed) => {
      this.child.on('error', (error) => {
        this.ended ??= `could not start: ${error.message}`;
        this.wake?.();
        resolveClosed();
      });
      this.child.on('close', (code, signal) => {
        this.ended ??= signal ? `killed by ${signal}` : `exited with code ${code}`;
        this.wake?.();
        resolveClosed();
      });
    });
  }

  /**
   * Writes `requests` (one write: a host still reading its input finds all
   * of them there) and resolves to their answers, parsed. Throws HostGone
   * when the host ends or does not answer within `ms`; `whileWaiting` runs
   * every second once an answer is late.
   */
  async ask(requests, ms = STEP_MS, whileWaiting = null) {
    this.child.stdin.write(requests.map((r) => `${typeof r === 'string' ? r : JSON.stringify(r)}\n`).join(''));
    const answers = [];
    const start = Date.now();
    let nudged = start;
    while (answers.length < requests.length) {
      if (this.lines.length) {
        const line = this.lines.shift();
        try {
          answers.push(JSON.parse(line));
        } catch {
          throw new HostGone(`wrote a line that is not JSON on stdout: ${line.slice(0, 120)}`);
        }
        continue;
      }
      if (this.ended) throw new HostGone(`the host ${this.ended}`);
      const now = Date.now();
      if (now - start > ms) throw new HostGone(`no answer within ${ms / 1000} s`);
      if (whileWaiting && now - start > UNBLOCK_AFTER_MS && now - nudged > 1000) {
        nudged = now;
        whileWaiting();
      }
      await new Promise((resolveWait) => {
        const timer = setTimeout(resolveWait, 250);
        this.wake = () => { clearTimeout(timer); resolveWait(); };
      });
      this.wake = null;
    }
    return answers;
  }

  kill() {
    try {
      process.kill(-this.child.pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }

  /** Ends its input, waits a little for it to finish, kills it otherwise. */
  async close(ms = 10_000) {
    this.child.stdin.end();
    const timer = setTimeout(() => this.kill(), ms);
    await this.closed;
    clearTimeout(timer);
    this.kill(); // children left behind in its group
  }

  stderrTail(n = 6) {
    return this.stderr.trimEnd().split('\n').slice(-n).map((l) => l.slice(0, 240));
  }
}

// ----------------------------------------------------------------- probes --

/** The runner's helper module: proves the instance works and was not replaced. */
const HELPER = `import os
TOKEN = os.urandom(8).hex()


def health(x):
    return [x + 22, TOKEN]


def size(text):
    return len(text)
`;

/** Probes in the order they run: stdin_eof first, stdio_close last. */
function loadProbes() {
  const names = readdirSync(PROBES).filter((n) => n.endsWith('.py')).map((n) => n.slice(0, -3)).sort();
  const order = (n) => (n === 'stdin_eof' ? 0 : n === 'stdio_close' ? 2 : 1);
  names.sort((a, b) => order(a) - order(b));
  return names.map((name) => {
    const code = readFileSync(join(PROBES, `${name}.py`), 'utf8');
    return { name, code, outcome: /^def outcome\(/m.test(code), after: /^def after\(/m.test(code) };
  });
}

const PROC_EXIT = `import _imp
import importlib.machinery


def proc_exit():
    posix = _imp.create_builtin(importlib.machinery.ModuleSpec('posix', None))
    posix._exit(3)
`;

/** What an answer says, short. */
function said(answer) {
  if (answer?.tag === 'ok') return typeof answer.value === 'string' ? answer.value : JSON.stringify(answer.value);
  if (answer?.tag === 'err') return `err ${answer.error?.type}: ${String(answer.error?.message ?? '').split('\n')[0]}`;
  return JSON.stringify(answer);
}

const isOk = (answer, value) => answer?.tag === 'ok' && JSON.stringify(answer.value) === JSON.stringify(value);

/** A failure of one step: what the cell and the failure line say. */
class Failed extends Error {}

/**
 * One host with one grant setting: a fresh fixture, every probe on one
 * host process (restarted if it dies or hangs), the runner's own cases,
 * then the host-side check. Returns Map(row -> {ok, cell, why}).
 */
async function session(host, granted, probes) {
  const rows = new Map();
  const fix = makeFixture();
  const before = snapshot(fix);
  const marksBefore = new Set(escapeMarks());
  const marker = `sandbox-marker-${randomUUID()}`;
  const args = [granted];
  let h = null;
  let token = null;
  const stderrs = [];
  const rescue = () => unblockFifos(fix);

  const start = async () => {
    if (h) stderrs.push(h.stderr);
    h = new Host(host.command(granted ? fix : null), cwdOf(host));
    const [reg] = await h.ask([{ op: 'register_module', name: '_sbx', code: HELPER }], START_MS);
    if (!isOk(reg, '_sbx')) throw new HostGone(`cannot register the helper: ${said(reg)}`);
    token = await health(true);
  };
  /** The helper's answer; checks that the instance is the same one unless told otherwise. */
  const health = async (newInstance = false) => {
    const [answer] = await h.ask([{ op: 'apply_def', name: '_sbx.health', args: [20] }]);
    if (answer?.tag !== 'ok' || answer.value?.[0] !== 42) throw new Failed(`instance unhealthy afterwards: ${said(answer)}`);
    if (!newInstance && token !== null && answer.value[1] !== token) {
      token = answer.value[1]; // only this probe fails for it
      throw new Failed('the instance was replaced (a trap or a dead child) though nothing should have trapped');
    }
    return answer.value[1];
  };
  const apply = async (name, callArgs = args, ms = STEP_MS) => {
    const [answer] = await h.ask([{ op: 'apply_def', name, args: callArgs }], ms, rescue);
    return answer;
  };
  const expectTrue = (answer, what) => {
    if (!isOk(answer, true)) throw new Failed(`${what}${said(answer)}`);
  };
  let broken = null; // why the host could not be started, once it could not

  const run = async (row, body) => {
    if (broken) {
      rows.set(row, { ok: false, cell: 'FAIL: not run, the host does not start', why: `not run: ${broken}`, notRun: true });
      return;
    }
    let starting = false;
    try {
      if (h === null) {
        starting = true;
        await start();
        starting = false;
      }
      const cell = await body();
      rows.set(row, { ok: true, cell: cell ?? 'ok' });
    } catch (error) {
      if (!(error instanceof Failed) && !(error instanceof HostGone)) throw error;
      let why = error.message;
      if (error instanceof Failed) {
        // The instance may have been replaced (a Timeout, a dead child):
        // take its token now, so that only this probe fails for it.
        try {
          token = await health(true);
        } catch {
          // the next probe's check says what is wrong
        }
      }
      if (error instanceof HostGone) {
        why = `${why} (host restarted)`;
        const tail = h?.stderrTail() ?? [];
        if (tail.length) why += `; its stderr ended: ${tail.join(' | ')}`;
        h?.kill();
        await h?.closed;
        if (h) stderrs.push(h.stderr);
        h = null;
        if (starting) broken = why;
      }
      rows.set(row, { ok: false, cell: `FAIL: ${error.message}`, why });
    }
  };

  for (const probe of probes) {
    await run(probe.name, async () => {
      const [reg] = await h.ask([{ op: 'register_module', name: probe.name, code: probe.code }]);
      if (!isOk(reg, probe.name)) throw new Failed(`register_module: ${said(reg)}`);
      if (probe.name === 'stdin_eof') {
        // The big request goes in the same write: a host that hands its own
        // stdin to the guest has it unread in the pipe while the probe runs.
        const big = JSON.stringify({ op: 'apply_def', name: '_sbx.size', args: ['y'.repeat(BIG)] });
        const [answer, sized] = await h.ask([{ op: 'apply_def', name: 'stdin_eof.probe', args }, big], STEP_MS, rescue);
        expectTrue(answer, '');
        if (!isOk(sized, BIG)) throw new Failed(`the ${BIG / 1000} KB request after it got ${said(sized).slice(0, 150)}`);
      } else {
        expectTrue(await apply(`${probe.name}.probe`), '');
      }
      if (probe.after) {
        if (probe.name === 'swap_link') swapInLinks(fix);
        expectTrue(await apply(`${probe.name}.after`), 'after the swap: ');
      }
      let cell;
      if (probe.outcome) {
        const out = await apply(`${probe.name}.outcome`, []);
        cell = out?.tag === 'ok' ? String(out.value) : `outcome: ${said(out)}`;
      }
      await health();
      return cell;
    });
  }

  // The runner's own cases. A raw proc_exit (through a fresh posix module)
  // traps: the host lives on and rebuilds the instance (ABI.md, Traps).
  await run('proc_exit', async () => {
    const [reg] = await h.ask([{ op: 'register_def', name: 'proc_exit', code: PROC_EXIT }]);
    if (!isOk(reg, 'proc_exit')) throw new Failed(`register_def: ${said(reg)}`);
    const answer = await apply('proc_exit', []);
    if (answer?.tag !== 'err' || answer.error?.type !== 'Trap') throw new Failed(`want err Trap, got ${said(answer)}`);
    token = await health(true);
    return 'Trap, instance rebuilt';
  });
  // After stdio_close and that rebuild: output of the guest still reaches
  // the host's stderr (checked once the host has ended).
  await run('output_after_close', async () => {
    const code = `def marker():\n    print(${JSON.stringify(marker)}, flush=True)\n    return 'printed'\n`;
    const [reg] = await h.ask([{ op: 'register_def', name: 'marker', code }]);
    if (!isOk(reg, 'marker')) throw new Failed(`register_def: ${said(reg)}`);
    const answer = await apply('marker', []);
    if (!isOk(answer, 'printed')) throw new Failed(`print: ${said(answer)}`);
    await health();
    return 'printed';
  });
  if (h) {
    await h.close();
    stderrs.push(h.stderr);
  }
  const row = rows.get('output_after_close');
  if (row?.ok && !stderrs.join('').includes(marker)) {
    rows.set('output_after_close', { ok: false, cell: "FAIL: the guest's print never reached the host's stderr", why: "the guest's print never reached the host's stderr" });
  }

  const problems = checkHostSide(fix, before);
  for (const mark of escapeMarks()) {
    if (!marksBefore.has(mark)) {
      problems.push(`${mark} appeared on the host`);
      rmSync(mark, { recursive: true, force: true });
    }
  }
  rows.set('host_side', problems.length
    ? { ok: false, cell: `FAIL: ${problems[0]}${problems.length > 1 ? ` (+${problems.length - 1})` : ''}`, why: problems.join('; ') }
    : { ok: true, cell: 'unchanged' });
  removeFixture(fix);
  return rows;
}

/** ../shared/vectors/v2/sandbox.jsonl in one write on a fresh host, no grants. */
async function vectors(host) {
  const lines = readFileSync(VECTORS, 'utf8').split('\n').filter((l) => l.trim());
  const vectorsOf = lines.map((line) => {
    const request = JSON.parse(line);
    const expect = parseExact(JSON.stringify(request.expect));
    delete request.expect;
    return { request, expect, label: `${request.op} ${request.name}` };
  });
  const h = new Host(host.command(null), cwdOf(host));
  h.child.stdin.write(vectorsOf.map((v) => `${JSON.stringify(v.request)}\n`).join(''));
  h.child.stdin.end();
  const timer = setTimeout(() => h.kill(), START_MS);
  await h.closed;
  clearTimeout(timer);
  h.kill();
  const problems = [];
  vectorsOf.forEach((v, i) => {
    const line = h.lines[i];
    const why = line === undefined ? 'no answer' : check(line, v.expect);
    if (why) problems.push(`line ${i + 1} (${v.label.slice(0, 40)}): ${why.slice(0, 160)}`);
  });
  const passed = vectorsOf.length - problems.length;
  if (problems.length && h.ended !== 'exited with code 0') problems.push(`the host ${h.ended}; stderr ended: ${h.stderrTail(3).join(' | ')}`);
  return problems.length
    ? { ok: false, cell: `FAIL: ${passed}/${vectorsOf.length}, ${problems[0]}`, why: problems.join('; '), passed, failed: vectorsOf.length - passed }
    : { ok: true, cell: `${passed}/${vectorsOf.length}`, passed, failed: 0 };
}

// ------------------------------------------------------------------ table --

const WHAT = {
  stdin_eof: 'stdin reads as empty, with a 250 KB request queued behind (issue 12, case 1)',
  clocks_random: 'clocks and random bytes are real',
  dotdot_escape: '`..` above a grant',
  environment: 'the environment is exactly what was granted',
  etc_link: 'an existing link rw/etc -> /etc (issue 12, case 3)',
  fd_scan: 'no descriptor past 0-2 but the grants',
  fifo_in_grant: 'opening a FIFO in the grant does not block, and is refused (ENOTCAPABLE)',
  link_chains: 'links to links, `..` inside links, a link in the read-only grant',
  list_root: 'listing /, /etc, /tmp, /proc, /dev',
  native_escape_hatches: 'ctypes, _posixsubprocess, create_dynamic, threads',
  no_processes: 'os.system, fork, exec, spawn, kill, subprocess',
  no_sockets: 'sockets, DNS, urllib',
  os_exit: 'os._exit and sys.exit are SystemExit',
  symlink_plant: 'making a symlink that leads out of the grant (relative or absolute)',
  read_etc_passwd: '/etc/passwd, /etc/hostname, /proc/self/*',
  readonly_grant: 'every change to the read-only grant',
  readonly_more: 'more changes to the read-only grant (raw flags, descriptors, hard links in)',
  readwrite_grant: 'the read-write grant works',
  swap_link: 'a file and a directory replaced by links between two calls',
  symlink_escape: 'existing links out (relative, absolute, directory), new ones',
  write_outside: 'writing to /tmp, / and the current directory',
  stdio_close: 'seek, non-blocking and close fds 0-2; the host answers on (issue 12, case 2)',
  proc_exit: 'a raw WASI proc_exit: a trap, the host lives on',
  output_after_close: "after that, the guest's print reaches the host's stderr",
  host_side: 'from the host afterwards: outside/ and ro/ unchanged, no link planted, nothing in /tmp',
  vectors: '`../shared/vectors/v2/sandbox.jsonl`, in one write',
};

const cellText = (r) => (r ? (r.ok ? r.cell : `**${r.cell.length > 90 ? `${r.cell.slice(0, 87)}...` : r.cell}**`) : '')
  .replaceAll('|', '\\|').replaceAll('\n', ' ');

function table(results, order, hosts = HOSTS) {
  const head = ['probe', 'grants', ...hosts.map((h) => h.name)];
  const out = [`| ${head.join(' | ')} |`, `|${head.map(() => '---').join('|')}|`];
  for (const row of order) {
    for (const grants of row === 'vectors' ? ['none'] : ['yes', 'none']) {
      const cells = hosts.map((h) => cellText(results.get(`${h.name}/${grants}`)?.get(row)));
      out.push(`| \`${row}\` | ${grants} | ${cells.join(' | ')} |`);
    }
  }
  return out;
}

function updateDoc(file, lines, stats) {
  const begin = '<!-- sandbox table: node tests/sandbox/run.mjs --update docs/reliability.md -->';
  const end = '<!-- end sandbox table -->';
  const text = readFileSync(file, 'utf8');
  const a = text.indexOf(begin);
  const b = text.indexOf(end);
  if (a < 0 || b < a) throw new Error(`${file} has no sandbox table markers`);
  const body = [begin, ...lines, '', stats, end].join('\n');
  writeFileSync(file, text.slice(0, a) + body + text.slice(b + end.length));
}

// ------------------------------------------------------------------- main --

function parseArgs(argv) {
  const options = { hosts: [], grants: ['yes', 'none'], jobs: 2, update: null };
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i];
    const value = argv[++i];
    if (value === undefined) throw new Error(`${flag} needs a value`);
    if (flag === '--host') {
      if (!HOSTS.some((h) => h.name === value)) throw new Error(`no host ${value}: ${HOSTS.map((h) => h.name).join(', ')}`);
      options.hosts.push(value);
    } else if (flag === '--grants' && (value === 'yes' || value === 'no')) options.grants = [value === 'yes' ? 'yes' : 'none'];
    else if (flag === '--jobs') options.jobs = Math.max(1, Number(value) | 0);
    else if (flag === '--update') options.update = value;
    else if (flag === '--js-root') options.jsRoot = resolve(value);
    else if (flag === '--table' && (value === 'yes' || value === 'no')) options.table = value === 'yes';
    else throw new Error(`unknown option ${flag} ${value}`);
  }
  return options;
}

async function main() {
  const options = parseArgs(process.argv.slice(2));
  if (options.jsRoot) jsRoot = options.jsRoot;
  const hosts = options.hosts.length ? HOSTS.filter((h) => options.hosts.includes(h.name)) : HOSTS;
  const probes = loadProbes();
  const started = Date.now();
  const results = new Map();
  const jobs = [];
  for (const host of hosts) {
    for (const grants of options.grants) jobs.push({ host, grants });
    if (options.grants.includes('none')) jobs.push({ host, grants: 'vectors' });
  }
  let passed = 0;
  let failed = 0;
  const runJob = async ({ host, grants }) => {
    const t0 = Date.now();
    const key = `${host.name}/${grants === 'vectors' ? 'none' : grants}`;
    let rows;
    if (grants === 'vectors') {
      const v = await vectors(host);
      rows = results.get(key) ?? new Map();
      rows.set('vectors', v);
      passed += v.passed;
      failed += v.failed;
      if (!v.ok) console.log(`FAIL ${host.name} vectors: ${v.why}`);
      console.log(`-- ${host.name} v2/sandbox.jsonl: ${v.passed} of ${v.passed + v.failed} as expected (${((Date.now() - t0) / 1000).toFixed(1)} s)`);
    } else {
      rows = await session(host, grants === 'yes', probes);
      const mine = [...rows.values()];
      const notRun = [];
      for (const [row, r] of rows) {
        if (r.notRun) notRun.push(row);
        else if (!r.ok) console.log(`FAIL ${host.name} grants=${grants} ${row}: ${r.why}`);
      }
      if (notRun.length) console.log(`FAIL ${host.name} grants=${grants}: ${notRun.length} not run, as the host does not start: ${notRun.join(', ')}`);
      passed += mine.filter((r) => r.ok).length;
      failed += mine.filter((r) => !r.ok).length;
      console.log(`-- ${host.name} grants=${grants}: ${mine.filter((r) => r.ok).length} of ${mine.length} held (${((Date.now() - t0) / 1000).toFixed(1)} s)`);
    }
    const merged = results.get(key) ?? new Map();
    for (const [k, v] of rows) merged.set(k, v);
    results.set(key, merged);
  };
  const queue = [...jobs];
  await Promise.all(Array.from({ length: Math.min(options.jobs, queue.length) }, async () => {
    while (queue.length) await runJob(queue.shift());
  }));

  const order = [...probes.map((p) => p.name), 'proc_exit', 'output_after_close', 'host_side', 'vectors'];
  const seconds = ((Date.now() - started) / 1000).toFixed(0);
  if (options.update) {
    if (hosts.length !== HOSTS.length || options.grants.length !== 2 || jsRoot !== REPO) {
      throw new Error('--update needs a run of every host of this tree, both ways');
    }
    const lines = table(results, order);
    const what = order.map((row) => `- \`${row}\`: ${WHAT[row] ?? ''}`);
    const stats = `${passed + failed} cells, ${failed} failed; the whole run took ${seconds} s (\`--jobs ${options.jobs}\`, `
      + `${new Date().toISOString().slice(0, 10)}).\n\nWhat each row tries:\n\n${what.join('\n')}`;
    updateDoc(resolve(options.update), lines, stats);
    console.log(`updated ${options.update}`);
  }
  if (options.table) {
    const shown = HOSTS.filter((h) => hosts.includes(h));
    for (const line of table(results, order, shown)) console.log(line);
  }
  console.log(`(${seconds} s)`);
  console.log(`sandbox: ${passed} passed, ${failed} failed`);
  if (failed > 0 || passed === 0) process.exitCode = 1;
}

main().catch((error) => {
  console.error(`sandbox: ${error?.stack ?? error}`);
  process.exitCode = 2;
});
