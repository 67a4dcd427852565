/*
** A variant of the guest: the default module's objects plus C extension
** modules linked in under dotted names (numpy._core._multiarray_umath),
** their packages' Python part as an embedded pack, and more modules
** preloaded in the snapshot (guest/variant.mk, docs/numpy.md). The default
** module links none of this.
**
** What a variant supplies is generated from its modules.txt, Python trees
** and preload list by guest/variant/variant_table.py; the code that uses it
** is guest/variant/variant_module.c.
*/
#ifndef REACTOR_VARIANT_H
#define REACTOR_VARIANT_H

#include <stddef.h>

struct _inittab;

/* The extension modules, by their full names, ended by {NULL, NULL}.
** Handed to PyImport_ExtendInittab, which takes it non-const. */
extern struct _inittab reactor_variant_inittab[];
/* Imported in the Wizer snapshot after _reactor.PRELOAD; ended by NULL. */
extern const char *const reactor_variant_preload[];
/* A pack of the Python trees (guest/_reactor_pack.py's format), installed
** at start; zeroed once installed (its importer holds copies), so that the
** snapshot does not carry it twice. Size 0: no pack. */
extern unsigned char reactor_variant_pack[];
extern const size_t reactor_variant_pack_size;
/* The variant's name ("numpy"), for messages and sys._reactor_variant. */
extern const char reactor_variant_name[];

#endif
