/*
** host_call.c -- the import host.call (ABI.md, "Host functions") and the
** part of the C API that answers it: the embedder's host functions, looked
** up by name, and the reply helpers.
**
** One call: check the guest's ranges; find the function (none: the error
** reply NoSuchHostFunction); check and copy the args (not a UTF-8 JSON
** array or object: InvalidArgs); run the callback; then hand the reply over
** as the protocol says: in a buffer from the guest's own alloc, its address
** and length stored at reply_ptr, return 0 for a value and 1 for an error;
** (0, 0) and 1 when alloc fails, which the guest raises as MemoryError. A
** reply address outside guest memory traps (there is nowhere to put the
** reply).
**
** What a call allocates is held by the context in the instance, never only
** by a local: a time limit that passed during the callback ends the call
** with a jump at the next switch to wasm code (the alloc), and the next
** host call or pyreactor_close frees what the jump left behind.
*/
#include "pyreactor_internal.h"

#include "json_reader.h"
#include "json_writer.h"

#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { REPLY_NONE = -1, REPLY_VALUE = 0, REPLY_ERROR = 1 };

/* The guest reads a reply's length as a Python size, an int32 in wasm32. */
#define REPLY_MAX ((size_t)INT32_MAX)
/* An args buffer larger than this is given back after its call, not kept
** for the next one, so that one big call does not hold memory for good. */
#define ARGS_KEEP ((size_t)64 << 10)

/* The reply when the host had no memory for the reply itself. */
static const char nomem_reply[] =
  "{\"type\":\"" PYREACTOR_TYPE_MEMORY_ERROR "\",\"message\":\"the host ran out of memory for the reply\"}";

/* The instance whose import this is: the host part lives inside it. */
static pyreactor *owner(struct Z_host_instance_t *h)
{
  return (pyreactor *)((char *)h - offsetof(pyreactor, host));
}

static uint8_t *guest_range(pyreactor *p, u32 ptr, u64 len)
{
  const wasm_rt_memory_t *m = &p->guest.w2c_memory;
  if ((u64)ptr > m->size || len > m->size - (u64)ptr)
    return NULL;
  return m->data + ptr;
}

/* ------------------------------------------------- the option, copied -- */

static int bad_option(pyreactor *p, const char *why)
{
  pyr_result_error(p, PYREACTOR_MISUSE, PYREACTOR_TYPE_MISUSE, why);
  return PYREACTOR_MISUSE;
}

static int name_cmp(const char *a, size_t an, const char *b, size_t bn)
{
  int c = memcmp(a, b, an < bn ? an : bn);
  return c != 0 ? c : (an > bn) - (an < bn);
}

static int entry_order(const void *x, const void *y)
{
  const host_fn_entry *a = x, *b = y;
  return name_cmp(a->name, a->name_len, b->name, b->name_len);
}

static int copy_entry(pyreactor *p, const pyreactor_host_function *f)
{
  if (f->fn == NULL)
    return bad_option(p, "a host function needs fn");
  if (f->name == NULL) {
    if (p->dispatcher.fn != NULL)
      return bad_option(p, "at most one host function may have the name NULL (a dispatcher)");
    p->dispatcher.fn = f->fn;
    p->dispatcher.user = f->user;
    return PYREACTOR_OK;
  }
  size_t n = strlen(f->name);
  if (n == 0 || !json_utf8_valid(f->name, n))
    return bad_option(p, "a host function's name must be UTF-8 and not empty");
  host_fn_entry *e = &p->fns[p->n_fns];
  if ((e->name = malloc(n + 1)) == NULL)
    return PYREACTOR_NOMEM;
  memcpy(e->name, f->name, n + 1);
  e->name_len = n;
  e->fn = f->fn;
  e->user = f->user;
  p->n_fns++;
  return PYREACTOR_OK;
}

/* A name given twice would make the lookup's answer arbitrary. */
static int refuse_repeats(pyreactor *p)
{
  for (size_t i = 1; i < p->n_fns; i++) {
    if (entry_order(&p->fns[i - 1], &p->fns[i]) == 0) {
      char why[200];
      snprintf(why, sizeof why, "host function %.120s is given twice", p->fns[i].name);
      return bad_option(p, why);
    }
  }
  return PYREACTOR_OK;
}

int pyr_host_functions_copy(pyreactor *p, const pyreactor_options *o)
{
  p->hc.p = p;
  p->hc.reply_status = REPLY_NONE;
  if (o->n_host_functions == 0)
    return PYREACTOR_OK;
  if (o->host_functions == NULL)
    return bad_option(p, "host_functions is NULL but n_host_functions is not 0");
  p->fns = calloc(o->n_host_functions, sizeof *p->fns);
  if (p->fns == NULL)
    return PYREACTOR_NOMEM;
  for (size_t i = 0; i < o->n_host_functions; i++) {
    int rc = copy_entry(p, &o->host_functions[i]);
    if (rc != PYREACTOR_OK)
      return rc;
  }
  qsort(p->fns, p->n_fns, sizeof *p->fns, entry_order);
  return refuse_repeats(p);
}

void pyr_host_functions_free(pyreactor *p)
{
  for (size_t i = 0; i < p->n_fns; i++)
    free(p->fns[i].name);
  free(p->fns);
  p->fns = NULL;
  p->n_fns = 0;
  free(p->hc.reply);
  free(p->hc.args);
  p->hc.reply = p->hc.args = NULL;
  p->hc.args_cap = 0;
}

/* The entry for a name from the guest (any bytes), or NULL. The dispatcher
** takes only names it can be given as C strings of UTF-8. */
static const host_fn_entry *find(const pyreactor *p, const char *name, size_t len)
{
  size_t lo = 0, hi = p->n_fns;
  while (lo < hi) {
    size_t mid = lo + (hi - lo) / 2;
    int c = name_cmp(name, len, p->fns[mid].name, p->fns[mid].name_len);
    if (c == 0)
      return &p->fns[mid];
    if (c < 0)
      hi = mid;
    else
      lo = mid + 1;
  }
  if (p->dispatcher.fn == NULL || len == 0 || memchr(name, '\0', len) != NULL ||
      !json_utf8_valid(name, len))
    return NULL;
  return &p->dispatcher;
}

/* ------------------------------------------------------------ replies -- */

/* Replaces the call's reply; text NULL means the host ran out of memory. */
static void set_reply(pyreactor_call_ctx *c, int status, char *text, size_t len)
{
  free(c->reply);
  c->reply = text;
  c->reply_len = text != NULL ? len : 0;
  c->reply_status = status;
}

static void set_error(pyreactor_call_ctx *c, const char *type, const char *message)
{
  size_t len = 0;
  char *text = json_error_object(type, message, &len);
  set_reply(c, REPLY_ERROR, text, len);
}

static bool can_reply(const pyreactor_call_ctx *call)
{
  return call != NULL && call->active && call->reply_status == REPLY_NONE;
}

int pyreactor_reply_ok(pyreactor_call_ctx *call, const char *json, size_t len)
{
  if (!can_reply(call))
    return PYREACTOR_MISUSE;
  json_span v;
  int rc = json == NULL || len > REPLY_MAX ? JSON_INVALID : json_parse(json, len, &v, NULL);
  if (rc == JSON_OK && !json_utf8_valid(v.p, v.n))
    rc = JSON_INVALID;
  if (rc == JSON_INVALID) {
    set_error(call, PYREACTOR_TYPE_HOST_ERROR, "the host function's reply is not valid JSON");
    return PYREACTOR_MISUSE;
  }
  char *copy = rc == JSON_OK ? malloc(v.n + 1) : NULL;
  if (copy == NULL) {
    set_reply(call, REPLY_ERROR, NULL, 0);
    return PYREACTOR_NOMEM;
  }
  memcpy(copy, v.p, v.n);
  copy[v.n] = '\0';
  set_reply(call, REPLY_VALUE, copy, v.n);
  return PYREACTOR_OK;
}

int pyreactor_reply_error(pyreactor_call_ctx *call, const char *type, const char *message)
{
  if (!can_reply(call))
    return PYREACTOR_MISUSE;
  set_error(call, type != NULL && type[0] != '\0' ? type : PYREACTOR_TYPE_HOST_ERROR,
            message != NULL ? message : "");
  return call->reply != NULL ? PYREACTOR_OK : PYREACTOR_NOMEM;
}

long pyreactor_call_ms_left(const pyreactor_call_ctx *call)
{
  return call != NULL && call->active ? guest_ms_left(&call->p->env) : -1;
}

/* ------------------------------------------------------------ the call -- */

static void no_such_function(pyreactor_call_ctx *c, const uint8_t *name, size_t name_len)
{
  jbuf message;
  jbuf_init(&message);
  jbuf_adds(&message, "no host function named ");
  jbuf_add(&message, (const char *)name, name_len); /* not trusted: escaped below */
  size_t message_len;
  char *text = jbuf_take(&message, &message_len);
  if (text == NULL) {
    set_reply(c, REPLY_ERROR, NULL, 0);
    return;
  }
  jbuf reply;
  jbuf_init(&reply);
  jbuf_adds(&reply, "{\"type\":\"" PYREACTOR_TYPE_NO_SUCH_HOST_FUNCTION "\",\"message\":");
  jbuf_add_json_string(&reply, text, message_len);
  jbuf_adds(&reply, "}");
  free(text);
  size_t len = 0;
  char *out = jbuf_take(&reply, &len);
  set_reply(c, REPLY_ERROR, out, len);
}

/* JSON_OK when the args are what a host function is promised: a UTF-8
** JSON array or object. Guest code can send anything through host.call. */
static int check_args(const uint8_t *args, size_t len)
{
  json_span v;
  int rc = json_parse((const char *)args, len, &v, NULL);
  if (rc != JSON_OK)
    return rc;
  json_type t = json_type_of(v);
  if ((t != JSON_ARRAY && t != JSON_OBJECT) || !json_utf8_valid((const char *)args, len))
    return JSON_INVALID;
  return JSON_OK;
}

/* The args, then for a dispatcher the name, NUL-terminated in the
** context's buffer (reused from call to call: no allocation when warm). */
static int copy_in(pyreactor_call_ctx *c, const uint8_t *args, size_t args_len, const uint8_t *name,
                   size_t name_len)
{
  size_t need = args_len + 1 + (name != NULL ? name_len + 1 : 0);
  if (need > c->args_cap) {
    size_t cap = need < 256 ? 256 : need;
    free(c->args);
    c->args_cap = 0;
    if ((c->args = malloc(cap)) == NULL)
      return -1;
    c->args_cap = cap;
  }
  memcpy(c->args, args, args_len);
  c->args[args_len] = '\0';
  if (name != NULL) {
    memcpy(c->args + args_len + 1, name, name_len);
    c->args[args_len + 1 + name_len] = '\0';
  }
  return 0;
}

static void run_fn(pyreactor *p, const host_fn_entry *e, const char *name, size_t args_len)
{
  pyreactor_call_ctx *c = &p->hc;
  c->active = true;
  p->in_host_fn = true;
  int rc = e->fn(c, name, c->args, args_len, e->user);
  p->in_host_fn = false;
  c->active = false;
  if (rc != PYREACTOR_OK && c->reply_status != REPLY_ERROR) {
    char why[120];
    snprintf(why, sizeof why, "the host function failed: %s", pyreactor_errstr(rc));
    set_error(c, PYREACTOR_TYPE_HOST_ERROR, why);
  } else if (c->reply_status == REPLY_NONE) {
    set_error(c, PYREACTOR_TYPE_HOST_ERROR, "the host function gave no reply");
  }
}

/* Leaves the reply to the call of `name` with `args` (NULL: outside guest
** memory) in the context. */
static void answer(pyreactor *p, const uint8_t *name, size_t name_len, const uint8_t *args,
                   size_t args_len)
{
  pyreactor_call_ctx *c = &p->hc;
  if (name == NULL || args == NULL) {
    set_error(c, PYREACTOR_TYPE_HOST_ERROR, name == NULL ? "host.call: the name lies outside guest memory"
                                           : "host.call: the args lie outside guest memory");
    return;
  }
  const host_fn_entry *e = find(p, (const char *)name, name_len);
  if (e == NULL) {
    no_such_function(c, name, name_len);
    return;
  }
  int rc = check_args(args, args_len);
  if (rc == JSON_OK)
    rc = copy_in(c, args, args_len, e->name == NULL ? name : NULL, name_len) == 0 ? JSON_OK : JSON_NOMEM;
  if (rc != JSON_OK) {
    if (rc == JSON_NOMEM)
      set_reply(c, REPLY_ERROR, NULL, 0);
    else
      set_error(c, PYREACTOR_TYPE_INVALID_ARGS,
                "host.call: the args must be a JSON array or object in UTF-8");
    return;
  }
  /* Out of time already: the call ends at the next switch to wasm. */
  if (guest_interrupted()) {
    set_error(c, PYREACTOR_TYPE_TIMEOUT, "the call ran out of time before the host function ran");
    return;
  }
  run_fn(p, e, e->name != NULL ? e->name : c->args + args_len + 1, args_len);
}

/* Copies `text` into a buffer from the guest's alloc; 0 if it gave none
** (or one outside its memory, which it must not). */
static u32 to_guest(pyreactor *p, const char *text, size_t len)
{
  guest_wasm_enter(); /* the export runs as wasm code (timeouts, traps) */
  u32 ptr = Z_python_reactorZ_alloc(&p->guest, (u32)len);
  guest_wasm_leave();
  uint8_t *dst = ptr != 0 ? guest_range(p, ptr, len) : NULL;
  if (dst == NULL)
    return 0;
  memcpy(dst, text, len);
  return ptr;
}

/* Hands the context's reply to the guest as the protocol says. */
static u32 deliver(pyreactor *p, u32 reply_ptr)
{
  pyreactor_call_ctx *c = &p->hc;
  bool have = c->reply != NULL;
  const char *text = have ? c->reply : nomem_reply;
  size_t len = have ? c->reply_len : sizeof nomem_reply - 1;
  u32 status = have ? (u32)c->reply_status : REPLY_ERROR;
  u32 ptr = to_guest(p, text, len); /* a time limit passed meanwhile ends the call here */
  set_reply(c, REPLY_NONE, NULL, 0);
  if (c->args_cap > ARGS_KEEP) {
    free(c->args);
    c->args = NULL;
    c->args_cap = 0;
  }
  /* Memory may have grown in alloc: the slot is looked up again. */
  uint8_t *slot = guest_range(p, reply_ptr, 8);
  wasi_put_u32(slot, ptr);
  wasi_put_u32(slot + 4, ptr != 0 ? (u32)len : 0);
  return ptr != 0 ? status : REPLY_ERROR;
}

static u32 host_call(pyreactor *p, u32 name_ptr, u32 name_len, u32 args_ptr, u32 args_len,
                     u32 reply_ptr)
{
  if (guest_range(p, reply_ptr, 8) == NULL)
    wasm_rt_trap(WASM_RT_TRAP_OOB);
  set_reply(&p->hc, REPLY_NONE, NULL, 0); /* what a jump out of the last call left */
  answer(p, guest_range(p, name_ptr, name_len), name_len, guest_range(p, args_ptr, args_len),
         args_len);
  return deliver(p, reply_ptr);
}

u32 Z_hostZ_call(struct Z_host_instance_t *h, u32 name_ptr, u32 name_len, u32 args_ptr, u32 args_len,
                 u32 reply_ptr)
{
  guest_import_enter();
  u32 status = host_call(owner(h), name_ptr, name_len, args_ptr, args_len, reply_ptr);
  guest_import_leave();
  return status;
}
