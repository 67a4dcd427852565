// WASI preview 1 numbers (errnos, rights, flags, file types) and the
// mapping from a host error (Node's `code` strings) to a WASI errno. The
// numbering is WASI's own, not the host's errno.h.

export const E = Object.freeze({
  SUCCESS: 0, TOOBIG: 1, ACCES: 2, AGAIN: 6, BADF: 8, BUSY: 10, DQUOT: 19, EXIST: 20,
  FAULT: 21, FBIG: 22, ILSEQ: 25, INTR: 27, INVAL: 28, IO: 29, ISDIR: 31, LOOP: 32,
  MFILE: 33, MLINK: 34, NAMETOOLONG: 37, NFILE: 41, NODEV: 43, NOENT: 44, NOMEM: 48,
  NOSPC: 51, NOSYS: 52, NOTDIR: 54, NOTEMPTY: 55, NOTSOCK: 57, NOTSUP: 58, NXIO: 60,
  OVERFLOW: 61, PERM: 63, PIPE: 64, RANGE: 68, ROFS: 69, SPIPE: 70, TIMEDOUT: 73,
  TXTBSY: 74, XDEV: 75, NOTCAPABLE: 76,
});

export const FILETYPE = Object.freeze({
  UNKNOWN: 0, BLOCK_DEVICE: 1, CHARACTER_DEVICE: 2, DIRECTORY: 3, REGULAR_FILE: 4,
  SOCKET_DGRAM: 5, SOCKET_STREAM: 6, SYMBOLIC_LINK: 7,
});

const right = (n) => 1n << BigInt(n);
export const RIGHT = Object.freeze({
  FD_DATASYNC: right(0), FD_READ: right(1), FD_SEEK: right(2), FD_FDSTAT_SET_FLAGS: right(3),
  FD_SYNC: right(4), FD_TELL: right(5), FD_WRITE: right(6), FD_ADVISE: right(7),
  FD_ALLOCATE: right(8), FD_READDIR: right(14), FD_FILESTAT_GET: right(21),
  FD_FILESTAT_SET_SIZE: right(22), FD_FILESTAT_SET_TIMES: right(23), POLL_FD_READWRITE: right(27),
});
export const RIGHTS_ALL = right(30) - 1n;
/** Rights that mean "this open may change the file". */
export const WRITE_RIGHTS = RIGHT.FD_WRITE | RIGHT.FD_ALLOCATE | RIGHT.FD_FILESTAT_SET_SIZE;
export const READ_RIGHTS = RIGHT.FD_READ | RIGHT.FD_READDIR;

export const OFLAG = Object.freeze({ CREAT: 1, DIRECTORY: 2, EXCL: 4, TRUNC: 8 });
export const FDFLAG = Object.freeze({ APPEND: 1, DSYNC: 2, NONBLOCK: 4, RSYNC: 8, SYNC: 16 });
/** fdflags that only make sense for writing. */
export const WRITE_FDFLAGS = FDFLAG.APPEND | FDFLAG.DSYNC | FDFLAG.RSYNC | FDFLAG.SYNC;
export const LOOKUP_SYMLINK_FOLLOW = 1;
export const FSTFLAG = Object.freeze({ ATIM: 1, ATIM_NOW: 2, MTIM: 4, MTIM_NOW: 8 });

export const CLOCK = Object.freeze({ REALTIME: 0, MONOTONIC: 1, PROCESS_CPUTIME: 2, THREAD_CPUTIME: 3 });
export const EVENTTYPE = Object.freeze({ CLOCK: 0, FD_READ: 1, FD_WRITE: 2 });

/** What the layer throws internally: the wrapper turns it into its errno. */
export class WasiError extends Error {
  constructor(errno) {
    super(`WASI errno ${errno}`);
    this.errno = errno;
  }
}

const BY_CODE = new Map(Object.entries({
  E2BIG: E.TOOBIG, EACCES: E.ACCES, EAGAIN: E.AGAIN, EWOULDBLOCK: E.AGAIN, EBADF: E.BADF,
  EBUSY: E.BUSY, EDQUOT: E.DQUOT, EEXIST: E.EXIST, EFAULT: E.FAULT, EFBIG: E.FBIG,
  EINTR: E.INTR, EINVAL: E.INVAL, EIO: E.IO, EISDIR: E.ISDIR, ELOOP: E.LOOP, EMFILE: E.MFILE,
  EMLINK: E.MLINK, ENAMETOOLONG: E.NAMETOOLONG, ENFILE: E.NFILE, ENODEV: E.NODEV,
  ENOENT: E.NOENT, ENOMEM: E.NOMEM, ENOSPC: E.NOSPC, ENOSYS: E.NOSYS, ENOTDIR: E.NOTDIR,
  ENOTEMPTY: E.NOTEMPTY, ENOTSUP: E.NOTSUP, EOPNOTSUPP: E.NOTSUP, ENXIO: E.NXIO,
  EOVERFLOW: E.OVERFLOW, EPERM: E.PERM, EPIPE: E.PIPE, ERANGE: E.RANGE, EROFS: E.ROFS,
  ESPIPE: E.SPIPE, ETXTBSY: E.TXTBSY, EXDEV: E.XDEV, ETIMEDOUT: E.TIMEDOUT, EILSEQ: E.ILSEQ,
}));

/**
 * The WASI errno for anything a host call threw. Deno reports a missing
 * permission as its own error class (NotCapable, PermissionDenied): to the
 * guest that is what it is, a missing capability.
 */
export function errnoOf(error) {
  if (error instanceof WasiError) return error.errno;
  const byCode = BY_CODE.get(error?.code);
  if (byCode !== undefined) return byCode;
  if (isPermissionDenial(error)) return E.NOTCAPABLE;
  return E.IO;
}

/** A Deno permission refusal (its error names, as they changed over 2.x). */
export function isPermissionDenial(error) {
  return error?.name === 'NotCapable' || error?.name === 'PermissionDenied';
}

/** The WASI file type of an fs.Stats (or BigIntStats). */
export function filetypeOf(stat) {
  if (stat.isFile()) return FILETYPE.REGULAR_FILE;
  if (stat.isDirectory()) return FILETYPE.DIRECTORY;
  if (stat.isSymbolicLink()) return FILETYPE.SYMBOLIC_LINK;
  if (stat.isCharacterDevice()) return FILETYPE.CHARACTER_DEVICE;
  if (stat.isBlockDevice()) return FILETYPE.BLOCK_DEVICE;
  if (stat.isSocket()) return FILETYPE.SOCKET_STREAM;
  return FILETYPE.UNKNOWN;
}
