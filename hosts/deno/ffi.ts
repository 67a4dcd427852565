// The C side: libpyreactor's symbols (include/pyreactor.h) as Deno.dlopen
// takes them, and pyreactor_options laid out in memory for pyreactor_open.
//
// The calls that run guest code (pyreactor_call) are `nonblocking`: Deno
// runs them on a thread of its blocking pool and resolves a promise, so
// the event loop goes on meanwhile and two instances run at once. What the
// library calls back during such a call (the output sinks, host functions)
// is a Deno.UnsafeCallback.threadSafe: Deno queues the JavaScript to the
// isolate's own thread and the calling thread waits for its return. (A
// synchronous call cannot call back into JavaScript at all: the library runs
// guest code, callbacks included, on the instance's own stack, and V8 aborts
// the process, "Check failed: IsOnCentralStack()", when JavaScript runs on a
// stack that is not its thread's. See README.md, "Design".)

/** The library's symbols. `optional` ones are null in an older library. */
export const SYMBOLS = {
  pyreactor_abi_version: { parameters: [], result: 'i32' },
  pyreactor_options_init: { parameters: ['buffer'], result: 'void' },
  pyreactor_open: { parameters: ['buffer', 'buffer'], result: 'i32' },
  pyreactor_close: { parameters: ['pointer'], result: 'i32' },
  pyreactor_call: {
    parameters: ['pointer', 'i32', 'buffer', 'usize', 'buffer', 'usize'],
    result: 'i32',
    nonblocking: true,
  },
  pyreactor_result: { parameters: ['pointer', 'buffer'], result: 'pointer' },
  pyreactor_errmsg: { parameters: ['pointer'], result: 'pointer' },
  pyreactor_rebuilds: { parameters: ['pointer'], result: 'u64' },
  pyreactor_reply_ok: { parameters: ['pointer', 'buffer', 'usize'], result: 'i32' },
  pyreactor_reply_error: { parameters: ['pointer', 'buffer', 'buffer'], result: 'i32' },
  // Per-call output (issue 14): capture what the guest writes during a call.
  pyreactor_set_capture: { parameters: ['pointer', 'i32'], result: 'i32', optional: true },
  pyreactor_output: { parameters: ['pointer', 'i32', 'buffer'], result: 'pointer', optional: true },
  pyreactor_output_truncated: { parameters: ['pointer', 'i32'], result: 'i32', optional: true },
  // Since the per-call output: a NULL sink writes to the host's fd 2 (before: dropped).
  pyreactor_sink_discard: { parameters: ['pointer', 'pointer', 'usize'], result: 'void', optional: true },
  pyreactor_libversion: { parameters: [], result: 'pointer', optional: true },
} as const;

export type Library = Deno.DynamicLibrary<typeof SYMBOLS>;

/** Result codes (pyreactor.h). */
export const OK = 0;
export const ERR = 1;

/** pyreactor_op, by the ABI's op names. */
export const OP_CODES: Readonly<Record<string, number>> = Object.freeze({
  init: 0,
  register_lambda: 1,
  unregister_lambda: 2,
  apply_lambda: 3,
  register_def: 4,
  unregister_def: 5,
  apply_def: 6,
  register_module: 7,
  unregister_module: 8,
  run: 9,
  register_package: 10, // an extension of ABI 2 (docs/packages.md)
});

/** The signatures of the callbacks the library takes. */
export const SINK = { parameters: ['pointer', 'pointer', 'usize'], result: 'void' } as const;
export const HOST_FN = { parameters: ['pointer', 'pointer', 'pointer', 'usize', 'pointer'], result: 'i32' } as const;

// pyreactor_options and its arrays on LP64 (x86_64, aarch64 Linux); the
// unit tests compile a C program against the header and compare. A library
// adds fields at the end (capture_output and capture_limit came with the
// per-call output: 112 bytes before), so the options are given room for
// more (OPTIONS_ROOM) and pyreactor_options_init fills what it knows.
export const LAYOUT = Object.freeze({
  options: {
    size: 136, dirs: 0, n_dirs: 8, env: 16, n_env: 24, stdout_sink: 32, stderr_sink: 40,
    sink_user: 48, stdin_data: 56, stdin_len: 64, stack_size: 72, memory_limit: 80,
    timeout_ms: 88, host_functions: 96, n_host_functions: 104, capture_output: 112, capture_limit: 120,
    module_path: 128,
  },
  dir: { size: 24, host_path: 0, guest_path: 8, read_only: 16 },
  host_function: { size: 24, name: 0, fn: 8, user: 16 },
});

const libraries = new Map<string, Library>();

/** The library at `path`, opened once per process (closing it would pull
 *  the code from under instances still open). */
export function library(path: string): Library {
  let lib = libraries.get(path);
  if (lib === undefined) {
    lib = Deno.dlopen(path, SYMBOLS);
    libraries.set(path, lib);
  }
  return lib;
}

const OPTIONS_ROOM = 512;

/** Whether a NULL sink sends the guest's output to the host's fd 2 (else it drops it: an older library). */
export function nullSinkIsStderr(lib: Library): boolean {
  return lib.symbols.pyreactor_sink_discard !== null;
}

/** Whether the library has the per-call output calls. */
export function hasCapture(lib: Library): boolean {
  const s = lib.symbols;
  return s.pyreactor_set_capture !== null && s.pyreactor_output !== null && s.pyreactor_output_truncated !== null;
}

const encoder = new TextEncoder();

/** `text` as NUL-terminated UTF-8 (for the library's C strings). */
export function cString(text: string): Uint8Array<ArrayBuffer> {
  return encoder.encode(`${text}\0`);
}

/** The address of a buffer or pointer as a bigint (0n for null). */
export function address(p: Deno.PointerValue | Uint8Array): bigint {
  if (p instanceof Uint8Array) p = Deno.UnsafePointer.of(p as Uint8Array<ArrayBuffer>);
  return BigInt(Deno.UnsafePointer.value(p));
}

/** `len` bytes at `p` as a view (valid while the library keeps them). */
export function bytesAt(p: Deno.PointerValue, len: number): Uint8Array {
  if (p === null || len === 0) return new Uint8Array(0);
  return new Uint8Array(Deno.UnsafePointerView.getArrayBuffer(p, len));
}

/** The NUL-terminated UTF-8 string at `p`, or '' for null. */
export function stringAt(p: Deno.PointerValue): string {
  return p === null ? '' : Deno.UnsafePointerView.getCString(p);
}

/**
 * Memory laid out for pyreactor_open: the options struct and every array
 * and string it points to, kept referenced here for the instance's
 * lifetime (the library copies what it keeps, but nothing is freed early).
 */
export class OptionsMemory {
  readonly struct = new Uint8Array(OPTIONS_ROOM);
  readonly #view = new DataView(this.struct.buffer);
  readonly #kept: unknown[] = [];

  constructor(lib: Library) {
    lib.symbols.pyreactor_options_init(this.struct);
  }

  /** Keeps `buffer` alive with the options and returns its address. */
  keep(buffer: Uint8Array): bigint {
    this.#kept.push(buffer);
    return buffer.length === 0 ? 0n : address(buffer);
  }

  setU64(offset: number, value: bigint): void {
    this.#view.setBigUint64(offset, value, true);
  }

  setU32(offset: number, value: number): void {
    this.#view.setUint32(offset, value, true);
  }

  /** An array of `count` records of `size` bytes; `fill(view, i)` writes record i. */
  records(count: number, size: number, fill: (view: DataView, base: number, i: number) => void): bigint {
    const bytes = new Uint8Array(count * size);
    const view = new DataView(bytes.buffer);
    for (let i = 0; i < count; i++) fill(view, i * size, i);
    return this.keep(bytes);
  }
}
