/*
** wasi_link.c -- the link table: every wasi_snapshot_preview1 import of
** python-reactor.wasm, bound to its implementation.
**
** wasm2c links imports by C symbol name (Z_<module>Z_<name>), so this flat
** list is the whole import surface of the guest: a function missing here is
** a link error, a function with the wrong signature a compile error (the
** generated header declares them all). Nothing else in the host is
** reachable from the guest, apart from host.callback (pyreactor_instance.c)
** and host.call (host_call.c).
** Each entry goes through CALL, which tells guest_call.c that host code runs.
*/
#include "guest_call.h"
#include "python_reactor.h"
#include "wasi_impl.h"

#define W(name) Z_wasi_snapshot_preview1Z_##name
/* Every entry marks the switch from wasm to host code and back (for stack
** room and timeouts, see guest_call.h). */
#define CALL(impl)            \
  do {                        \
    guest_import_enter();     \
    u32 result_ = (impl);     \
    guest_import_leave();     \
    return result_;           \
  } while (0)

u32 W(environ_get)(wasi_ctx *c, u32 a, u32 b) { CALL(wasi_environ_get(c, a, b)); }
u32 W(environ_sizes_get)(wasi_ctx *c, u32 a, u32 b) { CALL(wasi_environ_sizes_get(c, a, b)); }
u32 W(clock_res_get)(wasi_ctx *c, u32 id, u32 out) { CALL(wasi_clock_res_get(c, id, out)); }
u32 W(clock_time_get)(wasi_ctx *c, u32 id, u64 prec, u32 out)
{
  CALL(wasi_clock_time_get(c, id, prec, out));
}
u32 W(fd_advise)(wasi_ctx *c, u32 fd, u64 off, u64 len, u32 advice)
{
  CALL(wasi_fd_advise(c, fd, off, len, advice));
}
u32 W(fd_allocate)(wasi_ctx *c, u32 fd, u64 off, u64 len) { CALL(wasi_fd_allocate(c, fd, off, len)); }
u32 W(fd_close)(wasi_ctx *c, u32 fd) { CALL(wasi_fd_close(c, fd)); }
u32 W(fd_datasync)(wasi_ctx *c, u32 fd) { CALL(wasi_fd_datasync(c, fd)); }
u32 W(fd_fdstat_get)(wasi_ctx *c, u32 fd, u32 out) { CALL(wasi_fd_fdstat_get(c, fd, out)); }
u32 W(fd_fdstat_set_flags)(wasi_ctx *c, u32 fd, u32 fl) { CALL(wasi_fd_fdstat_set_flags(c, fd, fl)); }
u32 W(fd_filestat_get)(wasi_ctx *c, u32 fd, u32 out) { CALL(wasi_fd_filestat_get(c, fd, out)); }
u32 W(fd_filestat_set_size)(wasi_ctx *c, u32 fd, u64 size) { CALL(wasi_fd_filestat_set_size(c, fd, size)); }
u32 W(fd_filestat_set_times)(wasi_ctx *c, u32 fd, u64 atim, u64 mtim, u32 fst)
{
  CALL(wasi_fd_filestat_set_times(c, fd, atim, mtim, fst));
}
u32 W(fd_pread)(wasi_ctx *c, u32 fd, u32 iovs, u32 n, u64 off, u32 out)
{
  CALL(wasi_fd_pread(c, fd, iovs, n, off, out));
}
u32 W(fd_prestat_get)(wasi_ctx *c, u32 fd, u32 out) { CALL(wasi_fd_prestat_get(c, fd, out)); }
u32 W(fd_prestat_dir_name)(wasi_ctx *c, u32 fd, u32 path, u32 len)
{
  CALL(wasi_fd_prestat_dir_name(c, fd, path, len));
}
u32 W(fd_pwrite)(wasi_ctx *c, u32 fd, u32 iovs, u32 n, u64 off, u32 out)
{
  CALL(wasi_fd_pwrite(c, fd, iovs, n, off, out));
}
u32 W(fd_read)(wasi_ctx *c, u32 fd, u32 iovs, u32 n, u32 out) { CALL(wasi_fd_read(c, fd, iovs, n, out)); }
u32 W(fd_readdir)(wasi_ctx *c, u32 fd, u32 buf, u32 len, u64 cookie, u32 out)
{
  CALL(wasi_fd_readdir(c, fd, buf, len, cookie, out));
}
u32 W(fd_seek)(wasi_ctx *c, u32 fd, u64 off, u32 whence, u32 out)
{
  CALL(wasi_fd_seek(c, fd, off, whence, out));
}
u32 W(fd_sync)(wasi_ctx *c, u32 fd) { CALL(wasi_fd_sync(c, fd)); }
u32 W(fd_tell)(wasi_ctx *c, u32 fd, u32 out) { CALL(wasi_fd_tell(c, fd, out)); }
u32 W(fd_write)(wasi_ctx *c, u32 fd, u32 iovs, u32 n, u32 out) { CALL(wasi_fd_write(c, fd, iovs, n, out)); }
u32 W(path_create_directory)(wasi_ctx *c, u32 fd, u32 path, u32 len)
{
  CALL(wasi_path_create_directory(c, fd, path, len));
}
u32 W(path_filestat_get)(wasi_ctx *c, u32 fd, u32 flags, u32 path, u32 len, u32 out)
{
  CALL(wasi_path_filestat_get(c, fd, flags, path, len, out));
}
u32 W(path_filestat_set_times)(wasi_ctx *c, u32 fd, u32 flags, u32 path, u32 len, u64 atim,
                               u64 mtim, u32 fst)
{
  CALL(wasi_path_filestat_set_times(c, fd, flags, path, len, atim, mtim, fst));
}
u32 W(path_link)(wasi_ctx *c, u32 old_fd, u32 old_flags, u32 old_path, u32 old_len, u32 new_fd,
                 u32 new_path, u32 new_len)
{
  CALL(wasi_path_link(c, old_fd, old_flags, old_path, old_len, new_fd, new_path, new_len));
}
u32 W(path_open)(wasi_ctx *c, u32 fd, u32 dirflags, u32 path, u32 len, u32 oflags, u64 base,
                 u64 inheriting, u32 fdflags, u32 out)
{
  CALL(wasi_path_open(c, fd, dirflags, path, len, oflags, base, inheriting, fdflags, out));
}
u32 W(path_readlink)(wasi_ctx *c, u32 fd, u32 path, u32 len, u32 buf, u32 buf_len, u32 out)
{
  CALL(wasi_path_readlink(c, fd, path, len, buf, buf_len, out));
}
u32 W(path_remove_directory)(wasi_ctx *c, u32 fd, u32 path, u32 len)
{
  CALL(wasi_path_remove_directory(c, fd, path, len));
}
u32 W(path_rename)(wasi_ctx *c, u32 fd, u32 old_path, u32 old_len, u32 new_fd, u32 new_path,
                   u32 new_len)
{
  CALL(wasi_path_rename(c, fd, old_path, old_len, new_fd, new_path, new_len));
}
u32 W(path_symlink)(wasi_ctx *c, u32 old_path, u32 old_len, u32 fd, u32 new_path, u32 new_len)
{
  CALL(wasi_path_symlink(c, old_path, old_len, fd, new_path, new_len));
}
u32 W(path_unlink_file)(wasi_ctx *c, u32 fd, u32 path, u32 len)
{
  CALL(wasi_path_unlink_file(c, fd, path, len));
}
u32 W(poll_oneoff)(wasi_ctx *c, u32 in, u32 out, u32 n, u32 nevents)
{
  CALL(wasi_poll_oneoff(c, in, out, n, nevents));
}
void W(proc_exit)(wasi_ctx *c, u32 code)
{
  guest_import_enter();
  wasi_proc_exit(c, code);
}
u32 W(random_get)(wasi_ctx *c, u32 buf, u32 len) { CALL(wasi_random_get(c, buf, len)); }
u32 W(sched_yield)(wasi_ctx *c) { CALL(wasi_sched_yield(c)); }
u32 W(sock_accept)(wasi_ctx *c, u32 fd, u32 flags, u32 out) { CALL(wasi_sock_accept(c, fd, flags, out)); }
u32 W(sock_recv)(wasi_ctx *c, u32 fd, u32 iovs, u32 n, u32 flags, u32 nread, u32 oflags)
{
  CALL(wasi_sock_recv(c, fd, iovs, n, flags, nread, oflags));
}
u32 W(sock_send)(wasi_ctx *c, u32 fd, u32 iovs, u32 n, u32 flags, u32 nwritten)
{
  CALL(wasi_sock_send(c, fd, iovs, n, flags, nwritten));
}
u32 W(sock_shutdown)(wasi_ctx *c, u32 fd, u32 how) { CALL(wasi_sock_shutdown(c, fd, how)); }
