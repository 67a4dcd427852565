/*
** pyreactor_rebuild.c -- rebuilding the guest after a trap: a fresh guest
** (pyreactor_instance.c), then the registration log (pyreactor_log.c)
** replayed on it, one export at a time (pyreactor_export_call.c).
*/
#include "pyreactor_rebuild.h"

#include "pyreactor_export_call.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* Replays the log on a fresh guest. An entry that fails now (it succeeded
** before) is dropped from the log and counted; one that traps costs another
** fresh guest, and the replay starts over without it. */
static int replay(pyreactor *p)
{
  size_t i = 0;
  while (i < p->n_log) {
    reg_entry *e = &p->log[i];
    pyr_outcome out;
    pyr_run(p, e->op, e->name, e->name_len, e->code, e->code_len, &out);
    free(out.text);
    if (out.code == PYREACTOR_OK) {
      i++;
      continue;
    }
    p->replay_failures++;
    free(e->name);
    free(e->code);
    memmove(e, e + 1, (p->n_log - i - 1) * sizeof *e);
    p->n_log--;
    if (out.code == PYREACTOR_TRAP || out.code == PYREACTOR_TIMEOUT) {
      pyr_destroy_guest(p);
      int rc = pyr_create_guest(p);
      if (rc != PYREACTOR_OK)
        return rc;
      i = 0;
    }
  }
  return PYREACTOR_OK;
}

/* Replays get a generous time limit rather than the caller's: each of
** them succeeded within it once, and a replay cut short by a busy moment
** would drop the registration for good. Ten times the limit, at least 10 s,
** still stops one that now never ends. */
static uint32_t replay_timeout(uint32_t ms)
{
  if (ms == 0)
    return 0;
  uint64_t longer = (uint64_t)ms * 10;
  return longer < 10000 ? 10000 : longer > UINT32_MAX ? UINT32_MAX : (uint32_t)longer;
}

int pyr_rebuild(pyreactor *p)
{
  int rc = pyr_renew_guest(p);
  if (rc != PYREACTOR_OK)
    return rc;
  p->rebuilds++;
  uint32_t limit = p->env.timeout_ms;
  p->env.timeout_ms = replay_timeout(limit);
  rc = replay(p);
  p->env.timeout_ms = limit;
  return rc;
}
