// The waiter: a worker whose one job is to keep the library's thread
// waiting while an async host function runs on the main thread (see
// README.md, "Design").
//
// Its callback is the `fn` of the reactor's host-function entries. The
// library calls it on the thread that runs the guest (one of Deno's
// blocking threads, during a nonblocking pyreactor_call); Deno queues it
// to this worker's thread and keeps the library's thread waiting until it
// returns. It calls the main thread's callback at once, with the same
// arguments (Deno queues that one to the main thread and keeps this thread
// waiting in turn): the main thread starts the host function and replies
// (pyreactor_reply_ok/_error) if it returned a value. If it returned a
// promise, the main thread answers PENDING, and this thread sleeps in
// Atomics.wait until the main thread has replied and stored DONE. The main
// thread cannot do that waiting itself: it would block its own event loop,
// which the async function needs.

//
// A node:worker_threads worker (Deno's own Worker cannot be unref'd, and
// would keep the process alive while the reactor is idle).

import { parentPort, workerData } from 'node:worker_threads';
import { HOST_FN } from './ffi.ts';
import { CLOSE, DONE, IDLE, type WaiterInit } from './waiter-cells.ts';

{
  const init = workerData as WaiterInit;
  const state = new Int32Array(init.buffer, 0, 1);
  const main = new Deno.UnsafeFnPointer(Deno.UnsafePointer.create(init.main)!, HOST_FN);
  const callback = Deno.UnsafeCallback.threadSafe(HOST_FN, (call, name, args, len, user) => {
    if (main.call(call, name, args, len, user) !== 0) {
      for (let now = Atomics.load(state, 0); now !== DONE && now !== CLOSE; now = Atomics.load(state, 0)) {
        Atomics.wait(state, 0, now);
      }
      Atomics.compareExchange(state, 0, DONE, IDLE);
    }
    return 0; // the main thread replied (or, at CLOSE, nobody will: HostError)
  });
  // Ends when the reactor terminates it, after pyreactor_close: nothing
  // calls the callback any more by then.
  parentPort!.postMessage(BigInt(Deno.UnsafePointer.value(callback.pointer)));
}
