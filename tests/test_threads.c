/*
 * test_threads.c - heaps on different threads run in parallel without
 * sharing anything; a heap entered by one thread is refused to another.
 * Run under ThreadSanitizer by `make tsan`.
 */
#include "check.h"
#include <pthread.h>

typedef struct Cell {
    rc_object ob;
    struct Cell *next;
    long value;
} Cell;
static void cell_dealloc(rc_object *self) { rc_clear(&((Cell *)self)->next); }
static const rc_type Cell_type = {.ob_base = RC_STATIC_TYPE_HEAD, .name = "Cell",
                                  .basic_size = sizeof(Cell), .dealloc = cell_dealloc};

typedef struct { long sum; int ok; } work_result;

static void *worker(void *arg) {
    work_result *r = arg;
    r->ok = rc_init(NULL) == 0;
    if (!r->ok)
        return NULL;
    unsigned x = 12345;
    void *slots[4096] = {0};
    for (int i = 0; i < 400000; i++) {
        x = x * 1103515245u + 12345u;
        unsigned k = (x >> 8) % 4096;
        rc_mem_free(slots[k]);
        slots[k] = rc_mem_malloc(((x >> 4) % 700) + 1);
        if (!slots[k])
            r->ok = 0;
    }
    for (int k = 0; k < 4096; k++)
        rc_mem_free(slots[k]);
    Cell *head = NULL;
    for (long i = 1; i <= 100000; i++) {
        Cell *c = rc_object_new(&Cell_type);
        c->value = i;
        c->next = head;
        head = c;
    }
    for (Cell *c = head; c; c = c->next)
        r->sum += c->value;
    rc_decref(head);
    if (check_blocks_in_use() != 0)
        r->ok = 0;
    rc_fini();
    return NULL;
}

static void test_parallel_heaps(void) {
    pthread_t t[2];
    work_result res[2] = {{0, 0}, {0, 0}};
    for (int i = 0; i < 2; i++)
        pthread_create(&t[i], NULL, worker, &res[i]);
    for (int i = 0; i < 2; i++)
        pthread_join(t[i], NULL);
    for (int i = 0; i < 2; i++) {
        CHECK(res[i].ok);
        CHECK_EQ(res[i].sum, 100000L * 100001L / 2);
    }
}

static rc_heap *shared_heap;
static int other_enter_rc, other_enter_err, other_destroy_rc;

static void *intruder(void *arg) {
    (void)arg;
    other_enter_rc = rc_heap_enter(shared_heap);
    other_enter_err = rc_error_code();
    other_destroy_rc = rc_heap_destroy(shared_heap);
    return NULL;
}

static void *after_release(void *arg) {
    (void)arg;
    other_enter_rc = rc_heap_enter(shared_heap);
    void *p = rc_mem_malloc(10);
    rc_mem_free(p);
    rc_heap_enter(NULL);
    return NULL;
}

static void test_heap_owned_by_one_thread(void) {
    shared_heap = rc_heap_current();
    pthread_t t;
    pthread_create(&t, NULL, intruder, NULL);
    pthread_join(t, NULL);
    CHECK_EQ(other_enter_rc, -1);
    CHECK_EQ(other_enter_err, RC_ERR_STATE);
    CHECK_EQ(other_destroy_rc, -1);
    /* once released, another thread may use it */
    rc_heap_enter(NULL);
    pthread_create(&t, NULL, after_release, NULL);
    pthread_join(t, NULL);
    CHECK_EQ(other_enter_rc, 0);
    CHECK_EQ(rc_heap_enter(shared_heap), 0);
}

static void *enter_and_exit(void *arg) {
    (void)arg;
    other_enter_rc = rc_heap_enter(shared_heap);   /* and never leaves it */
    return NULL;
}

/* A thread that exits with a heap entered releases it. */
static void test_thread_exit_releases_heap(void) {
    shared_heap = rc_heap_current();
    rc_heap_enter(NULL);
    pthread_t t;
    pthread_create(&t, NULL, enter_and_exit, NULL);
    pthread_join(t, NULL);
    CHECK_EQ(other_enter_rc, 0);
    CHECK_EQ(rc_heap_enter(shared_heap), 0);
}

int main(void) {
    RUN(test_parallel_heaps);
    RUN(test_heap_owned_by_one_thread);
    RUN(test_thread_exit_releases_heap);
    return check_summary("test_threads");
}
