// The granted tree the sandbox probes run against (see README.md), and the
// host-side checks made after a run: nothing outside the grants and nothing
// in the read-only grant may have changed, no link leading out may have
// been planted, and no file may have appeared in the host's / or /tmp.
//
//   ROOT/outside/secret.txt          next to the grants, never granted
//   ROOT/rw/                         granted read-write as /rw
//   ROOT/ro/                         granted read-only as /ro

import { spawnSync } from 'node:child_process';
import {
  closeSync, existsSync, lstatSync, mkdirSync, mkdtempSync, openSync, readdirSync, readFileSync, readlinkSync,
  renameSync, rmSync, symlinkSync, writeFileSync, constants,
} from 'node:fs';
import { dirname, join, normalize } from 'node:path';
import { tmpdir } from 'node:os';

const FILES = {
  'outside/secret.txt': 'TOP SECRET',
  'rw/inner.txt': 'inner',
  'rw/swap.txt': 'swap me',
  'rw/swapdir/x.txt': 'x',
  'ro/file.txt': 'read me',
  'ro/subdir/deep.txt': 'deep',
};
const DIRS = ['outside', 'rw', 'rw/sub', 'rw/swapdir', 'ro', 'ro/subdir'];
// [link, target]: what the host's user put into the granted tree.
const LINKS = [
  ['rw/link_out', '../outside/secret.txt'], // relative, leads out
  ['rw/abs_link', '/etc/passwd'], // absolute
  ['rw/dir_link', '../outside'], // a directory outside
  ['rw/ok_link', 'inner.txt'], // stays inside
  ['rw/etc', '/etc'], // issue 12, case 3
  ['rw/chain_out', 'chain_mid'], // a link to a link that leads out
  ['rw/chain_mid', '../outside/secret.txt'],
  ['rw/chain_ok', 'chain_ok_mid'], // a link to a link that stays inside
  ['rw/chain_ok_mid', 'inner.txt'],
  ['rw/chain_dir', 'dir_link'], // a link to a directory link that leads out
  ['rw/sub/up_ok', '../inner.txt'], // climbs, but stays inside
  ['rw/sub/up_out', '../../outside/secret.txt'],
  ['ro/subdir/out_link', '../../outside/secret.txt'], // in the read-only grant
];
const FIFOS = ['rw/fifo'];

/** Files a guest that escaped would leave in the host's own directories. */
export const ESCAPE_MARKS = ['/tmp/pyreactor-escaped', '/pyreactor-escaped', '/tmp/pyreactor-escaped-dir', '/tmp/pwned'];

/** Makes a fresh fixture in a new temp dir; returns its root. */
export function makeFixture() {
  const root = mkdtempSync(join(tmpdir(), 'pyreactor-sandbox-'));
  for (const dir of DIRS) mkdirSync(join(root, dir));
  for (const [path, text] of Object.entries(FILES)) writeFileSync(join(root, path), text);
  for (const [path, target] of LINKS) symlinkSync(target, join(root, path));
  for (const path of FIFOS) {
    const made = spawnSync('mkfifo', [join(root, path)], { encoding: 'utf8' });
    if (made.status !== 0) throw new Error(`mkfifo ${path}: ${made.stderr || made.error?.message}`);
  }
  return root;
}

export function removeFixture(root) {
  rmSync(root, { recursive: true, force: true });
}

/**
 * The step hook of the swap_link probe: replaces rw/swap.txt by a link to
 * the secret and rw/swapdir by a link to the directory outside, as the
 * host's user (or another process) might do between two calls.
 */
export function swapInLinks(root) {
  rmSync(join(root, 'rw/swap.txt'));
  symlinkSync('../outside/secret.txt', join(root, 'rw/swap.txt'));
  renameSync(join(root, 'rw/swapdir'), join(root, 'rw/swapdir.old'));
  symlinkSync('../outside', join(root, 'rw/swapdir'));
}

/**
 * Unblocks a guest stuck opening one of the fixture's FIFOs (a host that
 * opens them blocking): opening the other end without blocking lets a
 * blocked open() return, so the probe can say what happened instead of the
 * host hanging until it is killed.
 */
export function unblockFifos(root) {
  for (const path of FIFOS) {
    for (const flags of [constants.O_RDONLY | constants.O_NONBLOCK, constants.O_WRONLY | constants.O_NONBLOCK]) {
      try {
        closeSync(openSync(join(root, path), flags));
      } catch {
        // ENXIO: no reader yet; ENOENT: the guest removed it
      }
    }
  }
}

/** Every entry under root, not following links: path -> description. */
export function snapshot(root) {
  const entries = new Map();
  const walk = (rel) => {
    for (const name of readdirSync(join(root, rel)).sort()) {
      const path = rel ? `${rel}/${name}` : name;
      const full = join(root, path);
      const st = lstatSync(full);
      let what;
      if (st.isSymbolicLink()) what = `link -> ${readlinkSync(full)}`;
      else if (st.isDirectory()) what = 'dir';
      else if (st.isFIFO()) what = 'fifo';
      else if (st.isFile()) what = `file ${JSON.stringify(readFileSync(full, 'latin1'))}`;
      else what = 'other';
      entries.set(path, { what, mode: st.mode, mtimeMs: st.mtimeMs, ino: st.ino, nlink: st.nlink });
      if (st.isDirectory()) walk(path);
    }
  };
  walk('');
  return entries;
}

const describe = (e) => `${e.what} (mode ${e.mode.toString(8)}, mtime ${e.mtimeMs}, links ${e.nlink})`;

/**
 * What changed that must not have: returns a list of problems (empty when
 * the sandbox held). rw/ is the guest's to change, except for links out.
 */
export function checkHostSide(root, before) {
  const problems = [];
  const after = snapshot(root);
  const frozen = (path) => path === 'outside' || path === 'ro' || path.startsWith('outside/') || path.startsWith('ro/');
  for (const [path, was] of before) {
    if (!frozen(path)) continue;
    const now = after.get(path);
    if (!now) problems.push(`${path} disappeared (was ${was.what})`);
    else if (describe(now) !== describe(was)) problems.push(`${path} changed: ${describe(was)} -> ${describe(now)}`);
  }
  for (const [path, now] of after) {
    if (!before.has(path) && (frozen(path) || !path.includes('/'))) {
      if (path !== 'rw') problems.push(`${path} appeared (${now.what})`);
    }
  }
  // rw/ is the guest's to change, but no link it made may lead out of it.
  for (const [path, now] of after) {
    if (!path.startsWith('rw/') || !now.what.startsWith('link -> ')) continue;
    const target = now.what.slice('link -> '.length);
    if (before.get(path)?.what === now.what) continue; // the fixture's own
    if (path === 'rw/swap.txt' || path === 'rw/swapdir') continue; // the swap hook's
    const lands = target.startsWith('/') ? target : normalize(join(dirname(path), target));
    if (target.startsWith('/') || lands === '..' || lands.startsWith('../') || !lands.startsWith('rw')) {
      problems.push(`the guest planted ${path} -> ${target}, which leads out of the grant`);
    }
  }
  // Hard links made from the read-only grant into rw/ show as a link count.
  for (const [path, now] of after) {
    if (path.startsWith('rw/') && now.what.startsWith('file ') && !before.has(path)) {
      for (const [other, was] of before) {
        if (frozen(other) && was.ino === now.ino) problems.push(`${path} is a hard link to ${other}`);
      }
    }
  }
  return problems;
}

/** The escape marks present now (call before a run, to ignore old ones). */
export function escapeMarks() {
  return ESCAPE_MARKS.filter((p) => existsSync(p));
}
