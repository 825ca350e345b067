/*
 * fastpath.h - the inline hot paths of the memory layer: the block choke
 * point (rci_block_alloc / rci_block_free) and the pool operations it uses
 * in the common case.  Everything rare - a new pool, a pool that fills up or
 * empties, large blocks, the malloc and debug modes - is out of line in
 * pool.c and block.c.  Included by the files that allocate blocks.
 */
#ifndef RCGC_MEM_FASTPATH_H
#define RCGC_MEM_FASTPATH_H

#include "internal.h"

#define RCI_NEXT_OF(b) (*(void **)((char *)(b) + 8))

/* Slow paths (block.c) */
RCI_FUNC void *rci_block_alloc_slow(rc_heap *h, size_t n, int api);
RCI_FUNC void rci_block_free_slow(rc_heap *h, void *p, int api, const rc_object *obj);
RCI_FUNC RC_NORETURN void rci_bad_block(const void *p, const rc_object *obj);

/* The arena of h containing p, or NULL. */
static inline rci_arena *rci_arena_of(rc_heap *h, const void *p) {
    uintptr_t base = (uintptr_t)p & RCI_ARENA_MASK;
    rci_arena *a = h->mem.arena_cache[(base >> 20) & 255];
    if (RC_LIKELY(a && a->base == base))
        return a;
    return rci_arena_lookup_slow(h, base);
}

/* The first RCI_ARENA_GUARD bytes of each arena are never handed out: a
 * pointer that is not in this heap's arenas is checked for a large-block
 * header in the 32 bytes before it, and this keeps that read inside mapped
 * memory even when the pointer belongs to another heap's arena. */
#define RCI_ARENA_GUARD 32u
static inline uint32_t rci_pool_start(const rci_pool *pool, size_t size) {
    return pool->index ? 0 : (uint32_t)((RCI_ARENA_GUARD + size - 1) / size * size);
}

/* The pool of p, which lies in arena a.  The cheap checks run here on every
 * free: p must be 16-byte aligned, inside a pool that is in use, below the
 * pool's carved part and past the arena guard, in a pool with blocks in use
 * (a class's last pool may be kept while empty); anything else (a double
 * free that emptied the pool, a wild pointer) aborts with a diagnostic.  The
 * exact block-boundary check (a pointer into the middle of a block) costs a
 * multiply on the critical path, so it runs in debug mode
 * (rci_pool_of_strict) and for rc_mem_usable_size / realloc. */
static inline rci_pool *rci_pool_of(rci_arena *a, const void *p, const rc_object *obj) {
    unsigned i = (unsigned)(((uintptr_t)p - a->base) / RCI_POOL_SIZE);
    rci_pool *pool = &a->pools[i];
    uint32_t off = (uint32_t)((uintptr_t)p & (RCI_POOL_SIZE - 1));
    /* A pool that is not in use (its bit in a->free_mask) has count 0: the
     * bit is set only by rci_pool_release_empty, on an empty pool, a count
     * changes only while its pool is on a class list, and a new arena's
     * counts start at 0.  So count == 0 covers it without reading the mask.
     * Separate predicted-not-taken branches: OR-ing the conditions into one
     * cost a setcc/movzx/or per condition (25 instructions on x86-64, 11
     * now). */
    if (RC_UNLIKELY(pool->count == 0) || RC_UNLIKELY((uintptr_t)p & 15) ||
        RC_UNLIKELY(off >= pool->nextoffset) ||
        RC_UNLIKELY((uintptr_t)p - a->base < RCI_ARENA_GUARD))
        rci_bad_block(p, obj);
    return pool;
}

/* A block of class (n-1)>>4 from the class's first pool; n in 1..512. */
static inline void *rci_pool_alloc(rc_heap *h, size_t n) {
    unsigned idx = (unsigned)RCI_SIZE_INDEX(n);
    rci_pool *pool = h->mem.usedpools[idx];
    if (RC_LIKELY(pool != NULL)) {
        void *b = pool->freeblock;
        void *next = RCI_NEXT_OF(b);
        pool->count++;
        if (RC_LIKELY(next != NULL)) {
            pool->freeblock = next;
        } else if (RC_LIKELY(pool->nextoffset <= RCI_POOL_SIZE - RCI_CLASS_SIZE(idx))) {
            /* the free list ran dry: carve the next virgin block right here
             * (a pool reused after emptying hands out most of its blocks
             * this way; a call for it cost binary-trees 2.5%) */
            char *nb = pool->mem + pool->nextoffset;
            pool->nextoffset += (uint32_t)RCI_CLASS_SIZE(idx);
            RCI_NEXT_OF(nb) = NULL;
            pool->freeblock = nb;
        } else {
            rci_pool_full(&h->mem, pool);
        }
        return b;
    }
    return rci_pool_alloc_slow(h, idx);
}

/* The last block of a pool was freed.  With a purge delay, the only pool
 * left on its class's list stays there, empty: a program that allocates and
 * frees one object of a size over and over (a weak reference made and
 * dropped, a temporary tuple) would otherwise re-initialise a pool and
 * consult the purge clock on every free.  rci_mem_purge_now(all) gives such
 * pools back (kept_empty_release). */
static inline void rci_pool_became_empty(rc_heap *h, rci_pool *pool) {
    if (h->mem.purge_delay_ns && !pool->prev && !pool->next)
        return;   /* inline: in the make-and-drop loop this is every free */
    rci_pool_release_empty(h, pool);
}

static inline void rci_pool_free(rc_heap *h, rci_pool *pool, void *p) {
    void *fb = pool->freeblock;
    RCI_NEXT_OF(p) = fb;
    pool->freeblock = p;
    if (RC_UNLIKELY(fb == NULL)) {
        rci_pool_was_full(&h->mem, pool);
        return;
    }
    if (RC_LIKELY(--pool->count != 0))
        return;
    rci_pool_became_empty(h, pool);
}

static inline void rci_count_alloc(rci_memstate *m, size_t size) {
    m->allocs++;
    m->bytes_in_use += size;
    if (RC_UNLIKELY(m->bytes_in_use > m->bytes_peak))
        m->bytes_peak = m->bytes_in_use;
}

/* The choke point: every block of every kind is allocated here. */
static inline void *rci_block_alloc(rc_heap *h, size_t n, int api) {
    if (RC_LIKELY(h->mode == RC_MALLOC_PYMALLOC && n - 1 < RC_MEM_SMALL_MAX)) {
        void *p = rci_pool_alloc(h, n);
        if (RC_LIKELY(p != NULL))
            rci_count_alloc(&h->mem, RCI_CLASS_SIZE(RCI_SIZE_INDEX(n)));
        return p;
    }
    return rci_block_alloc_slow(h, n, api);
}

/* ... and freed here. */
static inline void rci_block_free(rc_heap *h, void *p, int api, const rc_object *obj) {
    if (RC_LIKELY(h->mode == RC_MALLOC_PYMALLOC)) {
        rci_arena *a = rci_arena_of(h, p);
        if (RC_LIKELY(a != NULL)) {
            rci_pool *pool = rci_pool_of(a, p, obj);
            h->mem.frees++;
            h->mem.bytes_in_use -= RCI_CLASS_SIZE(pool->szidx);
            rci_pool_free(h, pool, p);
            return;
        }
    }
    rci_block_free_slow(h, p, api, obj);
}

/* ------------------------------------------------------------------------
 * GC link fast paths for the object layer (core/object.c, core/dealloc.c).
 * They are the list operations of rc_gc_track / rc_gc_untrack without
 * those functions' argument checks, for call sites that already know the
 * object is a GC object in the required state; keep them in step with
 * those two (the collector's code).  A link's `next` is 0 while untracked;
 * `prev` carries RCI_GC_FLAGS in its low bits (see internal.h).
 * ---------------------------------------------------------------------- */

/* Append the link of a NEW object (its words not yet initialised) to
 * generation 0 of h.  A new object has no flag to keep: FINALIZED can only
 * be set on an object that has been alive.  Counts it in gc.tracked (the
 * full-collection growth rule, gc/collect.c). */
static inline void rci_gc_link_track_new(rc_heap *h, rci_gc_link *g) {
    rci_gc_link *head = &h->gen[0].head;
    rci_gc_link *last = (rci_gc_link *)(head->prev & ~RCI_GC_FLAGS);
    g->next = (uintptr_t)head;
    g->prev = (uintptr_t)last;
    last->next = (uintptr_t)g;
    head->prev = (uintptr_t)g;
    h->gc.tracked++;
}

/* Unlink a tracked link (g->next != 0) from its generation list; it becomes
 * untracked and keeps only its FINALIZED bit.  The caller adjusts
 * gc.tracked (rci_gc_link_untrack does). */
static inline void rci_gc_link_unlink(rci_gc_link *g) {
    rci_gc_link *prev = (rci_gc_link *)(g->prev & ~RCI_GC_FLAGS);
    rci_gc_link *next = (rci_gc_link *)g->next;
    prev->next = (uintptr_t)next;
    next->prev = (uintptr_t)prev | (next->prev & RCI_GC_FLAGS);
    g->next = 0;
    g->prev &= RCI_GC_FINALIZED;
}

/* A GC object's block goes back (or stays on a free list for good): the
 * other half of rci_gc_count_alloc (core/alloc.h).  CPython 3.11 counts
 * deallocations of GC objects against generation 0, never below zero. */
static inline void rci_gc_count_free(rc_heap *h) {
    if (h->gen[0].count > 0)
        h->gen[0].count--;
}

/* Untrack a tracked object of heap h. */
static inline void rci_gc_link_untrack(rc_heap *h, rci_gc_link *g) {
    rci_gc_link_unlink(g);
    h->gc.tracked--;
}

#endif /* RCGC_MEM_FASTPATH_H */
