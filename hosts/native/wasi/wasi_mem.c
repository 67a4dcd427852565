/*
** wasi_mem.c -- the only way the WASI layer touches guest memory.
**
** Every guest pointer and length is checked against the memory's current
** size (it can grow during a call) in 64-bit arithmetic, so ptr + len cannot
** wrap. Values are stored little-endian byte by byte: guest structs are
** unaligned as often as not, and wasm is little-endian whatever the host is.
*/
#include "wasi.h"

#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/uio.h>

uint8_t *wasi_mem(wasi_ctx *ctx, uint32_t ptr, uint64_t len)
{
  uint64_t size = ctx->memory->size;
  if ((uint64_t)ptr > size || len > size - (uint64_t)ptr)
    return NULL;
  return ctx->memory->data + ptr;
}

void wasi_put_u16(uint8_t *p, uint16_t v)
{
  p[0] = (uint8_t)v;
  p[1] = (uint8_t)(v >> 8);
}

void wasi_put_u32(uint8_t *p, uint32_t v)
{
  for (int i = 0; i < 4; i++)
    p[i] = (uint8_t)(v >> (8 * i));
}

void wasi_put_u64(uint8_t *p, uint64_t v)
{
  for (int i = 0; i < 8; i++)
    p[i] = (uint8_t)(v >> (8 * i));
}

uint32_t wasi_get_u32(const uint8_t *p)
{
  return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

uint64_t wasi_get_u64(const uint8_t *p)
{
  return (uint64_t)wasi_get_u32(p) | (uint64_t)wasi_get_u32(p + 4) << 32;
}

bool wasi_store_u32(wasi_ctx *ctx, uint32_t ptr, uint32_t v)
{
  uint8_t *p = wasi_mem(ctx, ptr, 4);
  if (p != NULL)
    wasi_put_u32(p, v);
  return p != NULL;
}

bool wasi_store_u64(wasi_ctx *ctx, uint32_t ptr, uint64_t v)
{
  uint8_t *p = wasi_mem(ctx, ptr, 8);
  if (p != NULL)
    wasi_put_u64(p, v);
  return p != NULL;
}

/* Reads iovs_len guest iovecs ({u32 buf, u32 len}, 8 bytes each), checking
** the array and every buffer. More than IOV_MAX entries are cut to IOV_MAX:
** short reads and writes are allowed, and the guest loops. */
uint16_t wasi_iovs_load(wasi_ctx *ctx, uint32_t iovs_ptr, uint32_t iovs_len,
                        struct iovec *inline_buf, wasi_iovs *out)
{
  out->iov = inline_buf;
  out->heap = NULL;
  out->n = 0;
  const uint8_t *raw = wasi_mem(ctx, iovs_ptr, (uint64_t)iovs_len * 8);
  if (raw == NULL)
    return WASI_EFAULT;
  uint32_t n = iovs_len > IOV_MAX ? IOV_MAX : iovs_len;
  if (n > WASI_IOV_INLINE) {
    out->heap = malloc(n * sizeof *out->heap);
    if (out->heap == NULL)
      return WASI_ENOMEM;
    out->iov = out->heap;
  }
  uint64_t total = 0;
  for (uint32_t i = 0; i < n; i++) {
    uint32_t buf = wasi_get_u32(raw + 8 * i);
    uint32_t len = wasi_get_u32(raw + 8 * i + 4);
    uint8_t *p = wasi_mem(ctx, buf, len);
    if (p == NULL) {
      wasi_iovs_free(out);
      return WASI_EFAULT;
    }
    /* The byte count is returned in a u32: stop before it could overflow. */
    if (total + len > UINT32_MAX)
      break;
    total += len;
    out->iov[i].iov_base = p;
    out->iov[i].iov_len = len;
    out->n = (int)i + 1;
  }
  return WASI_ESUCCESS;
}

void wasi_iovs_free(wasi_iovs *v)
{
  free(v->heap);
  v->heap = NULL;
  v->n = 0;
}

/* Copies a guest path out and NUL-terminates it. A NUL inside cannot be
** represented in a host path: EILSEQ rather than silently truncating. */
uint16_t wasi_path_load(wasi_ctx *ctx, uint32_t ptr, uint32_t len, char out[WASI_PATH_MAX + 1])
{
  if (len > WASI_PATH_MAX)
    return WASI_ENAMETOOLONG;
  const uint8_t *p = wasi_mem(ctx, ptr, len);
  if (p == NULL)
    return WASI_EFAULT;
  if (memchr(p, 0, len) != NULL)
    return WASI_EILSEQ;
  memcpy(out, p, len);
  out[len] = '\0';
  return WASI_ESUCCESS;
}
