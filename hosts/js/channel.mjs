// The channel between a Reactor (main thread) and its worker: one
// SharedArrayBuffer per worker, a header of Int32 cells and a data area.
//
// The two sides take turns. The TURN cell says who owns the buffer: the
// owner writes one frame (KIND, LEN bytes of data, a few integers), then
// hands the turn over with Atomics and notify; the other side, blocked in
// Atomics.wait (the worker, and synchronous calls) or Atomics.waitAsync
// (asynchronous calls), wakes up and reads it. A message longer than the data
// area goes in several frames (MORE = 1 on all but the last), each answered
// by an empty frame (ACK from the worker, NEXT from the main thread).
//
// Main thread -> worker: REQUEST (a call: TAG = op code, with the bit
//   CAPTURE_OUTPUT when the call's output is captured ({ output: true }):
//   the worker then sends what the guest prints to fd 1 and 2 during it as
//   OUTPUT frames, whatever its stdout/stderr targets; NAME_LEN, then name
//   and payload bytes), RAW (test hook, JSON), NEXT, REPLY (the answer to a
//   HOSTCALL: TAG 0 ok / 1 err, the reply's JSON text; in several frames
//   when big, each but the last answered by ACK, as a REQUEST).
// Worker -> main thread: READY or FATAL (once, at start; FATAL with TAG 1:
//   the options cannot work with the module, a RangeError), ACK, RESULT
//   (TAG, the guest's text), TRAP (TAG = trap type, a message), OUTPUT
//   (TAG = fd, bytes printed to a 'callback' stdout/stderr; the worker waits
//   for NEXT, so the callback runs before the call goes on), INPUT (the
//   guest reads stdin and the Reactor's stdin is a function: TOTAL = most
//   bytes wanted; the main thread answers NEXT with LEN bytes of input in
//   the data area, 0 meaning end of file), HOSTCALL (the guest called a host
//   function: TAG = its index in the names the worker was given, then the
//   args text, in several frames when big, each but the last answered by
//   NEXT; the main thread runs the function, async ones too, and answers
//   REPLY; the worker, blocked inside the guest's host.call, waits for it
//   as long as it takes).
// Either side may find TURN = CLOSED: the main thread gave up on the worker
// (trap, timeout, close); nothing more is read or written.

import { OPS, GuestTrap } from './guest.mjs';

export const TURN = 0;
export const KIND = 1;
export const LEN = 2; // bytes of data in this frame
export const MORE = 3; // 1: more frames of the same message follow
export const TAG = 4; // op code, result tag, trap type or fd
export const NAME_LEN = 5; // REQUEST: the name's length in bytes
export const TOTAL = 6; // bytes of the whole message
export const WAKE = 7; // the sleep-interrupt cell of wasi/clock-ops.mjs
// 1 while that side sleeps (or is about to) in a wait on TURN; a side that
// hands over the turn notifies only then. Atomics.notify takes a lock in
// V8 even with no one waiting (~60 ns, twice a call), and a waiter that
// polls needs no notify. No wake-up is lost: the waiter sets its cell
// before it checks TURN a last time, the giver changes TURN before it reads
// the cell, and all Atomics operations are sequentially consistent, so at
// least one of them sees the other's write.
export const MAIN_SLEEPS = 8;
export const WORKER_SLEEPS = 9;
const HEADER_CELLS = 16;
export const HEADER_BYTES = HEADER_CELLS * 4;

/** Values of TURN. */
export const MAIN = 0;
export const WORKER = 1;
export const CLOSED = 2;

/** Values of KIND. */
export const READY = 1;
export const FATAL = 2;
export const REQUEST = 3;
export const ACK = 4;
export const RESULT = 5;
export const TRAP = 6;
export const OUTPUT = 7;
export const NEXT = 8;
export const RAW = 9;
export const INPUT = 10;
export const HOSTCALL = 11;
export const REPLY = 12;

/** REQUEST's TAG: the op code, or'ed with this when the call's output is captured. */
export const CAPTURE_OUTPUT = 0x100;
const OP_MASK = 0xff;

export const OP_NAMES = Object.keys(OPS);
export const OP_CODES = Object.fromEntries(OP_NAMES.map((op, i) => [op, i]));
export const TAG_NAMES = ['ok', 'err'];
export const TRAP_TYPES = ['Trap', 'MemoryLimit'];

/** Default size of the data area: a request or result up to this many bytes
 *  crosses in one frame; bigger ones go in chunks of this size. */
export const DEFAULT_CAPACITY = 1 << 16;

export function createBuffer(capacity = DEFAULT_CAPACITY) {
  const sab = new SharedArrayBuffer(HEADER_BYTES + capacity);
  new Int32Array(sab, 0, HEADER_CELLS)[TURN] = WORKER; // the worker starts: READY
  return sab;
}


export const cells = (sab) => new Int32Array(sab, 0, HEADER_CELLS);
export const dataArea = (sab) => new Uint8Array(sab, HEADER_BYTES);

/** How long a waiting side polls TURN before it sleeps in Atomics.wait, by
 *  default (µs). Where waking a sleeping thread is dear (on an idle VM, a
 *  halted vCPU: 25-40 µs a wake-up) polling made a warm call 5-10 µs
 *  instead of 50-90; with another job holding one of two cores it cost
 *  0-15 µs a call more (README.md, "Performance"). */
export const DEFAULT_SPIN_MICROS = 50;

/** How long the caller polls for the answer to a call after a quiet spell
 *  (its last wait was over a millisecond ago: main-end.mjs), as a
 *  multiple of spinMicros: the wake-up and a call on cold caches take up
 *  to a few hundred µs on a VM, and an answer that the poll misses costs
 *  the caller's own wake-up on top (docs/performance.md, "Idle calls"). */
export const IDLE_POLL_FACTOR = 10;

/** Between two looks at the clock a poll takes well under a µs: a gap
 *  longer than this (ms) means the thread was descheduled. */
const DESCHEDULED_MS = 0.05;

/**
 * Spin-then-sleep policy of one waiting side. Waking a thread blocked in
 * Atomics.wait costs a few µs of kernel work on each side, more than a short
 * call itself; an answer that comes while the waiter polls costs none. But
 * polling burns a core, and slows the other side down when cores are
 * scarce, so after a spin that ran out the side sleeps at once for the next
 * 1, 2, 4 ... 64 waits (exponential backoff), and polls again after that.
 */
export class SpinPolicy {
  constructor(micros) {
    this.limit = micros > 0 ? micros / 1000 : 0; // ms
    this.skip = this.limit > 0 ? 0 : Infinity; // waits left without polling
    this.backoff = 0;
  }

  /**
   * Polls TURN while it is `value` (if it is to), for up to `ms` (default
   * the policy's limit; longer for an answer known to come late but soon:
   * Link.poll); true when it changed. A poll that ran out, or that finds
   * its thread was descheduled meanwhile (the cores are oversubscribed:
   * polling takes CPU from the side it waits for), stops and starts a
   * backoff.
   */
  spin(ctl, value, ms = this.limit) {
    if (this.skip > 0) {
      this.skip--;
      return Atomics.load(ctl, TURN) !== value;
    }
    // First without the clock (performance.now() costs more than many
    // polls): an answer that is on its way comes within these.
    for (let i = 0; i < 64; i++) {
      if (Atomics.load(ctl, TURN) !== value) {
        this.backoff = 0;
        return true;
      }
    }
    let now = performance.now();
    const end = now + ms;
    do {
      for (let i = 0; i < 32; i++) {
        if (Atomics.load(ctl, TURN) !== value) {
          this.backoff = 0;
          return true;
        }
      }
      const last = now;
      now = performance.now();
      if (now - last > DESCHEDULED_MS) break;
    } while (now < end);
    this.backoff = Math.min(64, this.backoff * 2 || 1);
    this.skip = this.backoff;
    return false;
  }
}

/** The worker stopped waiting because the main thread closed the channel. */
export class ChannelClosed extends Error {}

/**
 * The worker's end: every wait blocks the thread (the worker does nothing
 * else while it holds an instance).
 */
export class WorkerEnd {
  constructor(sab, spinMicros = DEFAULT_SPIN_MICROS) {
    this.ctl = cells(sab);
    this.data = dataArea(sab);
    this.capacity = this.data.length;
    this.wakeup = new Int32Array(sab, WAKE * 4, 1);
    this.spin = new SpinPolicy(spinMicros);
  }

  /** Blocks until the main thread has written a frame; returns its KIND. */
  take() {
    const ctl = this.ctl;
    // With spinMicros, a short poll first: the next frame often follows at
    // once (NEXT after an output, the next call of a busy caller).
    if (!this.spin.spin(ctl, MAIN)) {
      Atomics.store(ctl, WORKER_SLEEPS, 1);
      while (Atomics.load(ctl, TURN) === MAIN) Atomics.wait(ctl, TURN, MAIN);
      Atomics.store(ctl, WORKER_SLEEPS, 0);
    }
    if (Atomics.load(ctl, TURN) === CLOSED) throw new ChannelClosed('the host closed the channel');
    return ctl[KIND];
  }

  /** Hands the current frame to the main thread. */
  give(kind, tag, len, more, total) {
    const ctl = this.ctl;
    ctl[KIND] = kind;
    ctl[TAG] = tag;
    ctl[LEN] = len;
    ctl[MORE] = more ? 1 : 0;
    ctl[TOTAL] = total;
    if (Atomics.compareExchange(ctl, TURN, WORKER, MAIN) !== WORKER) {
      throw new ChannelClosed('the host closed the channel');
    }
    if (Atomics.load(ctl, MAIN_SLEEPS) !== 0) Atomics.notify(ctl, TURN);
  }

  /**
   * Sends `bytes` as frames of `kind`. Waits for NEXT between frames, and
   * after the last one when `waitLast` (OUTPUT: the guest goes on once the
   * callback ran; FATAL: the worker ends once its reason was read).
   */
  send(kind, tag, bytes, waitLast = false) {
    const total = bytes.length;
    let offset = 0;
    do {
      const len = Math.min(this.capacity, total - offset);
      this.data.set(offset === 0 && len === total ? bytes : bytes.subarray(offset, offset + len));
      offset += len;
      const more = offset < total;
      this.give(kind, tag, len, more, total);
      if (more || waitLast) this.#expect(NEXT);
    } while (offset < total);
  }

  /** Asks the main thread for up to `max` bytes of the guest's stdin (a copy; empty: end of file). */
  input(max) {
    this.give(INPUT, 0, 0, false, Math.min(max, this.capacity));
    this.#expect(NEXT);
    return this.data.slice(0, this.ctl[LEN]);
  }

  /**
   * The guest's host.call of host function number `index` (of the names the
   * worker was given; `name` for messages) with the args' UTF-8 bytes,
   * asked of the main thread: {ok, text}, text being the reply's UTF-8
   * bytes (a view of the data area when it came in one frame: valid until
   * the next frame is given). Anything that breaks the exchange (the host
   * closed the channel: a timeout) is a GuestTrap, which the guest must not
   * take for a reply.
   */
  hostCall(index, name, argsBytes) {
    try {
      if (argsBytes.length <= this.capacity) {
        this.data.set(argsBytes);
        this.give(HOSTCALL, index, argsBytes.length, false, argsBytes.length);
      } else {
        this.send(HOSTCALL, index, argsBytes);
      }
      if (this.take() !== REPLY) throw new Error('channel: expected REPLY');
      return { ok: this.ctl[TAG] === 0, text: this.#readReply() };
    } catch (error) {
      throw new GuestTrap(`host call of ${name}: ${error.message}`, { cause: error });
    }
  }

  /** The REPLY that starts at the current frame: a view, or a copy of all its frames. */
  #readReply() {
    const { ctl, data } = this;
    if (!ctl[MORE]) return data.subarray(0, ctl[LEN]);
    const bytes = new Uint8Array(ctl[TOTAL]);
    let offset = 0;
    for (;;) {
      const len = Math.min(ctl[LEN], bytes.length - offset);
      bytes.set(data.subarray(0, len), offset);
      offset += len;
      if (!ctl[MORE]) return bytes;
      this.give(ACK, 0, 0, false, 0);
      if (this.take() !== REPLY) throw new Error('channel: expected the rest of a REPLY');
    }
  }

  /**
   * The REQUEST whose first frame is in the data area: {op, name, payload,
   * stream}. When it fits in that frame, name and payload are views of the
   * data area and stream is null. Otherwise they are writers ({length,
   * writeTo(view)}, see Guest#input) that copy the request frame by frame
   * straight into guest memory, and stream.drain() must be called before
   * anything else is written to the channel (it reads what was not used).
   */
  readRequest() {
    const ctl = this.ctl;
    const op = OP_NAMES[ctl[TAG] & OP_MASK];
    const nameLen = ctl[NAME_LEN];
    const total = ctl[TOTAL];
    if (!ctl[MORE]) {
      const bytes = this.data.subarray(0, total);
      return { op, name: bytes.subarray(0, nameLen), payload: bytes.subarray(nameLen, total), stream: null };
    }
    const stream = new RequestStream(this);
    return {
      op,
      name: { length: nameLen, writeTo: (view) => stream.read(view) },
      payload: { length: total - nameLen, writeTo: (view) => stream.read(view) },
      stream,
    };
  }

  #expect(kind) {
    const got = this.take();
    if (got !== kind) throw new Error(`channel: expected frame ${kind}, got ${got}`);
  }
}

/** A request that comes in several frames, read in order into views. */
class RequestStream {
  constructor(end) {
    this.end = end;
    this.pos = 0; // in the current frame
    this.len = end.ctl[LEN];
    this.more = end.ctl[MORE] !== 0;
  }

  /** Fills `view` with the next bytes of the request. */
  read(view) {
    const { end } = this;
    let offset = 0;
    while (offset < view.length) {
      if (this.pos === this.len) this.#next();
      const n = Math.min(view.length - offset, this.len - this.pos);
      view.set(end.data.subarray(this.pos, this.pos + n), offset);
      offset += n;
      this.pos += n;
    }
  }

  /** Reads (and drops) the frames not read yet, so that the turn is ours. */
  drain() {
    while (this.more) this.#next();
    this.pos = this.len;
  }

  #next() {
    if (!this.more) throw new Error('channel: the request is shorter than announced');
    const { end } = this;
    end.give(ACK, 0, 0, false, 0);
    if (end.take() !== REQUEST) throw new Error('channel: expected the rest of a request');
    this.pos = 0;
    this.len = end.ctl[LEN];
    this.more = end.ctl[MORE] !== 0;
  }
}
