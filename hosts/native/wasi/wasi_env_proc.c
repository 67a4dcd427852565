/*
** wasi_env_proc.c -- environment, process exit and sockets.
**
** The environment is only what the embedder passed (never the host's
** environ). proc_exit ends the current call as a trap instead of the host
** process. Sockets: WASI preview 1 cannot create one and we never hand one
** over, so every sock_* call fails.
*/
#include "wasi_impl.h"

#include "guest_call.h"

#include <string.h>

uint32_t wasi_environ_sizes_get(wasi_ctx *c, uint32_t count_out, uint32_t size_out)
{
  if (wasi_mem(c, count_out, 4) == NULL || wasi_mem(c, size_out, 4) == NULL)
    return WASI_EFAULT;
  wasi_store_u32(c, count_out, c->cfg->env_count);
  wasi_store_u32(c, size_out, (uint32_t)c->cfg->env_bytes);
  return WASI_ESUCCESS;
}

/* Writes the "K=V\0" strings at buf and their addresses at environ. */
uint32_t wasi_environ_get(wasi_ctx *c, uint32_t environ, uint32_t buf)
{
  const wasi_config *cfg = c->cfg;
  uint8_t *ptrs = wasi_mem(c, environ, (uint64_t)cfg->env_count * 4);
  uint8_t *out = wasi_mem(c, buf, cfg->env_bytes);
  if (ptrs == NULL || out == NULL)
    return WASI_EFAULT;
  if (cfg->env_bytes > 0)
    memcpy(out, cfg->env_block, cfg->env_bytes);
  size_t off = 0;
  for (uint32_t i = 0; i < cfg->env_count; i++) {
    wasi_put_u32(ptrs + 4 * i, buf + (uint32_t)off);
    off += strlen(cfg->env_block + off) + 1;
  }
  return WASI_ESUCCESS;
}

_Noreturn void wasi_proc_exit(wasi_ctx *c, uint32_t code)
{
  c->exit_code = code;
  guest_trap(GUEST_TRAP_PROC_EXIT);
}

static uint32_t no_socket(wasi_ctx *c, uint32_t fd)
{
  return wasi_fd_get(c, fd) != NULL ? WASI_ENOTSOCK : WASI_EBADF;
}

uint32_t wasi_sock_accept(wasi_ctx *c, uint32_t fd, uint32_t flags, uint32_t fd_out)
{
  (void)flags;
  (void)fd_out;
  return no_socket(c, fd);
}

uint32_t wasi_sock_recv(wasi_ctx *c, uint32_t fd, uint32_t iovs, uint32_t iovs_len,
                        uint32_t flags, uint32_t nread_out, uint32_t oflags_out)
{
  (void)iovs;
  (void)iovs_len;
  (void)flags;
  (void)nread_out;
  (void)oflags_out;
  return no_socket(c, fd);
}

uint32_t wasi_sock_send(wasi_ctx *c, uint32_t fd, uint32_t iovs, uint32_t iovs_len,
                        uint32_t flags, uint32_t nwritten_out)
{
  (void)iovs;
  (void)iovs_len;
  (void)flags;
  (void)nwritten_out;
  return no_socket(c, fd);
}

uint32_t wasi_sock_shutdown(wasi_ctx *c, uint32_t fd, uint32_t how)
{
  (void)how;
  return no_socket(c, fd);
}
