/*
** pyreactor_result.c -- the last call's result: text, code, error fields;
** result-code strings and op names.
*/
#include "pyreactor_internal.h"

#include "json_reader.h"
#include "json_writer.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const char *pyreactor_errstr(int code)
{
  switch (code) {
  case PYREACTOR_OK: return "not an error";
  case PYREACTOR_ERR: return "Python error";
  case PYREACTOR_TRAP: return "the guest trapped (instance rebuilt)";
  case PYREACTOR_NOMEM: return "out of memory";
  case PYREACTOR_MISUSE: return "library used incorrectly";
  case PYREACTOR_CANTOPEN: return "cannot open the instance";
  case PYREACTOR_ABI: return "the guest broke the ABI contract";
  case PYREACTOR_TIMEOUT: return "the call ran out of time (instance rebuilt)";
  default: return "unknown result code";
  }
}

static const char *const op_names[] = {
  "init", "register_lambda", "unregister_lambda", "apply_lambda", "register_def",
  "unregister_def", "apply_def", "register_module", "unregister_module", "run",
  "register_package",
};

int pyreactor_op_from_name(const char *name, size_t len)
{
  if (name == NULL)
    return -1;
  for (size_t i = 0; i < sizeof op_names / sizeof op_names[0]; i++)
    if (strlen(op_names[i]) == len && memcmp(op_names[i], name, len) == 0)
      return (int)i;
  return -1;
}

const char *pyreactor_op_name(pyreactor_op op)
{
  return (unsigned)op < sizeof op_names / sizeof op_names[0] ? op_names[op] : NULL;
}

/* ---------------------------------------------------------- the result -- */

static void clear_error_fields(pyreactor *p)
{
  free(p->err_type);
  free(p->err_message);
  free(p->err_traceback);
  free(p->errmsg);
  p->err_type = p->err_message = p->err_traceback = p->errmsg = NULL;
  p->err_parsed = false;
}

void pyr_result_clear(pyreactor *p)
{
  clear_error_fields(p);
  free(p->text);
  p->text = NULL;
  p->text_len = 0;
  p->code = PYREACTOR_OK;
}

void pyr_result_set(pyreactor *p, int code, char *text, size_t len)
{
  pyr_result_clear(p);
  /* An error whose text could not even be allocated is out of memory. */
  p->code = text == NULL && code != PYREACTOR_OK ? PYREACTOR_NOMEM : code;
  p->text = text;
  p->text_len = text != NULL ? len : 0;
}

void pyr_result_error(pyreactor *p, int code, const char *type, const char *message)
{
  size_t len = 0;
  char *text = json_error_object(type, message, &len);
  pyr_result_set(p, code, text, len);
}

/* A trap with guest memory at (or within a MiB of) its cap is the cap's
** doing: Python could not turn that allocation failure into MemoryError.
** Same rule and type as the JavaScript host. */
static bool at_memory_cap(const pyreactor *p)
{
  uint64_t size = (uint64_t)p->guest.w2c_memory.pages * 65536u;
  return p->memory_limit > 0 && size + ((uint64_t)1 << 20) > p->memory_limit;
}

char *pyr_trap_text(const pyreactor *p, int trap, size_t *len)
{
  char msg[160];
  const char *type = at_memory_cap(p) ? PYREACTOR_TYPE_MEMORY_LIMIT : PYREACTOR_TYPE_TRAP;
  if (trap == GUEST_TRAP_TIMEOUT) {
    snprintf(msg, sizeof msg, "the call took longer than %u ms", (unsigned)p->env.timeout_ms);
    type = PYREACTOR_TYPE_TIMEOUT;
  } else if (trap == GUEST_TRAP_PROC_EXIT) {
    snprintf(msg, sizeof msg, "wasm trap: the guest called proc_exit(%u)",
             (unsigned)p->wasi.exit_code);
  } else {
    snprintf(msg, sizeof msg, "wasm trap: %s", guest_trap_text(trap));
  }
  return json_error_object(type, msg, len);
}

const char *pyreactor_result(pyreactor *p, size_t *len)
{
  if (p == NULL || p->text == NULL) {
    if (len != NULL)
      *len = 0;
    return "";
  }
  if (len != NULL)
    *len = p->text_len;
  return p->text;
}

char *pyreactor_take_result(pyreactor *p, size_t *len)
{
  if (p == NULL)
    return NULL;
  char *t = p->text;
  if (len != NULL)
    *len = t != NULL ? p->text_len : 0;
  clear_error_fields(p);
  p->text = NULL;
  p->text_len = 0;
  return t;
}

void pyreactor_free(void *ptr)
{
  free(ptr);
}

int pyreactor_last_code(pyreactor *p)
{
  return p != NULL ? p->code : PYREACTOR_MISUSE;
}

/* ---------------------------------------------------- the error fields -- */

static char *string_member(json_span obj, const char *key)
{
  json_span v;
  if (!json_object_get(obj, key, &v) || json_type_of(v) != JSON_STRING)
    return NULL;
  return json_string_decode(v, NULL);
}

static void parse_error(pyreactor *p)
{
  if (p->err_parsed || p->code == PYREACTOR_OK || p->text == NULL)
    return;
  p->err_parsed = true;
  json_span obj;
  if (json_parse(p->text, p->text_len, &obj, NULL) != JSON_OK)
    return;
  p->err_type = string_member(obj, "type");
  p->err_message = string_member(obj, "message");
  p->err_traceback = string_member(obj, "traceback");
}

const char *pyreactor_error_type(pyreactor *p)
{
  if (p == NULL)
    return NULL;
  parse_error(p);
  return p->err_type;
}

const char *pyreactor_error_message(pyreactor *p)
{
  if (p == NULL)
    return NULL;
  parse_error(p);
  return p->err_message;
}

const char *pyreactor_error_traceback(pyreactor *p)
{
  if (p == NULL)
    return NULL;
  parse_error(p);
  return p->err_traceback;
}

const char *pyreactor_errmsg(pyreactor *p)
{
  if (p == NULL)
    return pyreactor_errstr(PYREACTOR_MISUSE);
  if (p->code == PYREACTOR_OK)
    return pyreactor_errstr(PYREACTOR_OK);
  if (p->errmsg != NULL)
    return p->errmsg;
  parse_error(p);
  const char *type = p->err_type != NULL ? p->err_type : "Error";
  const char *msg = p->err_message != NULL ? p->err_message : pyreactor_errstr(p->code);
  size_t n = strlen(type) + strlen(msg) + 3;
  p->errmsg = malloc(n);
  if (p->errmsg == NULL)
    return pyreactor_errstr(p->code);
  snprintf(p->errmsg, n, "%s: %s", type, msg);
  return p->errmsg;
}
