/*
** wasi_clock_random.c -- clocks, randomness, yielding and poll_oneoff.
**
** These are real: the guest sees the host's clocks and the kernel's random
** bytes (Python seeds its hash and `random` from them), and time.sleep
** really sleeps, through poll_oneoff's clock subscriptions.
*/
#include "wasi_impl.h"

#include "guest_call.h"

#include <errno.h>
#include <sched.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>

static int host_clock(uint32_t id, clockid_t *out)
{
  switch (id) {
  case 0: *out = CLOCK_REALTIME; return 0;
  case 1: *out = CLOCK_MONOTONIC; return 0;
  case 2: *out = CLOCK_PROCESS_CPUTIME_ID; return 0;
  case 3: *out = CLOCK_THREAD_CPUTIME_ID; return 0;
  default: return -1;
  }
}

static uint64_t to_ns(const struct timespec *ts)
{
  return (uint64_t)ts->tv_sec * 1000000000u + (uint64_t)ts->tv_nsec;
}

/* A deterministic instance's clocks (wasi_config.deterministic): every
** reading is 1 us after the last, the wall clock starting at
** 2023-01-01T00:00:00Z, the others at 0; the resolution is 1 us. */
#define FIXED_EPOCH_NS 1672531200000000000ull
#define FIXED_TICK_NS 1000u

static uint64_t fixed_clock(wasi_ctx *c, uint32_t id, bool resolution)
{
  if (resolution)
    return FIXED_TICK_NS;
  c->fixed_ticks += FIXED_TICK_NS;
  return (id == 0 ? FIXED_EPOCH_NS : 0) + c->fixed_ticks;
}

/* clock_res_get and clock_time_get differ only in the host call. */
static uint32_t store_clock(wasi_ctx *c, uint32_t id, uint32_t out,
                            int (*read_clock)(clockid_t, struct timespec *))
{
  clockid_t clk;
  struct timespec ts;
  if (host_clock(id, &clk) != 0)
    return WASI_EINVAL;
  if (wasi_mem(c, out, 8) == NULL)
    return WASI_EFAULT;
  if (c->cfg->deterministic) {
    wasi_store_u64(c, out, fixed_clock(c, id, read_clock == clock_getres));
    return WASI_ESUCCESS;
  }
  if (read_clock(clk, &ts) != 0)
    return wasi_errno(errno);
  wasi_store_u64(c, out, to_ns(&ts));
  return WASI_ESUCCESS;
}

uint32_t wasi_clock_res_get(wasi_ctx *c, uint32_t id, uint32_t out)
{
  return store_clock(c, id, out, clock_getres);
}

uint32_t wasi_clock_time_get(wasi_ctx *c, uint32_t id, uint64_t precision, uint32_t out)
{
  (void)precision;
  return store_clock(c, id, out, clock_gettime);
}

uint32_t wasi_random_get(wasi_ctx *c, uint32_t buf, uint32_t len)
{
  uint8_t *p = wasi_mem(c, buf, len);
  if (p == NULL)
    return WASI_EFAULT;
  if (c->cfg->deterministic) { /* splitmix64 from a fixed seed */
    for (uint32_t i = 0; i < len; i++) {
      if (i % 8 == 0)
        c->fixed_random += 0x9e3779b97f4a7c15u;
      uint64_t z = c->fixed_random;
      z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9u;
      z = (z ^ (z >> 27)) * 0x94d049bb133111ebu;
      z ^= z >> 31;
      p[i] = (uint8_t)(z >> (8 * (i % 8)));
    }
    return WASI_ESUCCESS;
  }
  size_t done = 0;
  while (done < len) {
    ssize_t n = getrandom(p + done, len - done, 0);
    if (n < 0) {
      if (errno == EINTR)
        continue;
      return wasi_errno(errno);
    }
    done += (size_t)n;
  }
  return WASI_ESUCCESS;
}

uint32_t wasi_sched_yield(wasi_ctx *c)
{
  (void)c;
  sched_yield();
  return WASI_ESUCCESS;
}

/* ------------------------------------------------------- poll_oneoff -- */

#define SUB_SIZE 48u
#define EVENT_SIZE 32u

/* Nanoseconds until a clock subscription fires (0 if already due), or
** UINT64_MAX with *err set for a bad clock. */
static uint64_t clock_wait(const uint8_t *sub, uint16_t *err)
{
  clockid_t clk;
  struct timespec now;
  uint32_t id = wasi_get_u32(sub + 16);
  uint64_t timeout = wasi_get_u64(sub + 24);
  uint16_t flags = (uint16_t)(sub[40] | sub[41] << 8);
  *err = WASI_ESUCCESS;
  if (host_clock(id, &clk) != 0 || clock_gettime(clk, &now) != 0) {
    *err = WASI_EINVAL;
    return 0;
  }
  if (!(flags & 1)) /* relative */
    return timeout;
  uint64_t t = to_ns(&now);
  return timeout > t ? timeout - t : 0;
}

/* The guest may make its events overlap its subscriptions: the userdata is
** read before the event is cleared, and never memcpy'd onto itself. */
static void put_event(uint8_t *ev, const uint8_t *sub, uint16_t error, uint8_t type)
{
  uint8_t userdata[8];
  memcpy(userdata, sub, sizeof userdata);
  memset(ev, 0, EVENT_SIZE);
  memcpy(ev, userdata, sizeof userdata);
  wasi_put_u16(ev + 8, error);
  ev[10] = type;
}

/* fd subscriptions are answered at once: files and stdio never block here
** (stdin is a finished buffer); unknown fds get EBADF in their event. */
static uint32_t fd_events(wasi_ctx *c, const uint8_t *subs, uint32_t n, uint8_t *out)
{
  uint32_t k = 0;
  for (uint32_t i = 0; i < n; i++) {
    const uint8_t *s = subs + SUB_SIZE * i;
    if (s[8] != 1 && s[8] != 2)
      continue;
    uint16_t err = wasi_fd_get(c, wasi_get_u32(s + 16)) != NULL ? WASI_ESUCCESS : WASI_EBADF;
    put_event(out + EVENT_SIZE * k++, s, err, s[8]);
  }
  return k;
}

/* Sleeps, but not past the call's time limit: the timeout signal ends
** nanosleep early (EINTR) and guest_interrupted says why. */
static void sleep_ns(uint64_t ns)
{
  struct timespec ts = {(time_t)(ns / 1000000000u), (long)(ns % 1000000000u)};
  while (nanosleep(&ts, &ts) != 0 && errno == EINTR && !guest_interrupted()) {
  }
}

uint32_t wasi_poll_oneoff(wasi_ctx *c, uint32_t in, uint32_t out, uint32_t nsubs,
                          uint32_t nevents_out)
{
  if (nsubs == 0)
    return WASI_EINVAL;
  const uint8_t *subs = wasi_mem(c, in, (uint64_t)nsubs * SUB_SIZE);
  uint8_t *events = wasi_mem(c, out, (uint64_t)nsubs * EVENT_SIZE);
  if (subs == NULL || events == NULL || wasi_mem(c, nevents_out, 4) == NULL)
    return WASI_EFAULT;
  for (uint32_t i = 0; i < nsubs; i++)
    if (subs[SUB_SIZE * i + 8] > 2)
      return WASI_EINVAL;
  uint32_t k = fd_events(c, subs, nsubs, events);
  if (k == 0) {
    /* Only clocks: sleep until the earliest, then report every due one. */
    uint64_t wait = UINT64_MAX;
    for (uint32_t i = 0; i < nsubs; i++) {
      uint16_t err;
      uint64_t w = clock_wait(subs + SUB_SIZE * i, &err);
      if (err != WASI_ESUCCESS) {
        put_event(events + EVENT_SIZE * k++, subs + SUB_SIZE * i, err, 0);
        wait = 0;
      } else if (w < wait) {
        wait = w;
      }
    }
    if (k == 0) {
      sleep_ns(wait);
      for (uint32_t i = 0; i < nsubs; i++) {
        uint16_t err;
        if (clock_wait(subs + SUB_SIZE * i, &err) <= wait)
          put_event(events + EVENT_SIZE * k++, subs + SUB_SIZE * i, WASI_ESUCCESS, 0);
      }
    }
  }
  wasi_store_u32(c, nevents_out, k);
  return WASI_ESUCCESS;
}
