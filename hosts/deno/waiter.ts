// The waiter: a worker whose one job is to make the library's thread wait
// for a host function's reply (see README.md, "Design").
//
// Its callback is the `fn` of the reactor's host-function entries. The
// library calls it on the thread that runs the guest (one of Deno's
// blocking threads, during a nonblocking pyreactor_call); Deno queues it
// to this worker's thread and keeps the library's thread waiting until it
// returns. It posts the call (its pointers) in the shared cells and sleeps
// in Atomics.wait until the main thread, which runs the host function
// (async ones too) and replies with pyreactor_reply_ok/_error, says DONE.
// The main thread cannot do the waiting itself: it would have to block its
// own event loop, which the async function needs.
//
// Cells (Int32 0 and BigUint64 1..4 of the shared buffer): STATE, then the
// call context, the name, the args and their length as the library gave
// them, valid until this callback returns.

/// <reference lib="deno.worker" />

import { HOST_FN } from './ffi.ts';
import { IDLE, POSTED, DONE, CLOSE, type WaiterInit } from './waiter-cells.ts';

self.onmessage = (event: MessageEvent<WaiterInit>) => {
  const state = new Int32Array(event.data.buffer, 0, 1);
  const slots = new BigUint64Array(event.data.buffer, 8, 4);
  const value = (p: Deno.PointerValue) => BigInt(Deno.UnsafePointer.value(p));
  const callback = Deno.UnsafeCallback.threadSafe(HOST_FN, (call, name, args, len) => {
    slots[0] = value(call);
    slots[1] = value(name);
    slots[2] = value(args);
    slots[3] = BigInt(len);
    Atomics.store(state, 0, POSTED);
    Atomics.notify(state, 0);
    for (;;) {
      const now = Atomics.load(state, 0);
      if (now === DONE || now === CLOSE) break;
      Atomics.wait(state, 0, now);
    }
    Atomics.compareExchange(state, 0, DONE, IDLE);
    return 0; // the main thread replied (or, at CLOSE, nobody will: HostError)
  });
  self.onmessage = () => {
    callback.close();
    self.close();
  };
  self.postMessage(Deno.UnsafePointer.value(callback.pointer));
};
