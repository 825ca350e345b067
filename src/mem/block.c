/*
 * block.c - the single choke point for blocks, and the raw memory API.
 *
 * Every block the library hands out - raw memory and objects alike - is
 * allocated by rci_block_alloc and freed by rci_block_free.  They pick the
 * mode's allocator (pymalloc pools, system malloc, or the debug wrapper) and
 * keep the heap's byte and block counters.  Allocation tracing attaches here
 * later without touching the size classes.
 */
#include "internal.h"
#include <limits.h>
#include <stdint.h>

static inline void count_alloc(rci_memstate *m, size_t size) {
    m->allocs++;
    m->bytes_in_use += size;
    if (m->bytes_in_use > m->bytes_peak)
        m->bytes_peak = m->bytes_in_use;
}

void *rci_raw_alloc(rc_heap *h, size_t n) {
    rci_memstate *m = &h->mem;
    void *p;
    if (RC_LIKELY(n <= RC_MEM_SMALL_MAX && h->mode != RC_MALLOC_MALLOC)) {
        p = rci_pool_alloc(h, n);
        if (RC_LIKELY(p != NULL)) {
            m->small_blocks++;
            count_alloc(m, RCI_CLASS_SIZE(RCI_SIZE_INDEX(n)));
        }
        return p;
    }
    p = rci_large_alloc(h, n);
    if (p)
        count_alloc(m, n);
    return p;
}

/* ceil(2^32 / class size): (off * recip) >> 32 == off / size exactly for
 * every offset inside a pool, so the block-boundary check needs no divide. */
static const uint32_t class_recip[RCI_NCLASSES] = {
#define R(i) (uint32_t)((((uint64_t)1 << 32) + RCI_CLASS_SIZE(i) - 1) / RCI_CLASS_SIZE(i))
    R(0), R(1), R(2), R(3), R(4), R(5), R(6), R(7), R(8), R(9), R(10),
    R(11), R(12), R(13), R(14), R(15), R(16), R(17), R(18), R(19), R(20),
    R(21), R(22), R(23), R(24), R(25), R(26), R(27), R(28), R(29), R(30), R(31)
#undef R
};

/* Find the pool of p if p lies in one of h's arenas, checking that p is the
 * start of a block that has been carved (a pointer into the middle of a
 * block, into a pool header or a free pool is refused). */
static rci_pool *owning_pool(rc_heap *h, const void *p, const rc_object *obj) {
    rci_arena *a = rci_arena_lookup(h, p);
    if (!a)
        return NULL;
    rci_pool *pool = (rci_pool *)((uintptr_t)p & RCI_POOL_MASK);
    uint64_t bit = (uint64_t)1 << (((uintptr_t)pool - a->base) / RCI_POOL_SIZE);
    uint32_t off = (uint32_t)((uintptr_t)p - (uintptr_t)pool) - (uint32_t)RCI_POOL_OVERHEAD;
    uint32_t size = (uint32_t)RCI_CLASS_SIZE(pool->szidx);
    uint32_t q = (uint32_t)(((uint64_t)off * class_recip[pool->szidx & 31]) >> 32);
    if (RC_UNLIKELY((a->free_mask & bit) || off >= RCI_POOL_SIZE || q * size != off ||
                    off + RCI_POOL_OVERHEAD >= pool->nextoffset)) {
        if (obj)
            rci_object_fatal("freed but its memory is not an allocated block (double free?)", obj);
        rci_fatal("rc_mem_free: %p is not an allocated block: freed already (double "
                  "free), or it points into the middle of a block or a pool header", p);
    }
    return pool;
}

void rci_raw_free(rc_heap *h, void *p, const rc_object *obj) {
    rci_memstate *m = &h->mem;
    m->frees++;
    if (RC_LIKELY(h->mode != RC_MALLOC_MALLOC)) {
        rci_pool *pool = owning_pool(h, p, obj);
        if (RC_LIKELY(pool != NULL)) {
            m->small_blocks--;
            m->bytes_in_use -= RCI_CLASS_SIZE(pool->szidx);
            rci_pool_free(h, pool, p);
            return;
        }
    }
    m->bytes_in_use -= rci_large_header(h, p, obj)->size;
    rci_large_free(h, p, obj);
}

void rci_raw_check_owner(rc_heap *h, const void *p, const rc_object *obj) {
    if (h->mode != RC_MALLOC_MALLOC && owning_pool(h, p, obj))
        return;
    rci_large_header(h, p, obj);
}

static size_t raw_size(rc_heap *h, const void *p) {
    if (h->mode != RC_MALLOC_MALLOC) {
        rci_pool *pool = owning_pool(h, p, NULL);
        if (pool)
            return RCI_CLASS_SIZE(pool->szidx);
    }
    return rci_large_header(h, p, NULL)->size;
}

/* ------------------------------------------------------------ choke point */

void *rci_block_alloc(rc_heap *h, size_t n, int api) {
    if (RC_UNLIKELY(n - 1 >= RCI_MAX_REQUEST)) {   /* 0, or too large to add headers */
        if (n)
            return NULL;
        n = 1;
    }
    if (RC_UNLIKELY(h->mode == RC_MALLOC_DEBUG))
        return rci_debug_alloc(h, n, api);
    return rci_raw_alloc(h, n);
}

void rci_block_free(rc_heap *h, void *p, int api, const rc_object *obj) {
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
    rci_pool *pool = h->mode == RC_MALLOC_MALLOC ? NULL : owning_pool(h, p, NULL);
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
