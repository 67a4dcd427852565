/*
** wasm_rt_runtime.c -- our implementation of the wasm2c runtime API
** (wasm-rt.h of wabt 1.0.32) that the generated python_reactor.c calls.
**
** Why not wabt's wasm-rt-impl.c: it keeps one global jmp_buf for traps,
** installs its signal stack on the first thread only, registers function
** types without a lock and unmaps only the committed part of each 8 GiB
** memory reservation. Here traps go through guest_call (per thread), types
** are registered under a mutex, and memory honours a per-instance cap.
*/
#include "guest_call.h"

#include <pthread.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#define PAGE_SIZE 65536u

/* ------------------------------------------------------------- traps -- */

void wasm_rt_trap(wasm_rt_trap_t code)
{
  guest_trap((int)code);
}

const char *wasm_rt_strerror(wasm_rt_trap_t trap)
{
  return guest_trap_text((int)trap);
}

/* The generated code asserts this before init and instantiate; the fault
** handler is installed by guest_call itself, so there is nothing to wait for. */
bool wasm_rt_is_initialized(void)
{
  return true;
}

void wasm_rt_init(void) {}
void wasm_rt_free(void) {}

/* ------------------------------------------------------ func types -- */

typedef struct func_type {
  uint32_t params, results;
  wasm_rt_type_t *types; /* params then results */
} func_type;

static pthread_mutex_t types_lock = PTHREAD_MUTEX_INITIALIZER;
static func_type *types;
static uint32_t type_count;

static uint32_t find_type(uint32_t params, uint32_t results, const wasm_rt_type_t *t)
{
  for (uint32_t i = 0; i < type_count; i++) {
    const func_type *ft = &types[i];
    if (ft->params == params && ft->results == results &&
        memcmp(ft->types, t, (params + results) * sizeof *t) == 0)
      return i + 1;
  }
  return 0;
}

/* Returns a stable index (1-based) per distinct signature. Called from the
** module's one-time init (under pthread_once in the instance code). */
uint32_t wasm_rt_register_func_type(uint32_t params, uint32_t results, ...)
{
  wasm_rt_type_t t[64];
  if (params + results > 64)
    abort(); /* no signature of our module comes close */
  va_list ap;
  va_start(ap, results);
  for (uint32_t i = 0; i < params + results; i++)
    t[i] = (wasm_rt_type_t)va_arg(ap, int);
  va_end(ap);

  pthread_mutex_lock(&types_lock);
  uint32_t idx = find_type(params, results, t);
  if (idx == 0) {
    func_type *grown = realloc(types, (type_count + 1) * sizeof *types);
    wasm_rt_type_t *copy = malloc((params + results + 1) * sizeof *copy);
    if (grown == NULL || copy == NULL)
      abort(); /* at start-up, a few hundred bytes */
    memcpy(copy, t, (params + results) * sizeof *copy);
    types = grown;
    types[type_count] = (func_type){params, results, copy};
    idx = ++type_count;
  }
  pthread_mutex_unlock(&types_lock);
  return idx;
}

/* ------------------------------------------------------------ memory -- */

/* Reserves GUEST_MEMORY_RESERVE bytes, PROT_NONE beyond the committed size:
** generated code does not bounds-check, every out-of-bounds access (any u32
** address plus offset) lands in the reservation and faults. */
void wasm_rt_allocate_memory(wasm_rt_memory_t *memory, uint32_t initial_pages, uint32_t max_pages)
{
  const guest_env *env = guest_current();
  if (env != NULL && env->max_pages < max_pages)
    max_pages = env->max_pages;
  if (initial_pages > max_pages) {
    /* Only the instance's cap can do this (a module's own maximum is never
    ** below its initial size). The memory is left unmapped with the size
    ** asked for in `pages`, so that the refusal can say what is needed. */
    memory->data = NULL;
    memory->pages = initial_pages;
    memory->max_pages = max_pages;
    memory->size = 0;
    guest_trap(GUEST_TRAP_MEMORY_CAP);
  }
  void *addr = mmap(NULL, GUEST_MEMORY_RESERVE, PROT_NONE,
                    MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
  if (addr == MAP_FAILED)
    guest_trap(GUEST_TRAP_HOST_NOMEM);
  size_t bytes = (size_t)initial_pages * PAGE_SIZE;
  if (bytes > 0 && mprotect(addr, bytes, PROT_READ | PROT_WRITE) != 0) {
    munmap(addr, GUEST_MEMORY_RESERVE);
    guest_trap(GUEST_TRAP_HOST_NOMEM);
  }
  memory->data = addr;
  memory->pages = initial_pages;
  memory->max_pages = max_pages;
  memory->size = (uint32_t)bytes;
}

/* memory.grow: the old page count, or 0xffffffff when refused. Refusal is
** what Python turns into MemoryError, so the cap keeps the instance alive. */
uint32_t wasm_rt_grow_memory(wasm_rt_memory_t *memory, uint32_t delta)
{
  uint32_t old_pages = memory->pages;
  uint64_t new_pages = (uint64_t)old_pages + delta;
  if (delta == 0)
    return old_pages;
  if (new_pages > memory->max_pages || new_pages > 65536)
    return UINT32_MAX;
  size_t old_size = (size_t)old_pages * PAGE_SIZE;
  size_t delta_size = (size_t)delta * PAGE_SIZE;
  if (mprotect(memory->data + old_size, delta_size, PROT_READ | PROT_WRITE) != 0)
    return UINT32_MAX;
  memory->pages = (uint32_t)new_pages;
  /* 65536 pages is 4 GiB, one more than u32 holds: saturate; addresses are
  ** u32 so nothing can reach past it anyway. */
  memory->size = new_pages >= 65536 ? UINT32_MAX : (uint32_t)(new_pages * PAGE_SIZE);
  return old_pages;
}

void wasm_rt_free_memory(wasm_rt_memory_t *memory)
{
  if (memory->data != NULL)
    munmap(memory->data, GUEST_MEMORY_RESERVE);
  memory->data = NULL;
  memory->size = 0;
  memory->pages = 0;
}

/* ------------------------------------------------------------ tables -- */

void wasm_rt_allocate_funcref_table(wasm_rt_funcref_table_t *table, uint32_t elements,
                                    uint32_t max_elements)
{
  table->size = elements;
  table->max_size = max_elements;
  table->data = calloc(elements > 0 ? elements : 1, sizeof *table->data);
  if (table->data == NULL)
    guest_trap(GUEST_TRAP_HOST_NOMEM);
}

void wasm_rt_free_funcref_table(wasm_rt_funcref_table_t *table)
{
  free(table->data);
  table->data = NULL;
  table->size = 0;
}

uint32_t wasm_rt_grow_funcref_table(wasm_rt_funcref_table_t *table, uint32_t delta,
                                    wasm_rt_funcref_t init)
{
  uint32_t old = table->size;
  uint64_t grown = (uint64_t)old + delta;
  if (delta == 0)
    return old;
  if (grown > table->max_size)
    return UINT32_MAX;
  wasm_rt_funcref_t *data = realloc(table->data, (size_t)grown * sizeof *data);
  if (data == NULL)
    return UINT32_MAX;
  for (uint64_t i = old; i < grown; i++)
    data[i] = init;
  table->data = data;
  table->size = (uint32_t)grown;
  return old;
}

void wasm_rt_allocate_externref_table(wasm_rt_externref_table_t *table, uint32_t elements,
                                      uint32_t max_elements)
{
  table->size = elements;
  table->max_size = max_elements;
  table->data = calloc(elements > 0 ? elements : 1, sizeof *table->data);
  if (table->data == NULL)
    guest_trap(GUEST_TRAP_HOST_NOMEM);
}

void wasm_rt_free_externref_table(wasm_rt_externref_table_t *table)
{
  free(table->data);
  table->data = NULL;
  table->size = 0;
}
