/*
** pyreactor_calls.c -- the calls of the contract.
**
** One call = one job run on the guest stack inside guest_call: copy the
** inputs into guest memory (alloc), call the export, copy the result text
** out of the record, result_free, dealloc. Everything that touches the guest
** is inside the job, so a trap anywhere in it is caught, and the record and
** text pointers the guest returns are checked like any WASI pointer.
*/
#include "pyreactor_internal.h"

#include "json_reader.h"
#include "json_writer.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct job {
  pyreactor *p;
  pyreactor_op op;
  const char *name, *text;
  size_t name_len, text_len;
  int code; /* PYREACTOR_OK/ERR, or NOMEM/ABI from the job itself */
  char *out;
  size_t out_len;
  const char *why; /* for ABI / NOMEM */
} job;

static bool op_has_name(pyreactor_op op)
{
  return op != PYREACTOR_OP_INIT && op != PYREACTOR_OP_RUN;
}

static bool op_has_text(pyreactor_op op)
{
  return op == PYREACTOR_OP_REGISTER_LAMBDA || op == PYREACTOR_OP_REGISTER_DEF ||
         op == PYREACTOR_OP_REGISTER_MODULE || op == PYREACTOR_OP_APPLY_LAMBDA ||
         op == PYREACTOR_OP_APPLY_DEF || op == PYREACTOR_OP_RUN;
}

static bool op_is_apply(pyreactor_op op)
{
  return op == PYREACTOR_OP_APPLY_LAMBDA || op == PYREACTOR_OP_APPLY_DEF;
}

/* apply_* and run deliver their record through host.callback too. */
static bool op_calls_back(pyreactor_op op)
{
  return op_is_apply(op) || op == PYREACTOR_OP_RUN;
}

static bool op_is_registration(pyreactor_op op)
{
  return op != PYREACTOR_OP_INIT && !op_calls_back(op);
}

static uint8_t *guest_bytes(pyreactor *p, uint32_t ptr, uint64_t len)
{
  const wasm_rt_memory_t *m = &p->guest.w2c_memory;
  if ((uint64_t)ptr > m->size || len > m->size - (uint64_t)ptr)
    return NULL;
  return m->data + ptr;
}

/* The small exports, each bracketed as wasm code (see guest_wasm_enter). */
static uint32_t guest_alloc(pyreactor *p, u32 n)
{
  guest_wasm_enter();
  uint32_t ptr = Z_python_reactorZ_alloc(&p->guest, n);
  guest_wasm_leave();
  return ptr;
}

static void guest_dealloc(pyreactor *p, u32 ptr, u32 n)
{
  guest_wasm_enter();
  Z_python_reactorZ_dealloc(&p->guest, ptr, n);
  guest_wasm_leave();
}

static void guest_result_free(pyreactor *p, u32 rec)
{
  guest_wasm_enter();
  Z_python_reactorZ_result_free(&p->guest, rec);
  guest_wasm_leave();
}

/* alloc + copy; 0 with j->code set on failure. */
static uint32_t put_input(job *j, const char *s, size_t n)
{
  uint32_t ptr = guest_alloc(j->p, (u32)n);
  if (ptr == 0) {
    j->code = PYREACTOR_NOMEM;
    j->why = "the guest could not allocate the input";
    return 0;
  }
  uint8_t *dst = guest_bytes(j->p, ptr, n);
  if (dst == NULL) {
    j->code = PYREACTOR_ABI;
    j->why = "alloc returned an address outside guest memory";
    return 0;
  }
  if (n > 0)
    memcpy(dst, s, n);
  return ptr;
}

static uint32_t export_call(job *j, uint32_t name, uint32_t text)
{
  Z_python_reactor_instance_t *g = &j->p->guest;
  u32 nl = (u32)j->name_len, tl = (u32)j->text_len;
  struct Z_host_instance_t *h = &j->p->host;
  switch (j->op) {
  case PYREACTOR_OP_INIT: return Z_python_reactorZ_init(g);
  case PYREACTOR_OP_REGISTER_LAMBDA: return Z_python_reactorZ_register_lambda(g, name, nl, text, tl);
  case PYREACTOR_OP_UNREGISTER_LAMBDA: return Z_python_reactorZ_unregister_lambda(g, name, nl);
  case PYREACTOR_OP_REGISTER_DEF: return Z_python_reactorZ_register_def(g, name, nl, text, tl);
  case PYREACTOR_OP_UNREGISTER_DEF: return Z_python_reactorZ_unregister_def(g, name, nl);
  case PYREACTOR_OP_REGISTER_MODULE: return Z_python_reactorZ_register_module(g, name, nl, text, tl);
  case PYREACTOR_OP_UNREGISTER_MODULE: return Z_python_reactorZ_unregister_module(g, name, nl);
  case PYREACTOR_OP_APPLY_LAMBDA:
  case PYREACTOR_OP_APPLY_DEF:
  case PYREACTOR_OP_RUN:
    h->expect_id = j->p->next_id++;
    h->calls = 0;
    h->record = 0;
    h->id_mismatch = false;
    if (j->op == PYREACTOR_OP_RUN)
      return Z_python_reactorZ_run(g, h->expect_id, text, tl);
    if (j->op == PYREACTOR_OP_APPLY_LAMBDA)
      return Z_python_reactorZ_apply_lambda(g, h->expect_id, name, nl, text, tl);
    return Z_python_reactorZ_apply_def(g, h->expect_id, name, nl, text, tl);
  }
  return 0;
}

static uint32_t call_export(job *j, uint32_t name, uint32_t text)
{
  guest_wasm_enter();
  uint32_t rec = export_call(j, name, text);
  guest_wasm_leave();
  return rec;
}

/* For apply_* and run: host.callback came exactly once, with our id and
** the record the export returned. */
static const char *callback_problem(const job *j, uint32_t rec)
{
  const struct Z_host_instance_t *h = &j->p->host;
  if (!op_calls_back(j->op))
    return NULL;
  if (h->calls != 1)
    return h->calls == 0 ? "apply returned without calling host.callback"
                         : "host.callback was called more than once";
  if (h->id_mismatch)
    return "host.callback came with another call's id";
  if (h->record != rec)
    return "host.callback delivered another record than apply returned";
  return NULL;
}

/* Copies the record's text out; the caller frees the record. */
static void read_record(job *j, uint32_t rec)
{
  const uint8_t *r = rec != 0 ? guest_bytes(j->p, rec, 12) : NULL;
  if (r == NULL) {
    j->code = PYREACTOR_ABI;
    j->why = "the result record is outside guest memory";
    return;
  }
  uint32_t tag = wasi_get_u32(r), ptr = wasi_get_u32(r + 4), len = wasi_get_u32(r + 8);
  const uint8_t *t = guest_bytes(j->p, ptr, len);
  if (tag > 1 || t == NULL) {
    j->code = PYREACTOR_ABI;
    j->why = tag > 1 ? "the result record has a tag other than 0 or 1"
                     : "the result text is outside guest memory";
    return;
  }
  j->out = malloc((size_t)len + 1);
  if (j->out == NULL) {
    j->code = PYREACTOR_NOMEM;
    j->why = "out of memory copying the result";
    return;
  }
  memcpy(j->out, t, len);
  j->out[len] = '\0';
  j->out_len = len;
  j->code = tag == 0 ? PYREACTOR_OK : PYREACTOR_ERR;
}

/* Runs on the guest stack. */
static void run_job(void *arg)
{
  job *j = arg;
  uint32_t name = 0, text = 0;
  if (op_has_name(j->op) && (name = put_input(j, j->name, j->name_len)) == 0)
    return;
  if (op_has_text(j->op) && (text = put_input(j, j->text, j->text_len)) == 0) {
    if (name != 0)
      guest_dealloc(j->p, name, (u32)j->name_len);
    return;
  }
  uint32_t rec = call_export(j, name, text);
  if (name != 0)
    guest_dealloc(j->p, name, (u32)j->name_len);
  if (text != 0)
    guest_dealloc(j->p, text, (u32)j->text_len);
  const char *problem = callback_problem(j, rec);
  read_record(j, rec);
  if (problem != NULL) {
    j->code = PYREACTOR_ABI;
    j->why = problem;
  }
  if (rec != 0 && j->code != PYREACTOR_ABI)
    guest_result_free(j->p, rec);
}

/* The guest's text must be JSON, and an err must be an object: otherwise a
** caller (and the batch protocol's output line) would break. */
static void check_text(job *j)
{
  json_span v;
  int rc = json_parse(j->out, j->out_len, &v, NULL);
  if (rc == JSON_NOMEM) {
    j->code = PYREACTOR_NOMEM;
    j->why = "out of memory checking the result";
  } else if (rc != JSON_OK) {
    j->code = PYREACTOR_ABI;
    j->why = "the guest returned text that is not JSON";
  } else if (j->code == PYREACTOR_ERR && json_type_of(v) != JSON_OBJECT) {
    j->code = PYREACTOR_ABI;
    j->why = "the guest returned an err that is not a JSON object";
  }
}

static void outcome_error(pyr_outcome *out, int code, const char *type, const char *why)
{
  out->code = code;
  out->text = json_error_object(type, why, &out->text_len);
}

void pyr_run(pyreactor *p, pyreactor_op op, const char *name, size_t name_len,
             const char *text, size_t text_len, pyr_outcome *out)
{
  job j;
  memset(&j, 0, sizeof j);
  memset(out, 0, sizeof *out);
  j.p = p;
  j.op = op;
  j.name = name;
  j.name_len = name_len;
  j.text = text;
  j.text_len = text_len;
  int trap = guest_call(&p->env, run_job, &j);
  if (trap != GUEST_TRAP_NONE) {
    free(j.out);
    out->code = trap == GUEST_TRAP_TIMEOUT ? PYREACTOR_TIMEOUT : PYREACTOR_TRAP;
    out->trap = trap;
    out->text = pyr_trap_text(p, trap, &out->text_len);
    return;
  }
  if (j.code == PYREACTOR_OK || j.code == PYREACTOR_ERR)
    check_text(&j);
  if (j.code == PYREACTOR_OK || j.code == PYREACTOR_ERR) {
    out->code = j.code;
    out->text = j.out;
    out->text_len = j.out_len;
    return;
  }
  free(j.out);
  outcome_error(out, j.code, j.code == PYREACTOR_NOMEM ? "MemoryError" : "InvalidResult", j.why);
}

/* ------------------------------------------------------ registration log -- */

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

/* ------------------------------------------------------------ the calls -- */

static int misuse(pyreactor *p, const char *why)
{
  pyr_result_error(p, PYREACTOR_MISUSE, "Misuse", why);
  return PYREACTOR_MISUSE;
}

static int check_call(pyreactor *p, pyreactor_op op, const char *name, size_t name_len,
                      const char *text, size_t text_len)
{
  if ((unsigned)op > PYREACTOR_OP_RUN)
    return misuse(p, "unknown op");
  if (op_has_name(op) && name == NULL)
    return misuse(p, "name is NULL");
  if (op_has_text(op) && !op_is_apply(op) && text == NULL)
    return misuse(p, "code is NULL");
  if (name_len > UINT32_MAX || text_len > UINT32_MAX)
    return misuse(p, "input longer than 4 GiB");
  return PYREACTOR_OK;
}

/* Runs the call; after a trap, rebuilds at once so that the next call finds
** a working instance with everything registered. */
static int call_locked(pyreactor *p, pyreactor_op op, const char *name, size_t name_len,
                       const char *text, size_t text_len)
{
  if (!p->live) {
    int rc = pyr_rebuild(p);
    if (rc != PYREACTOR_OK)
      return rc; /* pyr_create_guest left the error */
  }
  if (op_is_apply(op) && text == NULL) {
    text = "[]";
    text_len = 2;
  }
  pyr_outcome out;
  pyr_run(p, op, name, name_len, text, text_len, &out);
  if (out.code == PYREACTOR_OK && op_is_registration(op) &&
      pyr_log_append(p, op, name, name_len, op_has_text(op) ? text : NULL, text_len) != PYREACTOR_OK) {
    free(out.text);
    pyr_result_error(p, PYREACTOR_NOMEM, "MemoryError", "out of memory recording the registration");
    return PYREACTOR_NOMEM;
  }
  if (out.code == PYREACTOR_TRAP || out.code == PYREACTOR_TIMEOUT || out.code == PYREACTOR_ABI) {
    /* The guest can no longer be trusted: rebuild now. The caller sees this
    ** call's error whatever the rebuild says; if the rebuild failed, the next
    ** call tries again and reports that. */
    pyr_destroy_guest(p);
    pyr_rebuild(p);
  }
  pyr_result_set(p, out.code, out.text, out.text_len);
  return out.code;
}

int pyreactor_call(pyreactor *p, pyreactor_op op, const char *name, size_t name_len,
                   const char *text, size_t text_len)
{
  if (p == NULL)
    return PYREACTOR_MISUSE;
  if (p->in_host_fn) {
    /* The guest's own answer to an export called during host.call. */
    pyr_result_error(p, PYREACTOR_MISUSE, "Busy",
                     "the instance is busy (called from one of its own host functions)");
    return PYREACTOR_MISUSE;
  }
  if (p->busy)
    return misuse(p, "the instance is busy (called from one of its own sinks)");
  int rc = check_call(p, op, name, name_len, text, text_len);
  if (rc != PYREACTOR_OK)
    return rc;
  p->busy = true;
  rc = call_locked(p, op, name, name_len, text, text_len);
  p->busy = false;
  return rc;
}

static int call_z(pyreactor *p, pyreactor_op op, const char *name, const char *text)
{
  return pyreactor_call(p, op, name, name != NULL ? strlen(name) : 0, text,
                        text != NULL ? strlen(text) : 0);
}

int pyreactor_init(pyreactor *p)
{
  return call_z(p, PYREACTOR_OP_INIT, NULL, NULL);
}
int pyreactor_register_lambda(pyreactor *p, const char *name, const char *code)
{
  return call_z(p, PYREACTOR_OP_REGISTER_LAMBDA, name, code);
}
int pyreactor_unregister_lambda(pyreactor *p, const char *name)
{
  return call_z(p, PYREACTOR_OP_UNREGISTER_LAMBDA, name, NULL);
}
int pyreactor_apply_lambda(pyreactor *p, const char *name, const char *args_json)
{
  return call_z(p, PYREACTOR_OP_APPLY_LAMBDA, name, args_json);
}
int pyreactor_register_def(pyreactor *p, const char *name, const char *code)
{
  return call_z(p, PYREACTOR_OP_REGISTER_DEF, name, code);
}
int pyreactor_unregister_def(pyreactor *p, const char *name)
{
  return call_z(p, PYREACTOR_OP_UNREGISTER_DEF, name, NULL);
}
int pyreactor_apply_def(pyreactor *p, const char *name, const char *args_json)
{
  return call_z(p, PYREACTOR_OP_APPLY_DEF, name, args_json);
}
int pyreactor_register_module(pyreactor *p, const char *name, const char *code)
{
  return call_z(p, PYREACTOR_OP_REGISTER_MODULE, name, code);
}
int pyreactor_unregister_module(pyreactor *p, const char *name)
{
  return call_z(p, PYREACTOR_OP_UNREGISTER_MODULE, name, NULL);
}
