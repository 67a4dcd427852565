/*
** pyreactor_export_call.h -- one export run on a live guest
** (pyreactor_export_call.c), and what the ops of pyreactor_op take.
*/
#ifndef PYREACTOR_EXPORT_CALL_H
#define PYREACTOR_EXPORT_CALL_H

#include "pyreactor_internal.h"

static inline bool op_has_name(pyreactor_op op)
{
  return op != PYREACTOR_OP_INIT && op != PYREACTOR_OP_RUN;
}

static inline bool op_has_text(pyreactor_op op)
{
  return op == PYREACTOR_OP_REGISTER_LAMBDA || op == PYREACTOR_OP_REGISTER_DEF ||
         op == PYREACTOR_OP_REGISTER_MODULE || op == PYREACTOR_OP_APPLY_LAMBDA ||
         op == PYREACTOR_OP_APPLY_DEF || op == PYREACTOR_OP_RUN || op == PYREACTOR_OP_REGISTER_PACKAGE;
}

static inline bool op_is_apply(pyreactor_op op)
{
  return op == PYREACTOR_OP_APPLY_LAMBDA || op == PYREACTOR_OP_APPLY_DEF;
}

/* apply_* and run deliver their record through host.callback too. */
static inline bool op_calls_back(pyreactor_op op)
{
  return op_is_apply(op) || op == PYREACTOR_OP_RUN;
}

static inline bool op_is_registration(pyreactor_op op)
{
  return op != PYREACTOR_OP_INIT && !op_calls_back(op);
}

/* Runs one export in the guest; fills out->text/text_len (a malloc'ed
** copy of the result text) and out->code, a PYREACTOR_* code. For a trap,
** out->trap gets the trap code. */
typedef struct pyr_outcome {
  int code;
  char *text;
  size_t text_len;
  int trap;
} pyr_outcome;
void pyr_run(pyreactor *p, pyreactor_op op, const char *name, size_t name_len,
             const char *text, size_t text_len, pyr_outcome *out);

#endif
