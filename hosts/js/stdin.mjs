// A Reactor's `stdin` option given as a function, answered on the calling
// thread whenever the guest reads (an INPUT frame of channel.mjs).

const NO_INPUT = new Uint8Array(0);
const encoder = new TextEncoder();

export class StdinFeed {
  #source; // (maxBytes) => string | Uint8Array | null
  #rest = NO_INPUT; // what the function gave beyond what the guest read

  constructor(source) {
    this.#source = source;
  }

  /**
   * Writes up to `max` bytes of input into `data` and returns how many (0:
   * end of file). What a chunk holds beyond `max` is kept for the next read;
   * the function is asked again each time that is used up, also after an
   * end of file.
   */
  answer(data, max) {
    if (max <= 0) return 0; // a read of nothing: no chunk asked for
    if (this.#rest.length === 0) this.#rest = this.#next(max);
    const n = Math.min(max, this.#rest.length);
    data.set(this.#rest.subarray(0, n));
    this.#rest = this.#rest.subarray(n);
    return n;
  }

  #next(max) {
    try {
      const source = this.#source;
      const chunk = source(max); // called with no `this`
      if (chunk === null || chunk === undefined) return NO_INPUT;
      if (typeof chunk === 'string') return encoder.encode(chunk);
      if (chunk instanceof Uint8Array) return new Uint8Array(chunk); // a copy: the caller may reuse its buffer
      throw new TypeError(`stdin: the function returned ${typeof chunk}, not a string, Uint8Array or null`);
    } catch (error) {
      // As for an output callback: reported, and the guest reads end of file.
      queueMicrotask(() => {
        throw error;
      });
      return NO_INPUT;
    }
  }
}
