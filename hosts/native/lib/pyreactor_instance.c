/*
** pyreactor_instance.c -- opening and closing instances, building the guest
** (rebuilding it after a trap, with every registration replayed, is
** pyreactor_rebuild.c).
*/
#include "pyreactor_internal.h"
#include "wasm_memory_image.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

/* A pre-initialized (wizer) build of the guest has no _initialize: bind it
** weakly and call it only when the module exports it, as ABI.md says. (The
** generated header declares it only when it exists.) Hidden: when the
** guest has none, the shared library resolves it to NULL itself instead of
** leaving a weak reference any other library loaded could answer. */
extern void Z_python_reactorZ__initialize(Z_python_reactor_instance_t *)
  __attribute__((weak, visibility("hidden")));
/* An extension of ABI 1 that newer guests export: a cap the guest enforces
** itself (malloc fails, Python raises MemoryError) below our hard one. */
extern u32 Z_python_reactorZ_set_memory_limit(Z_python_reactor_instance_t *, u32)
  __attribute__((weak, visibility("hidden")));

#define WASM_PAGE 65536u
#define MAX_ENV_BYTES ((size_t)1 << 20)

/* -------------------------------------------------------- host.callback -- */

/* The guest delivers an apply's result here before the apply returns. We
** only check the contract (once, with our id); the record is read from the
** export's return value, which ABI.md says is the same record. */
void Z_hostZ_callback(struct Z_host_instance_t *h, u32 id, u32 record)
{
  guest_import_enter();
  h->calls++;
  h->record = record;
  if (id != h->expect_id)
    h->id_mismatch = true;
  guest_import_leave();
}

/* ---------------------------------------------------------- the guest -- */

static pthread_once_t module_once = PTHREAD_ONCE_INIT;

static void module_init(void)
{
  Z_python_reactor_init_module(); /* registers function types, once */
}

static void instantiate(void *arg)
{
  pyreactor *p = arg;
  Z_python_reactor_instantiate(&p->guest, &p->host, &p->wasi);
  p->hot = wasm_image_hot();
  if (p->module != NULL) { /* a pack: its memory and globals, before any guest code runs */
    pyr_module_apply(p->module, &p->guest.w2c_memory, &p->guest.w2c_g0);
    p->hot = pyr_module_hot(p->module);
  }
  if (p->hot != NULL)
    wasm_hot_pages_populate(p->hot, p->guest.w2c_memory.data, p->guest.w2c_memory.size);
  guest_wasm_enter();
  if (Z_python_reactorZ__initialize != NULL)
    Z_python_reactorZ__initialize(&p->guest);
  if (Z_python_reactorZ_set_memory_limit != NULL && p->memory_limit_mib > 0)
    Z_python_reactorZ_set_memory_limit(&p->guest, p->memory_limit_mib);
  guest_wasm_leave();
}

void pyr_destroy_guest(pyreactor *p)
{
  Z_python_reactor_free(&p->guest);
  wasi_ctx_free(&p->wasi);
  memset(&p->guest, 0, sizeof p->guest);
  p->hot = NULL;
  p->live = false;
}

/* A memory_limit below the module's initial memory: the caller's mistake,
** said in the units people give caps in. `pages` is what the module asked
** for (wasm_rt_allocate_memory leaves it in the refused memory). */
static int cap_below_module(pyreactor *p, uint32_t pages)
{
  char cap[48], msg[160];
  uint64_t need_mib = ((uint64_t)pages * WASM_PAGE + (1u << 20) - 1) >> 20;
  if (p->memory_limit % (1u << 20) == 0)
    snprintf(cap, sizeof cap, "%zu MiB", p->memory_limit >> 20);
  else
    snprintf(cap, sizeof cap, "%zu bytes", p->memory_limit);
  snprintf(msg, sizeof msg, "memory_limit %s is below the %llu MiB the module needs", cap,
           (unsigned long long)need_mib);
  pyr_result_error(p, PYREACTOR_MISUSE, PYREACTOR_TYPE_MISUSE, msg);
  return PYREACTOR_MISUSE;
}

/* A fresh guest with a fresh fd table. On a trap during instantiation the
** result (a PYREACTOR_CANTOPEN error, or PYREACTOR_MISUSE for a memory cap
** below the module's own memory) is left in p's result. */
int pyr_create_guest(pyreactor *p)
{
  pthread_once(&module_once, module_init);
  memset(&p->guest, 0, sizeof p->guest);
  memset(&p->host, 0, sizeof p->host);
  if (wasi_ctx_init(&p->wasi, &p->wcfg, &p->guest.w2c_memory) != 0) {
    pyr_result_error(p, PYREACTOR_CANTOPEN, PYREACTOR_TYPE_HOST_ERROR, "cannot set up the WASI file table");
    return PYREACTOR_CANTOPEN;
  }
  p->env.stack = &p->stack;
  p->env.memory = &p->guest.w2c_memory;
  /* Instantiation is the host's cost, not the caller's: no time limit. */
  guest_env env = p->env;
  env.timeout_ms = 0;
  int trap = guest_call(&env, instantiate, p);
  if (trap == GUEST_TRAP_MEMORY_CAP) {
    uint32_t pages = p->guest.w2c_memory.pages;
    pyr_destroy_guest(p);
    return cap_below_module(p, pages);
  }
  if (trap != GUEST_TRAP_NONE) {
    char msg[160];
    snprintf(msg, sizeof msg, "instantiating the guest trapped: %s", guest_trap_text(trap));
    pyr_destroy_guest(p);
    pyr_result_error(p, PYREACTOR_CANTOPEN, PYREACTOR_TYPE_TRAP, msg);
    return PYREACTOR_CANTOPEN;
  }
  p->live = true;
  return PYREACTOR_OK;
}

/* Discards the guest, if any, for a fresh one: what both a rebuild and a
** reset start with. The stack's pages go back too (a deep recursion may
** have left many). */
int pyr_renew_guest(pyreactor *p)
{
  if (p->live)
    pyr_destroy_guest(p);
  guest_stack_release(&p->stack);
  return pyr_create_guest(p);
}

uint64_t pyr_now_ns(void)
{
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (uint64_t)t.tv_sec * 1000000000u + (uint64_t)t.tv_nsec;
}

uint64_t pyr_thread_cpu_ns(void)
{
  struct timespec t;
  if (clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t) != 0)
    return 0;
  return (uint64_t)t.tv_sec * 1000000000u + (uint64_t)t.tv_nsec;
}

/* ------------------------------------------------------------- options -- */

void pyreactor_options_init(pyreactor_options *opts)
{
  if (opts != NULL)
    memset(opts, 0, sizeof *opts);
}

static int copy_grant(pyreactor *p, const pyreactor_dir *d)
{
  char msg[512];
  if (d->host_path == NULL || d->host_path[0] == '\0') {
    pyr_result_error(p, PYREACTOR_MISUSE, PYREACTOR_TYPE_MISUSE, "a directory grant needs a host_path");
    return PYREACTOR_MISUSE;
  }
  const char *guest = d->guest_path != NULL ? d->guest_path : d->host_path;
  if (guest[0] == '\0') {
    pyr_result_error(p, PYREACTOR_MISUSE, PYREACTOR_TYPE_MISUSE, "a directory grant needs a guest path");
    return PYREACTOR_MISUSE;
  }
  int fd = open(d->host_path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) {
    snprintf(msg, sizeof msg, "cannot open directory %s: %s", d->host_path, strerror(errno));
    pyr_result_error(p, PYREACTOR_CANTOPEN, PYREACTOR_TYPE_HOST_ERROR, msg);
    return PYREACTOR_CANTOPEN;
  }
  wasi_grant *g = &p->grants[p->n_grants];
  g->guest_path = strdup(guest);
  if (g->guest_path == NULL) {
    close(fd);
    pyr_result_error(p, PYREACTOR_NOMEM, PYREACTOR_TYPE_MEMORY_ERROR, "out of memory");
    return PYREACTOR_NOMEM;
  }
  g->host_fd = fd;
  g->read_only = d->read_only != 0;
  p->n_grants++;
  return PYREACTOR_OK;
}

static int copy_grants(pyreactor *p, const pyreactor_options *o)
{
  if (o->n_dirs == 0)
    return PYREACTOR_OK;
  if (o->dirs == NULL || o->n_dirs > WASI_MAX_FDS - 3) {
    pyr_result_error(p, PYREACTOR_MISUSE, PYREACTOR_TYPE_MISUSE, "bad dirs/n_dirs in options");
    return PYREACTOR_MISUSE;
  }
  p->grants = calloc(o->n_dirs, sizeof *p->grants);
  if (p->grants == NULL)
    return PYREACTOR_NOMEM;
  for (size_t i = 0; i < o->n_dirs; i++) {
    int rc = copy_grant(p, &o->dirs[i]);
    if (rc != PYREACTOR_OK)
      return rc;
  }
  return PYREACTOR_OK;
}

/* "K=V" strings into one block of NUL-terminated strings, as environ_get
** hands them to the guest. */
static int copy_env(pyreactor *p, const pyreactor_options *o)
{
  size_t total = 0;
  if (o->n_env > 0 && o->env == NULL)
    goto misuse;
  for (size_t i = 0; i < o->n_env; i++) {
    const char *kv = o->env[i];
    if (kv == NULL || kv[0] == '=' || strchr(kv, '=') == NULL)
      goto misuse;
    total += strlen(kv) + 1;
    if (total > MAX_ENV_BYTES)
      goto misuse;
  }
  p->env_block = malloc(total + 1);
  if (p->env_block == NULL)
    return PYREACTOR_NOMEM;
  size_t off = 0;
  for (size_t i = 0; i < o->n_env; i++) {
    size_t n = strlen(o->env[i]) + 1;
    memcpy(p->env_block + off, o->env[i], n);
    off += n;
  }
  p->wcfg.env_block = p->env_block;
  p->wcfg.env_bytes = total;
  p->wcfg.env_count = (uint32_t)o->n_env;
  return PYREACTOR_OK;
misuse:
  pyr_result_error(p, PYREACTOR_MISUSE, PYREACTOR_TYPE_MISUSE,
                   "env entries must be \"NAME=VALUE\" strings (at most 1 MiB in all)");
  return PYREACTOR_MISUSE;
}

static int open_module(pyreactor *p, const pyreactor_options *o)
{
  if (o->module_path == NULL)
    return PYREACTOR_OK;
  char err[1024];
  if (pyr_module_open(o->module_path, &p->module, err, sizeof err) != 0) {
    pyr_result_error(p, PYREACTOR_CANTOPEN, PYREACTOR_TYPE_HOST_ERROR, err);
    return PYREACTOR_CANTOPEN;
  }
  return PYREACTOR_OK;
}

static int copy_options(pyreactor *p, const pyreactor_options *o)
{
  int rc = open_module(p, o);
  if (rc == PYREACTOR_OK)
    rc = copy_grants(p, o);
  if (rc == PYREACTOR_OK)
    rc = copy_env(p, o);
  if (rc == PYREACTOR_OK)
    rc = pyr_host_functions_copy(p, o);
  if (rc != PYREACTOR_OK)
    return rc;
  if (o->stdin_len > 0) {
    if (o->stdin_data == NULL || (p->stdin_data = malloc(o->stdin_len)) == NULL)
      return o->stdin_data == NULL ? PYREACTOR_MISUSE : PYREACTOR_NOMEM;
    memcpy(p->stdin_data, o->stdin_data, o->stdin_len);
  }
  p->wcfg.grants = p->grants;
  p->wcfg.n_grants = p->n_grants;
  p->wcfg.stdin_data = p->stdin_data;
  p->wcfg.stdin_len = o->stdin_len;
  pyr_output_config(p, o);
  uint64_t pages = o->memory_limit == 0 ? 65536 : o->memory_limit / WASM_PAGE;
  p->env.max_pages = (uint32_t)(pages > 65536 ? 65536 : pages);
  p->memory_limit = o->memory_limit;
  p->memory_limit_mib = (uint32_t)(o->memory_limit >> 20 > 4096 ? 4096 : o->memory_limit >> 20);
  p->env.timeout_ms = o->timeout_ms;
  if (guest_stack_init(&p->stack, o->stack_size) != 0) {
    pyr_result_error(p, PYREACTOR_CANTOPEN, PYREACTOR_TYPE_HOST_ERROR,
                     "cannot reserve the guest stack (stack_size must be 1 MiB .. 16 GiB)");
    return PYREACTOR_CANTOPEN;
  }
  return PYREACTOR_OK;
}

/* ------------------------------------------------------- open / close -- */

int pyreactor_open(const pyreactor_options *opts, pyreactor **out)
{
  return pyr_open(opts, false, out);
}

int pyr_open(const pyreactor_options *opts, bool deterministic, pyreactor **out)
{
  if (out == NULL)
    return PYREACTOR_MISUSE;
  pyreactor *p = calloc(1, sizeof *p);
  *out = p;
  if (p == NULL)
    return PYREACTOR_NOMEM;
  pyreactor_options none;
  pyreactor_options_init(&none);
  int rc = copy_options(p, opts != NULL ? opts : &none);
  p->wcfg.deterministic = deterministic;
  if (rc == PYREACTOR_OK)
    rc = pyr_create_guest(p);
  if (rc == PYREACTOR_OK)
    pyr_result_set(p, PYREACTOR_OK, NULL, 0);
  else if (p->text == NULL)
    pyr_result_error(p, rc, rc == PYREACTOR_NOMEM ? PYREACTOR_TYPE_MEMORY_ERROR : PYREACTOR_TYPE_HOST_ERROR,
                     pyreactor_errstr(rc));
  return rc;
}

int pyreactor_close(pyreactor *p)
{
  if (p == NULL)
    return PYREACTOR_OK;
  if (pyr_enter(p, false) != PYREACTOR_OK)
    return PYREACTOR_MISUSE;
  if (p->live)
    pyr_destroy_guest(p);
  guest_stack_free(&p->stack);
  for (size_t i = 0; i < p->n_grants; i++) {
    close(p->grants[i].host_fd);
    free(p->grants[i].guest_path);
  }
  free(p->grants);
  pyr_module_release(p->module);
  free(p->env_block);
  free(p->stdin_data);
  pyr_host_functions_free(p);
  pyr_log_free(p);
  pyr_result_clear(p);
  pyr_output_free(p);
  free(p);
  return PYREACTOR_OK;
}

int pyreactor_reset(pyreactor *p)
{
  if (pyr_enter(p, false) != PYREACTOR_OK)
    return PYREACTOR_MISUSE;
  pyr_log_free(p);
  int rc = pyr_renew_guest(p);
  if (rc == PYREACTOR_OK)
    pyr_result_set(p, PYREACTOR_OK, NULL, 0);
  pyr_leave(p);
  return rc;
}

int pyreactor_set_timeout(pyreactor *p, unsigned timeout_ms)
{
  if (pyr_enter(p, false) != PYREACTOR_OK)
    return PYREACTOR_MISUSE;
  p->env.timeout_ms = timeout_ms;
  pyr_leave(p);
  return PYREACTOR_OK;
}

unsigned long pyreactor_rebuilds(const pyreactor *p)
{
  return p != NULL ? p->rebuilds : 0;
}

unsigned long pyreactor_replay_failures(const pyreactor *p)
{
  return p != NULL ? p->replay_failures : 0;
}

int pyreactor_abi_version(void)
{
  return 2;
}

const char *pyreactor_libversion(void)
{
  return PYREACTOR_VERSION;
}
