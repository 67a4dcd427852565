// Checks that every relative link of the user-facing Markdown resolves
// inside the repository: README.md, docs/*.md and hosts/*/README.md (or
// the files given as arguments, relative to the repository root).
//
//   node tests/docs/links.mjs [FILE.md ...]
//
// A link is `[text](target)`, `![alt](target)`, a reference definition
// `[label]: target`, or an HTML `href="..."` / `src="..."`, outside code
// (fenced blocks and `inline code`). Web links (a scheme such as https:)
// are not fetched. Every other link must name a file or directory that
// exists, inside the repository (a clone from anywhere has nothing beside
// it), and its `#anchor`, if any, must be a heading of that Markdown file
// (GitHub's slugs: lower case, punctuation dropped, spaces to hyphens,
// -1, -2 for repeats) or an explicit `<a id="...">` / `<a name="...">`.
// One line per broken link, then "links: N passed, N failed".

import { existsSync, readFileSync, readdirSync, realpathSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = realpathSync(resolve(dirname(fileURLToPath(import.meta.url)), '../..'));

function defaultFiles() {
  const files = ['README.md'];
  for (const name of readdirSync(join(ROOT, 'docs')).sort()) if (name.endsWith('.md')) files.push(`docs/${name}`);
  for (const host of readdirSync(join(ROOT, 'hosts')).sort()) {
    if (existsSync(join(ROOT, 'hosts', host, 'README.md'))) files.push(`hosts/${host}/README.md`);
  }
  return files;
}

/** The text with fenced code blocks blanked, and inline code too unless
 *  `keepInline` (lines kept). */
function withoutCode(text, keepInline = false) {
  const lines = text.split('\n');
  let fence = null;
  return lines.map((line) => {
    const open = /^\s{0,3}(`{3,}|~{3,})/.exec(line);
    if (fence) {
      if (open && open[1][0] === fence[0] && open[1].length >= fence.length && line.trim() === open[1].trim().replace(/[^`~]/g, '')) fence = null;
      return '';
    }
    if (open) { fence = open[1]; return ''; }
    if (keepInline) return line;
    return line.replace(/(`+)(?:(?!\1)[\s\S])*?\1/g, (m) => ' '.repeat(m.length));
  }).join('\n');
}

/** GitHub's anchor for a heading's text. */
function slug(heading) {
  const text = heading
    .replace(/!?\[([^\]]*)\]\([^)]*\)/g, '$1') // links and images: their text
    .replace(/<[^>]+>/g, '') // HTML tags
    .replace(/`/g, '')
    .replace(/\*\*|__|\*/g, '')
    .trim()
    .toLowerCase();
  return text.replace(/[^\p{L}\p{N}\p{M}\p{Pc}\- ]/gu, '').replace(/ /g, '-');
}

const anchorCache = new Map();
function anchorsOf(file) {
  if (anchorCache.has(file)) return anchorCache.get(file);
  const text = readFileSync(file, 'utf8');
  const anchors = new Set();
  const seen = new Map();
  for (const line of withoutCode(text, true).split('\n')) {
    const h = /^\s{0,3}#{1,6}\s+(.*?)\s*#*\s*$/.exec(line);
    if (!h) continue;
    const base = slug(h[1]);
    const n = seen.get(base) ?? 0;
    seen.set(base, n + 1);
    anchors.add(n === 0 ? base : `${base}-${n}`);
  }
  // Setext headings (a line of === or --- under text) are not used here.
  for (const m of text.matchAll(/<a\s+(?:[^>]*\s)?(?:id|name)="([^"]+)"/g)) anchors.add(m[1]);
  anchorCache.set(file, anchors);
  return anchors;
}

function linksOf(text) {
  const plain = withoutCode(text);
  const found = [];
  const lineOf = (index) => plain.slice(0, index).split('\n').length;
  // [text](target) and ![alt](target); the text may hold brackets one deep.
  for (const m of plain.matchAll(/!?\[(?:[^\[\]]|\[[^\[\]]*\])*\]\(\s*<?([^)\s>]+)>?(?:\s+"[^"]*")?\s*\)/g)) {
    found.push({ target: m[1], line: lineOf(m.index) });
  }
  for (const m of plain.matchAll(/^\s{0,3}\[[^\]]+\]:\s*<?(\S+?)>?(?:\s|$)/gm)) found.push({ target: m[1], line: lineOf(m.index) });
  for (const m of plain.matchAll(/\b(?:href|src)="([^"]+)"/g)) found.push({ target: m[1], line: lineOf(m.index) });
  return found;
}

function check(file, { target, line }) {
  if (/^[a-z][a-z0-9+.-]*:/i.test(target)) return null; // https:, mailto:, ...
  const hash = target.indexOf('#');
  const pathPart = decodeURIComponent(hash === -1 ? target : target.slice(0, hash));
  const anchor = hash === -1 ? null : decodeURIComponent(target.slice(hash + 1));
  const where = `${relative(ROOT, file)}:${line}: ${target}`;
  const dest = pathPart === '' ? file : resolve(dirname(file), pathPart);
  const rel = relative(ROOT, dest);
  if (rel === '..' || rel.startsWith(`..${sep}`) || resolve(ROOT, rel) !== dest) {
    return `${where}: points outside the repository (${rel})`;
  }
  if (!existsSync(dest)) return `${where}: no such file or directory (${rel})`;
  if (anchor !== null && anchor !== '') {
    if (statSync(dest).isDirectory() || !dest.endsWith('.md')) {
      if (/^L\d+(-L\d+)?$/.test(anchor)) return null; // a line of a source file
      return `${where}: an anchor into a file that is not Markdown`;
    }
    if (!anchorsOf(dest).has(anchor)) return `${where}: no heading or anchor #${anchor} in ${rel}`;
  }
  return null;
}

const files = process.argv.length > 2 ? process.argv.slice(2) : defaultFiles();
let passed = 0;
let failed = 0;
for (const name of files) {
  const file = resolve(ROOT, name);
  if (!existsSync(file)) {
    console.log(`${name}: no such file`);
    failed++;
    continue;
  }
  for (const link of linksOf(readFileSync(file, 'utf8'))) {
    const problem = check(file, link);
    if (problem === null) passed++;
    else { failed++; console.log(problem); }
  }
}
console.log(`links: ${passed} passed, ${failed} failed`);
process.exitCode = failed === 0 ? 0 : 1;
