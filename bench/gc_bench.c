/*
 * bench/gc_bench.c - the cycle collector benchmarks of issue 4, rcgc side.
 * bench/gc_cpython.py runs the same programs on CPython; bench/run.sh
 * (program "gc") runs both in the same run and prints the tables.
 *
 * Usage:  gc_bench WORKLOAD...      (no argument = every workload)
 *
 * Workloads (each best run in a fresh process; run.sh does that):
 *   full       a linked list of 1M two-slot instances (slots next, value),
 *              all alive; rc_gc_collect(2) timed 7 times after a warm-up
 *              collection: median (and min, max) ns per object (benchmark 1)
 *   cycles     500K pairs of two-slot instances pointing at each other
 *              (1M instances), created with the collector disabled and
 *              dropped; one timed rc_gc_collect(2) finds and frees them.
 *              5 rounds: median (and min, max) ns per object (benchmark 2)
 *   gc_collect pyperformance's bm_gc_collect: 100 rings of 21 dict-backed
 *              Node instances (next, prev) in a list, the list dropped, then
 *              one timed rc_gc_collect(2); 100 loops: mean and median us
 *              per collection (benchmark 3)
 *   gc_traversal  pyperformance's bm_gc_traversal: 1000 levels of nested
 *              lists (level n is a list of n references to level n-1), all
 *              alive; 100 loops of rc_gc_collect(2) + timed rc_gc_collect(2):
 *              mean and median us per collection (benchmark 3)
 *   bintree    Benchmarks Game binary-trees, depth 18, nodes are instances
 *              of a two-slot class (left, right; leaves hold None as in
 *              Python) accessed by slot index (rc_class_slot_index once,
 *              then rc_setslot / rc_getslot_borrowed, as CPython's member
 *              descriptors access __slots__), the collector enabled at its
 *              default thresholds (RCGC_GC_THRESHOLD overrides them):
 *              total seconds (benchmark 4; bench/bintree_c.c is the plain C
 *              version for malloc/free and Boehm GC)
 *   pauses     2M long-lived two-slot instances (a linked list), then 5M
 *              iterations that each allocate a 2-cycle; one in four pairs
 *              is stored in a 32768-entry window list (replacing the pair
 *              there), the rest are dropped at once.  Every automatic
 *              collection's pause is recorded with a gc callback: median,
 *              99th percentile and maximum (benchmark 5)
 *
 * Output: "RESULT gc rcgc <metric> <value>" lines, and "INFO ..." lines for
 * humans (collector statistics, checks).
 */
#define _POSIX_C_SOURCE 200809L
#define BENCH_PROGRAM "gc"
#include "bench_common.h"

static double mean(const double *v, size_t n) {
    double s = 0;
    for (size_t i = 0; i < n; i++)
        s += v[i];
    return s / (double)n;
}

/* obj.name = value, dropping the caller's reference to value. */
static void set_steal(rc_object *obj, const char *name, rc_object *value) {
    CHECK(value);
    CHECK(rc_setattr(obj, name, value) == 0);
    rc_decref(value);
}

static rc_object *slots_class(const char *name, const char *s0, const char *s1) {
    const char *names[2] = {s0, s1};
    rc_class_options o;
    rc_class_options_init(&o);
    o.kind = RC_CLASS_SLOTS;
    o.slots = names;
    o.nslots = 2;
    o.weakrefs = 0;           /* like __slots__ without '__weakref__' */
    rc_object *cls = rc_class_new(name, &o);
    CHECK(cls);
    return cls;
}

static void print_gc_stats(const char *label) {
    rc_gc_generation_stats st[RC_GC_NUM_GENERATIONS];
    CHECK(rc_gc_get_stats(st) == 0);
    for (int g = 0; g < RC_GC_NUM_GENERATIONS; g++)
        printf("INFO %s gen%d: collections %llu collected %llu uncollectable %llu "
               "pause_total %.3f ms pause_max %.3f ms\n", label, g,
               (unsigned long long)st[g].collections, (unsigned long long)st[g].collected,
               (unsigned long long)st[g].uncollectable, (double)st[g].pause_total_ns / 1e6,
               (double)st[g].pause_max_ns / 1e6);
}

/* ------------------------------------------------------------------------
 * 1. full collection over 1M live instances in a linked list
 * ---------------------------------------------------------------------- */
#define FULL_N 1000000
#define FULL_REPS 7

static void bench_full(void) {
    rc_object *cls = slots_class("Node", "next", "value");
    rc_object *head = rc_newref(rc_None);
    for (int i = 0; i < FULL_N; i++) {
        rc_object *n = rc_new_instance(cls);
        CHECK(n);
        set_steal(n, "next", head);          /* the new node owns the old head */
        CHECK(rc_setattr(n, "value", rc_None) == 0);
        head = n;
    }
    CHECK(rc_gc_collect(2) >= 0);            /* warm-up: everything into gen 2 */
    double t[FULL_REPS];
    intptr_t found = 0;
    for (int r = 0; r < FULL_REPS; r++) {
        double t0 = now_s();
        found += rc_gc_collect(2);
        t[r] = now_s() - t0;
    }
    CHECK(found == 0);
    double med = median(t, FULL_REPS);          /* sorts t */
    rc_object *objs = rc_gc_get_objects(-1);
    CHECK(objs);
    intptr_t tracked = rc_list_size(objs);
    rc_decref(objs);
    printf("INFO full: %d instances, %ld tracked objects, collections %.3f..%.3f ms\n",
           FULL_N, (long)tracked, t[0] * 1e3, t[FULL_REPS - 1] * 1e3);
    result("full_ms", med * 1e3);
    result("full_ns_per_obj", med * 1e9 / FULL_N);
    result("full_ns_per_obj_min", t[0] * 1e9 / FULL_N);
    result("full_ns_per_obj_max", t[FULL_REPS - 1] * 1e9 / FULL_N);
    result("full_objects", FULL_N);
    rc_decref(head);
    rc_decref(cls);
}

/* ------------------------------------------------------------------------
 * 2. 1M instances in 2-cycles, dropped, then one collection
 * ---------------------------------------------------------------------- */
#define CYC_PAIRS 500000
#define CYC_ROUNDS 5

static void bench_cycles(void) {
    rc_object *cls = slots_class("Node", "next", "value");
    double t[CYC_ROUNDS];
    for (int r = 0; r < CYC_ROUNDS; r++) {
        CHECK(rc_gc_collect(2) >= 0);
        rc_gc_disable();
        for (int i = 0; i < CYC_PAIRS; i++) {
            rc_object *a = rc_new_instance(cls), *b = rc_new_instance(cls);
            CHECK(a && b);
            CHECK(rc_setattr(a, "next", b) == 0);
            CHECK(rc_setattr(b, "next", a) == 0);
            rc_decref(a);
            rc_decref(b);
        }
        double t0 = now_s();
        intptr_t found = rc_gc_collect(2);
        t[r] = now_s() - t0;
        rc_gc_enable();
        if (found != 2 * CYC_PAIRS) {
            fprintf(stderr, "gc_bench: cycles: collected %ld, expected %d\n", (long)found,
                    2 * CYC_PAIRS);
            exit(1);
        }
        printf("INFO cycles: round %d collected %ld in %.3f ms\n", r, (long)found, t[r] * 1e3);
    }
    double med = median(t, CYC_ROUNDS);
    result("cycles_ms", med * 1e3);
    result("cycles_ns_per_obj", med * 1e9 / (2 * CYC_PAIRS));
    result("cycles_ns_per_obj_min", t[0] * 1e9 / (2 * CYC_PAIRS));           /* t is sorted */
    result("cycles_ns_per_obj_max", t[CYC_ROUNDS - 1] * 1e9 / (2 * CYC_PAIRS));
    result("cycles_objects", 2 * CYC_PAIRS);
    rc_decref(cls);
}

/* ------------------------------------------------------------------------
 * 3a. pyperformance gc_collect: 100 rings of 21 Node instances
 * ---------------------------------------------------------------------- */
#define PP_CYCLES 100
#define PP_LINKS 20
#define PP_LOOPS 100

/* Node(): self.next = None; self.prev = None */
static rc_object *pp_node(rc_object *cls) {
    rc_object *n = rc_new_instance(cls);
    CHECK(n);
    CHECK(rc_setattr(n, "next", rc_None) == 0);
    CHECK(rc_setattr(n, "prev", rc_None) == 0);
    return n;
}

/* self.next = next; next.prev = self */
static void pp_link_next(rc_object *self, rc_object *next) {
    CHECK(rc_setattr(self, "next", next) == 0);
    CHECK(rc_setattr(next, "prev", self) == 0);
}

static void bench_gc_collect(void) {
    rc_class_options o;
    rc_class_options_init(&o);          /* a plain class: dict-backed, as in the benchmark */
    rc_object *cls = rc_class_new("Node", &o);
    CHECK(cls);
    double t[PP_LOOPS];
    for (int loop = 0; loop < PP_LOOPS; loop++) {
        CHECK(rc_gc_collect(2) >= 0);
        rc_object *cycles = rc_list_new(0);
        CHECK(cycles);
        for (int c = 0; c < PP_CYCLES; c++) {
            rc_object *node = pp_node(cls);
            CHECK(rc_list_append(cycles, node) == 0);
            rc_object *current = rc_newref(node);
            for (int i = 0; i < PP_LINKS; i++) {
                rc_object *next = pp_node(cls);
                pp_link_next(current, next);
                rc_decref(current);
                current = next;
            }
            pp_link_next(current, node);
            rc_decref(current);
            rc_decref(node);
        }
        rc_decref(cycles);
        double t0 = now_s();
        intptr_t found = rc_gc_collect(2);
        t[loop] = now_s() - t0;
        if (found < PP_CYCLES * (PP_LINKS + 1)) {
            fprintf(stderr, "gc_bench: gc_collect: collected %ld\n", (long)found);
            exit(1);
        }
        if (loop == 0)
            printf("INFO gc_collect: collected %ld per collection\n", (long)found);
    }
    result("gc_collect_us", mean(t, PP_LOOPS) * 1e6);
    result("gc_collect_us_median", median(t, PP_LOOPS) * 1e6);
    result("gc_collect_us_min", t[0] * 1e6);
    result("gc_collect_us_max", t[PP_LOOPS - 1] * 1e6);
    rc_decref(cls);
}

/* ------------------------------------------------------------------------
 * 3b. pyperformance gc_traversal: 1000 levels of nested lists
 * ---------------------------------------------------------------------- */
#define PP_LEVELS 1000

static void bench_gc_traversal(void) {
    rc_object *current = rc_list_new(0);
    CHECK(current);
    long refs = 0;
    for (int n = 0; n < PP_LEVELS; n++) {
        rc_object *l = rc_list_new(n);
        CHECK(l);
        for (int i = 0; i < n; i++)
            CHECK(rc_list_set(l, i, current) == 0);
        refs += n;
        rc_decref(current);
        current = l;
    }
    double t[PP_LOOPS];
    for (int loop = 0; loop < PP_LOOPS; loop++) {
        CHECK(rc_gc_collect(2) >= 0);
        double t0 = now_s();
        intptr_t found = rc_gc_collect(2);
        t[loop] = now_s() - t0;
        CHECK(found == 0);
    }
    printf("INFO gc_traversal: %d lists, %ld references\n", PP_LEVELS, refs);
    result("gc_traversal_us", mean(t, PP_LOOPS) * 1e6);
    result("gc_traversal_us_median", median(t, PP_LOOPS) * 1e6);
    result("gc_traversal_us_min", t[0] * 1e6);
    result("gc_traversal_us_max", t[PP_LOOPS - 1] * 1e6);
    rc_decref(current);
}

/* ------------------------------------------------------------------------
 * 4. binary-trees, depth 18, two-slot instances as nodes
 * ---------------------------------------------------------------------- */
#define BT_MIN_DEPTH 4
#define BT_MAX_DEPTH 18

static rc_object *bt_cls;
static intptr_t bt_left, bt_right;   /* slot indices, looked up once */
static uint64_t bt_nodes;

/* Node(make(d - 1), make(d - 1)), leaves Node(None, None) */
static rc_object *bt_make(int depth) {
    rc_object *l, *r;
    if (depth > 0) {
        l = bt_make(depth - 1);
        r = bt_make(depth - 1);
    } else {
        l = rc_None;    /* immortal: no reference to take or drop */
        r = rc_None;
    }
    rc_object *n = rc_new_instance(bt_cls);
    CHECK(n);
    bt_nodes++;
    CHECK(rc_setslot(n, bt_left, l) == 0);
    CHECK(rc_setslot(n, bt_right, r) == 0);
    if (depth > 0) {
        rc_decref(l);
        rc_decref(r);
    }
    return n;
}

static long bt_check(rc_object *n) {
    rc_object *l = rc_getslot_borrowed(n, bt_left);
    if (l == rc_None)
        return 1;
    return 1 + bt_check(l) + bt_check(rc_getslot_borrowed(n, bt_right));
}

static void bench_bintree(void) {
    bt_cls = slots_class("Node", "left", "right");
    /* As an interpreter resolves `node.left` on a __slots__ class to a
     * member offset once (CPython's member descriptor), the workload looks
     * the slot indices up once and then accesses slots by index. */
    bt_left = rc_class_slot_index(bt_cls, "left");
    bt_right = rc_class_slot_index(bt_cls, "right");
    CHECK(bt_left >= 0 && bt_right >= 0);
    long thr[RC_GC_NUM_GENERATIONS];
    CHECK(rc_gc_get_threshold(thr) == 0);
    printf("INFO bintree: collector %s, thresholds %ld %ld %ld\n",
           rc_gc_isenabled() ? "enabled" : "disabled", thr[0], thr[1], thr[2]);
    long check = 0;
    bt_nodes = 0;
    double t0 = now_s();

    rc_object *stretch = bt_make(BT_MAX_DEPTH + 1);
    check += bt_check(stretch);
    rc_decref(stretch);

    rc_object *long_lived = bt_make(BT_MAX_DEPTH);
    for (int d = BT_MIN_DEPTH; d <= BT_MAX_DEPTH; d += 2) {
        long iterations = 1L << (BT_MAX_DEPTH - d + BT_MIN_DEPTH);
        for (long i = 0; i < iterations; i++) {
            rc_object *t = bt_make(d);
            check += bt_check(t);
            rc_decref(t);
        }
    }
    check += bt_check(long_lived);
    rc_decref(long_lived);
    double sec = now_s() - t0;

    printf("INFO bintree: %llu nodes, check %ld\n", (unsigned long long)bt_nodes, check);
    print_gc_stats("bintree");
    rc_gc_generation_stats st[RC_GC_NUM_GENERATIONS];
    CHECK(rc_gc_get_stats(st) == 0);
    double pause = 0, colls = 0;
    for (int g = 0; g < RC_GC_NUM_GENERATIONS; g++) {
        pause += (double)st[g].pause_total_ns * 1e-9;
        colls += (double)st[g].collections;
    }
    result("bintree_seconds", sec);
    result("bintree_ns_per_node", sec * 1e9 / (double)bt_nodes);
    result("bintree_gc_seconds", pause);
    result("bintree_collections", colls);
    rc_decref(bt_cls);
}

/* ------------------------------------------------------------------------
 * 5. pauses: churn over a 2M-object live heap
 * ---------------------------------------------------------------------- */
#define PZ_LIVE 2000000
#define PZ_ITER 5000000
#define PZ_WINDOW_BITS 15
#define PZ_WINDOW (1 << PZ_WINDOW_BITS)
#define PZ_MAX_PAUSES (1 << 20)

typedef struct pause_log {
    double *s;          /* pause in seconds (outside the heap) */
    unsigned char *gen; /* generation collected */
    size_t n;
} pause_log;

static void on_gc(const char *phase, const rc_gc_info *info, void *ctx) {
    pause_log *pl = ctx;
    if (strcmp(phase, "stop") == 0 && pl->n < PZ_MAX_PAUSES) {
        pl->s[pl->n] = info->duration_s;
        pl->gen[pl->n] = (unsigned char)info->generation;
        pl->n++;
    }
}

/* Nearest-rank percentile of a sorted array. */
static double percentile(const double *sorted, size_t n, double p) {
    size_t k = (size_t)(p / 100.0 * (double)n + 0.999999999);
    if (k < 1)
        k = 1;
    if (k > n)
        k = n;
    return sorted[k - 1];
}

static void bench_pauses(void) {
    rc_object *cls = slots_class("Node", "next", "value");
    double t_setup = now_s();
    rc_object *head = rc_newref(rc_None);
    for (int i = 0; i < PZ_LIVE; i++) {
        rc_object *n = rc_new_instance(cls);
        CHECK(n);
        set_steal(n, "next", head);
        CHECK(rc_setattr(n, "value", rc_None) == 0);
        head = n;
    }
    rc_object *window = rc_list_new(PZ_WINDOW);
    CHECK(window);
    CHECK(rc_gc_collect(2) >= 0);
    t_setup = now_s() - t_setup;

    pause_log pl = {malloc(PZ_MAX_PAUSES * sizeof(double)), malloc(PZ_MAX_PAUSES), 0};
    CHECK(pl.s && pl.gen);
    rc_gc_generation_stats before[RC_GC_NUM_GENERATIONS];
    CHECK(rc_gc_get_stats(before) == 0);
    CHECK(rc_gc_callback_add(on_gc, &pl) == 0);

    double t0 = now_s();
    for (uint32_t i = 0; i < PZ_ITER; i++) {
        rc_object *a = rc_new_instance(cls), *b = rc_new_instance(cls);
        CHECK(a && b);
        CHECK(rc_setattr(a, "next", b) == 0);
        CHECK(rc_setattr(b, "next", a) == 0);
        if ((i & 3) == 0) {
            uint32_t k = i >> 2;
            uint32_t slot = (uint32_t)(k * 2654435761u) >> (32 - PZ_WINDOW_BITS);
            CHECK(rc_list_set(window, slot, a) == 0);
        }
        rc_decref(a);
        rc_decref(b);
    }
    double run = now_s() - t0;
    CHECK(rc_gc_callback_remove(on_gc, &pl) == 0);

    rc_gc_generation_stats after[RC_GC_NUM_GENERATIONS];
    CHECK(rc_gc_get_stats(after) == 0);
    size_t n = pl.n;
    CHECK(n > 0);
    size_t per_gen[3] = {0, 0, 0};
    double max_gen[3] = {0, 0, 0}, total = 0;
    for (size_t i = 0; i < n; i++) {
        int g = pl.gen[i] < 3 ? pl.gen[i] : 2;
        per_gen[g]++;
        if (pl.s[i] > max_gen[g])
            max_gen[g] = pl.s[i];
        total += pl.s[i];
    }
    qsort(pl.s, n, sizeof *pl.s, cmp_double);
    printf("INFO pauses: setup %.3f s, churn %.3f s, %zu collections (gen0 %zu, gen1 %zu, gen2 %zu)\n",
           t_setup, run, n, per_gen[0], per_gen[1], per_gen[2]);
    for (int g = 0; g < RC_GC_NUM_GENERATIONS; g++) {
        double hist_max = (double)after[g].pause_max_ns * 1e-9;
        printf("INFO pauses gen%d: callback max %.3f ms, stats: collections +%llu, "
               "pause_total +%.3f ms, pause_max %.3f ms; histogram (bucket:count):",
               g, max_gen[g] * 1e3,
               (unsigned long long)(after[g].collections - before[g].collections),
               (double)(after[g].pause_total_ns - before[g].pause_total_ns) / 1e6, hist_max * 1e3);
        for (int b = 0; b < RC_GC_PAUSE_BUCKETS; b++) {
            uint64_t c = after[g].pause_histogram[b] - before[g].pause_histogram[b];
            if (c)
                printf(" [%gus]:%llu", b ? (double)(1u << b) : 0.0, (unsigned long long)c);
        }
        printf("\n");
    }
    result("pause_count", (double)n);
    result("pause_gen0_count", (double)per_gen[0]);
    result("pause_gen1_count", (double)per_gen[1]);
    result("pause_gen2_count", (double)per_gen[2]);
    result("pause_median_us", percentile(pl.s, n, 50) * 1e6);
    result("pause_p99_us", percentile(pl.s, n, 99) * 1e6);
    result("pause_max_us", pl.s[n - 1] * 1e6);
    result("pause_gen0_max_us", max_gen[0] * 1e6);
    result("pause_gen1_max_us", max_gen[1] * 1e6);
    result("pause_gen2_max_us", max_gen[2] * 1e6);
    result("pause_total_s", total);
    result("pause_churn_seconds", run);
    free(pl.s);
    free(pl.gen);
    rc_decref(window);
    rc_decref(head);
    rc_decref(cls);
}

/* ------------------------------------------------------------------------ */
static const bench_workload workloads[] = {
    {"full", bench_full},
    {"cycles", bench_cycles},
    {"gc_collect", bench_gc_collect},
    {"gc_traversal", bench_gc_traversal},
    {"bintree", bench_bintree},
    {"pauses", bench_pauses},
};
#define N_WORKLOADS (sizeof workloads / sizeof workloads[0])

int main(int argc, char **argv) {
    return bench_main(argc, argv, workloads, N_WORKLOADS);
}
