/*
** batch_request.h -- one line of the batch protocol (ABI.md) to call
** parameters, and a call's outcome to one output line. Shared by the
** `pyreactor batch` command and the C-API vector test.
*/
#ifndef BATCH_REQUEST_H
#define BATCH_REQUEST_H

#include <stddef.h>

#include "pyreactor.h"

typedef struct batch_request {
  pyreactor_op op;
  char *name; /* decoded; NULL for init */
  size_t name_len;
  char *text; /* decoded code, or the args text exactly as written; NULL if none */
  size_t text_len;
  char *error; /* why the line is an InvalidRequest */
} batch_request;

#define BATCH_OK 0
#define BATCH_INVALID (-1) /* req->error says why */
#define BATCH_NOMEM (-2)

/* Parses one request line. Always call batch_request_free afterwards. */
int batch_request_parse(const char *line, size_t len, batch_request *req);
void batch_request_free(batch_request *req);

/* The output line (without newline) for a call's code and result text;
** NULL on out of memory. Free with free. */
char *batch_result_line(int code, const char *text, size_t len, size_t *out_len);
/* {"tag":"err","error":{"type":"InvalidRequest","message":...}} */
char *batch_invalid_line(const char *message, size_t *out_len);

#endif
