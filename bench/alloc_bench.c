/*
 * bench/alloc_bench.c - allocator benchmarks of issue 2.
 *
 * One source, compiled once per implementation; exactly one of these macros
 * selects which allocator the workloads call:
 *
 *   -DIMPL_RCGC      rc_mem_malloc / rc_mem_free      (link librcgc.a -lpthread)
 *   -DIMPL_GLIBC     malloc / free of the C library
 *   -DIMPL_MIMALLOC  mi_malloc / mi_free               (link -lmimalloc)
 *   -DIMPL_JEMALLOC  malloc / free                     (link -ljemalloc: Debian's
 *                    libjemalloc is built without a symbol prefix, so linking it
 *                    replaces malloc/free for the whole process)
 *
 * Usage:  alloc_bench WORKLOAD...      (no argument = every workload)
 *
 * Workloads:
 *   burst          1M blocks of 32 bytes, freed in reverse order, 10 rounds
 *   churn          1M live blocks of 16..512 bytes, 20M random replacements
 *   bintree        binary-trees allocation pattern, depth 18
 *   rss            2M blocks of 32 bytes; RSS at start, peak, after freeing a
 *                  uniformly random 90%, after freeing all, after trim
 *   rss_trim90     as rss, but the trim is called right after the 90% free
 *                  (shows whether the allocator CAN give the pages back)
 *   rss_clustered  as rss, but the freed 90% are whole runs of 4096
 *                  consecutively allocated blocks (9 runs of every 10)
 *   rss_clustered_trim90   rss_clustered with the trim after the 90% free
 *
 * The RSS workloads should each run in a fresh process (run.sh does that).
 *
 * Output: one machine-readable line per figure,
 *     RESULT <bench> <impl> <metric> <value>
 * plus "INFO ..." lines for humans (checksums, versions, library stats).
 * Nothing is printed while a workload runs, so stdio buffers are not
 * allocated between RSS samples; the harness's own tables come from mmap, never
 * from the allocator under test.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

/* ------------------------------------------------------------------------
 * The implementation layer: BENCH_MALLOC / BENCH_FREE, init, trim, fini.
 * ---------------------------------------------------------------------- */
#if defined(IMPL_RCGC) || defined(IMPL_RCGC0)
/* rcgc: the default configuration (10 ms purge delay); rcgc0: the same
 * library configured to give empty pools and arenas back at once. */
#  include "rcgc.h"
#  ifdef IMPL_RCGC0
#    define IMPL_NAME "rcgc0"
#    define PURGE_DELAY_MS 0
#  else
#    define IMPL_NAME "rcgc"
#    define PURGE_DELAY_MS (-1)
#  endif
#  define BENCH_MALLOC(n) rc_mem_malloc(n)
#  define BENCH_FREE(p)   rc_mem_free(p)
static int impl_init(void)
{
    rc_config cfg;
    rc_config_init(&cfg);
    cfg.purge_delay_ms = PURGE_DELAY_MS;
    return rc_init(&cfg);
}
static void impl_fini(void) { rc_fini(); }
static const char *impl_trim_name = "rc_mem_purge(NULL)";
static long long impl_trim(void) { return rc_mem_purge(NULL); }
static void impl_info(void)
{
    printf("INFO impl %s version %s\n", IMPL_NAME, rc_version_string());
}
#elif defined(IMPL_GLIBC)
#  include <malloc.h>
#  include <gnu/libc-version.h>
#  define IMPL_NAME "glibc"
#  define BENCH_MALLOC(n) malloc(n)
#  define BENCH_FREE(p)   free(p)
static int impl_init(void) { return 0; }
static void impl_fini(void) { }
static const char *impl_trim_name = "malloc_trim(0)";
static long long impl_trim(void) { return malloc_trim(0); }
static void impl_info(void)
{
    printf("INFO impl glibc version %s\n", gnu_get_libc_version());
}
#elif defined(IMPL_MIMALLOC)
#  include <mimalloc.h>
#  define IMPL_NAME "mimalloc"
#  define BENCH_MALLOC(n) mi_malloc(n)
#  define BENCH_FREE(p)   mi_free(p)
static int impl_init(void) { return 0; }
static void impl_fini(void) { }
static const char *impl_trim_name = "mi_collect(true)";
static long long impl_trim(void) { mi_collect(true); return 0; }
static void impl_info(void)
{
    printf("INFO impl mimalloc version %d\n", mi_version());
}
#elif defined(IMPL_JEMALLOC)
#  include <jemalloc/jemalloc.h>
#  define IMPL_NAME "jemalloc"
#  define BENCH_MALLOC(n) malloc(n)
#  define BENCH_FREE(p)   free(p)
#  define JE_STR_(x) #x
#  define JE_STR(x) JE_STR_(x)
static int impl_init(void) { return 0; }
static void impl_fini(void) { }
static const char *impl_trim_name =
    "mallctl(thread.tcache.flush) + mallctl(arena.<MALLCTL_ARENAS_ALL>.purge)";
static long long impl_trim(void)
{
    /* Blocks parked in the thread cache are not free in their arena; flush
     * them first, then purge the dirty pages of every arena. */
    int r1 = mallctl("thread.tcache.flush", NULL, NULL, NULL, 0);
    int r2 = mallctl("arena." JE_STR(MALLCTL_ARENAS_ALL) ".purge",
                     NULL, NULL, NULL, 0);
    return (r1 == 0 && r2 == 0) ? 0 : -1;
}
static void impl_info(void)
{
    const char *v = NULL;
    size_t len = sizeof v;
    if (mallctl("version", &v, &len, NULL, 0) == 0 && v)
        printf("INFO impl jemalloc version %s\n", v);
    else
        printf("INFO impl jemalloc version unknown (mallctl failed)\n");
}
#else
#  error "define one of IMPL_RCGC, IMPL_RCGC0, IMPL_GLIBC, IMPL_MIMALLOC, IMPL_JEMALLOC"
#endif

/* ------------------------------------------------------------------------
 * Helpers: clock, PRNG, RSS, harness memory, results.
 * ---------------------------------------------------------------------- */
static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* xorshift64* with a fixed seed: every implementation sees the same sequence. */
typedef struct { uint64_t s; } prng;
static inline uint64_t prng_next(prng *r)
{
    uint64_t x = r->s;
    x ^= x >> 12;
    x ^= x << 25;
    x ^= x >> 27;
    r->s = x;
    return x * 0x2545F4914F6CDD1DULL;
}
/* Uniform in [0, n) for n < 2^32. */
static inline uint32_t prng_below(prng *r, uint32_t n)
{
    return (uint32_t)(((prng_next(r) >> 32) * (uint64_t)n) >> 32);
}
/* Uniform in [0, 1). */
static inline double prng_unit(prng *r)
{
    return (double)(prng_next(r) >> 11) * (1.0 / 9007199254740992.0);
}

/* Resident set size in bytes, from /proc/self/statm with raw syscalls (no
 * stdio, hence no malloc). */
static long long rss_bytes(void)
{
    char buf[256];
    int fd = open("/proc/self/statm", O_RDONLY);
    if (fd < 0)
        return -1;
    ssize_t n = read(fd, buf, sizeof buf - 1);
    close(fd);
    if (n <= 0)
        return -1;
    buf[n] = '\0';
    char *p = buf;
    strtoll(p, &p, 10);                 /* size */
    long long resident = strtoll(p, &p, 10);
    return resident * (long long)sysconf(_SC_PAGESIZE);
}

/* Harness tables come straight from mmap so that they neither go through nor
 * disturb the allocator being measured. */
static void *harness_alloc(size_t bytes)
{
    void *p = mmap(NULL, bytes, PROT_READ | PROT_WRITE,
                   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED) {
        fprintf(stderr, "alloc_bench: mmap of %zu bytes failed\n", bytes);
        exit(2);
    }
    memset(p, 0, bytes);   /* fault it in before anything is timed */
    return p;
}
static void harness_free(void *p, size_t bytes) { munmap(p, bytes); }

static void oom(const char *where)
{
    fprintf(stderr, "alloc_bench[%s]: allocation failed in %s\n",
            IMPL_NAME, where);
    exit(2);
}

/* Results are buffered and printed after a workload has finished. */
#define MAX_RESULTS 64
static struct { const char *bench, *metric; double value; int is_int; }
    results[MAX_RESULTS];
static int nresults;

static void result(const char *bench, const char *metric, double v, int is_int)
{
    if (nresults < MAX_RESULTS) {
        results[nresults].bench = bench;
        results[nresults].metric = metric;
        results[nresults].value = v;
        results[nresults].is_int = is_int;
        nresults++;
    }
}
static void flush_results(void)
{
    for (int i = 0; i < nresults; i++) {
        if (results[i].is_int)
            printf("RESULT %s %s %s %.0f\n", results[i].bench, IMPL_NAME,
                   results[i].metric, results[i].value);
        else
            printf("RESULT %s %s %s %.4f\n", results[i].bench, IMPL_NAME,
                   results[i].metric, results[i].value);
    }
    nresults = 0;
    fflush(stdout);
}

/* ------------------------------------------------------------------------
 * burst: allocate 1M blocks of 32 bytes, free them in reverse order, 10 rounds.
 * ---------------------------------------------------------------------- */
#define BURST_N      (1u << 20)
#define BURST_ROUNDS 10

static void bench_burst(void)
{
    void **tbl = harness_alloc(BURST_N * sizeof *tbl);
    double first = 0, total = 0;
    uint64_t check = 0;

    for (int round = 0; round < BURST_ROUNDS; round++) {
        double t0 = now_s();
        for (uint32_t i = 0; i < BURST_N; i++) {
            char *p = BENCH_MALLOC(32);
            if (!p)
                oom("burst");
            p[0] = (char)i;            /* the block is used */
            tbl[i] = p;
        }
        for (uint32_t i = BURST_N; i-- > 0;) {
            check += (unsigned char)*(char *)tbl[i];
            BENCH_FREE(tbl[i]);
        }
        double dt = now_s() - t0;
        if (round == 0)
            first = dt;
        total += dt;
    }
    harness_free(tbl, BURST_N * sizeof *tbl);

    double pairs = (double)BURST_N * BURST_ROUNDS;
    result("burst", "seconds", total, 0);
    result("burst", "ns_per_op", total * 1e9 / pairs, 0);
    result("burst", "ns_per_op_first_round", first * 1e9 / BURST_N, 0);
    result("burst", "ns_per_op_later_rounds",
           (total - first) * 1e9 / (pairs - BURST_N), 0);
    printf("INFO burst %s checksum %llu\n", IMPL_NAME, (unsigned long long)check);
}

/* ------------------------------------------------------------------------
 * churn: 1M live blocks of random size 16..512; replace a random one 20M times.
 * ---------------------------------------------------------------------- */
#define CHURN_LIVE (1u << 20)
#define CHURN_OPS  20000000u

static inline size_t churn_size(prng *r)
{
    return 16 + (size_t)prng_below(r, 512 - 16 + 1);
}

static void bench_churn(void)
{
    uint64_t **tbl = harness_alloc(CHURN_LIVE * sizeof *tbl);
    prng r = { 0x9E3779B97F4A7C15ULL };
    uint64_t check = 0;

    for (uint32_t i = 0; i < CHURN_LIVE; i++) {
        uint64_t *p = BENCH_MALLOC(churn_size(&r));
        if (!p)
            oom("churn setup");
        p[0] = i;
        tbl[i] = p;
    }

    double t0 = now_s();
    for (uint32_t k = 0; k < CHURN_OPS; k++) {
        uint32_t i = prng_below(&r, CHURN_LIVE);
        check += tbl[i][0];
        BENCH_FREE(tbl[i]);
        uint64_t *p = BENCH_MALLOC(churn_size(&r));
        if (!p)
            oom("churn");
        p[0] = k;
        tbl[i] = p;
    }
    double dt = now_s() - t0;

    for (uint32_t i = 0; i < CHURN_LIVE; i++)
        BENCH_FREE(tbl[i]);
    harness_free(tbl, CHURN_LIVE * sizeof *tbl);

    result("churn", "seconds", dt, 0);
    result("churn", "ns_per_op", dt * 1e9 / CHURN_OPS, 0);
    printf("INFO churn %s checksum %llu\n", IMPL_NAME, (unsigned long long)check);
}

/* ------------------------------------------------------------------------
 * bintree: the Benchmarks Game binary-trees allocation pattern, depth 18.
 * ---------------------------------------------------------------------- */
typedef struct node { struct node *left, *right; } node;

static uint64_t bt_nodes;   /* nodes allocated */

static node *bt_make(int depth)
{
    node *n = BENCH_MALLOC(sizeof *n);
    if (!n)
        oom("bintree");
    bt_nodes++;
    if (depth > 0) {
        n->left = bt_make(depth - 1);
        n->right = bt_make(depth - 1);
    } else {
        n->left = n->right = NULL;
    }
    return n;
}
static long bt_check(const node *n)
{
    return n->left ? 1 + bt_check(n->left) + bt_check(n->right) : 1;
}
static void bt_free(node *n)
{
    if (n->left) {
        bt_free(n->left);
        bt_free(n->right);
    }
    BENCH_FREE(n);
}

#define BT_MIN_DEPTH 4
#define BT_MAX_DEPTH 18

static void bench_bintree(void)
{
    long check = 0;
    bt_nodes = 0;
    double t0 = now_s();

    node *stretch = bt_make(BT_MAX_DEPTH + 1);
    check += bt_check(stretch);
    bt_free(stretch);

    node *long_lived = bt_make(BT_MAX_DEPTH);

    for (int d = BT_MIN_DEPTH; d <= BT_MAX_DEPTH; d += 2) {
        long iterations = 1L << (BT_MAX_DEPTH - d + BT_MIN_DEPTH);
        for (long i = 0; i < iterations; i++) {
            node *t = bt_make(d);
            check += bt_check(t);
            bt_free(t);
        }
    }
    check += bt_check(long_lived);
    bt_free(long_lived);

    double dt = now_s() - t0;
    result("bintree", "seconds", dt, 0);
    result("bintree", "nodes", (double)bt_nodes, 1);
    result("bintree", "ns_per_op", dt * 1e9 / (double)bt_nodes, 0);
    printf("INFO bintree %s checksum %ld\n", IMPL_NAME, check);
}

/* ------------------------------------------------------------------------
 * rss: resident memory through allocate / free 90% / free all / trim.
 * Blocks are chained through their first word, so the harness needs no table
 * at all: the only memory that changes is the allocator's.
 * ---------------------------------------------------------------------- */
#define RSS_N    (2u << 20)           /* 2M blocks */
#define RSS_RUN  4096u                /* clustered: run length in blocks */

typedef struct blk { struct blk *next; char payload[24]; } blk;  /* 32 bytes */

enum { RSS_RANDOM, RSS_CLUSTERED };

#if defined(IMPL_RCGC) || defined(IMPL_RCGC0)
static void rcgc_stats_info(const char *bench, const char *stage)
{
    rc_memstats st;
    if (rc_mem_stats(NULL, &st) == 0)
        printf("INFO %s rcgc stats %-16s in_use=%llu mapped=%llu "
               "resident_estimate=%llu arenas=%llu pools_in_use=%llu "
               "pools_empty_resident=%llu pools_empty_released=%llu\n",
               bench, stage,
               (unsigned long long)st.bytes_in_use,
               (unsigned long long)st.bytes_mapped,
               (unsigned long long)st.bytes_resident_estimate,
               (unsigned long long)st.arenas_current,
               (unsigned long long)st.pools_in_use,
               (unsigned long long)st.pools_empty_resident,
               (unsigned long long)st.pools_empty_released);
}
#endif

static void bench_rss(int pattern, int trim_at_90)
{
    const char *bench = pattern == RSS_RANDOM ? "rss" : "rss_clustered";
    long long start, peak, after90, after90_trim = -1, after_all, after_trim;
    long long trim_ret90 = 0, trim_ret;
    uint32_t freed90 = 0;

    start = rss_bytes();

    /* Allocate 2M blocks, touch every byte, chain them in allocation order. */
    blk *head = NULL, *tail = NULL;
    for (uint32_t i = 0; i < RSS_N; i++) {
        blk *b = BENCH_MALLOC(sizeof *b);
        if (!b)
            oom(bench);
        memset(b, (int)(i & 0xff), sizeof *b);
        b->next = NULL;
        if (tail)
            tail->next = b;
        else
            head = b;
        tail = b;
    }
    peak = rss_bytes();
#if defined(IMPL_RCGC) || defined(IMPL_RCGC0)
    rc_memstats st_peak;
    rc_mem_stats(NULL, &st_peak);
#endif

    /* Free 90%: exactly 9/10 of the blocks, either a uniformly random subset
     * (selection sampling, fixed seed) or 9 of every 10 runs of RSS_RUN
     * consecutively allocated blocks.  Survivors stay chained. */
    {
        prng r = { 0xD1B54A32D192ED03ULL };
        const uint32_t want = RSS_N / 10 * 9;
        blk *prev = NULL, *b = head;
        uint32_t t = 0;
        head = NULL;
        while (b) {
            blk *next = b->next;
            int drop;
            if (pattern == RSS_RANDOM)
                drop = (double)(RSS_N - t) * prng_unit(&r)
                       < (double)(want - freed90);
            else
                drop = (t / RSS_RUN) % 10 != 9;
            if (drop) {
                BENCH_FREE(b);
                freed90++;
            } else {
                b->next = NULL;
                if (prev)
                    prev->next = b;
                else
                    head = b;
                prev = b;
            }
            b = next;
            t++;
        }
    }
    after90 = rss_bytes();
    if (trim_at_90) {
        trim_ret90 = impl_trim();
        after90_trim = rss_bytes();
    }

    /* Free the survivors. */
    for (blk *b = head, *next; b; b = next) {
        next = b->next;
        BENCH_FREE(b);
    }
    after_all = rss_bytes();
    trim_ret = impl_trim();
    after_trim = rss_bytes();

    if (!trim_at_90) {
        result(bench, "start_bytes", (double)start, 1);
        result(bench, "peak_bytes", (double)peak, 1);
        result(bench, "after_free90_bytes", (double)after90, 1);
        result(bench, "after_free_all_bytes", (double)after_all, 1);
        result(bench, "after_trim_bytes", (double)after_trim, 1);
    } else {
        result(bench, "t90_start_bytes", (double)start, 1);
        result(bench, "t90_peak_bytes", (double)peak, 1);
        result(bench, "t90_after_free90_bytes", (double)after90, 1);
        result(bench, "after_free90_trim_bytes", (double)after90_trim, 1);
        result(bench, "t90_after_free_all_bytes", (double)after_all, 1);
        result(bench, "t90_after_trim_bytes", (double)after_trim, 1);
    }
    printf("INFO %s%s %s freed90=%u trim=%s returned %lld (at 90%%: %lld)\n",
           bench, trim_at_90 ? "_trim90" : "", IMPL_NAME, freed90,
           impl_trim_name, trim_ret, trim_ret90);
#if defined(IMPL_RCGC) || defined(IMPL_RCGC0)
    rcgc_stats_info(bench, "end");
    printf("INFO %s rcgc stats at peak: in_use=%llu mapped=%llu "
           "resident_estimate=%llu\n", bench,
           (unsigned long long)st_peak.bytes_in_use,
           (unsigned long long)st_peak.bytes_mapped,
           (unsigned long long)st_peak.bytes_resident_estimate);
#endif
}

/* ------------------------------------------------------------------------
 * main
 * ---------------------------------------------------------------------- */
static const char *const all_workloads[] = {
    "burst", "churn", "bintree", "rss", "rss_trim90",
    "rss_clustered", "rss_clustered_trim90",
};

static int run_one(const char *w)
{
    if (strcmp(w, "burst") == 0)
        bench_burst();
    else if (strcmp(w, "churn") == 0)
        bench_churn();
    else if (strcmp(w, "bintree") == 0)
        bench_bintree();
    else if (strcmp(w, "rss") == 0)
        bench_rss(RSS_RANDOM, 0);
    else if (strcmp(w, "rss_trim90") == 0)
        bench_rss(RSS_RANDOM, 1);
    else if (strcmp(w, "rss_clustered") == 0)
        bench_rss(RSS_CLUSTERED, 0);
    else if (strcmp(w, "rss_clustered_trim90") == 0)
        bench_rss(RSS_CLUSTERED, 1);
    else {
        fprintf(stderr, "alloc_bench: unknown workload '%s'\n", w);
        return -1;
    }
    return 0;
}

int main(int argc, char **argv)
{
    int nw = argc > 1 ? argc - 1 : (int)(sizeof all_workloads / sizeof *all_workloads);
    const char *const *ws = argc > 1 ? (const char *const *)argv + 1 : all_workloads;

    impl_info();
    fflush(stdout);   /* stdout's buffer exists before anything is measured */
    if (impl_init() != 0) {
        fprintf(stderr, "alloc_bench[%s]: initialisation failed\n", IMPL_NAME);
        return 2;
    }
    /* Warm up: the allocator's lazy initialisation happens here, not inside
     * the first timed loop or between RSS samples. */
    void *warm = BENCH_MALLOC(32);
    if (!warm)
        oom("warm-up");
    BENCH_FREE(warm);

    for (int i = 0; i < nw; i++) {
        if (run_one(ws[i]) != 0) {
            impl_fini();
            return 2;
        }
        flush_results();
    }
    impl_fini();
    return 0;
}
