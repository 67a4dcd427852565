// readLines (hosts/js/lines.mjs): the line splitter of the batch CLI and of
// ProcessReactor. Under Deno, node:readline also split at U+2028/U+2029.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Readable } from 'node:stream';
import { readLines, readByteLines, withoutNewline, LongLine } from '../../hosts/js/lines.mjs';

const utf8 = (text) => new TextEncoder().encode(text);

async function lines(chunks) {
  const out = [];
  for await (const line of readLines(Readable.from(chunks))) out.push(line);
  return out;
}

test('splits at \\n only, drops a \\r before it, keeps U+2028 and U+2029', async () => {
  assert.deepEqual(await lines([utf8('{"a":"x\u2028y"}\r\n{"b":"\u2029"}\n')]),
    ['{"a":"x\u2028y"}', '{"b":"\u2029"}']);
});

test('a character or a line split across chunks comes out whole; the last line needs no \\n', async () => {
  const bytes = utf8('ab\u2029c\nde\n\nlast');
  const chunks = [...bytes].map((b) => new Uint8Array([b])); // one byte at a time
  assert.deepEqual(await lines(chunks), ['ab\u2029c', 'de', '', 'last']);
});

test('nothing in, nothing out', async () => {
  assert.deepEqual(await lines([]), []);
});

async function byteLines(chunks, options) {
  const out = [];
  for await (const line of readByteLines(Readable.from(chunks), options)) {
    out.push(line instanceof LongLine ? line : new TextDecoder().decode(line));
  }
  return out;
}

test('readByteLines gives raw bytes with their "\\n", as getline does; bytes that are not UTF-8 stay', async () => {
  const bytes = new Uint8Array([...utf8('{"a":1}\r\n'), 0x22, 0xff, 0xfe, 0x22, 0x0a, ...utf8('end')]);
  const out = [];
  for await (const line of readByteLines(Readable.from([bytes.subarray(0, 5), bytes.subarray(5)]))) out.push([...line]);
  assert.deepEqual(out, [[...utf8('{"a":1}\r\n')], [0x22, 0xff, 0xfe, 0x22, 0x0a], [...utf8('end')]]);
  assert.deepEqual([...withoutNewline(utf8('x\r\n'))], [...utf8('x')]);
});

test('a line longer than maxBytes is a LongLine, and the lines around it come out whole', async () => {
  const long = 'y'.repeat(100);
  const chunks = [utf8('short\n'), utf8(long.slice(0, 30)), utf8(long.slice(30) + '\nafter\n'), utf8('z'.repeat(11))];
  const out = await byteLines(chunks, { maxBytes: 10 });
  assert.equal(out[0], 'short\n');
  assert.ok(out[1] instanceof LongLine);
  assert.equal(out[1].length, 101, 'its length, "\\n" included');
  assert.equal(out[2], 'after\n');
  assert.ok(out[3] instanceof LongLine, 'the last line too, without "\\n"');
  assert.equal(out[3].length, 11);
  assert.deepEqual(await byteLines([utf8('0123456789')], { maxBytes: 10 }), ['0123456789'], 'exactly maxBytes is taken');
});

/** Milliseconds to read one line of `mib` MiB in 64 KiB chunks (the best of
 *  three runs; one run when it is slow: a regression fails in one go). */
async function readTime(mib) {
  const chunk = new Uint8Array(65536).fill(0x61);
  const count = mib * 16;
  let best = Infinity;
  for (let run = 0; run < 3 && (run === 0 || best < 2000); run++) {
    const chunks = Array.from({ length: count }, () => chunk);
    chunks.push(utf8('\n'));
    const started = performance.now();
    let length = 0;
    for await (const line of readLines(Readable.from(chunks))) length += line.length + 1;
    best = Math.min(best, performance.now() - started);
    assert.equal(length, mib * 2 ** 20 + 1);
  }
  return best;
}

test('reading a line takes time linear in its length (lines of 40 and 160 MiB)', async () => {
  // Quadratic before (string concatenation and a search of the whole rope):
  // 12/25/50/100 MiB took 0.8/2.7/9.8/36.9 s. Linear, 4x the length takes
  // about 4x the time; quadratic would take 16x. Both sizes are above
  // glibc's mmap threshold (32 MiB at most), so that both get fresh pages:
  // a smaller line can reuse freed memory, which skews the ratio.
  const small = await readTime(40);
  assert.ok(small < 10_000, `40 MiB took ${small.toFixed(0)} ms`); // linear: well under 1 s
  const large = await readTime(160);
  assert.ok(large < 8 * Math.max(small, 5), `40 MiB: ${small.toFixed(0)} ms, 160 MiB: ${large.toFixed(0)} ms`);
});
