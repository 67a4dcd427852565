// Types of hosts/deno/mod.ts: the JavaScript host's (hosts/js/index.d.ts)
// where they are the same, and what differs here.

import type { HostFunction, Preopen, RawHostFunction } from '../js/index.d.ts';

export type {
  Answer, Args, ArgValue, CallOptions, GuestText, HostArgs, HostCallContext, HostFunction, Op, Preopen, RawHostFunction,
  RawResult, WithOutput,
} from '../js/index.d.ts';

/** Where the guest's stdout or stderr goes. */
export type OutputTarget =
  /** This process's stderr (fd 2): the default for both streams. */
  | 'stderr'
  /** This process's stdout (fd 1). */
  | 'stdout'
  /** The same fd of this process as the guest's (stdout to stdout, stderr to stderr). */
  | 'inherit'
  /** Dropped (the library discards it; no callback at all). */
  | 'ignore'
  /** Called on the main thread with the bytes of each write, before the result of the call that wrote them. */
  | ((bytes: Uint8Array) => void);

/**
 * Options of Reactor.load. Each is checked: a value of the wrong kind or out
 * of range, or an unknown key, rejects load() with a TypeError naming the
 * key and the value. A key whose value is undefined counts as not given.
 */
export interface ReactorOptions {
  /** The library: a path to libpyreactor.so. Default: $PYREACTOR_LIB when
   *  Deno may read it (--allow-env=PYREACTOR_LIB), else build/libpyreactor.so
   *  of this repository. Deno needs --allow-ffi on it. */
  libPath?: string;
  /** Directories the guest may use: guest path (absolute) -> grant. Default: none. */
  preopens?: Record<string, Preopen>;
  /** The guest's environment: names non-empty, without '=' or NUL; values without NUL. Default: empty. */
  env?: Record<string, string>;
  /** What the guest reads on fd 0 (a string is sent as UTF-8). Default: end of file. */
  stdin?: string | Uint8Array;
  /** Default 'stderr'. */
  stdout?: OutputTarget;
  /** Default 'stderr'. */
  stderr?: OutputTarget;
  /** Native stack for guest code, in MiB: 1 to 16384. Default: the library's (64). */
  stackSizeMb?: number;
  /** Per-call time limit in ms, host functions included: 1 to 2**31 - 1.
   *  Past it the call rejects with PythonError type `Timeout`, and the
   *  instance is rebuilt with its registrations replayed. Default: none. */
  timeoutMs?: number;
  /** Cap on guest memory in MiB: 1 to 4096 (below the module's own ~17 MiB
   *  the load fails). Past it MemoryError in Python, or a rejection of type
   *  `MemoryLimit` and a rebuilt instance. Default: none. */
  memoryMb?: number;
  /** Host functions the guest may call, by name (see hosts/js/README.md,
   *  "Host functions"): sync or async, run on the main thread. */
  hostFunctions?: Record<string, HostFunction>;
  /** Host functions taking and returning JSON text; a name is in one of the two only. */
  hostFunctionsRaw?: Record<string, RawHostFunction>;
}
