/*
 * bench/weak_bench.c - the weak-reference benchmarks of issue 5, rcgc side.
 * bench/weak_cpython.py runs the same programs on CPython; bench/run.sh
 * (program "weak") runs both in the same run and prints the tables.
 *
 * Usage:  weak_bench WORKLOAD...      (no argument = every workload)
 *
 * Workloads (each best run in a fresh process; run.sh does that):
 *   refs   1M live instances of a dict-backed class (made once, untimed);
 *          10 rounds over all of them of "create a weak reference to the
 *          instance, drop it" (rc_weakref_new without callback, rc_decref):
 *          10M create+drop pairs.  Prints ns per pair (median round, and
 *          min/max), the memory of one weak reference as rc_sizeof reports
 *          it and as the allocator sees it (bytes in use per reference with
 *          1M of them alive at once).
 *
 *   cache  the tutorials' cache: a weak-value dictionary from int keys
 *          0..999,999 to instances of a slots class with weak references
 *          and no other slot (Python: `__slots__ = ('__weakref__',)`),
 *          whose users are modelled by a holder array of 500,000 slots.
 *          fill:  for every key a new value is stored and put in
 *                 holders[key % 500,000], dropping the value held there
 *                 (in the second half that kills a value, and its entry
 *                 goes by callback): ns per key (cache_fill_ns_per_op);
 *          churn: 5,000,000 operations, each `v = cache.get(k)`; on a
 *                 miss (no entry, or its value is dead) a new value is
 *                 stored under k; then holders[j] = v, dropping what was
 *                 there: ns per operation (cache_churn_ns_per_op).  k and
 *                 j come from a precomputed 64-bit LCG, the same sequence
 *                 as weak_cpython.py's, so cache_misses and
 *                 cache_final_len must equal CPython's.
 *
 * Output: "RESULT weak rcgc <metric> <value>" lines (metrics prefixed by
 * the workload's name), and "INFO ..." lines for humans.
 *
 * Adding a workload: write `static void bench_<name>(void)` printing its
 * figures with result("<name>_...", value), add {"<name>", bench_<name>}
 * to workloads[] at the bottom, the same function to WORKLOADS in
 * weak_cpython.py, and (for a table) weak_<name>_report in bench/run.sh.
 */
#define _POSIX_C_SOURCE 200809L
#define BENCH_PROGRAM "weak"
#include "bench_common.h"
#include "rcgc/weakdict.h"

static uint64_t bytes_in_use(void) {
    rc_memstats s;
    CHECK(rc_mem_stats(NULL, &s) == 0);
    return s.bytes_in_use;
}

/* ------------------------------------------------------------------------
 * refs: create and drop 10M weak references to live objects
 * ---------------------------------------------------------------------- */
#define REFS_N 1000000
#define REFS_ROUNDS 10

/* One round: a weak reference to every object, dropped at once.  Returns
 * the seconds it took. */
static double refs_round(rc_object **objs) {
    double t0 = now_s();
    for (size_t i = 0; i < REFS_N; i++) {
        rc_object *r = rc_weakref_new(objs[i], NULL, NULL);
        if (!r)
            fail("rc_weakref_new");
        rc_decref(r);
    }
    return now_s() - t0;
}

/* Memory: 1M weak references alive at once, measured by the allocator. */
static void refs_memory(rc_object **objs) {
    rc_object **refs = malloc(REFS_N * sizeof *refs);
    CHECK(refs != NULL);
    uint64_t before = bytes_in_use();
    for (size_t i = 0; i < REFS_N; i++)
        CHECK((refs[i] = rc_weakref_new(objs[i], NULL, NULL)) != NULL);
    uint64_t after = bytes_in_use();
    result("refs_bytes_sizeof", (double)rc_sizeof(refs[0]));
    result("refs_bytes_allocated", (double)(after - before) / REFS_N);
    for (size_t i = 0; i < REFS_N; i++)
        rc_decref(refs[i]);
    free(refs);
}

static void bench_refs(void) {
    rc_object *cls = rc_class_new("O", NULL);
    rc_object **objs = malloc(REFS_N * sizeof *objs);
    CHECK(cls && objs);
    for (size_t i = 0; i < REFS_N; i++)
        CHECK((objs[i] = rc_new_instance(cls)) != NULL);
    refs_round(objs);   /* warm-up: pools for weak references exist */
    double t[REFS_ROUNDS], total = 0;
    for (int r = 0; r < REFS_ROUNDS; r++)
        total += t[r] = refs_round(objs);
    printf("INFO refs: %d rounds x %d objects, %.3f s in all\n", REFS_ROUNDS, REFS_N, total);
    result("refs_seconds", total);
    result("refs_ns_per_op", total * 1e9 / ((double)REFS_ROUNDS * REFS_N));
    double med = median(t, REFS_ROUNDS);
    result("refs_ns_per_op_median_round", med * 1e9 / REFS_N);
    result("refs_ns_per_op_min", t[0] * 1e9 / REFS_N);
    result("refs_ns_per_op_max", t[REFS_ROUNDS - 1] * 1e9 / REFS_N);
    refs_memory(objs);
    for (size_t i = 0; i < REFS_N; i++)
        rc_decref(objs[i]);
    free(objs);
    rc_decref(cls);
}

/* ------------------------------------------------------------------------
 * cache: a weak-value dictionary with 1M keys under churn
 * ---------------------------------------------------------------------- */
#define CACHE_KEYS 1000000
#define CACHE_HOLDERS 500000
#define CACHE_OPS 5000000

/* The shared random sequence (weak_cpython.py computes the same one). */
static uint64_t lcg_next(uint64_t *x) {
    *x = *x * 6364136223846793005ull + 1442695040888963407ull;
    return *x >> 24;
}

/* v = cache.get(k), or a new value stored under k (a new reference). */
static rc_object *cache_get_or_fill(rc_object *cache, rc_object *cls, int64_t k, long *misses) {
    rc_object *key = rc_int_from(k);
    CHECK(key != NULL);
    rc_object *v;
    int found = rc_weakvaluedict_get_ref(cache, key, &v);   /* cache.get(k): no KeyError */
    CHECK(found >= 0);
    if (!found) {
        CHECK((v = rc_new_instance(cls)) != NULL);
        CHECK(rc_weakvaluedict_set(cache, key, v) == 0);
        ++*misses;
    }
    rc_decref(key);
    return v;
}

static void bench_cache(void) {
    rc_class_options o;
    rc_class_options_init(&o);
    o.kind = RC_CLASS_SLOTS;   /* no slots, weak references on */
    rc_object *cls = rc_class_new("V", &o), *cache = rc_weakvaluedict_new();
    rc_object **holders = calloc(CACHE_HOLDERS, sizeof *holders);
    int32_t *ks = malloc(CACHE_OPS * sizeof *ks), *js = malloc(CACHE_OPS * sizeof *js);
    CHECK(cls && cache && holders && ks && js);
    uint64_t x = 42;
    for (long i = 0; i < CACHE_OPS; i++) {
        uint64_t r = lcg_next(&x);
        ks[i] = (int32_t)(r % CACHE_KEYS);
        js[i] = (int32_t)((r >> 20) % CACHE_HOLDERS);
    }

    double t0 = now_s();
    for (long k = 0; k < CACHE_KEYS; k++) {
        rc_object *key = rc_int_from(k), *v = rc_new_instance(cls);
        CHECK(key && v && rc_weakvaluedict_set(cache, key, v) == 0);
        rc_decref(key);
        rc_setref(&holders[k % CACHE_HOLDERS], v);
    }
    double t1 = now_s();
    result("cache_fill_ns_per_op", (t1 - t0) * 1e9 / CACHE_KEYS);
    printf("INFO cache after fill: len %ld\n", (long)rc_weakvaluedict_len(cache));

    long misses = 0;
    t0 = now_s();
    for (long i = 0; i < CACHE_OPS; i++) {
        rc_object *v = cache_get_or_fill(cache, cls, ks[i], &misses);
        rc_setref(&holders[js[i]], v);
    }
    t1 = now_s();
    intptr_t len = rc_weakvaluedict_len(cache);
    result("cache_churn_ns_per_op", (t1 - t0) * 1e9 / CACHE_OPS);
    result("cache_misses", (double)misses);
    result("cache_final_len", (double)len);
    printf("INFO cache churn: %d ops, %ld misses (%.1f%%), final len %ld\n", CACHE_OPS, misses,
           100.0 * (double)misses / CACHE_OPS, (long)len);

    for (long j = 0; j < CACHE_HOLDERS; j++)
        rc_clear(&holders[j]);
    CHECK(rc_weakvaluedict_len(cache) == 0);   /* every entry went with its value */
    free(holders);
    free(ks);
    free(js);
    rc_decref(cache);
    rc_decref(cls);
}

/* ------------------------------------------------------------------------ */
static const bench_workload workloads[] = {
    {"refs", bench_refs},
    {"cache", bench_cache},
};
#define N_WORKLOADS (sizeof workloads / sizeof workloads[0])

int main(int argc, char **argv) {
    return bench_main(argc, argv, workloads, N_WORKLOADS);
}
