/*
 * test_core.c - version, errors, configuration precedence, heap lifecycle
 * and binding, and the 1000 create/use/destroy cycles that must not grow
 * the process.
 */
#include "support.h"
#include <malloc.h>

static void test_version(void) {
    CHECK_EQ(rc_version(), RC_VERSION_NUMBER);
    CHECK(!strcmp(rc_version_string(), RC_VERSION_STRING));
    CHECK_EQ(RC_VERSION_NUMBER, RC_VERSION_MAJOR * 10000 + RC_VERSION_MINOR * 100 + RC_VERSION_PATCH);
}

static void test_errors(void) {
    rc_error_clear();
    CHECK_EQ(rc_error_code(), RC_OK);
    CHECK(!strcmp(rc_error_message(), ""));
    CHECK_EQ(rc_error_set(RC_ERR_VALUE, "bad %d", 42), -1);
    CHECK_EQ(rc_error_code(), RC_ERR_VALUE);
    CHECK(!strcmp(rc_error_message(), "bad 42"));
    CHECK(!strcmp(rc_error_name(RC_ERR_NOMEM), "MemoryError"));
    CHECK(!strcmp(rc_error_name(RC_ERR_TYPE), "TypeError"));
    rc_error_clear();
    CHECK_EQ(rc_error_code(), RC_OK);
}

static void test_bad_arguments(void) {
    rc_error_clear();
    CHECK_EQ(rc_refcount(NULL), -1);
    CHECK_EQ(rc_error_code(), RC_ERR_INVALID);
    CHECK(rc_object_new(NULL) == NULL);
    CHECK_EQ(rc_error_code(), RC_ERR_INVALID);
    CHECK_EQ(rc_mem_stats(NULL, NULL), -1);
    CHECK_EQ(rc_error_code(), RC_ERR_INVALID);
    CHECK(rc_mem_malloc((size_t)-1) == NULL);
    CHECK_EQ(rc_error_code(), RC_ERR_NOMEM);
    CHECK(rc_mem_calloc((size_t)1 << 40, (size_t)1 << 40) == NULL);
    CHECK_EQ(rc_error_code(), RC_ERR_OVERFLOW);
    CHECK_EQ(rc_heap_enter((rc_heap *)&check_count), -1);
    CHECK_EQ(rc_error_code(), RC_ERR_INVALID);
    rc_mem_free(NULL);   /* ignored */
}

static void test_no_heap_bound(void) {
    rc_heap *h = rc_heap_current();
    CHECK(h != NULL);
    CHECK_EQ(rc_heap_enter(NULL), 0);
    CHECK(rc_heap_current() == NULL);
    CHECK(rc_mem_malloc(10) == NULL);
    CHECK_EQ(rc_error_code(), RC_ERR_STATE);
    static const rc_type T = {.ob_base = RC_STATIC_TYPE_HEAD, .name = "T",
                              .basic_size = sizeof(rc_object)};
    CHECK(rc_object_new(&T) == NULL);
    CHECK_EQ(rc_error_code(), RC_ERR_STATE);
    CHECK_EQ(rc_mem_stats(NULL, &(rc_memstats){0}), -1);
    CHECK_EQ(rc_error_code(), RC_ERR_STATE);
    CHECK_EQ(rc_heap_enter(h), 0);
    CHECK(rc_heap_current() == h);
    /* rc_init twice on one thread is refused */
    CHECK_EQ(rc_init(NULL), -1);
    CHECK_EQ(rc_error_code(), RC_ERR_STATE);
}

static void test_config_precedence(void) {
    rc_config cfg;
    rc_config_init(&cfg);
    CHECK_EQ(cfg.version, RC_CONFIG_VERSION);
    CHECK_EQ(cfg.malloc_mode, RC_MALLOC_UNSET);

    unsetenv("RCGC_MALLOC");
    rc_heap *h = rc_heap_new(&cfg);
    CHECK(h && rc_heap_malloc_mode(h) == RC_MALLOC_PYMALLOC);   /* build default */
    rc_heap_destroy(h);

    setenv("RCGC_MALLOC", "malloc", 1);                         /* env beats default */
    h = rc_heap_new(&cfg);
    CHECK(h && rc_heap_malloc_mode(h) == RC_MALLOC_MALLOC);
    rc_heap_destroy(h);

    cfg.malloc_mode = RC_MALLOC_DEBUG;                          /* explicit beats env */
    h = rc_heap_new(&cfg);
    CHECK(h && rc_heap_malloc_mode(h) == RC_MALLOC_DEBUG);
    rc_heap_destroy(h);

    rc_config_init(&cfg);
    cfg.use_environment = 0;                                    /* env ignored */
    h = rc_heap_new(&cfg);
    CHECK(h && rc_heap_malloc_mode(h) == RC_MALLOC_PYMALLOC);
    rc_heap_destroy(h);

    setenv("RCGC_MALLOC", "bogus", 1);
    CHECK(rc_heap_new(NULL) == NULL);
    CHECK_EQ(rc_error_code(), RC_ERR_VALUE);
    CHECK_STR_CONTAINS(rc_error_message(), "RCGC_MALLOC='bogus'");
    unsetenv("RCGC_MALLOC");

    setenv("RCGC_PURGE_DELAY_MS", "-5", 1);
    CHECK(rc_heap_new(NULL) == NULL);
    CHECK_EQ(rc_error_code(), RC_ERR_VALUE);
    CHECK_STR_CONTAINS(rc_error_message(), "RCGC_PURGE_DELAY_MS");
    unsetenv("RCGC_PURGE_DELAY_MS");

    setenv("RCGC_MALLOC_STATS", "maybe", 1);
    CHECK(rc_heap_new(NULL) == NULL);
    CHECK_EQ(rc_error_code(), RC_ERR_VALUE);
    CHECK_STR_CONTAINS(rc_error_message(), "RCGC_MALLOC_STATS='maybe'");
    unsetenv("RCGC_MALLOC_STATS");
    rc_config_init(&cfg);
    cfg.purge_delay_ms = -5;
    CHECK(rc_heap_new(&cfg) == NULL);
    CHECK_EQ(rc_error_code(), RC_ERR_VALUE);

    /* collector thresholds and debug flags: env, then explicit fields */
    setenv("RCGC_GC_THRESHOLD", "100,5", 1);
    setenv("RCGC_GC_DEBUG", "stats,saveall", 1);
    rc_config_init(&cfg);
    cfg.gc_threshold[1] = 7;
    h = rc_heap_new(&cfg);
    CHECK(h != NULL);
    rc_heap *me = rc_heap_current();
    rc_heap_enter(h);
    long t[3];
    rc_gc_get_threshold(t);
    CHECK(t[0] == 100 && t[1] == 7 && t[2] == 10);
    CHECK_EQ(rc_gc_get_debug(), RC_GC_DEBUG_STATS | RC_GC_DEBUG_SAVEALL);
    rc_heap_enter(me);
    rc_heap_destroy(h);
    setenv("RCGC_GC_THRESHOLD", "5,x", 1);
    CHECK(rc_heap_new(NULL) == NULL);
    CHECK_STR_CONTAINS(rc_error_message(), "RCGC_GC_THRESHOLD='5,x'");
    setenv("RCGC_GC_THRESHOLD", "1,2,3,4", 1);
    CHECK(rc_heap_new(NULL) == NULL);
    CHECK_EQ(rc_error_code(), RC_ERR_VALUE);
    unsetenv("RCGC_GC_THRESHOLD");
    setenv("RCGC_GC_DEBUG", "stats,bogus", 1);
    CHECK(rc_heap_new(NULL) == NULL);
    CHECK_STR_CONTAINS(rc_error_message(), "'bogus' is not one of");
    unsetenv("RCGC_GC_DEBUG");

    rc_config bad;
    memset(&bad, 0, sizeof bad);   /* not initialised with rc_config_init */
    CHECK(rc_heap_new(&bad) == NULL);
    CHECK_EQ(rc_error_code(), RC_ERR_VALUE);
    rc_config_init(&cfg);
    cfg.malloc_mode = (rc_malloc_mode)99;
    CHECK(rc_heap_new(&cfg) == NULL);
    CHECK_EQ(rc_error_code(), RC_ERR_VALUE);
}

static void test_heaps_are_separate(void) {
    rc_heap *mine = rc_heap_current();
    rc_heap *other = rc_heap_new(NULL);
    CHECK(other != NULL);
    CHECK(rc_heap_current() == mine);      /* rc_heap_new does not bind */
    CHECK_EQ(rc_heap_enter(other), 0);
    void *p = rc_mem_malloc(100);
    CHECK(p != NULL);
    rc_memstats st;
    rc_mem_stats(other, &st);
    CHECK_EQ(st.blocks_in_use, 1);
    rc_mem_stats(mine, &st);
    CHECK_EQ(st.blocks_in_use, 0);
    rc_mem_free(p);
    CHECK_EQ(rc_heap_enter(mine), 0);
    CHECK_EQ(rc_heap_destroy(other), 0);
    CHECK_EQ(rc_heap_destroy(NULL), 0);
}

typedef struct Pair {
    rc_object ob;
    struct Pair *next;
} Pair;
static void pair_dealloc(rc_object *self) { rc_clear(&((Pair *)self)->next); }
static const rc_type Pair_type = {.ob_base = RC_STATIC_TYPE_HEAD, .name = "Pair",
                                  .basic_size = sizeof(Pair), .flags = RC_TYPE_GC | RC_TYPE_TRACK,
                                  .dealloc = pair_dealloc};

/* One create/use/destroy cycle; leaks some blocks on purpose, which the
 * heap's destruction must give back. */
static void one_cycle(int i) {
    rc_heap *h = rc_heap_new(NULL);
    CHECK(h != NULL);
    rc_heap *prev = rc_heap_current();
    rc_heap_enter(h);
    void *keep[64];
    for (int k = 0; k < 64; k++)
        keep[k] = rc_mem_malloc((size_t)(k * 37 % 600) + 1);
    for (int k = 0; k < 4000; k++)
        rc_mem_free(rc_mem_malloc((size_t)(k % 512) + 1));
    Pair *head = NULL;
    for (int k = 0; k < 2000; k++) {
        Pair *p = rc_object_new(&Pair_type);
        p->next = head;
        head = p;
    }
    rc_decref(head);
    for (int k = 0; k < 64; k += 2)
        rc_mem_free(keep[k]);            /* the odd ones are leaked */
    (void)i;
    rc_heap_enter(prev);
    CHECK_EQ(rc_heap_destroy(h), 0);
}

static void test_create_destroy_1000_cycles(void) {
    for (int i = 0; i < 10; i++)       /* warm up libc and the page cache */
        one_cycle(i);
    long long os_before = rc_testing_os_bytes_live();
    long rss_before = rss_kib();
#ifdef __GLIBC__
    struct mallinfo2 mi_before = mallinfo2();
#endif
    for (int i = 0; i < 1000; i++)
        one_cycle(i);
    long rss_after = rss_kib();
    if (os_before >= 0)
        CHECK_EQ(rc_testing_os_bytes_live(), os_before);
#ifdef __GLIBC__
    struct mallinfo2 mi_after = mallinfo2();
    CHECK_EQ(mi_after.uordblks, mi_before.uordblks);   /* libc heap: same bytes in use */
    CHECK(mi_after.arena <= mi_before.arena + 256 * 1024);
#endif
    printf("     1000 cycles: RSS %ld KiB -> %ld KiB\n", rss_before, rss_after);
    if (check_rss_distorted())
        printf("     (RSS not checked: a sanitizer or Valgrind owns the process's memory)\n");
    else
        CHECK(rss_after - rss_before < 2048);
}

int main(void) {
    RUN(test_version);
    RUN(test_errors);
    RUN(test_bad_arguments);
    RUN(test_no_heap_bound);
    RUN(test_config_precedence);
    RUN(test_heaps_are_separate);
    RUN(test_create_destroy_1000_cycles);
    return check_summary("test_core");
}
