/*
 * stats.c - rc_mem_stats and rc_mem_print_stats.
 *
 * Counters kept on the hot path (bytes and blocks in use, peak, totals) are
 * copied; everything per pool (class occupancy, quantization, resident
 * pools) is computed by walking the arenas, which only costs when asked.
 * The printout follows sys._debugmallocstats() line for line, then adds the
 * figures CPython does not have (released pools, large blocks, residency).
 */
#include "fastpath.h"

static rc_heap *resolve(rc_heap *h, const char *fn) {
    if (!h)
        h = rci_current_heap;
    if (!h)
        rc_error_set(RC_ERR_STATE, "%s: no heap given and none is current", fn);
    return h;
}

static void fill(rc_heap *h, rc_memstats *s) {
    const rci_memstate *m = &h->mem;
    memset(s, 0, sizeof *s);
    s->version = RC_MEM_STATS_VERSION;
    s->struct_size = (uint32_t)sizeof *s;
    s->bytes_in_use = m->bytes_in_use;
    s->bytes_in_use_peak = m->bytes_peak;
    s->blocks_in_use = m->allocs - m->frees;
    s->large_blocks_in_use = m->large_blocks;
    s->small_blocks_in_use = s->blocks_in_use - m->large_blocks;
    s->large_bytes_in_use = m->large_bytes;
    s->allocations_total = m->allocs;
    s->frees_total = m->frees;
    s->arenas_current = m->arenas_current;
    s->arenas_allocated_total = m->arenas_total;
    s->arenas_released_total = m->arenas_released;
    s->arenas_highwater = m->arenas_high;
    s->pools_released_total = m->pools_released_total;
    s->bytes_lost_large_headers = m->large_blocks * RCI_LARGE_HDR;
    s->bytes_metadata = m->meta_bytes + sizeof(rc_heap);
    s->bytes_mapped = m->arenas_current * RCI_ARENA_SIZE;
    for (unsigned c = 0; c < RCI_NCLASSES; c++)
        s->classes[c].block_size_bytes = (uint32_t)RCI_CLASS_SIZE(c);
    uint64_t touched_pools = 0;
    for (const rci_arena *a = m->all_arenas; a; a = a->all_next) {
        uint64_t used = ~a->free_mask;
        touched_pools += (uint64_t)__builtin_popcountll(a->touched_mask);
        s->pools_empty_resident += (uint64_t)__builtin_popcountll(a->free_mask & a->touched_mask);
        s->pools_empty_released += (uint64_t)__builtin_popcountll(a->free_mask & ~a->touched_mask);
        for (; used; used &= used - 1) {
            unsigned i = (unsigned)__builtin_ctzll(used);
            const rci_pool *pool = &a->pools[i];
            size_t size = RCI_CLASS_SIZE(pool->szidx);
            uint32_t start = rci_pool_start(pool, size);
            size_t nblocks = (RCI_POOL_SIZE - start) / size;
            s->bytes_lost_arena_guard += start;
            rc_mem_class_stats *c = &s->classes[pool->szidx];
            c->pools++;
            c->blocks_in_use += pool->count;
            c->blocks_available += nblocks - pool->count;
            s->pools_in_use++;
            s->bytes_lost_quantization += (RCI_POOL_SIZE - start) % size;
        }
    }
    s->bytes_resident_estimate = touched_pools * RCI_POOL_SIZE + m->large_bytes +
                                 s->bytes_lost_large_headers + s->bytes_metadata;
}

int rc_mem_stats(rc_heap *h, rc_memstats *out) {
    if (!out)
        return rc_error_set(RC_ERR_INVALID, "rc_mem_stats: out is NULL");
    if (!(h = resolve(h, "rc_mem_stats")))
        return -1;
    fill(h, out);
    return 0;
}

/* 1234567 -> "1,234,567" */
static const char *commas(uint64_t v, char buf[32]) {
    char tmp[32];
    int n = snprintf(tmp, sizeof tmp, "%llu", (unsigned long long)v), j = 0;
    for (int i = 0; i < n; i++) {
        buf[j++] = tmp[i];
        if ((n - i - 1) % 3 == 0 && i != n - 1)
            buf[j++] = ',';
    }
    buf[j] = '\0';
    return buf;
}

static void line(FILE *f, const char *label, uint64_t v) {
    char buf[32];
    fprintf(f, "%-35s= %21s\n", label, commas(v, buf));
}

static const char *mode_name(rc_malloc_mode m) {
    return m == RC_MALLOC_MALLOC ? "malloc" : m == RC_MALLOC_DEBUG ? "debug" : "pymalloc";
}

int rc_mem_print_stats(rc_heap *h, FILE *f) {
    if (!(h = resolve(h, "rc_mem_print_stats")))
        return -1;
    if (!f)
        f = stderr;
    rc_memstats s;
    fill(h, &s);
    char label[64];
    fprintf(f, "Small block threshold = %d, in %d size classes.  (rcgc heap %p, mode %s)\n\n",
            RC_MEM_SMALL_MAX, RC_MEM_NUM_CLASSES, (void *)h, mode_name(h->mode));
    fprintf(f, "class   size   num pools   blocks in use  avail blocks\n"
               "-----   ----   ---------   -------------  ------------\n");
    uint64_t in_blocks = 0, avail_bytes = 0;
    for (unsigned c = 0; c < RCI_NCLASSES; c++) {
        const rc_mem_class_stats *k = &s.classes[c];
        if (!k->pools)
            continue;
        fprintf(f, "%5u %6u %11u %15llu %13llu\n", c, k->block_size_bytes, k->pools,
                (unsigned long long)k->blocks_in_use, (unsigned long long)k->blocks_available);
        in_blocks += k->blocks_in_use * k->block_size_bytes;
        avail_bytes += k->blocks_available * k->block_size_bytes;
    }
    fputc('\n', f);
    line(f, "# arenas allocated total", s.arenas_allocated_total);
    line(f, "# arenas reclaimed", s.arenas_released_total);
    line(f, "# arenas highwater mark", s.arenas_highwater);
    line(f, "# arenas allocated current", s.arenas_current);
    snprintf(label, sizeof label, "%llu arenas * %d bytes/arena",
             (unsigned long long)s.arenas_current, RC_MEM_ARENA_SIZE);
    line(f, label, s.bytes_mapped);
    fputc('\n', f);
    uint64_t unused = s.pools_empty_resident + s.pools_empty_released;
    line(f, "# bytes in allocated blocks", in_blocks);
    line(f, "# bytes in available blocks", avail_bytes);
    snprintf(label, sizeof label, "%llu unused pools * %d bytes",
             (unsigned long long)unused, RC_MEM_POOL_SIZE);
    line(f, label, unused * RCI_POOL_SIZE);
    line(f, "# bytes lost to pool headers", s.bytes_lost_pool_headers);
    line(f, "# bytes lost to quantization", s.bytes_lost_quantization);
    line(f, "# bytes lost to arena alignment", s.bytes_lost_arena_guard);
    line(f, "Total", in_blocks + avail_bytes + unused * RCI_POOL_SIZE +
                         s.bytes_lost_pool_headers + s.bytes_lost_quantization +
                         s.bytes_lost_arena_guard);
    fputc('\n', f);
    line(f, "# unused pools still resident", s.pools_empty_resident);
    line(f, "# unused pools not resident", s.pools_empty_released);
    line(f, "# pool releases (madvise), total", s.pools_released_total);
    line(f, "# large blocks in use", s.large_blocks_in_use);
    line(f, "# bytes in large blocks", s.large_bytes_in_use);
    line(f, "# bytes lost to large headers", s.bytes_lost_large_headers);
    line(f, "# bytes of allocator metadata", s.bytes_metadata);
    line(f, "# bytes in use (all blocks)", s.bytes_in_use);
    line(f, "# bytes in use, peak", s.bytes_in_use_peak);
    line(f, "# bytes resident (estimate)", s.bytes_resident_estimate);
    return 0;
}
