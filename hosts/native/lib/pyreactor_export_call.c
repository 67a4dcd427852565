/*
** pyreactor_export_call.c -- one export run on a live guest.
**
** One call = one job run on the guest stack inside guest_call: copy the
** inputs into guest memory (alloc), call the export, copy the result text
** out of the record, result_free, dealloc. Everything that touches the guest
** is inside the job, so a trap anywhere in it is caught, and the record and
** text pointers the guest returns are checked like any WASI pointer.
*/
#include "pyreactor_export_call.h"

#include "json_reader.h"
#include "json_writer.h"

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
  case PYREACTOR_OP_REGISTER_PACKAGE: return Z_python_reactorZ_register_package(g, name, nl, text, tl);
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
  outcome_error(out, j.code,
                j.code == PYREACTOR_NOMEM ? PYREACTOR_TYPE_MEMORY_ERROR : PYREACTOR_TYPE_INVALID_RESULT,
                j.why);
}
