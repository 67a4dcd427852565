// The shared cell between the main thread and the waiter (waiter.ts).

/** No async host function pending. */
export const IDLE = 0;
/** An async host function runs on the main thread; the waiter waits. */
export const PENDING = 1;
/** The main thread replied; the waiter returns to the library. */
export const DONE = 2;
/** The reactor is closing: a waiter still waiting returns without a reply. */
export const CLOSE = 3;

/** What the main thread's host-call callback returns. */
export const REPLIED = 0;

/** The message that starts a waiter: the cell's buffer (one Int32) and the
 *  address of the main thread's host-call callback. */
export interface WaiterInit {
  buffer: SharedArrayBuffer;
  main: bigint;
}
