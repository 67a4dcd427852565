// @ts-self-types="./index.d.ts"
// JavaScript host of python-reactor.wasm (ABI version 2), for Node >= 20 and
// Deno 2: the public entry (Reactor, PythonError) and the Reactor class.
// The instance runs in a worker thread (worker.mjs, with guest.mjs doing
// the byte-level work there); calls cross over a SharedArrayBuffer
// (channel.mjs; this side's end is main-end.mjs) instead of messages.
// Reactor queues calls, turns results into values or PythonErrors
// (calls.mjs, shared with ProcessReactor), stops calls that run too long,
// and rebuilds the instance after a trap, replaying every registration that
// had succeeded (replay.mjs) so that the user loses nothing but the call
// that trapped. It also runs the host functions the guest calls
// (host-functions.mjs): the worker asks for each with a HOSTCALL frame and
// waits for the REPLY. Workers come from spares.mjs, a function stdin is
// answered by stdin.mjs.
//
// One protocol, two ways to wait: each exchange with the worker is a
// generator that yields whenever it needs the worker's answer; the async
// API drives it with Atomics.waitAsync, the *Sync API with Atomics.wait.
// It also yields (a HostWait) when it needs an async host function's
// reply, which only the async API waits for.

import { setImmediate } from 'node:timers';
import v8 from 'node:v8';
import { readFile } from 'node:fs/promises';
import { reactorOptions, defaultWasm } from './options.mjs';
import { argsText } from './args-json.mjs';
import { HostFunctions, HostCall } from './host-functions.mjs';
import {
  KIND, LEN, MORE, TAG, TOTAL, READY, FATAL, REQUEST, RESULT, TRAP, OUTPUT, NEXT, RAW,
  INPUT, HOSTCALL, REPLY, TAG_NAMES, TRAP_TYPES, DEFAULT_CAPACITY, createBuffer, DEFAULT_SPIN_MICROS,
} from './channel.mjs';
import { PythonError, ReactorCalls, valueOfAnswer, requestFor } from './calls.mjs';
import { Capture } from './capture.mjs';
import { isRegistration, contractBreach, warnReplay } from './replay.mjs';
import { Link, HostWait, TextSource, STARTING, CALLING, SYNC_START_LIMIT_MS, textOf } from './main-end.mjs';
import { StdinFeed } from './stdin.mjs';
import * as spares from './spares.mjs';

export { OPS } from './ops.mjs';
export { OUTPUT_LIMIT_BYTES } from './capture.mjs';
export { PythonError, ReactorCalls };
/** Kept for callers of earlier versions: process-reactor.mjs takes them from calls.mjs and replay.mjs now. */
export { requestFor, isRegistration, warnReplay };

const RAW_OP = '__raw_export';
/** An async call that keeps the main thread busy (answers coming as fast as
 *  it reads them) goes through the event loop at least this often (ms). */
const FAIRNESS_MS = 2;
const NO_INPUT = new Uint8Array(0);

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/**
 * Option topTier: from now on V8 compiles every wasm function of this
 * process straight with its optimizing compiler (TurboFan), on first call,
 * instead of its baseline compiler (Liftoff) first and TurboFan later for
 * the functions that run hot. A process-wide V8 flag (--no-liftoff): it
 * holds for every module this process runs, and cannot be undone for code
 * already compiled. The guest runs at full speed from its first call; the
 * first calls that reach new code (a fresh process's first load and
 * register, 1-3 s more on the build VM) are slower (README.md,
 * "First calls and V8's tiers").
 */
function useTopTier() {
  if (typeof globalThis.Deno !== 'undefined') {
    // Deno's node:v8 setFlagsFromString does nothing: the flag must come
    // from its command line, where we cannot see it.
    throw new Error('Reactor: topTier needs Node; under Deno run with --v8-flags=--no-liftoff instead');
  }
  v8.setFlagsFromString('--no-liftoff');
}

async function compile(wasm) {
  if (wasm instanceof WebAssembly.Module) return wasm;
  if (wasm instanceof Uint8Array || wasm instanceof ArrayBuffer) return WebAssembly.compile(wasm);
  return WebAssembly.compile(await readFile(wasm));
}

/** What the worker does with a stdout/stderr option: functions run here.
 *  By default both go to this process's stderr, never to its stdout (as in
 *  every host of the project: stdout is the program's own). */
const outputTarget = (value = 'stderr') => (typeof value === 'function' ? 'callback' : value);

/** A promise that opens (resolves, to a value or another promise's outcome) when told to. */
class Gate {
  constructor() {
    this.promise = new Promise((resolve) => { this.open = resolve; });
  }
}

/** Why a *Sync call answers an async host function with an error reply. */
const SYNC_CANNOT_WAIT = 'a synchronous call (applyDefSync, callSync, ...) cannot wait for it: use the async calls';

export class Reactor extends ReactorCalls {
  /**
   * How many spare workers to keep booted per stackSizeMb, once this process
   * has started a second worker or called prestart() (0: none). Default 1
   * under Node; 0 under Deno, whose Worker constructor blocks the calling
   * thread until the worker has booted, so that a spare saves nothing.
   * A whole number >= 0 (anything else is a TypeError).
   */
  static get spareWorkers() { return spares.spareWorkers(); }
  static set spareWorkers(count) { spares.setSpareWorkers(count); }

  /**
   * Starts spare workers now (up to `count`, default Reactor.spareWorkers or
   * 1) and resolves when they have booted: the next loads skip the worker's
   * start-up.
   */
  static prestart(options) {
    return spares.prestart(options);
  }

  /** Compiles the module (once; every rebuild reuses it) and starts the worker. */
  static async load(options = {}) {
    const reactor = new Reactor(null, options); // checks the options: a TypeError here
    // Before the module is compiled or run: V8 reads the flag when it
    // compiles a function, lazily, at its first call.
    if (reactor.#options.topTier) useTopTier();
    const wasm = reactor.#options.wasm ?? defaultWasm();
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
  #stdin = null; // a StdinFeed when options.stdin is a function
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
  #hostNames; // their names, in the order the worker numbers them (HOSTCALL's TAG)
  /** What a Link calls to give itself up. */
  #linkOwner = {
    fail: (link, reason) => this.#fail(link, reason),
    expire: (link) => this.#expire(link),
  };
  /** How many times the instance was rebuilt after a trap. */
  rebuilds = 0;

  /** `options` as for load(); a bad value or an unknown key is a TypeError. */
  constructor(module, options = {}) {
    super();
    this.#module = module;
    this.#options = { stackSizeMb: 256, ...reactorOptions(options) };
    const { env = {}, preopens = {}, stdin = NO_INPUT, stdout, stderr, memoryMb = 0 } = this.#options;
    if (typeof stdin === 'function') this.#stdin = new StdinFeed(stdin);
    this.#host = new HostFunctions(this, this.#options.hostFunctions, this.#options.hostFunctionsRaw);
    this.#hostNames = this.#host.names;
    this.#capacity = this.#options.channelBytes ?? DEFAULT_CAPACITY;
    this.#spinMicros = this.#options.spinMicros ?? DEFAULT_SPIN_MICROS;
    // Checked and copied, so that later changes to the caller's objects do
    // not reach a rebuilt instance. Preopens as {guestPath: {path, readOnly}}.
    this.#workerData = {
      env,
      preopens,
      stdin: typeof stdin === 'function' ? 'callback' : stdin, // a function runs here: #stdin
      stdout: outputTarget(stdout),
      stderr: outputTarget(stderr),
      memoryMb,
      hostFunctions: this.#hostNames, // the worker asks for these, answers the rest itself
    };
  }

  /** The compiled module, e.g. to load more reactors without recompiling. */
  get module() {
    return this.#module;
  }

  /**
   * Runs any op and resolves to {tag, text}, text being the guest's JSON
   * untouched. Rejects only for a trap (PythonError type 'Trap'). With
   * options { output: true }: {value: {tag, text}, stdout, stderr, ...}.
   */
  call(op, name, textOrArgs, options) {
    let request;
    try {
      request = this.#request(op, name, textOrArgs, options);
    } catch (error) {
      return Promise.reject(error);
    }
    if (this.#host.size > 0) HostCall.reentered(this, op); // see host-functions.mjs
    const run = this.#enqueue(() => this.#callAsync(request));
    const { capture } = request;
    return capture === null ? run : run.then((result) => capture.result(result), (error) => {
      throw capture.attach(error);
    });
  }

  // The same, synchronous: the calling thread blocks until the result (or
  // timeoutMs). They throw what the async ones reject with.
  initSync(options) { return this.#valueSync('init', undefined, undefined, options); }
  registerLambdaSync(name, code, options) { return this.#valueSync('register_lambda', name, code, options); }
  registerDefSync(name, code, options) { return this.#valueSync('register_def', name, code, options); }
  registerModuleSync(name, code, options) { return this.#valueSync('register_module', name, code, options); }
  registerPackageSync(name, files, options) { return this.#valueSync('register_package', name, files, options); }
  unregisterLambdaSync(name, options) { return this.#valueSync('unregister_lambda', name, undefined, options); }
  unregisterDefSync(name, options) { return this.#valueSync('unregister_def', name, undefined, options); }
  unregisterModuleSync(name, options) { return this.#valueSync('unregister_module', name, undefined, options); }
  applyLambdaSync(name, args = [], options) { return this.#valueSync('apply_lambda', name, argsText(args), options); }
  applyDefSync(name, args = [], options) { return this.#valueSync('apply_def', name, argsText(args), options); }
  applyLambdaRawSync(name, argsText = '[]', options) { return this.callSync('apply_lambda', name, argsText, options); }
  applyDefRawSync(name, argsText = '[]', options) { return this.callSync('apply_def', name, argsText, options); }
  /** run(), synchronous. */
  runSync(code, options) { return this.#valueSync('run', undefined, code, options); }

  /** call(), synchronous. Throws if an async call is queued or running. */
  callSync(op, name, textOrArgs, options) {
    const request = this.#request(op, name, textOrArgs, options);
    if (this.#closed) throw new Error('Reactor is closed');
    if (this.#pending > 0 || this.#inSync) {
      throw new Error('Reactor is busy: a synchronous call cannot run while another call is queued or running');
    }
    const { capture } = request;
    this.#inSync = true;
    try {
      const result = this.#callSync(request);
      return capture === null ? result : capture.result(result);
    } catch (error) {
      throw capture === null ? error : capture.attach(error);
    } finally {
      this.#inSync = false;
    }
  }

  /** A call's request (calls.mjs), with a Capture when it asks for its output. */
  #request(op, name, textOrArgs, options) {
    const request = requestFor(op, name, textOrArgs, options, 'Reactor');
    request.capture = request.output ? new Capture() : null;
    return request;
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

  #valueSync(op, name, payload, options) {
    return valueOfAnswer(this.callSync(op, name, payload, options), options?.output === true);
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
      step.value.waitSync(); // never a HostWait: a sync call does not wait for a host function
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
      } else if (!link.poll()) {
        await link.waitAsync();
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
    let worker = spares.takeSpare(stackSizeMb);
    if (worker) {
      if (job.module) worker.postMessage(job);
    } else {
      worker = spares.newWorker(stackSizeMb, job.module ? job : null);
    }
    const link = new Link(worker, sab, this.#everReady, this.#spinMicros, this.#linkOwner);
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
    link.close(failure);
    return link.worker.terminate();
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
    link.check();
    const kind = link.ctl[KIND];
    if (kind === READY) {
      link.ready = true;
      link.phase = CALLING;
      this.#everReady = true;
      spares.workerReady(this.#options.stackSizeMb);
      return;
    }
    // FATAL's TAG 1: the options cannot work with this module (e.g. a
    // memoryMb below the module's own memory): a RangeError, as Guest throws.
    const ErrorClass = kind === FATAL && link.ctl[TAG] === 1 ? RangeError : Error;
    const message = kind === FATAL ? decoder.decode(yield* link.readMessage()) : `unexpected frame ${kind}`;
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
      yield* link.sendChunks(RAW, 0, 0, json);
    } else {
      const rest = link.writeRequest(request);
      if (rest) yield* link.stream(REQUEST, rest.tag, rest);
    }
    yield link;
    return yield* this.#receive(link, request.capture);
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

  /** The worker's answer to a request, from the frame it just handed over;
   *  what the guest printed goes to `capture` when the call captures it. */
  *#receive(link, capture = null) {
    const ctl = link.ctl;
    for (;;) {
      link.check();
      const kind = ctl[KIND];
      if (kind === RESULT) {
        const tag = TAG_NAMES[ctl[TAG]];
        const bytes = ctl[MORE] ? yield* link.readMessage() : link.data.subarray(0, ctl[LEN]);
        return { tag, text: decoder.decode(bytes) };
      }
      if (kind === OUTPUT) {
        const fd = ctl[TAG];
        const bytes = ctl[MORE] ? yield* link.readMessage() : link.data.slice(0, ctl[LEN]);
        if (capture === null) this.#emitOutput(fd, bytes);
        else capture.add(fd, bytes);
        link.checkTime();
        link.give(NEXT, 0, 0, 0, false, 0);
        yield link;
        continue;
      }
      if (kind === INPUT) {
        const len = this.#stdin.answer(link.data, ctl[TOTAL]);
        link.checkTime();
        link.give(NEXT, 0, 0, len, false, len);
        yield link;
        continue;
      }
      if (kind === HOSTCALL) {
        // The guest called a host function: run it here and answer REPLY.
        // The worker waits inside the guest's host.call meanwhile; an async
        // function's promise is awaited within the call's deadline (the
        // async API; a *Sync call answers an error reply instead). Inline,
        // so that the usual call (short args, a sync function, a short
        // reply) makes no generator of its own.
        const name = this.#hostNames[ctl[TAG]]; // our NEXT frames reset it: read it first
        const args = textOf(ctl[MORE] ? yield* link.readMessage() : link.data.subarray(0, ctl[LEN]));
        let reply = this.#inSync ? this.#host.startSync(name, args, SYNC_CANNOT_WAIT) : this.#host.start(name, args);
        if (reply instanceof HostCall) reply = yield* this.#awaitHost(link, reply);
        link.check();
        link.checkTime();
        if (!this.#giveReply(link, reply)) yield* this.#streamReply(link, reply);
        yield link;
        continue;
      }
      if (kind === TRAP) {
        const type = TRAP_TYPES[ctl[TAG]] ?? 'Trap';
        const message = decoder.decode(yield* link.readMessage());
        this.#fail(link, message, type);
        throw link.failure;
      }
      this.#fail(link, `host error: unexpected frame ${kind} from the worker`);
      throw link.failure;
    }
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

  /** Gives a host function's reply in one frame, if it surely fits: true
   *  when given, false when #streamReply must send it. */
  #giveReply(link, { ok, text }) {
    if (text.length * 3 > link.capacity) return false;
    const len = encoder.encodeInto(text, link.data).written;
    link.give(REPLY, ok ? 0 : 1, 0, len, false, len);
    return true;
  }

  /** Sends a host function's reply that may not fit one frame, frame by frame. */
  *#streamReply(link, { ok, text }) {
    const source = new TextSource(text);
    yield* link.stream(REPLY, ok ? 0 : 1, { nameLen: 0, total: source.length, sources: [source] });
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

  #callSync(request) {
    const link = this.#fastLink(request);
    if (!link) return this.#driveSync(this.#run(request));
    this.#startTimer(link, request.op);
    if (link.writeRequest(request) !== null) return this.#driveSync(this.#run(request));
    link.waitSync();
    const result = link.quickResult() ?? this.#driveSync(this.#receive(link, request.capture));
    return this.#logged(link, request, result);
  }

  #callAsync(request) {
    const link = this.#fastLink(request);
    if (!link) return this.#driveAsync(this.#run(request));
    this.#startTimer(link, request.op);
    if (link.writeRequest(request) !== null) return this.#driveAsync(this.#run(request));
    if (!link.poll()) return this.#finishAsync(link, request);
    const result = link.quickResult();
    if (result) return this.#logged(link, request, result);
    return this.#driveAsync(this.#receive(link, request.capture)).then((r) => this.#logged(link, request, r));
  }

  async #finishAsync(link, request) {
    await link.waitAsync();
    const result = link.quickResult() ?? await this.#driveAsync(this.#receive(link, request.capture));
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
    if (result.tag === 'ok') this.#log.push({ op: request.op, name: request.name, payload: request.payload });
    return result;
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

