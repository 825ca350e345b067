/*
 * test_mem.c - the pymalloc-style allocator: size classes, lazy carving,
 * LIFO reuse, realloc rules, statistics, most-full-first arenas, returning
 * arenas and empty pools to the OS (checked against the real RSS), the
 * purge delay, and the same workload in all three modes.
 */
#include "support.h"
#include <stdint.h>
#include <time.h>

#define ARENA(p) ((uintptr_t)(p) & ~(uintptr_t)(RC_MEM_ARENA_SIZE - 1))

static rc_memstats stats(void) {
    rc_memstats s;
    rc_mem_stats(NULL, &s);
    return s;
}

static rc_config cfg_delay(int ms) {
    rc_config c;
    rc_config_init(&c);
    c.malloc_mode = RC_MALLOC_PYMALLOC;
    c.purge_delay_ms = ms;
    return c;
}

static void test_size_classes(void) {
    for (size_t n = 0; n <= 512; n++) {
        void *p = rc_mem_malloc(n);
        CHECK(p != NULL);
        CHECK_EQ((uintptr_t)p % 16, 0);
        size_t want = n == 0 ? 16 : (n + 15) / 16 * 16;
        CHECK_EQ(rc_mem_usable_size(p), want);
        memset(p, 0xAB, n);
        rc_mem_free(p);
    }
    void *big = rc_mem_malloc(513);
    CHECK_EQ(rc_mem_usable_size(big), 513);
    CHECK_EQ((uintptr_t)big % 16, 0);
    CHECK_EQ(stats().large_blocks_in_use, 1);
    rc_mem_free(big);
}

static void test_carving_and_lifo_reuse(void) {
    char *a = rc_mem_malloc(40), *b = rc_mem_malloc(40), *c = rc_mem_malloc(40);
    CHECK_EQ(b - a, 48);        /* consecutive blocks of the 48-byte class */
    CHECK_EQ(c - b, 48);
    CHECK_EQ((uintptr_t)a % RC_MEM_ARENA_SIZE, 48);  /* the first pool skips the 32-byte arena guard */
    rc_mem_free(b);
    char *d = rc_mem_malloc(33);
    CHECK(d == b);              /* the last freed block is handed out first */
    rc_mem_free(a);
    rc_mem_free(c);
    rc_mem_free(d);
}

static void test_realloc_rules(void) {
    char *p = rc_mem_malloc(100);           /* class 112 */
    memset(p, 7, 100);
    char *q = rc_mem_realloc(p, 90);        /* 4*90 > 3*112: stays */
    CHECK(q == p);
    q = rc_mem_realloc(p, 112);             /* same class, grows in place */
    CHECK(q == p);
    char *r = rc_mem_realloc(q, 80);        /* 4*80 < 3*112: moves to class 80 */
    CHECK(r != q);
    CHECK_EQ(rc_mem_usable_size(r), 80);
    CHECK(r[0] == 7 && r[79] == 7);
    char *s = rc_mem_realloc(r, 5000);      /* grows into a large block */
    CHECK_EQ(rc_mem_usable_size(s), 5000);
    CHECK(s[0] == 7 && s[79] == 7);
    memset(s, 9, 5000);
    char *t = rc_mem_realloc(s, 100000);    /* large stays large */
    CHECK_EQ(rc_mem_usable_size(t), 100000);
    CHECK(t[4999] == 9 && t[0] == 9);
    char *u = rc_mem_realloc(t, 100);       /* large shrinks into a pool */
    CHECK_EQ(rc_mem_usable_size(u), 112);
    CHECK(u[99] == 9);
    CHECK_EQ(stats().large_blocks_in_use, 0);
    char *v = rc_mem_realloc(NULL, 10);     /* NULL acts as malloc */
    CHECK(v != NULL);
    char *w = rc_mem_realloc(v, 0);         /* 0 keeps a minimal block */
    CHECK(w != NULL);
    CHECK(rc_mem_realloc(w, (size_t)-1) == NULL);   /* failure keeps w */
    CHECK_EQ(rc_error_code(), RC_ERR_NOMEM);
    rc_mem_free(w);
    rc_mem_free(u);
}

static void test_calloc(void) {
    unsigned char *p = rc_mem_malloc(256);
    memset(p, 0xFF, 256);
    rc_mem_free(p);
    unsigned char *z = rc_mem_calloc(16, 16);   /* reuses the dirty block */
    CHECK(z == p);
    int zero = 1;
    for (int i = 0; i < 256; i++)
        zero &= z[i] == 0;
    CHECK(zero);
    rc_mem_free(z);
    CHECK(rc_mem_calloc(SIZE_MAX / 2, 3) == NULL);
    CHECK_EQ(rc_error_code(), RC_ERR_OVERFLOW);
}

static void test_stats_are_exact(void) {
    rc_memstats s0 = stats();
    CHECK_EQ(s0.version, RC_MEM_STATS_VERSION);
    CHECK_EQ(s0.struct_size, sizeof(rc_memstats));
    CHECK_EQ(s0.bytes_in_use, 0);
    void *p[3000];
    for (int i = 0; i < 3000; i++)
        p[i] = rc_mem_malloc(24);            /* class 32 */
    void *big = rc_mem_malloc(1000);
    rc_memstats s = stats();
    CHECK_EQ(s.bytes_in_use, 3000 * 32 + 1000);
    CHECK_EQ(s.blocks_in_use, 3001);
    CHECK_EQ(s.small_blocks_in_use, 3000);
    CHECK_EQ(s.large_bytes_in_use, 1000);
    CHECK_EQ(s.classes[1].blocks_in_use, 3000);
    CHECK_EQ(s.classes[1].block_size_bytes, 32);
    CHECK_EQ(s.classes[1].pools, 6);          /* 512 blocks per pool */
    CHECK_EQ(s.classes[1].blocks_available, 6 * 512 - 1 - 3000);   /* 1 guard block */
    CHECK_EQ(s.bytes_lost_arena_guard, 32);
    CHECK_EQ(s.bytes_lost_pool_headers, 0);   /* headers live in the arena descriptor */
    CHECK_EQ(s.bytes_lost_quantization, 0);
    /* Everything in the arenas adds up to the mapped size. */
    uint64_t sum = 0;
    for (int c = 0; c < RC_MEM_NUM_CLASSES; c++)
        sum += (s.classes[c].blocks_in_use + s.classes[c].blocks_available) *
               s.classes[c].block_size_bytes;
    sum += (s.pools_empty_resident + s.pools_empty_released) * RC_MEM_POOL_SIZE +
           s.bytes_lost_pool_headers + s.bytes_lost_quantization + s.bytes_lost_arena_guard;
    CHECK_EQ(sum, s.bytes_mapped);
    for (int i = 0; i < 3000; i++)
        rc_mem_free(p[i]);
    rc_mem_free(big);
    s = stats();
    CHECK_EQ(s.bytes_in_use, 0);
    CHECK_EQ(s.bytes_in_use_peak, 3000 * 32 + 1000);
    CHECK_EQ(s.allocations_total - s0.allocations_total, 3001);
    CHECK_EQ(s.frees_total - s0.frees_total, 3001);
}

static void test_print_stats_layout(void) {
    void *p = rc_mem_malloc(100);
    char buf[8192] = {0};
    FILE *f = fmemopen(buf, sizeof buf - 1, "w");
    CHECK_EQ(rc_mem_print_stats(NULL, f), 0);
    fclose(f);
    CHECK_STR_CONTAINS(buf, "Small block threshold = 512, in 32 size classes.");
    CHECK_STR_CONTAINS(buf, "class   size   num pools   blocks in use  avail blocks");
    CHECK_STR_CONTAINS(buf, "    6    112           1               1           144");
    CHECK_STR_CONTAINS(buf, "# arenas allocated current         =                     1");
    CHECK_STR_CONTAINS(buf, "1 arenas * 1048576 bytes/arena     =             1,048,576");
    CHECK_STR_CONTAINS(buf, "Total                              =             1,048,576");
    rc_mem_free(p);
}

/* Fill whole pools of the 16-byte class: 1024 blocks each. */
enum { PER16 = RC_MEM_POOL_SIZE / 16 };

static void test_arenas_returned_immediately(void) {
    /* purge delay 0: CPython's rule, empty arenas go back at once except
     * the last usable one. */
    rc_memstats s0 = stats();
    enum { N = 4 * 64 * PER16 };             /* four arenas of 16-byte blocks */
    void **p = rc_mem_malloc(N * sizeof *p);
    for (int i = 0; i < N; i++)
        p[i] = rc_mem_malloc(16);
    rc_memstats s = stats();
    CHECK(s.arenas_current >= 4);
    for (int i = 0; i < N; i++)
        rc_mem_free(p[i]);
    rc_mem_free(p);
    s = stats();
    CHECK(s.arenas_current <= 1);
    CHECK(s.arenas_released_total - s0.arenas_released_total >= 3);
    CHECK_EQ(s.pools_in_use, 0);
}

static void test_empty_pools_go_back_to_the_os(void) {
    /* 64 MiB of 32-byte blocks; free 9 of every 10 runs of 8192 blocks
     * (16 pools' worth), keep the rest: whole pools empty inside arenas
     * that stay in use.  With purge delay 0 they are madvised at once and
     * the process's real RSS follows. */
    enum { N = 2 * 1024 * 1024, RUN = 8192 };
    void **p = rc_mem_malloc(N * sizeof *p);
    memset(p, 0, N * sizeof *p);            /* the pointer array is baseline */
    long rss0 = rss_kib();
    for (int i = 0; i < N; i++) {
        p[i] = rc_mem_malloc(32);
        memset(p[i], 1, 32);
    }
    long rss_peak = rss_kib();
    rc_memstats before = stats();
    for (int i = 0; i < N; i++)
        if ((i / RUN) % 10 != 0) {
            rc_mem_free(p[i]);
            p[i] = NULL;
        }
    long rss_after = rss_kib();
    rc_memstats after = stats();
    int rss_ok = !check_rss_distorted();
    printf("     RSS %ld KiB -> peak %ld KiB -> %ld KiB after freeing 90%% in runs\n",
           rss0, rss_peak, rss_after);
    CHECK(after.pools_released_total > before.pools_released_total);
    CHECK(after.bytes_resident_estimate - after.large_bytes_in_use <
          (before.bytes_resident_estimate - before.large_bytes_in_use) / 4);
    CHECK(!rss_ok || rss_after - rss0 < (rss_peak - rss0) / 4);
    for (int i = 0; i < N; i++)
        rc_mem_free(p[i]);
    rc_mem_free(p);
    CHECK(!rss_ok || rss_kib() - rss0 < 4096);
}

/* A long delay: memory freed and reused is never given back in between;
 * an explicit purge releases everything empty, the spare arena included. */
static void test_purge_delay_keeps_memory(void) {
    enum { N = 3 * 64 * PER16 };
    void **p = rc_mem_malloc(N * sizeof *p);
    for (int i = 0; i < N; i++)
        p[i] = rc_mem_malloc(16);
    rc_memstats s0 = stats();
    for (int i = 0; i < N; i++)
        rc_mem_free(p[i]);
    rc_memstats s1 = stats();
    CHECK(s1.arenas_current >= 3);           /* pending, not released */
    CHECK_EQ(s1.pools_released_total, s0.pools_released_total);
    CHECK_EQ(s1.bytes_resident_estimate, s0.bytes_resident_estimate);
    for (int i = 0; i < N; i++)              /* reused: no new arena, no faults */
        p[i] = rc_mem_malloc(16);
    rc_memstats s2 = stats();
    CHECK_EQ(s2.arenas_allocated_total, s0.arenas_allocated_total);
    CHECK_EQ(s2.pools_released_total, s0.pools_released_total);
    for (int i = 0; i < N; i++)
        rc_mem_free(p[i]);
    rc_mem_free(p);
    long long freed = rc_mem_purge(NULL);
    CHECK(freed >= 3 * RC_MEM_ARENA_SIZE);
    rc_memstats s4 = stats();
    CHECK_EQ(s4.arenas_current, 0);
    CHECK_EQ(s4.pools_empty_resident, 0);
}

static void sleep_ms(int ms) {
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

/* A short delay: memory left empty for two delays is released at the next
 * event that empties a pool, one spare arena excepted. */
static void test_purge_delay_expires(void) {
    enum { N = 3 * 64 * PER16 };
    void **p = rc_mem_malloc(N * sizeof *p);
    for (int i = 0; i < N; i++)
        p[i] = rc_mem_malloc(16);
    rc_memstats s0 = stats();
    for (int i = 0; i < N; i++)
        rc_mem_free(p[i]);
    rc_mem_free(p);
    for (int k = 0; k < 2; k++) {
        sleep_ms(50);
        void *q[2 * PER16];
        for (int i = 0; i < 2 * PER16; i++)
            q[i] = rc_mem_malloc(16);
        for (int i = 0; i < 2 * PER16; i++)
            rc_mem_free(q[i]);
    }
    rc_memstats s1 = stats();
    CHECK(s1.arenas_current <= 2);
    CHECK(s1.arenas_released_total > s0.arenas_released_total);
}

static void test_most_full_arena_first(void) {
    enum { PER_ARENA = 64 * PER16 - 2 };     /* 16-byte blocks; 2 sit in the arena guard */
    void **p = rc_mem_malloc(2 * PER_ARENA * sizeof *p);
    for (int i = 0; i < 2 * PER_ARENA; i++)
        p[i] = rc_mem_malloc(16);
    uintptr_t A = ARENA(p[0]), B = ARENA(p[PER_ARENA]);
    CHECK(A != B);
    CHECK(ARENA(p[PER_ARENA - 1]) == A);
    CHECK(ARENA(p[2 * PER_ARENA - 1]) == B);
    /* empty 40 pools of A and 10 pools of B: B is now the fuller arena */
    for (int i = 0; i < 40 * PER16 - 2; i++) {
        rc_mem_free(p[i]);
        p[i] = NULL;
    }
    for (int i = PER_ARENA; i < PER_ARENA + 10 * PER16 - 2; i++) {
        rc_mem_free(p[i]);
        p[i] = NULL;
    }
    /* 50 pools emptied.  Both arenas were exactly full, so the first pool
     * to empty was then the only one on the 16-byte class's list: it is
     * kept there, empty (rci_pool_became_empty), and 49 went back */
    rc_memstats s = stats();
    CHECK_EQ(s.pools_empty_resident, 49);
    void *q = rc_mem_malloc(200);            /* a class with no pool yet */
    CHECK(ARENA(q) == B);
    rc_mem_free(q);
    for (int i = 0; i < 2 * PER_ARENA; i++)
        rc_mem_free(p[i]);
    rc_mem_free(p);
}

/* The same mixed workload must behave identically in every mode. */
static void mixed_workload(void) {
    unsigned x = 99;
    enum { SLOTS = 2000 };
    unsigned char *slot[SLOTS] = {0};
    size_t len[SLOTS] = {0};
    for (int i = 0; i < 50000; i++) {
        x = x * 1664525u + 1013904223u;
        int k = (int)((x >> 10) % SLOTS);
        if (slot[k]) {
            int intact = 1;
            for (size_t j = 0; j < len[k]; j++)
                intact &= slot[k][j] == (unsigned char)(k + len[k]);
            CHECK(intact);
            if (x & 1) {
                rc_mem_free(slot[k]);
                slot[k] = NULL;
                continue;
            }
            size_t n = (x >> 3) % 1500;
            unsigned char *r = rc_mem_realloc(slot[k], n);
            CHECK(r != NULL);
            size_t keep = n < len[k] ? n : len[k];
            int kept = 1;
            for (size_t j = 0; j < keep; j++)
                kept &= r[j] == (unsigned char)(k + len[k]);
            CHECK(kept);
            slot[k] = r;
            len[k] = n;
            memset(r, (unsigned char)(k + n), n);
        } else {
            len[k] = (x >> 3) % 1500;
            slot[k] = rc_mem_malloc(len[k]);
            memset(slot[k], (unsigned char)(k + len[k]), len[k]);
        }
    }
    for (int k = 0; k < SLOTS; k++)
        rc_mem_free(slot[k]);
}

static void test_debug_mode_fills(void) {
    unsigned char *p = rc_mem_malloc(40);
    int cd = 1;
    for (int i = 0; i < 40; i++)
        cd &= p[i] == 0xCD;
    CHECK(cd);
    CHECK_EQ(rc_mem_usable_size(p), 40);
    rc_mem_free(p);
    unsigned char *z = rc_mem_calloc(5, 8);
    int zero = 1;
    for (int i = 0; i < 40; i++)
        zero &= z[i] == 0;
    CHECK(zero);
    rc_mem_free(z);
    mixed_workload();
}

static void test_destroy_returns_leaked_blocks(void) {
    long long before = rc_testing_os_bytes_live();
    rc_heap *prev = rc_heap_current();
    rc_heap *h = rc_heap_new(NULL);
    rc_heap_enter(h);
    for (int i = 0; i < 10000; i++)
        (void)rc_mem_malloc((size_t)(i % 3000) + 1);     /* leaked on purpose */
    rc_heap_enter(prev);
    rc_heap_destroy(h);
    if (before >= 0)
        CHECK_EQ(rc_testing_os_bytes_live(), before);
}

int main(void) {
    rc_config immediate = cfg_delay(0), delayed = cfg_delay(10), forever = cfg_delay(3600000);
    rc_config m_malloc, m_debug;
    rc_config_init(&m_malloc);
    m_malloc.malloc_mode = RC_MALLOC_MALLOC;
    rc_config_init(&m_debug);
    m_debug.malloc_mode = RC_MALLOC_DEBUG;
    RUN_CFG(test_size_classes, &delayed);
    RUN_CFG(test_carving_and_lifo_reuse, &delayed);
    RUN_CFG(test_realloc_rules, &delayed);
    RUN_CFG(test_calloc, &delayed);
    RUN_CFG(test_stats_are_exact, &delayed);
    RUN_CFG(test_print_stats_layout, &delayed);
    RUN_CFG(test_arenas_returned_immediately, &immediate);
    RUN_CFG(test_empty_pools_go_back_to_the_os, &immediate);
    RUN_CFG(test_purge_delay_keeps_memory, &forever);
    RUN_CFG(test_purge_delay_expires, &delayed);
    RUN_CFG(test_most_full_arena_first, &forever);   /* no purge may interfere */
    run_test_cfg("mixed_workload[pymalloc]", mixed_workload, &delayed);
    run_test_cfg("mixed_workload[malloc]", mixed_workload, &m_malloc);
    run_test_cfg("mixed_workload[debug]", test_debug_mode_fills, &m_debug);
    RUN(test_destroy_returns_leaked_blocks);
    return check_summary("test_mem");
}
