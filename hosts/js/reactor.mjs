// @ts-self-types="./index.d.ts"
// JavaScript host of python-reactor.wasm (ABI version 1), for Node >= 20 and
// Deno 2. The instance runs in a worker thread (guest.mjs does the byte-level
// work there); this side queues calls, turns results into values or
// PythonErrors, and rebuilds the instance after a trap, replaying every
// registration that had succeeded so that the user loses nothing but the call
// that trapped.

import { Worker } from 'node:worker_threads';
import { readFile } from 'node:fs/promises';
import process from 'node:process';
import { OPS } from './guest.mjs';

export { OPS };

const DEFAULT_WASM = new URL('../../build/python-reactor.wasm', import.meta.url);
const WORKER_URL = new URL('./worker.mjs', import.meta.url);
const OUTPUT_TARGETS = new Set(['inherit', 'stdout', 'stderr', 'ignore']);

/** An `err` result of the guest, or a trap (`type === 'Trap'`). */
export class PythonError extends Error {
  constructor({ type, message, traceback } = {}) {
    super(message === undefined ? '' : String(message));
    this.name = 'PythonError';
    this.type = String(type ?? 'Error');
    this.traceback = traceback ?? undefined;
  }

  static fromText(text) {
    try {
      const parsed = JSON.parse(text);
      if (parsed && typeof parsed === 'object') return new PythonError(parsed);
    } catch {
      // fall through: not the error object the ABI promises
    }
    return new PythonError({ type: 'InvalidResult', message: `guest error is not a JSON object: ${text}` });
  }
}

const isRegistration = (op) => op.startsWith('register_') || op.startsWith('unregister_');

async function compile(wasm) {
  if (wasm instanceof WebAssembly.Module) return wasm;
  if (wasm instanceof Uint8Array || wasm instanceof ArrayBuffer) return WebAssembly.compile(wasm);
  return WebAssembly.compile(await readFile(wasm));
}

function outputTarget(value, label) {
  if (value === undefined) return 'inherit';
  if (typeof value === 'function') return 'callback';
  if (OUTPUT_TARGETS.has(value)) return value;
  throw new TypeError(`${label} must be a function or one of ${[...OUTPUT_TARGETS].join(', ')}`);
}

/** Normalizes the third argument of call(): code or args text, never a number. */
function payloadFor(op, value) {
  const kind = OPS[op];
  if (kind === 'args') {
    if (value === undefined) return '[]';
    if (typeof value === 'string' || value instanceof Uint8Array) return value;
    return JSON.stringify(value);
  }
  if (kind === 'code') {
    if (typeof value === 'string' || value instanceof Uint8Array) return value;
    throw new TypeError(`${op}: code must be a string or Uint8Array`);
  }
  return undefined;
}

export class Reactor {
  /** Compiles the module (once; every rebuild reuses it) and starts the worker. */
  static async load(options = {}) {
    const module = await compile(options.wasm ?? DEFAULT_WASM);
    const reactor = new Reactor(module, options);
    await reactor.#enqueue(() => reactor.#ensureWorker());
    return reactor;
  }

  #module;
  #options;
  #workerData;
  #wakeup = null; // the current worker's stop cell
  #worker = null;
  #pending = null; // {seq, resolve, reject, timer} of the call in flight
  #seq = 0;
  #queue = Promise.resolve();
  #log = []; // succeeded register_*/unregister_*, replayed after a trap
  #closed = false;
  /** How many times the instance was rebuilt after a trap. */
  rebuilds = 0;

  constructor(module, options = {}) {
    this.#module = module;
    this.#options = { stackSizeMb: 256, ...options };
    this.#workerData = {
      module,
      env: options.env ?? {},
      preopens: options.preopens ?? {},
      stdout: outputTarget(options.stdout, 'stdout'),
      stderr: outputTarget(options.stderr, 'stderr'),
      memoryMb: options.memoryMb ?? 0,
    };
  }

  /** The compiled module, e.g. to load more reactors without recompiling. */
  get module() {
    return this.#module;
  }

  init() { return this.#value('init'); }
  registerLambda(name, code) { return this.#value('register_lambda', name, code); }
  registerDef(name, code) { return this.#value('register_def', name, code); }
  registerModule(name, code) { return this.#value('register_module', name, code); }
  unregisterLambda(name) { return this.#value('unregister_lambda', name); }
  unregisterDef(name) { return this.#value('unregister_def', name); }
  unregisterModule(name) { return this.#value('unregister_module', name); }
  // async: a JSON.stringify error (BigInt, cycle) rejects instead of throwing
  async applyLambda(name, args = []) { return this.#value('apply_lambda', name, JSON.stringify(args)); }
  async applyDef(name, args = []) { return this.#value('apply_def', name, JSON.stringify(args)); }
  applyLambdaRaw(name, argsText = '[]') { return this.call('apply_lambda', name, argsText); }
  applyDefRaw(name, argsText = '[]') { return this.call('apply_def', name, argsText); }

  /**
   * Runs any op and resolves to {tag, text}, text being the guest's JSON
   * untouched. Rejects only for a trap (PythonError type 'Trap').
   */
  call(op, name, textOrArgs) {
    if (!Object.hasOwn(OPS, op)) return Promise.reject(new TypeError(`unknown op: ${op}`));
    let payload;
    try {
      payload = payloadFor(op, textOrArgs);
    } catch (error) {
      return Promise.reject(error);
    }
    const request = { op, name: op === 'init' ? undefined : (name ?? ''), payload };
    return this.#enqueue(() => this.#run(request));
  }

  /** Waits for queued calls, then stops the worker. */
  async close() {
    if (this.#closed) return;
    this.#closed = true;
    await this.#queue;
    const worker = this.#worker;
    this.#worker = null;
    await worker?.terminate();
  }

  /** Test hook: calls an export with raw i32 arguments (e.g. a bad pointer). */
  _rawExport(exportName, ...args) {
    return this.#enqueue(async () => {
      await this.#ensureWorker();
      return this.#send({ op: '__raw_export', exportName, args });
    });
  }

  /** Test hook: kills the worker as if it had died on its own. */
  _killWorker() {
    this.#worker?.terminate();
  }

  async #value(op, name, payload) {
    const { tag, text } = await this.call(op, name, payload);
    if (tag === 'ok') return JSON.parse(text);
    throw PythonError.fromText(text);
  }

  /** Calls run one at a time, in order; a failed call does not stop the queue. */
  #enqueue(task) {
    if (this.#closed) return Promise.reject(new Error('Reactor is closed'));
    const run = this.#queue.then(task);
    this.#queue = run.catch(() => {});
    return run;
  }

  async #run(request) {
    await this.#ensureWorker();
    const result = await this.#send(request);
    if (result.tag === 'ok' && isRegistration(request.op)) this.#log.push(request);
    return result;
  }

  async #ensureWorker() {
    if (this.#worker) return;
    const rebuilding = this.#seq > 0;
    await this.#startWorker();
    if (rebuilding) {
      this.rebuilds++;
      await this.#replay();
    }
  }

  #startWorker() {
    // A fresh cell per worker: set and notified to end a sleep when a call
    // is stopped (see wasi-sleep.mjs).
    const wakeup = new Int32Array(new SharedArrayBuffer(4));
    const worker = new Worker(WORKER_URL, {
      workerData: { ...this.#workerData, wakeup },
      resourceLimits: { stackSizeMb: this.#options.stackSizeMb },
      env: {}, // the guest gets options.env through WASI, nothing else
    });
    return new Promise((resolve, reject) => {
      const fail = (message) => {
        worker.terminate();
        reject(new Error(`python reactor failed to start: ${message}`));
      };
      worker.on('message', (message) => {
        if (message.kind === 'ready') {
          this.#wakeup = wakeup;
          this.#adopt(worker);
          resolve();
        } else if (message.kind === 'fatal') {
          fail(message.message);
        } else if (this.#worker === worker) {
          this.#onMessage(message);
        }
      });
      worker.on('error', (error) => {
        if (this.#worker === worker) this.#fail(`the worker died: ${error?.message ?? error}`);
        else fail(error?.message ?? String(error));
      });
      worker.on('exit', (code) => {
        if (this.#worker === worker) this.#fail(`the worker exited (code ${code})`);
        else fail(`the worker exited (code ${code})`);
      });
    });
  }

  #adopt(worker) {
    this.#worker = worker;
    worker.unref(); // an idle reactor does not keep the process alive
  }

  /** Posts one request to the current worker; settles when it answers or dies. */
  #send(request) {
    const worker = this.#worker;
    const seq = ++this.#seq;
    return new Promise((resolve, reject) => {
      const { timeoutMs } = this.#options;
      const timer = timeoutMs
        ? setTimeout(() => this.#fail(`the call took longer than ${timeoutMs} ms`, 'Timeout'), timeoutMs)
        : null;
      this.#pending = { seq, resolve, reject, timer };
      worker.ref();
      worker.postMessage({ ...request, seq });
    });
  }

  #onMessage(message) {
    if (message.kind === 'output') this.#emitOutput(message.fd, message.bytes);
    else if (message.kind === 'result') this.#settle(message.seq, (p) => p.resolve({ tag: message.tag, text: message.text }));
    else if (message.kind === 'trap') this.#fail(message.message, message.type);
  }

  #emitOutput(fd, bytes) {
    const sink = fd === 1 ? this.#options.stdout : this.#options.stderr;
    sink(bytes);
  }

  #settle(seq, how) {
    const pending = this.#pending;
    if (!pending || pending.seq !== seq) return;
    this.#pending = null;
    clearTimeout(pending.timer);
    this.#worker?.unref();
    how(pending);
  }

  /** The current instance is unusable: drop it and fail the call in flight. */
  /** Ends the current instance; the pending call rejects with `type`. */
  #fail(reason, type = 'Trap') {
    const worker = this.#worker;
    this.#worker = null;
    if (this.#wakeup) {
      Atomics.store(this.#wakeup, 0, 1);
      Atomics.notify(this.#wakeup, 0);
    }
    worker?.terminate();
    const pending = this.#pending;
    if (!pending) return;
    this.#pending = null;
    clearTimeout(pending.timer);
    pending.reject(new PythonError({ type, message: reason }));
  }

  /**
   * Re-runs the registrations of the lost instance, in order. One that traps
   * now (it did not before) is dropped, and replay starts over without it.
   */
  async #replay() {
    for (let i = 0; i < this.#log.length; i++) {
      const entry = this.#log[i];
      let result;
      try {
        result = await this.#send(entry);
      } catch (error) {
        this.#log.splice(i, 1);
        warnReplay(entry, `trapped (${error.message}); dropped`);
        await this.#startWorker();
        i = -1;
        continue;
      }
      if (result.tag !== 'ok') warnReplay(entry, `failed: ${result.text}`);
    }
  }
}

function warnReplay(entry, what) {
  const name = typeof entry.name === 'string' ? entry.name : '(bytes)';
  process.emitWarning(`replaying ${entry.op} ${name} after a trap ${what}`, 'PythonReactorWarning');
}
