// WASI poll_oneoff for the common case of a guest that only waits for a clock
// (time.sleep, asyncio with nothing to read). node:wasi sleeps in native code
// that worker.terminate() cannot interrupt, so a stopped `time.sleep(3600)`
// would hold its thread, and the process, for an hour. Here the wait is an
// Atomics.wait on a shared cell that the host flips and notifies when it
// stops the call (Deno's terminate cannot interrupt Atomics.wait either, so
// the notify is what ends the wait there). Anything else goes to node:wasi.

const SUBSCRIPTION_SIZE = 48;
const EVENT_SIZE = 32;
const EVENTTYPE_CLOCK = 0;
const SUBCLOCKFLAGS_ABSTIME = 1;
const ERRNO_SUCCESS = 0;

/** Thrown out of the guest when the host stopped the call while it slept. */
export class SleepInterrupted extends Error {}

/**
 * @param original  node:wasi's poll_oneoff
 * @param clockTimeGet  node:wasi's clock_time_get, so "now" is the guest's clock
 * @param memory  () => the guest's WebAssembly.Memory
 * @param wakeup  Int32Array on a SharedArrayBuffer; non-zero means "stop"
 */
export function interruptiblePollOneoff(original, clockTimeGet, memory, wakeup) {
  return (inPtr, outPtr, nsubs, neventsPtr) => {
    const view = new DataView(memory().buffer);
    const fits = (ptr, len) => ptr >= 0 && len >= 0 && ptr + len <= view.byteLength;
    if (nsubs < 1 || !fits(inPtr, nsubs * SUBSCRIPTION_SIZE) || !fits(outPtr, EVENT_SIZE)
        || !fits(neventsPtr, 4)) {
      return original(inPtr, outPtr, nsubs, neventsPtr); // its own checks and errors
    }
    const first = earliestClock(view, inPtr, nsubs, (clock) => now(clockTimeGet, view, clock, outPtr));
    if (first === null) return original(inPtr, outPtr, nsubs, neventsPtr);
    if (first.waitNs > 0n) Atomics.wait(wakeup, 0, 0, Number(first.waitNs) / 1e6);
    if (Atomics.load(wakeup, 0) !== 0) throw new SleepInterrupted('the host stopped the call');
    writeClockEvent(view, outPtr, first.userdata);
    view.setUint32(neventsPtr, 1, true);
    return ERRNO_SUCCESS;
  };
}

/** The clock subscription that fires first, or null if any is not a clock. */
function earliestClock(view, inPtr, nsubs, nowOf) {
  let first = null;
  for (let i = 0; i < nsubs; i++) {
    const base = inPtr + i * SUBSCRIPTION_SIZE;
    if (view.getUint8(base + 8) !== EVENTTYPE_CLOCK) return null;
    const clock = view.getUint32(base + 16, true);
    const timeout = view.getBigUint64(base + 24, true);
    const absolute = (view.getUint16(base + 40, true) & SUBCLOCKFLAGS_ABSTIME) !== 0;
    const stamp = absolute ? nowOf(clock) : 0n;
    if (stamp === null) return null;
    const waitNs = absolute ? timeout - stamp : timeout;
    if (first === null || waitNs < first.waitNs) {
      first = { waitNs, userdata: view.getBigUint64(base, true) };
    }
  }
  return first;
}

/** The guest's clock `clock` in ns, read through node:wasi into `scratch`
 *  (the event buffer, written over right after). */
function now(clockTimeGet, view, clock, scratch) {
  if (clockTimeGet(clock, 1n, scratch) !== ERRNO_SUCCESS) return null;
  return view.getBigUint64(scratch, true);
}

function writeClockEvent(view, outPtr, userdata) {
  for (let i = 0; i < EVENT_SIZE; i += 4) view.setUint32(outPtr + i, 0, true);
  view.setBigUint64(outPtr, userdata, true);
  view.setUint16(outPtr + 8, ERRNO_SUCCESS, true);
  view.setUint8(outPtr + 10, EVENTTYPE_CLOCK);
}
