/*
** wasi_fs.c -- WASI operations on open file descriptors.
**
** Host fds exist only for what path_open opened beneath a grant, so these
** functions never reach anything the guest was not given; the checks here
** are about the fd's kind, the grant's read-only flag and guest pointers.
*/
#include "wasi_impl.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <unistd.h>

/* The fd if it is a host file or directory; else sets *err. */
static wasi_fd *host_fd(wasi_ctx *c, uint32_t fd, uint16_t *err)
{
  wasi_fd *f = wasi_fd_get(c, fd);
  if (f == NULL) {
    *err = WASI_EBADF;
    return NULL;
  }
  if (f->kind != WASI_FD_FILE && f->kind != WASI_FD_DIR) {
    *err = f->kind == WASI_FD_STDIN ? WASI_ESPIPE : WASI_EINVAL;
    return NULL;
  }
  return f;
}

/* The fd if it is a writable host file: read-only grants refuse here too,
** even though such fds were never opened for writing. */
static wasi_fd *writable_fd(wasi_ctx *c, uint32_t fd, uint16_t *err)
{
  wasi_fd *f = host_fd(c, fd, err);
  if (f != NULL && f->read_only) {
    *err = WASI_EROFS;
    return NULL;
  }
  return f;
}

static uint16_t io_result(wasi_ctx *c, ssize_t n, uint32_t out)
{
  if (n < 0)
    return wasi_errno(errno);
  return wasi_store_u32(c, out, (uint32_t)n) ? WASI_ESUCCESS : WASI_EFAULT;
}

void wasi_filestat_put(uint8_t *out, const struct stat *st)
{
  memset(out, 0, 64);
  wasi_put_u64(out, (uint64_t)st->st_dev);
  wasi_put_u64(out + 8, (uint64_t)st->st_ino);
  out[16] = wasi_filetype_of_mode(st->st_mode);
  wasi_put_u64(out + 24, (uint64_t)st->st_nlink);
  wasi_put_u64(out + 32, (uint64_t)st->st_size);
  wasi_put_u64(out + 40, (uint64_t)st->st_atim.tv_sec * 1000000000u + (uint64_t)st->st_atim.tv_nsec);
  wasi_put_u64(out + 48, (uint64_t)st->st_mtim.tv_sec * 1000000000u + (uint64_t)st->st_mtim.tv_nsec);
  wasi_put_u64(out + 56, (uint64_t)st->st_ctim.tv_sec * 1000000000u + (uint64_t)st->st_ctim.tv_nsec);
}

/* ------------------------------------------------------------ stdio -- */

static uint16_t stdin_read(wasi_ctx *c, const wasi_iovs *v, uint32_t out)
{
  const wasi_config *cfg = c->cfg;
  size_t total = 0;
  for (int i = 0; i < v->n && c->stdin_pos < cfg->stdin_len; i++) {
    size_t left = cfg->stdin_len - c->stdin_pos;
    size_t n = v->iov[i].iov_len < left ? v->iov[i].iov_len : left;
    memcpy(v->iov[i].iov_base, cfg->stdin_data + c->stdin_pos, n);
    c->stdin_pos += n;
    total += n;
  }
  return io_result(c, (ssize_t)total, out);
}

static uint16_t sink_write(wasi_ctx *c, wasi_fd_kind kind, const wasi_iovs *v, uint32_t out)
{
  const wasi_config *cfg = c->cfg;
  wasi_sink_fn fn = kind == WASI_FD_STDOUT ? cfg->out : cfg->err;
  size_t total = 0;
  for (int i = 0; i < v->n; i++) {
    if (fn != NULL && v->iov[i].iov_len > 0)
      fn(cfg->sink_user, v->iov[i].iov_base, v->iov[i].iov_len);
    total += v->iov[i].iov_len;
  }
  return io_result(c, (ssize_t)total, out);
}

/* ------------------------------------------------------ read, write -- */

uint32_t wasi_fd_read(wasi_ctx *c, uint32_t fd, uint32_t iovs, uint32_t iovs_len, uint32_t out)
{
  wasi_fd *f = wasi_fd_get(c, fd);
  if (f == NULL)
    return WASI_EBADF;
  if (wasi_mem(c, out, 4) == NULL)
    return WASI_EFAULT;
  if (f->kind == WASI_FD_STDOUT || f->kind == WASI_FD_STDERR)
    return WASI_EBADF;
  struct iovec buf[WASI_IOV_INLINE];
  wasi_iovs v;
  uint16_t err = wasi_iovs_load(c, iovs, iovs_len, buf, &v);
  if (err != WASI_ESUCCESS)
    return err;
  if (f->kind == WASI_FD_STDIN)
    err = stdin_read(c, &v, out);
  else
    err = io_result(c, v.n > 0 ? readv(f->host_fd, v.iov, v.n) : 0, out);
  wasi_iovs_free(&v);
  return err;
}

uint32_t wasi_fd_write(wasi_ctx *c, uint32_t fd, uint32_t iovs, uint32_t iovs_len, uint32_t out)
{
  wasi_fd *f = wasi_fd_get(c, fd);
  if (f == NULL)
    return WASI_EBADF;
  if (wasi_mem(c, out, 4) == NULL)
    return WASI_EFAULT;
  if (f->kind == WASI_FD_STDIN)
    return WASI_EBADF;
  if (f->read_only)
    return WASI_EROFS;
  struct iovec buf[WASI_IOV_INLINE];
  wasi_iovs v;
  uint16_t err = wasi_iovs_load(c, iovs, iovs_len, buf, &v);
  if (err != WASI_ESUCCESS)
    return err;
  if (f->kind == WASI_FD_STDOUT || f->kind == WASI_FD_STDERR)
    err = sink_write(c, f->kind, &v, out);
  else
    err = io_result(c, v.n > 0 ? writev(f->host_fd, v.iov, v.n) : 0, out);
  wasi_iovs_free(&v);
  return err;
}

/* fd_pread and fd_pwrite differ only in which fds they accept and in the
** system call. */
typedef ssize_t (*positioned_io_fn)(int, const struct iovec *, int, off_t);

static uint32_t positioned_io(wasi_ctx *c, const wasi_fd *f, uint32_t iovs, uint32_t iovs_len,
                              uint64_t offset, uint32_t out, positioned_io_fn io)
{
  if (offset > INT64_MAX)
    return WASI_EINVAL;
  if (wasi_mem(c, out, 4) == NULL)
    return WASI_EFAULT;
  struct iovec buf[WASI_IOV_INLINE];
  wasi_iovs v;
  uint16_t err = wasi_iovs_load(c, iovs, iovs_len, buf, &v);
  if (err != WASI_ESUCCESS)
    return err;
  err = io_result(c, v.n > 0 ? io(f->host_fd, v.iov, v.n, (off_t)offset) : 0, out);
  wasi_iovs_free(&v);
  return err;
}

uint32_t wasi_fd_pread(wasi_ctx *c, uint32_t fd, uint32_t iovs, uint32_t iovs_len,
                       uint64_t offset, uint32_t out)
{
  uint16_t err;
  wasi_fd *f = host_fd(c, fd, &err);
  if (f == NULL)
    return err;
  return positioned_io(c, f, iovs, iovs_len, offset, out, preadv);
}

uint32_t wasi_fd_pwrite(wasi_ctx *c, uint32_t fd, uint32_t iovs, uint32_t iovs_len,
                        uint64_t offset, uint32_t out)
{
  uint16_t err;
  wasi_fd *f = writable_fd(c, fd, &err);
  if (f == NULL)
    return err;
  return positioned_io(c, f, iovs, iovs_len, offset, out, pwritev);
}

/* ------------------------------------------------------- positioning -- */

uint32_t wasi_fd_seek(wasi_ctx *c, uint32_t fd, uint64_t offset, uint32_t whence, uint32_t out)
{
  uint16_t err;
  wasi_fd *f = host_fd(c, fd, &err);
  if (f == NULL)
    return wasi_fd_get(c, fd) != NULL ? WASI_ESPIPE : err;
  static const int how[] = {SEEK_SET, SEEK_CUR, SEEK_END};
  if (whence > 2)
    return WASI_EINVAL;
  if (wasi_mem(c, out, 8) == NULL)
    return WASI_EFAULT;
  off_t pos = lseek(f->host_fd, (off_t)(int64_t)offset, how[whence]);
  if (pos < 0)
    return wasi_errno(errno);
  wasi_store_u64(c, out, (uint64_t)pos);
  return WASI_ESUCCESS;
}

uint32_t wasi_fd_tell(wasi_ctx *c, uint32_t fd, uint32_t out)
{
  return wasi_fd_seek(c, fd, 0, 1, out);
}

/* ---------------------------------------------------------- metadata -- */

uint32_t wasi_fd_fdstat_get(wasi_ctx *c, uint32_t fd, uint32_t out)
{
  wasi_fd *f = wasi_fd_get(c, fd);
  if (f == NULL)
    return WASI_EBADF;
  uint8_t *p = wasi_mem(c, out, 24);
  if (p == NULL)
    return WASI_EFAULT;
  memset(p, 0, 24);
  p[0] = f->filetype;
  wasi_put_u16(p + 2, f->fdflags);
  wasi_put_u64(p + 8, f->rights);
  wasi_put_u64(p + 16, f->kind == WASI_FD_DIR ? WASI_RIGHTS_ALL : 0);
  return WASI_ESUCCESS;
}

uint32_t wasi_fd_fdstat_set_flags(wasi_ctx *c, uint32_t fd, uint32_t flags)
{
  wasi_fd *f = wasi_fd_get(c, fd);
  if (f == NULL)
    return WASI_EBADF;
  if (flags & ~(WASI_FDFLAG_APPEND | WASI_FDFLAG_NONBLOCK))
    return WASI_ENOTSUP; /* the sync flags are fixed at open */
  if (f->kind != WASI_FD_FILE)
    return flags == f->fdflags ? WASI_ESUCCESS : WASI_ENOTSUP;
  int host = fcntl(f->host_fd, F_GETFL);
  if (host < 0)
    return wasi_errno(errno);
  host &= ~(O_APPEND | O_NONBLOCK);
  host |= (flags & WASI_FDFLAG_APPEND ? O_APPEND : 0) | (flags & WASI_FDFLAG_NONBLOCK ? O_NONBLOCK : 0);
  if (fcntl(f->host_fd, F_SETFL, host) != 0)
    return wasi_errno(errno);
  f->fdflags = (uint16_t)((f->fdflags & ~(WASI_FDFLAG_APPEND | WASI_FDFLAG_NONBLOCK)) | flags);
  return WASI_ESUCCESS;
}

uint32_t wasi_fd_filestat_get(wasi_ctx *c, uint32_t fd, uint32_t out)
{
  wasi_fd *f = wasi_fd_get(c, fd);
  if (f == NULL)
    return WASI_EBADF;
  uint8_t *p = wasi_mem(c, out, 64);
  if (p == NULL)
    return WASI_EFAULT;
  if (f->host_fd < 0) {
    memset(p, 0, 64);
    p[16] = f->filetype;
    return WASI_ESUCCESS;
  }
  struct stat st;
  if (fstat(f->host_fd, &st) != 0)
    return wasi_errno(errno);
  wasi_filestat_put(p, &st);
  return WASI_ESUCCESS;
}

uint32_t wasi_fd_filestat_set_size(wasi_ctx *c, uint32_t fd, uint64_t size)
{
  uint16_t err;
  wasi_fd *f = writable_fd(c, fd, &err);
  if (f == NULL)
    return err;
  if (size > INT64_MAX)
    return WASI_EINVAL;
  return ftruncate(f->host_fd, (off_t)size) == 0 ? WASI_ESUCCESS : wasi_errno(errno);
}

/* WASI's (value, flags) pair to a timespec for utimensat/futimens. */
static uint16_t time_spec(uint64_t value, uint32_t fst, uint32_t set, uint32_t now,
                          struct timespec *ts)
{
  if ((fst & set) && (fst & now))
    return WASI_EINVAL;
  if (fst & now) {
    ts->tv_sec = 0;
    ts->tv_nsec = UTIME_NOW;
  } else if (fst & set) {
    ts->tv_sec = (time_t)(value / 1000000000u);
    ts->tv_nsec = (long)(value % 1000000000u);
  } else {
    ts->tv_sec = 0;
    ts->tv_nsec = UTIME_OMIT;
  }
  return WASI_ESUCCESS;
}

uint16_t wasi_times(uint64_t atim, uint64_t mtim, uint32_t fst, struct timespec ts[2])
{
  uint16_t err = time_spec(atim, fst, WASI_FSTFLAG_ATIM, WASI_FSTFLAG_ATIM_NOW, &ts[0]);
  if (err == WASI_ESUCCESS)
    err = time_spec(mtim, fst, WASI_FSTFLAG_MTIM, WASI_FSTFLAG_MTIM_NOW, &ts[1]);
  return err;
}

uint32_t wasi_fd_filestat_set_times(wasi_ctx *c, uint32_t fd, uint64_t atim, uint64_t mtim,
                                    uint32_t fst)
{
  uint16_t err;
  wasi_fd *f = writable_fd(c, fd, &err);
  if (f == NULL)
    return err;
  struct timespec ts[2];
  err = wasi_times(atim, mtim, fst, ts);
  if (err != WASI_ESUCCESS)
    return err;
  return futimens(f->host_fd, ts) == 0 ? WASI_ESUCCESS : wasi_errno(errno);
}

/* ------------------------------------------------- hints and syncing -- */

uint32_t wasi_fd_advise(wasi_ctx *c, uint32_t fd, uint64_t offset, uint64_t len, uint32_t advice)
{
  static const int how[] = {POSIX_FADV_NORMAL, POSIX_FADV_SEQUENTIAL, POSIX_FADV_RANDOM,
                            POSIX_FADV_WILLNEED, POSIX_FADV_DONTNEED, POSIX_FADV_NOREUSE};
  uint16_t err;
  wasi_fd *f = host_fd(c, fd, &err);
  if (f == NULL)
    return err;
  if (advice > 5 || offset > INT64_MAX || len > INT64_MAX)
    return WASI_EINVAL;
  int rc = posix_fadvise(f->host_fd, (off_t)offset, (off_t)len, how[advice]);
  return rc == 0 || rc == ESPIPE ? WASI_ESUCCESS : wasi_errno(rc);
}

uint32_t wasi_fd_allocate(wasi_ctx *c, uint32_t fd, uint64_t offset, uint64_t len)
{
  uint16_t err;
  wasi_fd *f = writable_fd(c, fd, &err);
  if (f == NULL)
    return err;
  if (offset > INT64_MAX || len > INT64_MAX)
    return WASI_EINVAL;
  int rc = posix_fallocate(f->host_fd, (off_t)offset, (off_t)len);
  return rc == 0 ? WASI_ESUCCESS : wasi_errno(rc);
}

uint32_t wasi_fd_datasync(wasi_ctx *c, uint32_t fd)
{
  uint16_t err;
  wasi_fd *f = host_fd(c, fd, &err);
  if (f == NULL)
    return err;
  return fdatasync(f->host_fd) == 0 ? WASI_ESUCCESS : wasi_errno(errno);
}

uint32_t wasi_fd_sync(wasi_ctx *c, uint32_t fd)
{
  uint16_t err;
  wasi_fd *f = host_fd(c, fd, &err);
  if (f == NULL)
    return err;
  return fsync(f->host_fd) == 0 ? WASI_ESUCCESS : wasi_errno(errno);
}

uint32_t wasi_fd_close(wasi_ctx *c, uint32_t fd)
{
  wasi_fd *f = wasi_fd_get(c, fd);
  if (f == NULL)
    return WASI_EBADF;
  wasi_fd_release(f);
  return WASI_ESUCCESS;
}

/* ---------------------------------------------------------- preopens -- */

uint32_t wasi_fd_prestat_get(wasi_ctx *c, uint32_t fd, uint32_t out)
{
  wasi_fd *f = wasi_fd_get(c, fd);
  if (f == NULL || f->prestat_name == NULL)
    return WASI_EBADF; /* wasi-libc stops its preopen scan here */
  uint8_t *p = wasi_mem(c, out, 8);
  if (p == NULL)
    return WASI_EFAULT;
  memset(p, 0, 8);
  wasi_put_u32(p + 4, f->prestat_len);
  return WASI_ESUCCESS;
}

uint32_t wasi_fd_prestat_dir_name(wasi_ctx *c, uint32_t fd, uint32_t path, uint32_t len)
{
  wasi_fd *f = wasi_fd_get(c, fd);
  if (f == NULL || f->prestat_name == NULL)
    return WASI_EBADF;
  if (len < f->prestat_len)
    return WASI_ENAMETOOLONG;
  uint8_t *p = wasi_mem(c, path, f->prestat_len);
  if (p == NULL)
    return WASI_EFAULT;
  memcpy(p, f->prestat_name, f->prestat_len);
  return WASI_ESUCCESS;
}

/* ----------------------------------------------------------- readdir -- */

static uint8_t dirent_type(DIR *d, const struct dirent *e)
{
  switch (e->d_type) {
  case DT_REG: return WASI_FILETYPE_REGULAR_FILE;
  case DT_DIR: return WASI_FILETYPE_DIRECTORY;
  case DT_LNK: return WASI_FILETYPE_SYMBOLIC_LINK;
  case DT_CHR: return WASI_FILETYPE_CHARACTER_DEVICE;
  case DT_BLK: return WASI_FILETYPE_BLOCK_DEVICE;
  case DT_SOCK: return WASI_FILETYPE_SOCKET_STREAM;
  default: break;
  }
  /* Unknown type: look, without following and only inside this directory
  ** ("..": the parent may be outside the grant, so do not look). */
  if (strcmp(e->d_name, "..") == 0 || strcmp(e->d_name, ".") == 0)
    return WASI_FILETYPE_DIRECTORY;
  struct stat st;
  if (fstatat(dirfd(d), e->d_name, &st, AT_SYMLINK_NOFOLLOW) != 0)
    return WASI_FILETYPE_UNKNOWN;
  return wasi_filetype_of_mode(st.st_mode);
}

/* A stream of our own (not a dup: dup would share the position). */
static uint16_t dir_stream(wasi_fd *f)
{
  if (f->dir != NULL)
    return WASI_ESUCCESS;
  int fd = openat(f->host_fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0)
    return wasi_errno(errno);
  f->dir = fdopendir(fd);
  if (f->dir == NULL) {
    int e = errno;
    close(fd);
    return wasi_errno(e);
  }
  return WASI_ESUCCESS;
}

/* Appends as much of `src` as fits; returns bytes copied. */
static size_t put_some(uint8_t *out, size_t cap, size_t *used, const void *src, size_t n)
{
  size_t room = cap - *used;
  size_t k = n < room ? n : room;
  memcpy(out + *used, src, k);
  *used += k;
  return k;
}

/* Entries as WASI dirents (24-byte header + name), cookies from telldir.
** The last entry may be cut short: the guest then asks again from the cookie
** of the last whole entry, as the WASI spec intends. */
uint32_t wasi_fd_readdir(wasi_ctx *c, uint32_t fd, uint32_t buf, uint32_t buf_len,
                         uint64_t cookie, uint32_t bufused_out)
{
  wasi_fd *f = wasi_fd_get(c, fd);
  if (f == NULL)
    return WASI_EBADF;
  if (f->kind != WASI_FD_DIR)
    return WASI_ENOTDIR;
  uint8_t *out = wasi_mem(c, buf, buf_len);
  if (out == NULL || wasi_mem(c, bufused_out, 4) == NULL)
    return WASI_EFAULT;
  uint16_t err = dir_stream(f);
  if (err != WASI_ESUCCESS)
    return err;
  if (cookie == 0)
    rewinddir(f->dir);
  else if (cookie > LONG_MAX)
    return WASI_EINVAL;
  else
    seekdir(f->dir, (long)cookie);
  size_t used = 0;
  while (used < buf_len) {
    errno = 0;
    struct dirent *e = readdir(f->dir);
    if (e == NULL) {
      if (errno != 0)
        return wasi_errno(errno);
      break;
    }
    size_t namlen = strlen(e->d_name);
    uint8_t hdr[24];
    memset(hdr, 0, sizeof hdr);
    wasi_put_u64(hdr, (uint64_t)telldir(f->dir));
    wasi_put_u64(hdr + 8, (uint64_t)e->d_ino);
    wasi_put_u32(hdr + 16, (uint32_t)namlen);
    hdr[20] = dirent_type(f->dir, e);
    put_some(out, buf_len, &used, hdr, sizeof hdr);
    put_some(out, buf_len, &used, e->d_name, namlen);
  }
  wasi_store_u32(c, bufused_out, (uint32_t)used);
  return WASI_ESUCCESS;
}
