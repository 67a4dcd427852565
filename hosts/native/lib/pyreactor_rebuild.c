/*
** pyreactor_rebuild.c -- rebuilding the guest after a trap: a fresh guest
** (pyreactor_instance.c), then the registration log (pyreactor_log.c)
** replayed on it, one export at a time (pyreactor_export_call.c).
*/
#include "pyreactor_rebuild.h"

#include "pyreactor_export_call.h"

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The replay's time (the header's rule, "traps"). A trapping call must
** answer in time even when several registrations now misbehave: before,
** each replay got 10 x the call limit (at least 10 s), and three modules
** that loop once a date has passed made one trapping call take 30 s.
** But a registration that succeeded once must not be lost to a busy
** moment or to the cold start of a fresh guest (page faults: ~8 ms for a
** first register_def here), whatever the limit (1 ms is allowed): with
** twice its first time + 50 ms, a def registered in 22 ms timed out on
** replay at a load of 11 on 2 cores. So each gets three times its own
** first time plus 100 ms, and the call limit when that is more, for as
** long as a budget of twice the limit lasts; the budget is spent only by
** replays that fail. One that runs out of time before its thread could
** even run twice the CPU time it took when it was made, + 10 ms (a loaded
** machine: the ASan build at a load of 14 lost a 20 ms def so; or a wait)
** is tried once more with four times as long. A loop on an idle machine
** runs its whole time and is not; on a loaded one, only below a ~10 %
** share of a CPU. */
#define REPLAY_SLACK_NS (100 * 1000000ull)
#define REPLAY_CPU_SLACK_NS (10 * 1000000ull)
#define REPLAY_RETRY_FACTOR 4

typedef struct replay_budget {
  uint32_t limit_ms;   /* the call limit; 0: none, and no bound */
  uint64_t waste_left; /* ns that failing replays may still take */
} replay_budget;

/* The entry's time limit in ms (0: none). */
static uint32_t replay_allowance(const replay_budget *b, const reg_entry *e)
{
  if (b->limit_ms == 0)
    return 0;
  uint64_t own = 3 * e->ns + REPLAY_SLACK_NS;
  uint64_t limit = (uint64_t)b->limit_ms * 1000000;
  uint64_t budget = b->waste_left < limit ? b->waste_left : limit;
  uint64_t ns = own > budget ? own : budget;
  if (e->retried)
    ns = REPLAY_RETRY_FACTOR * (own > limit ? own : limit);
  uint64_t ms = (ns + 999999) / 1000000;
  return ms < UINT32_MAX ? (uint32_t)ms : UINT32_MAX;
}

/* Replays one entry; true when it ran out of time before it could run
** its first CPU time (see above): worth once more. */
static bool replay_one(pyreactor *p, replay_budget *b, reg_entry *e, pyr_outcome *out)
{
  p->env.timeout_ms = replay_allowance(b, e);
  uint64_t start = pyr_now_ns(), cpu = pyr_thread_cpu_ns();
  pyr_run(p, e->op, e->name, e->name_len, e->code, e->code_len, out);
  if (out->code == PYREACTOR_OK)
    return false;
  uint64_t spent = pyr_now_ns() - start, ran = pyr_thread_cpu_ns() - cpu;
  b->waste_left = spent < b->waste_left ? b->waste_left - spent : 0;
  return out->code == PYREACTOR_TIMEOUT && !e->retried && ran < 2 * e->cpu_ns + REPLAY_CPU_SLACK_NS;
}

/* Why a registration was dropped, in the JavaScript host's words. */
static void warn_dropped(pyreactor *p, const reg_entry *e, const pyr_outcome *out)
{
  char msg[768];
  bool trapped = out->code != PYREACTOR_ERR;
  const char *why = out->text != NULL ? out->text : "out of memory";
  int name_len = e->name_len > 128 ? 128 : (int)e->name_len;
  snprintf(msg, sizeof msg, "pyreactor: replaying %s %.*s after a trap %s%.512s%s; dropped\n",
           pyreactor_op_name(e->op), name_len, e->name, trapped ? "trapped (" : "failed: ", why,
           trapped ? ")" : "");
  pyr_warn(p, msg);
}

static void drop_entry(pyreactor *p, size_t i)
{
  reg_entry *e = &p->log[i];
  p->replay_failures++;
  free(e->name);
  free(e->code);
  memmove(e, e + 1, (p->n_log - i - 1) * sizeof *e);
  p->n_log--;
}

/* Replays the log on a fresh guest. An entry that fails now (it succeeded
** before) is dropped from the log, counted and reported; one that traps or
** breaks the contract costs another fresh guest, and the replay starts
** over without it. */
static int replay(pyreactor *p)
{
  replay_budget b = {p->env.timeout_ms, (uint64_t)p->env.timeout_ms * 2 * 1000000};
  for (size_t k = 0; k < p->n_log; k++)
    p->log[k].retried = false;
  size_t i = 0;
  int rc = PYREACTOR_OK;
  while (i < p->n_log && rc == PYREACTOR_OK) {
    reg_entry *e = &p->log[i];
    pyr_outcome out;
    bool again = replay_one(p, &b, e, &out);
    if (out.code == PYREACTOR_OK) {
      free(out.text);
      i++;
      continue;
    }
    if (again) {
      e->retried = true; /* kept; a fresh guest below, and from the start */
    } else {
      warn_dropped(p, e, &out);
      drop_entry(p, i);
    }
    free(out.text);
    if (out.code != PYREACTOR_ERR && out.code != PYREACTOR_NOMEM) {
      pyr_destroy_guest(p);
      rc = pyr_create_guest(p);
      i = 0;
    }
  }
  p->env.timeout_ms = b.limit_ms;
  return rc;
}

int pyr_rebuild(pyreactor *p)
{
  int rc = pyr_renew_guest(p);
  if (rc != PYREACTOR_OK)
    return rc;
  p->rebuilds++;
  return replay(p);
}
