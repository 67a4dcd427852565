// @ts-self-types="./process-reactor.d.ts"
// A reactor whose instance lives in a child process (`cli.mjs batch`, the
// batch protocol of the ABI), so that a call past its time limit can be
// stopped for certain: the child is killed (SIGKILL) and a new one started,
// into which every registration that had succeeded is replayed.
//
// Why a process: under Deno, Worker.terminate() does not stop a worker that
// runs wasm without calling out (a busy loop, a long C-level loop, regex
// backtracking; Deno does not stop a worker spinning in plain JS either). The
// worker-based Reactor then answers Timeout but leaves the old worker
// spinning until the process exits. A killed process stops. Under Node the
// worker-based Reactor stops such code itself and is much faster per call;
// this class works there too (the tests run it under both).
//
// The child is `cli.mjs batch --child` (see "The child's protocol" there):
// it takes bytes that are not UTF-8 (base64), says which errors are its
// host's, and it ends when this process does (the end of its stdin), and by
// itself past the time limit, even if this process could not kill it.
//
// Host functions run here, in this process: the child asks for each call
// with a line on its stdout, and gets the reply on its stdin (cli.mjs, "The
// child's protocol").
//
// What it gives up against Reactor: the *Sync calls (a pipe cannot be waited
// on synchronously), a second output stream (the child writes the guest's
// stdout and stderr to its stderr, which goes where `output` says), and
// time: a warm call took 250-280 us here (two process wake-ups through pipes)
// against 3-4 us through the worker.

import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import process from 'node:process';
import { Buffer } from 'node:buffer';
import { PythonError, ReactorCalls, requestFor, withOutput } from './calls.mjs';
import { isRegistration, warnReplay } from './replay.mjs';
import { OPS } from './ops.mjs';
import { processReactorOptions, defaultWasm } from './options.mjs';
import { HostFunctions, HostCall, errorReply } from './host-functions.mjs';
import { objectMembers } from './json-text.mjs';
import { readLines } from './lines.mjs';

const CLI = fileURLToPath(new URL('./cli.mjs', import.meta.url));
const HOST_DIR = fileURLToPath(new URL('.', import.meta.url));
const isDeno = typeof globalThis.Deno !== 'undefined';
/** V8's stack limit in a Deno child, as hosts/js/README.md ("The stack") says. */
const DENO_STACK_KIB = 7680;
/** A new child that has not answered `init` by then is given up. */
const START_LIMIT_MS = 60_000;

/** A Deno permission list: a comma inside a path is written twice. */
const denoList = (paths) => paths.map((path) => path.replaceAll(',', ',,')).join(',');

/**
 * argv of the child: the batch CLI under the runtime running this file,
 * from checked options (options.mjs). A grant crosses as
 * `--dir HOST:GUEST:ro|rw`, which the CLI splits at every ':', so a path
 * with a ':' cannot be granted here (a TypeError).
 */
function childCommand(options) {
  const wasm = options.wasm ?? defaultWasm();
  const args = ['batch', '--wasm', wasm];
  if (options.stackSizeMb !== undefined) args.push('--stack-size-mb', String(options.stackSizeMb));
  if (options.memoryMb !== undefined) args.push('--memory-mb', String(options.memoryMb));
  const grants = Object.entries(options.preopens ?? {});
  for (const [guest, { path, readOnly }] of grants) {
    if (guest.includes(':') || path.includes(':')) {
      throw new TypeError(`ProcessReactor: preopens[${JSON.stringify(guest)}]: a path with ':' cannot be passed to the child's --dir`);
    }
    args.push('--dir', `${path}:${guest}:${readOnly ? 'ro' : 'rw'}`);
  }
  for (const [key, value] of Object.entries(options.env ?? {})) args.push('--env', `${key}=${value}`);
  if (!isDeno) return [process.execPath, [CLI, ...args]];
  // The narrowest permissions that work (hosts/js/README.md, "Deno"): read
  // on the host's files, the module and every grant; write only on the
  // grants that are not read-only.
  const readable = grants.map(([, grant]) => grant.path);
  const writable = grants.filter(([, grant]) => !grant.readOnly).map(([, grant]) => grant.path);
  const deno = ['run', '--no-prompt', `--v8-flags=--stack-size=${DENO_STACK_KIB}`,
    `--allow-read=${denoList([HOST_DIR, wasm, ...readable])}`];
  if (writable.length) deno.push(`--allow-write=${denoList(writable)}`);
  return [process.execPath, [...deno, CLI, ...args]];
}

/** How a line of the child that asks for a host function starts (cli.mjs, "The child's protocol"). */
const CALL_PREFIX = '{"call":';
/** How the child's line of what a call printed starts (a request with "output":true). */
const OUTPUT_PREFIX = '{"output":';

/** One child process and the answers it owes. */
class Child {
  /** `extra`: more arguments for the child's CLI (after `batch`); `onCall(child, line)`:
   *  runs a host call the child asks for. */
  constructor(command, output, extra, onCall) {
    this.onCall = onCall;
    this.hostCall = null; // the HostCall of an async host function it waits for
    const [file, args] = command;
    this.process = spawn(file, [...args, ...extra], {
      stdio: ['pipe', 'pipe', typeof output === 'function' ? 'pipe' : output],
      env: {}, // the guest gets options.env through --env, nothing else
    });
    this.waiting = []; // {resolve, reject}, oldest first
    this.printed = null; // the output line of the call it answers, if it asked for one
    this.gone = null; // why it ended, once it has
    // 'close' comes after 'exit', once the child's pipes are drained too, so
    // that all of its output has been passed on when close() returns.
    this.exited = new Promise((resolve) => this.process.on('close', resolve));
    this.process.on('exit', (code, signal) => this.#end(`the child process exited (${signal ?? `code ${code}`})`));
    this.process.on('error', (error) => this.#end(`the child process failed: ${error.message}`));
    this.process.stdin.on('error', () => {}); // a dead child: 'exit' says so
    if (typeof output === 'function') {
      this.process.stderr.setEncoding('utf8');
      this.process.stderr.on('data', output);
    }
    this.#read();
  }

  async #read() {
    try {
      for await (const line of readLines(this.process.stdout)) {
        if (line.startsWith(CALL_PREFIX)) this.onCall(this, line);
        else if (line.startsWith(OUTPUT_PREFIX)) this.printed = line;
        else this.waiting.shift()?.resolve(line);
      }
    } catch {
      // the pipe broke: 'exit' says why
    }
  }

  #end(reason) {
    this.gone ??= reason;
    this.hostCall?.refuse(this.gone);
    for (const { reject } of this.waiting.splice(0)) reject(new PythonError({ type: 'Trap', message: this.gone }));
  }

  /** The child's answer line to `line`. */
  ask(line) {
    if (this.gone) return Promise.reject(new PythonError({ type: 'Trap', message: this.gone }));
    this.printed = null;
    return new Promise((resolve, reject) => {
      this.waiting.push({ resolve, reject });
      this.process.stdin.write(`${line}\n`);
    });
  }

  /**
   * The output fields of the call just answered (it asked with "output"):
   * {stdout, stderr, stdoutTruncated, stderrTruncated}, and outputLost
   * when the child gave none (it was killed, or died, before answering).
   */
  takeOutput() {
    const line = this.printed;
    this.printed = null;
    if (line !== null) {
      try {
        const { stdout, stderr, stdoutTruncated, stderrTruncated } = JSON.parse(line).output;
        if (typeof stdout === 'string' && typeof stderr === 'string') {
          return { stdout, stderr, stdoutTruncated: stdoutTruncated === true, stderrTruncated: stderrTruncated === true };
        }
      } catch {
        // as if none came
      }
    }
    return { stdout: '', stderr: '', stdoutTruncated: false, stderrTruncated: false, outputLost: true };
  }

  kill() {
    this.#end('the child process was killed');
    this.process.kill('SIGKILL');
    return this.exited;
  }
}

const fatal = new TextDecoder('utf-8', { fatal: true });

/**
 * Sets `field` of a request to `value`: text as it is; bytes as text when
 * they are UTF-8, else base64-encoded in `${field}_b64` (the child's
 * protocol, in cli.mjs): a JSON string holds Unicode, not bytes, and bytes
 * that are not UTF-8 must reach the guest as they are (it answers
 * InvalidName, InvalidInput or InvalidArgs for them, as Reactor's does).
 */
function put(request, field, value) {
  if (typeof value === 'string') {
    request[field] = value;
    return;
  }
  try {
    request[field] = fatal.decode(value);
  } catch {
    request[`${field}_b64`] = Buffer.from(value.buffer, value.byteOffset, value.byteLength).toString('base64');
  }
}

/** The batch request line for one call (args text kept exactly as given). */
function requestLine({ op, name, payload, output }) {
  const kind = OPS[op];
  const request = output ? { op, output } : { op };
  if (kind !== 'none' && kind !== 'cell') put(request, 'name', name);
  if (kind === 'code' || kind === 'cell') put(request, 'code', payload);
  else if (kind === 'args') put(request, 'args_text', payload);
  if (kind === 'files') { // the object's text as it is: it is JSON already
    const text = typeof payload === 'string' ? payload : new TextDecoder().decode(payload);
    return `${JSON.stringify(request).slice(0, -1)},"files":${text}}`;
  }
  return JSON.stringify(request);
}

// How the child writes an ordinary result (cli.mjs, resultLine): the text
// between prefix and the final "}" is the guest's, taken without parsing
// (a result may be tens of MiB).
const OK_PREFIX = '{"tag":"ok","value":';
const ERR_PREFIX = '{"tag":"err","error":';

/**
 * The child's answer line as {tag, text, host, exits}: the guest's record
 * (tag, its text untouched), or an error of the child's host (host: the
 * call was rejected there; exits: the child ends after it). See "The
 * child's protocol" in cli.mjs.
 */
function answerOf(line) {
  if (line.endsWith('}')) {
    if (line.startsWith(OK_PREFIX)) return { tag: 'ok', text: line.slice(OK_PREFIX.length, -1) };
    if (line.startsWith(ERR_PREFIX)) return { tag: 'err', text: line.slice(ERR_PREFIX.length, -1) };
  }
  let members;
  try {
    members = new Map(objectMembers(line).map(({ key, raw }) => [key, raw]));
  } catch {
    members = new Map();
  }
  if (members.get('tag') !== '"err"' || !members.has('error')) {
    throw new PythonError({ type: 'HostError', message: `the child answered no result: ${line.slice(0, 200)}` });
  }
  return { tag: 'err', text: members.get('error'), host: members.get('host') === 'true', exits: members.get('exits') === 'true' };
}

/** init, register*, unregister*, apply*, apply*Raw: from ReactorCalls. */
export class ProcessReactor extends ReactorCalls {
  #options;
  #command;
  #child = null;
  #log = []; // every register_*/unregister_* that succeeded, in order: replayed into a new child
  #queue = Promise.resolve();
  #closed = false;
  #started = false; // a child has been started before
  #replacement = null; // the next child, started after the last one was killed
  #spare = null; // a booted child in reserve (options.spare)
  #host; // the host functions (host-functions.mjs), run here for the child
  /** How many times the child was replaced (after a timeout or its death). */
  rebuilds = 0;

  /**
   * Options: wasm (a file path), preopens, env, timeoutMs, memoryMb,
   * stackSizeMb, as for Reactor.load; output: 'inherit' (default: the
   * guest's output goes to this process's stderr), 'ignore', or a function
   * called with each chunk of it; spare (default true): keep a second child
   * booted, so that a replacement after a timeout is ready at once (it
   * costs a second process). Under Deno this process needs --allow-run on
   * the Deno binary. A live child keeps this process running: close() it.
   */
  static async load(options = {}) {
    const reactor = new ProcessReactor(options);
    await reactor.init();
    return reactor;
  }

  /** `options` as for load(); a bad value or an unknown key is a TypeError. */
  constructor(options = {}) {
    super();
    const checked = processReactorOptions(options);
    this.#options = { spare: true, output: 'inherit', ...checked };
    this.#command = childCommand(checked);
    this.#host = new HostFunctions(this, checked.hostFunctions, checked.hostFunctionsRaw);
  }

  /** The running child's process id (for tests and monitoring), or undefined. */
  get pid() {
    return this.#child && !this.#child.gone ? this.#child.process.pid : undefined;
  }

  /**
   * Runs any op and resolves to {tag, text}, as Reactor.call. Rejects with a
   * PythonError of type 'Timeout' past timeoutMs, 'Trap' when the child
   * died, 'HostError' when a new child could not be set up.
   */
  async call(op, name, textOrArgs, options) {
    const request = requestFor(op, name, textOrArgs, options, 'ProcessReactor'); // async: a bad call rejects
    if (this.#host.size > 0) HostCall.reentered(this, op); // see host-functions.mjs
    const run = this.#queue.then(() => this.#call(request));
    this.#queue = run.catch(() => {});
    return run;
  }

  /** Test hook: kills the child as if something outside had (SIGKILL). */
  _killChild() {
    this.#child?.process.kill('SIGKILL');
  }

  /** Waits for queued calls, then ends the child. */
  async close() {
    if (this.#closed) return;
    if (this.#host.size > 0) HostCall.reentered(this, 'close'); // it waits for the current call
    this.#closed = true;
    await this.#queue;
    const child = this.#child ?? await this.#replacement?.catch(() => null);
    const spare = await this.#spare?.catch(() => null);
    this.#child = null;
    this.#replacement = null;
    this.#spare = null;
    spare?.kill();
    if (child && !child.gone) {
      child.process.stdin.end(); // the batch ends at end of input
      const quit = setTimeout(() => child.kill(), 5000);
      await child.exited;
      clearTimeout(quit);
    }
  }

  async #call(request) {
    if (this.#closed) throw new Error('ProcessReactor is closed');
    const child = await this.#ensure();
    if (!request.output) return this.#logged(request, await this.#ask(child, requestLine(request)));
    let result;
    try {
      result = this.#logged(request, await this.#ask(child, requestLine(request)));
    } catch (error) {
      const printed = child.takeOutput();
      withOutput(error, printed);
      if (printed.outputLost && error instanceof PythonError) error.outputLost = true;
      throw error;
    }
    const { outputLost, ...printed } = child.takeOutput();
    return { value: result, ...printed, ...(outputLost ? { outputLost } : {}) };
  }

  #logged(request, result) {
    // Not compacted to the last registration of each name: a def may hold
    // what an earlier version of a module gave it, and replaying a later
    // version first would break the def (or its import) on the new child.
    // A record that breaks the contract never gets here: the child answers
    // InvalidResult and ends (see #ask), so that neither the log nor any
    // child holds that registration, as in the native host.
    if (result.tag === 'ok' && isRegistration(request.op)) this.#log.push({ op: request.op, name: request.name, payload: request.payload });
    return result;
  }

  /**
   * The child's answer to `line` as {tag, text}. Rejects with the PythonError
   * of an error of the child's host (a Trap there, ...), and with a Timeout
   * after killing the child when `limitMs` runs out. A child that ends after
   * its answer (its own Timeout: see "The child's protocol" in cli.mjs) is
   * replaced as one killed here.
   */
  async #ask(child, line, limitMs = this.#options.timeoutMs) {
    let timer;
    const answers = [child.ask(line)];
    if (limitMs !== undefined) answers.push(new Promise((resolve) => { timer = setTimeout(resolve, limitMs, null); }));
    let answer;
    try {
      answer = await Promise.race(answers);
    } catch (error) {
      this.#drop(child);
      throw error;
    } finally {
      clearTimeout(timer);
    }
    if (answer === null) {
      child.hostCall?.refuse(`the call took longer than ${limitMs} ms`);
      this.#retire(child);
      throw new PythonError({ type: 'Timeout', message: `the call took longer than ${limitMs} ms` });
    }
    const { tag, text, host, exits } = answerOf(answer);
    if (exits) this.#retire(child);
    if (host) throw PythonError.fromText(text);
    return { tag, text };
  }

  /**
   * Runs the host call the child asked for with `line` and writes the reply
   * to its stdin (an async function's once it settles, unless the child is
   * gone by then: its call timed out).
   */
  async #hostCall(child, line) {
    let request = null;
    try {
      request = JSON.parse(line);
    } catch {
      // answered below
    }
    let reply;
    if (typeof request?.call !== 'string' || typeof request.args !== 'string') {
      reply = errorReply('HostError', `the child asked for a host call with a line that breaks the protocol: ${line.slice(0, 200)}`);
    } else {
      reply = this.#host.start(request.call, request.args);
      if (reply instanceof HostCall) {
        child.hostCall = reply;
        reply = await reply.settled;
        child.hostCall = null;
      }
    }
    if (child.gone) return;
    child.process.stdin.write(`{"reply":${reply.ok ? '"ok"' : '"err"'},"text":${JSON.stringify(reply.text)}}\n`);
  }

  /** Kills `child`; if it was the current one, its replacement starts now. */
  #retire(child) {
    const current = this.#child === child;
    this.#drop(child);
    child.kill();
    if (current) this.#replace();
  }

  #drop(child) {
    if (this.#child === child) this.#child = null;
  }

  /** The current child; a new one, with the registrations replayed, if need be. */
  async #ensure() {
    if (this.#child && !this.#child.gone) return this.#child;
    const started = this.#replacement ?? this.#startChild();
    this.#replacement = null;
    this.#child = null;
    this.#child = await started;
    return this.#child;
  }

  /** Starts the next child now, so that the next call does not wait for it. */
  #replace() {
    if (this.#closed) return;
    this.#replacement ??= this.#startChild();
    this.#replacement.catch(() => {}); // the call that takes it sees the error
  }

  /**
   * A new child, up and with every registration that had succeeded replayed,
   * as Reactor does it: one that fails now is reported (a process warning)
   * and the replay goes on; one that times out or takes the child down is
   * dropped from the log, and the replay starts over on another child.
   */
  async #startChild() {
    if (this.#started) this.rebuilds++;
    this.#started = true;
    for (;;) {
      const child = await this.#takeSpare();
      const lost = await this.#replayInto(child);
      if (lost === null) {
        this.#keepSpare();
        return child;
      }
      const [entry] = this.#log.splice(lost.index, 1);
      warnReplay(entry, `trapped (${lost.reason}); dropped`);
    }
  }

  /** Replays the log into `child`: null, or {index, reason} of the entry that ended it. */
  async #replayInto(child) {
    for (let i = 0; i < this.#log.length; i++) {
      const request = this.#log[i];
      let result;
      try {
        result = await this.#ask(child, requestLine(request));
      } catch (error) {
        child.kill();
        return { index: i, reason: error.message };
      }
      if (result.tag !== 'ok') warnReplay(request, `failed: ${result.text}`);
    }
    return null;
  }

  /** A child that has answered `init`: up, nothing registered. Starting it
   ** (the runtime, compiling the module) is not a call's time. */
  async #boot() {
    const child = new Child(this.#command, this.#options.output, this.#childArgs(), (c, line) => this.#hostCall(c, line));
    try {
      await this.#ask(child, '{"op":"init"}', START_LIMIT_MS);
    } catch (error) {
      child.kill();
      throw new PythonError({ type: 'HostError', message: `the child process did not start: ${error.message}` });
    }
    return child;
  }

  /**
   * The child's own part (cli.mjs, "The child's protocol"): it ends with
   * this process, and it gets the time limit too, so that it never runs the
   * guest past it on its own, e.g. while this process is stopped.
   */
  #childArgs() {
    const { timeoutMs } = this.#options;
    const functions = this.#host.names.flatMap((name) => ['--parent-function', name]);
    return ['--child', ...(timeoutMs === undefined ? [] : ['--timeout-ms', String(timeoutMs)]), ...functions];
  }

  /** With options.spare, one booted child waits in reserve for the next
   ** replacement, which then only needs the replay. */
  #keepSpare() {
    if (!this.#options.spare || this.#closed || this.#spare) return;
    this.#spare = this.#boot();
    this.#spare.catch(() => {}); // #takeSpare boots another one instead
  }

  async #takeSpare() {
    const spare = this.#spare;
    this.#spare = null;
    const child = spare ? await spare.catch(() => null) : null;
    return child && !child.gone ? child : this.#boot();
  }
}
