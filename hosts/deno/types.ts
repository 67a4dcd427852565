// Types of hosts/deno/mod.ts: the JavaScript host's (hosts/js/index.d.ts)
// where they are the same, and what differs here.

import type { ReactorOptions as JsReactorOptions } from '../js/index.d.ts';

export type {
  Answer, Args, ArgValue, CallOptions, GuestText, HostArgs, HostCallContext, HostFunction, Op, OutputTarget, Preopen,
  RawHostFunction, RawResult, WithOutput,
} from '../js/index.d.ts';

/**
 * Options of Reactor.load: the JavaScript host's (their meaning and checks
 * the same) and the library's path. Each is checked: a value of the wrong
 * kind or out of range, or an unknown key, rejects load() with a TypeError
 * naming the key and the value. A key whose value is undefined counts as
 * not given. (The guest runs in the library, so `wasm`, `channelBytes` and
 * `spinMicros` have no meaning here; `stackSizeMb` is the library's stack
 * for guest code, default 64; guest memory past `memoryMb` that Python
 * cannot turn into MemoryError is a rejection of type MemoryLimit.)
 */
export interface ReactorOptions extends Pick<JsReactorOptions,
  'preopens' | 'env' | 'stdout' | 'stderr' | 'stackSizeMb' | 'timeoutMs' | 'memoryMb' | 'hostFunctions' | 'hostFunctionsRaw'> {
  /** The library: a path to libpyreactor.so. Default: $PYREACTOR_LIB when
   *  Deno may read it (--allow-env=PYREACTOR_LIB), else build/libpyreactor.so
   *  of this repository. */
  libPath?: string;
  /** What the guest reads on fd 0: a string (sent as UTF-8) or bytes, read
   *  again from the start by a rebuilt instance. Default: end of file.
   *  (Not a function: the library takes the input whole.) */
  stdin?: string | Uint8Array;
}
