/*
 * tour_gc.c - chapter 3 of the tour: the cycle collector, in the order the
 * Python tutorials tell it - reference counting cannot free a cycle,
 * gc.collect() finds the Node pairs, thresholds and counts, disabling
 * collection during a burst, __del__ in a cycle and a legacy finalizer
 * that makes a cycle uncollectable, freeze, and get_referrers.
 */
#include "rcgc.h"
#include "tour.h"

static int finalized;
static void node_del(rc_object *self) { (void)self; finalized++; }
static void legacy_del(rc_object *self) { (void)self; }

static uint64_t blocks(void) {
    rc_memstats s;
    rc_mem_stats(NULL, &s);
    return s.blocks_in_use;
}

static void make_pairs(rc_object *cls, int n) {
    for (int i = 0; i < n; i++) {
        rc_object *a = rc_new_instance(cls), *b = rc_new_instance(cls);
        rc_setattr(a, "other", b);
        rc_setattr(b, "other", a);
        rc_decref(a);
        rc_decref(b);
    }
}

static void show_counts(const char *when) {
    long c[3];
    rc_gc_get_count(c);
    printf("    %-34s gc.get_count() = (%ld, %ld, %ld)\n", when, c[0], c[1], c[2]);
}

int tour_gc(void) {
    if (rc_init(NULL) < 0)
        return -1;
    printf("== Chapter 3: the cycle collector ==\n\n");
    rc_object *Node = rc_class_new("Node", NULL);
    if (!Node) {
        rc_fini();
        return -1;
    }
    long t[3];
    rc_gc_get_threshold(t);
    printf("  gc.get_threshold() = (%ld, %ld, %ld)\n\n", t[0], t[1], t[2]);

    rc_gc_disable();
    uint64_t base = blocks();
    make_pairs(Node, 1000);
    printf("  1000 pairs of Nodes pointing at each other, all names dropped:\n");
    printf("    blocks still allocated: %llu  (refcounts never reach 0 in a cycle)\n",
           (unsigned long long)(blocks() - base));
    intptr_t n = rc_gc_collect(2);
    printf("    gc.collect() -> %ld; blocks left: %llu\n\n", (long)n,
           (unsigned long long)(blocks() - base));

    printf("  Thresholds and counts (collection enabled again):\n");
    rc_gc_enable();
    rc_gc_collect(2);
    show_counts("after gc.collect():");
    rc_object *keep = rc_list_new(0);
    show_counts("after one new list:");
    for (int i = 0; i < 800; i++) {
        rc_object *l = rc_list_new(0);
        rc_list_append(keep, l);
        rc_decref(l);
    }
    show_counts("after 800 more lists:");
    rc_gc_generation_stats st[3];
    rc_gc_get_stats(st);
    printf("    automatic collections so far: gen0 %llu, gen1 %llu, gen2 %llu\n\n",
           (unsigned long long)st[0].collections, (unsigned long long)st[1].collections,
           (unsigned long long)st[2].collections);
    rc_decref(keep);

    printf("  Disabling collection during a burst, then collecting once:\n");
    rc_gc_get_stats(st);
    uint64_t before = st[0].collections + st[1].collections;
    rc_gc_disable();
    make_pairs(Node, 50000);
    rc_gc_get_stats(st);
    printf("    100000 cyclic Nodes made with gc disabled: %llu collections ran\n",
           (unsigned long long)(st[0].collections + st[1].collections - before));
    rc_gc_enable();
    n = rc_gc_collect(2);
    rc_gc_get_stats(st);
    printf("    one gc.collect() -> %ld, pause %.2f ms\n\n", (long)n,
           (double)st[2].pause_max_ns / 1e6);

    printf("  __del__ in a cycle (PEP 442: collectable, runs once):\n");
    rc_class_options o;
    rc_class_options_init(&o);
    o.finalize = node_del;
    rc_object *Fin = rc_class_new("FinNode", &o);
    make_pairs(Fin, 2);
    n = rc_gc_collect(2);
    printf("    gc.collect() -> %ld, __del__ ran %d times\n", (long)n, finalized);
    rc_class_options_init(&o);
    o.del = legacy_del;
    rc_object *Legacy = rc_class_new("LegacyNode", &o);
    make_pairs(Legacy, 2);
    n = rc_gc_collect(2);
    rc_object *garbage = rc_gc_garbage();
    rc_object *r = rc_repr(garbage);
    printf("  a legacy tp_del in a cycle: gc.collect() -> %ld, gc.garbage has %ld objects:\n"
           "    %.70s...\n\n", (long)n, (long)rc_list_size(garbage), r ? rc_str_utf8(r) : "");
    rc_xdecref(r);
    /* As in Python, the program must break such cycles itself: */
    for (intptr_t i = 0; i < rc_list_size(garbage); i++)
        rc_delattr(rc_list_get(garbage, i), "other");
    rc_list_clear(garbage);

    printf("  gc.freeze(): long-lived objects leave the generations (fork-friendly):\n");
    rc_object *big = rc_list_new(0);
    for (int i = 0; i < 1000; i++) {
        rc_object *l = rc_list_new(0);
        rc_list_append(big, l);
        rc_decref(l);
    }
    rc_gc_freeze();
    printf("    gc.get_freeze_count() = %ld; a full collection now examines ",
           (long)rc_gc_get_freeze_count());
    rc_gc_collect(2);
    rc_gc_get_stats(st);
    rc_gc_unfreeze();
    printf("only what is left\n    gc.unfreeze() -> freeze count %ld\n\n",
           (long)rc_gc_get_freeze_count());

    printf("  gc.get_referrers(x): who holds this object?\n");
    rc_object *x = rc_new_instance(Node);
    rc_object *holder = rc_new_instance(Node);
    rc_setattr(holder, "child", x);
    rc_list_append(big, x);
    void *args[1] = {x};
    rc_object *refs = rc_gc_get_referrers(1, args);
    for (intptr_t i = 0; refs && i < rc_list_size(refs); i++) {
        rc_object *ri = rc_list_get(refs, i);
        printf("    held by a %s (%ld items/attributes)\n", rc_type_name(ri),
               ri == big ? (long)rc_list_size(big) : 1L);
    }
    rc_xdecref(refs);
    rc_decref(x);
    rc_decref(holder);
    rc_decref(big);
    rc_decref(Fin);
    rc_decref(Legacy);
    rc_decref(Node);
    rc_gc_collect(2);
    printf("\n");
    rc_fini();
    return 0;
}
