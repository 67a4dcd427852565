// Per-call output ({ output: true } on a call): what the guest printed
// during that one call, kept apart from every other call's and from the
// reactor's sinks, and returned with the call's value as text.
//
// Bounded: at most OUTPUT_LIMIT_BYTES per stream per call are kept; past it
// the rest is dropped and the stream is marked truncated (the cut is moved
// back to the start of a UTF-8 sequence it would split). The bytes are
// decoded as UTF-8 with the WHATWG decoder: a byte sequence that is not
// UTF-8 becomes U+FFFD (one per maximal invalid subpart), a leading BOM is
// kept.

import { withOutput } from './calls.mjs';

/** The most bytes kept per stream (stdout, stderr) per call: 16 MiB. */
export const OUTPUT_LIMIT_BYTES = 16 * 1024 * 1024;

const decoder = new TextDecoder('utf-8', { ignoreBOM: true });

/** Where to cut `bytes` to keep at most `room` of them without splitting a
 *  UTF-8 sequence (continuation bytes are 10xxxxxx; a sequence has at most 3). */
function cutAt(bytes, room) {
  let end = room;
  for (let k = 0; k < 3 && end > 0 && (bytes[end] & 0xc0) === 0x80; k++) end--;
  return (bytes[end] & 0xc0) === 0x80 ? room : end;
}

export class Capture {
  #chunks = [[], []]; // stdout's, stderr's
  #sizes = [0, 0];
  #truncated = [false, false];
  #limit;

  constructor(limit = OUTPUT_LIMIT_BYTES) {
    this.#limit = limit;
  }

  /** Keeps what the guest wrote to fd 1 or 2 (`bytes` is the capture's to keep). */
  add(fd, bytes) {
    const i = fd === 2 ? 1 : 0;
    if (this.#truncated[i]) return;
    const room = this.#limit - this.#sizes[i];
    let keep = bytes.length;
    if (keep > room) {
      keep = cutAt(bytes, room);
      this.#truncated[i] = true;
    }
    if (keep === 0) return;
    this.#chunks[i].push(keep === bytes.length ? bytes : bytes.subarray(0, keep));
    this.#sizes[i] += keep;
  }

  #text(i) {
    const chunks = this.#chunks[i];
    if (chunks.length <= 1) return decoder.decode(chunks[0] ?? new Uint8Array(0));
    const all = new Uint8Array(this.#sizes[i]);
    let offset = 0;
    for (const chunk of chunks) {
      all.set(chunk, offset);
      offset += chunk.length;
    }
    return decoder.decode(all);
  }

  /** {stdout, stderr, stdoutTruncated, stderrTruncated}. */
  fields() {
    return {
      stdout: this.#text(0),
      stderr: this.#text(1),
      stdoutTruncated: this.#truncated[0],
      stderrTruncated: this.#truncated[1],
    };
  }

  /** What a call with { output: true } resolves to. */
  result(value) {
    return { value, ...this.fields() };
  }

  /** A PythonError of the call gets what was printed before it; other errors pass as they are. */
  attach(error) {
    return error instanceof Error ? withOutput(error, this.fields()) : error;
  }
}
