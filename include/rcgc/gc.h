/*
 * rcgc/gc.h - the cycle collector and Python's gc module, name for name:
 * gc.collect -> rc_gc_collect, gc.get_threshold -> rc_gc_get_threshold, ...
 *
 * The collector is CPython 3.11/3.12's generational algorithm (three
 * generations plus the permanent one, thresholds 700/10/10, a 25%
 * long-lived rule for full collections: CPython's, or by default one that
 * subtracts deaths, see rc_gc_set_full_rule) with PEP 442 finalizer semantics;
 * docs/semantics.md gives the exact order of operations.  Every function
 * acts on the calling thread's current heap; with none bound they fail with
 * RC_ERR_STATE.
 */
#ifndef RCGC_GC_H
#define RCGC_GC_H

#include "common.h"
#include "object.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Debug flags (gc.DEBUG_*), same values as Python's. */
#define RC_GC_DEBUG_STATS         1
#define RC_GC_DEBUG_COLLECTABLE   2
#define RC_GC_DEBUG_UNCOLLECTABLE 4
#define RC_GC_DEBUG_SAVEALL       32
#define RC_GC_DEBUG_LEAK \
    (RC_GC_DEBUG_COLLECTABLE | RC_GC_DEBUG_UNCOLLECTABLE | RC_GC_DEBUG_SAVEALL)

#define RC_GC_NUM_GENERATIONS 3

/* gc.collect(generation): collect generations 0..generation and return the
 * number of unreachable objects found (collected + uncollectable).  Returns
 * 0 without collecting if a collection is already running (no re-entry).
 * -1 with RC_ERR_VALUE if generation is not 0, 1 or 2. */
RC_API intptr_t rc_gc_collect(int generation);

/* gc.enable / gc.disable: automatic collection on or off; both return the
 * previous state (1 = enabled), like PyGC_Enable / PyGC_Disable. */
RC_API int rc_gc_enable(void);
RC_API int rc_gc_disable(void);
/* gc.isenabled: 1 or 0 (0 also when no heap is bound). */
RC_API int rc_gc_isenabled(void);

/* gc.get_count: (count0, count1, count2) into out[3].  count0 is GC
 * allocations minus deallocations since the last collection of generation
 * 0; count1 and count2 count collections of the generation below. */
RC_API int rc_gc_get_count(long out[RC_GC_NUM_GENERATIONS]);

/* gc.get_threshold / gc.set_threshold.  threshold0 == 0 disables automatic
 * collection.  Negative values: -1 with RC_ERR_VALUE. */
RC_API int rc_gc_get_threshold(long out[RC_GC_NUM_GENERATIONS]);
RC_API int rc_gc_set_threshold(long t0, long t1, long t2);

/* Beyond Python: the rule that lets an automatic collection of generation 2
 * run once generation 2's count is over threshold2 (docs/semantics.md).
 * GROWTH (the default): generation 2 has grown by at least 25% since the
 * last full collection, counting objects promoted into it minus its objects
 * that died by reference counting.  CPYTHON: CPython 3.11's rule, the
 * objects promoted into generation 2 since the last full collection are at
 * least 25% of those that survived it (deaths are not subtracted).  The
 * default comes from RCGC_GC_FULL_RULE=growth|cpython (read when the heap
 * first needs it; any other value is reported on stderr and ignored). */
typedef enum rc_gc_full_rule {
    RC_GC_FULL_RULE_GROWTH = 1,
    RC_GC_FULL_RULE_CPYTHON = 2
} rc_gc_full_rule;

/* Set the current heap's rule; returns the previous one, or -1 with
 * RC_ERR_VALUE (not a rule) or RC_ERR_STATE (no heap). */
RC_API int rc_gc_set_full_rule(int rule);
/* The current heap's rule, or -1 with RC_ERR_STATE. */
RC_API int rc_gc_get_full_rule(void);

/* Pause-time histogram buckets (beyond Python): bucket i counts pauses in
 * [2^i, 2^(i+1)) microseconds, bucket 0 also counts pauses under 1 us. */
#define RC_GC_PAUSE_BUCKETS 24

/* gc.get_stats, per generation, plus pause times. */
typedef struct rc_gc_generation_stats {
    uint64_t collections;
    uint64_t collected;
    uint64_t uncollectable;
    uint64_t pause_total_ns;
    uint64_t pause_max_ns;
    uint64_t pause_histogram[RC_GC_PAUSE_BUCKETS];
} rc_gc_generation_stats;

/* Copy the statistics of the three generations into out[3]. */
RC_API int rc_gc_get_stats(rc_gc_generation_stats out[RC_GC_NUM_GENERATIONS]);

/* gc.freeze: move every tracked object into the permanent generation,
 * which collections ignore, and zero the counts.  gc.unfreeze: move them
 * back into generation 2.  gc.get_freeze_count: objects in the permanent
 * generation.  Return 0 / the count, or -1 with RC_ERR_STATE.  Freeze and
 * unfreeze take time in proportion to the objects they move (each one's
 * generation tag is rewritten; CPython's are constant-time). */
RC_API int rc_gc_freeze(void);
RC_API int rc_gc_unfreeze(void);
RC_API intptr_t rc_gc_get_freeze_count(void);

/* gc.get_objects(generation): a new list of the tracked objects of one
 * generation (0..2), or of all three when generation is -1 (the permanent
 * generation is never included).  NULL with RC_ERR_VALUE for any other
 * generation. */
RC_API rc_object *rc_gc_get_objects(int generation);

/* gc.get_referrers(*objs): a new list of every tracked object (generations
 * 0..2) whose traverse visits any of the n objects.  gc.get_referents(*objs):
 * a new list of what traverse visits for each (non-GC objects add nothing). */
RC_API rc_object *rc_gc_get_referrers(intptr_t n, void *const objs[]);
RC_API rc_object *rc_gc_get_referents(intptr_t n, void *const objs[]);

/* gc.is_finalized: 1 if op is a GC object whose finalizer has run (the
 * FINALIZED bit, which survives untracking), else 0. */
RC_API int rc_gc_is_finalized(const void *op);

/* gc.garbage: the list of uncollectable objects (and, with DEBUG_SAVEALL,
 * all unreachable ones).  BORROWED: the heap owns it; the caller may clear
 * or modify it.  NULL with RC_ERR_STATE. */
RC_API rc_object *rc_gc_garbage(void);

/* gc.set_debug / gc.get_debug with the RC_GC_DEBUG_* flags. */
RC_API int rc_gc_set_debug(int flags);
RC_API int rc_gc_get_debug(void);
/* Where debug output goes (NULL = stderr, the default). */
RC_API int rc_gc_set_debug_stream(FILE *f);

/* gc.callbacks: called with phase "start" and "stop" around every
 * collection (automatic or explicit).  info->collected/uncollectable are 0
 * at "start"; candidates is the number of objects examined and duration_s
 * the pause in seconds (both filled at "stop"), as in Python 3.15. */
typedef struct rc_gc_info {
    int generation;
    intptr_t collected;
    intptr_t uncollectable;
    intptr_t candidates;
    double duration_s;
} rc_gc_info;
typedef void (*rc_gc_callback)(const char *phase, const rc_gc_info *info, void *ctx);
/* Register (cb, ctx); the same pair may be registered more than once.
 * -1 with RC_ERR_INVALID for NULL cb, RC_ERR_NOMEM. */
RC_API int rc_gc_callback_add(rc_gc_callback cb, void *ctx);
/* Remove the first registration of (cb, ctx): 0, or -1 with RC_ERR_VALUE
 * when it is not registered. */
RC_API int rc_gc_callback_remove(rc_gc_callback cb, void *ctx);

#ifdef __cplusplus
}
#endif
#endif /* RCGC_GC_H */
