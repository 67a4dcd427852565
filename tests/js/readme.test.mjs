// The JavaScript examples of the READMEs run as written, from a directory
// that is not the repository (the default module is found from the host's
// own files, never from the working directory). Each block is written to a
// temporary file with only its import of './hosts/js/...' pointed at this
// repository, and run with another working directory. Under Node (the
// examples make temporary directories, which Deno would need permissions for).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawn } from 'node:child_process';
import { Buffer } from 'node:buffer';
import process from 'node:process';
import { REPO, isDeno } from './helpers.mjs';

/** The first ```js block after the line `heading` of `file` (from the repository root). */
async function exampleAfter(file, heading) {
  const text = await readFile(join(REPO, file), 'utf8');
  const at = text.split('\n').indexOf(heading);
  assert.ok(at >= 0, `${file}: no heading ${heading}`);
  const rest = text.split('\n').slice(at + 1).join('\n');
  const match = rest.match(/^```js\n([\s\S]*?)^```$/m);
  assert.ok(match, `${file}: no js block after ${heading}`);
  return match[1];
}

/** Runs `code` (an example) from a directory outside the repository: {code, stdout, stderr}. */
async function runExample(code) {
  const host = new URL('../../hosts/js/', import.meta.url).href;
  assert.match(code, /from ['"]\.\/hosts\/js\//, 'the example imports the host from ./hosts/js/');
  const dir = await mkdtemp(join(tmpdir(), 'readme-example-'));
  const cwd = await mkdtemp(join(tmpdir(), 'readme-cwd-'));
  const script = join(dir, 'example.mjs');
  await writeFile(script, code.replace(/(from ['"])\.\/hosts\/js\//g, `$1${host}`));
  try {
    return await new Promise((resolve, reject) => {
      const child = spawn(process.execPath, [script], { cwd, stdio: ['ignore', 'pipe', 'pipe'] });
      const out = [];
      const err = [];
      child.stdout.on('data', (c) => out.push(c));
      child.stderr.on('data', (c) => err.push(c));
      child.on('error', reject);
      child.on('close', (status) => resolve({
        code: status,
        stdout: Buffer.concat(out).toString('utf8'),
        stderr: Buffer.concat(err).toString('utf8'),
      }));
    });
  } finally {
    await rm(dir, { recursive: true, force: true });
    await rm(cwd, { recursive: true, force: true });
  }
}

const skip = isDeno ? 'the examples run under Node here' : false;

test('hosts/js/README.md: the API example runs as written from another directory', { skip }, async () => {
  const { code, stdout, stderr } = await runExample(await exampleAfter('hosts/js/README.md', '## API'));
  assert.equal(code, 0, stderr);
  assert.equal(stdout, '');
});

test('hosts/js/README.md: the per-call output example runs as written from another directory', { skip }, async () => {
  const { code, stderr } = await runExample(await exampleAfter('hosts/js/README.md', '### Per-call output'));
  assert.equal(code, 0, stderr);
});

test('README.md: the JavaScript example runs as written from another directory', { skip }, async () => {
  const { code, stdout, stderr } = await runExample(await exampleAfter('README.md', '## Using it from JavaScript (Node ≥ 20, Deno 2)'));
  assert.equal(code, 0, stderr);
  assert.match(stdout, /^3\n11\nZeroDivisionError /);
});
