// Clocks, randomness, yielding and poll_oneoff. They are real: the guest
// sees the host's clocks and the platform's random bytes (Python seeds its
// hash and `random` from them), and time.sleep really sleeps.
//
// A sleep is an Atomics.wait on a shared cell (ctx.wakeup) that the host
// flips and notifies when it stops the call: neither a worker's
// terminate() (Deno) nor a timer can interrupt a blocking sleep, so a
// stopped `time.sleep(3600)` would otherwise hold its thread for an hour.

import process from 'node:process';
import { CLOCK, E, EVENTTYPE, WasiError } from './constants.mjs';

const SUBSCRIPTION_SIZE = 48;
const EVENT_SIZE = 32;
const RANDOM_CHUNK = 65536; // getRandomValues' limit per call

/** Thrown out of the guest when the host stopped the call while it slept. */
export class SleepInterrupted extends Error {}

const epochNs = BigInt(Math.round(performance.timeOrigin * 1e6));

/** A clock's value in ns, or null for a clock WASI does not have. */
function now(id) {
  switch (id) {
    case CLOCK.REALTIME:
      // performance.now() keeps sub-millisecond precision, Date.now() does not.
      return epochNs + BigInt(Math.round(performance.now() * 1e6));
    case CLOCK.MONOTONIC:
      return process.hrtime.bigint();
    case CLOCK.PROCESS_CPUTIME:
    case CLOCK.THREAD_CPUTIME: {
      // The process's CPU time: Node and Deno have no per-thread clock.
      const { user, system } = process.cpuUsage();
      return BigInt(user + system) * 1000n;
    }
    default:
      return null;
  }
}

const RESOLUTION_NS = [1000n, 1n, 1000n, 1000n];

export function clock_res_get(ctx, id, resolutionPtr) {
  if (RESOLUTION_NS[id] === undefined) throw new WasiError(E.INVAL);
  ctx.mem.setU64(resolutionPtr, RESOLUTION_NS[id]);
}

export function clock_time_get(ctx, id, precision, timePtr) {
  const value = now(id);
  if (value === null) throw new WasiError(E.INVAL);
  ctx.mem.setU64(timePtr, value);
}

export function random_get(ctx, bufPtr, bufLen) {
  const out = ctx.mem.slice(bufPtr, bufLen);
  for (let offset = 0; offset < out.length; offset += RANDOM_CHUNK) {
    globalThis.crypto.getRandomValues(out.subarray(offset, offset + RANDOM_CHUNK));
  }
}

export function sched_yield() {
  // One thread per instance: nothing to yield to.
}

// ------------------------------------------------------------ poll_oneoff

/** Writes an event for the subscription at `sub` (its userdata read first:
 *  the guest may make events overlap subscriptions). */
function putEvent(ctx, eventPtr, subPtr, errno, type) {
  const userdata = ctx.mem.u64(subPtr);
  const view = new DataView(ctx.mem.zeroed(eventPtr, EVENT_SIZE).buffer, eventPtr >>> 0, EVENT_SIZE);
  view.setBigUint64(0, userdata, true);
  view.setUint16(8, errno, true);
  view.setUint8(10, type);
}

/** ns until the clock subscription at `sub` fires (0 when due), or null for a bad clock. */
function clockWait(ctx, sub) {
  const id = ctx.mem.u32(sub + 16);
  const timeout = ctx.mem.u64(sub + 24);
  const absolute = (ctx.mem.u16(sub + 40) & 1) !== 0;
  const current = now(id);
  if (current === null) return null;
  if (!absolute) return timeout;
  return timeout > current ? timeout - current : 0n;
}

/** Sleeps up to `ns`, unless the host flips the wakeup cell. */
function sleep(ctx, ns) {
  if (ns > 0n) {
    const ms = Number(ns) / 1e6;
    Atomics.wait(ctx.wakeup, 0, 0, ms);
  }
  if (Atomics.load(ctx.wakeup, 0) !== 0) throw new SleepInterrupted('the host stopped the call');
}

/**
 * fd subscriptions are answered at once (files and the instance's stdio
 * never block; an unknown fd gets EBADF in its event). With only clocks:
 * sleep until the earliest, then report every one that is due.
 */
export function poll_oneoff(ctx, inPtr, outPtr, nsubs, neventsPtr) {
  nsubs >>>= 0;
  if (nsubs === 0) throw new WasiError(E.INVAL);
  inPtr = ctx.mem.check(inPtr, nsubs * SUBSCRIPTION_SIZE);
  outPtr = ctx.mem.check(outPtr, nsubs * EVENT_SIZE);
  ctx.mem.check(neventsPtr, 4);
  const subs = Array.from({ length: nsubs }, (_, i) => inPtr + i * SUBSCRIPTION_SIZE);
  if (subs.some((sub) => ctx.mem.u8(sub + 8) > EVENTTYPE.FD_WRITE)) throw new WasiError(E.INVAL);
  let count = 0;
  for (const sub of subs) {
    const type = ctx.mem.u8(sub + 8);
    if (type === EVENTTYPE.CLOCK) continue;
    const known = ctx.fds.has(ctx.mem.u32(sub + 16));
    putEvent(ctx, outPtr + EVENT_SIZE * count++, sub, known ? E.SUCCESS : E.BADF, type);
  }
  if (count === 0) {
    const waits = subs.map((sub) => clockWait(ctx, sub));
    for (let i = 0; i < nsubs; i++) {
      if (waits[i] === null) putEvent(ctx, outPtr + EVENT_SIZE * count++, subs[i], E.INVAL, EVENTTYPE.CLOCK);
    }
    if (count === 0) {
      const first = waits.reduce((a, b) => (b < a ? b : a));
      sleep(ctx, first);
      for (let i = 0; i < nsubs; i++) {
        if (waits[i] <= first) putEvent(ctx, outPtr + EVENT_SIZE * count++, subs[i], E.SUCCESS, EVENTTYPE.CLOCK);
      }
    }
  }
  ctx.mem.setU32(neventsPtr, count);
}

