// JSON Lines from a byte stream, split at "\n" only. Not node:readline:
// under Deno it also splits at U+2028 and U+2029, which JSON text may hold
// unescaped (the guest's results do).
//
// Linear in the length of a line: each chunk is searched for "\n" once, the
// chunks of a line are kept as they came and joined once at its end. (Adding
// chunks to a string and searching the result was quadratic: a 100 MiB line
// took 37 s.)

const NEWLINE = 0x0a;
const CR = 0x0d;
const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** What readByteLines yields in place of a line longer than its maxBytes. */
export class LongLine {
  /** @param {number} length the line's length in bytes, "\n" included */
  constructor(length) {
    this.length = length;
  }
}

/** One Uint8Array of `parts`, copied only when there are several. */
function join(parts, total) {
  if (parts.length === 1) return parts[0];
  const line = new Uint8Array(total);
  let at = 0;
  for (const part of parts) {
    line.set(part, at);
    at += part.length;
  }
  return line;
}

/**
 * Yields each line of `stream` (a Node Readable, or any async iterable of
 * Uint8Arrays or strings) as a Uint8Array holding the raw bytes, its "\n"
 * included (the last line may lack one), as C's getline gives it. A line
 * longer than `maxBytes` ("\n" included) is not kept: its bytes are dropped
 * as they come and a LongLine is yielded in its place. Yielded arrays may be
 * views of a chunk of the stream: copy what you keep for long.
 */
export async function* readByteLines(stream, { maxBytes = Infinity } = {}) {
  let parts = []; // the current line's bytes so far, none holding a "\n"
  let total = 0; // their length, counted on past maxBytes
  for await (const data of stream) {
    const chunk = typeof data === 'string' ? encoder.encode(data) : data;
    let start = 0;
    for (let end = chunk.indexOf(NEWLINE); end >= 0; end = chunk.indexOf(NEWLINE, start)) {
      const piece = chunk.subarray(start, end + 1);
      total += piece.length;
      if (total > maxBytes) yield new LongLine(total);
      else yield join([...parts, piece], total);
      parts = [];
      total = 0;
      start = end + 1;
    }
    if (start < chunk.length) {
      total += chunk.length - start;
      if (total <= maxBytes) parts.push(chunk.subarray(start));
      else parts = []; // too long already: only its length is kept
    }
  }
  if (total > maxBytes) yield new LongLine(total);
  else if (total > 0) yield join(parts, total);
}

/** A line's bytes without its "\n" and a "\r" before it. */
export function withoutNewline(line) {
  let end = line.length;
  if (end > 0 && line[end - 1] === NEWLINE) end--;
  if (end > 0 && line[end - 1] === CR) end--;
  return line.subarray(0, end);
}

/**
 * Yields each line of `stream` as text (UTF-8, invalid bytes replaced),
 * without its "\n" and a "\r" before it. No limit on a line's length but
 * the runtime's on strings.
 */
export async function* readLines(stream) {
  for await (const line of readByteLines(stream)) yield decoder.decode(withoutNewline(line));
}
