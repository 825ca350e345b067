/*
 * rcgc.h - the umbrella header of rcgc, Python's memory system as a C library.
 *
 * Sections (each a sub-header under rcgc/):
 *   common.h  version macros, export macro, errors
 *   heap.h    heaps, configuration, rc_init / rc_fini
 *   mem.h     raw memory (rc_mem_*), statistics, purge, fault injection
 *   object.h  object header, type descriptor, reference counting
 */
#ifndef RCGC_H
#define RCGC_H

#include "rcgc/common.h"
#include "rcgc/heap.h"
#include "rcgc/mem.h"
#include "rcgc/object.h"

#endif /* RCGC_H */
