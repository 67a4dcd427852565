/*
** wasi_fd_table.c -- the guest's file descriptors.
**
** fd 0-2 are virtual (stdin from a host buffer, stdout/stderr to sinks);
** fd 3.. are the grants, in order, as wasi-libc expects when it scans for
** preopens at start-up; later fds come from path_open beneath a grant. The
** table is the guest's whole world: no fd means no access.
*/
#include "wasi.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define STDIO_RIGHTS (WASI_RIGHT_FD_FDSTAT_SET_FLAGS | WASI_RIGHT_FD_FILESTAT_GET | \
                      WASI_RIGHT_POLL_FD_READWRITE)

wasi_fd *wasi_fd_get(wasi_ctx *ctx, uint32_t fd)
{
  if (fd >= ctx->n_fds || ctx->fds[fd].kind == WASI_FD_FREE)
    return NULL;
  return &ctx->fds[fd];
}

/* Lowest free slot, growing the table up to WASI_MAX_FDS. */
uint16_t wasi_fd_alloc(wasi_ctx *ctx, uint32_t *out)
{
  for (uint32_t i = 0; i < ctx->n_fds; i++) {
    if (ctx->fds[i].kind == WASI_FD_FREE) {
      *out = i;
      return WASI_ESUCCESS;
    }
  }
  if (ctx->n_fds >= WASI_MAX_FDS)
    return WASI_EMFILE;
  uint32_t n = ctx->n_fds == 0 ? 8 : ctx->n_fds * 2;
  if (n > WASI_MAX_FDS)
    n = WASI_MAX_FDS;
  wasi_fd *grown = realloc(ctx->fds, n * sizeof *grown);
  if (grown == NULL)
    return WASI_ENOMEM;
  memset(grown + ctx->n_fds, 0, (n - ctx->n_fds) * sizeof *grown);
  for (uint32_t i = ctx->n_fds; i < n; i++)
    grown[i].host_fd = -1;
  *out = ctx->n_fds;
  ctx->fds = grown;
  ctx->n_fds = n;
  return WASI_ESUCCESS;
}

void wasi_fd_release(wasi_fd *f)
{
  if (f->dir != NULL)
    closedir(f->dir);
  if (f->host_fd >= 0)
    close(f->host_fd);
  free(f->prestat_name);
  memset(f, 0, sizeof *f);
  f->host_fd = -1;
  f->kind = WASI_FD_FREE;
}

static int add_stdio(wasi_ctx *ctx, wasi_fd_kind kind, uint64_t rights)
{
  uint32_t fd;
  if (wasi_fd_alloc(ctx, &fd) != WASI_ESUCCESS)
    return -1;
  wasi_fd *f = &ctx->fds[fd];
  f->kind = kind;
  /* Not a tty (wasi-libc's isatty wants a character device), not seekable. */
  f->filetype = WASI_FILETYPE_UNKNOWN;
  f->rights = rights | STDIO_RIGHTS;
  return 0;
}

static int add_grant(wasi_ctx *ctx, const wasi_grant *g)
{
  uint32_t fd;
  if (wasi_fd_alloc(ctx, &fd) != WASI_ESUCCESS)
    return -1;
  wasi_fd *f = &ctx->fds[fd];
  f->host_fd = fcntl(g->host_fd, F_DUPFD_CLOEXEC, 0);
  if (f->host_fd < 0)
    return -1;
  f->prestat_name = strdup(g->guest_path);
  if (f->prestat_name == NULL) {
    close(f->host_fd);
    f->host_fd = -1;
    return -1;
  }
  f->kind = WASI_FD_DIR;
  f->read_only = g->read_only;
  f->filetype = WASI_FILETYPE_DIRECTORY;
  f->rights = WASI_RIGHTS_ALL;
  f->prestat_len = (uint32_t)strlen(g->guest_path);
  return 0;
}

int wasi_ctx_init(wasi_ctx *ctx, const wasi_config *cfg, wasm_rt_memory_t *memory)
{
  memset(ctx, 0, sizeof *ctx);
  ctx->cfg = cfg;
  ctx->memory = memory;
  if (add_stdio(ctx, WASI_FD_STDIN, WASI_RIGHT_FD_READ) != 0 ||
      add_stdio(ctx, WASI_FD_STDOUT, WASI_RIGHT_FD_WRITE) != 0 ||
      add_stdio(ctx, WASI_FD_STDERR, WASI_RIGHT_FD_WRITE) != 0)
    goto fail;
  for (size_t i = 0; i < cfg->n_grants; i++)
    if (add_grant(ctx, &cfg->grants[i]) != 0)
      goto fail;
  return 0;
fail:
  wasi_ctx_free(ctx);
  return -1;
}

void wasi_ctx_free(wasi_ctx *ctx)
{
  for (uint32_t i = 0; i < ctx->n_fds; i++)
    if (ctx->fds[i].kind != WASI_FD_FREE)
      wasi_fd_release(&ctx->fds[i]);
  free(ctx->fds);
  ctx->fds = NULL;
  ctx->n_fds = 0;
}

uint8_t wasi_filetype_of_mode(unsigned mode)
{
  switch (mode & S_IFMT) {
  case S_IFREG: return WASI_FILETYPE_REGULAR_FILE;
  case S_IFDIR: return WASI_FILETYPE_DIRECTORY;
  case S_IFLNK: return WASI_FILETYPE_SYMBOLIC_LINK;
  case S_IFCHR: return WASI_FILETYPE_CHARACTER_DEVICE;
  case S_IFBLK: return WASI_FILETYPE_BLOCK_DEVICE;
  case S_IFSOCK: return WASI_FILETYPE_SOCKET_STREAM;
  default: return WASI_FILETYPE_UNKNOWN;
  }
}

/* Host errno to WASI errno. The two numberings differ completely. */
uint16_t wasi_errno(int e)
{
  switch (e) {
  case 0: return WASI_ESUCCESS;
  case E2BIG: return WASI_E2BIG;
  case EACCES: return WASI_EACCES;
  case EAGAIN: return WASI_EAGAIN;
  case EBADF: return WASI_EBADF;
  case EBUSY: return WASI_EBUSY;
  case EDQUOT: return WASI_EDQUOT;
  case EEXIST: return WASI_EEXIST;
  case EFAULT: return WASI_EFAULT;
  case EFBIG: return WASI_EFBIG;
  case EINTR: return WASI_EINTR;
  case EINVAL: return WASI_EINVAL;
  case EIO: return WASI_EIO;
  case EISDIR: return WASI_EISDIR;
  case ELOOP: return WASI_ELOOP;
  case EMFILE: return WASI_EMFILE;
  case EMLINK: return WASI_EMLINK;
  case ENAMETOOLONG: return WASI_ENAMETOOLONG;
  case ENFILE: return WASI_ENFILE;
  case ENODEV: return WASI_ENODEV;
  case ENOENT: return WASI_ENOENT;
  case ENOMEM: return WASI_ENOMEM;
  case ENOSPC: return WASI_ENOSPC;
  case ENOSYS: return WASI_ENOSYS;
  case ENOTDIR: return WASI_ENOTDIR;
  case ENOTEMPTY: return WASI_ENOTEMPTY;
  case ENOTSUP: return WASI_ENOTSUP;
  case ENXIO: return WASI_ENXIO;
  case EOVERFLOW: return WASI_EOVERFLOW;
  case EPERM: return WASI_EPERM;
  case EPIPE: return WASI_EPIPE;
  case ERANGE: return WASI_ERANGE;
  case EROFS: return WASI_EROFS;
  case ESPIPE: return WASI_ESPIPE;
  case ETXTBSY: return WASI_ETXTBSY;
  case EXDEV: return WASI_EXDEV;
  case ETIMEDOUT: return WASI_ETIMEDOUT;
  case EILSEQ: return WASI_EILSEQ;
  default: return WASI_EIO;
  }
}
