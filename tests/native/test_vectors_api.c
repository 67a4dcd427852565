/*
** test_vectors_api.c -- the conformance vectors through the C API.
**
**   test_vectors_api DIR|FILE.jsonl...
**
** Every *.jsonl in each DIR, and each FILE, is one scenario, run in order
** on one fresh instance (shared/vectors/README.md). Each line is a batch
** request plus "expect"; the request goes through pyreactor_call (not the
** batch code path), and the outcome is read back with pyreactor_result and
** the pyreactor_error_* getters. The instance exposes the two host functions
** that v2/host.jsonl needs, written in C: `echo` replies with its args as
** they came, `fail` always fails (what the batch tools get from
** --host-function echo=cat --host-function "fail=sh -c 'echo nope >&2; exit 3'").
*/
#include "batch_request.h"
#include "json_reader.h"
#include "pyreactor.h"
#include "test_util.h"

#include <dirent.h>
#include <stdbool.h>
#include <sys/stat.h>

typedef struct outcome {
  bool ok;
  const char *text; /* ok: the value text */
  size_t text_len;
  const char *type, *message; /* err */
} outcome;

static bool type_allowed(json_span expect_type, const char *type)
{
  if (type == NULL)
    return false;
  if (json_type_of(expect_type) == JSON_STRING)
    return json_string_eq(expect_type, type, strlen(type));
  json_iter it;
  json_span v;
  json_iter_init(&it, expect_type);
  while (json_array_next(&it, &v))
    if (json_string_eq(v, type, strlen(type)))
      return true;
  return false;
}

static bool message_has(json_span needle, const char *message)
{
  char *n = json_string_decode(needle, NULL);
  bool yes = n != NULL && message != NULL && strstr(message, n) != NULL;
  free(n);
  return yes;
}

/* NULL when `got` meets `expect`, else a reason (static or in buf). */
static const char *judge(json_span expect, const outcome *got, char *buf, size_t cap)
{
  json_span tag, v;
  if (!json_object_get(expect, "tag", &tag))
    return "vector without expect.tag";
  bool want_ok = json_string_eq(tag, "ok", 2);
  if (want_ok != got->ok) {
    snprintf(buf, cap, "expected %s, got %s %s: %.200s", want_ok ? "ok" : "err",
             got->ok ? "ok" : "err", got->ok ? "" : got->type, got->ok ? got->text : got->message);
    return buf;
  }
  if (want_ok) {
    if (!json_object_get(expect, "value", &v))
      return NULL;
    json_span actual;
    if (json_parse(got->text, got->text_len, &actual, NULL) != JSON_OK)
      return "result is not JSON";
    if (json_equal(actual, v, 1000))
      return NULL;
    snprintf(buf, cap, "expected value %.*s, got %.200s", (int)(v.n > 200 ? 200 : v.n), v.p,
             got->text);
    return buf;
  }
  if (json_object_get(expect, "type", &v) && !type_allowed(v, got->type)) {
    snprintf(buf, cap, "expected error type %.*s, got %s: %.200s", (int)v.n, v.p,
             got->type ? got->type : "(none)", got->message ? got->message : "");
    return buf;
  }
  if (json_object_get(expect, "message_contains", &v) && !message_has(v, got->message)) {
    snprintf(buf, cap, "expected message containing %.*s, got %.200s", (int)v.n, v.p,
             got->message ? got->message : "(none)");
    return buf;
  }
  return NULL;
}

/* Runs one request line; fills `got` (pointers into p or req). */
static void run_line(pyreactor *p, const char *line, size_t len, batch_request *req, outcome *got)
{
  memset(got, 0, sizeof *got);
  int rc = batch_request_parse(line, len, req);
  if (rc != BATCH_OK) {
    got->type = "InvalidRequest";
    got->message = req->error != NULL ? req->error : "out of memory";
    return;
  }
  int code = pyreactor_call(p, req->op, req->name, req->name_len, req->text, req->text_len);
  got->ok = code == PYREACTOR_OK;
  got->text = pyreactor_result(p, &got->text_len);
  if (!got->ok) {
    got->type = pyreactor_error_type(p);
    got->message = pyreactor_error_message(p);
  }
}

static void check_line(pyreactor *p, const char *where, const char *line, size_t len)
{
  json_span v, expect, op, name;
  if (json_parse(line, len, &v, NULL) != JSON_OK || !json_object_get(v, "expect", &expect)) {
    t_fail(where, "bad vector line");
    return;
  }
  char label[160] = "";
  if (json_object_get(v, "op", &op) && json_type_of(op) == JSON_STRING) {
    size_t n = json_string_decode_into(op, label, sizeof label - 1);
    label[n < sizeof label - 1 ? n : sizeof label - 1] = '\0';
  }
  if (json_object_get(v, "name", &name) && json_type_of(name) == JSON_STRING) {
    size_t at = strlen(label);
    label[at++] = ' ';
    size_t n = json_string_decode_into(name, label + at, sizeof label - 1 - at);
    label[at + (n < sizeof label - 1 - at ? n : sizeof label - 1 - at)] = '\0';
  }
  batch_request req;
  outcome got;
  run_line(p, line, len, &req, &got);
  char buf[1024];
  const char *why = judge(expect, &got, buf, sizeof buf);
  if (why == NULL)
    t_pass();
  else
    t_fail(where, "%s: %s", label, why);
  batch_request_free(&req);
}

static int echo_fn(pyreactor_call_ctx *call, const char *name, const char *args_json,
                   size_t args_len, void *user)
{
  (void)name, (void)user;
  return pyreactor_reply_ok(call, args_json, args_len);
}

static int fail_fn(pyreactor_call_ctx *call, const char *name, const char *args_json,
                   size_t args_len, void *user)
{
  (void)name, (void)args_json, (void)args_len, (void)user;
  return pyreactor_reply_error(call, "HostError", "nope");
}

static const pyreactor_host_function host_functions[] = {
  {"echo", echo_fn, NULL},
  {"fail", fail_fn, NULL},
};

static void run_file(const char *path)
{
  size_t len;
  char *text = t_read_file(path, &len);
  if (text == NULL) {
    t_fail(path, "cannot read");
    return;
  }
  pyreactor_options o;
  pyreactor_options_init(&o);
  o.host_functions = host_functions;
  o.n_host_functions = sizeof host_functions / sizeof host_functions[0];
  pyreactor *p;
  if (pyreactor_open(&o, &p) != PYREACTOR_OK) {
    t_fail(path, "pyreactor_open: %s", pyreactor_errmsg(p));
    pyreactor_close(p);
    free(text);
    return;
  }
  int lineno = 0;
  for (char *line = text; line < text + len;) {
    char *nl = memchr(line, '\n', (size_t)(text + len - line));
    size_t n = nl != NULL ? (size_t)(nl - line) : (size_t)(text + len - line);
    lineno++;
    bool blank = true;
    for (size_t i = 0; i < n; i++)
      blank = blank && (line[i] == ' ' || line[i] == '\t' || line[i] == '\r');
    if (!blank) {
      char where[4200];
      snprintf(where, sizeof where, "%s:%d", path, lineno);
      check_line(p, where, line, n);
    }
    line += n + 1;
  }
  pyreactor_close(p);
  free(text);
}

static int jsonl(const struct dirent *e)
{
  size_t n = strlen(e->d_name);
  return n > 6 && strcmp(e->d_name + n - 6, ".jsonl") == 0;
}

/* Every *.jsonl directly in `dir`, in name order. */
static void run_dir(const char *dir)
{
  struct dirent **names;
  int n = scandir(dir, &names, jsonl, alphasort);
  if (n < 0) {
    t_fail(dir, "cannot list");
    return;
  }
  for (int k = 0; k < n; k++) {
    char path[4096];
    snprintf(path, sizeof path, "%s/%s", dir, names[k]->d_name);
    run_file(path);
    free(names[k]);
  }
  free(names);
}

int main(int argc, char **argv)
{
  if (argc < 2) {
    fprintf(stderr, "usage: test_vectors_api DIR|FILE.jsonl...\n");
    return 2;
  }
  for (int i = 1; i < argc; i++) {
    struct stat st;
    if (stat(argv[i], &st) == 0 && S_ISREG(st.st_mode))
      run_file(argv[i]);
    else
      run_dir(argv[i]);
  }
  return t_summary("vectors[native-api]");
}
