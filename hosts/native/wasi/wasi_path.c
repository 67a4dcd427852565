/*
** wasi_path.c -- WASI operations on paths, confined beneath a directory fd.
**
** How escapes are prevented (see docs/wasi-layer.md):
** - Absolute guest paths are refused (ENOTCAPABLE); wasi-libc already maps
**   absolute paths onto a grant and sends the rest relative.
** - Every lookup that may cross directories is done by the kernel with
**   openat2(RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS) relative to the
**   directory's host fd: ".." above it, absolute symlinks and symlinks that
**   lead outside fail with EXDEV (reported as ENOTCAPABLE), atomically, with
**   no check-then-use window.
** - Operations that act on a name rather than on an opened file (mkdir,
**   unlink, rmdir, rename, link, symlink) open the parent directory that way
**   and then act on the last component alone with the *at() call, which
**   never follows that component.
** - stat, utimes and readlink open the target itself with O_PATH beneath the
**   directory (O_NOFOLLOW unless the guest asked to follow) and act on that fd.
** - Directories reached through a read-only grant refuse every write: EROFS.
** - Only regular files and directories are opened; symlinks the guest makes
**   may not point out of their grant, for the host's own tools' sake.
*/
#include "wasi_impl.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#define WRITE_RIGHTS (WASI_RIGHT_FD_WRITE | WASI_RIGHT_FD_ALLOCATE | WASI_RIGHT_FD_FILESTAT_SET_SIZE)
#define READ_RIGHTS (WASI_RIGHT_FD_READ | WASI_RIGHT_FD_READDIR)
#define WRITE_FDFLAGS (WASI_FDFLAG_APPEND | WASI_FDFLAG_DSYNC | WASI_FDFLAG_RSYNC | WASI_FDFLAG_SYNC)

/* openat2 beneath `dirfd`. EAGAIN means the kernel saw a concurrent rename
** it could not rule out: try again a few times rather than fail. */
static int open_beneath(int dirfd, const char *path, int flags, mode_t mode)
{
  struct open_how how;
  memset(&how, 0, sizeof how);
  how.flags = (uint64_t)(flags | O_CLOEXEC);
  how.mode = (flags & O_CREAT) ? mode : 0;
  how.resolve = RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS;
  for (int i = 0; i < 8; i++) {
    long fd = syscall(SYS_openat2, dirfd, path, &how, sizeof how);
    if (fd >= 0)
      return (int)fd;
    if (errno != EAGAIN)
      break;
  }
  return -1;
}

/* During resolution, EXDEV is the kernel saying "that would leave the
** directory": the guest lacks the capability. */
static uint16_t resolve_errno(int e)
{
  return e == EXDEV ? WASI_ENOTCAPABLE : wasi_errno(e);
}

/* The directory fd the guest named, optionally requiring a writable grant. */
static wasi_fd *dir_fd(wasi_ctx *c, uint32_t fd, bool for_write, uint16_t *err)
{
  wasi_fd *f = wasi_fd_get(c, fd);
  if (f == NULL) {
    *err = WASI_EBADF;
    return NULL;
  }
  if (f->kind != WASI_FD_DIR) {
    *err = WASI_ENOTDIR;
    return NULL;
  }
  if (for_write && f->read_only) {
    *err = WASI_EROFS;
    return NULL;
  }
  return f;
}

/* Copies a guest path that must be relative and non-empty. */
static uint16_t load_path(wasi_ctx *c, uint32_t ptr, uint32_t len, char *out)
{
  uint16_t err = wasi_path_load(c, ptr, len, out);
  if (err != WASI_ESUCCESS)
    return err;
  if (out[0] == '/')
    return WASI_ENOTCAPABLE;
  if (out[0] == '\0')
    return WASI_ENOENT;
  return WASI_ESUCCESS;
}

/* ------------------------------------------------- parent + leaf -- */

typedef struct parent_ref {
  int fd;           /* the directory holding `leaf` */
  bool owned;       /* fd must be closed */
  const char *leaf; /* one component, never "." or ".." */
  bool trailing_slash;
} parent_ref;

static void parent_close(parent_ref *p)
{
  if (p->owned)
    close(p->fd);
  p->owned = false;
}

/* Splits `path` (modified in place) and opens its directory beneath dirfd. */
static uint16_t open_parent(int dirfd, char *path, parent_ref *out)
{
  size_t n = strlen(path);
  out->trailing_slash = false;
  while (n > 1 && path[n - 1] == '/') {
    path[--n] = '\0';
    out->trailing_slash = true;
  }
  char *slash = strrchr(path, '/');
  out->fd = dirfd;
  out->owned = false;
  out->leaf = path;
  if (slash != NULL) {
    *slash = '\0';
    out->leaf = slash + 1;
    int fd = open_beneath(dirfd, path, O_PATH | O_DIRECTORY, 0);
    if (fd < 0)
      return resolve_errno(errno);
    out->fd = fd;
    out->owned = true;
  }
  if (strcmp(out->leaf, ".") == 0 || strcmp(out->leaf, "..") == 0) {
    parent_close(out);
    return WASI_EINVAL;
  }
  return WASI_ESUCCESS;
}

/* Loads path `ptr/len` relative to dir fd `fd` and opens its parent. */
static uint16_t parent_of(wasi_ctx *c, uint32_t fd, bool for_write, uint32_t ptr,
                          uint32_t len, char *buf, parent_ref *out)
{
  uint16_t err;
  wasi_fd *d = dir_fd(c, fd, for_write, &err);
  if (d == NULL)
    return err;
  err = load_path(c, ptr, len, buf);
  if (err != WASI_ESUCCESS)
    return err;
  return open_parent(d->host_fd, buf, out);
}

/* Opens the target itself with O_PATH, following a final symlink only when
** the guest asked to. */
static uint16_t open_target(wasi_ctx *c, uint32_t fd, bool for_write, uint32_t flags,
                            uint32_t ptr, uint32_t len, int *out)
{
  char path[WASI_PATH_MAX + 1];
  uint16_t err;
  wasi_fd *d = dir_fd(c, fd, for_write, &err);
  if (d == NULL)
    return err;
  err = load_path(c, ptr, len, path);
  if (err != WASI_ESUCCESS)
    return err;
  int oflags = O_PATH | (flags & WASI_LOOKUP_SYMLINK_FOLLOW ? 0 : O_NOFOLLOW);
  *out = open_beneath(d->host_fd, path, oflags, 0);
  return *out < 0 ? resolve_errno(errno) : WASI_ESUCCESS;
}

/* ---------------------------------------------------------- path_open -- */

static int open_flags(uint32_t oflags, uint64_t rights, uint32_t fdflags, uint32_t lookup)
{
  bool w = (rights & WRITE_RIGHTS) != 0;
  bool r = (rights & READ_RIGHTS) != 0;
  int flags = w ? (r ? O_RDWR : O_WRONLY) : O_RDONLY;
  if (oflags & WASI_OFLAG_CREAT) flags |= O_CREAT;
  if (oflags & WASI_OFLAG_DIRECTORY) flags |= O_DIRECTORY;
  if (oflags & WASI_OFLAG_EXCL) flags |= O_EXCL;
  if (oflags & WASI_OFLAG_TRUNC) flags |= O_TRUNC;
  if (fdflags & WASI_FDFLAG_APPEND) flags |= O_APPEND;
  if (fdflags & WASI_FDFLAG_DSYNC) flags |= O_DSYNC;
  if (fdflags & WASI_FDFLAG_SYNC) flags |= O_SYNC;
  if (fdflags & WASI_FDFLAG_RSYNC) flags |= O_RSYNC;
  if (!(lookup & WASI_LOOKUP_SYMLINK_FOLLOW)) flags |= O_NOFOLLOW;
  /* Opening a FIFO for reading would block until a writer comes: the open
  ** itself must not block, the FIFO is refused right after it (install_fd),
  ** and the flag is cleared on what is kept unless the guest asked for it. */
  flags |= O_NONBLOCK;
  return flags;
}

/* A FIFO, device or socket: anything but a file, directory or symlink. */
static bool is_special(const struct stat *st)
{
  return !S_ISREG(st->st_mode) && !S_ISDIR(st->st_mode) && !S_ISLNK(st->st_mode);
}

/* The WASI errno for a failed open. Some special files fail the open itself
** (a socket, a FIFO opened for writing with no reader: ENXIO; a device
** without a driver: ENODEV); they are refused as every special file is,
** which a look at the node (O_PATH, confined the same way) tells. */
static uint16_t open_errno(int dirfd, const char *path, int flags, int e)
{
  if (e != ENXIO && e != ENODEV)
    return resolve_errno(e);
  int fd = open_beneath(dirfd, path, O_PATH | (flags & O_NOFOLLOW), 0);
  if (fd < 0)
    return resolve_errno(e);
  struct stat st;
  bool special = fstat(fd, &st) == 0 && is_special(&st);
  close(fd);
  return special ? WASI_ENOTCAPABLE : resolve_errno(e);
}

static bool open_wants_write(uint32_t oflags, uint64_t rights, uint32_t fdflags)
{
  return (rights & WRITE_RIGHTS) ||
         (oflags & (WASI_OFLAG_CREAT | WASI_OFLAG_TRUNC | WASI_OFLAG_EXCL)) ||
         (fdflags & WRITE_FDFLAGS);
}

/* Puts an opened host fd into the guest's table. Takes ownership of hfd.
** Only regular files and directories are kept: a FIFO, device or socket
** that was placed in a grant could block the guest, or reach past the
** files the grant is about (ENOTCAPABLE; stat still sees it). */
static uint16_t install_fd(wasi_ctx *c, const wasi_fd *dir, int hfd, uint64_t rights,
                           uint32_t fdflags, uint32_t fd_out)
{
  struct stat st;
  if (fstat(hfd, &st) != 0) {
    int e = errno;
    close(hfd);
    return wasi_errno(e);
  }
  if (is_special(&st)) {
    close(hfd);
    return WASI_ENOTCAPABLE;
  }
  if (!(fdflags & WASI_FDFLAG_NONBLOCK)) {
    int fl = fcntl(hfd, F_GETFL);
    if (fl >= 0)
      fcntl(hfd, F_SETFL, fl & ~O_NONBLOCK);
  }
  bool read_only = dir->read_only; /* dir may move when the table grows */
  uint32_t slot;
  uint16_t err = wasi_fd_alloc(c, &slot);
  if (err != WASI_ESUCCESS) {
    close(hfd);
    return err;
  }
  wasi_fd *f = &c->fds[slot];
  f->kind = S_ISDIR(st.st_mode) ? WASI_FD_DIR : WASI_FD_FILE;
  f->host_fd = hfd;
  f->read_only = read_only;
  f->filetype = wasi_filetype_of_mode(st.st_mode);
  f->fdflags = (uint16_t)fdflags;
  f->rights = f->kind == WASI_FD_DIR ? WASI_RIGHTS_ALL : rights;
  wasi_store_u32(c, fd_out, slot);
  return WASI_ESUCCESS;
}

uint32_t wasi_path_open(wasi_ctx *c, uint32_t fd, uint32_t dirflags, uint32_t path,
                        uint32_t len, uint32_t oflags, uint64_t rights_base,
                        uint64_t rights_inheriting, uint32_t fdflags, uint32_t fd_out)
{
  (void)rights_inheriting; /* directories always report every right */
  char buf[WASI_PATH_MAX + 1];
  bool write = open_wants_write(oflags, rights_base, fdflags);
  uint16_t err;
  wasi_fd *d = dir_fd(c, fd, write, &err);
  if (d == NULL)
    return err;
  if (wasi_mem(c, fd_out, 4) == NULL)
    return WASI_EFAULT;
  err = load_path(c, path, len, buf);
  if (err != WASI_ESUCCESS)
    return err;
  int flags = open_flags(oflags, rights_base, fdflags, dirflags);
  int hfd = open_beneath(d->host_fd, buf, flags, 0666);
  if (hfd < 0)
    return open_errno(d->host_fd, buf, flags, errno);
  return install_fd(c, d, hfd, rights_base, fdflags, fd_out);
}

/* ------------------------------------------------ stat, times, link -- */

uint32_t wasi_path_filestat_get(wasi_ctx *c, uint32_t fd, uint32_t flags, uint32_t path,
                                uint32_t len, uint32_t out)
{
  uint8_t *p = wasi_mem(c, out, 64);
  if (p == NULL)
    return WASI_EFAULT;
  int target;
  uint16_t err = open_target(c, fd, false, flags, path, len, &target);
  if (err != WASI_ESUCCESS)
    return err;
  struct stat st;
  int rc = fstat(target, &st);
  int e = errno;
  close(target);
  if (rc != 0)
    return wasi_errno(e);
  wasi_filestat_put(p, &st);
  return WASI_ESUCCESS;
}

uint32_t wasi_path_filestat_set_times(wasi_ctx *c, uint32_t fd, uint32_t flags, uint32_t path,
                                      uint32_t len, uint64_t atim, uint64_t mtim, uint32_t fst)
{
  struct timespec ts[2];
  uint16_t err = wasi_times(atim, mtim, fst, ts);
  if (err != WASI_ESUCCESS)
    return err;
  int target;
  err = open_target(c, fd, true, flags, path, len, &target);
  if (err != WASI_ESUCCESS)
    return err;
  int rc = utimensat(target, "", ts, AT_EMPTY_PATH);
  int e = errno;
  close(target);
  return rc == 0 ? WASI_ESUCCESS : wasi_errno(e);
}

uint32_t wasi_path_readlink(wasi_ctx *c, uint32_t fd, uint32_t path, uint32_t len,
                            uint32_t buf, uint32_t buf_len, uint32_t bufused_out)
{
  uint8_t *out = wasi_mem(c, buf, buf_len);
  if (out == NULL || wasi_mem(c, bufused_out, 4) == NULL)
    return WASI_EFAULT;
  int target;
  uint16_t err = open_target(c, fd, false, 0, path, len, &target);
  if (err != WASI_ESUCCESS)
    return err;
  struct stat st;
  ssize_t n = -1;
  int e = EINVAL; /* not a symlink, as POSIX readlink says */
  if (fstat(target, &st) == 0 && S_ISLNK(st.st_mode)) {
    n = readlinkat(target, "", (char *)out, buf_len);
    e = errno;
  }
  close(target);
  if (n < 0)
    return wasi_errno(e);
  wasi_store_u32(c, bufused_out, (uint32_t)n);
  return WASI_ESUCCESS;
}

/* --------------------------------------------- names: create, remove -- */

/* The three operations on one name in its parent directory: each returns
** 0, or -1 with errno set. */
static int make_directory(const parent_ref *p)
{
  return mkdirat(p->fd, p->leaf, 0777);
}

static int remove_directory(const parent_ref *p)
{
  return unlinkat(p->fd, p->leaf, AT_REMOVEDIR);
}

static int unlink_file(const parent_ref *p)
{
  if (p->trailing_slash) { /* "file/" names a directory */
    errno = ENOTDIR;
    return -1;
  }
  return unlinkat(p->fd, p->leaf, 0);
}

static uint32_t on_leaf(wasi_ctx *c, uint32_t fd, uint32_t path, uint32_t len,
                        int (*op)(const parent_ref *))
{
  char buf[WASI_PATH_MAX + 1];
  parent_ref p;
  uint16_t err = parent_of(c, fd, true, path, len, buf, &p);
  if (err != WASI_ESUCCESS)
    return err;
  int rc = op(&p);
  int e = errno;
  parent_close(&p);
  return rc == 0 ? WASI_ESUCCESS : wasi_errno(e);
}

uint32_t wasi_path_create_directory(wasi_ctx *c, uint32_t fd, uint32_t path, uint32_t len)
{
  return on_leaf(c, fd, path, len, make_directory);
}

uint32_t wasi_path_remove_directory(wasi_ctx *c, uint32_t fd, uint32_t path, uint32_t len)
{
  return on_leaf(c, fd, path, len, remove_directory);
}

uint32_t wasi_path_unlink_file(wasi_ctx *c, uint32_t fd, uint32_t path, uint32_t len)
{
  return on_leaf(c, fd, path, len, unlink_file);
}

uint32_t wasi_path_rename(wasi_ctx *c, uint32_t fd, uint32_t old_path, uint32_t old_len,
                          uint32_t new_fd, uint32_t new_path, uint32_t new_len)
{
  char a[WASI_PATH_MAX + 1], b[WASI_PATH_MAX + 1];
  parent_ref from, to;
  uint16_t err = parent_of(c, fd, true, old_path, old_len, a, &from);
  if (err != WASI_ESUCCESS)
    return err;
  err = parent_of(c, new_fd, true, new_path, new_len, b, &to);
  if (err != WASI_ESUCCESS) {
    parent_close(&from);
    return err;
  }
  int rc = renameat(from.fd, from.leaf, to.fd, to.leaf);
  int e = errno;
  parent_close(&from);
  parent_close(&to);
  return rc == 0 ? WASI_ESUCCESS : wasi_errno(e);
}

/* ------------------------------------------------------------ symlink -- */

/* How many directories `target` climbs above the one the link is in, at its
** lowest point, read lexically: "." stays, ".." climbs, a name descends. */
static size_t target_climb(const char *target)
{
  long depth = 0, lowest = 0;
  for (const char *s = target; *s != '\0';) {
    const char *end = strchrnul(s, '/');
    size_t n = (size_t)(end - s);
    if (n == 2 && s[0] == '.' && s[1] == '.') {
      depth--;
      if (depth < lowest)
        lowest = depth;
    } else if (n > 1 || (n == 1 && s[0] != '.')) {
      depth++;
    }
    s = *end == '/' ? end + 1 : end;
  }
  return (size_t)-lowest;
}

static bool is_grant_root(const wasi_ctx *c, const struct stat *st)
{
  for (size_t i = 0; i < c->cfg->n_grants; i++) {
    struct stat g;
    if (fstat(c->cfg->grants[i].host_fd, &g) == 0 && g.st_dev == st->st_dev &&
        g.st_ino == st->st_ino)
      return true;
  }
  return false;
}

/* Whether directory `dirfd` lies at least `levels` directories below the
** nearest granted directory above it. Counted on the host by opening ".."
** (not from the guest's path, which a symlink or a renamed directory can
** make wrong), the way a host tool following a link would climb. A walk
** that reaches the host's "/" first was never inside a grant: no. */
static bool deep_enough(const wasi_ctx *c, int dirfd, size_t levels)
{
  struct stat st, up_st;
  int cur = dirfd;
  size_t depth = 0;
  if (fstat(cur, &st) != 0)
    return false;
  while (depth < levels && !is_grant_root(c, &st)) {
    int up = openat(cur, "..", O_PATH | O_DIRECTORY | O_CLOEXEC);
    if (cur != dirfd)
      close(cur);
    cur = up;
    if (up < 0 || fstat(up, &up_st) != 0 ||
        (up_st.st_dev == st.st_dev && up_st.st_ino == st.st_ino)) /* "/" */
      break;
    st = up_st;
    depth++;
  }
  if (cur >= 0 && cur != dirfd)
    close(cur);
  return depth == levels;
}

/* The link's text is the guest's, and host tools may follow the link later
** without any of the layer's confinement. So an absolute target (it could
** only ever mean a host path) is refused, and so is a relative one whose
** ".." components climb, at any point, above the grant the link is in. */
uint32_t wasi_path_symlink(wasi_ctx *c, uint32_t old_path, uint32_t old_len, uint32_t fd,
                           uint32_t new_path, uint32_t new_len)
{
  char target[WASI_PATH_MAX + 1], buf[WASI_PATH_MAX + 1];
  uint16_t err = wasi_path_load(c, old_path, old_len, target);
  if (err != WASI_ESUCCESS)
    return err;
  if (target[0] == '/')
    return WASI_ENOTCAPABLE;
  parent_ref p;
  err = parent_of(c, fd, true, new_path, new_len, buf, &p);
  if (err != WASI_ESUCCESS)
    return err;
  size_t climb = target_climb(target);
  uint32_t res = WASI_ENOTCAPABLE;
  if (climb == 0 || deep_enough(c, p.fd, climb))
    res = symlinkat(target, p.fd, p.leaf) == 0 ? WASI_ESUCCESS : wasi_errno(errno);
  parent_close(&p);
  return res;
}

/* Both sides must be writable grants: a hard link from a read-only grant into
** a writable one would give the guest a writable name for a read-only file. */
uint32_t wasi_path_link(wasi_ctx *c, uint32_t old_fd, uint32_t old_flags, uint32_t old_path,
                        uint32_t old_len, uint32_t new_fd, uint32_t new_path, uint32_t new_len)
{
  char a[WASI_PATH_MAX + 1], b[WASI_PATH_MAX + 1];
  parent_ref from, to;
  uint16_t err = parent_of(c, old_fd, true, old_path, old_len, a, &from);
  if (err != WASI_ESUCCESS)
    return err;
  err = parent_of(c, new_fd, true, new_path, new_len, b, &to);
  if (err != WASI_ESUCCESS) {
    parent_close(&from);
    return err;
  }
  struct stat st;
  int rc = -1, e = ENOTSUP;
  /* Following a final symlink would need the link's target resolved
  ** beneath the grant and linked by fd (a privileged operation): only the
  ** common case, where the source is not a symlink, is served. */
  bool follow = (old_flags & WASI_LOOKUP_SYMLINK_FOLLOW) != 0;
  if (fstatat(from.fd, from.leaf, &st, AT_SYMLINK_NOFOLLOW) != 0) {
    e = errno;
  } else if (!(follow && S_ISLNK(st.st_mode))) {
    rc = linkat(from.fd, from.leaf, to.fd, to.leaf, 0);
    e = errno;
  }
  parent_close(&from);
  parent_close(&to);
  return rc == 0 ? WASI_ESUCCESS : wasi_errno(e);
}
