/*
** test_wasi.c -- the WASI layer alone, with hostile arguments.
**
** A well-behaved guest never passes a bad pointer, so the vectors cannot
** show that the layer checks them. Here the WASI functions are called
** directly on a 64 KiB fake guest memory with pointers and lengths at and
** past its end, wrapping around u32, huge iovec counts, NULs in paths,
** absolute paths and writes to a read-only grant. Every call must fail with
** the right WASI errno and touch nothing outside the memory (run it under
** ASan: build/asan/test_wasi). Then what the layer refuses by policy:
** opening FIFOs, sockets and devices, and symlinks that climb out of their
** grant.
*/
#include "test_util.h"
#include "wasi_impl.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/un.h>
#include <unistd.h>

#define MEM 65536u
#define END MEM

static uint8_t *mem_buf;
static wasm_rt_memory_t mem;
static wasi_ctx ctx;
static wasi_grant grants[2];
static wasi_config cfg;
static char dir[64];

#define EXPECT(what, got, want) \
  T_CHECK(what, (got) == (want), "got errno %u, want %u", (unsigned)(got), (unsigned)(want))

static void put_iovec(uint32_t at, uint32_t buf, uint32_t len)
{
  wasi_put_u32(mem_buf + at, buf);
  wasi_put_u32(mem_buf + at + 4, len);
}

static void put_str(uint32_t at, const char *s)
{
  memcpy(mem_buf + at, s, strlen(s));
}

static int setup(void)
{
  strcpy(dir, "/tmp/pyreactor-wasi-XXXXXX");
  if (mkdtemp(dir) == NULL)
    return -1;
  char path[128];
  snprintf(path, sizeof path, "%s/rw", dir);
  mkdir(path, 0755);
  snprintf(path, sizeof path, "%s/ro", dir);
  mkdir(path, 0755);
  snprintf(path, sizeof path, "%s/ro/f.txt", dir);
  FILE *f = fopen(path, "w");
  if (f == NULL)
    return -1;
  fputs("read only", f);
  fclose(f);
  snprintf(path, sizeof path, "%s/rw", dir);
  grants[0] = (wasi_grant){open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC), "/rw", false};
  snprintf(path, sizeof path, "%s/ro", dir);
  grants[1] = (wasi_grant){open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC), "/ro", true};
  static const char env[] = "A=1\0BB=22";
  cfg.grants = grants;
  cfg.n_grants = 2;
  cfg.env_block = env;
  cfg.env_bytes = sizeof env;
  cfg.env_count = 2;
  mem_buf = calloc(1, MEM);
  mem.data = mem_buf;
  mem.size = MEM;
  mem.pages = mem.max_pages = 1;
  return grants[0].host_fd < 0 || grants[1].host_fd < 0 ? -1 : wasi_ctx_init(&ctx, &cfg, &mem);
}

static void case_iovecs(void)
{
  put_iovec(100, 200, 5);
  put_str(200, "hello");
  EXPECT("write ok", wasi_fd_write(&ctx, 1, 100, 1, 300), WASI_ESUCCESS);
  T_CHECK("nwritten", wasi_get_u32(mem_buf + 300) == 5, "nwritten %u", wasi_get_u32(mem_buf + 300));
  EXPECT("iovs past end", wasi_fd_write(&ctx, 1, END - 4, 1, 300), WASI_EFAULT);
  EXPECT("iovs wrap", wasi_fd_write(&ctx, 1, 0xFFFFFFF8u, 1, 300), WASI_EFAULT);
  EXPECT("iovs count overflow", wasi_fd_write(&ctx, 1, 100, 0x20000001u, 300), WASI_EFAULT);
  EXPECT("iovs count max", wasi_fd_write(&ctx, 1, 0, 0xFFFFFFFFu, 300), WASI_EFAULT);
  put_iovec(100, END - 2, 5);
  EXPECT("buffer past end", wasi_fd_write(&ctx, 1, 100, 1, 300), WASI_EFAULT);
  put_iovec(100, 0xFFFFFFFFu, 2);
  EXPECT("buffer wraps", wasi_fd_write(&ctx, 1, 100, 1, 300), WASI_EFAULT);
  put_iovec(100, END, 0);
  EXPECT("empty buffer at end", wasi_fd_write(&ctx, 1, 100, 1, 300), WASI_ESUCCESS);
  put_iovec(100, 200, 5);
  EXPECT("nwritten past end", wasi_fd_write(&ctx, 1, 100, 1, END - 3), WASI_EFAULT);
  EXPECT("nread wraps", wasi_fd_read(&ctx, 0, 100, 1, 0xFFFFFFFEu), WASI_EFAULT);
  put_iovec(100, END - 1, 0x7FFFFFFFu);
  EXPECT("read buffer huge", wasi_fd_read(&ctx, 0, 100, 1, 300), WASI_EFAULT);
  /* Many valid iovecs: more than IOV_MAX are cut, never overrun. */
  for (uint32_t i = 0; i < 2000; i++)
    put_iovec(8192 + 8 * i, 200, 1);
  EXPECT("2000 iovecs", wasi_fd_write(&ctx, 1, 8192, 2000, 300), WASI_ESUCCESS);
  T_CHECK("2000 iovecs", wasi_get_u32(mem_buf + 300) <= 1024, "wrote %u", wasi_get_u32(mem_buf + 300));
}

static void case_out_pointers(void)
{
  EXPECT("clock at end", wasi_clock_time_get(&ctx, 0, 0, END - 7), WASI_EFAULT);
  EXPECT("clock fits", wasi_clock_time_get(&ctx, 1, 0, END - 8), WASI_ESUCCESS);
  EXPECT("clock id", wasi_clock_time_get(&ctx, 9, 0, 0), WASI_EINVAL);
  EXPECT("clock res", wasi_clock_res_get(&ctx, 0, 0xFFFFFFFCu), WASI_EFAULT);
  EXPECT("random all", wasi_random_get(&ctx, 0, MEM), WASI_ESUCCESS);
  EXPECT("random past", wasi_random_get(&ctx, 1, MEM), WASI_EFAULT);
  EXPECT("random wrap", wasi_random_get(&ctx, 0xFFFFFFFFu, 2), WASI_EFAULT);
  memset(mem_buf, 0, MEM);
  EXPECT("fdstat", wasi_fd_fdstat_get(&ctx, 3, END - 23), WASI_EFAULT);
  EXPECT("filestat", wasi_fd_filestat_get(&ctx, 3, END - 63), WASI_EFAULT);
  EXPECT("prestat", wasi_fd_prestat_get(&ctx, 3, END - 7), WASI_EFAULT);
  EXPECT("prestat name short", wasi_fd_prestat_dir_name(&ctx, 3, 0, 2), WASI_ENAMETOOLONG);
  EXPECT("prestat name past", wasi_fd_prestat_dir_name(&ctx, 3, END - 2, 3), WASI_EFAULT);
  EXPECT("prestat name", wasi_fd_prestat_dir_name(&ctx, 3, 0, 3), WASI_ESUCCESS);
  T_CHECK("prestat name", memcmp(mem_buf, "/rw", 3) == 0, "name");
  EXPECT("not a preopen", wasi_fd_prestat_get(&ctx, 1, 0), WASI_EBADF);
  EXPECT("env sizes", wasi_environ_sizes_get(&ctx, END - 3, 0), WASI_EFAULT);
  EXPECT("env ptrs past", wasi_environ_get(&ctx, END - 7, 0), WASI_EFAULT);
  EXPECT("env buf past", wasi_environ_get(&ctx, 0, END - 9), WASI_EFAULT);
  EXPECT("env", wasi_environ_get(&ctx, 0, 100), WASI_ESUCCESS);
  T_CHECK("env", wasi_get_u32(mem_buf + 4) == 104 && strcmp((char *)mem_buf + 104, "BB=22") == 0,
          "env layout");
  EXPECT("seek out", wasi_fd_seek(&ctx, 3, 0, 0, END - 4), WASI_EFAULT);
  EXPECT("seek whence", wasi_fd_seek(&ctx, 3, 0, 7, 0), WASI_EINVAL);
  EXPECT("readdir buf", wasi_fd_readdir(&ctx, 3, END - 10, 11, 0, 0), WASI_EFAULT);
  EXPECT("readdir used", wasi_fd_readdir(&ctx, 3, 0, 100, 0, END - 1), WASI_EFAULT);
  EXPECT("readdir tiny", wasi_fd_readdir(&ctx, 3, 0, 3, 0, 100), WASI_ESUCCESS);
  T_CHECK("readdir tiny", wasi_get_u32(mem_buf + 100) == 3, "bufused %u", wasi_get_u32(mem_buf + 100));
  EXPECT("poll none", wasi_poll_oneoff(&ctx, 0, 0, 0, 0), WASI_EINVAL);
  EXPECT("poll many", wasi_poll_oneoff(&ctx, 0, 0, 0x10000000u, 0), WASI_EFAULT);
  EXPECT("poll events", wasi_poll_oneoff(&ctx, 0, END - 16, 1, 100), WASI_EFAULT);
}

static void case_paths(void)
{
  uint32_t before = ctx.n_fds;
  put_str(1000, "x.txt");
  EXPECT("path past", wasi_path_open(&ctx, 3, 0, END - 2, 5, 0, WASI_RIGHT_FD_READ, 0, 0, 0), WASI_EFAULT);
  EXPECT("path wrap", wasi_path_open(&ctx, 3, 0, 0xFFFFFFF0u, 32, 0, 0, 0, 0, 0), WASI_EFAULT);
  EXPECT("path long", wasi_path_open(&ctx, 3, 0, 0, 5000, 0, 0, 0, 0, 0), WASI_ENAMETOOLONG);
  EXPECT("fd_out past", wasi_path_open(&ctx, 3, 0, 1000, 5, WASI_OFLAG_CREAT, WASI_RIGHT_FD_WRITE, 0, 0, END - 2),
         WASI_EFAULT);
  struct stat st;
  char path[128];
  snprintf(path, sizeof path, "%s/rw/x.txt", dir);
  T_CHECK("fd_out past", stat(path, &st) != 0, "created a file before checking fd_out");
  memcpy(mem_buf + 1000, "a\0b", 3);
  EXPECT("nul in path", wasi_path_open(&ctx, 3, 0, 1000, 3, 0, 0, 0, 0, 0), WASI_EILSEQ);
  put_str(1000, "/etc/passwd");
  EXPECT("absolute", wasi_path_open(&ctx, 3, 0, 1000, 11, 0, WASI_RIGHT_FD_READ, 0, 0, 0), WASI_ENOTCAPABLE);
  put_str(1000, "../ro/f.txt");
  EXPECT("dotdot", wasi_path_open(&ctx, 3, 0, 1000, 11, 0, WASI_RIGHT_FD_READ, 0, 0, 0), WASI_ENOTCAPABLE);
  EXPECT("empty", wasi_path_open(&ctx, 3, 0, 1000, 0, 0, 0, 0, 0, 0), WASI_ENOENT);
  put_str(1000, "f.txt");
  EXPECT("ro write", wasi_path_open(&ctx, 4, 0, 1000, 5, 0, WASI_RIGHT_FD_WRITE, 0, 0, 0), WASI_EROFS);
  EXPECT("ro trunc", wasi_path_open(&ctx, 4, 0, 1000, 5, WASI_OFLAG_TRUNC, WASI_RIGHT_FD_READ, 0, 0, 0), WASI_EROFS);
  EXPECT("ro append", wasi_path_open(&ctx, 4, 0, 1000, 5, 0, WASI_RIGHT_FD_READ, 0, WASI_FDFLAG_APPEND, 0), WASI_EROFS);
  EXPECT("ro unlink", wasi_path_unlink_file(&ctx, 4, 1000, 5), WASI_EROFS);
  EXPECT("ro mkdir", wasi_path_create_directory(&ctx, 4, 1000, 5), WASI_EROFS);
  EXPECT("ro times", wasi_path_filestat_set_times(&ctx, 4, 0, 1000, 5, 0, 0, WASI_FSTFLAG_MTIM_NOW), WASI_EROFS);
  EXPECT("ro rename to", wasi_path_rename(&ctx, 3, 1000, 5, 4, 1000, 5), WASI_EROFS);
  EXPECT("ro link from", wasi_path_link(&ctx, 4, 0, 1000, 5, 3, 1000, 5), WASI_EROFS);
  T_CHECK("no fd leaked", ctx.n_fds == before && wasi_fd_get(&ctx, 5) == NULL, "fd table grew");
  EXPECT("ro read", wasi_path_open(&ctx, 4, 0, 1000, 5, 0, WASI_RIGHT_FD_READ, 0, 0, 2000), WASI_ESUCCESS);
  uint32_t fd = wasi_get_u32(mem_buf + 2000);
  put_iovec(100, 200, 3);
  EXPECT("ro fd write", wasi_fd_write(&ctx, fd, 100, 1, 300), WASI_EROFS);
  EXPECT("ro fd size", wasi_fd_filestat_set_size(&ctx, fd, 0), WASI_EROFS);
  EXPECT("ro fd read", wasi_fd_read(&ctx, fd, 100, 1, 300), WASI_ESUCCESS);
  T_CHECK("ro fd read", memcmp(mem_buf + 200, "rea", 3) == 0, "content");
  EXPECT("path on a file", wasi_path_open(&ctx, fd, 0, 1000, 5, 0, 0, 0, 0, 0), WASI_ENOTDIR);
  EXPECT("close", wasi_fd_close(&ctx, fd), WASI_ESUCCESS);
  EXPECT("close twice", wasi_fd_close(&ctx, fd), WASI_EBADF);
  EXPECT("readlink buf", wasi_path_readlink(&ctx, 3, 1000, 5, END - 1, 2, 0), WASI_EFAULT);
  EXPECT("stat out", wasi_path_filestat_get(&ctx, 3, 0, 1000, 5, END - 1), WASI_EFAULT);
  put_str(1000, "/etc/passwd");
  EXPECT("symlink absolute", wasi_path_symlink(&ctx, 1000, 11, 3, 1000 + 5, 6), WASI_ENOTCAPABLE);
}

/* Host descriptors this process holds: no path may leak one. */
static int host_fds(void)
{
  DIR *d = opendir("/proc/self/fd");
  int n = 0;
  if (d == NULL)
    return -1;
  while (readdir(d) != NULL)
    n++;
  closedir(d);
  return n;
}

/* FIFOs, sockets and devices placed in a grant are refused by path_open,
** at once (a FIFO opened for reading would wait for a writer), whatever the
** open asks for; stat still sees them. */
static void case_special_files(void)
{
  char path[128];
  snprintf(path, sizeof path, "%s/rw/fifo", dir);
  T_CHECK("mkfifo", mkfifo(path, 0644) == 0, "mkfifo: %s", strerror(errno));
  int sock = socket(AF_UNIX, SOCK_STREAM, 0);
  struct sockaddr_un addr = {.sun_family = AF_UNIX};
  snprintf(addr.sun_path, sizeof addr.sun_path, "%.60s/rw/sock", dir);
  T_CHECK("socket", sock >= 0 && bind(sock, (struct sockaddr *)&addr, sizeof addr) == 0,
          "bind: %s", strerror(errno));
  snprintf(path, sizeof path, "%s/rw/null", dir);
  bool have_dev = mknod(path, S_IFCHR | 0666, makedev(1, 3)) == 0; /* needs CAP_MKNOD */
  uint32_t before = ctx.n_fds;
  const char *names[] = {"fifo", "sock", "null"};
  for (int i = 0; i < (have_dev ? 3 : 2); i++) {
    put_str(1000, names[i]);
    uint32_t len = (uint32_t)strlen(names[i]);
    EXPECT(names[i], wasi_path_open(&ctx, 3, 0, 1000, len, 0, WASI_RIGHT_FD_READ, 0, 0, 2000),
           WASI_ENOTCAPABLE);
    EXPECT(names[i], wasi_path_open(&ctx, 3, 0, 1000, len, 0, WASI_RIGHT_FD_WRITE, 0, 0, 2000),
           WASI_ENOTCAPABLE);
    EXPECT(names[i], wasi_path_open(&ctx, 3, 0, 1000, len, 0, WASI_RIGHT_FD_READ, 0,
                                    WASI_FDFLAG_NONBLOCK, 2000), WASI_ENOTCAPABLE);
    EXPECT(names[i], wasi_path_filestat_get(&ctx, 3, 0, 1000, len, 2000), WASI_ESUCCESS);
  }
  T_CHECK("special files", mem_buf[2000 + 16] == WASI_FILETYPE_SOCKET_STREAM ||
          mem_buf[2000 + 16] == WASI_FILETYPE_CHARACTER_DEVICE, "filetype %u", mem_buf[2016]);
  T_CHECK("special files", ctx.n_fds == before && wasi_fd_get(&ctx, 5) == NULL, "fd table grew");
  if (sock >= 0)
    close(sock);
}

/* Relative symlink targets may not climb above the grant the link is in,
** counted from the link's directory as the host sees it. */
static uint32_t make_link(uint32_t fd, const char *target, const char *at)
{
  put_str(1000, target);
  put_str(1500, at);
  return wasi_path_symlink(&ctx, 1000, (uint32_t)strlen(target), fd, 1500, (uint32_t)strlen(at));
}

static void case_symlink_targets(void)
{
  put_str(1000, "sub/deeper");
  EXPECT("mkdir sub", wasi_path_create_directory(&ctx, 3, 1000, 3), WASI_ESUCCESS);
  EXPECT("mkdir deeper", wasi_path_create_directory(&ctx, 3, 1000, 10), WASI_ESUCCESS);
  EXPECT("out of root", make_link(3, "../outside", "l1"), WASI_ENOTCAPABLE);
  EXPECT("dot dot", make_link(3, "./..", "l1"), WASI_ENOTCAPABLE);
  EXPECT("down and out", make_link(3, "sub/../../x", "l1"), WASI_ENOTCAPABLE);
  EXPECT("down and back", make_link(3, "sub/../x", "l0"), WASI_ESUCCESS);
  EXPECT("up from sub", make_link(3, "../inner.txt", "sub/l2"), WASI_ESUCCESS);
  EXPECT("out of sub", make_link(3, "../../x", "sub/l3"), WASI_ENOTCAPABLE);
  EXPECT("up from deeper", make_link(3, "../../x", "sub/deeper/l4"), WASI_ESUCCESS);
  EXPECT("out of deeper", make_link(3, "../x/../../../y", "sub/deeper/l5"), WASI_ENOTCAPABLE);
  EXPECT("trailing dots", make_link(3, "x/..//./", "l6"), WASI_ESUCCESS);
  /* The depth is the host's, not the guest path's: "alias" is the grant's
  ** root itself, so alias/alias/l7 sits at depth 0. */
  EXPECT("alias", make_link(3, ".", "alias"), WASI_ESUCCESS);
  EXPECT("through alias", make_link(3, "../x", "alias/alias/l7"), WASI_ENOTCAPABLE);
  /* Through a directory fd opened beneath the grant. */
  put_str(1000, "sub");
  EXPECT("open sub", wasi_path_open(&ctx, 3, 0, 1000, 3, WASI_OFLAG_DIRECTORY, WASI_RIGHT_FD_READ, 0, 0,
                                    2000), WASI_ESUCCESS);
  uint32_t sub = wasi_get_u32(mem_buf + 2000);
  EXPECT("sub fd up", make_link(sub, "../y", "l8"), WASI_ESUCCESS);
  EXPECT("sub fd out", make_link(sub, "../../y", "l9"), WASI_ENOTCAPABLE);
  EXPECT("close sub", wasi_fd_close(&ctx, sub), WASI_ESUCCESS);
  char path[128], got[64];
  snprintf(path, sizeof path, "%s/rw/sub/l2", dir);
  ssize_t n = readlink(path, got, sizeof got - 1);
  T_CHECK("link text", n == 12 && memcmp(got, "../inner.txt", 12) == 0, "sub/l2 reads %zd", n);
  const char *refused[] = {"l1", "sub/l3", "sub/deeper/l5", "l7", "sub/l9"};
  for (size_t i = 0; i < sizeof refused / sizeof refused[0]; i++) {
    struct stat st;
    snprintf(path, sizeof path, "%s/rw/%s", dir, refused[i]);
    T_CHECK("refused", lstat(path, &st) != 0, "%s exists", refused[i]);
  }
}

static void case_bad_fds(void)
{
  EXPECT("fd 999 write", wasi_fd_write(&ctx, 999, 100, 1, 300), WASI_EBADF);
  EXPECT("fd max read", wasi_fd_read(&ctx, 0xFFFFFFFFu, 100, 1, 300), WASI_EBADF);
  EXPECT("fd 999 close", wasi_fd_close(&ctx, 999), WASI_EBADF);
  EXPECT("sock on file", wasi_sock_shutdown(&ctx, 3, 0), WASI_ENOTSOCK);
  EXPECT("sock bad", wasi_sock_recv(&ctx, 999, 0, 0, 0, 0, 0), WASI_EBADF);
  EXPECT("stdin seek", wasi_fd_seek(&ctx, 0, 0, 0, 0), WASI_ESPIPE);
  EXPECT("stdout read", wasi_fd_read(&ctx, 1, 100, 1, 300), WASI_EBADF);
}

int main(void)
{
  if (setup() != 0) {
    printf("setup failed: %s\n", strerror(errno));
    return 1;
  }
  case_iovecs();
  case_out_pointers();
  case_paths();
  int fds = host_fds();
  case_special_files();
  case_symlink_targets();
  T_CHECK("host fds", host_fds() == fds, "%d host fds before, %d after", fds, host_fds());
  case_bad_fds();
  wasi_ctx_free(&ctx);
  close(grants[0].host_fd);
  close(grants[1].host_fd);
  free(mem_buf);
  char cmd[128];
  snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
  if (system(cmd) != 0)
    printf("could not remove %s\n", dir);
  return t_summary("native-wasi");
}
