// The guest's file descriptors: the instance's whole world, no fd means no
// access. fd 0-2 are the instance's own (stdin from what the host's user
// gave, stdout and stderr to sinks), never the process's: closing or
// renumbering them changes this table and nothing else. fd 3.. are the
// grants, in order, as wasi-libc expects when it scans for preopens at
// start-up; later fds come from path_open beneath a grant.

import { closeSync } from 'node:fs';
import { E, FILETYPE, RIGHT, RIGHTS_ALL, WasiError } from './constants.mjs';

const MAX_FDS = 1024;
const STDIO_RIGHTS = RIGHT.FD_FDSTAT_SET_FLAGS | RIGHT.FD_FILESTAT_GET | RIGHT.POLL_FD_READWRITE;

/** A standard stream: not a tty (wasi-libc's isatty wants a character device), not seekable. */
export function stdioEntry(kind) {
  const own = kind === 'stdin' ? RIGHT.FD_READ : RIGHT.FD_WRITE;
  return { kind, filetype: FILETYPE.UNKNOWN, fdflags: 0, rights: own | STDIO_RIGHTS, readOnly: false };
}

/** A directory beneath `grant` (rel: its components below the root). */
export function dirEntry(grant, rel, prestat = null) {
  return {
    kind: 'dir', grant, rel, prestat, listing: null,
    filetype: FILETYPE.DIRECTORY, fdflags: 0, rights: RIGHTS_ALL, readOnly: grant.readOnly,
  };
}

/** An open regular file: the host fd, and a position of our own (node:fs has no lseek). */
export function fileEntry(grant, hostFd, rights, fdflags) {
  return {
    kind: 'file', grant, hostFd, position: 0, filetype: FILETYPE.REGULAR_FILE,
    fdflags, rights, readOnly: grant.readOnly,
  };
}

export class FdTable {
  #entries = [];

  constructor(initial) {
    this.#entries = [...initial];
  }

  get(fd) {
    const entry = this.#entries[fd];
    if (entry === undefined || entry === null) throw new WasiError(E.BADF);
    return entry;
  }

  has(fd) {
    const entry = this.#entries[fd];
    return entry !== undefined && entry !== null;
  }

  /** The lowest free fd, as POSIX and the native host give it. */
  add(entry) {
    let fd = this.#entries.indexOf(null);
    if (fd < 0) {
      if (this.#entries.length >= MAX_FDS) throw new WasiError(E.MFILE);
      fd = this.#entries.length;
    }
    this.#entries[fd] = entry;
    return fd;
  }

  close(fd) {
    const entry = this.get(fd);
    this.#entries[fd] = null;
    release(entry);
  }

  /** fd_renumber: `to` is closed and `from` takes its number. */
  renumber(from, to) {
    const entry = this.get(from);
    const old = this.get(to);
    if (from === to) return;
    this.#entries[to] = entry;
    this.#entries[from] = null;
    release(old);
  }

  /** Closes every host fd the guest still holds (the instance is gone). */
  closeAll() {
    for (const entry of this.#entries.splice(0)) if (entry) release(entry);
  }
}

function release(entry) {
  if (entry.kind !== 'file') return;
  try {
    closeSync(entry.hostFd);
  } catch {
    // already gone; nothing the guest can do about it
  }
}
