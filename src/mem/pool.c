/*
 * pool.c - pymalloc's small-block allocator: 1 MiB arenas -> 16 KiB pools ->
 * blocks in 32 size classes of 16 bytes (16..512).
 *
 * Algorithm (CPython's Objects/obmalloc.c, described in the reference, 4.3-4.5):
 *  - usedpools[c] lists the partly used pools of class c; the first pool
 *    serves allocations.  A pool that fills up leaves the list; a full pool
 *    that gets a block back goes to the front.
 *  - usable_arenas lists arenas with free pools, sorted by free-pool count
 *    ascending, so new pools come from the fullest arenas and the others
 *    drain.  nfp2lasta[n] points at the last arena with n free pools, which
 *    makes re-sorting O(1).
 *  - Blocks are carved lazily: a pool only touches memory it hands out.
 *
 * Beyond pymalloc:
 *  - Arena descriptors, with the 64 pool headers, live outside the arenas,
 *    and arenas are mapped aligned to 1 MiB, so every byte of every pool
 *    holds blocks, block -> arena is a mask plus a cache or hash lookup (the per-heap
 *    arena table replaces the global radix tree; it also tells whether a
 *    pointer belongs to *this* heap), and the headers of neighbouring pools
 *    share cache lines.  Fast paths are inline in fastpath.h.
 *  - Empty pools inside partly used arenas are given back with madvise, and
 *    empty arenas are unmapped, after a purge delay: memory that is freed
 *    and reused within the delay never bounces through the kernel; memory
 *    that stays empty longer is released (two-epoch scheme below).
 *  - The free-list link is stored at block+8, not block+0, so a freed
 *    object's refcount word keeps its "freed" poison (see core/object.c).
 */
#include "fastpath.h"

#define NEXT_OF(b) RCI_NEXT_OF(b)

/* ---------------------------------------------------------------- arena table */

static size_t table_slot(const rci_arena_table *t, uintptr_t key) {
    return (size_t)((key * 0x9E3779B97F4A7C15ull) >> 7) & (t->cap - 1);
}

static int table_grow(rc_heap *h) {
    rci_arena_table *t = &h->mem.table, nt;
    nt.cap = t->cap ? t->cap * 2 : 64;
    nt.used = 0;
    nt.keys = rci_os_calloc(nt.cap * sizeof *nt.keys);
    nt.vals = rci_os_calloc(nt.cap * sizeof *nt.vals);
    if (!nt.keys || !nt.vals) {
        rci_os_free(nt.keys, nt.keys ? nt.cap * sizeof *nt.keys : 0);
        rci_os_free(nt.vals, nt.vals ? nt.cap * sizeof *nt.vals : 0);
        return -1;
    }
    for (size_t i = 0; i < t->cap; i++) {
        if (!t->keys[i])
            continue;
        size_t j = table_slot(&nt, t->keys[i]);
        while (nt.keys[j])
            j = (j + 1) & (nt.cap - 1);
        nt.keys[j] = t->keys[i];
        nt.vals[j] = t->vals[i];
        nt.used++;
    }
    rci_os_free(t->keys, t->cap * sizeof *t->keys);
    rci_os_free(t->vals, t->cap * sizeof *t->vals);
    h->mem.meta_bytes += (nt.cap - t->cap) * (sizeof *nt.keys + sizeof *nt.vals);
    *t = nt;
    return 0;
}

static void table_insert(rci_arena_table *t, rci_arena *a) {
    uintptr_t key = a->base >> 20;
    size_t j = table_slot(t, key);
    while (t->keys[j])
        j = (j + 1) & (t->cap - 1);
    t->keys[j] = key;
    t->vals[j] = a;
    t->used++;
}

/* Linear probing with backward-shift deletion: no tombstones. */
static void table_remove(rci_arena_table *t, uintptr_t base) {
    uintptr_t key = base >> 20;
    size_t mask = t->cap - 1, i = table_slot(t, key);
    while (t->keys[i] != key)
        i = (i + 1) & mask;
    size_t j = i;
    for (;;) {
        j = (j + 1) & mask;
        if (!t->keys[j])
            break;
        size_t home = table_slot(t, t->keys[j]);
        /* move j back to i when home is not cyclically in (i, j] */
        if ((j > i && (home <= i || home > j)) || (j < i && (home <= i && home > j))) {
            t->keys[i] = t->keys[j];
            t->vals[i] = t->vals[j];
            i = j;
        }
    }
    t->keys[i] = 0;
    t->vals[i] = NULL;
    t->used--;
}

rci_arena *rci_arena_lookup_slow(rc_heap *h, uintptr_t base) {
    const rci_arena_table *t = &h->mem.table;
    if (!t->cap)
        return NULL;
    uintptr_t key = base >> 20;
    for (size_t j = table_slot(t, key);; j = (j + 1) & (t->cap - 1)) {
        if (t->keys[j] == key) {
            h->mem.arena_cache[key & 255] = t->vals[j];
            return t->vals[j];
        }
        if (!t->keys[j])
            return NULL;
    }
}

/* ---------------------------------------------------------- usable arenas */

static void usable_unlink(rci_memstate *m, rci_arena *a) {
    if (a->prev)
        a->prev->next = a->next;
    else
        m->usable_arenas = a->next;
    if (a->next)
        a->next->prev = a->prev;
    a->next = a->prev = NULL;
}

static void usable_insert_after(rci_memstate *m, rci_arena *where, rci_arena *a) {
    a->prev = where;
    a->next = where ? where->next : m->usable_arenas;
    if (a->next)
        a->next->prev = a;
    if (where)
        where->next = a;
    else
        m->usable_arenas = a;
}

/* a->nfree grew by one (a pool of a became empty); restore the order. */
static void usable_moved_up(rci_memstate *m, rci_arena *a) {
    unsigned nf = a->nfree, old = nf - 1;
    if (old == 0) {              /* was full, so on no list: goes to the head */
        usable_insert_after(m, NULL, a);
        if (!m->nfp2lasta[1])
            m->nfp2lasta[1] = a;
        return;
    }
    rci_arena *lastnf = m->nfp2lasta[old];
    if (lastnf == a) {
        rci_arena *p = a->prev;
        m->nfp2lasta[old] = (p && p->nfree == old) ? p : NULL;
    } else {
        usable_unlink(m, a);
        usable_insert_after(m, lastnf, a);
    }
    if (!m->nfp2lasta[nf])
        m->nfp2lasta[nf] = a;
}

/* The head arena (fewest free pools) gave up one pool. */
static void usable_head_moved_down(rci_memstate *m, rci_arena *a) {
    unsigned old = a->nfree + 1;
    if (m->nfp2lasta[old] == a)
        m->nfp2lasta[old] = NULL;
    if (a->nfree == 0)
        usable_unlink(m, a);
    else
        m->nfp2lasta[a->nfree] = a;  /* a is the only arena with that count */
}

static void usable_remove(rci_memstate *m, rci_arena *a) {
    if (m->nfp2lasta[a->nfree] == a) {
        rci_arena *p = a->prev;
        m->nfp2lasta[a->nfree] = (p && p->nfree == a->nfree) ? p : NULL;
    }
    usable_unlink(m, a);
}

/* ----------------------------------------------------------------- arenas */

static rci_arena *new_arena(rc_heap *h) {
    rci_memstate *m = &h->mem;
    if ((m->table.used + 1) * 2 > m->table.cap && table_grow(h) < 0)
        return NULL;
    rci_arena *a = rci_os_calloc(sizeof *a);
    if (!a)
        return NULL;
    void *base = rci_os_map(RCI_ARENA_SIZE, RCI_ARENA_SIZE);
    if (!base) {
        rci_os_free(a, sizeof *a);
        return NULL;
    }
    a->base = (uintptr_t)base;
    a->free_mask = ~(uint64_t)0;
    a->nfree = RCI_POOLS_PER_ARENA;
    a->heap = h;
    for (unsigned i = 0; i < RCI_POOLS_PER_ARENA; i++) {
        a->pools[i].index = (uint8_t)i;
        a->pools[i].mem = (char *)base + (size_t)i * RCI_POOL_SIZE;
        a->pools[i].arena = a;
    }
    table_insert(&m->table, a);
    a->all_next = m->all_arenas;
    m->all_arenas = a;
    m->meta_bytes += sizeof *a;
    m->arenas_current++;
    m->arenas_total++;
    if (m->arenas_current > m->arenas_high)
        m->arenas_high = m->arenas_current;
    usable_insert_after(m, NULL, a);   /* only called when the list is empty */
    m->nfp2lasta[RCI_POOLS_PER_ARENA] = a;
    return a;
}

static void free_arena(rc_heap *h, rci_arena *a) {
    rci_memstate *m = &h->mem;
    usable_remove(m, a);
    m->pending_empty -= (unsigned)__builtin_popcountll(a->free_mask & a->touched_mask);
    table_remove(&m->table, a->base);
    if (m->arena_cache[(a->base >> 20) & 255] == a)
        m->arena_cache[(a->base >> 20) & 255] = NULL;
    rci_arena **pp = &m->all_arenas;
    while (*pp != a)
        pp = &(*pp)->all_next;
    *pp = a->all_next;
    rci_os_unmap((void *)a->base, RCI_ARENA_SIZE);
    rci_os_free(a, sizeof *a);
    m->meta_bytes -= sizeof *a;
    m->arenas_current--;
    m->arenas_released++;
}

/* ------------------------------------------------------------ allocation */

void *rci_pool_alloc_slow(rc_heap *h, unsigned idx) {
    rci_memstate *m = &h->mem;
    rci_arena *a = m->usable_arenas;
    if (!a && !(a = new_arena(h)))
        return NULL;
    /* Prefer a free pool that is still resident over one that would fault. */
    uint64_t dirty = a->free_mask & a->touched_mask;
    uint64_t bit_set = dirty ? dirty : a->free_mask;
    unsigned i = (unsigned)__builtin_ctzll(bit_set);
    uint64_t bit = (uint64_t)1 << i;
    rci_pool *pool = &a->pools[i];
    if (dirty)
        m->pending_empty--;
    a->free_mask &= ~bit;
    a->touched_mask |= bit;
    a->nfree--;
    usable_head_moved_down(m, a);

    /* Carve the pool afresh even when it served this class before: its old
     * free list is in the reverse order of the frees, and following it lays
     * a new structure out backwards in memory (measured on binary-trees:
     * every other big tree came out mirrored and walked about twice as
     * slowly).  Carving hands blocks out in address order at the same
     * cost. */
    size_t size = RCI_CLASS_SIZE(idx);
    uint32_t start = rci_pool_start(pool, size);
    pool->szidx = (uint8_t)idx;
    void *b = pool->mem + start;
    pool->freeblock = (char *)b + size;
    NEXT_OF(pool->freeblock) = NULL;
    pool->nextoffset = start + (uint32_t)(2 * size);
    pool->count = 1;
    pool->prev = NULL;
    pool->next = m->usedpools[idx];
    if (pool->next)
        pool->next->prev = pool;
    m->usedpools[idx] = pool;
    return b;
}

/* The pool handed out its last block (free list dry, nothing left to
 * carve; rci_pool_alloc carves virgin blocks inline): take it off its
 * class's list. */
void rci_pool_full(rci_memstate *m, rci_pool *pool) {
    pool->freeblock = NULL;
    m->usedpools[pool->szidx] = pool->next;   /* it is the head */
    if (pool->next)
        pool->next->prev = NULL;
    pool->next = pool->prev = NULL;
}

/* ------------------------------------------------------------------ free */

static void release_pools(rci_arena *a, uint64_t mask, rci_memstate *m) {
    /* madvise contiguous runs of pools in one call each */
    while (mask) {
        unsigned i = (unsigned)__builtin_ctzll(mask);
        unsigned j = i;
        while (j + 1 < RCI_POOLS_PER_ARENA && (mask >> (j + 1)) & 1)
            j++;
        rci_os_release((void *)(a->base + (uintptr_t)i * RCI_POOL_SIZE),
                       (size_t)(j - i + 1) * RCI_POOL_SIZE);
        for (unsigned k = i; k <= j; k++) {   /* their memory now reads as zero */
            a->pools[k].freeblock = NULL;
            a->pools[k].nextoffset = 0;
        }
        uint64_t run = (j - i + 1 == 64) ? ~(uint64_t)0
                                         : (((uint64_t)1 << (j - i + 1)) - 1) << i;
        mask &= ~run;
        a->touched_mask &= ~run;
        unsigned cnt = j - i + 1;
        m->pools_released_total += cnt;
        m->pending_empty -= cnt;
    }
}

/* Give an empty pool back to its arena (the list of its class loses it). */
void rci_pool_release_empty(rc_heap *h, rci_pool *pool) {
    rci_memstate *m = &h->mem;
    rci_arena *a = pool->arena;
    unsigned idx = pool->szidx;
    /* unlink from usedpools[idx] */
    if (pool->prev)
        pool->prev->next = pool->next;
    else
        m->usedpools[idx] = pool->next;
    if (pool->next)
        pool->next->prev = pool->prev;
    /* While empty, `next` remembers the purge epoch it emptied in. */
    pool->prev = NULL;
    pool->next = (rci_pool *)(uintptr_t)m->purge_epoch;
    uint64_t bit = (uint64_t)1 << pool->index;
    a->free_mask |= bit;
    a->nfree++;
    m->pending_empty++;
    usable_moved_up(m, a);
    if (a->nfree == RCI_POOLS_PER_ARENA)
        a->empty_epoch = m->purge_epoch;

    if (m->purge_delay_ns == 0) {
        /* Immediate mode: CPython's rule (free an empty arena unless it is
         * the last usable one), plus returning the empty pool itself. */
        if (a->nfree == RCI_POOLS_PER_ARENA && a->next)
            free_arena(h, a);
        else
            release_pools(a, bit, m);
        return;
    }
    rci_mem_maybe_purge(h);
}

/* Release the pools kept empty at the head of their class's list. */
static void kept_empty_release(rc_heap *h) {
    for (unsigned i = 0; i < RCI_NCLASSES; i++) {
        rci_pool *p = h->mem.usedpools[i];
        if (p && p->count == 0)
            rci_pool_release_empty(h, p);
    }
}

/* A block came back to a full pool: it goes to the front of its class list
 * so the next allocation of this size fills it again. */
void rci_pool_was_full(rci_memstate *m, rci_pool *pool) {
    pool->count--;
    pool->prev = NULL;
    pool->next = m->usedpools[pool->szidx];
    if (pool->next)
        pool->next->prev = pool;
    m->usedpools[pool->szidx] = pool;
}

/* ----------------------------------------------------------------- purge */

/* Release empty pools and arenas.  all=0: only those that were already empty
 * before the previous purge epoch began (so they stayed unused for at least
 * one purge delay), keeping one empty arena as a spare.  all=1: everything. */
uint64_t rci_mem_purge_now(rc_heap *h, int all) {
    rci_memstate *m = &h->mem;
    if (all)
        kept_empty_release(h);
    uint64_t released = 0, cutoff = m->purge_epoch;
    int spare_kept = all;   /* explicit purges keep no spare */
    rci_arena *a = m->all_arenas;
    while (a) {
        rci_arena *next = a->all_next;
        uint64_t dirty = a->free_mask & a->touched_mask;
        if (a->nfree == RCI_POOLS_PER_ARENA && (all || a->empty_epoch < cutoff)) {
            if (spare_kept || all) {
                released += (uint64_t)__builtin_popcountll(a->touched_mask) * RCI_POOL_SIZE;
                free_arena(h, a);
            } else {
                spare_kept = 1;
            }
        } else if (dirty) {
            uint64_t old = 0;
            for (uint64_t d = dirty; d; d &= d - 1) {
                unsigned i = (unsigned)__builtin_ctzll(d);
                if (all || (uint64_t)(uintptr_t)a->pools[i].next < cutoff)
                    old |= (uint64_t)1 << i;
            }
            released += (uint64_t)__builtin_popcountll(old) * RCI_POOL_SIZE;
            release_pools(a, old, m);
        }
        a = next;
    }
    m->purge_epoch++;
    m->last_purge_ns = rci_now_ns();
    return released;
}

void rci_mem_maybe_purge(rc_heap *h) {
    rci_memstate *m = &h->mem;
    if (!m->pending_empty)
        return;
    uint64_t now = rci_now_ns();
    if (now - m->last_purge_ns >= m->purge_delay_ns)
        rci_mem_purge_now(h, 0);
}

/* ------------------------------------------------------------- lifecycle */

void rci_mem_init(rc_heap *h) {
    rci_memstate *m = &h->mem;
    m->large_head.next = m->large_head.prev = &m->large_head;
    m->last_purge_ns = rci_now_ns();
    m->purge_epoch = 1;
}

void rci_mem_fini(rc_heap *h) {
    rci_memstate *m = &h->mem;
    rci_large_free_all(h);
    rci_arena *a = m->all_arenas;
    while (a) {
        rci_arena *next = a->all_next;
        rci_os_unmap((void *)a->base, RCI_ARENA_SIZE);
        rci_os_free(a, sizeof *a);
        a = next;
    }
    m->all_arenas = NULL;
    rci_os_free(m->table.keys, m->table.cap * sizeof *m->table.keys);
    rci_os_free(m->table.vals, m->table.cap * sizeof *m->table.vals);
    memset(&m->table, 0, sizeof m->table);
}
