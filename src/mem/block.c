/*
 * block.c - the single choke point for blocks, and the raw memory API.
 *
 * Every block the library hands out - raw memory and objects alike - is
 * allocated by rci_block_alloc and freed by rci_block_free.  They pick the
 * mode's allocator (pymalloc pools, system malloc, or the debug wrapper) and
 * keep the heap's byte and block counters.  Allocation tracing attaches here
 * later without touching the size classes.
 */
#include "fastpath.h"
#include <limits.h>
#include <stdint.h>

void rci_bad_block(const void *p, const rc_object *obj) {
    if (obj)
        rci_object_fatal("freed but its memory is not an allocated block (double free?)", obj);
    rci_fatal("rc_mem_free: %p is not an allocated block: freed already (double "
              "free), or it points into the middle of a block", p);
}

/* The allocator under the debug layer and behind the slow path: a pool
 * block (pymalloc and debug modes) or a large block, with the counters. */
void *rci_raw_alloc(rc_heap *h, size_t n) {
    if (RC_LIKELY(n <= RC_MEM_SMALL_MAX && h->mode != RC_MALLOC_MALLOC)) {
        void *p = rci_pool_alloc(h, n);
        if (RC_LIKELY(p != NULL))
            rci_count_alloc(&h->mem, RCI_CLASS_SIZE(RCI_SIZE_INDEX(n)));
        return p;
    }
    void *p = rci_large_alloc(h, n);
    if (p)
        rci_count_alloc(&h->mem, n);
    return p;
}

/* ceil(2^32 / class size): (off * recip) >> 32 == off / size exactly for every
 * offset inside a pool, so the boundary check needs no divide. */
#define RECIP(i) (uint32_t)((((uint64_t)1 << 32) + RCI_CLASS_SIZE(i) - 1) / RCI_CLASS_SIZE(i))
static const uint32_t class_recip[RCI_NCLASSES] = {
    RECIP(0), RECIP(1), RECIP(2), RECIP(3), RECIP(4), RECIP(5), RECIP(6), RECIP(7),
    RECIP(8), RECIP(9), RECIP(10), RECIP(11), RECIP(12), RECIP(13), RECIP(14), RECIP(15),
    RECIP(16), RECIP(17), RECIP(18), RECIP(19), RECIP(20), RECIP(21), RECIP(22), RECIP(23),
    RECIP(24), RECIP(25), RECIP(26), RECIP(27), RECIP(28), RECIP(29), RECIP(30), RECIP(31)};

/* The pool of p if p lies in one of h's arenas, with every check including
 * the exact block boundary; NULL if p is not in h's arenas. */
static rci_pool *owning_pool(rc_heap *h, const void *p, const rc_object *obj) {
    if (h->mode == RC_MALLOC_MALLOC)
        return NULL;
    rci_arena *a = rci_arena_of(h, p);
    if (!a)
        return NULL;
    rci_pool *pool = rci_pool_of(a, p, obj);
    uint32_t off = (uint32_t)((uintptr_t)p & (RCI_POOL_SIZE - 1));
    uint32_t q = (uint32_t)(((uint64_t)off * class_recip[pool->szidx & 31]) >> 32);
    uint32_t size = (uint32_t)RCI_CLASS_SIZE(pool->szidx);
    if (q * size != off)
        rci_bad_block(p, obj);
    return pool;
}

void rci_raw_free(rc_heap *h, void *p, const rc_object *obj) {
    rci_memstate *m = &h->mem;
    rci_pool *pool = owning_pool(h, p, obj);
    m->frees++;
    if (pool) {
        m->bytes_in_use -= RCI_CLASS_SIZE(pool->szidx);
        rci_pool_free(h, pool, p);
        return;
    }
    m->bytes_in_use -= rci_large_header(h, p, obj)->size;
    rci_large_free(h, p, obj);
}

void rci_raw_check_owner(rc_heap *h, const void *p, const rc_object *obj) {
    if (!owning_pool(h, p, obj))
        rci_large_header(h, p, obj);
}

static size_t raw_size(rc_heap *h, const void *p) {
    rci_pool *pool = owning_pool(h, p, NULL);
    if (pool)
        return RCI_CLASS_SIZE(pool->szidx);
    return rci_large_header(h, p, NULL)->size;
}

/* ------------------------------------------------------------ slow paths */

void *rci_block_alloc_slow(rc_heap *h, size_t n, int api) {
    if (RC_UNLIKELY(n - 1 >= RCI_MAX_REQUEST)) {   /* 0, or too large to add headers */
        if (n)
            return NULL;
        n = 1;
    }
    if (RC_UNLIKELY(h->mode == RC_MALLOC_DEBUG))
        return rci_debug_alloc(h, n, api);
    return rci_raw_alloc(h, n);
}

void rci_block_free_slow(rc_heap *h, void *p, int api, const rc_object *obj) {
    if (RC_UNLIKELY(h->mode == RC_MALLOC_DEBUG)) {
        rci_debug_free(h, p, api, obj);
        return;
    }
    rci_raw_free(h, p, obj);
}

size_t rci_block_size(rc_heap *h, const void *p) {
    if (h->mode == RC_MALLOC_DEBUG)
        return rci_debug_size(p);
    return raw_size(h, p);
}

/* ------------------------------------------------------------ raw API */

static rc_heap *heap_for(const char *fn) {
    rc_heap *h = rci_current_heap;
    if (RC_UNLIKELY(!h))
        rc_error_set(RC_ERR_STATE, "%s: no heap is bound to this thread "
                     "(call rc_init or rc_heap_enter)", fn);
    return h;
}

static void *nomem(size_t n) {
    return rci_error_null(RC_ERR_NOMEM, "out of memory allocating %zu bytes", n);
}

void *rc_mem_malloc(size_t n) {
    rc_heap *h = heap_for("rc_mem_malloc");
    if (!h)
        return NULL;
    void *p = rci_block_alloc(h, n, RCI_API_MEM);
    return p ? p : nomem(n);
}

void *rc_mem_calloc(size_t nelem, size_t elsize) {
    if (elsize && nelem > SIZE_MAX / elsize)
        return rci_error_null(RC_ERR_OVERFLOW, "rc_mem_calloc: %zu * %zu overflows",
                              nelem, elsize);
    size_t n = nelem * elsize;
    void *p = rc_mem_malloc(n);
    if (p)
        memset(p, 0, n);
    return p;
}

void rc_mem_free(void *p) {
    if (!p)
        return;
    rc_heap *h = rci_current_heap;
    if (!h)
        rci_fatal("rc_mem_free(%p): no heap is bound to this thread", p);
    rci_block_free(h, p, RCI_API_MEM, NULL);
}

size_t rc_mem_usable_size(const void *p) {
    rc_heap *h = rci_current_heap;
    if (!p || !h)
        return 0;
    return rci_block_size(h, p);
}

/* Move to a new block: allocate, copy, free (no-op on failure). */
static void *move_block(rc_heap *h, void *p, size_t old, size_t n) {
    void *q = rci_block_alloc(h, n, RCI_API_MEM);
    if (!q)
        return nomem(n);
    memcpy(q, p, old < n ? old : n);
    rci_block_free(h, p, RCI_API_MEM, NULL);
    return q;
}

void *rc_mem_realloc(void *p, size_t n) {
    if (!p)
        return rc_mem_malloc(n);
    rc_heap *h = heap_for("rc_mem_realloc");
    if (!h)
        return NULL;
    if (RC_UNLIKELY(n > RCI_MAX_REQUEST))
        return nomem(n);
    if (n == 0)
        n = 1;
    if (h->mode == RC_MALLOC_DEBUG)   /* check the block before copying from it */
        return move_block(h, p, rci_debug_check(h, p, RCI_API_MEM, NULL), n);
    rci_pool *pool = owning_pool(h, p, NULL);
    if (pool) {
        size_t size = RCI_CLASS_SIZE(pool->szidx);
        /* pymalloc's rule: shrinking by less than 25% keeps the block */
        if (n <= size && 4 * n > 3 * size)
            return p;
        return move_block(h, p, size, n);
    }
    size_t old = rci_large_header(h, p, NULL)->size;
    if (n <= RC_MEM_SMALL_MAX && h->mode != RC_MALLOC_MALLOC)
        return move_block(h, p, old, n);   /* migrate down into a pool */
    void *q = rci_large_realloc(h, p, n);
    if (!q)
        return nomem(n);
    h->mem.bytes_in_use += n - old;
    if (h->mem.bytes_in_use > h->mem.bytes_peak)
        h->mem.bytes_peak = h->mem.bytes_in_use;
    return q;
}

long long rc_mem_purge(rc_heap *h) {
    if (!h && !(h = heap_for("rc_mem_purge")))
        return -1;
    return (long long)rci_mem_purge_now(h, 1);
}
