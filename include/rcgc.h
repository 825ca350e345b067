/*
 * rcgc.h - the umbrella header of rcgc, Python's memory system as a C library.
 *
 * Sections (each a sub-header under rcgc/):
 *   common.h  version macros, export macro, errors
 *   heap.h    heaps, configuration, rc_init / rc_fini
 *   mem.h     raw memory (rc_mem_*), statistics, purge, fault injection
 *   object.h  object header, type descriptor, reference counting
 *   builtins.h None, bool, int, float, str, bytes, tuple, list, dict, set,
 *             and the generic protocol (hash, eq, repr, sizeof)
 *   class.h   classes created at run time, dict- or slots-backed instances
 *   gc.h      the cycle collector and the gc module API
 *   weakref.h weak references and proxies
 *   weakdict.h weak-value / weak-key dictionaries and weak sets
 *   finalize.h finalize objects (weakref.finalize)
 */
#ifndef RCGC_H
#define RCGC_H

#include "rcgc/common.h"
#include "rcgc/heap.h"
#include "rcgc/mem.h"
#include "rcgc/object.h"
#include "rcgc/builtins.h"
#include "rcgc/class.h"
#include "rcgc/gc.h"
#include "rcgc/weakref.h"
#include "rcgc/weakdict.h"
#include "rcgc/finalize.h"

#endif /* RCGC_H */
