// The main thread's end of the channel (channel.mjs) to one worker: the
// twin of the worker's WorkerEnd. A Link writes frames and hands the turn
// over, waits for the worker's (polling, then in Atomics.wait for the sync
// API or Atomics.waitAsync for the async one), reads messages that come in
// several frames and sends big ones frame by frame. What a failure means
// (a trap, a timeout, a rebuild) is its owner's business (reactor.mjs):
// a Link reports through the owner's fail(link, reason) and expire(link).
//
// The multi-frame parts are generators: each `yield link` waits for the
// worker's answer, which the owner's driver does in either way.

import { toBytes, utf8Length } from './guest.mjs';
import {
  TURN, KIND, LEN, MORE, TAG, NAME_LEN, TOTAL, WAKE, MAIN_SLEEPS, WORKER_SLEEPS, MAIN, WORKER, CLOSED,
  REQUEST, ACK, RESULT, NEXT, OP_CODES, TAG_NAMES, CAPTURE_OUTPUT, cells, dataArea, SpinPolicy, IDLE_POLL_FACTOR,
} from './channel.mjs';

/** A poll that begins this long (ms) after the previous one waits for the
 *  first call after a quiet spell: see Link.poll. */
const QUIET_MS = 1;

/** A synchronous call that has to wait for a new worker gives up after this. */
export const SYNC_START_LIMIT_MS = 60_000;

// Phases of a worker, for what a wait that runs out means.
export const STARTING = 0;
export const CALLING = 1;

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/**
 * The UTF-8 text of `bytes` (a view of the channel): a few ASCII bytes (a
 * host call's args are often `[]` or `[1]`) are turned into a string here,
 * which costs a tenth of TextDecoder's call; anything else is decoded.
 */
export function textOf(bytes) {
  const n = bytes.length;
  if (n > 8) return decoder.decode(bytes);
  let text = '';
  for (let i = 0; i < n; i++) {
    const c = bytes[i];
    if (c > 0x7f) return decoder.decode(bytes);
    text += String.fromCharCode(c);
  }
  return text;
}

/** What the protocol yields to have its driver wait for an async host function. */
export class HostWait {
  constructor(link, call) {
    this.link = link;
    this.call = call;
  }
}

// Sources of the bytes of a message that crosses in several frames.

/** Bytes, copied frame by frame. */
export class BytesSource {
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
export class TextSource {
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

/** One worker and its channel, seen from the main thread. */
export class Link {
  /** `owner`: {fail(link, reason), expire(link)}, called when the link must be given up. */
  constructor(worker, sab, rebuild, spinMicros, owner) {
    this.worker = worker;
    this.owner = owner;
    this.spin = new SpinPolicy(spinMicros);
    this.idlePollMs = (spinMicros * IDLE_POLL_FACTOR) / 1000;
    this.polled = 0; // when poll() was last called
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

  /** Gives up the link (through its owner) and throws why. */
  fail(reason) {
    this.owner.fail(this, reason);
    throw this.failure;
  }

  /** Closes the channel: what waits on it wakes up and throws `failure`. */
  close(failure) {
    this.failure ??= failure;
    const ctl = this.ctl;
    Atomics.store(ctl, WAKE, 1);
    Atomics.notify(ctl, WAKE);
    Atomics.store(ctl, TURN, CLOSED);
    Atomics.notify(ctl, TURN);
  }

  /** Throws when the link was given up. */
  check() {
    if (Atomics.load(this.ctl, TURN) === CLOSED) throw this.failure ?? new Error('the worker is gone');
  }

  /** Before letting the worker go on within a call: is its time up? */
  checkTime() {
    if (this.deadline !== Infinity && performance.now() > this.deadline) {
      this.owner.expire(this);
      throw this.failure;
    }
  }

  /** When a wait gives up: the call's deadline, or the start's for a sync call. */
  waitDeadline(sync) {
    if (this.phase === CALLING) return this.deadline;
    return sync ? this.born + SYNC_START_LIMIT_MS : Infinity;
  }

  /** Writes the header of a frame and hands the turn to the worker. */
  give(kind, tag, nameLen, len, more, total) {
    const ctl = this.ctl;
    ctl[KIND] = kind;
    ctl[TAG] = tag;
    ctl[NAME_LEN] = nameLen;
    ctl[LEN] = len;
    ctl[MORE] = more ? 1 : 0;
    ctl[TOTAL] = total;
    if (Atomics.compareExchange(ctl, TURN, MAIN, WORKER) !== MAIN) {
      throw this.failure ?? new Error('the worker is gone');
    }
    if (Atomics.load(ctl, WORKER_SLEEPS) !== 0) Atomics.notify(ctl, TURN);
  }

  /**
   * Polls for the worker's answer before the caller sleeps: true when it
   * came. After a quiet spell (the last poll began over QUIET_MS ago) it
   * polls longer (idlePollMs): the answer comes late, after the worker's
   * wake-up and a call on cold caches, and a poll that runs out before it
   * adds the caller's own wake-up (and for the async API a trip through
   * the event loop). Not after a mere wake-up of the worker in a run of
   * calls: on a loaded machine the worker often sleeps between them, and
   * a long poll there takes the CPU it needs.
   */
  poll() {
    const now = performance.now();
    const quiet = now - this.polled > QUIET_MS;
    this.polled = now;
    return this.spin.spin(this.ctl, WORKER, quiet ? this.idlePollMs : this.spin.limit);
  }

  /** Blocks until it is this side's turn (or the link is given up). */
  waitSync() {
    const ctl = this.ctl;
    if (this.poll()) return;
    Atomics.store(ctl, MAIN_SLEEPS, 1);
    try {
      for (;;) {
        if (Atomics.load(ctl, TURN) !== WORKER) return;
        const deadline = this.waitDeadline(true);
        const ms = deadline === Infinity ? Infinity : deadline - performance.now();
        if (ms <= 0) {
          this.owner.expire(this);
          return;
        }
        Atomics.wait(ctl, TURN, WORKER, ms);
      }
    } finally {
      Atomics.store(ctl, MAIN_SLEEPS, 0);
    }
  }

  /** Resolves when it is this side's turn (or the link is given up). */
  async waitAsync() {
    const ctl = this.ctl;
    // A pending waitAsync does not keep the process alive; the worker does.
    this.worker.ref();
    let timer = null;
    try {
      const deadline = this.waitDeadline(false);
      if (deadline !== Infinity) {
        timer = setTimeout(() => this.owner.expire(this), Math.max(0, deadline - performance.now()));
      }
      Atomics.store(ctl, MAIN_SLEEPS, 1);
      while (Atomics.load(ctl, TURN) === WORKER) {
        const wait = Atomics.waitAsync(ctl, TURN, WORKER);
        if (wait.async) await wait.value;
      }
    } finally {
      Atomics.store(ctl, MAIN_SLEEPS, 0);
      clearTimeout(timer);
      this.worker.unref();
    }
  }

  /**
   * Writes a request that fits into the data area and hands it over;
   * returns null, or the parts ({tag, nameLen, total, sources}) of one that must
   * go in several frames (see stream).
   */
  writeRequest({ op, name, payload, capture }) {
    const { data, capacity } = this;
    const tag = capture ? OP_CODES[op] | CAPTURE_OUTPUT : OP_CODES[op];
    if (typeof name === 'string' && typeof payload === 'string'
        && (name.length + payload.length) * 3 <= capacity) {
      const nameLen = name.length === 0 ? 0 : encoder.encodeInto(name, data).written;
      const total = payload.length === 0 ? nameLen
        : nameLen + encoder.encodeInto(payload, nameLen === 0 ? data : data.subarray(nameLen)).written;
      this.give(REQUEST, tag, nameLen, total, false, total);
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
      this.give(REQUEST, tag, nameLen, total, false, total);
      return null;
    }
    return { tag, nameLen, total, sources: [new BytesSource(nameBytes), second instanceof TextSource ? second : new BytesSource(second)] };
  }

  /** A single-frame RESULT waiting in the channel, or null. */
  quickResult() {
    const ctl = this.ctl;
    if (Atomics.load(ctl, TURN) !== MAIN || ctl[KIND] !== RESULT || ctl[MORE]) return null;
    return { tag: TAG_NAMES[ctl[TAG]], text: decoder.decode(this.data.subarray(0, ctl[LEN])) };
  }

  /** Sends the bytes of `sources` as frames of `kind`, each but the last
   *  answered by ACK; strings are encoded straight into the data area. */
  *stream(kind, tag, { nameLen, total, sources }) {
    const { data, capacity } = this;
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
      if (!more && sent !== total) this.fail(`host error: message of ${sent} bytes, ${total} announced`);
      this.give(kind, tag, nameLen, len, more, total);
      if (!more) return;
      yield* this.#awaitAck();
    }
  }

  /** Sends `bytes` in frames of `kind`, each but the last answered by ACK. */
  *sendChunks(kind, tag, nameLen, bytes) {
    yield* this.stream(kind, tag, { nameLen, total: bytes.length, sources: [new BytesSource(bytes)] });
  }

  /** Waits for the worker to take a frame that is not the last of its
   *  message: the turn must come back with an ACK, in time. */
  *#awaitAck() {
    yield this;
    this.check();
    this.checkTime();
    if (this.ctl[KIND] !== ACK) this.fail(`host error: expected ACK, got frame ${this.ctl[KIND]}`);
  }

  /** The worker's message starting at the current frame: a copy when it came
   *  in several frames, else a view of the data area (valid until we give). */
  *readMessage() {
    const ctl = this.ctl;
    if (!ctl[MORE]) return this.data.subarray(0, ctl[LEN]);
    const kind = ctl[KIND];
    const bytes = new Uint8Array(ctl[TOTAL]);
    let offset = 0;
    for (;;) {
      const len = Math.min(ctl[LEN], bytes.length - offset);
      bytes.set(this.data.subarray(0, len), offset);
      offset += len;
      if (!ctl[MORE]) return bytes;
      this.checkTime();
      this.give(NEXT, 0, 0, 0, false, 0);
      yield this;
      this.check();
      if (ctl[KIND] !== kind) this.fail(`host error: expected frame ${kind}, got ${ctl[KIND]}`);
    }
  }
}
