/*
 * heap.c - creating, binding and destroying heaps.
 *
 * The only per-thread state is which heap the thread has entered (and the
 * default heap made by rc_init).  A heap records the thread that entered it
 * in an atomic word so that a second thread entering it is refused instead
 * of silently corrupting it; nothing else about a heap is shared, so heaps
 * on different threads never contend.
 */
#include "internal.h"
#include <pthread.h>

_Thread_local rc_heap *rci_current_heap __attribute__((tls_model("initial-exec")));
static _Thread_local rc_heap *default_heap;
static _Thread_local char thread_token;   /* its address identifies the thread */

/* Heaps alive in the process (rci_heaps_live). */
static atomic_int heaps_live;
int rci_heaps_live(void) { return atomic_load_explicit(&heaps_live, memory_order_relaxed); }

static uintptr_t self_id(void) { return (uintptr_t)&thread_token; }

/* When a thread exits with a heap still entered, release the heap so that
 * another thread can enter it (the exiting thread's id may be reused). */
static pthread_key_t exit_key;
static pthread_once_t exit_once = PTHREAD_ONCE_INIT;
static void on_thread_exit(void *heap) {
    rc_heap *h = heap;
    uintptr_t me = self_id();
    atomic_compare_exchange_strong(&h->owner, &me, 0);
}
static void make_exit_key(void) { pthread_key_create(&exit_key, on_thread_exit); }

rc_heap *rc_heap_new(const rc_config *cfg) {
    rci_settings st;
    if (rci_config_resolve(cfg, &st) < 0)
        return NULL;
    rc_heap *h = rci_os_calloc(sizeof *h);
    if (!h)
        return rci_error_null(RC_ERR_NOMEM, "out of memory creating a heap");
    h->magic = RCI_HEAP_MAGIC;
    h->mode = st.mode;
    h->print_stats_at_exit = st.print_stats_at_exit;
    atomic_init(&h->owner, 0);
    rci_mem_init(h);
    h->mem.purge_delay_ns = (uint64_t)st.purge_delay_ms * 1000000u;
    for (int i = 0; i < RCI_NUM_GENERATIONS; i++) {
        rci_gc_link_init(&h->gen[i]);
        h->gen[i].threshold = st.gc_threshold[i];
    }
    h->gc.enabled = 1;
    /* gc.garbage: an immortal list inside the heap, so it lives exactly as
     * long as the heap and is never an allocated block of its own */
    h->gc.garbage_list.list.ob.base.refcount = RC_IMMORTAL_REFCNT;
    h->gc.garbage_list.list.ob.base.type = &rc_list_type;
    h->gc.garbage = &h->gc.garbage_list.list.ob.base;
    h->gc.debug = st.gc_debug;
    h->permanent.next = h->permanent.prev = (uintptr_t)&h->permanent;
    atomic_fetch_add(&heaps_live, 1);
    return h;
}

static int check_heap(const rc_heap *h, const char *fn) {
    if (!h || h->magic != RCI_HEAP_MAGIC)
        return rc_error_set(RC_ERR_INVALID, "%s: %p is not a live heap", fn, (const void *)h);
    return 0;
}

int rc_heap_destroy(rc_heap *h) {
    if (!h)
        return 0;
    if (check_heap(h, "rc_heap_destroy") < 0)
        return -1;
    /* Claim the heap so that no other thread can enter it while it dies. */
    uintptr_t expected = 0;
    if (!atomic_compare_exchange_strong(&h->owner, &expected, self_id()) &&
        expected != self_id())
        return rc_error_set(RC_ERR_STATE, "rc_heap_destroy: heap %p is entered by "
                            "another thread", (void *)h);
    if (rci_current_heap == h) {
        rci_current_heap = NULL;
        pthread_setspecific(exit_key, NULL);
    }
    if (default_heap == h)
        default_heap = NULL;
    {   /* weakref.finalize's atexit run (it may still create and free
         * objects, so it comes first), then Python's "uncollectable
         * objects at shutdown" warning */
        rc_heap *prev = rci_current_heap;
        rci_current_heap = h;
        rci_finalize_at_exit(h);
        rci_gc_report_at_exit(h);
        rci_current_heap = prev;
    }
    if (h->print_stats_at_exit)
        rc_mem_print_stats(h, stderr);
    rci_mem_fini(h);
    h->magic = 0;
    rci_os_free(h, sizeof *h);
    atomic_fetch_sub(&heaps_live, 1);
    return 0;
}

int rc_heap_enter(rc_heap *h) {
    rc_heap *prev = rci_current_heap;
    if (h == prev)
        return 0;
    if (h) {
        if (check_heap(h, "rc_heap_enter") < 0)
            return -1;
        uintptr_t expected = 0;
        if (!atomic_compare_exchange_strong(&h->owner, &expected, self_id()) &&
            expected != self_id())
            return rc_error_set(RC_ERR_STATE, "rc_heap_enter: heap %p is entered by "
                                "another thread", (void *)h);
    }
    if (prev)
        atomic_store(&prev->owner, 0);
    rci_current_heap = h;
    pthread_once(&exit_once, make_exit_key);
    pthread_setspecific(exit_key, h);
    return 0;
}

rc_heap *rc_heap_current(void) { return rci_current_heap; }

rc_malloc_mode rc_heap_malloc_mode(const rc_heap *h) {
    return h ? h->mode : RC_MALLOC_UNSET;
}

int rc_init(const rc_config *cfg) {
    if (default_heap)
        return rc_error_set(RC_ERR_STATE, "rc_init: this thread already has a default heap");
    rc_heap *h = rc_heap_new(cfg);
    if (!h)
        return -1;
    if (rc_heap_enter(h) < 0) {
        rc_heap_destroy(h);
        return -1;
    }
    default_heap = h;
    return 0;
}

void rc_fini(void) {
    /* Destroying fails only if another thread has entered this thread's
     * default heap: misuse that cannot be reported (rc_fini returns
     * nothing), so it ends the process. */
    if (default_heap && rc_heap_destroy(default_heap) < 0)
        rci_fatal("rc_fini: %s", rc_error_message());
}
