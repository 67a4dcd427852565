// One error vocabulary (issue 14): the kinds a caller can meet are listed
// once per language, and every list must be the same set:
//   include/pyreactor.h            the PYREACTOR_TYPE_* macros
//   hosts/js/index.d.ts            the ErrorKind union
//   hosts/python/pyreactor/_errors.py   ERROR_KINDS
//   docs/guide.md                  the "Every error type" table (backquoted types)
// Prints one line per mismatch and last "error-kinds: N passed, N failed".
//
//   node tests/docs/error-kinds.mjs

import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { dirname, join } from 'node:path';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const read = (path) => readFileSync(join(root, path), 'utf8');

function header() {
  return new Set([...read('include/pyreactor.h').matchAll(/#define PYREACTOR_TYPE_\w+\s+"(\w+)"/g)].map((m) => m[1]));
}

function jsTypes() {
  const text = read('hosts/js/index.d.ts');
  const union = /export type ErrorKind =([\s\S]*?);/.exec(text);
  if (!union) return new Set();
  return new Set([...union[1].matchAll(/'(\w+)'/g)].map((m) => m[1]));
}

function python() {
  const text = read('hosts/python/pyreactor/_errors.py');
  const tuple = /ERROR_KINDS: Tuple\[str, \.\.\.\] = \(([\s\S]*?)\n\)/.exec(text);
  if (!tuple) return new Set();
  return new Set([...tuple[1].matchAll(/"(\w+)"/g)].map((m) => m[1]));
}

/** The first cell of every row of the guide's table of error types. */
function guide() {
  const text = read('docs/guide.md');
  const start = text.indexOf('**Every error type a caller can meet**');
  const table = text.slice(start).split('\n\n').find((block) => block.startsWith('| type |')) ?? '';
  const names = new Set();
  for (const row of table.split('\n').slice(2)) {
    const first = row.split('|')[1] ?? '';
    for (const m of first.matchAll(/`(\w+)`/g)) names.add(m[1]);
  }
  return names;
}

const lists = {
  'include/pyreactor.h': header(),
  'hosts/js/index.d.ts': jsTypes(),
  'hosts/python/pyreactor/_errors.py': python(),
};
const reference = lists['include/pyreactor.h'];
let passed = 0;
let failed = 0;
function check(ok, what) {
  if (ok) passed++;
  else {
    failed++;
    console.log(`FAIL ${what}`);
  }
}

check(reference.size >= 18, `the header lists ${reference.size} kinds (expected at least 18)`);
for (const [file, kinds] of Object.entries(lists)) {
  for (const k of reference) check(kinds.has(k), `${file} lacks ${k}`);
  for (const k of kinds) check(reference.has(k), `${file} has ${k}, which the header does not`);
}
// The guide's table also names Python exceptions (ZeroDivisionError, ...):
// it must hold every kind, and may hold more.
const documented = guide();
for (const k of reference) check(documented.has(k), `docs/guide.md's table of error types lacks ${k}`);

console.log(`error-kinds: ${passed} passed, ${failed} failed`);
process.exitCode = failed ? 1 : 0;
