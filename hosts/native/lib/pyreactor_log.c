/*
** pyreactor_log.c -- the registration log: every successful register_* and
** unregister_*, in order, for the replay after a trap (pyreactor_rebuild.c).
*/
#include "pyreactor_internal.h"

#include <stdlib.h>
#include <string.h>

static char *dup_bytes(const char *s, size_t n)
{
  char *d = malloc(n + 1);
  if (d != NULL) {
    if (n > 0)
      memcpy(d, s, n);
    d[n] = '\0';
  }
  return d;
}

int pyr_log_append(pyreactor *p, pyreactor_op op, const char *name, size_t name_len,
                   const char *code, size_t code_len)
{
  if (p->n_log == p->cap_log) {
    size_t cap = p->cap_log ? p->cap_log * 2 : 16;
    reg_entry *grown = realloc(p->log, cap * sizeof *grown);
    if (grown == NULL)
      return PYREACTOR_NOMEM;
    p->log = grown;
    p->cap_log = cap;
  }
  reg_entry *e = &p->log[p->n_log];
  e->op = op;
  e->name = dup_bytes(name, name_len);
  e->name_len = name_len;
  e->code = code != NULL ? dup_bytes(code, code_len) : NULL;
  e->code_len = code != NULL ? code_len : 0;
  e->ns = e->cpu_ns = 0; /* the caller measures them */
  e->retried = false;
  if (e->name == NULL || (code != NULL && e->code == NULL)) {
    free(e->name);
    free(e->code);
    return PYREACTOR_NOMEM;
  }
  p->n_log++;
  return PYREACTOR_OK;
}

void pyr_log_free(pyreactor *p)
{
  for (size_t i = 0; i < p->n_log; i++) {
    free(p->log[i].name);
    free(p->log[i].code);
  }
  free(p->log);
  p->log = NULL;
  p->n_log = p->cap_log = 0;
}
