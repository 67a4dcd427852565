/*
** pyreactor_testing.c -- see pyreactor_testing.h.
*/
#include "pyreactor_testing.h"

#include "pyreactor_internal.h"
#include "pyreactor_rebuild.h"
#include "wasi_impl.h"
#include "wasm_memory_image.h"

#include <string.h>

typedef struct raw_call {
  pyreactor *p;
  const char *name;
  const uint32_t *a;
  size_t n;
  uint32_t ret;
  int proc_exit;
  int known;
} raw_call;

static int dispatch(raw_call *r)
{
  Z_python_reactor_instance_t *g = &r->p->guest;
  const uint32_t *a = r->a;
  if (strcmp(r->name, "abi_version") == 0 && r->n == 0)
    r->ret = Z_python_reactorZ_abi_version(g);
  else if (strcmp(r->name, "alloc") == 0 && r->n == 1)
    r->ret = Z_python_reactorZ_alloc(g, a[0]);
  else if (strcmp(r->name, "dealloc") == 0 && r->n == 2)
    Z_python_reactorZ_dealloc(g, a[0], a[1]);
  else if (strcmp(r->name, "result_free") == 0 && r->n == 1)
    Z_python_reactorZ_result_free(g, a[0]);
  else if (strcmp(r->name, "register_lambda") == 0 && r->n == 4)
    r->ret = Z_python_reactorZ_register_lambda(g, a[0], a[1], a[2], a[3]);
  else if (strcmp(r->name, "apply_lambda") == 0 && r->n == 5)
    r->ret = Z_python_reactorZ_apply_lambda(g, a[0], a[1], a[2], a[3], a[4]);
  else if (strcmp(r->name, "apply_def") == 0 && r->n == 5)
    r->ret = Z_python_reactorZ_apply_def(g, a[0], a[1], a[2], a[3], a[4]);
  else
    return 0;
  return 1;
}

static void run_raw(void *arg)
{
  raw_call *r = arg;
  if (r->proc_exit)
    wasi_proc_exit(&r->p->wasi, r->a[0]);
  guest_wasm_enter();
  r->known = dispatch(r);
  guest_wasm_leave();
}

static int raw_locked(pyreactor *p, raw_call *r)
{
  if (!p->live && pyr_rebuild(p) != PYREACTOR_OK)
    return p->code;
  int trap = guest_call(&p->env, run_raw, r);
  if (trap == GUEST_TRAP_NONE) {
    pyr_result_set(p, PYREACTOR_OK, NULL, 0);
    return r->known ? PYREACTOR_OK : PYREACTOR_MISUSE;
  }
  size_t len = 0;
  char *text = pyr_trap_text(p, trap, &len);
  int code = trap == GUEST_TRAP_TIMEOUT ? PYREACTOR_TIMEOUT : PYREACTOR_TRAP;
  pyr_destroy_guest(p);
  pyr_rebuild(p);
  pyr_result_set(p, code, text, len);
  return code;
}

static int raw(pyreactor *p, raw_call *r)
{
  if (pyr_enter(p, false) != PYREACTOR_OK)
    return PYREACTOR_MISUSE;
  int rc = raw_locked(p, r);
  pyr_leave(p);
  return rc;
}

int pyreactor_testing_raw_export(pyreactor *p, const char *name, const uint32_t *args,
                                 size_t nargs, uint32_t *ret)
{
  if (name == NULL || (nargs > 0 && args == NULL))
    return PYREACTOR_MISUSE;
  raw_call r;
  memset(&r, 0, sizeof r);
  r.p = p;
  r.name = name;
  r.a = args;
  r.n = nargs;
  int rc = raw(p, &r);
  if (ret != NULL)
    *ret = r.ret;
  return rc;
}

int pyreactor_testing_proc_exit(pyreactor *p, uint32_t code)
{
  raw_call r;
  memset(&r, 0, sizeof r);
  r.p = p;
  r.name = "";
  r.a = &code;
  r.n = 1;
  r.proc_exit = 1;
  return raw(p, &r);
}

int pyreactor_testing_image(int on)
{
  return wasm_image_enable(on);
}

size_t pyreactor_testing_image_bytes(void)
{
  return wasm_image_bytes();
}

size_t pyreactor_testing_hot_pages(const pyreactor *p)
{
  return p != NULL && p->live && p->hot != NULL ? wasm_hot_pages_count(p->hot) : 0;
}

int pyreactor_testing_memory(const pyreactor *p, const void **base, size_t *size)
{
  if (p == NULL || !p->live || base == NULL || size == NULL)
    return PYREACTOR_MISUSE;
  *base = p->guest.w2c_memory.data;
  *size = p->guest.w2c_memory.size;
  return PYREACTOR_OK;
}
