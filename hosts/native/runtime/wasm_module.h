/*
** wasm_module.h -- reading and writing the few parts of a wasm module a
** pack changes (docs/packages.md): its memory, globals and data.
**
** A pack (`pyreactor pack`) is build/python-reactor.wasm with a new memory
** image and new global values: every other section is copied byte for
** byte, so its code is the code compiled into this library, and the native
** host can run it without recompiling. wasm_module_code_hash() is what says
** "the same code": it covers every section but the custom ones and those a
** snapshot rewrites (memory, global, data, data count).
**
** Every offset and length read from the module is checked against its
** bytes: a module is untrusted input (a truncated or hostile file gives an
** error, never a read outside the buffer).
*/
#ifndef WASM_MODULE_H
#define WASM_MODULE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "wasm_memory_image.h"

enum {
  WASM_SECTION_CUSTOM = 0, WASM_SECTION_TYPE = 1, WASM_SECTION_IMPORT = 2,
  WASM_SECTION_FUNCTION = 3, WASM_SECTION_TABLE = 4, WASM_SECTION_MEMORY = 5,
  WASM_SECTION_GLOBAL = 6, WASM_SECTION_EXPORT = 7, WASM_SECTION_START = 8,
  WASM_SECTION_ELEM = 9, WASM_SECTION_CODE = 10, WASM_SECTION_DATA = 11,
  WASM_SECTION_DATACOUNT = 12
};

#define WASM_PAGE_SIZE 65536u
#define WASM_MAX_SECTIONS 64

typedef struct wasm_section {
  uint8_t id;
  size_t at;      /* offset of the id byte */
  size_t payload; /* offset of the contents */
  size_t size;    /* bytes of contents */
} wasm_section;

/* One global, numeric only (i32, i64, f32, f64) with a constant
** initializer: what this project's modules have. */
typedef struct wasm_global {
  uint8_t type;   /* 0x7f i32, 0x7e i64, 0x7d f32, 0x7c f64 */
  bool mutable_;
  uint64_t value; /* the initializer's bits (i32 zero-extended) */
} wasm_global;

/* One active data segment of memory 0: `size` bytes at `at` in the module,
** written at wasm address `addr`; the runtime's own segment record, so that
** a pack's image is made as the compiled module's is (wasm_memory_image.h). */
typedef struct pyreactor_rt_segment wasm_segment;

typedef struct wasm_module {
  const uint8_t *bytes; /* not owned */
  size_t len;
  wasm_section sections[WASM_MAX_SECTIONS];
  size_t n_sections;
  uint32_t mem_min, mem_max; /* pages */
  bool has_memory, has_max;
  wasm_global *globals;
  uint32_t n_globals;
  wasm_segment *segments;
  uint32_t n_segments;
} wasm_module;

/* Writes a message into err[0..errlen) (truncated to fit) and returns -1:
** the error convention of this file and of the pack and module loaders. */
int wasm_module_errorf(char *err, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Parses bytes[0..len) (kept by reference: they must outlive m). 0, or -1
** with a message in err (and m freed). Refuses what a pack never has:
** more than one memory, a shared or 64-bit one, passive data segments,
** globals that are not numeric constants. */
int wasm_module_parse(wasm_module *m, const uint8_t *bytes, size_t len, char *err, size_t errlen);
void wasm_module_free(wasm_module *m);

/* 64-bit FNV-1a of every section (id, size and contents) but custom,
** memory, global, data and data count, in order. Not a cryptographic
** hash, and it need not be: it tells modules apart by accident only, and
** what runs is always the compiled code (docs/packages.md). */
uint64_t wasm_module_code_hash(const wasm_module *m);

/* Writes `in` with its memory replaced by memory[0..memory_size) and its
** globals' values by globals[0..in->n_globals): the memory section's
** minimum becomes memory_size's pages (never less than in's), every
** mutable global's initializer the value given (immutable ones are kept),
** the data section the non-zero runs of memory as active segments (runs
** fewer than a few bytes apart joined, at most 10000 segments), the data
** count section their number. Bytes below `dead_below` count as zero (the
** guest's stack between calls). Every other section is copied as it is.
** The output is a function of the inputs only (a pack is reproducible).
** 0 with *out (malloc'ed, the caller frees it) and *out_len, or -1 with
** a message in err. */
int wasm_module_write_snapshot(const wasm_module *in, const uint8_t *memory, size_t memory_size,
                               size_t dead_below, const uint64_t *globals, uint8_t **out,
                               size_t *out_len, char *err, size_t errlen);

#endif
