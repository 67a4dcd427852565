/*
** wasi_impl.h -- one function per wasi_snapshot_preview1 import the guest
** has. wasi_link.c binds the names wasm2c expects to these; each returns a
** WASI errno (except proc_exit, which does not return).
*/
#ifndef WASI_IMPL_H
#define WASI_IMPL_H

#include "wasi.h"

/* wasi_env_proc.c */
uint32_t wasi_environ_get(wasi_ctx *c, uint32_t environ, uint32_t buf);
uint32_t wasi_environ_sizes_get(wasi_ctx *c, uint32_t count_out, uint32_t size_out);
_Noreturn void wasi_proc_exit(wasi_ctx *c, uint32_t code);
uint32_t wasi_sock_accept(wasi_ctx *c, uint32_t fd, uint32_t flags, uint32_t fd_out);
uint32_t wasi_sock_recv(wasi_ctx *c, uint32_t fd, uint32_t iovs, uint32_t iovs_len,
                        uint32_t flags, uint32_t nread_out, uint32_t oflags_out);
uint32_t wasi_sock_send(wasi_ctx *c, uint32_t fd, uint32_t iovs, uint32_t iovs_len,
                        uint32_t flags, uint32_t nwritten_out);
uint32_t wasi_sock_shutdown(wasi_ctx *c, uint32_t fd, uint32_t how);

/* wasi_clock_random.c */
uint32_t wasi_clock_res_get(wasi_ctx *c, uint32_t id, uint32_t out);
uint32_t wasi_clock_time_get(wasi_ctx *c, uint32_t id, uint64_t precision, uint32_t out);
uint32_t wasi_random_get(wasi_ctx *c, uint32_t buf, uint32_t len);
uint32_t wasi_sched_yield(wasi_ctx *c);
uint32_t wasi_poll_oneoff(wasi_ctx *c, uint32_t in, uint32_t out, uint32_t nsubs,
                          uint32_t nevents_out);

/* wasi_fs.c: operations on open fds */
uint32_t wasi_fd_advise(wasi_ctx *c, uint32_t fd, uint64_t offset, uint64_t len, uint32_t advice);
uint32_t wasi_fd_allocate(wasi_ctx *c, uint32_t fd, uint64_t offset, uint64_t len);
uint32_t wasi_fd_close(wasi_ctx *c, uint32_t fd);
uint32_t wasi_fd_datasync(wasi_ctx *c, uint32_t fd);
uint32_t wasi_fd_sync(wasi_ctx *c, uint32_t fd);
uint32_t wasi_fd_fdstat_get(wasi_ctx *c, uint32_t fd, uint32_t out);
uint32_t wasi_fd_fdstat_set_flags(wasi_ctx *c, uint32_t fd, uint32_t flags);
uint32_t wasi_fd_filestat_get(wasi_ctx *c, uint32_t fd, uint32_t out);
uint32_t wasi_fd_filestat_set_size(wasi_ctx *c, uint32_t fd, uint64_t size);
uint32_t wasi_fd_filestat_set_times(wasi_ctx *c, uint32_t fd, uint64_t atim, uint64_t mtim,
                                    uint32_t fst);
uint32_t wasi_fd_pread(wasi_ctx *c, uint32_t fd, uint32_t iovs, uint32_t iovs_len,
                       uint64_t offset, uint32_t nread_out);
uint32_t wasi_fd_pwrite(wasi_ctx *c, uint32_t fd, uint32_t iovs, uint32_t iovs_len,
                        uint64_t offset, uint32_t nwritten_out);
uint32_t wasi_fd_read(wasi_ctx *c, uint32_t fd, uint32_t iovs, uint32_t iovs_len,
                      uint32_t nread_out);
uint32_t wasi_fd_write(wasi_ctx *c, uint32_t fd, uint32_t iovs, uint32_t iovs_len,
                       uint32_t nwritten_out);
uint32_t wasi_fd_seek(wasi_ctx *c, uint32_t fd, uint64_t offset, uint32_t whence,
                      uint32_t newoffset_out);
uint32_t wasi_fd_tell(wasi_ctx *c, uint32_t fd, uint32_t out);
uint32_t wasi_fd_prestat_get(wasi_ctx *c, uint32_t fd, uint32_t out);
uint32_t wasi_fd_prestat_dir_name(wasi_ctx *c, uint32_t fd, uint32_t path, uint32_t len);
uint32_t wasi_fd_readdir(wasi_ctx *c, uint32_t fd, uint32_t buf, uint32_t buf_len,
                         uint64_t cookie, uint32_t bufused_out);

/* wasi_path.c: operations on paths beneath a directory fd */
uint32_t wasi_path_create_directory(wasi_ctx *c, uint32_t fd, uint32_t path, uint32_t len);
uint32_t wasi_path_filestat_get(wasi_ctx *c, uint32_t fd, uint32_t flags, uint32_t path,
                                uint32_t len, uint32_t out);
uint32_t wasi_path_filestat_set_times(wasi_ctx *c, uint32_t fd, uint32_t flags, uint32_t path,
                                      uint32_t len, uint64_t atim, uint64_t mtim, uint32_t fst);
uint32_t wasi_path_link(wasi_ctx *c, uint32_t old_fd, uint32_t old_flags, uint32_t old_path,
                        uint32_t old_len, uint32_t new_fd, uint32_t new_path, uint32_t new_len);
uint32_t wasi_path_open(wasi_ctx *c, uint32_t fd, uint32_t dirflags, uint32_t path,
                        uint32_t len, uint32_t oflags, uint64_t rights_base,
                        uint64_t rights_inheriting, uint32_t fdflags, uint32_t fd_out);
uint32_t wasi_path_readlink(wasi_ctx *c, uint32_t fd, uint32_t path, uint32_t len,
                            uint32_t buf, uint32_t buf_len, uint32_t bufused_out);
uint32_t wasi_path_remove_directory(wasi_ctx *c, uint32_t fd, uint32_t path, uint32_t len);
uint32_t wasi_path_rename(wasi_ctx *c, uint32_t fd, uint32_t old_path, uint32_t old_len,
                          uint32_t new_fd, uint32_t new_path, uint32_t new_len);
uint32_t wasi_path_symlink(wasi_ctx *c, uint32_t old_path, uint32_t old_len, uint32_t fd,
                           uint32_t new_path, uint32_t new_len);
uint32_t wasi_path_unlink_file(wasi_ctx *c, uint32_t fd, uint32_t path, uint32_t len);

#endif
