/*
 * rcgc/heap.h - heaps, configuration, init/fini.
 *
 * An rc_heap owns every piece of mutable state: its arenas, pools, large
 * blocks, free lists, collector lists and statistics.  A heap is used by one
 * thread at a time; heaps used by different threads share nothing and take no
 * locks.  Each thread has a "current heap" that allocation and deallocation
 * use implicitly (set by rc_init or rc_heap_enter).
 */
#ifndef RCGC_HEAP_H
#define RCGC_HEAP_H

#include "common.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct rc_heap rc_heap;

/* Allocator modes (RCGC_MALLOC). */
typedef enum rc_malloc_mode {
    RC_MALLOC_UNSET = 0,   /* take RCGC_MALLOC, else the build default */
    RC_MALLOC_PYMALLOC,    /* arenas -> pools -> blocks (default) */
    RC_MALLOC_MALLOC,      /* every block from the system malloc (for Valgrind/ASan) */
    RC_MALLOC_DEBUG        /* pymalloc plus guard bytes, fill patterns and checks */
} rc_malloc_mode;

#define RC_CONFIG_VERSION 1

/* Heap configuration.  Always start with rc_config_init(): it marks every
 * field "unset".  Precedence when the heap is created:
 *     a field you set  >  its RCGC_* environment variable  >  build default.
 * Environment variables are read once, when the heap is created. */
typedef struct rc_config {
    uint32_t version;          /* RC_CONFIG_VERSION, set by rc_config_init */
    rc_malloc_mode malloc_mode;/* RCGC_MALLOC=pymalloc|malloc|debug */
    /* Milliseconds an empty pool or arena stays resident before it is given
     * back to the OS (RCGC_PURGE_DELAY_MS).  0 = give back at once.
     * -1 = unset. */
    int purge_delay_ms;
    /* Print rc_mem_print_stats to stderr when the heap is destroyed
     * (RCGC_MALLOC_STATS=1).  -1 = unset, 0 = no, 1 = yes. */
    int print_stats_at_exit;
    /* 0: ignore RCGC_* variables for this heap (explicit fields and build
     * defaults only).  1 (default): read them. */
    int use_environment;
    /* Collector thresholds (RCGC_GC_THRESHOLD=700,10,10); -1 = unset.
     * threshold0 = 0 disables automatic collection. */
    long gc_threshold[3];
    /* Collector debug flags, RC_GC_DEBUG_* (RCGC_GC_DEBUG=stats,leak,...);
     * -1 = unset. */
    int gc_debug;
} rc_config;

/* Fill *cfg with "unset" values (use_environment = 1).  Never fails. */
RC_API void rc_config_init(rc_config *cfg);

/* Create a heap from cfg (NULL = defaults).  The heap is NOT bound to the
 * calling thread: call rc_heap_enter.  Returns the new heap, or NULL with
 * RC_ERR_NOMEM (the OS refused memory) or RC_ERR_VALUE (a bad config field or
 * a bad RCGC_* value: the message names it). */
RC_API rc_heap *rc_heap_new(const rc_config *cfg);

/* Destroy a heap and give back every byte it took from the OS, including
 * objects still alive (their memory is released without running their
 * hooks).  If h is the calling thread's current heap it is unbound first.
 * NULL is ignored.  Destroying a heap another thread has entered is misuse:
 * returns -1 with RC_ERR_STATE and does nothing. */
RC_API int rc_heap_destroy(rc_heap *h);

/* Bind h to the calling thread (NULL unbinds).  The heap bound before, if
 * any, is released so that another thread may enter it; read it first with
 * rc_heap_current() if you want to restore it.  Returns 0, or -1 with
 * RC_ERR_STATE if another thread has h entered (the binding is then
 * unchanged) or RC_ERR_INVALID if h is not a live heap. */
RC_API int rc_heap_enter(rc_heap *h);

/* The calling thread's current heap (borrowed), or NULL. */
RC_API rc_heap *rc_heap_current(void);

/* The malloc mode a heap resolved to (never RC_MALLOC_UNSET). */
RC_API rc_malloc_mode rc_heap_malloc_mode(const rc_heap *h);

/* Create a default heap from cfg (NULL = defaults) and bind it to the calling
 * thread.  Returns 0, or -1 with the error of rc_heap_new, or RC_ERR_STATE if
 * this thread already has a default heap from rc_init. */
RC_API int rc_init(const rc_config *cfg);

/* Destroy the calling thread's default heap made by rc_init.  Does nothing
 * when there is none.  If another thread has entered that heap (misuse),
 * the process ends with a diagnostic. */
RC_API void rc_fini(void);

#ifdef __cplusplus
}
#endif
#endif /* RCGC_HEAP_H */
