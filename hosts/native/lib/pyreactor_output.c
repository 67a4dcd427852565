/*
** pyreactor_output.c -- where what the guest writes to its stdout and
** stderr goes: kept per call (capture on), the embedder's sinks, or, with
** no sink, the host's fd 2 (issue 14: every host's default is the host's
** stderr, never its stdout, which belongs to the embedder's own output).
**
** The WASI layer always calls route_stdout/route_stderr with the instance
** as user; the choice is made here, per write, so that pyreactor_set_capture
** needs nothing from the WASI layer and a rebuilt guest routes alike.
*/
#include "pyreactor_internal.h"

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

/* Bound on what one call keeps per stream when capture_limit is 0. */
#define CAPTURE_DEFAULT_LIMIT ((size_t)16 << 20)
/* A buffer grown past this by one call is given back before the next: one
** noisy call must not pin megabytes for the instance's lifetime. */
#define CAPTURE_KEEP ((size_t)64 << 10)
#define CAPTURE_MAX_LIMIT (SIZE_MAX >> 2)

void pyreactor_sink_discard(void *user, const char *data, size_t len)
{
  (void)user, (void)data, (void)len;
}

/* ------------------------------------------------------------- fd 2 -- */

/* write(2) on a pipe whose reader is gone raises SIGPIPE, whose default
** action ends the process: guest output must never do that to its host. So
** SIGPIPE is blocked on this thread around the write, and one that the
** write raised (pending only if it was not pending already) is taken back
** before the mask is restored. */
static void write_all(int fd, const char *data, size_t len)
{
  while (len > 0) {
    ssize_t k = write(fd, data, len);
    if (k < 0 && errno == EINTR)
      continue;
    if (k <= 0)
      return; /* fd 2 closed or broken: the output is lost, as with a sink */
    data += k;
    len -= (size_t)k;
  }
}

static void write_fd2(const char *data, size_t len)
{
  sigset_t pipe_only, old, pending;
  sigemptyset(&pipe_only);
  sigaddset(&pipe_only, SIGPIPE);
  bool masked = pthread_sigmask(SIG_BLOCK, &pipe_only, &old) == 0;
  bool was_pending = masked && sigpending(&pending) == 0 && sigismember(&pending, SIGPIPE);
  int saved = errno;
  errno = 0;
  write_all(STDERR_FILENO, data, len);
  if (masked && !was_pending && errno == EPIPE) {
    const struct timespec now = {0, 0};
    while (sigtimedwait(&pipe_only, NULL, &now) < 0 && errno == EINTR) {
    }
  }
  errno = saved;
  if (masked && !sigismember(&old, SIGPIPE))
    pthread_sigmask(SIG_SETMASK, &old, NULL);
}

/* ---------------------------------------------------------- capture -- */

static void capture_reset(pyr_capture *c)
{
  if (c->cap > CAPTURE_KEEP) {
    free(c->data);
    c->data = NULL;
    c->cap = 0;
  }
  c->len = 0;
  c->truncated = false;
  if (c->data != NULL)
    c->data[0] = '\0';
}

/* Room for len + need bytes and the NUL, within `limit`; false when the
** buffer cannot grow (the rest is then dropped as past the limit). */
static bool capture_room(pyr_capture *c, size_t need, size_t limit)
{
  if (c->len + need < c->cap)
    return true;
  size_t want = c->cap < 4096 ? 4096 : c->cap;
  while (want <= c->len + need && want <= limit)
    want *= 2;
  if (want > limit + 1)
    want = limit + 1;
  char *grown = realloc(c->data, want);
  if (grown == NULL)
    return false;
  c->data = grown;
  c->cap = want;
  return c->len + need < c->cap;
}

static void capture_add(pyr_capture *c, size_t limit, const char *data, size_t len)
{
  size_t fits = limit - c->len < len ? limit - c->len : len;
  if (fits < len)
    c->truncated = true;
  if (fits == 0)
    return;
  if (!capture_room(c, fits, limit)) {
    c->truncated = true;
    return;
  }
  memcpy(c->data + c->len, data, fits);
  c->len += fits;
  c->data[c->len] = '\0';
}

/* ------------------------------------------------------------ routing -- */

static void route(pyreactor *p, int stream, const char *data, size_t len)
{
  if (p->capturing) {
    capture_add(&p->captured[stream - 1], p->capture_limit, data, len);
    return;
  }
  pyreactor_sink fn = stream == 1 ? p->stdout_sink : p->stderr_sink;
  if (fn != NULL)
    fn(p->sink_user, data, len);
  else
    write_fd2(data, len);
}

static void route_stdout(void *user, const char *data, size_t len)
{
  route(user, 1, data, len);
}

static void route_stderr(void *user, const char *data, size_t len)
{
  route(user, 2, data, len);
}

void pyr_output_config(pyreactor *p, const pyreactor_options *o)
{
  p->stdout_sink = o->stdout_sink;
  p->stderr_sink = o->stderr_sink;
  p->sink_user = o->sink_user;
  p->capture = o->capture_output != 0;
  /* Bounded so that growing a buffer (doubling, + 1 for the NUL) cannot
  ** overflow; no call can write that much anyway. */
  size_t limit = o->capture_limit != 0 ? o->capture_limit : CAPTURE_DEFAULT_LIMIT;
  p->capture_limit = limit > CAPTURE_MAX_LIMIT ? CAPTURE_MAX_LIMIT : limit;
  p->wcfg.out = route_stdout;
  p->wcfg.err = route_stderr;
  p->wcfg.sink_user = p;
}

void pyr_output_clear(pyreactor *p)
{
  capture_reset(&p->captured[0]);
  capture_reset(&p->captured[1]);
}

void pyr_output_free(pyreactor *p)
{
  for (int i = 0; i < 2; i++) {
    free(p->captured[i].data);
    memset(&p->captured[i], 0, sizeof p->captured[i]);
  }
}

void pyr_warn(pyreactor *p, const char *text)
{
  bool was = p->capturing;
  p->capturing = false; /* the host's word, not the guest's output */
  route(p, 2, text, strlen(text));
  p->capturing = was;
}

/* --------------------------------------------------------------- API -- */

int pyreactor_set_capture(pyreactor *p, int on)
{
  if (pyr_enter(p, false) != PYREACTOR_OK)
    return PYREACTOR_MISUSE;
  p->capture = on != 0;
  pyr_leave(p);
  return PYREACTOR_OK;
}

const char *pyreactor_output(pyreactor *p, int stream, size_t *len)
{
  if (len != NULL)
    *len = 0;
  if (p == NULL || (stream != 1 && stream != 2))
    return NULL;
  const pyr_capture *c = &p->captured[stream - 1];
  if (c->len == 0)
    return "";
  if (len != NULL)
    *len = c->len;
  return c->data;
}

int pyreactor_output_truncated(pyreactor *p, int stream)
{
  if (p == NULL || (stream != 1 && stream != 2))
    return 0;
  return p->captured[stream - 1].truncated ? 1 : 0;
}
