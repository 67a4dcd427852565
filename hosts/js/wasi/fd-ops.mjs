// WASI operations on open file descriptors. Host fds exist only for files
// that path_open opened beneath a grant, so nothing here reaches what the
// guest was not given; the checks are about the fd's kind, the grant's
// read-only flag and guest pointers. Each function takes the layer's
// context first, returns nothing (success) or throws a WasiError.

import {
  fdatasyncSync, fstatSync, fsyncSync, ftruncateSync, futimesSync, lstatSync,
  readSync, readdirSync, utimesSync, writeSync,
} from 'node:fs';
import { E, FDFLAG, FILETYPE, FSTFLAG, RIGHTS_ALL, WasiError, filetypeOf } from './constants.mjs';
import { checkDirectory, hostPathOf } from './confined-path.mjs';

const encoder = new TextEncoder();
const FILESTAT_SIZE = 64;
const DIRENT_SIZE = 24;

/** The fd if it is a host file or directory. */
function hostEntry(ctx, fd) {
  const entry = ctx.fds.get(fd);
  if (entry.kind === 'file' || entry.kind === 'dir') return entry;
  throw new WasiError(entry.kind === 'stdin' ? E.SPIPE : E.INVAL);
}

/** The fd if it is an open file (not a directory). */
function fileEntryOf(ctx, fd) {
  const entry = hostEntry(ctx, fd);
  if (entry.kind !== 'file') throw new WasiError(E.ISDIR);
  return entry;
}

/** A host file or directory that may be changed: read-only grants refuse. */
function writableEntry(ctx, fd, fileOnly) {
  const entry = fileOnly ? fileEntryOf(ctx, fd) : hostEntry(ctx, fd);
  if (entry.readOnly) throw new WasiError(E.ROFS);
  return entry;
}

/** A u64 offset from the guest as a safe integer, or EINVAL. */
function offsetOf(value) {
  const n = BigInt.asUintN(64, BigInt(value));
  if (n > BigInt(Number.MAX_SAFE_INTEGER)) throw new WasiError(E.INVAL);
  return Number(n);
}

// ------------------------------------------------------------ read, write

function readAt(hostFd, buffers, position) {
  let total = 0;
  for (const buffer of buffers) {
    if (buffer.length === 0) continue;
    const n = readSync(hostFd, buffer, 0, buffer.length, position + total);
    total += n;
    if (n < buffer.length) break;
  }
  return total;
}

function writeAt(hostFd, buffers, position) {
  let total = 0;
  for (const buffer of buffers) {
    let done = 0;
    while (done < buffer.length) done += writeSync(hostFd, buffer, done, buffer.length - done, position + total + done);
    total += done;
  }
  return total;
}

/** One copy of the bytes of all iovecs: the sink keeps them past this call. */
function gather(buffers) {
  if (buffers.length === 1) return buffers[0].slice();
  let total = 0;
  for (const b of buffers) total += b.length;
  const out = new Uint8Array(total);
  let offset = 0;
  for (const b of buffers) {
    out.set(b, offset);
    offset += b.length;
  }
  return out;
}

export function fd_read(ctx, fd, iovs, iovsLen, nreadPtr) {
  const entry = ctx.fds.get(fd);
  ctx.mem.check(nreadPtr, 4);
  if (entry.kind === 'stdout' || entry.kind === 'stderr') throw new WasiError(E.BADF);
  if (entry.kind === 'dir') throw new WasiError(E.ISDIR);
  const buffers = ctx.mem.iovecs(iovs, iovsLen);
  let n;
  if (entry.kind === 'stdin') {
    n = ctx.stdin.read(buffers);
  } else {
    n = readAt(entry.hostFd, buffers, entry.position);
    entry.position += n;
  }
  ctx.mem.setU32(nreadPtr, n);
}

export function fd_write(ctx, fd, iovs, iovsLen, nwrittenPtr) {
  const entry = ctx.fds.get(fd);
  ctx.mem.check(nwrittenPtr, 4);
  if (entry.kind === 'stdin') throw new WasiError(E.BADF);
  if (entry.readOnly) throw new WasiError(E.ROFS);
  if (entry.kind === 'dir') throw new WasiError(E.ISDIR);
  const buffers = ctx.mem.iovecs(iovs, iovsLen);
  let n;
  if (entry.kind === 'file') {
    // O_APPEND is ours to keep (node:fs cannot change a host fd's flags).
    if (entry.fdflags & FDFLAG.APPEND) entry.position = fstatSync(entry.hostFd).size;
    n = writeAt(entry.hostFd, buffers, entry.position);
    entry.position += n;
  } else {
    const bytes = gather(buffers);
    n = bytes.length;
    if (n > 0) ctx.sinks[entry.kind === 'stderr' ? 2 : 1](bytes);
  }
  ctx.mem.setU32(nwrittenPtr, n);
}

export function fd_pread(ctx, fd, iovs, iovsLen, offset, nreadPtr) {
  const entry = fileEntryOf(ctx, fd);
  const position = offsetOf(offset);
  ctx.mem.check(nreadPtr, 4);
  ctx.mem.setU32(nreadPtr, readAt(entry.hostFd, ctx.mem.iovecs(iovs, iovsLen), position));
}

export function fd_pwrite(ctx, fd, iovs, iovsLen, offset, nwrittenPtr) {
  const entry = writableEntry(ctx, fd, true);
  const position = offsetOf(offset);
  ctx.mem.check(nwrittenPtr, 4);
  ctx.mem.setU32(nwrittenPtr, writeAt(entry.hostFd, ctx.mem.iovecs(iovs, iovsLen), position));
}

// ------------------------------------------------------------ positioning

export function fd_seek(ctx, fd, offset, whence, newOffsetPtr) {
  const entry = ctx.fds.get(fd);
  if (entry.kind !== 'file') throw new WasiError(entry.kind === 'dir' ? E.ISDIR : E.SPIPE);
  if (whence > 2) throw new WasiError(E.INVAL);
  ctx.mem.check(newOffsetPtr, 8);
  const delta = Number(BigInt.asIntN(64, BigInt(offset)));
  const base = whence === 0 ? 0 : whence === 1 ? entry.position : fstatSync(entry.hostFd).size;
  const position = base + delta;
  if (!(position >= 0) || position > Number.MAX_SAFE_INTEGER) throw new WasiError(E.INVAL);
  entry.position = position;
  ctx.mem.setU64(newOffsetPtr, position);
}

export function fd_tell(ctx, fd, offsetPtr) {
  fd_seek(ctx, fd, 0n, 1, offsetPtr);
}

// --------------------------------------------------------------- metadata

export function fd_fdstat_get(ctx, fd, statPtr) {
  const entry = ctx.fds.get(fd);
  const view = new DataView(ctx.mem.zeroed(statPtr, 24).buffer, statPtr >>> 0, 24);
  view.setUint8(0, entry.filetype);
  view.setUint16(2, entry.fdflags, true);
  view.setBigUint64(8, entry.rights, true);
  view.setBigUint64(16, entry.kind === 'dir' ? RIGHTS_ALL : 0n, true);
}

export function fd_fdstat_set_flags(ctx, fd, flags) {
  const entry = ctx.fds.get(fd);
  const changeable = FDFLAG.APPEND | FDFLAG.NONBLOCK;
  if (flags & ~changeable) throw new WasiError(E.NOTSUP); // the sync flags are fixed at open
  if (entry.kind !== 'file') {
    if (flags !== entry.fdflags) throw new WasiError(E.NOTSUP);
    return;
  }
  // Regular files ignore O_NONBLOCK, and append is ours (fd_write): only the record changes.
  entry.fdflags = (entry.fdflags & ~changeable) | flags;
}

/** Writes a WASI filestat (64 bytes) from a BigIntStats. */
export function putFilestat(ctx, ptr, stat) {
  const view = new DataView(ctx.mem.zeroed(ptr, FILESTAT_SIZE).buffer, ptr >>> 0, FILESTAT_SIZE);
  view.setBigUint64(0, BigInt.asUintN(64, stat.dev), true);
  view.setBigUint64(8, BigInt.asUintN(64, stat.ino), true);
  view.setUint8(16, filetypeOf(stat));
  view.setBigUint64(24, stat.nlink, true);
  view.setBigUint64(32, stat.size, true);
  view.setBigUint64(40, BigInt.asUintN(64, stat.atimeNs), true);
  view.setBigUint64(48, BigInt.asUintN(64, stat.mtimeNs), true);
  view.setBigUint64(56, BigInt.asUintN(64, stat.ctimeNs), true);
}

/** The current lstat of a directory entry's host path, checked to still be ours. */
export function dirStat(entry) {
  checkDirectory(entry.grant, entry.rel);
  return lstatSync(hostPathOf(entry.grant, entry.rel), { bigint: true });
}

export function fd_filestat_get(ctx, fd, statPtr) {
  const entry = ctx.fds.get(fd);
  ctx.mem.check(statPtr, FILESTAT_SIZE);
  if (entry.kind === 'file') {
    putFilestat(ctx, statPtr, fstatSync(entry.hostFd, { bigint: true }));
  } else if (entry.kind === 'dir') {
    putFilestat(ctx, statPtr, dirStat(entry));
  } else {
    ctx.mem.zeroed(statPtr, FILESTAT_SIZE);
    ctx.mem.bytes[(statPtr >>> 0) + 16] = entry.filetype;
  }
}

export function fd_filestat_set_size(ctx, fd, size) {
  const entry = writableEntry(ctx, fd, true);
  ftruncateSync(entry.hostFd, offsetOf(size));
}

/**
 * The (atime, mtime) pair, in seconds, that utimes should set for WASI's
 * values and flags: node:fs has no UTIME_OMIT or UTIME_NOW, so "leave it"
 * is the current value and "now" the host's clock.
 */
export function timesFor(current, atim, mtim, fst) {
  const pick = (value, set, now, was) => {
    if ((fst & set) && (fst & now)) throw new WasiError(E.INVAL);
    if (fst & now) return Date.now() / 1000;
    if (fst & set) return Number(BigInt.asUintN(64, BigInt(value))) / 1e9;
    return Number(was) / 1e9;
  };
  return [
    pick(atim, FSTFLAG.ATIM, FSTFLAG.ATIM_NOW, current.atimeNs),
    pick(mtim, FSTFLAG.MTIM, FSTFLAG.MTIM_NOW, current.mtimeNs),
  ];
}

export function fd_filestat_set_times(ctx, fd, atim, mtim, fst) {
  const entry = writableEntry(ctx, fd, false);
  if (entry.kind === 'file') {
    const [a, m] = timesFor(fstatSync(entry.hostFd, { bigint: true }), atim, mtim, fst);
    futimesSync(entry.hostFd, a, m);
  } else {
    const [a, m] = timesFor(dirStat(entry), atim, mtim, fst);
    utimesSync(hostPathOf(entry.grant, entry.rel), a, m);
  }
}

// ----------------------------------------------------- hints and syncing

export function fd_advise(ctx, fd, offset, len, advice) {
  hostEntry(ctx, fd);
  if (advice > 5) throw new WasiError(E.INVAL);
  offsetOf(offset);
  offsetOf(len);
  // Advice only: nothing to do without posix_fadvise.
}

export function fd_allocate(ctx, fd, offset, len) {
  const entry = writableEntry(ctx, fd, true);
  const end = offsetOf(offset) + offsetOf(len);
  if (end > Number.MAX_SAFE_INTEGER) throw new WasiError(E.FBIG);
  if (fstatSync(entry.hostFd).size < end) ftruncateSync(entry.hostFd, end);
}

export function fd_datasync(ctx, fd) {
  const entry = hostEntry(ctx, fd);
  if (entry.kind === 'file') fdatasyncSync(entry.hostFd);
}

export function fd_sync(ctx, fd) {
  const entry = hostEntry(ctx, fd);
  if (entry.kind === 'file') fsyncSync(entry.hostFd);
}

export function fd_close(ctx, fd) {
  ctx.fds.close(fd);
}

export function fd_renumber(ctx, from, to) {
  ctx.fds.renumber(from, to);
}

// --------------------------------------------------------------- preopens

export function fd_prestat_get(ctx, fd, prestatPtr) {
  const entry = ctx.fds.get(fd);
  if (entry.prestat === null || entry.prestat === undefined) throw new WasiError(E.BADF); // wasi-libc's scan stops here
  const view = new DataView(ctx.mem.zeroed(prestatPtr, 8).buffer, prestatPtr >>> 0, 8);
  view.setUint32(4, entry.prestat.length, true);
}

export function fd_prestat_dir_name(ctx, fd, pathPtr, pathLen) {
  const entry = ctx.fds.get(fd);
  if (entry.prestat === null || entry.prestat === undefined) throw new WasiError(E.BADF);
  if (pathLen >>> 0 < entry.prestat.length) throw new WasiError(E.NAMETOOLONG);
  ctx.mem.slice(pathPtr, entry.prestat.length).set(entry.prestat);
}

// ---------------------------------------------------------------- readdir

/** The directory's entries as WASI sees them: ".", "..", then the rest. */
function listing(entry) {
  const host = hostPathOf(entry.grant, entry.rel);
  const self = dirStat(entry);
  const items = [{ name: '.', ino: self.ino, type: FILETYPE.DIRECTORY },
    // ".." of a grant's root is outside it: not looked at.
    { name: '..', ino: 0n, type: FILETYPE.DIRECTORY }];
  for (const name of readdirSync(host)) {
    let ino = 0n;
    let type = FILETYPE.UNKNOWN;
    try {
      const stat = lstatSync(`${host}/${name}`, { bigint: true });
      ino = stat.ino;
      type = filetypeOf(stat);
    } catch {
      // gone meanwhile: listed as unknown, as a racing readdir would
    }
    items.push({ name, ino, type });
  }
  return items.map((item) => ({ ...item, name: encoder.encode(item.name) }));
}

/**
 * Entries from `cookie` on, as WASI dirents (24-byte header + name), the
 * cookie of an entry being its index + 1. The last entry may be cut short:
 * the guest then asks again from the cookie of the last whole one. The
 * listing is taken at cookie 0 and kept until the next rewind.
 */
export function fd_readdir(ctx, fd, bufPtr, bufLen, cookie, bufUsedPtr) {
  const entry = ctx.fds.get(fd);
  if (entry.kind !== 'dir') throw new WasiError(E.NOTDIR);
  const out = ctx.mem.slice(bufPtr, bufLen);
  ctx.mem.check(bufUsedPtr, 4);
  const start = Number(BigInt.asUintN(64, BigInt(cookie)));
  if (start === 0 || entry.listing === null) entry.listing = listing(entry);
  const header = new Uint8Array(DIRENT_SIZE);
  const headerView = new DataView(header.buffer);
  let used = 0;
  for (let i = start; i < entry.listing.length && used < out.length; i++) {
    const { name, ino, type } = entry.listing[i];
    header.fill(0);
    headerView.setBigUint64(0, BigInt(i + 1), true);
    headerView.setBigUint64(8, BigInt.asUintN(64, ino), true);
    headerView.setUint32(16, name.length, true);
    headerView.setUint8(20, type);
    for (const part of [header, name]) {
      const n = Math.min(part.length, out.length - used);
      out.set(part.subarray(0, n), used);
      used += n;
    }
  }
  ctx.mem.setU32(bufUsedPtr, used);
}

