// Path resolution confined to a grant, for a host that has no openat2:
// node:fs takes host paths, and the kernel would follow any symbolic link
// in them wherever it points. So a guest path is resolved here, one
// component at a time from the grant's root, with lstat and readlink:
//
// - ".." pops a component, and refuses (ENOTCAPABLE) to climb above the root;
// - a symbolic link is read and its target spliced into the rest of the
//   path: an absolute target is refused, a relative one resolved the same
//   way, so a link that leads outside (even one the host's user put in the
//   granted tree) is refused as soon as it would leave;
// - the result is a host path made only of real directories (and a final
//   component that is not followed when the caller asked so), which is all
//   that is ever handed to node:fs.
//
// What this cannot prevent: the host's own user (or another process)
// changing the granted tree between the check and the use, e.g. replacing
// a checked directory by a link in that instant. The guest itself cannot
// race it (it is single-threaded and blocked in the import while we
// resolve). docs/wasi-layer.md says so.

import { lstatSync, readlinkSync } from 'node:fs';
import { E, WasiError } from './constants.mjs';

/** Links followed in one resolution before ELOOP, as Linux's limit. */
const MAX_LINKS = 40;

/** The components of a relative guest path ('' and '.' dropped). */
export function components(path) {
  return path.split('/').filter((c) => c !== '' && c !== '.');
}

export function hostPathOf(grant, rel) {
  return rel.length === 0 ? grant.root : `${grant.root}/${rel.join('/')}`;
}

function lstat(path) {
  return lstatSync(path, { bigint: true });
}

/**
 * Resolves `path` (relative) beneath the directory `rel` of `grant`.
 * Returns {rel, host, stat}: the components below the root, the host path,
 * and the lstat of the final component (null when it does not exist, which
 * only the final one may). A final symbolic link is followed when
 * `followFinal` (or the path ends in "/"), else returned as itself.
 */
export function resolve(grant, rel, path, followFinal) {
  if (path.startsWith('/')) throw new WasiError(E.NOTCAPABLE);
  if (path === '') throw new WasiError(E.NOENT);
  const mustBeDir = path.endsWith('/');
  checkDirectory(grant, rel);
  const stack = [...rel];
  const pending = path.split('/').reverse(); // next component last
  let links = 0;
  let stat = null;
  let found = false;
  while (pending.length > 0) {
    const name = pending.pop();
    if (name === '' || name === '.') continue;
    if (name === '..') {
      if (stack.length === 0) throw new WasiError(E.NOTCAPABLE);
      stack.pop();
      found = false;
      continue;
    }
    const last = !pending.some((c) => c !== '' && c !== '.');
    const host = hostPathOf(grant, [...stack, name]);
    try {
      stat = lstat(host);
    } catch (error) {
      if (error?.code === 'ENOENT' && last) return { rel: [...stack, name], host, stat: null, mustBeDir };
      throw error;
    }
    if (stat.isSymbolicLink() && (!last || followFinal || mustBeDir)) {
      if (++links > MAX_LINKS) throw new WasiError(E.LOOP);
      const target = readlinkSync(host);
      if (target.startsWith('/')) throw new WasiError(E.NOTCAPABLE);
      pending.push(...target.split('/').reverse());
      continue;
    }
    if (!last && !stat.isDirectory()) throw new WasiError(E.NOTDIR);
    stack.push(name);
    found = true;
  }
  const host = hostPathOf(grant, stack);
  if (!found) stat = lstat(host); // ended on "..", "." or nothing: a directory of ours
  if (mustBeDir && !stat.isDirectory()) throw new WasiError(E.NOTDIR);
  return { rel: stack, host, stat, mustBeDir };
}

/**
 * For operations on a name (mkdir, unlink, rename, symlink, link): the
 * parent directory resolved (following links), and the last component,
 * which is never followed. A last component "." or ".." is EINVAL.
 */
export function resolveParent(grant, rel, path) {
  if (path.startsWith('/')) throw new WasiError(E.NOTCAPABLE);
  const trimmed = path.replace(/\/+$/, '');
  const trailingSlash = trimmed.length !== path.length;
  if (trimmed === '') throw new WasiError(path === '' ? E.NOENT : E.INVAL);
  const slash = trimmed.lastIndexOf('/');
  const leaf = trimmed.slice(slash + 1);
  if (leaf === '.' || leaf === '..') throw new WasiError(E.INVAL);
  let parentRel = rel;
  if (slash < 0) checkDirectory(grant, rel);
  else {
    const parent = resolve(grant, rel, trimmed.slice(0, slash + 1), true);
    if (parent.stat === null) throw new WasiError(E.NOENT);
    parentRel = parent.rel;
  }
  return { rel: [...parentRel, leaf], parentRel, host: hostPathOf(grant, [...parentRel, leaf]), leaf, trailingSlash };
}

/**
 * Whether a symbolic link with text `target`, made in directory `parentRel`,
 * would lead above the grant's root. Such a link is refused when the guest
 * makes it: it could not follow it, but it would stay in the host's
 * directory for the host's own tools to follow.
 */
export function climbsOut(parentRel, target) {
  let depth = parentRel.length;
  for (const name of target.split('/')) {
    if (name === '..') {
      if (--depth < 0) return true;
    } else if (name !== '' && name !== '.') {
      depth++;
    }
  }
  return false;
}

/** Checks that the directory `rel` is still made of real directories. */
export function checkDirectory(grant, rel) {
  for (let i = 1; i <= rel.length; i++) {
    const stat = lstat(hostPathOf(grant, rel.slice(0, i)));
    if (!stat.isDirectory()) throw new WasiError(stat.isSymbolicLink() ? E.NOTCAPABLE : E.NOTDIR);
  }
}
