/*
** batch_request.c -- see batch_request.h. Mirrors the JavaScript host's
** checks and messages so that every host answers a bad line alike.
*/
#include "batch_request.h"

#include "json_reader.h"
#include "json_writer.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* KIND_CELL: code and no name (run); KIND_FILES: a name and "files", a
** JSON object passed as its exact text (register_package). */
typedef enum { KIND_NONE, KIND_NAME, KIND_CODE, KIND_ARGS, KIND_CELL, KIND_FILES } op_kind;

static op_kind kind_of(pyreactor_op op)
{
  switch (op) {
  case PYREACTOR_OP_INIT: return KIND_NONE;
  case PYREACTOR_OP_REGISTER_LAMBDA:
  case PYREACTOR_OP_REGISTER_DEF:
  case PYREACTOR_OP_REGISTER_MODULE: return KIND_CODE;
  case PYREACTOR_OP_APPLY_LAMBDA:
  case PYREACTOR_OP_APPLY_DEF: return KIND_ARGS;
  case PYREACTOR_OP_RUN: return KIND_CELL;
  case PYREACTOR_OP_REGISTER_PACKAGE: return KIND_FILES;
  default: return KIND_NAME;
  }
}

static int invalid(batch_request *req, const char *fmt, const char *a, size_t alen)
{
  size_t n = strlen(fmt) + alen + 1;
  req->error = malloc(n);
  if (req->error == NULL)
    return BATCH_NOMEM;
  snprintf(req->error, n, fmt, (int)alen, a);
  return BATCH_INVALID;
}

static int decode_member(json_span v, char **out, size_t *len)
{
  *out = json_string_decode(v, len);
  return *out != NULL ? BATCH_OK : BATCH_NOMEM;
}

static int copy_span(json_span v, char **out, size_t *len)
{
  *out = malloc(v.n + 1);
  if (*out == NULL)
    return BATCH_NOMEM;
  memcpy(*out, v.p, v.n);
  (*out)[v.n] = '\0';
  *len = v.n;
  return BATCH_OK;
}

/* args_text (a string, passed decoded and unchanged) wins over args (any
** JSON value, passed as the exact text of the line); neither means "[]". */
static int args_of(json_span obj, batch_request *req)
{
  json_span v;
  if (json_object_get(obj, "args_text", &v)) {
    if (json_type_of(v) != JSON_STRING)
      return invalid(req, "\"args_text\" must be a string%.*s", "", 0);
    return decode_member(v, &req->text, &req->text_len);
  }
  if (json_object_get(obj, "args", &v))
    return copy_span(v, &req->text, &req->text_len);
  json_span empty = {"[]", 2};
  return copy_span(empty, &req->text, &req->text_len);
}

static int op_of(json_span obj, batch_request *req)
{
  json_span v;
  if (!json_object_get(obj, "op", &v))
    return invalid(req, "unknown op: missing%.*s", "", 0);
  int op = -1;
  if (json_type_of(v) == JSON_STRING) {
    char buf[32];
    size_t n = json_string_decode_into(v, buf, sizeof buf);
    if (n <= sizeof buf)
      op = pyreactor_op_from_name(buf, n);
  }
  if (op < 0)
    return invalid(req, "unknown op: %.*s", v.p, v.n > 200 ? 200 : v.n);
  req->op = (pyreactor_op)op;
  return BATCH_OK;
}

static int fields_of(json_span obj, batch_request *req)
{
  int rc = op_of(obj, req);
  if (rc != BATCH_OK)
    return rc;
  op_kind kind = kind_of(req->op);
  const char *op = pyreactor_op_name(req->op);
  json_span v;
  if (kind != KIND_NONE && kind != KIND_CELL) {
    if (!json_object_get(obj, "name", &v) || json_type_of(v) != JSON_STRING)
      return invalid(req, "%.*s needs \"name\", a string", op, strlen(op));
    if ((rc = decode_member(v, &req->name, &req->name_len)) != BATCH_OK)
      return rc;
  }
  if (kind == KIND_CODE || kind == KIND_CELL) {
    if (!json_object_get(obj, "code", &v) || json_type_of(v) != JSON_STRING)
      return invalid(req, "%.*s needs \"code\", a string", op, strlen(op));
    return decode_member(v, &req->text, &req->text_len);
  }
  if (kind == KIND_FILES) {
    if (!json_object_get(obj, "files", &v) || json_type_of(v) != JSON_OBJECT)
      return invalid(req, "%.*s needs \"files\", an object of path: text", op, strlen(op));
    return copy_span(v, &req->text, &req->text_len);
  }
  return kind == KIND_ARGS ? args_of(obj, req) : BATCH_OK;
}

int batch_request_parse(const char *line, size_t len, batch_request *req)
{
  memset(req, 0, sizeof *req);
  json_span obj;
  size_t at = 0;
  int rc = json_parse(line, len, &obj, &at);
  if (rc == JSON_NOMEM)
    return BATCH_NOMEM;
  if (rc != JSON_OK) {
    char where[64];
    snprintf(where, sizeof where, "unexpected input at byte %zu", at);
    return invalid(req, "not valid JSON: %.*s", where, strlen(where));
  }
  if (json_type_of(obj) != JSON_OBJECT)
    return invalid(req, "a request must be a JSON object%.*s", "", 0);
  return fields_of(obj, req);
}

void batch_request_free(batch_request *req)
{
  free(req->name);
  free(req->text);
  free(req->error);
  memset(req, 0, sizeof *req);
}

char *batch_result_line(int code, const char *text, size_t len, size_t *out_len)
{
  jbuf b;
  jbuf_init(&b);
  if (code == PYREACTOR_OK) {
    jbuf_adds(&b, "{\"tag\":\"ok\",\"value\":");
    jbuf_add(&b, text, len);
  } else {
    jbuf_adds(&b, "{\"tag\":\"err\",\"error\":");
    if (len > 0) {
      jbuf_add(&b, text, len);
    } else {
      char *fallback = json_error_object(PYREACTOR_TYPE_HOST_ERROR, pyreactor_errstr(code), NULL);
      jbuf_adds(&b, fallback != NULL ? fallback : "{}");
      free(fallback);
    }
  }
  jbuf_adds(&b, "}");
  return jbuf_take(&b, out_len);
}

char *batch_invalid_line(const char *message, size_t *out_len)
{
  jbuf b;
  jbuf_init(&b);
  jbuf_adds(&b, "{\"tag\":\"err\",\"error\":{\"type\":\"" PYREACTOR_TYPE_INVALID_REQUEST "\",\"message\":");
  jbuf_add_json_string(&b, message, strlen(message));
  jbuf_adds(&b, "}}");
  return jbuf_take(&b, out_len);
}
