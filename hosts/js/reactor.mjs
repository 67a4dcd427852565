// @ts-self-types="./index.d.ts"
// JavaScript host of python-reactor.wasm (ABI version 2), for Node >= 20 and
// Deno 2. The instance runs in a worker thread (worker.mjs, with guest.mjs
// doing the byte-level work there); calls cross over a SharedArrayBuffer
// (channel.mjs) instead of messages. This side queues calls, turns results
// into values or PythonErrors, stops calls that run too long, and rebuilds
// the instance after a trap, replaying every registration that had
// succeeded so that the user loses nothing but the call that trapped. It
// also runs the host functions the guest calls (host-functions.mjs): the
// worker asks for each with a HOSTCALL frame and waits for the REPLY.
//
// One protocol, two ways to wait: each exchange with the worker is a
// generator that yields whenever it needs the worker's answer; the async
// API drives it with Atomics.waitAsync, the *Sync API with Atomics.wait.
// It also yields (a HostWait) when it needs an async host function's
// reply, which only the async API waits for.

import { Worker } from 'node:worker_threads';
import { setImmediate } from 'node:timers';
import { readFile } from 'node:fs/promises';
import process from 'node:process';
import { OPS, toBytes, utf8Length } from './guest.mjs';
import { reactorOptions } from './options.mjs';
import { argsText } from './args-json.mjs';
import { HostFunctions, HostCall } from './host-functions.mjs';
import {
  TURN, KIND, LEN, MORE, TAG, NAME_LEN, TOTAL, WAKE, MAIN_SLEEPS, WORKER_SLEEPS, MAIN, WORKER, CLOSED,
  READY, FATAL, REQUEST, ACK, RESULT, TRAP, OUTPUT, NEXT, RAW, INPUT, HOSTCALL, REPLY,
  OP_CODES, TAG_NAMES, TRAP_TYPES, DEFAULT_CAPACITY, createBuffer, cells, dataArea,
  SpinPolicy, DEFAULT_SPIN_MICROS,
} from './channel.mjs';

export { OPS };
/** For process-reactor.mjs: a call's arguments checked as Reactor.call does,
 *  which ops change what is replayed into a new instance, and the warning
 *  about a registration that fails on replay. */
export { requestFor, isRegistration, warnReplay };

const DEFAULT_WASM = new URL('../../build/python-reactor.wasm', import.meta.url);
const WORKER_URL = new URL('./worker.mjs', import.meta.url);
const RAW_OP = '__raw_export';
/** An async call that keeps the main thread busy (answers coming as fast as
 *  it reads them) goes through the event loop at least this often (ms). */
const FAIRNESS_MS = 2;
/** A synchronous call that has to wait for a new worker gives up after this. */
const SYNC_START_LIMIT_MS = 60_000;
const NO_INPUT = new Uint8Array(0);

const encoder = new TextEncoder();
const decoder = new TextDecoder();

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

/** Why a result record breaks the contract (ABI.md: JSON text; an err is an object), or null. */
function contractBreach({ tag, text }) {
  let value;
  try {
    value = JSON.parse(text);
  } catch {
    return 'the guest returned text that is not JSON';
  }
  if (tag === 'err' && (value === null || typeof value !== 'object' || Array.isArray(value))) {
    return 'the guest returned an err that is not a JSON object';
  }
  return null;
}

/** The value of a result, or the PythonError it stands for. */
function valueOf({ tag, text }) {
  if (tag === 'err') throw PythonError.fromText(text);
  try {
    return JSON.parse(text);
  } catch {
    throw new PythonError({ type: 'InvalidResult', message: 'the guest returned text that is not JSON' });
  }
}

const isRegistration = (op) => op.startsWith('register_') || op.startsWith('unregister_');

async function compile(wasm) {
  if (wasm instanceof WebAssembly.Module) return wasm;
  if (wasm instanceof Uint8Array || wasm instanceof ArrayBuffer) return WebAssembly.compile(wasm);
  return WebAssembly.compile(await readFile(wasm));
}

/** What the worker does with a stdout/stderr option: functions run here. */
const outputTarget = (value = 'inherit') => (typeof value === 'function' ? 'callback' : value);

/** Normalizes the third argument of call(): code or args text, never a number. */
function payloadFor(op, value) {
  const kind = OPS[op];
  if (kind === 'args') {
    if (value === undefined) return '[]';
    if (typeof value === 'string' || value instanceof Uint8Array) return value;
    return argsText(value);
  }
  if (kind === 'code' || kind === 'cell') {
    if (typeof value === 'string' || value instanceof Uint8Array) return value;
    throw new TypeError(`${op}: code must be a string or Uint8Array`);
  }
  return '';
}

function requestFor(op, name, textOrArgs) {
  if (!Object.hasOwn(OPS, op)) throw new TypeError(`unknown op: ${op}`);
  const payload = payloadFor(op, textOrArgs);
  const named = OPS[op] !== 'none' && OPS[op] !== 'cell';
  return { op, name: named ? (name ?? '') : '', payload };
}

/** What the protocol yields to have its driver wait for an async host function. */
class HostWait {
  constructor(link, call) {
    this.link = link;
    this.call = call;
  }
}

/** A promise that opens (resolves, to a value or another promise's outcome) when told to. */
class Gate {
  constructor() {
    this.promise = new Promise((resolve) => { this.open = resolve; });
  }
}

/** Why a *Sync call answers an async host function with an error reply. */
const SYNC_CANNOT_WAIT = 'a synchronous call (applyDefSync, callSync, ...) cannot wait for it: use the async calls';

// Phases of a worker, for what a wait that runs out means.
const STARTING = 0;
const CALLING = 1;

/** One worker and its channel. */
class Link {
  constructor(worker, sab, rebuild, spinMicros) {
    this.worker = worker;
    this.spin = new SpinPolicy(spinMicros);
    this.ctl = cells(sab);
    this.data = dataArea(sab);
    this.capacity = this.data.length;
    this.born = performance.now();
    this.ready = false; // READY seen
    this.rebuild = rebuild; // replaces a lost instance: replay before use
    this.failure = null; // why it was given up (what waiting calls throw)
    this.phase = STARTING;
    this.deadline = Infinity; // of the exchange in progress
  }
}

// Sources of the bytes of a request that crosses in several frames.

/** Bytes, copied frame by frame. */
class BytesSource {
  constructor(bytes) {
    this.bytes = bytes;
    this.offset = 0;
    this.done = bytes.length === 0;
  }

  /** Copies as much as fits into `view`; returns how many bytes. */
  fill(view) {
    const n = Math.min(view.length, this.bytes.length - this.offset);
    view.set(this.bytes.subarray(this.offset, this.offset + n));
    this.offset += n;
    this.done = this.offset === this.bytes.length;
    return n;
  }
}

/** A string, encoded to UTF-8 straight into each frame (no copy of the
 *  whole in between); its length in bytes is counted first, for the header. */
class TextSource {
  constructor(text) {
    this.text = text;
    this.read = 0; // UTF-16 units encoded so far
    this.length = utf8Length(text);
    this.done = text.length === 0;
  }

  fill(view) {
    const rest = this.read === 0 ? this.text : this.text.substring(this.read);
    const { read, written } = encoder.encodeInto(rest, view);
    this.read += read;
    this.done = this.read === this.text.length;
    return written;
  }
}

// ---- spare workers
//
// Starting a worker (a new isolate that loads this host's modules) takes
// about as long as everything else in Reactor.load together. A spare is a
// worker started ahead of time, booted and waiting for its job; a load or a
// rebuild that finds one skips the wait. Spares are kept per stackSizeMb
// (the only worker option fixed at creation), once a process has shown it
// starts workers more than once (a second Reactor, a rebuild after a trap)
// or asked for them (Reactor.prestart).

const isDeno = typeof globalThis.Deno !== 'undefined';
const spares = new Map(); // stackSizeMb -> [{worker, booted}]
let workersStarted = 0;
let sparesWanted = false;
// A spare starts this long after a load or rebuild is done, so that it does
// not compete with the first calls of the new instance.
const REFILL_DELAY_MS = 20;

function newWorker(stackSizeMb, job) {
  workersStarted++;
  const worker = new Worker(WORKER_URL, {
    workerData: job ? { job } : {},
    resourceLimits: { stackSizeMb },
    env: {}, // the guest gets options.env through WASI, nothing else
  });
  worker.unref(); // an idle reactor (or spare) does not keep the process alive
  return worker;
}

function addSpare(stackSizeMb) {
  const worker = newWorker(stackSizeMb, null);
  const list = spares.get(stackSizeMb) ?? [];
  spares.set(stackSizeMb, list);
  let booted;
  const spare = { worker, taken: false, booted: new Promise((resolve) => { booted = resolve; }) };
  spare.ready = () => booted();
  const drop = () => {
    const i = list.indexOf(spare);
    if (i >= 0) list.splice(i, 1);
    booted();
  };
  spare.onMessage = (message) => {
    if (message === 'booted') booted();
  };
  spare.onError = drop;
  spare.onExit = drop;
  worker.on('message', spare.onMessage);
  worker.on('error', spare.onError);
  worker.on('exit', spare.onExit);
  worker.unref(); // again: a 'message' listener refs the worker's port (Node)
  list.push(spare);
  return spare;
}

/** A spare worker (booted, or still booting) for this stack size, or null. */
function takeSpare(stackSizeMb) {
  const spare = spares.get(stackSizeMb)?.shift();
  if (!spare) return null;
  spare.taken = true;
  spare.ready(); // for prestart(): it is in use now
  spare.worker.off('message', spare.onMessage);
  spare.worker.off('error', spare.onError);
  spare.worker.off('exit', spare.onExit);
  return spare.worker;
}

/** Tops the spares of `stackSizeMb` up to Reactor.spareWorkers, if wanted. */
function refillSpares(stackSizeMb) {
  if (!sparesWanted && workersStarted < 2) return;
  const count = Reactor.spareWorkers;
  while ((spares.get(stackSizeMb)?.length ?? 0) < count) addSpare(stackSizeMb);
}

/**
 * The calls of the contract as values, on top of a subclass's call(op, name,
 * payload) -> Promise<{tag, text}>: shared by Reactor and ProcessReactor.
 */
export class ReactorCalls {
  init() { return this.#value('init'); }
  registerLambda(name, code) { return this.#value('register_lambda', name, code); }
  registerDef(name, code) { return this.#value('register_def', name, code); }
  registerModule(name, code) { return this.#value('register_module', name, code); }
  unregisterLambda(name) { return this.#value('unregister_lambda', name); }
  unregisterDef(name) { return this.#value('unregister_def', name); }
  unregisterModule(name) { return this.#value('unregister_module', name); }
  // async: args that cannot be sent (args-json.mjs) reject instead of throwing
  async applyLambda(name, args = []) { return this.#value('apply_lambda', name, argsText(args)); }
  async applyDef(name, args = []) { return this.#value('apply_def', name, argsText(args)); }
  applyLambdaRaw(name, argsText = '[]') { return this.call('apply_lambda', name, argsText); }
  applyDefRaw(name, argsText = '[]') { return this.call('apply_def', name, argsText); }
  /** Runs a code cell in the instance's __main__; its last expression's value. */
  run(code) { return this.#value('run', undefined, code); }

  async #value(op, name, payload) {
    return valueOf(await this.call(op, name, payload));
  }
}

export class Reactor extends ReactorCalls {
  /**
   * How many spare workers to keep booted per stackSizeMb, once this process
   * has started a second worker or called prestart() (0: none). Default 1
   * under Node; 0 under Deno, whose Worker constructor blocks the calling
   * thread until the worker has booted, so that a spare saves nothing.
   */
  static spareWorkers = isDeno ? 0 : 1;

  /**
   * Starts spare workers now (up to `count`, default Reactor.spareWorkers or
   * 1) and resolves when they have booted: the next loads skip the worker's
   * start-up.
   */
  static async prestart({ stackSizeMb = 256, count = Math.max(Reactor.spareWorkers, 1) } = {}) {
    sparesWanted = true;
    while ((spares.get(stackSizeMb)?.length ?? 0) < count) addSpare(stackSizeMb);
    const waiting = [...(spares.get(stackSizeMb) ?? [])];
    for (const spare of waiting) spare.worker.ref(); // the process waits for them
    try {
      await Promise.all(waiting.map((spare) => spare.booted));
    } finally {
      for (const spare of waiting) if (!spare.taken) spare.worker.unref();
    }
  }

  /** Compiles the module (once; every rebuild reuses it) and starts the worker. */
  static async load(options = {}) {
    const reactor = new Reactor(null, options); // checks the options: a TypeError here
    const wasm = reactor.#options.wasm ?? DEFAULT_WASM;
    const compiled = wasm instanceof WebAssembly.Module;
    if (compiled) {
      reactor.#module = wasm;
    } else {
      // The worker boots while the module compiles; it gets it by message.
      const link = reactor.#spawn();
      let module;
      try {
        module = await compile(wasm);
      } catch (error) {
        reactor.#closed = true;
        reactor.#shut(link, new Error('Reactor.load failed'));
        throw error;
      }
      reactor.#module = module;
      if (!link.failure) link.worker.postMessage({ ...link.job, module });
    }
    await reactor.#enqueue(() => reactor.#driveAsync(reactor.#ensure()));
    return reactor;
  }

  #module;
  #options; // checked (options.mjs), with the defaults
  #workerData;
  #capacity;
  #spinMicros;
  #stdinRest = NO_INPUT; // what a stdin function gave beyond what the guest read
  #link = null; // the current worker, if any (it may still be starting)
  #everReady = false;
  #queue = Promise.resolve();
  #starting = false; // #start is running a task that #queue does not hold yet
  #gate = null; // a Gate for the calls made meanwhile, see #start
  #pending = 0; // async calls queued or running
  #inSync = false; // a *Sync call is running
  #log = []; // succeeded register_*/unregister_*, replayed after a trap
  #closed = false;
  #host; // the host functions (host-functions.mjs), run here for the worker
  /** How many times the instance was rebuilt after a trap. */
  rebuilds = 0;

  /** `options` as for load(); a bad value or an unknown key is a TypeError. */
  constructor(module, options = {}) {
    super();
    this.#module = module;
    this.#options = { stackSizeMb: 256, ...reactorOptions(options) };
    const { env = {}, preopens = {}, stdin = NO_INPUT, stdout, stderr, memoryMb = 0 } = this.#options;
    this.#host = new HostFunctions(this, this.#options.hostFunctions, this.#options.hostFunctionsRaw);
    this.#capacity = this.#options.channelBytes ?? DEFAULT_CAPACITY;
    this.#spinMicros = this.#options.spinMicros ?? DEFAULT_SPIN_MICROS;
    // Checked and copied, so that later changes to the caller's objects do
    // not reach a rebuilt instance. Preopens as {guestPath: {path, readOnly}}.
    this.#workerData = {
      env,
      preopens,
      stdin: typeof stdin === 'function' ? 'callback' : stdin, // a function runs here: #answerInput
      stdout: outputTarget(stdout),
      stderr: outputTarget(stderr),
      memoryMb,
      hostFunctions: this.#host.names, // the worker asks for these, answers the rest itself
    };
  }

  /** The compiled module, e.g. to load more reactors without recompiling. */
  get module() {
    return this.#module;
  }

  /**
   * Runs any op and resolves to {tag, text}, text being the guest's JSON
   * untouched. Rejects only for a trap (PythonError type 'Trap').
   */
  call(op, name, textOrArgs) {
    let request;
    try {
      request = requestFor(op, name, textOrArgs);
    } catch (error) {
      return Promise.reject(error);
    }
    if (this.#host.size > 0) HostCall.reentered(this, op); // see host-functions.mjs
    return this.#enqueue(() => this.#callAsync(request));
  }

  // The same, synchronous: the calling thread blocks until the result (or
  // timeoutMs). They throw what the async ones reject with.
  initSync() { return this.#valueSync('init'); }
  registerLambdaSync(name, code) { return this.#valueSync('register_lambda', name, code); }
  registerDefSync(name, code) { return this.#valueSync('register_def', name, code); }
  registerModuleSync(name, code) { return this.#valueSync('register_module', name, code); }
  unregisterLambdaSync(name) { return this.#valueSync('unregister_lambda', name); }
  unregisterDefSync(name) { return this.#valueSync('unregister_def', name); }
  unregisterModuleSync(name) { return this.#valueSync('unregister_module', name); }
  applyLambdaSync(name, args = []) { return this.#valueSync('apply_lambda', name, argsText(args)); }
  applyDefSync(name, args = []) { return this.#valueSync('apply_def', name, argsText(args)); }
  applyLambdaRawSync(name, argsText = '[]') { return this.callSync('apply_lambda', name, argsText); }
  applyDefRawSync(name, argsText = '[]') { return this.callSync('apply_def', name, argsText); }

  /** call(), synchronous. Throws if an async call is queued or running. */
  callSync(op, name, textOrArgs) {
    const request = requestFor(op, name, textOrArgs);
    if (this.#closed) throw new Error('Reactor is closed');
    if (this.#pending > 0 || this.#inSync) {
      throw new Error('Reactor is busy: a synchronous call cannot run while another call is queued or running');
    }
    this.#inSync = true;
    try {
      return this.#callSync(request);
    } finally {
      this.#inSync = false;
    }
  }

  /** Waits for queued calls, then stops the worker. */
  async close() {
    if (this.#closed) return;
    if (this.#host.size > 0) HostCall.reentered(this, 'close'); // it waits for the current call
    this.#closed = true;
    await this.#tail();
    const link = this.#link;
    this.#link = null;
    if (link) await this.#shut(link, new Error('Reactor is closed'));
  }

  /** Test hook: calls an export with raw i32 arguments (e.g. a bad pointer). */
  _rawExport(exportName, ...args) {
    return this.#enqueue(() => this.#driveAsync(this.#run({ op: RAW_OP, exportName, args })));
  }

  /** Test hook: kills the worker as if it had died on its own. */
  _killWorker() {
    this.#link?.worker.terminate();
  }

  #valueSync(op, name, payload) {
    return valueOf(this.callSync(op, name, payload));
  }

  /**
   * Calls run one at a time, in order; a failed call does not stop the queue.
   * `task` returns a promise, or the result itself when it was done before
   * it returned (an answer that came while we polled): such a call leaves
   * nothing behind for later calls to wait for, so it costs no queue entry.
   */
  #enqueue(task) {
    if (this.#closed) return Promise.reject(new Error('Reactor is closed'));
    // Nothing ahead of it: start now, so the request is on its way at once.
    // (#pending counts it meanwhile: output callbacks and host functions run
    // inside task, and a *Sync call from one must find the reactor busy.)
    if (this.#pending++ === 0 && !this.#inSync) return this.#start(task);
    const run = this.#tail().then(task);
    this.#queue = run.then(this.#done, this.#done);
    return run;
  }

  /**
   * Runs `task` now. An output callback or a host function that it runs
   * before it returns may call this reactor again (or close it): #queue
   * does not hold this task yet, so such a call waits behind a gate that
   * opens once the task is recorded (#tail), instead of running alongside.
   */
  #start(task) {
    let run;
    let failed = false;
    this.#starting = true;
    try {
      run = task();
    } catch (error) {
      run = error;
      failed = true;
    } finally {
      this.#starting = false;
    }
    const gate = this.#gate;
    this.#gate = null;
    if (failed || !(run instanceof Promise)) {
      // Done (or failed) before it returned: nothing for later calls to wait for.
      this.#pending--;
      gate?.open();
      return failed ? Promise.reject(run) : Promise.resolve(run);
    }
    const settled = run.then(this.#done, this.#done);
    if (gate) gate.open(settled); // the calls made meanwhile are in #queue already, behind it
    else this.#queue = settled;
    return run;
  }

  /** What a call enqueued now waits for: #queue, or the gate of the task being started. */
  #tail() {
    if (!this.#starting || this.#gate !== null) return this.#queue;
    this.#gate = new Gate();
    return this.#gate.promise;
  }

  #done = () => {
    this.#pending--;
  };

  // ---- drivers: run a protocol generator, waiting whenever it yields a link

  #driveSync(steps) {
    let step = steps.next();
    while (!step.done) {
      this.#waitSync(step.value); // never a HostWait: #hostCall does not wait in a sync call
      step = steps.next();
    }
    return step.value;
  }

  async #driveAsync(steps) {
    let step = steps.next();
    let streak = 0; // answers in a row that came without a trip through the event loop
    let since = 0; // when the streak's time began to be counted
    while (!step.done) {
      const link = step.value;
      if (link instanceof HostWait) {
        await this.#waitHost(link);
        streak = 0;
      } else if (!link.spin.spin(link.ctl, WORKER)) {
        await this.#waitAsync(link);
        streak = 0;
      } else if (++streak % 16 === 0) {
        // A guest that prints (to a callback), or calls host functions, as
        // fast as we answer must not starve the event loop: a trip through
        // it every FAIRNESS_MS. (Every 16 frames, as it was, made a loop of
        // host calls 2 µs a call slower: each trip let the worker's poll
        // run out, and waking it costs tens of µs.)
        const now = performance.now();
        if (streak === 16) since = now;
        else if (now - since >= FAIRNESS_MS) {
          streak = 0;
          await new Promise((resolve) => setImmediate(resolve));
        }
      }
      step = steps.next();
    }
    return step.value;
  }

  /** Until the host function has replied, or the call's deadline has passed. */
  async #waitHost({ link, call }) {
    if (link.deadline === Infinity) {
      await call.settled;
      return;
    }
    let timer;
    try {
      while (call.reply === null && performance.now() < link.deadline) {
        const late = new Promise((resolve) => { timer = setTimeout(resolve, link.deadline - performance.now() + 1); });
        await Promise.race([call.settled, late]);
        clearTimeout(timer);
      }
    } finally {
      clearTimeout(timer);
    }
  }

  #deadline(link, sync) {
    if (link.phase === CALLING) return link.deadline;
    return sync ? link.born + SYNC_START_LIMIT_MS : Infinity;
  }

  /** Blocks until it is this side's turn on `link` (or the link is given up). */
  #waitSync(link) {
    const ctl = link.ctl;
    if (link.spin.spin(ctl, WORKER)) return;
    Atomics.store(ctl, MAIN_SLEEPS, 1);
    try {
      for (;;) {
        if (Atomics.load(ctl, TURN) !== WORKER) return;
        const deadline = this.#deadline(link, true);
        const ms = deadline === Infinity ? Infinity : deadline - performance.now();
        if (ms <= 0) {
          this.#expire(link);
          return;
        }
        Atomics.wait(ctl, TURN, WORKER, ms);
      }
    } finally {
      Atomics.store(ctl, MAIN_SLEEPS, 0);
    }
  }

  async #waitAsync(link) {
    const ctl = link.ctl;
    // A pending waitAsync does not keep the process alive; the worker does.
    link.worker.ref();
    let timer = null;
    try {
      const deadline = this.#deadline(link, false);
      if (deadline !== Infinity) {
        timer = setTimeout(() => this.#expire(link), Math.max(0, deadline - performance.now()));
      }
      Atomics.store(ctl, MAIN_SLEEPS, 1);
      while (Atomics.load(ctl, TURN) === WORKER) {
        const wait = Atomics.waitAsync(ctl, TURN, WORKER);
        if (wait.async) await wait.value;
      }
    } finally {
      Atomics.store(ctl, MAIN_SLEEPS, 0);
      clearTimeout(timer);
      link.worker.unref();
    }
  }

  #expire(link) {
    if (link.phase === CALLING) {
      this.#fail(link, `the call took longer than ${this.#options.timeoutMs} ms`, 'Timeout');
    } else {
      this.#fail(link, `no answer from the new worker in ${SYNC_START_LIMIT_MS / 1000} s`);
    }
  }

  // ---- workers

  /** Starts a worker (or takes a spare) and makes it the current one. */
  #spawn() {
    const sab = createBuffer(this.#capacity);
    const job = { ...this.#workerData, module: this.#module, sab, spinMicros: this.#spinMicros };
    const stackSizeMb = this.#options.stackSizeMb;
    let worker = takeSpare(stackSizeMb);
    if (worker) {
      if (job.module) worker.postMessage(job);
    } else {
      worker = newWorker(stackSizeMb, job.module ? job : null);
    }
    const link = new Link(worker, sab, this.#everReady, this.#spinMicros);
    link.job = job; // what a worker started before the module compiled still needs
    worker.on('error', (error) => {
      const message = error?.message ?? String(error);
      this.#fail(link, link.ready ? `the worker died: ${message}` : message);
    });
    worker.on('exit', (code) => this.#fail(link, `the worker exited (code ${code})`));
    this.#link = link;
    return link;
  }

  /**
   * Gives up `link`: what waits on it throws `link.failure`. A sleeping
   * guest is woken (wasi-sleep.mjs), the worker terminated. When it was the
   * current, working instance, its replacement starts at once (it is
   * replayed into before its first call).
   */
  #fail(link, reason, type = 'Trap', ErrorClass = Error) {
    if (link.failure) return;
    this.#shut(link, link.ready
      ? new PythonError({ type, message: reason })
      : new ErrorClass(`python reactor failed to start: ${reason}`));
    if (this.#link === link) {
      this.#link = null;
      // The replacement starts as soon as this call has been answered.
      if (link.ready && !this.#closed) {
        setTimeout(() => {
          if (!this.#link && !this.#closed) this.#spawn();
        }, 0);
      }
    }
  }

  #shut(link, failure) {
    link.failure ??= failure;
    const ctl = link.ctl;
    Atomics.store(ctl, WAKE, 1);
    Atomics.notify(ctl, WAKE);
    Atomics.store(ctl, TURN, CLOSED);
    Atomics.notify(ctl, TURN);
    return link.worker.terminate();
  }

  /** Throws when `link` was given up. */
  #check(link) {
    if (Atomics.load(link.ctl, TURN) === CLOSED) throw link.failure ?? new Error('the worker is gone');
  }

  /** Before letting the worker go on within a call: is its time up? */
  #checkTime(link) {
    if (link.deadline !== Infinity && performance.now() > link.deadline) {
      this.#expire(link);
      throw link.failure;
    }
  }

  /** Writes the header of a frame and hands the turn to the worker. */
  #give(link, kind, tag, nameLen, len, more, total) {
    const ctl = link.ctl;
    ctl[KIND] = kind;
    ctl[TAG] = tag;
    ctl[NAME_LEN] = nameLen;
    ctl[LEN] = len;
    ctl[MORE] = more ? 1 : 0;
    ctl[TOTAL] = total;
    if (Atomics.compareExchange(ctl, TURN, MAIN, WORKER) !== MAIN) {
      throw link.failure ?? new Error('the worker is gone');
    }
    if (Atomics.load(ctl, WORKER_SLEEPS) !== 0) Atomics.notify(ctl, TURN);
  }

  // ---- the protocol (generators: each `yield link` waits for the worker)

  /** The working instance: starts one and replays into it if need be. */
  *#ensure() {
    let link = this.#link;
    if (link && link.ready && !link.rebuild) return link;
    link ??= this.#spawn();
    if (!link.ready) yield* this.#boot(link);
    if (link.rebuild) {
      link.rebuild = false;
      this.rebuilds++;
      yield* this.#replay();
    }
    return this.#link;
  }

  /** Waits for READY (or the reason the worker could not start). */
  *#boot(link) {
    link.phase = STARTING;
    yield link;
    this.#check(link);
    const kind = link.ctl[KIND];
    if (kind === READY) {
      link.ready = true;
      link.phase = CALLING;
      this.#everReady = true;
      if (Reactor.spareWorkers > 0 && (sparesWanted || workersStarted >= 2)) {
        const stackSizeMb = this.#options.stackSizeMb;
        setTimeout(() => refillSpares(stackSizeMb), REFILL_DELAY_MS);
      }
      return;
    }
    // FATAL's TAG 1: the options cannot work with this module (e.g. a
    // memoryMb below the module's own memory): a RangeError, as Guest throws.
    const ErrorClass = kind === FATAL && link.ctl[TAG] === 1 ? RangeError : Error;
    const message = kind === FATAL ? decoder.decode(yield* this.#readMessage(link)) : `unexpected frame ${kind}`;
    this.#fail(link, message, 'Trap', ErrorClass);
    throw link.failure;
  }

  /**
   * Re-runs the registrations of the lost instance, in order. One that traps
   * now (it did not before) is dropped, and replay starts over without it.
   */
  *#replay() {
    for (let i = 0; i < this.#log.length; i++) {
      const entry = this.#log[i];
      const link = this.#link ?? this.#spawn();
      if (!link.ready) yield* this.#boot(link);
      link.rebuild = false;
      let result;
      try {
        result = yield* this.#exchange(link, entry);
      } catch (error) {
        if (!(error instanceof PythonError)) throw error;
        this.#log.splice(i, 1);
        warnReplay(entry, `trapped (${error.message}); dropped`);
        i = -1;
        continue;
      }
      if (result.tag !== 'ok') warnReplay(entry, `failed: ${result.text}`);
    }
    const link = this.#link ?? this.#spawn();
    if (!link.ready) yield* this.#boot(link);
    link.rebuild = false;
  }

  *#run(request) {
    const link = yield* this.#ensure();
    return this.#logged(link, request, yield* this.#exchange(link, request));
  }

  /** One call on a ready link: resolves to {tag, text}; throws PythonError for a trap. */
  *#exchange(link, request) {
    this.#startTimer(link, request.op);
    if (request.op === RAW_OP) {
      const json = encoder.encode(JSON.stringify({ exportName: request.exportName, args: request.args }));
      yield* this.#sendChunks(link, RAW, 0, 0, json);
    } else {
      const rest = this.#writeRequest(link, request);
      if (rest) yield* this.#streamRequest(link, request.op, rest);
    }
    yield link;
    return yield* this.#receive(link);
  }

  /**
   * The call's deadline. `init` has none: it runs no user code, only the
   * interpreter's start (the plain module's takes a while, and longer on a
   * loaded machine), which a short limit would turn into a Timeout forever.
   */
  #startTimer(link, op) {
    const { timeoutMs } = this.#options;
    link.deadline = timeoutMs && op !== 'init' ? performance.now() + timeoutMs : Infinity;
  }

  /** The worker's answer to a request, from the frame it just handed over. */
  *#receive(link) {
    const ctl = link.ctl;
    for (;;) {
      this.#check(link);
      const kind = ctl[KIND];
      if (kind === RESULT) {
        const tag = TAG_NAMES[ctl[TAG]];
        const bytes = ctl[MORE] ? yield* this.#readMessage(link) : link.data.subarray(0, ctl[LEN]);
        return { tag, text: decoder.decode(bytes) };
      }
      if (kind === OUTPUT) {
        const fd = ctl[TAG];
        const bytes = ctl[MORE] ? yield* this.#readMessage(link) : link.data.slice(0, ctl[LEN]);
        this.#emitOutput(fd, bytes);
        this.#checkTime(link);
        this.#give(link, NEXT, 0, 0, 0, false, 0);
        yield link;
        continue;
      }
      if (kind === INPUT) {
        const len = this.#answerInput(link.data, ctl[TOTAL]);
        this.#checkTime(link);
        this.#give(link, NEXT, 0, 0, len, false, len);
        yield link;
        continue;
      }
      if (kind === HOSTCALL) {
        yield* this.#hostCall(link);
        continue;
      }
      if (kind === TRAP) {
        const type = TRAP_TYPES[ctl[TAG]] ?? 'Trap';
        const message = decoder.decode(yield* this.#readMessage(link));
        this.#fail(link, message, type);
        throw link.failure;
      }
      this.#fail(link, `host error: unexpected frame ${kind} from the worker`);
      throw link.failure;
    }
  }

  /**
   * The guest called a host function (a HOSTCALL frame): runs it here and
   * answers REPLY. The worker waits inside the guest's host.call meanwhile;
   * an async function's promise is awaited within the call's deadline (the
   * async API; a *Sync call answers an error reply instead).
   */
  *#hostCall(link) {
    const ctl = link.ctl;
    const nameLen = ctl[NAME_LEN]; // our NEXT frames reset it: read it first
    const bytes = ctl[MORE] ? yield* this.#readMessage(link) : link.data.subarray(0, ctl[LEN]);
    const name = decoder.decode(bytes.subarray(0, nameLen));
    const args = decoder.decode(bytes.subarray(nameLen));
    let reply;
    if (this.#inSync) {
      reply = this.#host.startSync(name, args, SYNC_CANNOT_WAIT);
    } else {
      reply = this.#host.start(name, args);
      if (reply instanceof HostCall) reply = yield* this.#awaitHost(link, reply);
    }
    this.#check(link);
    this.#checkTime(link);
    yield* this.#sendReply(link, reply);
    yield link;
  }

  /** The reply of an async host function, waited for by #driveAsync; past
   *  the deadline, the call is given up (Timeout) and so is the function. */
  *#awaitHost(link, call) {
    yield new HostWait(link, call);
    if (call.reply !== null) return call.reply;
    call.refuse(`the call took longer than ${this.#options.timeoutMs} ms`); // aborts its signal
    this.#expire(link);
    throw link.failure;
  }

  /** Sends a host function's reply: one frame, or a stream of them when big. */
  *#sendReply(link, { ok, text }) {
    const tag = ok ? 0 : 1;
    if (text.length * 3 <= link.capacity) {
      const len = encoder.encodeInto(text, link.data).written;
      this.#give(link, REPLY, tag, 0, len, false, len);
      return;
    }
    const source = new TextSource(text);
    yield* this.#stream(link, REPLY, tag, { nameLen: 0, total: source.length, sources: [source] });
  }

  // ---- the fast path: a working instance, a request and a result that
  // each fit in one frame, nothing printed to a callback. Same protocol as
  // #exchange, without generators; anything else continues on the general
  // path from where it is.

  /** The ready link, when a call can take the fast path. */
  #fastLink(request) {
    const link = this.#link;
    return link !== null && link.ready && !link.rebuild && request.op !== RAW_OP ? link : null;
  }

  /** A single-frame RESULT, or null (then #receive takes over). */
  #quickResult(link) {
    const ctl = link.ctl;
    if (Atomics.load(ctl, TURN) !== MAIN || ctl[KIND] !== RESULT || ctl[MORE]) return null;
    return { tag: TAG_NAMES[ctl[TAG]], text: decoder.decode(link.data.subarray(0, ctl[LEN])) };
  }

  #callSync(request) {
    const link = this.#fastLink(request);
    if (!link) return this.#driveSync(this.#run(request));
    this.#startTimer(link, request.op);
    if (this.#writeRequest(link, request) !== null) return this.#driveSync(this.#run(request));
    this.#waitSync(link);
    const result = this.#quickResult(link) ?? this.#driveSync(this.#receive(link));
    return this.#logged(link, request, result);
  }

  #callAsync(request) {
    const link = this.#fastLink(request);
    if (!link) return this.#driveAsync(this.#run(request));
    this.#startTimer(link, request.op);
    if (this.#writeRequest(link, request) !== null) return this.#driveAsync(this.#run(request));
    if (!link.spin.spin(link.ctl, WORKER)) return this.#finishAsync(link, request);
    const result = this.#quickResult(link);
    if (result) return this.#logged(link, request, result);
    return this.#driveAsync(this.#receive(link)).then((r) => this.#logged(link, request, r));
  }

  async #finishAsync(link, request) {
    await this.#waitAsync(link);
    const result = this.#quickResult(link) ?? await this.#driveAsync(this.#receive(link));
    return this.#logged(link, request, result);
  }

  /**
   * Keeps a registration that succeeded for the replay. One whose record
   * breaks the contract (guest code can make _reactor write anything) is
   * undone instead, as the native host does it: the instance is given up
   * as after a trap, and the call rejects with InvalidResult. The texts of
   * other calls are passed on as they are (the raw API's promise).
   */
  #logged(link, request, result) {
    if (!isRegistration(request.op)) return result;
    const why = contractBreach(result);
    if (why !== null) {
      this.#fail(link, why, 'InvalidResult');
      throw link.failure;
    }
    if (result.tag === 'ok') this.#log.push(request);
    return result;
  }

  /**
   * Writes a request that fits into the data area and hands it over;
   * returns null, or the parts ({nameLen, total, sources}) of one that must
   * go in several frames.
   */
  #writeRequest(link, { op, name, payload }) {
    const { data, capacity } = link;
    if (typeof name === 'string' && typeof payload === 'string'
        && (name.length + payload.length) * 3 <= capacity) {
      const nameLen = name.length === 0 ? 0 : encoder.encodeInto(name, data).written;
      const total = payload.length === 0 ? nameLen
        : nameLen + encoder.encodeInto(payload, nameLen === 0 ? data : data.subarray(nameLen)).written;
      this.#give(link, REQUEST, OP_CODES[op], nameLen, total, false, total);
      return null;
    }
    const nameBytes = toBytes(name);
    const nameLen = nameBytes.length;
    const second = typeof payload === 'string' ? new TextSource(payload) : toBytes(payload);
    const total = nameLen + second.length;
    if (total <= capacity) {
      data.set(nameBytes);
      if (second instanceof TextSource) second.fill(data.subarray(nameLen));
      else data.set(second, nameLen);
      this.#give(link, REQUEST, OP_CODES[op], nameLen, total, false, total);
      return null;
    }
    return { nameLen, total, sources: [new BytesSource(nameBytes), second instanceof TextSource ? second : new BytesSource(second)] };
  }

  /** Sends a big request frame by frame, each but the last answered by ACK;
   *  strings are encoded straight into the data area as it goes. */
  *#streamRequest(link, op, parts) {
    yield* this.#stream(link, REQUEST, OP_CODES[op], parts);
  }

  /** Sends the bytes of `sources` as frames of `kind`, each but the last answered by ACK. */
  *#stream(link, kind, tag, { nameLen, total, sources }) {
    const { data, capacity } = link;
    let sent = 0;
    let i = 0;
    for (;;) {
      let len = 0;
      while (len < capacity && i < sources.length) {
        len += sources[i].fill(len === 0 ? data : data.subarray(len, capacity));
        if (sources[i].done) i++;
        else if (len > 0 && capacity - len < 4) break; // no room for one more character
      }
      sent += len;
      const more = i < sources.length;
      if (!more && sent !== total) {
        this.#fail(link, `host error: message of ${sent} bytes, ${total} announced`);
        throw link.failure;
      }
      this.#give(link, kind, tag, nameLen, len, more, total);
      if (!more) return;
      yield* this.#awaitAck(link);
    }
  }

  /** Waits for the worker to take a frame that is not the last of its
   *  message: the turn must come back with an ACK, in time. */
  *#awaitAck(link) {
    yield link;
    this.#check(link);
    this.#checkTime(link);
    if (link.ctl[KIND] !== ACK) {
      this.#fail(link, `host error: expected ACK, got frame ${link.ctl[KIND]}`);
      throw link.failure;
    }
  }

  /** Sends `bytes` in frames of `kind`, each but the last answered by ACK. */
  *#sendChunks(link, kind, tag, nameLen, bytes) {
    const total = bytes.length;
    let offset = 0;
    for (;;) {
      const len = Math.min(link.capacity, total - offset);
      link.data.set(bytes.subarray(offset, offset + len));
      offset += len;
      const more = offset < total;
      this.#give(link, kind, tag, nameLen, len, more, total);
      if (!more) return;
      yield* this.#awaitAck(link);
    }
  }

  /** The worker's message starting at the current frame: a copy when it came
   *  in several frames, else a view of the data area (valid until we give). */
  *#readMessage(link) {
    const ctl = link.ctl;
    if (!ctl[MORE]) return link.data.subarray(0, ctl[LEN]);
    const kind = ctl[KIND];
    const bytes = new Uint8Array(ctl[TOTAL]);
    let offset = 0;
    for (;;) {
      const len = Math.min(ctl[LEN], bytes.length - offset);
      bytes.set(link.data.subarray(0, len), offset);
      offset += len;
      if (!ctl[MORE]) return bytes;
      this.#checkTime(link);
      this.#give(link, NEXT, 0, 0, 0, false, 0);
      yield link;
      this.#check(link);
      if (ctl[KIND] !== kind) {
        this.#fail(link, `host error: expected frame ${kind}, got ${ctl[KIND]}`);
        throw link.failure;
      }
    }
  }

  /**
   * The guest reads stdin and options.stdin is a function: writes up to
   * `max` bytes of input into `data` and returns how many (0: end of file).
   * What a chunk holds beyond `max` is kept for the next read; the function
   * is asked again each time that is used up, also after an end of file.
   */
  #answerInput(data, max) {
    if (max <= 0) return 0; // a read of nothing: no chunk asked for
    if (this.#stdinRest.length === 0) this.#stdinRest = this.#nextInput(max);
    const n = Math.min(max, this.#stdinRest.length);
    data.set(this.#stdinRest.subarray(0, n));
    this.#stdinRest = this.#stdinRest.subarray(n);
    return n;
  }

  #nextInput(max) {
    try {
      const chunk = this.#options.stdin(max);
      if (chunk === null || chunk === undefined) return NO_INPUT;
      if (typeof chunk === 'string') return encoder.encode(chunk);
      if (chunk instanceof Uint8Array) return new Uint8Array(chunk); // a copy: the caller may reuse its buffer
      throw new TypeError(`stdin: the function returned ${typeof chunk}, not a string, Uint8Array or null`);
    } catch (error) {
      // As for an output callback: reported, and the guest reads end of file.
      queueMicrotask(() => {
        throw error;
      });
      return NO_INPUT;
    }
  }

  #emitOutput(fd, bytes) {
    const sink = fd === 1 ? this.#options.stdout : this.#options.stderr;
    try {
      sink(bytes);
    } catch (error) {
      // As an exception in an event handler would: the call goes on.
      queueMicrotask(() => {
        throw error;
      });
    }
  }
}

function warnReplay(entry, what) {
  const name = typeof entry.name === 'string' ? entry.name : '(bytes)';
  process.emitWarning(`replaying ${entry.op} ${name} after a trap ${what}`, 'PythonReactorWarning');
}
