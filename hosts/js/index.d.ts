// Types of hosts/js/reactor.mjs, the JavaScript host of python-reactor.wasm.

/** Where the guest's stdout or stderr goes. */
export type OutputTarget =
  /** This process's stderr (fd 2): the default of both streams, as in every
   *  host of the project (this process's stdout stays its own). */
  | 'stderr'
  /** The same fd of this process (the guest's stdout to this process's stdout). */
  | 'inherit'
  /** This process's stdout (fd 1). */
  | 'stdout'
  /** Dropped. */
  | 'ignore'
  /** Called on the main thread with the bytes of each write, before the result of the call that wrote them. */
  | ((bytes: Uint8Array) => void);

/**
 * A directory granted to the guest: its host path (read and write), or the
 * host path and whether the guest may only read it. Paths are non-empty
 * strings without NUL; other keys are refused.
 */
export type Preopen = string | { path: string; readOnly?: boolean };

/**
 * The guest's standard input (fd 0): its bytes (a string is sent as UTF-8),
 * or a function called on the calling thread whenever the guest reads and
 * what it gave before is used up, with the most bytes the guest wants; it
 * returns the next chunk (a longer one is kept for the next reads), and
 * null or an empty chunk for end of file (it is asked again at the next
 * read). A function that throws or returns anything else gives end of file,
 * and its error is rethrown in a microtask.
 */
export type StdinSource = string | Uint8Array | ((maxBytes: number) => string | Uint8Array | null);

/** A value of the args a host function gets: JSON decoded as JSON.parse
 *  does, except that an integer outside ±(2**53 - 1) is a BigInt (exact). */
export type HostArgValue = string | number | bigint | boolean | null | HostArgValue[] | { [key: string]: HostArgValue };

/** The args of a host call: an array for Python's positional arguments, an
 *  object for its keyword arguments (reactor.call_host takes one kind or the other). */
export type HostArgs = HostArgValue[] | { [key: string]: HostArgValue };

/** The second argument of every host function. */
export interface HostCallContext {
  /** The name the guest called it by. */
  readonly name: string;
  /**
   * Aborted when nobody waits for the reply any more: the call's timeoutMs
   * passed, a synchronous call (or an in-thread Guest) cannot wait for the
   * promise the function returned, the function called its own reactor
   * again, the instance went away. Pass it on (fetch, spawn, ...) to stop
   * the work. Made when first read: a function that ignores it costs nothing.
   */
  readonly signal: AbortSignal;
}

/**
 * A host function: Python's `reactor.call_host(name, ...)` (or
 * `reactor.host.name(...)`) calls it on the thread that loaded the reactor
 * (the main thread), the guest waiting meanwhile. Its value, or the value
 * its promise settles to, is the reply, sent as JSON by the rules of
 * ArgValue (BigInts and integers past 2**53 exactly; undefined is None;
 * anything JSON cannot carry is an error reply of type HostError naming it).
 * A throw or a rejection is an error reply: `reactor.HostError` in Python,
 * of type `error.type` when that is a non-empty string, else `HostError`,
 * with `error.message`. Called with no `this`.
 */
export type HostFunction = (args: HostArgs, context: HostCallContext) => unknown;

/** A raw host function: the args JSON text exactly as the guest wrote it,
 *  and the reply's JSON text (a string, or a promise of one), passed on as
 *  it is; errors as for HostFunction. */
export type RawHostFunction = (argsText: string, context: HostCallContext) => string | Promise<string>;

/**
 * Options of Reactor.load. Each is checked: a value of the wrong kind or out
 * of range, or an unknown key, rejects load() with a TypeError naming the
 * key and the value. A key whose value is undefined counts as not given.
 * Objects given (env, preopens, stdin bytes) are copied at load.
 */
export interface ReactorOptions {
  /** The guest: a path, a file URL, its bytes or a compiled module. Default: build/python-reactor.wasm of this repository. */
  wasm?: string | URL | Uint8Array | ArrayBuffer | WebAssembly.Module;
  /** Directories the guest may use: guest path -> grant. Default: none. */
  preopens?: Record<string, Preopen>;
  /** The guest's environment: names non-empty, without '=' or NUL; values without NUL. Default: empty. */
  env?: Record<string, string>;
  /** The guest's fd 0. Default: end of file (never this process's stdin). */
  stdin?: StdinSource;
  /** The guest's fd 1. Default 'stderr' (this process's stderr). */
  stdout?: OutputTarget;
  /** The guest's fd 2. Default 'stderr'. */
  stderr?: OutputTarget;
  /** Native stack of the worker thread, in MiB: a whole number >= 1. Default 256. Under Deno see README.md. */
  stackSizeMb?: number;
  /** A call running longer than this is stopped (the worker is terminated)
   *  and rejects with type `Timeout`; the instance is rebuilt and replayed.
   *  A whole number of ms from 1 to 2**31 - 1 (setTimeout's limit). Default: no limit.
   *  `init` is not limited: it runs no user code, only the interpreter's start. */
  timeoutMs?: number;
  /** Cap on the guest's linear memory, in MiB (the guest's `set_memory_limit`
   *  export): a whole number from 1 to 4096. Allocations past it raise
   *  MemoryError inside Python; a trap at the cap rejects with type
   *  `MemoryLimit`. A cap below what the module needs to start (about 17)
   *  fails the load. Default: no cap. */
  memoryMb?: number;
  /** Size of the shared buffer that carries calls to the worker and results
   *  back, in bytes (a whole number from 256 to 2**30). Bigger requests and
   *  results still work: they cross in frames of this size. Default 64 KiB (65536). */
  channelBytes?: number;
  /** How long a waiting side (the caller, and the worker between calls)
   *  polls for the other side's answer before it sleeps, in µs (finite, >= 0);
   *  it backs off when polling does not pay. The first call after a quiet
   *  spell (over 1 ms) polls up to ten times as long for its answer.
   *  0: never poll. Default 50. */
  spinMicros?: number;
  /** Node only: compile every wasm function of this process straight with
   *  V8's optimizing compiler (sets the process-wide V8 flag --no-liftoff,
   *  for every module the process runs, from then on). The first pass of
   *  the guest's code runs at full speed; the first load and calls of a
   *  fresh process compile more slowly. Default false (V8's tiers: baseline
   *  first, hot code optimized a few seconds later). Under Deno it is an
   *  error: run deno with --v8-flags=--no-liftoff instead. */
  topTier?: boolean;
  /**
   * Host functions the guest may call, by name (non-empty, no NUL). Every
   * other name gets an error reply of type NoSuchHostFunction. An async
   * function is awaited by the async calls; a *Sync call cannot wait, and
   * gets an error reply (HostError) from one that returns a promise.
   * timeoutMs covers them: a host function still pending at the limit ends
   * the call with Timeout (its signal aborted), and the next call gets a
   * rebuilt instance. A host function that calls this reactor: a *Sync call
   * throws (busy); an async call is queued behind the running call, and the
   * host call it was made from ends at once with an error reply (HostError,
   * "called the reactor that runs it"), since waiting for it could never end.
   */
  hostFunctions?: Record<string, HostFunction>;
  /** Host functions of the raw form (JSON text in and out), by name; a name
   *  may not be in both. */
  hostFunctionsRaw?: Record<string, RawHostFunction>;
}

/** Options of Reactor.prestart. */
export interface PrestartOptions {
  /** The stackSizeMb of the reactors that are to use the spares. Default 256. */
  stackSizeMb?: number;
  /** How many spares to have ready. Default: Reactor.spareWorkers, at least 1. */
  count?: number;
}

export type Op =
  | 'init'
  | 'register_lambda' | 'register_def' | 'register_module'
  | 'unregister_lambda' | 'unregister_def' | 'unregister_module'
  | 'apply_lambda' | 'apply_def'
  | 'run'
  | 'register_package';

/** What each op takes: 'none' (init), 'name', 'code' or 'args' with a name,
 *  'cell' (run: code and no name). */
export const OPS: Readonly<Record<Op, 'none' | 'name' | 'code' | 'args' | 'cell'>>;

/** A result record exactly as the guest wrote it. */
export interface RawResult {
  tag: 'ok' | 'err';
  /** JSON text: the value for ok, `{"type", "message", "traceback"?}` for err. */
  text: string;
}

/** Text for the guest: strings are sent as UTF-8; bytes are sent as they are. */
export type GuestText = string | Uint8Array;

/** A value that JSON text carries exactly (see args-json.mjs): plain
 *  objects (prototype Object.prototype or null) and arrays without holes,
 *  strings, finite numbers, booleans, null, and BigInts (sent as JSON
 *  integers). Anything else (undefined, functions, NaN, Infinity, Map, Set,
 *  Date, typed arrays, class instances, cycles) is refused with a TypeError
 *  that gives its path, e.g. `args[1].when: a Date cannot be sent as JSON`. */
export type ArgValue = string | number | bigint | boolean | null | ArgValue[] | { [key: string]: ArgValue };

/** The args of an apply: an array (positional) or a plain object (keyword arguments). */
export type Args = ArgValue[] | { [key: string]: ArgValue };

/**
 * Options of one call, its last argument (after the ones it always has:
 * `applyDef(name, args, { output: true })`, `init({ output: true })`).
 * Checked: anything but undefined or a plain object whose only key is
 * `output`, a boolean, is a TypeError (the async calls reject).
 */
export interface CallOptions {
  /**
   * Return what the guest printed during this call, with its value:
   * {value, stdout, stderr, stdoutTruncated, stderrTruncated}. What is kept
   * does not go to the stdout/stderr targets. Each stream keeps at most
   * OUTPUT_LIMIT_BYTES (16 MiB) per call, cut before a UTF-8 sequence the
   * limit would split; the rest is dropped and its flag set. Decoded as
   * UTF-8: bytes that are not UTF-8 become U+FFFD. Output the guest still
   * buffered when the call was stopped (Timeout, trap) is not there.
   */
  output?: boolean;
}

/** What a call with { output: true } resolves to. */
export interface WithOutput<T> {
  /** What the call resolves to without the option. */
  value: T;
  /** What the guest wrote to fd 1 during the call. */
  stdout: string;
  /** What the guest wrote to fd 2 during the call. */
  stderr: string;
  /** stdout went past 16 MiB and was cut. */
  stdoutTruncated: boolean;
  stderrTruncated: boolean;
}

/** T, or WithOutput<T> when the call's options are { output: true }. */
export type Answer<T, O> = O extends { output: true } ? WithOutput<T> : T;

/**
 * The error kinds of ABI version 2, the guest's and the hosts': the same
 * list as include/pyreactor.h's PYREACTOR_TYPE_* and docs/guide.md's table
 * of error types. Any other string is a Python exception's class name
 * ('ZeroDivisionError', ...) or the type a host function replied with.
 */
export type ErrorKind =
  // the guest's
  | 'NotRegistered' | 'InvalidName' | 'InvalidArgs' | 'InvalidInput' | 'NotCallable'
  | 'EncodeError' | 'Busy' | 'InitError' | 'InternalError'
  // the hosts'
  | 'Trap' | 'Timeout' | 'MemoryLimit' | 'HostError' | 'NoSuchHostFunction'
  | 'InvalidRequest' | 'InvalidResult' | 'Misuse' | 'MemoryError';

/** An err result of the guest, or a trap of the host (type 'Trap'). */
export class PythonError extends Error {
  constructor(error?: { type?: string; message?: string; traceback?: string });
  name: 'PythonError';
  /** One of the ErrorKind strings, a Python exception's class name, or a host function's own type. */
  type: ErrorKind | (string & {});
  /** str(exception). */
  message: string;
  /** The formatted Python traceback, when the guest gave one. */
  traceback?: string;
  /** With { output: true }: what the call printed before the error (as WithOutput). */
  stdout?: string;
  stderr?: string;
  stdoutTruncated?: boolean;
  stderrTruncated?: boolean;
  static fromText(text: string): PythonError;
}

/** The calls of the contract as values, shared by Reactor and ProcessReactor
 *  (process-reactor.d.ts), each on top of its own call(). Each takes
 *  CallOptions as its last argument: with { output: true } it resolves to
 *  WithOutput (the value and what the call printed), and a PythonError it
 *  rejects with carries what was printed before the error. */
export abstract class ReactorCalls {
  /** Initializes Python (idempotent; every other call does it too). Resolves to null. */
  init<O extends CallOptions | undefined = undefined>(options?: O): Promise<Answer<null, O>>;
  /** `code` is a Python expression whose value is callable. Resolves to the name. */
  registerLambda<O extends CallOptions | undefined = undefined>(name: GuestText, code: GuestText, options?: O): Promise<Answer<string, O>>;
  /** `code` is a module body that binds a callable to `name`. Resolves to the name. */
  registerDef<O extends CallOptions | undefined = undefined>(name: GuestText, code: GuestText, options?: O): Promise<Answer<string, O>>;
  /** `code` becomes module `name` in sys.modules. Resolves to the name. */
  registerModule<O extends CallOptions | undefined = undefined>(name: GuestText, code: GuestText, options?: O): Promise<Answer<string, O>>;
  /** A package of several files, e.g. {"__init__.py": source, "sub.py": source} (docs/packages.md); unregisterModule removes it. */
  registerPackage<O extends CallOptions | undefined = undefined>(name: GuestText, files: Record<string, string> | GuestText, options?: O): Promise<Answer<string, O>>;
  unregisterLambda<O extends CallOptions | undefined = undefined>(name: GuestText, options?: O): Promise<Answer<string, O>>;
  unregisterDef<O extends CallOptions | undefined = undefined>(name: GuestText, options?: O): Promise<Answer<string, O>>;
  unregisterModule<O extends CallOptions | undefined = undefined>(name: GuestText, options?: O): Promise<Answer<string, O>>;

  /**
   * Calls a lambda; args are sent as JSON (BigInts as exact integers; what
   * JSON cannot carry exactly rejects with a TypeError, see Args), the result
   * goes through JSON.parse (so integers above 2**53 lose precision: use the
   * Raw variant). Rejects with PythonError.
   */
  applyLambda<O extends CallOptions | undefined = undefined>(name: GuestText, args?: Args, options?: O): Promise<Answer<unknown, O>>;
  /** Like applyLambda; `name` may be dotted: `module.attr[.attr...]`. */
  applyDef<O extends CallOptions | undefined = undefined>(name: GuestText, args?: Args, options?: O): Promise<Answer<unknown, O>>;
  /** Args as JSON text, result as the guest's text. Rejects only for a trap. */
  applyLambdaRaw<O extends CallOptions | undefined = undefined>(name: GuestText, argsText?: GuestText, options?: O): Promise<Answer<RawResult, O>>;
  applyDefRaw<O extends CallOptions | undefined = undefined>(name: GuestText, argsText?: GuestText, options?: O): Promise<Answer<RawResult, O>>;
  /**
   * Runs a code cell in the instance's own __main__ (ABI.md, "Cells"): the
   * value of its last statement if that is an expression, else null.
   * Cells are not replayed into an instance rebuilt after a trap.
   */
  run<O extends CallOptions | undefined = undefined>(code: GuestText, options?: O): Promise<Answer<unknown, O>>;
  abstract call<O extends CallOptions | undefined = undefined>(op: Op, name?: GuestText, textOrArgs?: GuestText | Args, options?: O): Promise<Answer<RawResult, O>>;
}

export class Reactor extends ReactorCalls {
  /** Compiles the module once and starts the instance in a worker thread
   *  (the worker boots while the module compiles). Rejects with a TypeError
   *  for a bad option (see ReactorOptions). */
  static load(options?: ReactorOptions): Promise<Reactor>;

  /**
   * How many booted spare workers to keep per stackSizeMb once the process
   * has started a second worker (a second reactor, a rebuild) or called
   * prestart(); a load or rebuild that takes one skips the worker's
   * start-up. 0: none. Default 1 under Node, 0 under Deno.
   */
  static spareWorkers: number;
  /** Starts spare workers now; resolves once they have booted. */
  static prestart(options?: PrestartOptions): Promise<void>;

  /** The compiled module: pass it as `wasm` to load more reactors without recompiling. */
  readonly module: WebAssembly.Module;
  /** How many times the instance was rebuilt after a trap. */
  readonly rebuilds: number;

  /**
   * Any op: `textOrArgs` is the code (register_*) or the args (apply_*; text
   * or bytes as they are, anything else sent as JSON with the rules of Args,
   * missing means `[]`). Rejects only for a trap (PythonError type 'Trap'),
   * or with a TypeError for args that cannot be sent.
   */
  call<O extends CallOptions | undefined = undefined>(op: Op, name?: GuestText, textOrArgs?: GuestText | Args, options?: O): Promise<Answer<RawResult, O>>;
  /** Waits for queued calls, then stops the worker; later calls reject. */
  close(): Promise<void>;

  // Synchronous variants: the calling thread blocks (in Atomics.wait) until
  // the result, or until timeoutMs stops the call; a trap or timeout throws
  // the same PythonError the async call rejects with, and the next call
  // rebuilds and replays as usual. They throw an Error when an async call
  // is queued or running on this reactor (they cannot wait for it), or when
  // called from inside a stdout/stderr callback of a call in flight.

  /** init(), synchronous. Returns null. */
  initSync<O extends CallOptions | undefined = undefined>(options?: O): Answer<null, O>;
  registerLambdaSync<O extends CallOptions | undefined = undefined>(name: GuestText, code: GuestText, options?: O): Answer<string, O>;
  registerDefSync<O extends CallOptions | undefined = undefined>(name: GuestText, code: GuestText, options?: O): Answer<string, O>;
  registerModuleSync<O extends CallOptions | undefined = undefined>(name: GuestText, code: GuestText, options?: O): Answer<string, O>;
  registerPackageSync<O extends CallOptions | undefined = undefined>(name: GuestText, files: Record<string, string> | GuestText, options?: O): Answer<string, O>;
  unregisterLambdaSync<O extends CallOptions | undefined = undefined>(name: GuestText, options?: O): Answer<string, O>;
  unregisterDefSync<O extends CallOptions | undefined = undefined>(name: GuestText, options?: O): Answer<string, O>;
  unregisterModuleSync<O extends CallOptions | undefined = undefined>(name: GuestText, options?: O): Answer<string, O>;
  /** applyLambda(), synchronous: throws PythonError, or a TypeError for args that cannot be sent. */
  applyLambdaSync<O extends CallOptions | undefined = undefined>(name: GuestText, args?: Args, options?: O): Answer<unknown, O>;
  applyDefSync<O extends CallOptions | undefined = undefined>(name: GuestText, args?: Args, options?: O): Answer<unknown, O>;
  /** applyLambdaRaw(), synchronous: throws only for a trap or timeout. */
  applyLambdaRawSync<O extends CallOptions | undefined = undefined>(name: GuestText, argsText?: GuestText, options?: O): Answer<RawResult, O>;
  applyDefRawSync<O extends CallOptions | undefined = undefined>(name: GuestText, argsText?: GuestText, options?: O): Answer<RawResult, O>;
  /** call(), synchronous. */
  callSync<O extends CallOptions | undefined = undefined>(op: Op, name?: GuestText, textOrArgs?: GuestText | Args, options?: O): Answer<RawResult, O>;
  /** run(), synchronous. */
  runSync<O extends CallOptions | undefined = undefined>(code: GuestText, options?: O): Answer<unknown, O>;

  /** Test hook: calls an export with raw i32 arguments. */
  _rawExport(exportName: string, ...args: number[]): Promise<RawResult>;
  /** Test hook: terminates the worker as if it had died. */
  _killWorker(): void;
}

/** The most bytes of each stream kept per call with { output: true }: 16 MiB (capture.mjs). */
export const OUTPUT_LIMIT_BYTES: number;
