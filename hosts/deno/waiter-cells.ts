// The states of the waiter's STATE cell (waiter.ts), shared by both ends.

/** No host call in flight. */
export const IDLE = 0;
/** The waiter posted a host call; the main thread runs it. */
export const POSTED = 1;
/** The main thread replied; the waiter returns to the library. */
export const DONE = 2;
/** The reactor is closing: a waiter still waiting returns without a reply. */
export const CLOSE = 3;

/** The bytes of the shared buffer: STATE (Int32), padding, four BigUint64. */
export const WAITER_BYTES = 40;

/** The message that starts a waiter. */
export interface WaiterInit {
  buffer: SharedArrayBuffer;
}
