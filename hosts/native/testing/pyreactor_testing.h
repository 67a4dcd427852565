/*
** pyreactor_testing.h -- hooks for the project's own tests, not part of the
** public API (no stability promise). They exist to reach states a correct
** caller cannot: raw export calls with arbitrary i32 arguments, e.g. an
** out-of-bounds pointer, to prove that a trap costs only the call.
*/
#ifndef PYREACTOR_TESTING_H
#define PYREACTOR_TESTING_H

#include <stddef.h>
#include <stdint.h>

#include "pyreactor.h"

/* Calls export `name` (alloc, dealloc, result_free, register_lambda,
** apply_lambda, apply_def, abi_version) with raw arguments inside the trap
** guard. PYREACTOR_OK with the export's return value in *ret, or
** PYREACTOR_TRAP (instance rebuilt and replayed, as for any call), or
** PYREACTOR_MISUSE for an unknown export or wrong argument count. */
int pyreactor_testing_raw_export(pyreactor *p, const char *name, const uint32_t *args,
                                 size_t nargs, uint32_t *ret);

/* Runs the WASI proc_exit import as if the guest had called it. */
int pyreactor_testing_proc_exit(pyreactor *p, uint32_t code);

/* Instances created from now on map the shared memory image (on = 1, the
** default) or copy the data segments (0). Returns the previous setting. */
int pyreactor_testing_image(int on);
/* Size of the shared memory image, 0 if none was made. */
size_t pyreactor_testing_image_bytes(void);
/* Pages learned for the image p's guest was made from (wasm_hot_pages.h):
** 0 before an instance of it completed an apply, or when p's guest has a
** copy of the image rather than a mapping. */
size_t pyreactor_testing_hot_pages(const pyreactor *p);
/* Where the instance's linear memory is in the host's address space. */
int pyreactor_testing_memory(const pyreactor *p, const void **base, size_t *size);

#endif
