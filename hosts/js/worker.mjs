// Worker-thread side of Reactor: owns one Guest and runs the requests that
// reactor.mjs posts, one at a time. It lives in a worker only for the stack:
// a worker can be given a native stack big enough for CPython's recursion
// through C code (see README.md, "The stack").

import { parentPort, workerData } from 'node:worker_threads';
import { Guest, GuestTrap } from './guest.mjs';

const { module, env, preopens, stdout, stderr, memoryMb, wakeup } = workerData;

// 'callback' outputs are forwarded to the main thread, which owns the function.
// The message is ordered before the result of the call that printed it.
const forward = (fd) => (bytes) => parentPort.postMessage({ kind: 'output', fd, bytes });
const target = (value, fd) => (value === 'callback' ? forward(fd) : value);

function run(guest, request) {
  if (request.op === '__raw_export') {
    // Test hook: call an export with raw integers (e.g. a bad pointer).
    return { tag: 'ok', text: String(guest.rawExport(request.exportName, ...request.args)) };
  }
  return guest.call(request.op, request.name, request.payload);
}

// A trap with the memory at its cap is the cap's doing: Python could not
// turn that allocation failure into a MemoryError.
function trapType(guest) {
  const size = guest.exports?.memory?.buffer?.byteLength ?? 0;
  const slack = 1 << 20; // the guest grows in steps of up to a MiB
  return memoryMb > 0 && size + slack > memoryMb * 2 ** 20 ? 'MemoryLimit' : 'Trap';
}

function onRequest(guest, request) {
  try {
    const { tag, text } = run(guest, request);
    parentPort.postMessage({ kind: 'result', seq: request.seq, tag, text });
  } catch (error) {
    const message = error instanceof GuestTrap ? error.message : `host error: ${error?.stack ?? error}`;
    parentPort.postMessage({ kind: 'trap', seq: request.seq, message, type: trapType(guest) });
  }
}

try {
  const guest = await Guest.create(module, {
    env,
    preopens,
    stdout: target(stdout, 1),
    stderr: target(stderr, 2),
    memoryMb,
    wakeup,
  });
  parentPort.on('message', (request) => onRequest(guest, request));
  parentPort.postMessage({ kind: 'ready' });
} catch (error) {
  parentPort.postMessage({ kind: 'fatal', message: error?.message ?? String(error) });
}
