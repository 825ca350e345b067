/*
 * test_oom.c - out of memory is an ordinary path.  The fault injector fails
 * the Nth request to the OS; the test walks N over every OS request that a
 * representative scenario makes (heap creation, arena maps, the arena
 * table, large blocks, reallocs, objects) and checks each time: no crash,
 * an RC_ERR_NOMEM error reported, and after the heap is destroyed the OS
 * bytes are back to where they started.
 */
#include "check.h"

typedef struct Link {
    rc_object ob;
    struct Link *next;
    char pad[32];
} Link;
static void link_dealloc(rc_object *self) { rc_clear(&((Link *)self)->next); }
static int link_traverse(rc_object *self, rc_visitproc visit, void *arg) {
    Link *l = (Link *)self;
    return l->next ? visit((rc_object *)l->next, arg) : 0;
}
static const rc_type Link_type = {.ob_base = RC_STATIC_TYPE_HEAD, .name = "Link",
                                  .basic_size = sizeof(Link), .flags = RC_TYPE_GC | RC_TYPE_TRACK,
                                  .traverse = link_traverse, .dealloc = link_dealloc};

static int oom_seen;

static int failed_with_nomem(void) {
    if (rc_error_code() == RC_ERR_NOMEM)
        oom_seen = 1;
    else
        fprintf(stderr, "unexpected error %s: %s\n", rc_error_name(rc_error_code()),
                rc_error_message());
    return -1;
}

/* Returns 0 if it ran to completion, -1 if an allocation failed. */
static int scenario(rc_malloc_mode mode, int nobjects) {
    rc_config c;
    rc_config_init(&c);
    c.malloc_mode = mode;
    c.purge_delay_ms = 0;   /* arenas come and go: more OS paths */
    rc_heap *h = rc_heap_new(&c);
    if (!h)
        return failed_with_nomem();
    rc_heap_enter(h);
    int rc = 0;
    Link *head = NULL;
    void *big[20] = {0};
    for (int round = 0; round < 2 && rc == 0; round++) {
        for (int i = 0; i < nobjects; i++) {
            Link *l = rc_object_new(&Link_type);
            if (!l) {
                rc = failed_with_nomem();
                break;
            }
            l->next = head;
            head = l;
        }
        for (int i = 0; i < 20 && rc == 0; i++) {
            void *p = rc_mem_realloc(big[i], (size_t)(600 + 997 * i * (round + 1)));
            if (!p) {
                rc = failed_with_nomem();   /* big[i] is still valid */
                break;
            }
            big[i] = p;
        }
        rc_clear(&head);   /* the arenas empty and go back to the OS */
    }
    rc_clear(&head);
    for (int i = 0; i < 20; i++)
        rc_mem_free(big[i]);
    if (check_blocks_in_use() != 0) {
        fprintf(stderr, "blocks left in use after cleanup\n");
        rc = -2;
    }
    rc_heap_enter(NULL);
    rc_heap_destroy(h);
    return rc;
}

static void walk(rc_malloc_mode mode, int nobjects) {
    long long base = rc_testing_os_bytes_live();
    long n, failures = 0, leaks = 0, unexpected = 0;
    for (n = 1;; n++) {
        rc_testing_fail_os_alloc(n);
        oom_seen = 0;
        int rc = scenario(mode, nobjects);
        long calls = rc_testing_os_alloc_count();
        rc_testing_fail_os_alloc(0);
        if (rc_testing_os_bytes_live() != base)
            leaks++;
        if (calls < n) {            /* the Nth request never came: done */
            if (rc != 0)
                unexpected++;
            break;
        }
        if (rc == -2 || (rc == -1 && !oom_seen) || rc == 0)
            unexpected++;           /* the injected failure must surface as NOMEM */
        else
            failures++;
    }
    printf("     mode %d: walked N = 1..%ld OS requests, %ld reported NOMEM, %ld leaks, %ld wrong\n",
           (int)mode, n, failures, leaks, unexpected);
    CHECK(n > 10);
    CHECK_EQ(leaks, 0);
    CHECK_EQ(unexpected, 0);
}

static void test_oom_walk_pymalloc(void) { walk(RC_MALLOC_PYMALLOC, 60000); }
static void test_oom_walk_debug(void) { walk(RC_MALLOC_DEBUG, 30000); }
static void test_oom_walk_malloc(void) { walk(RC_MALLOC_MALLOC, 300); }

int main(void) {
    if (rc_testing_fail_os_alloc(0) < 0) {
        printf("SKIP: built without RCGC_FAULT_INJECTION\n");
        return 0;
    }
    RUN(test_oom_walk_pymalloc);
    RUN(test_oom_walk_debug);
    RUN(test_oom_walk_malloc);
    return check_summary("test_oom");
}
