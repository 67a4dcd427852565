// In-thread binding of one python-reactor.wasm instance (ABI version 2),
// with its WASI layer (wasi/wasi-host.mjs: the sandbox).
//
// This is the only file that knows the byte-level contract: alloc/dealloc of
// input buffers, the 12-byte result records, result_free, host.callback and
// host.call.
// It runs on whatever thread imports it; reactor.mjs runs it inside a worker
// (for the bigger native stack), the byte-level tests run it directly.

import { writeSync } from 'node:fs';
import { WasiHost, ProcExit, SleepInterrupted } from './wasi/wasi-host.mjs';
import { HostFunctions, errorReply, noSuchHostFunction } from './host-functions.mjs';
import { guestHostOptions, callOptions } from './options.mjs';
import { Capture } from './capture.mjs';
import { OPS } from './ops.mjs';

export const ABI_VERSION = 2;

export { OPS } from './ops.mjs';

const RECORD_SIZE = 12;
const TAGS = ['ok', 'err'];
const encoder = new TextEncoder();
// Strings up to this many UTF-16 units are encoded into guest memory
// directly (#input); longer ones first measured, to not over-allocate.
const DIRECT_ENCODE_MAX = 1 << 16;
const decoder = new TextDecoder();
// The scratch buffer (#toScratch) starts this big and doubles up to the max;
// bigger inputs get buffers of their own, freed after the call.
const SCRATCH_MIN = 1 << 10;
const SCRATCH_MAX = 1 << 16;
const EMPTY = new Uint8Array(0);

/** The most bytes `value` (string, bytes or writer) can take in UTF-8. */
function inputBound(value) {
  return typeof value === 'string' ? value.length * 3 : value?.length ?? 0;
}

/** Writes `value` into `view` at `offset`; returns how many bytes. */
function writeInput(value, view, offset) {
  if (typeof value === 'string') {
    if (value.length === 0) return 0;
    return encoder.encodeInto(value, offset === 0 ? view : view.subarray(offset)).written;
  }
  if (value instanceof Uint8Array) {
    view.set(value, offset);
    return value.length;
  }
  if (typeof value?.writeTo === 'function') {
    value.writeTo(view.subarray(offset, offset + value.length));
    return value.length;
  }
  throw new TypeError(`expected a string or Uint8Array, got ${typeof value}`);
}

/** What TextEncoder makes of `text`, in bytes (a lone surrogate: U+FFFD, 3). */
export function utf8Length(text) {
  let n = text.length;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c < 0x80) continue;
    if (c < 0x800) {
      n += 1;
    } else if (c >= 0xd800 && c <= 0xdbff && i + 1 < text.length
        && (text.charCodeAt(i + 1) & 0xfc00) === 0xdc00) {
      n += 2; // a pair: 4 bytes for 2 units
      i++;
    } else {
      n += 2;
    }
  }
  return n;
}

/** Thrown by Guest.call when the instance can no longer be trusted. */
export class GuestTrap extends Error {
  constructor(message, options) {
    super(message, options);
    this.name = 'GuestTrap';
  }
}

export function toBytes(value) {
  if (value instanceof Uint8Array) return value;
  if (typeof value === 'string') return encoder.encode(value);
  throw new TypeError(`expected a string or Uint8Array, got ${typeof value}`);
}

/**
 * Output routing for the guest's fd 1 and 2 (the instance's own: the
 * guest writes to the sink, never to a process fd it could close).
 * 'stderr' (undefined: the default for both, as in every host of the
 * project) / 'stdout': the process's fd 2 / fd 1.
 * 'inherit': the same fd of the process.
 * 'ignore': dropped. A function: called with each write's bytes.
 * A full non-blocking pipe's EAGAIN is waited out here (writeAll), not
 * handed to the guest, where a print would become an error.
 */
export function makeSink(target, fd) {
  if (target === undefined) return (bytes) => writeAll(2, bytes);
  if (target === 'inherit') return (bytes) => writeAll(fd, bytes);
  if (target === 'ignore') return () => {};
  if (target === 'stdout' || target === 'stderr') {
    const hostFd = target === 'stdout' ? 1 : 2;
    return (bytes) => writeAll(hostFd, bytes);
  }
  if (typeof target === 'function') return target;
  throw new TypeError(`bad output target for fd ${fd}: ${String(target)}`);
}

const pause = new Int32Array(new SharedArrayBuffer(4));

/** Writes everything, waiting out EAGAIN: stdio pipes may be non-blocking,
 *  and a reader that is slower than the guest must slow the guest down,
 *  not lose its output. */
function writeAll(fd, bytes) {
  for (let off = 0; off < bytes.length;) {
    try {
      off += writeSync(fd, bytes, off);
    } catch (error) {
      if (error?.code !== 'EAGAIN') throw error;
      Atomics.wait(pause, 0, 0, 1);
    }
  }
}

const MIB = 1 << 20;

/**
 * A cap below what the module's memory already holds (its data, the
 * snapshot's heap: about 17 MiB) could never be met: refused as such,
 * instead of every call failing later for want of memory.
 */
function checkMemoryFloor(memoryMb, memory) {
  const needMb = Math.ceil(memory.buffer.byteLength / MIB);
  if (memoryMb < needMb) {
    throw new RangeError(`memoryMb ${memoryMb} is below the ${needMb} MiB this module needs to start`);
  }
}

export class Guest {
  /**
   * @param {WebAssembly.Module} module
   * @param {object} [options] env, preopens, stdin (see wasi/wasi-host.mjs),
   *   stdout, stderr (see makeSink), memoryMb, wakeup (the sleep-interrupt
   *   cell), onCallback(id, record): observer of every host.callback, for tests,
   *   hostCall(name, argsText) -> {ok, text}: runs the host function `name`
   *   for the guest's host.call (synchronously; text is the reply's JSON,
   *   as a string or UTF-8 bytes, a value when ok, else an error object
   *   {type, message}; a GuestTrap thrown ends the guest's call as a trap).
   *   Or hostCallBytes(nameBytes, argsBytes) -> {ok, text}: the same with
   *   the name and args as the guest wrote them, UTF-8 (views of guest
   *   memory, valid during the call only), not decoded (the worker copies
   *   them on as they are).
   *   Or, instead of hostCall, hostFunctions / hostFunctionsRaw as for
   *   Reactor (host-functions.mjs), checked (a TypeError), but synchronous
   *   only: one that returns a promise gets an error reply (HostError),
   *   since this thread cannot wait for it while the guest runs on it.
   *   Without any, every name gets a NoSuchHostFunction error.
   */
  static async create(module, options = {}) {
    const guest = new Guest(options);
    await guest.#instantiate(module, options);
    return guest;
  }

  #wasi = null;
  #onCallback;
  #hostCall;
  #hostCallBytes = null;
  #capture = null; // a Capture while a call keeps its output ({ output: true })
  #applyId = 0; // the id of the apply_* running, 0 when none
  #records = null; // what host.callback gave for it: null, a record, or an array of them
  #stray = null; // [[id, record]] given for other ids
  #scratch = null; // {ptr, size, view}: see #toScratch
  #scratchBusy = false; // a call re-entered from a callback gets buffers of its own
  #nameLen = 0; // where #toScratch put the inputs
  #payloadLen = 0;
  #nextId = 0;
  #bytes = new Uint8Array(0); // all of guest memory; see #memory
  #view = new DataView(new ArrayBuffer(0));
  poisoned = null; // the reason, once a trap made the instance unusable
  exports = null;

  constructor(options) {
    this.#onCallback = options.onCallback ?? null;
    const { hostFunctions, hostFunctionsRaw } = guestHostOptions(options);
    if (hostFunctions || hostFunctionsRaw) {
      const table = new HostFunctions(this, hostFunctions, hostFunctionsRaw);
      const why = 'an in-thread Guest cannot wait for it (its host functions must be synchronous; Reactor runs async ones)';
      this.#hostCall = (name, argsText) => table.startSync(name, argsText, why);
    } else {
      this.#hostCall = options.hostCall ?? null;
      this.#hostCallBytes = options.hostCallBytes ?? null;
    }
  }

  /** The guest's extension export (docs/guest.md): a cap on linear memory
   *  past which allocations fail with MemoryError inside Python. */
  #setMemoryLimit(mib) {
    if (typeof this.exports.set_memory_limit !== 'function') {
      throw new Error('this guest has no set_memory_limit export: memoryMb needs a newer module');
    }
    this.#guard('set_memory_limit', () => this.exports.set_memory_limit(mib));
  }

  async #instantiate(module, options) {
    const wasi = new WasiHost({
      env: options.env,
      preopens: options.preopens,
      stdin: options.stdin,
      stdout: this.#sink(makeSink(options.stdout, 1), 1),
      stderr: this.#sink(makeSink(options.stderr, 2), 2),
      wakeup: options.wakeup,
    });
    this.#wasi = wasi;
    const instance = await WebAssembly.instantiate(module, {
      wasi_snapshot_preview1: wasi.imports(module),
      host: {
        callback: (id, record) => this.#callback(id, record),
        call: (namePtr, nameLen, argsPtr, argsLen, replyPtr) => this.#call(namePtr, nameLen, argsPtr, argsLen, replyPtr),
      },
    });
    this.exports = instance.exports;
    wasi.bind(this.exports.memory);
    // A pre-initialized module may lack _initialize.
    if (typeof this.exports._initialize === 'function') this.#guard('_initialize', () => this.exports._initialize());
    const version = this.#guard('abi_version', () => this.exports.abi_version());
    if (version !== ABI_VERSION) {
      throw new Error(`guest ABI version ${version}, this host speaks ${ABI_VERSION}`);
    }
    if (options.memoryMb) {
      checkMemoryFloor(options.memoryMb, this.exports.memory);
      this.#setMemoryLimit(options.memoryMb);
    }
  }

  /** fd 1 or 2's sink, or this call's capture while a call keeps its output. */
  #sink(sink, fd) {
    return (bytes) => {
      if (this.#capture === null) sink(bytes);
      else this.#capture.add(fd, bytes.slice()); // a copy: the capture keeps it
    };
  }

  /** Closes the host files the guest still holds open; the instance is done. */
  close() {
    this.poisoned ??= 'closed';
    this.#wasi?.close();
  }

  #callback(id, record) {
    this.#onCallback?.(id, record);
    if (this.#applyId === 0) return;
    if (id !== this.#applyId) {
      (this.#stray ??= []).push([id, record]);
    } else if (this.#records === null) {
      this.#records = record; // the one record there should be
    } else {
      this.#records = [].concat(this.#records, record);
    }
  }

  /**
   * The import host.call (ABI.md, "Host functions"): runs the host function
   * and hands the guest its reply in a buffer the guest allocates. While it
   * runs the guest answers every export but alloc/dealloc with Busy.
   */
  #call(namePtr, nameLen, argsPtr, argsLen, replyPtr) {
    const nameBytes = this.#guestRange(namePtr, nameLen, 'the name');
    const argsBytes = this.#guestRange(argsPtr, argsLen, 'the args');
    let reply;
    if (this.#hostCallBytes !== null) {
      reply = this.#reply(this.#hostCallBytes, nameBytes, argsBytes); // no text in between
    } else {
      const name = decoder.decode(nameBytes);
      reply = this.#hostCall === null ? noSuchHostFunction(name) : this.#reply(this.#hostCall, name, decoder.decode(argsBytes));
    }
    const { ok, text } = reply;
    // A hostCall that re-entered the guest and trapped it: the guest's
    // state is lost, so the call waiting here must not go on.
    if (this.poisoned) throw new GuestTrap(this.poisoned);
    // A string is encoded straight into the guest's buffer, sized exactly
    // (the guest frees it with that size): no Uint8Array in between, which
    // was a fifth of an in-thread host call.
    const len = typeof text === 'string' ? utf8Length(text) : text.length;
    this.#guestRange(replyPtr, 8, 'the reply address');
    const ptr = this.exports.alloc(len) >>> 0;
    if (ptr === 0) {
      this.#storeReply(replyPtr, 0, 0); // the guest raises MemoryError
      return 1;
    }
    const dest = this.#guestRange(ptr, len, 'alloc\'s buffer for the reply');
    if (typeof text === 'string') encoder.encodeInto(text, dest);
    else dest.set(text);
    this.#storeReply(replyPtr, ptr, len);
    return ok ? 0 : 1;
  }

  /** {ok, text} of hostCall(name, args) (or hostCallBytes), or an error reply. */
  #reply(hostCall, name, args) {
    try {
      const { ok, text } = hostCall(name, args);
      if (typeof text !== 'string' && !(text instanceof Uint8Array)) {
        throw new TypeError('hostCall must return {ok, text} with a string or Uint8Array text');
      }
      return { ok: Boolean(ok), text };
    } catch (error) {
      // The host could not answer at all (its worker's channel closed): the
      // guest must not go on as if it had.
      if (error instanceof GuestTrap) {
        this.poisoned ??= error.message;
        throw error;
      }
      return errorReply('HostError', String(error?.message ?? error));
    }
  }

  #storeReply(replyPtr, ptr, len) {
    this.#memory(replyPtr + 8);
    this.#view.setUint32(replyPtr, ptr, true);
    this.#view.setUint32(replyPtr + 4, len, true);
  }

  /** A view of guest memory [ptr, ptr + len); a range outside it is the
   *  guest's (or its alloc's) fault, and poisons the instance. */
  #guestRange(ptr, len, what) {
    const start = ptr >>> 0;
    const end = start + (len >>> 0);
    const memory = this.#memory(end);
    if (end > memory.byteLength) {
      this.poisoned = `host.call: ${what} (${start}+${len >>> 0}) lies outside guest memory`;
      throw new GuestTrap(this.poisoned);
    }
    return memory.subarray(start, end);
  }

  /**
   * Runs one operation and returns {tag: 'ok'|'err', text}, text being the
   * record's JSON exactly as the guest wrote it. Throws GuestTrap when the
   * instance trapped (it is then poisoned for good).
   * @param {string} op a key of OPS
   * @param {string|Uint8Array} [name] (none for init and run)
   * @param {string|Uint8Array} [payload] code for register_* and run, args for apply_*
   * @param {((tag: 'ok'|'err', bytes: Uint8Array) => any) | {output?: boolean}} [read]
   *   what to make of the result: called with the record's text bytes (a
   *   view of guest memory, valid only during the call) before the record
   *   is freed; its return value is returned. Default: {tag, text}. Or the
   *   call's options, as Reactor's: { output: true } returns {value: {tag,
   *   text}, stdout, stderr, stdoutTruncated, stderrTruncated}, what the
   *   guest printed during this call (capture.mjs: bounded, decoded; kept
   *   from the stdout/stderr sinks), and a GuestTrap thrown carries it too.
   */
  call(op, name, payload, read = readText) {
    if (typeof read === 'function') return this.#operate(op, name, payload, read);
    if (!callOptions(read, 'Guest.call')) return this.#operate(op, name, payload, readText);
    if (this.#capture !== null) throw new Error('Guest.call: a call with { output: true } cannot run inside another one');
    const capture = new Capture();
    this.#capture = capture;
    try {
      return capture.result(this.#operate(op, name, payload, readText));
    } catch (error) {
      if (error instanceof GuestTrap) Object.assign(error, capture.fields());
      throw error;
    } finally {
      this.#capture = null;
    }
  }

  #operate(op, name, payload, read) {
    if (this.poisoned) throw new GuestTrap(`instance unusable after: ${this.poisoned}`);
    const kind = OPS[op];
    if (!kind) throw new TypeError(`unknown op ${op}`);
    if (kind === 'none') {
      let record;
      try {
        record = this.exports.init();
      } catch (error) {
        throw this.#trapped(error, op);
      }
      return this.#takeRecord(record, read);
    }
    name ??= '';
    if (kind !== 'name') payload ??= kind === 'args' ? '[]' : '';
    else payload = EMPTY;
    if (!this.#scratchBusy && this.#toScratch(name, payload)) {
      this.#scratchBusy = true;
      try {
        const ptr = this.#scratch.ptr;
        return this.#invoke(op, kind, ptr, this.#nameLen, ptr + this.#nameLen, this.#payloadLen, read);
      } finally {
        this.#scratchBusy = false;
      }
    }
    const buffers = [];
    try {
      const nameBuf = kind === 'cell' ? { ptr: 0, len: 0 } : this.#input(name, buffers);
      const second = kind === 'name' ? nameBuf : this.#input(payload, buffers);
      return this.#invoke(op, kind, nameBuf.ptr, nameBuf.len, second.ptr, second.len, read);
    } catch (error) {
      if (error instanceof OutOfGuestMemory) {
        return read('err', encoder.encode(JSON.stringify({ type: 'MemoryError', message: error.message })));
      }
      throw error;
    } finally {
      if (!this.poisoned) {
        for (const b of buffers) this.#guard('dealloc', () => this.exports.dealloc(b.ptr, b.size));
      }
    }
  }

  /** Calls the export of `op` on inputs already in guest memory. */
  #invoke(op, kind, namePtr, nameLen, payloadPtr, payloadLen, read) {
    if (kind === 'args' || kind === 'cell') return this.#apply(op, kind, namePtr, nameLen, payloadPtr, payloadLen, read);
    if (typeof this.exports[op] !== 'function') { // an optional export this module lacks
      return read('err', encoder.encode(JSON.stringify({ type: 'HostError', message: `this module has no ${op} export` })));
    }
    let record;
    try {
      record = kind === 'name' ? this.exports[op](namePtr, nameLen)
        : this.exports[op](namePtr, nameLen, payloadPtr, payloadLen);
    } catch (error) {
      throw this.#trapped(error, op);
    }
    return this.#takeRecord(record, read);
  }

  /** apply_* (kind 'args') or run ('cell', no name): a call whose record
   *  comes through host.callback as well. One may run inside another's
   *  host.call (it gets Busy), so the outer one's state is kept aside. */
  #apply(op, kind, namePtr, nameLen, argsPtr, argsLen, read) {
    this.#nextId = (this.#nextId % 0x7fffffff) + 1; // positive i32, never 0
    const id = this.#nextId;
    const outerId = this.#applyId;
    const outerRecords = this.#records;
    const outerStray = this.#stray;
    this.#applyId = id;
    this.#records = null;
    this.#stray = null;
    let record;
    let records;
    let stray;
    try {
      record = kind === 'cell' ? this.exports.run(id, argsPtr, argsLen)
        : this.exports[op](id, namePtr, nameLen, argsPtr, argsLen);
    } catch (error) {
      throw this.#trapped(error, op);
    } finally {
      records = this.#records;
      stray = this.#stray;
      this.#applyId = outerId;
      this.#records = outerRecords;
      this.#stray = outerStray;
    }
    if (records !== record || stray !== null) {
      // Freeing nothing: we cannot tell which records are real.
      const got = records === null ? [] : Array.isArray(records) ? records : [records];
      this.poisoned = `ABI violation in ${op}: returned record ${record}, ` +
        `callback got ${JSON.stringify(got)} for id ${id}` +
        (stray ? ` and ${JSON.stringify(stray)} for other ids` : '');
      throw new GuestTrap(this.poisoned);
    }
    return this.#takeRecord(record, read);
  }

  /**
   * Writes name and payload, one after the other, into the scratch buffer:
   * a guest buffer this Guest allocates once and keeps, so that a call with
   * short inputs makes no alloc/dealloc round trips into the guest (four
   * crossings of the boundary and two mallocs: with the closures and
   * objects that went with them, about 0.4 of the 3 µs of an in-thread warm
   * call). It stays the host's buffer, as ABI.md has it; only its lifetime
   * spans calls. False when the inputs may not fit (they then get buffers
   * of their own) or the guest has no memory to spare for it.
   */
  #toScratch(name, payload) {
    const need = inputBound(name) + inputBound(payload);
    if (need > SCRATCH_MAX) return false;
    let scratch = this.#scratch;
    if (scratch === null || scratch.size < need) {
      scratch = this.#growScratch(need);
      if (scratch === null) return false;
    }
    if (scratch.view.byteLength === 0) {
      // The memory grew since, which detached the view.
      scratch.view = this.#memory(scratch.ptr + scratch.size).subarray(scratch.ptr, scratch.ptr + scratch.size);
    }
    const view = scratch.view;
    this.#nameLen = writeInput(name, view, 0);
    this.#payloadLen = payload === EMPTY ? 0 : writeInput(payload, view, this.#nameLen);
    return true;
  }

  #growScratch(need) {
    let size = SCRATCH_MIN;
    while (size < need) size *= 2;
    const old = this.#scratch;
    this.#scratch = null;
    if (old !== null) this.#guard('dealloc', () => this.exports.dealloc(old.ptr, old.size));
    const ptr = this.#guard('alloc', () => this.exports.alloc(size)) >>> 0;
    if (ptr === 0) return null;
    const memory = this.#checkedMemory(ptr, size);
    this.#scratch = { ptr, size, view: memory.subarray(ptr, ptr + size) };
    return this.#scratch;
  }

  /**
   * Copies `value` (as writeInput takes it) into a fresh guest buffer,
   * remembered in `buffers` for dealloc. A string up to DIRECT_ENCODE_MAX
   * units is encoded straight into guest memory, into a buffer sized for its
   * worst case (3 UTF-8 bytes per UTF-16 unit): no intermediate Uint8Array,
   * whose backing store V8 mallocs and sweeps (with it, ~15% of an
   * in-thread warm call went to that). A longer one is encoded first, so
   * that its buffer is not three times too big.
   */
  #input(value, buffers) {
    const source = typeof value === 'string' && value.length > DIRECT_ENCODE_MAX ? encoder.encode(value) : value;
    const { ptr, size, dest } = this.#alloc(inputBound(source), buffers);
    return { ptr, len: writeInput(source, dest, 0), size };
  }

  // alloc(0) may legitimately return 0 or a shared pointer; ask for one byte
  // so that every buffer is a real, distinct allocation. `dest` is a view of
  // the whole buffer.
  #alloc(len, buffers) {
    const size = Math.max(len, 1);
    const ptr = this.#guard('alloc', () => this.exports.alloc(size)) >>> 0;
    if (ptr === 0) throw new OutOfGuestMemory(`guest alloc(${size}) returned 0`);
    const memory = this.#checkedMemory(ptr, size);
    buffers.push({ ptr, size });
    return { ptr, size, dest: memory.subarray(ptr, ptr + size) };
  }

  /** All of guest memory, once alloc's answer is known to lie inside it. */
  #checkedMemory(ptr, size) {
    const memory = this.#memory(ptr + size);
    if (ptr + size > memory.byteLength) {
      // Views of it would be cut short at the end of memory, and the input with them.
      this.poisoned = `guest alloc(${size}) returned ${ptr}, past the end of its memory`;
      throw new GuestTrap(this.poisoned);
    }
    return memory;
  }

  /**
   * A Uint8Array of all guest memory (this.#view the same as a DataView),
   * kept between calls and made anew only when it does not reach `end`:
   * growing a memory detaches its old buffer (views then have length 0),
   * and a memory can only grow. Callers check their bounds themselves.
   */
  #memory(end) {
    if (this.#bytes.byteLength < end) {
      const buffer = this.exports.memory.buffer;
      this.#bytes = new Uint8Array(buffer);
      this.#view = new DataView(buffer);
    }
    return this.#bytes;
  }

  /** Reads a result record through `read`, then frees it (exactly once). */
  #takeRecord(record, read) {
    const { tag, bytes } = this.#recordBytes(record);
    const value = read(tag, bytes);
    try {
      this.exports.result_free(record);
    } catch (error) {
      throw this.#trapped(error, 'result_free');
    }
    return value;
  }

  /** Decodes the record at `record` without freeing it (tests use this). */
  readRecord(record) {
    const { tag, bytes } = this.#recordBytes(record);
    return { tag, text: decoder.decode(bytes), textPtr: bytes.byteOffset, textLen: bytes.length };
  }

  /** The tag and a view of the text of the record at `record`, checked. */
  #recordBytes(record) {
    const address = record >>> 0;
    const memory = this.#memory(address + RECORD_SIZE);
    if (address === 0 || address + RECORD_SIZE > memory.byteLength) {
      this.poisoned = `result record address ${address} is out of bounds`;
      throw new GuestTrap(this.poisoned);
    }
    const view = this.#view;
    const tagValue = view.getUint32(address, true);
    const textPtr = view.getUint32(address + 4, true);
    const textLen = view.getUint32(address + 8, true);
    if (tagValue >= TAGS.length || textPtr + textLen > this.#memory(textPtr + textLen).byteLength) {
      this.poisoned = `malformed result record at ${address}: tag ${tagValue}, ` +
        `text ${textPtr}+${textLen}`;
      throw new GuestTrap(this.poisoned);
    }
    return { tag: TAGS[tagValue], bytes: this.#bytes.subarray(textPtr, textPtr + textLen) };
  }

  /** Calls an export with raw i32 arguments: lets tests pass bad pointers. */
  rawExport(name, ...args) {
    if (this.poisoned) throw new GuestTrap(`instance unusable after: ${this.poisoned}`);
    if (typeof this.exports[name] !== 'function') throw new TypeError(`no export ${name}`);
    return this.#guard(name, () => this.exports[name](...args));
  }

  /** Runs fn, turning anything thrown out of the wasm into a GuestTrap. */
  #guard(what, fn) {
    try {
      return fn();
    } catch (error) {
      throw this.#trapped(error, what);
    }
  }

  /** Poisons the instance for what was thrown out of the wasm in `what`. */
  #trapped(error, what) {
    this.poisoned = `${describeTrap(error)} (in ${what})`;
    return new GuestTrap(this.poisoned, { cause: error });
  }
}

class OutOfGuestMemory extends Error {}

function describeTrap(error) {
  if (error instanceof ProcExit || error instanceof SleepInterrupted) return error.message;
  if (error instanceof WebAssembly.RuntimeError) return `wasm trap: ${error.message}`;
  if (error instanceof RangeError && /call stack/i.test(error.message)) {
    return `native stack exhausted: ${error.message}`;
  }
  return `host error: ${error?.stack ?? String(error)}`;
}

function readText(tag, bytes) {
  return { tag, text: decoder.decode(bytes) };
}
