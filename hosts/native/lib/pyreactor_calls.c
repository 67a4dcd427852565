/*
** pyreactor_calls.c -- the calls of the contract: checked, run on the guest
** (pyreactor_export_call.c), a registration logged (pyreactor_log.c), and
** after a trap the guest rebuilt at once (pyreactor_rebuild.c).
*/
#include "pyreactor_internal.h"

#include "pyreactor_export_call.h"
#include "pyreactor_rebuild.h"

#include <stdlib.h>
#include <string.h>

/* ------------------------------------------------------------ the calls -- */

static int misuse(pyreactor *p, const char *why)
{
  pyr_result_error(p, PYREACTOR_MISUSE, PYREACTOR_TYPE_MISUSE, why);
  return PYREACTOR_MISUSE;
}

static int check_call(pyreactor *p, pyreactor_op op, const char *name, size_t name_len,
                      const char *text, size_t text_len)
{
  if ((unsigned)op > PYREACTOR_OP_REGISTER_PACKAGE)
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
  bool timed = op_is_registration(op); /* for the replay's time: pyreactor_rebuild.c */
  uint64_t start = timed ? pyr_now_ns() : 0, cpu = timed ? pyr_thread_cpu_ns() : 0;
  p->capturing = p->capture; /* this call's output only, not the replay's */
  pyr_run(p, op, name, name_len, text, text_len, &out);
  p->capturing = false;
  if (out.code == PYREACTOR_OK && op_calls_back(op) && p->hot != NULL && !wasm_hot_pages_ready(p->hot))
    wasm_hot_pages_learn(p->hot, p->guest.w2c_memory.data, p->guest.w2c_memory.size);
  if (out.code == PYREACTOR_OK && op_is_registration(op)) {
    if (pyr_log_append(p, op, name, name_len, op_has_text(op) ? text : NULL, text_len) != PYREACTOR_OK) {
      free(out.text);
      pyr_result_error(p, PYREACTOR_NOMEM, PYREACTOR_TYPE_MEMORY_ERROR,
                       "out of memory recording the registration");
      return PYREACTOR_NOMEM;
    }
    p->log[p->n_log - 1].ns = pyr_now_ns() - start;
    p->log[p->n_log - 1].cpu_ns = pyr_thread_cpu_ns() - cpu;
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
  int rc = pyr_enter(p, true);
  if (rc != PYREACTOR_OK)
    return rc;
  pyr_output_clear(p);
  rc = check_call(p, op, name, name_len, text, text_len);
  if (rc == PYREACTOR_OK)
    rc = call_locked(p, op, name, name_len, text, text_len);
  pyr_leave(p);
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
