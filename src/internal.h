/*
 * internal.h - declarations shared between the library's source files.
 *
 * Never installed.  Everything here is named rci_* and has hidden visibility
 * (the build uses -fvisibility=hidden; RCI_FUNC makes it explicit).  The
 * guard below refuses inclusion from outside the library build.
 */
#ifndef RCGC_INTERNAL_H
#define RCGC_INTERNAL_H

#ifndef RC_BUILD_CORE
#error "src/internal.h is private to the rcgc library build"
#endif

#include "rcgc.h"
#include "build_config.h"
#include <stdatomic.h>
#include <stdbool.h>
#include <string.h>

#define RCI_FUNC __attribute__((visibility("hidden")))

/* ------------------------------------------------------------------------
 * Fatal diagnostics and errors (core/error.c)
 * ---------------------------------------------------------------------- */
RCI_FUNC RC_NORETURN void rci_fatal(const char *fmt, ...) RC_PRINTF(1, 2);
/* The calling thread's error slot, saved around code that must not
 * disturb it (weak-reference callbacks: CPython saves and restores the
 * pending exception around them). */
typedef struct rci_error_state {
    rc_errcode code;
    char message[256];
} rci_error_state;
/* Save the slot into *s and clear it. */
RCI_FUNC void rci_error_fetch(rci_error_state *s);
/* Put a saved state back. */
RCI_FUNC void rci_error_restore(const rci_error_state *s);
/* If an error is recorded, print it as Python's unraisable hook does
 * ("Exception ignored in: <what>" and "<Name>: message") and clear it. */
RCI_FUNC void rci_error_write_unraisable(const char *what);
/* rc_error_set returning NULL, for pointer-returning functions. */
RCI_FUNC void *rci_error_null(rc_errcode code, const char *fmt, ...) RC_PRINTF(2, 3);

/* ------------------------------------------------------------------------
 * OS layer (mem/os.c): the only place memory is requested from the OS, so
 * fault injection and byte accounting see every request.
 * ---------------------------------------------------------------------- */
RCI_FUNC void *rci_os_map(size_t size, size_t align);   /* NULL on failure */
RCI_FUNC void rci_os_unmap(void *p, size_t size);
RCI_FUNC void rci_os_release(void *p, size_t size);    /* madvise DONTNEED */
RCI_FUNC void *rci_os_malloc(size_t size);
RCI_FUNC void *rci_os_calloc(size_t size);
RCI_FUNC void *rci_os_realloc(void *p, size_t oldsize, size_t size);
RCI_FUNC void rci_os_free(void *p, size_t size);
RCI_FUNC uint64_t rci_now_ns(void);

/* ------------------------------------------------------------------------
 * pymalloc layer (mem/pool.c)
 * ---------------------------------------------------------------------- */
#define RCI_ARENA_SIZE   ((size_t)RC_MEM_ARENA_SIZE)
#define RCI_POOL_SIZE    ((size_t)RC_MEM_POOL_SIZE)
#define RCI_POOLS_PER_ARENA 64
#define RCI_ARENA_MASK   (~(uintptr_t)(RCI_ARENA_SIZE - 1))
#define RCI_POOL_MASK    (~(uintptr_t)(RCI_POOL_SIZE - 1))
#define RCI_NCLASSES     RC_MEM_NUM_CLASSES
#define RCI_CLASS_SIZE(i) ((size_t)((i) + 1) << 4)
#define RCI_SIZE_INDEX(n) (((n) - 1) >> 4)

typedef struct rci_arena rci_arena;
typedef struct rci_pool rci_pool;

/* Pool header: 48 bytes, kept in the arena descriptor rather than inside the
 * pool, so that the headers of all pools sit together (a random free touches
 * a dense, cache-friendly table instead of a header page per pool), every
 * byte of the 16 KiB pool holds blocks, and an empty pool can be given back
 * to the OS without losing its header.
 * Invariant: a pool on a usedpools list has a non-NULL freeblock (at least
 * one block to hand out); a full pool is on no list. */
struct rci_pool {
    void *freeblock;       /* free list; the link is stored at block+8 */
    rci_pool *next, *prev; /* usedpools[szidx] list; while empty: next = epoch */
    char *mem;             /* the pool's 16 KiB */
    uint16_t count;        /* blocks in use */
    uint8_t szidx;         /* size class index */
    uint8_t index;         /* position in the arena (0..63) */
    uint32_t nextoffset;   /* offset of the next never-used block */
    rci_arena *arena;
};

/* Arena descriptor, outside the arena: all 64 pools of the arena are usable.
 * Pools serving a class have their free_mask bit clear; touched_mask marks
 * pools backed by RAM, so free & touched = empty but still resident. */
struct rci_arena {
    uintptr_t base;          /* 1 MiB-aligned */
    uint64_t free_mask;
    uint64_t touched_mask;
    unsigned nfree;          /* popcount(free_mask) */
    uint64_t empty_epoch;    /* purge epoch when it became entirely free */
    rci_arena *next, *prev;  /* usable_arenas, sorted by nfree ascending */
    rci_arena *all_next;     /* every arena of the heap */
    rc_heap *heap;           /* owning heap */
    rci_pool pools[RCI_POOLS_PER_ARENA];
};

typedef struct rci_arena_table {  /* open addressing: base -> arena */
    uintptr_t *keys;
    rci_arena **vals;
    size_t cap, used;
} rci_arena_table;

/* Large blocks (over 512 bytes, or every block in malloc mode). */
typedef struct rci_large {
    struct rci_large *next, *prev;
    size_t size;             /* requested bytes */
    uintptr_t tag;           /* (uintptr_t)heap ^ RCI_LARGE_MAGIC */
} rci_large;
#define RCI_LARGE_MAGIC ((uintptr_t)0x5243474342494721ull)
#define RCI_LARGE_HDR sizeof(rci_large)

typedef struct rci_memstate {
    rci_pool *usedpools[RCI_NCLASSES];
    rci_arena *usable_arenas;
    rci_arena *nfp2lasta[RCI_POOLS_PER_ARENA + 1];
    rci_arena *all_arenas;
    rci_arena *arena_cache[256];      /* direct-mapped by (base >> 20) & 255 */
    rci_arena_table table;
    rci_large large_head;             /* circular list of large blocks */
    /* counters */
    /* blocks in use = allocs - frees; small ones = that - large_blocks */
    uint64_t bytes_in_use, bytes_peak, large_blocks, large_bytes;
    uint64_t allocs, frees;
    uint64_t arenas_current, arenas_total, arenas_released, arenas_high;
    uint64_t pools_released_total;
    uint64_t meta_bytes;
    /* purge */
    uint64_t purge_delay_ns;
    uint64_t purge_epoch;             /* bumped each time a purge runs */
    uint64_t last_purge_ns;
    unsigned pending_empty;           /* dirty empty pools or empty arenas waiting */
} rci_memstate;

/* The largest request: leaves room for every header without overflow. */
#define RCI_MAX_REQUEST ((size_t)PTRDIFF_MAX - 4096)

/* Domains of the debug allocator's API check. */
enum { RCI_API_MEM = 'm', RCI_API_OBJ = 'o' };

/* The single choke point: every block of every domain is allocated and
 * freed by rci_block_alloc / rci_block_free (inline, in mem/fastpath.h;
 * tracing hooks in later layers attach there).  api is RCI_API_MEM or
 * RCI_API_OBJ; obj is the object being freed (for diagnostics) or NULL. */
RCI_FUNC size_t rci_block_size(rc_heap *h, const void *p);

/* pymalloc proper (mem/pool.c): the slow paths behind mem/fastpath.h */
RCI_FUNC void *rci_pool_alloc_slow(rc_heap *h, unsigned idx);
RCI_FUNC void rci_pool_full(rci_memstate *m, rci_pool *pool);
RCI_FUNC void rci_pool_was_full(rci_memstate *m, rci_pool *pool);
/* Give an empty pool back to its arena (rci_pool_became_empty decides). */
RCI_FUNC void rci_pool_release_empty(rc_heap *h, rci_pool *pool);
RCI_FUNC rci_arena *rci_arena_lookup_slow(rc_heap *h, uintptr_t base);
RCI_FUNC void rci_mem_init(rc_heap *h);
RCI_FUNC void rci_mem_fini(rc_heap *h);
RCI_FUNC void rci_mem_maybe_purge(rc_heap *h);
RCI_FUNC uint64_t rci_mem_purge_now(rc_heap *h, int all);
/* large blocks (mem/large.c) */
RCI_FUNC void *rci_large_alloc(rc_heap *h, size_t n);
RCI_FUNC void rci_large_free(rc_heap *h, void *p, const rc_object *obj);
RCI_FUNC void *rci_large_realloc(rc_heap *h, void *p, size_t n);
RCI_FUNC rci_large *rci_large_header(rc_heap *h, const void *p, const rc_object *obj);
RCI_FUNC void rci_large_free_all(rc_heap *h);
/* debug mode (mem/debug.c) */
RCI_FUNC void *rci_debug_alloc(rc_heap *h, size_t n, int api);
RCI_FUNC void rci_debug_free(rc_heap *h, void *p, int api, const rc_object *obj);
RCI_FUNC size_t rci_debug_size(const void *p);
/* Check a debug block (abort on damage) and return its requested size. */
RCI_FUNC size_t rci_debug_check(rc_heap *h, void *p, int api, const rc_object *obj);
#define RCI_DEBUG_OVERHEAD 24
/* the raw underlying allocator used by the debug layer */
RCI_FUNC void *rci_raw_alloc(rc_heap *h, size_t n);
RCI_FUNC void rci_raw_free(rc_heap *h, void *p, const rc_object *obj);
/* Abort with a diagnostic unless p is a live block of h. */
RCI_FUNC void rci_raw_check_owner(rc_heap *h, const void *p, const rc_object *obj);

/* ------------------------------------------------------------------------
 * Heap (core/heap.c)
 * ---------------------------------------------------------------------- */
/* Every link (objects' and the list heads') is 16-byte aligned, so the low
 * four bits of a pointer to one are free for flags. */
typedef struct rci_gc_link {
    _Alignas(16) uintptr_t next;   /* 0 = untracked; else next link in the generation list */
    uintptr_t prev;   /* low 4 bits: RCI_GC_FLAGS; rest: prev pointer */
} rci_gc_link;
#define RCI_GC_FINALIZED ((uintptr_t)1)
/* While an untracked object is parked by the trashcan, bit 1 records that it
 * was tracked (outside collections bit 1 is otherwise unused). */
#define RCI_GC_PARKED_TRACKED ((uintptr_t)2)
#define RCI_GC_COLLECTING ((uintptr_t)2)   /* in the generation being collected */
/* Bits 2-3: the generation a tracked object's list belongs to (0, 1, 2, or
 * RCI_GC_GEN_PERMANENT), kept exact by everything that moves objects between
 * generations (gc/collect.c, gc/gcmodule.c); tracking starts at 0.  The
 * collector's fused first pass (gc/collect.c) uses it to tell, from a
 * referent alone, whether the referent is in the set being collected.
 * Inside that set (COLLECTING) the tag is meaningless and its bits mark
 * tentatively unreachable objects (gc/gclist.h); every object leaving the
 * set is given its new generation's tag. */
#define RCI_GC_GEN_SHIFT 2
#define RCI_GC_GEN_MASK  ((uintptr_t)3 << RCI_GC_GEN_SHIFT)
#define RCI_GC_GEN_PERMANENT 3
#define RCI_GC_FLAGS     ((uintptr_t)15)
#define RCI_AS_LINK(op)  ((rci_gc_link *)(op) - 1)
#define RCI_FROM_LINK(g) ((rc_object *)((rci_gc_link *)(g) + 1))

#define RCI_NUM_GENERATIONS 3
typedef struct rci_generation {
    rci_gc_link head;   /* dummy head of a circular list */
    long threshold;
    long count;
} rci_generation;

#include "types/state.h"

/* The collector's state (src/gc/). */
typedef struct rci_gc_callback_entry {
    rc_gc_callback cb;
    void *ctx;
} rci_gc_callback_entry;

typedef struct rci_gc_state {
    int enabled;
    int debug;                      /* RC_GC_DEBUG_* */
    int collecting;                 /* a collection is running: no re-entry */
    intptr_t long_lived_total;      /* survivors of the last full collection */
    intptr_t long_lived_pending;    /* promoted into gen 2 since then */
    int full_rule;                  /* rc_gc_full_rule; 0 = not resolved yet */
    /* Objects tracked in this heap (every generation and the permanent
     * one): +1 in rc_gc_track, -1 in rc_gc_untrack and wherever the
     * collector untracks by itself.  Code that links or unlinks generation
     * lists directly must keep it right; the growth rule reads it. */
    intptr_t tracked;
    intptr_t frozen;                /* tracked when rc_gc_freeze last ran; 0 after unfreeze */
    intptr_t old_after_full;        /* generation 2's size after the last full collection */
    /* An upper bound of old_generation_size() (gc/collect.c), valid when
     * old_size_known: that size can only shrink between the points that set
     * the bound (collections of generation 1 or 2, freeze, unfreeze), since
     * tracking and untracking in the young generations leave it unchanged
     * and untracking in generation 2 lowers it.  It saves the walk of the
     * young lists at most checks of the growth rule. */
    intptr_t old_size_bound;
    int old_size_known;
    rc_object *garbage;             /* gc.garbage: points at garbage_list.list */
    struct {                        /* an immortal list living in the heap */
        rci_gc_link link;           /* never tracked; laid out like a GC object */
        rci_list list;
    } garbage_list;
    rci_gc_callback_entry *callbacks;   /* an rc_mem block */
    int ncallbacks, callbacks_cap;
    FILE *stream;                   /* debug output; NULL = stderr */
    rc_gc_generation_stats stats[RCI_NUM_GENERATIONS];
} rci_gc_state;

/* weakref.finalize's per-heap registry (weakref/finalize.c; added for
 * issue 5).  Invariant: first..last lists, oldest first, exactly the live
 * finalizers of this heap, and the registry owns one reference to each;
 * that reference is what keeps a finalizer the user dropped alive. */
typedef struct rci_finalize_registry {
    struct rci_finalize *first, *last;
    uint64_t created;   /* finalizers ever registered: the exit run notices new ones */
    int shutdown;       /* the exit run is over: no finalizer function runs again */
} rci_finalize_registry;

#define RCI_HEAP_MAGIC 0x72636870u  /* "rchp" */
#define RCI_TRASH_LIMIT 50

struct rc_heap {
    uint32_t magic;
    rc_malloc_mode mode;
    int print_stats_at_exit;
    _Atomic uintptr_t owner;        /* thread that has it entered, 0 if none */
    rci_memstate mem;
    /* object layer */
    int trash_nesting;
    /* Objects parked by the trashcan (a stack; refcounts stay 0, so a
     * weak reference never mistakes a parked object for a live one). */
    rc_object **trash;              /* trash_inline, or an OS block when deeper */
    intptr_t ntrash, trash_cap;
    rc_object *trash_inline[64];
    rci_generation gen[RCI_NUM_GENERATIONS];
    rci_gc_link permanent;
    rci_gc_state gc;
    rci_types_state types;          /* free lists, interned strings, repr guard */
    rci_finalize_registry finalizers;   /* live finalize objects (issue 5) */
    /* Weak references linked to a live referent (weakref/weakref.c): while
     * it is 0 no object has one, and the collector skips its weakref step. */
    intptr_t weakrefs_linked;
};

/* The calling thread's current heap (core/heap.c). */
/* initial-exec: a plain %fs-relative load even in the shared library. */
RCI_FUNC extern _Thread_local rc_heap *rci_current_heap __attribute__((tls_model("initial-exec")));
RCI_FUNC rc_heap *rci_heap_or_error(void);
/* How many heaps exist in the process now.  While there is one, no object
 * can refer to another heap's objects (gc/collect.c relies on it). */
RCI_FUNC int rci_heaps_live(void);

/* Configuration resolution (core/config.c) */
typedef struct rci_settings {
    rc_malloc_mode mode;
    int purge_delay_ms;
    int print_stats_at_exit;
    long gc_threshold[RCI_NUM_GENERATIONS];
    int gc_debug;
} rci_settings;
RCI_FUNC int rci_config_resolve(const rc_config *cfg, rci_settings *out);

/* Object layer (core/object.c, core/dealloc.c) */
RCI_FUNC void rci_gc_link_init(rci_generation *g);
RCI_FUNC RC_NORETURN void rci_object_fatal(const char *what, const rc_object *op);
/* rc_object_new for a type the caller knows is valid, fixed-size, GC and
 * RC_TYPE_TRACK (classes made by rc_class_new): the same object, without
 * re-checking the type descriptor. */
RCI_FUNC void *rci_gc_object_new(const rc_type *t);
/* The collector (gc/collect.c): an automatic collection when generation 0
 * is over its threshold, called before a GC object is allocated. */
RCI_FUNC void rci_gc_maybe_collect(rc_heap *h);
/* The heap's full-collection rule (rc_gc_full_rule), resolved from
 * RCGC_GC_FULL_RULE the first time it is needed (gc/gcmodule.c). */
RCI_FUNC int rci_gc_full_rule(rc_heap *h);
/* At heap destruction: report uncollectable garbage like Python's shutdown
 * warning (gc/gcmodule.c). */
RCI_FUNC void rci_gc_report_at_exit(rc_heap *h);
/* At heap destruction, before that report: run the live finalizers whose
 * at-exit flag is set, newest first, with the collector disabled; then
 * refuse to run any more (weakref/finalize.c).  h must be current. */
RCI_FUNC void rci_finalize_at_exit(rc_heap *h);

/* Destroy an object whose count reached zero (core/dealloc.c). */
RCI_FUNC void rci_dealloc(rc_object *op);

/* Collector hint (bit 27, reserved for the library's own types): the
 * instance's references are exactly the object pointers (NULL = none) in the
 * words from the end of its rc_object header up to weaklist_offset (types
 * with RC_TYPE_WEAKREF) or basic_size, plus one reference to its type.  The
 * type's traverse must visit exactly those; the collector's passes then
 * visit them inline instead of calling traverse (gc/collect.c).  Meant for
 * slots-backed instances (types/class.c). */
#define RCI_TYPE_GC_INLINE_REFS (1u << 27)

/* Type flags reserved for the library's own types (bits 24..31): which
 * free list dead instances may go to (types/freelist.c; bit 26 is the
 * weak-reference list, a deviation: CPython has none for weakrefs). */
#define RCI_TYPE_FREELIST_WEAKREF (1u << 26)   /* weak references and proxies */
#define RCI_TYPE_FREELIST_FLOAT (1u << 28)
#define RCI_TYPE_FREELIST_TUPLE (1u << 29)
#define RCI_TYPE_FREELIST_LIST  (1u << 30)
#define RCI_TYPE_FREELIST_DICT  (1u << 31)
#define RCI_TYPE_FREELIST (RCI_TYPE_FREELIST_FLOAT | RCI_TYPE_FREELIST_TUPLE | \
                           RCI_TYPE_FREELIST_LIST | RCI_TYPE_FREELIST_DICT | \
                           RCI_TYPE_FREELIST_WEAKREF)

/* Freed objects keep this in their refcount word until the block is reused:
 * the negated type pointer.  Counts below -RCI_FREED_MIN are "freed". */
#define RCI_FREED_MIN ((intptr_t)4096)
#define RCI_DEAD_FILL ((intptr_t)0xDDDDDDDDDDDDDDDDull)

#endif /* RCGC_INTERNAL_H */
