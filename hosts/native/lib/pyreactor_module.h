/*
** pyreactor_module.h -- modules made by `pyreactor pack`, loaded at run
** time (pyreactor_options.module_path; see pyreactor_module.c).
*/
#ifndef PYREACTOR_MODULE_H
#define PYREACTOR_MODULE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "guest_call.h"
#include "wasm_hot_pages.h"

/* The file name of the module compiled in, for messages and pack's default
** base: a variant's build (hosts/native/variant.mk) names its own. */
#ifndef PYREACTOR_MODULE_FILE
#define PYREACTOR_MODULE_FILE "python-reactor.wasm"
#endif

typedef struct pyr_module pyr_module;

/* The module at path, checked to have the compiled code, its image built
** (or shared with another handle that opened the same file). 0, or -1
** with the reason in err (which names the file). */
int pyr_module_open(const char *path, pyr_module **out, char *err, size_t errlen);
/* One handle less (the image stays cached for a later open: up to 4 that
** no handle uses). NULL: nothing. */
void pyr_module_release(pyr_module *pm);
/* Inside guest_call, right after the compiled module was instantiated:
** memory becomes the module's (grown to its initial size, the compiled
** image replaced by its own) and *global0 its stack pointer. Traps
** (GUEST_TRAP_MEMORY_CAP, GUEST_TRAP_HOST_NOMEM) when it cannot. */
void pyr_module_apply(const pyr_module *pm, wasm_rt_memory_t *memory, uint32_t *global0);
/* The pages its instances' first calls write (wasm_hot_pages.h); NULL when
** its instances get a copy of the image, not a mapping. */
wasm_hot_pages *pyr_module_hot(pyr_module *pm);

#endif
