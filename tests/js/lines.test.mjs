// readLines (hosts/js/lines.mjs): the line splitter of the batch CLI and of
// ProcessReactor. Under Deno, node:readline also split at U+2028/U+2029.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Readable } from 'node:stream';
import { readLines } from '../../hosts/js/lines.mjs';

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
