/*
** pyreactor_pack.h -- `pyreactor pack` (docs/packages.md): a custom module
** with users' pure-Python packages frozen in and some of them imported in
** its snapshot. Internal: the command uses it (libpyreactor-internal.a).
*/
#ifndef PYREACTOR_PACK_H
#define PYREACTOR_PACK_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

typedef struct pyr_pack_options {
  const char *const *dirs; /* --packages, in order (an earlier one wins) */
  size_t n_dirs;
  const char *const *preload; /* module names, imported in the snapshot */
  size_t n_preload;
  const char *base; /* the module the pack starts from: the one this
                    ** library was compiled from (checked) */
  const char *out;  /* written through a temporary file, then renamed */
} pyr_pack_options;

typedef struct pyr_pack_report {
  char *stats;          /* the pack's figures, a JSON object (free it) */
  size_t base_bytes, out_bytes;
  uint64_t build_ns, snapshot_ns, write_ns;
} pyr_pack_report;

/* 0, with *report filled; or -1 with a message in err (for a package
** that cannot be packed, it names the file). */
int pyr_pack(const pyr_pack_options *o, pyr_pack_report *report, char *err, size_t errlen);

/* Whether the module bytes[0..len) has the code compiled into this
** library: 0, or -1 with the reason in err. */
int pyr_module_check(const uint8_t *bytes, size_t len, char *err, size_t errlen);

/* The whole file at path (malloc'ed), or NULL with the reason in err. */
uint8_t *pyr_read_file(const char *path, size_t *len, char *err, size_t errlen);

#endif
