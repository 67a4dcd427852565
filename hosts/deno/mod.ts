// The Deno host: python-reactor through libpyreactor (include/pyreactor.h)
// by Deno's FFI, with the calls of the JavaScript host's Reactor
// (hosts/js/index.d.ts). See README.md for the API and the design.

// @ts-types="../js/index.d.ts"
import { OPS, PythonError, ReactorCalls } from '../js/reactor.mjs';
import type { Answer, Args, CallOptions, GuestText, Op, RawResult } from '../js/index.d.ts';
import * as check from '../js/options.mjs';
import { requestFor, withOutput } from '../js/calls.mjs';
import { HostCall, HostFunctions } from '../js/host-functions.mjs';
import {
  address, bytesAt, cString, ERR, hasCapture, HOST_FN, LAYOUT, library, nullSinkIsStderr, OK, OP_CODES, OptionsMemory, SINK,
  stringAt, type Library,
} from './ffi.ts';
import { CLOSE, DONE, PENDING, REPLIED, type WaiterInit } from './waiter-cells.ts';
import { Worker } from 'node:worker_threads';
import type { OutputTarget, ReactorOptions } from './types.ts';

export { OPS, PythonError };
export type * from './types.ts';

const encoder = new TextEncoder();
const decoder = new TextDecoder();
/** Passed for an empty name or text: never a null pointer with length 0. */
const EMPTY = new Uint8Array(1);
/** How long past timeoutMs a host function still pending is given up (see #hostCall). */
const HOST_GRACE_MS = 25;

/** The options as checked: grants as {path, readOnly}, stdin as bytes. */
type Checked = Omit<ReactorOptions, 'preopens' | 'stdin'> & {
  preopens?: Record<string, { path: string; readOnly: boolean }>;
  stdin?: Uint8Array;
};

function libPath(value: unknown, key: string): string {
  if (typeof value !== 'string' || value === '' || value.includes('\0')) {
    throw new TypeError(`${key} must be a non-empty path without NUL, not ${typeof value === 'string' ? JSON.stringify(value) : typeof value}`);
  }
  return value;
}

function stdinBytes(value: unknown, key: string): Uint8Array {
  if (typeof value === 'function') {
    throw new TypeError(`${key}: this host takes the guest's input as a string or a Uint8Array, not a function`);
  }
  return check.stdin(value, key);
}

/** The checks of options.mjs (shared with the JavaScript host), by key. */
const CHECKS: Record<string, (value: unknown, key: string) => unknown> = {
  libPath,
  module: libPath, // a pack (docs/packages.md): module_path
  preopens: check.preopens,
  env: check.env,
  stdin: stdinBytes,
  stdout: check.output,
  stderr: check.output,
  stackSizeMb: check.stackSizeMb,
  timeoutMs: check.timeoutMs,
  memoryMb: check.memoryMb,
  hostFunctions: check.hostFunctions,
  hostFunctionsRaw: check.hostFunctions,
};

function checkOptions(options: unknown): Checked {
  if (options === undefined) return {};
  const proto = options === null || typeof options !== 'object' ? undefined : Object.getPrototypeOf(options);
  if (proto !== Object.prototype && proto !== null) throw new TypeError('Reactor: options must be a plain object');
  const checked: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(options as object)) {
    const fn = CHECKS[key];
    if (fn === undefined) throw new TypeError(`Reactor: unknown option ${JSON.stringify(key)} (known: ${Object.keys(CHECKS).join(', ')})`);
    if (value === undefined) continue;
    try {
      checked[key] = fn(value, key);
    } catch (error) {
      throw error instanceof TypeError ? new TypeError(`Reactor: ${error.message}`) : error;
    }
  }
  const both = Object.keys(checked.hostFunctionsRaw ?? {}).find((name) => Object.hasOwn(checked.hostFunctions ?? {}, name));
  if (both !== undefined) throw new TypeError(`Reactor: hostFunctions and hostFunctionsRaw both have ${JSON.stringify(both)}: a name is one host function`);
  return checked as Checked;
}

/** The library to open: the option, else $PYREACTOR_LIB (if Deno may read it), else this repository's build. */
function defaultLibPath(): string {
  const env = Deno.permissions.querySync({ name: 'env', variable: 'PYREACTOR_LIB' });
  const fromEnv = env.state === 'granted' ? Deno.env.get('PYREACTOR_LIB') : undefined;
  if (fromEnv) return fromEnv;
  return decodeURIComponent(new URL('../../build/libpyreactor.so', import.meta.url).pathname);
}

/** The library's version (PYREACTOR_VERSION; null for an older library
 *  without pyreactor_libversion), ABI version and path. Throws an Error when
 *  it cannot be opened. */
export function libraryInfo(libPath?: string): { version: string | null; abi: number; path: string } {
  const path = libPath === undefined ? defaultLibPath() : libPath;
  const { symbols } = library(path);
  const version = symbols.pyreactor_libversion === null ? null : stringAt(symbols.pyreactor_libversion());
  return { version, abi: symbols.pyreactor_abi_version(), path };
}

const bytesOf = (text: GuestText): Uint8Array => (typeof text === 'string' ? encoder.encode(text) : text);
const nonEmpty = (bytes: Uint8Array): Uint8Array => (bytes.length === 0 ? EMPTY : bytes);

/** Writes all of `bytes` to a Deno stream; a closed one (EPIPE) costs the text, not the process. */
function writeAll(stream: { writeSync(p: Uint8Array): number }, bytes: Uint8Array): void {
  try {
    for (let done = 0; done < bytes.length;) done += stream.writeSync(bytes.subarray(done));
  } catch (error) {
    if (!(error instanceof Deno.errors.BrokenPipe)) throw error;
  }
}

/** A host function's reply (host-functions.mjs): the value's JSON text, or an error object's. */
type HostReply = { ok: boolean; text: string };

/** What the guest wrote during a call with { output: true } (index.d.ts, WithOutput). */
type Captured = { stdout: string; stderr: string; stdoutTruncated: boolean; stderrTruncated: boolean };

export class Reactor extends ReactorCalls {
  readonly #lib: Library;
  #handle: Deno.PointerValue;
  readonly #options: Checked;
  readonly #memory: OptionsMemory;
  readonly #callbacks: Deno.UnsafeCallback<typeof SINK | typeof HOST_FN>[] = [];
  readonly #host: HostFunctions;
  #waiter: Worker | null = null;
  #cell: Int32Array | null = null; // the waiter's (waiter-cells.ts)
  #tail: Promise<unknown> = Promise.resolve();
  #closed = false;
  #deadline = Infinity; // performance.now() past which a pending host function is given up

  private constructor(lib: Library, options: Checked) {
    super();
    this.#lib = lib;
    this.#options = options;
    this.#memory = new OptionsMemory(lib);
    this.#host = new HostFunctions(this, options.hostFunctions, options.hostFunctionsRaw);
    this.#handle = null;
  }

  /** Opens an instance (Python itself starts at the first call). Rejects
   *  with a TypeError for a bad option, an Error when the library cannot be
   *  opened or refuses the options. */
  static async load(options?: ReactorOptions): Promise<Reactor> {
    const checked = checkOptions(options);
    const lib = library(checked.libPath ?? defaultLibPath());
    const reactor = new Reactor(lib, checked);
    try {
      if (reactor.#host.size > 0) await reactor.#startWaiter();
      reactor.#open();
    } catch (error) {
      reactor.#release();
      throw error;
    }
    return reactor;
  }

  /** How many times the library rebuilt the instance (after a trap or a timeout). */
  get rebuilds(): number {
    return this.#handle === null ? 0 : Number(this.#lib.symbols.pyreactor_rebuilds(this.#handle));
  }

  /** Whether `{ output: true }` works with this library (pyreactor_set_capture). */
  get canCaptureOutput(): boolean {
    return hasCapture(this.#lib);
  }

  /**
   * Any op: resolves to {tag, text}, the guest's JSON text untouched;
   * rejects for what is not the guest's answer (Trap, Timeout, MemoryLimit,
   * InvalidResult, ...: PythonError), or with a TypeError for args that
   * cannot be sent or bad call options. With `{ output: true }` it resolves
   * to {value: {tag, text}, stdout, stderr, stdoutTruncated,
   * stderrTruncated}. The value calls (applyDef, run, ...) are ReactorCalls'
   * (hosts/js/calls.mjs) on top of this.
   */
  call<O extends CallOptions | undefined = undefined>(
    op: Op, name?: GuestText, textOrArgs?: GuestText | Args, options?: O,
  ): Promise<Answer<RawResult, O>> {
    let request: { op: Op; name: GuestText; payload: GuestText; output: boolean };
    try {
      request = requestFor(op, name, textOrArgs, options, 'call');
      if (request.output && !hasCapture(this.#lib)) {
        throw new TypeError('call: { output: true } needs a libpyreactor with pyreactor_set_capture (per-call output)');
      }
    } catch (error) {
      return Promise.reject(error);
    }
    if (this.#host.size > 0) HostCall.reentered(this, op); // see hosts/js/host-functions.mjs
    const run = this.#tail.then(() => this.#invoke(OP_CODES[op], bytesOf(request.name), bytesOf(request.payload), request.output));
    this.#tail = run.catch(() => {});
    return run as Promise<Answer<RawResult, O>>;
  }

  /** Waits for queued calls, then frees the instance; later calls reject. */
  async close(): Promise<void> {
    if (this.#closed) return;
    if (this.#host.size > 0) HostCall.reentered(this, 'close'); // it waits for the current call
    this.#closed = true;
    await this.#tail;
    this.#release();
  }

  // ---- the instance

  #open(): void {
    const { symbols } = this.#lib;
    this.#writeOptions();
    const out = new BigUint64Array(1);
    const code = symbols.pyreactor_open(this.#memory.struct, new Uint8Array(out.buffer));
    this.#handle = out[0] === 0n ? null : Deno.UnsafePointer.create(out[0]);
    if (code === OK) return;
    const why = this.#handle === null ? `code ${code}` : stringAt(symbols.pyreactor_errmsg(this.#handle));
    throw code === 4 ? new TypeError(`Reactor: the library refused the options: ${why}`) : new Error(`Reactor: cannot open an instance: ${why}`);
  }

  #writeOptions(): void {
    const o = LAYOUT.options;
    const m = this.#memory;
    const { preopens = {}, env = {}, stdin, stackSizeMb, memoryMb, timeoutMs } = this.#options;
    const grants = Object.entries(preopens);
    m.setU64(o.dirs, m.records(grants.length, LAYOUT.dir.size, (view, base, i) => {
      const [guest, { path, readOnly }] = grants[i];
      view.setBigUint64(base + LAYOUT.dir.host_path, m.keep(cString(path)), true);
      view.setBigUint64(base + LAYOUT.dir.guest_path, m.keep(cString(guest)), true);
      view.setInt32(base + LAYOUT.dir.read_only, readOnly ? 1 : 0, true);
    }));
    m.setU64(o.n_dirs, BigInt(grants.length));
    const vars = Object.entries(env);
    m.setU64(o.env, m.records(vars.length, 8, (view, base, i) => {
      view.setBigUint64(base, m.keep(cString(`${vars[i][0]}=${vars[i][1]}`)), true);
    }));
    m.setU64(o.n_env, BigInt(vars.length));
    m.setU64(o.stdout_sink, this.#sink(this.#options.stdout ?? 'stderr', 'stdout'));
    m.setU64(o.stderr_sink, this.#sink(this.#options.stderr ?? 'stderr', 'stderr'));
    if (stdin !== undefined) {
      m.setU64(o.stdin_data, m.keep(stdin));
      m.setU64(o.stdin_len, BigInt(stdin.length));
    }
    if (stackSizeMb !== undefined) m.setU64(o.stack_size, BigInt(stackSizeMb) << 20n);
    if (memoryMb !== undefined) m.setU64(o.memory_limit, BigInt(memoryMb) << 20n);
    if (timeoutMs !== undefined) m.setU32(o.timeout_ms, timeoutMs);
    const module = (this.#options as { module?: string }).module;
    if (module !== undefined) m.setU64(o.module_path, m.keep(cString(module)));
    const names = this.#host.names;
    if (names.length > 0) {
      const fn = this.#waiterPointer;
      m.setU64(o.host_functions, m.records(names.length, LAYOUT.host_function.size, (view, base, i) => {
        view.setBigUint64(base + LAYOUT.host_function.name, m.keep(cString(names[i])), true);
        view.setBigUint64(base + LAYOUT.host_function.fn, fn, true);
      }));
      m.setU64(o.n_host_functions, BigInt(names.length));
    }
  }

  /**
   * The sink for one stream. A NULL sink (0n) is the host's fd 2 in the
   * library (an older one drops it instead): the default costs no callback.
   */
  #sink(target: OutputTarget, stream: 'stdout' | 'stderr'): bigint {
    const where = target === 'inherit' ? stream : target;
    const nullIsStderr = nullSinkIsStderr(this.#lib);
    if (where === (nullIsStderr ? 'stderr' : 'ignore')) return 0n;
    let emit: (bytes: Uint8Array) => void;
    if (where === 'ignore') {
      emit = () => {};
    } else if (typeof target === 'function') {
      emit = (bytes) => {
        try {
          target(bytes);
        } catch (error) {
          queueMicrotask(() => { throw error; }); // as the JavaScript host does
        }
      };
    } else {
      const out = where === 'stdout' ? Deno.stdout : Deno.stderr;
      emit = (bytes) => writeAll(out, bytes);
    }
    const callback = Deno.UnsafeCallback.threadSafe(SINK, (_user, data, len) => {
      emit(bytesAt(data, Number(len)).slice()); // the library's bytes are valid during the callback only
    });
    callback.unref(); // an idle reactor does not keep the process alive; a call in flight does
    this.#callbacks.push(callback);
    return address(callback.pointer);
  }

  /** Frees the instance, the callbacks and the waiter. */
  #release(): void {
    if (this.#handle !== null) this.#lib.symbols.pyreactor_close(this.#handle);
    this.#handle = null;
    for (const callback of this.#callbacks) callback.close();
    this.#callbacks.length = 0;
    if (this.#cell !== null) {
      Atomics.store(this.#cell, 0, CLOSE);
      Atomics.notify(this.#cell, 0);
    }
    this.#waiter?.terminate();
    this.#waiter = null;
  }

  async #invoke(op: number, name: Uint8Array, text: Uint8Array, capture: boolean): Promise<RawResult | (Captured & { value: RawResult })> {
    if (this.#handle === null) throw new Error('Reactor is closed'); // close() ran before this queued call
    const { symbols } = this.#lib;
    const handle = this.#handle;
    if (capture) symbols.pyreactor_set_capture!(handle, 1);
    for (const callback of this.#callbacks) callback.ref();
    const timeoutMs = this.#options.timeoutMs;
    this.#deadline = timeoutMs === undefined ? Infinity : performance.now() + timeoutMs + HOST_GRACE_MS;
    let code: number;
    try {
      code = await symbols.pyreactor_call(handle, op, nonEmpty(name), BigInt(name.length), nonEmpty(text), BigInt(text.length));
    } finally {
      for (const callback of this.#callbacks) callback.unref();
    }
    const len = new BigUint64Array(1);
    const resultText = decoder.decode(bytesAt(symbols.pyreactor_result(handle, new Uint8Array(len.buffer)), Number(len[0])));
    const captured = capture ? this.#captured(handle) : undefined;
    if (code !== OK && code !== ERR) {
      const error = PythonError.fromText(resultText);
      throw captured === undefined ? error : withOutput(error, captured);
    }
    const result = { tag: code === OK ? 'ok' : 'err', text: resultText } as const;
    return captured === undefined ? result : { value: result, ...captured };
  }

  #captured(handle: Deno.PointerValue): Captured {
    const s = this.#lib.symbols;
    const read = (stream: number) => {
      const len = new BigUint64Array(1);
      return decoder.decode(bytesAt(s.pyreactor_output!(handle, stream, new Uint8Array(len.buffer)), Number(len[0])));
    };
    const captured = {
      stdout: read(1),
      stderr: read(2),
      stdoutTruncated: s.pyreactor_output_truncated!(handle, 1) !== 0,
      stderrTruncated: s.pyreactor_output_truncated!(handle, 2) !== 0,
    };
    s.pyreactor_set_capture!(handle, 0);
    return captured;
  }

  // ---- host functions (see waiter.ts)

  #waiterPointer = 0n;

  /** Starts the waiter, whose callback is the library's `fn` for every host function. */
  async #startWaiter(): Promise<void> {
    const buffer = new SharedArrayBuffer(4);
    this.#cell = new Int32Array(buffer);
    const main = Deno.UnsafeCallback.threadSafe(HOST_FN, (call, name, args, len) => this.#hostCall(call, name, args, len));
    main.unref();
    this.#callbacks.push(main);
    const init: WaiterInit = { buffer, main: address(main.pointer) };
    const worker = new Worker(new URL('./waiter.ts', import.meta.url), { workerData: init });
    this.#waiter = worker;
    this.#waiterPointer = await new Promise<bigint>((resolve, reject) => {
      worker.once('message', resolve);
      worker.once('error', (error) => reject(new Error(`Reactor: the host-function waiter did not start: ${error.message}`)));
    });
    worker.removeAllListeners('error');
    worker.unref(); // an idle reactor does not keep the process alive (a call in flight does)
  }

  /**
   * One host call, on the main thread, called (through the waiter) while
   * the library's thread waits: the function starts here; a value is
   * replied at once (REPLIED), a promise later (PENDING: the waiter waits
   * for DONE). Another thread than the callback's may reply while the
   * callback waits (pyreactor.h). A function still pending HOST_GRACE_MS
   * past the call's timeoutMs is given up (its signal aborted, an error
   * reply): the library, whose own limit has passed by then, ends the call
   * with Timeout as soon as the waiter returns.
   */
  #hostCall(call: Deno.PointerValue, namePointer: Deno.PointerValue, args: Deno.PointerValue, len: number | bigint): number {
    const name = stringAt(namePointer);
    const reply = this.#host.start(name, decoder.decode(bytesAt(args, Number(len))));
    if (!(reply instanceof HostCall)) {
      this.#reply(call, reply as HostReply);
      return REPLIED;
    }
    const cell = this.#cell!;
    Atomics.store(cell, 0, PENDING);
    const left = this.#deadline - performance.now();
    const timer = Number.isFinite(left)
      ? setTimeout(() => reply.refuse(`host function ${name}: the call's time limit (timeoutMs) passed`), Math.max(0, left))
      : undefined;
    (reply.settled as unknown as Promise<HostReply>).then((settled) => {
      clearTimeout(timer);
      if (Atomics.load(cell, 0) !== PENDING) return; // closed meanwhile
      this.#reply(call, settled);
      Atomics.store(cell, 0, DONE);
      Atomics.notify(cell, 0);
    });
    return PENDING;
  }

  #reply(call: Deno.PointerValue, { ok, text }: HostReply): void {
    const { symbols } = this.#lib;
    if (ok) {
      const bytes = encoder.encode(text);
      symbols.pyreactor_reply_ok(call, nonEmpty(bytes), BigInt(bytes.length));
      return;
    }
    let error: { type?: unknown; message?: unknown } = {};
    try {
      error = JSON.parse(text);
    } catch { /* not the {type, message} of host-functions.mjs: HostError below */ }
    const type = typeof error?.type === 'string' ? error.type : 'HostError';
    const message = typeof error?.message === 'string' ? error.message : text;
    symbols.pyreactor_reply_error(call, cString(type.replaceAll('\0', '\uFFFD')), cString(message.replaceAll('\0', '\uFFFD')));
  }
}
