// WASI operations on paths beneath a directory fd. Every path is resolved
// by confined-path.mjs (component by component, links read and checked,
// nothing outside the grant ever named to node:fs); then:
// - opening acts on the resolved path with O_NOFOLLOW, and checks with
//   fstat that what it opened is the regular file it looked at;
// - operations on a name (mkdir, unlink, rmdir, rename, link, symlink) act
//   on the last component in its resolved parent, and those system calls
//   never follow that component;
// - what is not a regular file or a directory (FIFOs, devices, sockets) is
//   refused at open: a FIFO would block the host's thread in open() or
//   read() for as long as nobody writes to it;
// - directories reached through a read-only grant refuse every change: EROFS.

import {
  constants, fstatSync, linkSync, lstatSync, lutimesSync, mkdirSync, openSync, readlinkSync,
  renameSync, rmdirSync, symlinkSync, unlinkSync, utimesSync, closeSync,
} from 'node:fs';
import {
  E, FDFLAG, LOOKUP_SYMLINK_FOLLOW, OFLAG, READ_RIGHTS, WRITE_FDFLAGS, WRITE_RIGHTS, WasiError,
} from './constants.mjs';
import { climbsOut, resolve, resolveParent } from './confined-path.mjs';
import { dirEntry, fileEntry } from './fd-table.mjs';
import { putFilestat, timesFor } from './fd-ops.mjs';

/** The directory fd the guest named, optionally one that may be changed. */
function dirOf(ctx, fd, forWrite) {
  const entry = ctx.fds.get(fd);
  if (entry.kind !== 'dir') throw new WasiError(E.NOTDIR);
  if (forWrite && entry.readOnly) throw new WasiError(E.ROFS);
  return entry;
}

function opensForWrite(oflags, rights, fdflags) {
  return (rights & WRITE_RIGHTS) !== 0n
    || (oflags & (OFLAG.CREAT | OFLAG.TRUNC | OFLAG.EXCL)) !== 0
    || (fdflags & WRITE_FDFLAGS) !== 0;
}

/** Host open(2) flags. O_APPEND is left out: fd_write keeps it (fd-ops.mjs). */
function hostFlags(oflags, rights, fdflags) {
  const w = (rights & WRITE_RIGHTS) !== 0n;
  const r = (rights & READ_RIGHTS) !== 0n;
  let flags = (w ? (r ? constants.O_RDWR : constants.O_WRONLY) : constants.O_RDONLY)
    | constants.O_NOFOLLOW | constants.O_NONBLOCK;
  if (oflags & OFLAG.CREAT) flags |= constants.O_CREAT;
  if (oflags & OFLAG.EXCL) flags |= constants.O_EXCL;
  if (oflags & OFLAG.TRUNC) flags |= constants.O_TRUNC;
  if (fdflags & FDFLAG.DSYNC) flags |= constants.O_DSYNC;
  if (fdflags & FDFLAG.SYNC) flags |= constants.O_SYNC;
  return flags;
}

/**
 * Opens the regular file at `host` (or creates it) and puts it in the
 * table. `seen` is the lstat the resolution made, null for a new file: the
 * file opened must be that one (a change of the tree in between is refused).
 */
function openFile(ctx, dir, host, seen, flags, rights, fdflags) {
  const hostFd = openSync(host, flags, 0o666);
  try {
    const opened = fstatSync(hostFd, { bigint: true });
    if (!opened.isFile() || (seen !== null && (opened.ino !== seen.ino || opened.dev !== seen.dev))) {
      throw new WasiError(E.NOTCAPABLE);
    }
    return ctx.fds.add(fileEntry(dir.grant, hostFd, rights, fdflags));
  } catch (error) {
    closeSync(hostFd);
    throw error;
  }
}

export function path_open(ctx, fd, dirflags, pathPtr, pathLen, oflags, rightsBase, rightsInheriting,
  fdflags, fdOutPtr) {
  const rights = BigInt.asUintN(64, BigInt(rightsBase));
  const write = opensForWrite(oflags, rights, fdflags);
  const dir = dirOf(ctx, fd, write);
  ctx.mem.check(fdOutPtr, 4);
  const path = ctx.mem.path(pathPtr, pathLen);
  const target = resolve(dir.grant, dir.rel, path, (dirflags & LOOKUP_SYMLINK_FOLLOW) !== 0);
  const { stat } = target;
  const flags = hostFlags(oflags, rights, fdflags);
  let opened;
  if (stat === null) {
    if (!(oflags & OFLAG.CREAT)) throw new WasiError(E.NOENT);
    if (target.mustBeDir || (oflags & OFLAG.DIRECTORY)) throw new WasiError(E.ISDIR);
    opened = openFile(ctx, dir, target.host, null, flags, rights, fdflags);
  } else if ((oflags & OFLAG.CREAT) && (oflags & OFLAG.EXCL)) {
    throw new WasiError(E.EXIST);
  } else if (stat.isSymbolicLink()) {
    throw new WasiError(E.LOOP); // a final link not to be followed, as O_NOFOLLOW answers
  } else if (stat.isDirectory()) {
    if (write) throw new WasiError(E.ISDIR);
    opened = ctx.fds.add(dirEntry(dir.grant, target.rel));
  } else if (oflags & OFLAG.DIRECTORY) {
    throw new WasiError(E.NOTDIR);
  } else if (!stat.isFile()) {
    throw new WasiError(E.NOTCAPABLE);
  } else {
    opened = openFile(ctx, dir, target.host, stat, flags, rights, fdflags);
  }
  ctx.mem.setU32(fdOutPtr, opened);
}

// ------------------------------------------------------ stat, times, link

/** The resolved target of a path that must exist. */
function existing(ctx, fd, forWrite, flags, pathPtr, pathLen) {
  const dir = dirOf(ctx, fd, forWrite);
  const path = ctx.mem.path(pathPtr, pathLen);
  const target = resolve(dir.grant, dir.rel, path, (flags & LOOKUP_SYMLINK_FOLLOW) !== 0);
  if (target.stat === null) throw new WasiError(E.NOENT);
  return target;
}

export function path_filestat_get(ctx, fd, flags, pathPtr, pathLen, statPtr) {
  ctx.mem.check(statPtr, 64);
  putFilestat(ctx, statPtr, existing(ctx, fd, false, flags, pathPtr, pathLen).stat);
}

export function path_filestat_set_times(ctx, fd, flags, pathPtr, pathLen, atim, mtim, fst) {
  const { host, stat } = existing(ctx, fd, true, flags, pathPtr, pathLen);
  const [a, m] = timesFor(stat, atim, mtim, fst);
  if (stat.isSymbolicLink()) lutimesSync(host, a, m);
  else utimesSync(host, a, m);
}

export function path_readlink(ctx, fd, pathPtr, pathLen, bufPtr, bufLen, bufUsedPtr) {
  const out = ctx.mem.slice(bufPtr, bufLen);
  ctx.mem.check(bufUsedPtr, 4);
  const { host, stat } = existing(ctx, fd, false, 0, pathPtr, pathLen);
  if (!stat.isSymbolicLink()) throw new WasiError(E.INVAL); // as POSIX readlink says
  const text = readlinkSync(host, { encoding: 'buffer' });
  const n = Math.min(text.length, out.length);
  out.set(text.subarray(0, n));
  ctx.mem.setU32(bufUsedPtr, n);
}

// ------------------------------------------------- names: create, remove

/** The parent-and-leaf of a path beneath a writable directory fd. */
function nameIn(ctx, fd, pathPtr, pathLen) {
  const dir = dirOf(ctx, fd, true);
  return { dir, ...resolveParent(dir.grant, dir.rel, ctx.mem.path(pathPtr, pathLen)) };
}

export function path_create_directory(ctx, fd, pathPtr, pathLen) {
  mkdirSync(nameIn(ctx, fd, pathPtr, pathLen).host);
}

export function path_remove_directory(ctx, fd, pathPtr, pathLen) {
  rmdirSync(nameIn(ctx, fd, pathPtr, pathLen).host);
}

export function path_unlink_file(ctx, fd, pathPtr, pathLen) {
  const name = nameIn(ctx, fd, pathPtr, pathLen);
  if (name.trailingSlash) throw new WasiError(E.NOTDIR); // "file/" names a directory
  unlinkSync(name.host);
}

export function path_rename(ctx, fd, oldPtr, oldLen, newFd, newPtr, newLen) {
  const from = nameIn(ctx, fd, oldPtr, oldLen);
  const to = nameIn(ctx, newFd, newPtr, newLen);
  renameSync(from.host, to.host);
}

/**
 * The link's text is the guest's; an absolute target could only mean a host
 * path, and one that climbs above the grant would lead the host's own tools
 * outside: both refused.
 */
export function path_symlink(ctx, targetPtr, targetLen, fd, pathPtr, pathLen) {
  const target = ctx.mem.path(targetPtr, targetLen);
  if (target.startsWith('/')) throw new WasiError(E.NOTCAPABLE);
  const name = nameIn(ctx, fd, pathPtr, pathLen);
  if (climbsOut(name.parentRel, target)) throw new WasiError(E.NOTCAPABLE);
  symlinkSync(target, name.host);
}

/**
 * Both sides must be writable grants: a hard link from a read-only grant
 * into a writable one would give the guest a writable name for a read-only
 * file. Following a final symlink is not served (as in the native host).
 */
export function path_link(ctx, oldFd, oldFlags, oldPtr, oldLen, newFd, newPtr, newLen) {
  const from = nameIn(ctx, oldFd, oldPtr, oldLen);
  const to = nameIn(ctx, newFd, newPtr, newLen);
  const stat = lstatSync(from.host);
  if ((oldFlags & LOOKUP_SYMLINK_FOLLOW) && stat.isSymbolicLink()) throw new WasiError(E.NOTSUP);
  linkSync(from.host, to.host);
}
