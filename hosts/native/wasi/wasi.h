/*
** wasi.h -- the WASI preview 1 layer of the native host (internal).
**
** One wasi_ctx per guest instance. wasm2c passes a pointer to it to every
** imported function; its type name is fixed by the generated code
** (struct Z_wasi_snapshot_preview1_instance_t), so wasi_ctx is that struct.
**
** Deny by default: the ctx holds exactly what the embedder granted (the
** directories in `fds`, the strings in `env`, the sinks), nothing else.
*/
#ifndef WASI_H
#define WASI_H

#include <dirent.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "wasm-rt.h"

/* ------------------------------------------- WASI numbers (preview 1) -- */
/* Numbered as in the witx spec, NOT as the host's errno.h. */
enum {
  WASI_ESUCCESS = 0, WASI_E2BIG = 1, WASI_EACCES = 2, WASI_EADDRINUSE = 3,
  WASI_EADDRNOTAVAIL = 4, WASI_EAFNOSUPPORT = 5, WASI_EAGAIN = 6, WASI_EALREADY = 7,
  WASI_EBADF = 8, WASI_EBADMSG = 9, WASI_EBUSY = 10, WASI_ECANCELED = 11,
  WASI_ECHILD = 12, WASI_ECONNABORTED = 13, WASI_ECONNREFUSED = 14, WASI_ECONNRESET = 15,
  WASI_EDEADLK = 16, WASI_EDESTADDRREQ = 17, WASI_EDOM = 18, WASI_EDQUOT = 19,
  WASI_EEXIST = 20, WASI_EFAULT = 21, WASI_EFBIG = 22, WASI_EHOSTUNREACH = 23,
  WASI_EIDRM = 24, WASI_EILSEQ = 25, WASI_EINPROGRESS = 26, WASI_EINTR = 27,
  WASI_EINVAL = 28, WASI_EIO = 29, WASI_EISCONN = 30, WASI_EISDIR = 31,
  WASI_ELOOP = 32, WASI_EMFILE = 33, WASI_EMLINK = 34, WASI_EMSGSIZE = 35,
  WASI_EMULTIHOP = 36, WASI_ENAMETOOLONG = 37, WASI_ENETDOWN = 38, WASI_ENETRESET = 39,
  WASI_ENETUNREACH = 40, WASI_ENFILE = 41, WASI_ENOBUFS = 42, WASI_ENODEV = 43,
  WASI_ENOENT = 44, WASI_ENOEXEC = 45, WASI_ENOLCK = 46, WASI_ENOLINK = 47,
  WASI_ENOMEM = 48, WASI_ENOMSG = 49, WASI_ENOPROTOOPT = 50, WASI_ENOSPC = 51,
  WASI_ENOSYS = 52, WASI_ENOTCONN = 53, WASI_ENOTDIR = 54, WASI_ENOTEMPTY = 55,
  WASI_ENOTRECOVERABLE = 56, WASI_ENOTSOCK = 57, WASI_ENOTSUP = 58, WASI_ENOTTY = 59,
  WASI_ENXIO = 60, WASI_EOVERFLOW = 61, WASI_EOWNERDEAD = 62, WASI_EPERM = 63,
  WASI_EPIPE = 64, WASI_EPROTO = 65, WASI_EPROTONOSUPPORT = 66, WASI_EPROTOTYPE = 67,
  WASI_ERANGE = 68, WASI_EROFS = 69, WASI_ESPIPE = 70, WASI_ESRCH = 71,
  WASI_ESTALE = 72, WASI_ETIMEDOUT = 73, WASI_ETXTBSY = 74, WASI_EXDEV = 75,
  WASI_ENOTCAPABLE = 76
};

enum {
  WASI_FILETYPE_UNKNOWN = 0, WASI_FILETYPE_BLOCK_DEVICE = 1,
  WASI_FILETYPE_CHARACTER_DEVICE = 2, WASI_FILETYPE_DIRECTORY = 3,
  WASI_FILETYPE_REGULAR_FILE = 4, WASI_FILETYPE_SOCKET_DGRAM = 5,
  WASI_FILETYPE_SOCKET_STREAM = 6, WASI_FILETYPE_SYMBOLIC_LINK = 7
};

#define WASI_RIGHT(n) ((uint64_t)1 << (n))
#define WASI_RIGHT_FD_DATASYNC WASI_RIGHT(0)
#define WASI_RIGHT_FD_READ WASI_RIGHT(1)
#define WASI_RIGHT_FD_SEEK WASI_RIGHT(2)
#define WASI_RIGHT_FD_FDSTAT_SET_FLAGS WASI_RIGHT(3)
#define WASI_RIGHT_FD_SYNC WASI_RIGHT(4)
#define WASI_RIGHT_FD_TELL WASI_RIGHT(5)
#define WASI_RIGHT_FD_WRITE WASI_RIGHT(6)
#define WASI_RIGHT_FD_ADVISE WASI_RIGHT(7)
#define WASI_RIGHT_FD_ALLOCATE WASI_RIGHT(8)
#define WASI_RIGHT_FD_READDIR WASI_RIGHT(14)
#define WASI_RIGHT_FD_FILESTAT_GET WASI_RIGHT(21)
#define WASI_RIGHT_FD_FILESTAT_SET_SIZE WASI_RIGHT(22)
#define WASI_RIGHT_FD_FILESTAT_SET_TIMES WASI_RIGHT(23)
#define WASI_RIGHT_POLL_FD_READWRITE WASI_RIGHT(27)
#define WASI_RIGHTS_ALL (WASI_RIGHT(30) - 1)

#define WASI_OFLAG_CREAT 1u
#define WASI_OFLAG_DIRECTORY 2u
#define WASI_OFLAG_EXCL 4u
#define WASI_OFLAG_TRUNC 8u

#define WASI_FDFLAG_APPEND 1u
#define WASI_FDFLAG_DSYNC 2u
#define WASI_FDFLAG_NONBLOCK 4u
#define WASI_FDFLAG_RSYNC 8u
#define WASI_FDFLAG_SYNC 16u

#define WASI_LOOKUP_SYMLINK_FOLLOW 1u

#define WASI_FSTFLAG_ATIM 1u
#define WASI_FSTFLAG_ATIM_NOW 2u
#define WASI_FSTFLAG_MTIM 4u
#define WASI_FSTFLAG_MTIM_NOW 8u

/* ------------------------------------------------------ the fd table -- */
typedef enum wasi_fd_kind {
  WASI_FD_FREE = 0,
  WASI_FD_STDIN,
  WASI_FD_STDOUT,
  WASI_FD_STDERR,
  WASI_FD_DIR,  /* a granted directory or one opened beneath it */
  WASI_FD_FILE  /* anything else opened beneath a grant */
} wasi_fd_kind;

typedef struct wasi_fd {
  wasi_fd_kind kind;
  bool read_only;      /* from the grant it was reached through */
  int host_fd;         /* -1 for stdio */
  uint8_t filetype;    /* WASI_FILETYPE_* */
  uint16_t fdflags;    /* as reported by fd_fdstat_get */
  uint64_t rights;     /* base rights reported */
  char *prestat_name;  /* guest path of a granted dir, else NULL */
  uint32_t prestat_len;
  DIR *dir;            /* fd_readdir stream, opened lazily */
} wasi_fd;

/* Receives guest stdout/stderr. */
typedef void (*wasi_sink_fn)(void *user, const char *data, size_t len);

/* One grant as the instance keeps it between rebuilds. */
typedef struct wasi_grant {
  int host_fd;      /* O_DIRECTORY, owned by the grant list */
  char *guest_path;
  bool read_only;
} wasi_grant;

/* Everything a ctx is built from; owned by the instance, outlives ctxs. */
typedef struct wasi_config {
  const wasi_grant *grants;
  size_t n_grants;
  const char *env_block; /* "K=V\0K=V\0" */
  size_t env_bytes;      /* including every NUL */
  uint32_t env_count;
  const char *stdin_data;
  size_t stdin_len;
  wasi_sink_fn out, err;
  void *sink_user;
  /* `pyreactor pack` only (docs/packages.md): clocks and random bytes are
  ** a fixed sequence, so that the same inputs leave the same memory. */
  bool deterministic;
} wasi_config;

#define WASI_MAX_FDS 1024u

typedef struct Z_wasi_snapshot_preview1_instance_t {
  wasm_rt_memory_t *memory; /* the guest's linear memory */
  const wasi_config *cfg;
  wasi_fd *fds;
  uint32_t n_fds; /* slots in use or free, up to WASI_MAX_FDS */
  size_t stdin_pos;
  uint32_t exit_code; /* set by proc_exit */
  uint64_t fixed_ticks, fixed_random; /* cfg->deterministic's sequences */
} wasi_ctx;

/* Builds the fd table: 0-2 stdio, then one fd per grant (dup'ed). 0 or -1. */
int wasi_ctx_init(wasi_ctx *ctx, const wasi_config *cfg, wasm_rt_memory_t *memory);
void wasi_ctx_free(wasi_ctx *ctx);

/* ------------------------------------ internal helpers (wasi_*.c) -- */

/* fd table (wasi_fd_table.c) */
wasi_fd *wasi_fd_get(wasi_ctx *ctx, uint32_t fd);
uint16_t wasi_fd_alloc(wasi_ctx *ctx, uint32_t *out);
void wasi_fd_release(wasi_fd *f);
uint16_t wasi_errno(int host_errno);
uint8_t wasi_filetype_of_mode(unsigned mode);

/* guest memory access (wasi_mem.c); every pointer the guest hands over goes
** through these, which check ptr + len against the current memory size
** without overflowing. NULL / false means EFAULT. */
uint8_t *wasi_mem(wasi_ctx *ctx, uint32_t ptr, uint64_t len);
bool wasi_store_u32(wasi_ctx *ctx, uint32_t ptr, uint32_t v);
bool wasi_store_u64(wasi_ctx *ctx, uint32_t ptr, uint64_t v);
void wasi_put_u16(uint8_t *p, uint16_t v);
void wasi_put_u32(uint8_t *p, uint32_t v);
void wasi_put_u64(uint8_t *p, uint64_t v);
uint32_t wasi_get_u32(const uint8_t *p);
uint64_t wasi_get_u64(const uint8_t *p);

/* A guest iovec list turned into host iovecs pointing into guest memory. */
struct iovec;
typedef struct wasi_iovs {
  struct iovec *iov;
  int n;
  struct iovec *heap; /* non-NULL when iov was malloc'ed */
} wasi_iovs;
#define WASI_IOV_INLINE 16
uint16_t wasi_iovs_load(wasi_ctx *ctx, uint32_t iovs_ptr, uint32_t iovs_len,
                        struct iovec *inline_buf, wasi_iovs *out);
void wasi_iovs_free(wasi_iovs *v);

/* A guest path copied to a NUL-terminated host string. */
#define WASI_PATH_MAX 4096u
uint16_t wasi_path_load(wasi_ctx *ctx, uint32_t ptr, uint32_t len, char out[WASI_PATH_MAX + 1]);

/* filestat and times (wasi_fs.c) */
struct stat;
struct timespec;
void wasi_filestat_put(uint8_t *out64, const struct stat *st);
uint16_t wasi_times(uint64_t atim, uint64_t mtim, uint32_t fst, struct timespec ts[2]);

#endif
