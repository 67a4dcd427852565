// Worker-thread side of Reactor: owns one Guest and runs the requests that
// reactor.mjs writes into the shared channel (channel.mjs), one at a time,
// blocked in Atomics.wait in between. It lives in a worker only for the
// stack: a worker can be given a native stack big enough for CPython's
// recursion through C code (see README.md, "The stack").
//
// Its job (the module, the channel, the guest's options) comes with
// workerData, or by message: a spare worker boots before anyone needs it
// (it says 'booted'), and a worker started while the module still compiles
// gets it when it is ready.

import { parentPort, workerData } from 'node:worker_threads';
import { Guest, GuestTrap, makeSink } from './guest.mjs';
import { noSuchHostFunction } from './host-functions.mjs';
import {
  WorkerEnd, ChannelClosed, LEN, TAG, READY, FATAL, REQUEST, RAW, RESULT, TRAP, OUTPUT, NEXT, CAPTURE_OUTPUT,
} from './channel.mjs';

const job = workerData?.job ?? await new Promise((resolve) => {
  parentPort.once('message', resolve);
  parentPort.postMessage('booted');
});
const { module, env, preopens, stdin, stdout, stderr, memoryMb, sab, spinMicros, hostFunctions } = job;
const end = new WorkerEnd(sab, spinMicros);
const encoder = new TextEncoder();

// 'callback' outputs go to the main thread, which owns the function; the
// guest waits until it has run, so output comes before the call's result.
// So does all output of a call that captures it ({ output: true }), to be
// kept by the main thread for that call only.
const forward = (fd) => (bytes) => end.send(OUTPUT, fd, bytes, true);
let capturing = false; // the request being run captures its output
function sink(value, fd) {
  const send = forward(fd);
  const own = value === 'callback' ? send : makeSink(value, fd);
  return (bytes) => (capturing ? send(bytes) : own(bytes));
}

// The host functions run on the main thread, which owns them (a HOSTCALL
// frame naming one by its index in `names`, the args bytes copied from
// guest memory as they are); a name it has none of is answered here,
// without the round trip.
function hostCaller(names) {
  if (!names?.length) return undefined;
  const index = new Map(names.map((name, i) => [name, i]));
  const nameDecoder = new TextDecoder();
  // The last name called, as bytes: a loop calls one function again and
  // again, and comparing a few bytes costs less than decoding them.
  let last = new Uint8Array(0);
  let lastName = null;
  let lastIndex;
  return (nameBytes, argsBytes) => {
    if (lastName === null || !sameBytes(nameBytes, last)) {
      lastName = nameDecoder.decode(nameBytes);
      lastIndex = index.get(lastName);
      last = nameBytes.slice();
    }
    return lastIndex === undefined ? noSuchHostFunction(lastName) : end.hostCall(lastIndex, lastName, argsBytes);
  };
}

function sameBytes(a, b) {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

// A trap with the memory at its cap is the cap's doing: Python could not
// turn that allocation failure into a MemoryError.
function trapType(guest) {
  const size = guest?.exports?.memory?.buffer?.byteLength ?? 0;
  const slack = 1 << 20; // the guest grows in steps of up to a MiB
  return memoryMb > 0 && size + slack > memoryMb * 2 ** 20 ? 1 : 0; // TRAP_TYPES
}

// The request being read, while it still has frames in the channel.
let request = null;

/**
 * Result bytes go straight from guest memory into the channel: a result that
 * fits is written whole and handed over once the call is done (after
 * result_free); a bigger one goes frame by frame now, all but the last,
 * which is copied into the data area and handed over the same way.
 */
function toChannel(tag, bytes) {
  request?.drain(); // e.g. an input the guest could not allocate
  request = null;
  const code = tag === 'ok' ? 0 : 1;
  const total = bytes.length;
  const { capacity, data } = end;
  let offset = 0;
  while (total - offset > capacity) {
    data.set(bytes.subarray(offset, offset + capacity));
    offset += capacity;
    end.give(RESULT, code, capacity, true, total);
    if (end.take() !== NEXT) throw new Error('channel: expected NEXT');
  }
  data.set(offset === 0 ? bytes : bytes.subarray(offset));
  const last = total - offset;
  return () => end.give(RESULT, code, last, false, total);
}

function run(guest, kind) {
  if (kind === RAW) {
    // Test hook: call an export with raw integers (e.g. a bad pointer).
    const { exportName, args } = JSON.parse(new TextDecoder().decode(end.data.slice(0, end.ctl[LEN])));
    const text = encoder.encode(String(guest.rawExport(exportName, ...args)));
    return () => end.send(RESULT, 0, text);
  }
  if (kind !== REQUEST) throw new Error(`channel: unexpected frame ${kind}`);
  capturing = (end.ctl[TAG] & CAPTURE_OUTPUT) !== 0;
  const { op, name, payload, stream } = end.readRequest();
  if (!op) throw new Error('channel: unknown op code');
  request = stream;
  return guest.call(op, name, payload, toChannel);
}

function serve(guest) {
  for (;;) {
    const kind = end.take();
    let reply;
    try {
      reply = run(guest, kind);
    } catch (error) {
      if (error instanceof ChannelClosed) throw error;
      const message = error instanceof GuestTrap ? error.message : `host error: ${error?.stack ?? error}`;
      reply = () => end.send(TRAP, trapType(guest), encoder.encode(message.slice(0, 65536)));
    }
    capturing = false;
    request?.drain();
    request = null;
    reply();
  }
}

let guest;
try {
  guest = await Guest.create(module, {
    env,
    preopens,
    stdin: stdin === 'callback' ? (max) => end.input(max) : stdin,
    stdout: sink(stdout, 1),
    stderr: sink(stderr, 2),
    memoryMb,
    wakeup: end.wakeup,
    hostCallBytes: hostCaller(hostFunctions),
  });
} catch (error) {
  guest = null;
  try {
    // TAG 1: refused options (Guest throws RangeError for them), else 0.
    const refused = error instanceof RangeError ? 1 : 0;
    end.send(FATAL, refused, encoder.encode(String(error?.message ?? error)), true); // waits until read
  } catch {
    // the host is gone already
  }
}
if (guest) {
  try {
    end.give(READY, 0, 0, false, 0);
    serve(guest);
  } catch (error) {
    if (!(error instanceof ChannelClosed)) throw error;
    // closed: return, and the worker ends
  }
}
