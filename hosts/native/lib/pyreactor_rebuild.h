/*
** pyreactor_rebuild.h -- a fresh guest with every registration replayed
** (pyreactor_rebuild.c).
*/
#ifndef PYREACTOR_REBUILD_H
#define PYREACTOR_REBUILD_H

#include "pyreactor_internal.h"

/* After a trap: fresh guest, registrations replayed. OK or a host code. */
int pyr_rebuild(pyreactor *p);

#endif
