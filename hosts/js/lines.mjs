// JSON Lines from a byte stream, split at "\n" only (a "\r" before it is
// dropped). Not node:readline: under Deno it also splits at U+2028 and
// U+2029, which JSON text may hold unescaped (the guest's results do).

/** Yields each line of `stream` (a Node Readable), decoded as UTF-8. */
export async function* readLines(stream) {
  const decoder = new TextDecoder();
  let pending = '';
  for await (const chunk of stream) {
    const scanned = pending.length; // holds no "\n": search only what is new
    pending += typeof chunk === 'string' ? chunk : decoder.decode(chunk, { stream: true });
    let start = 0;
    for (let end = pending.indexOf('\n', scanned); end >= 0; end = pending.indexOf('\n', start)) {
      yield trimCr(pending.slice(start, end));
      start = end + 1;
    }
    pending = pending.slice(start);
  }
  pending += decoder.decode();
  if (pending !== '') yield trimCr(pending);
}

const trimCr = (line) => (line.endsWith('\r') ? line.slice(0, -1) : line);
