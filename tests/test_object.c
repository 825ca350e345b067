/*
 * test_object.c - the object model: reference counting, immortal objects,
 * destruction order, PEP 442 finalizers and resurrection (the refcount-path
 * cases of CPython's test_finalization), heap types kept alive by their
 * instances, variable-size objects, tracking, and the trashcan freeing a
 * 10-million-long chain.
 */
#include "check.h"
#include <stdlib.h>

static char order[256];
static void note(const char *s) { strncat(order, s, sizeof order - strlen(order) - 1); }

/* ---------------------------------------------------------------- types */

typedef struct Box {
    rc_object ob;
    rc_object *item;
} Box;

static void box_dealloc(rc_object *self) { note("dealloc;"); rc_clear(&((Box *)self)->item); }
static int box_traverse(rc_object *self, rc_visitproc visit, void *arg) {
    Box *b = (Box *)self;
    return b->item ? visit(b->item, arg) : 0;
}

static const rc_type Plain_type = {.ob_base = RC_STATIC_TYPE_HEAD, .name = "Plain",
                                   .basic_size = sizeof(Box), .dealloc = box_dealloc};

/* finalizer that may resurrect into `survivor` */
static rc_object *survivor;
static int resurrect, finalize_calls, del_calls;
static void fin(rc_object *self) {
    finalize_calls++;
    note("finalize;");
    if (resurrect)
        survivor = rc_newref(self);
}
static void legacy_del(rc_object *self) { (void)self; del_calls++; note("del;"); }

static const rc_type GcFin_type = {.ob_base = RC_STATIC_TYPE_HEAD, .name = "GcFin",
                                   .basic_size = sizeof(Box), .flags = RC_TYPE_GC | RC_TYPE_TRACK,
                                   .traverse = box_traverse, .finalize = fin,
                                   .del = legacy_del, .dealloc = box_dealloc};
static const rc_type NonGcFin_type = {.ob_base = RC_STATIC_TYPE_HEAD, .name = "NonGcFin",
                                      .basic_size = sizeof(Box), .finalize = fin,
                                      .dealloc = box_dealloc};

static void reset(void) {
    order[0] = '\0';
    survivor = NULL;
    resurrect = finalize_calls = del_calls = 0;
}

/* ---------------------------------------------------------------- tests */

static void test_refcounting(void) {
    Box *a = rc_object_new(&Plain_type);
    CHECK(a != NULL);
    CHECK_EQ(rc_refcount(a), 1);
    rc_incref(a);
    CHECK_EQ(rc_refcount(a), 2);
    Box *b = rc_newref(a);
    CHECK(b == a);
    CHECK_EQ(rc_refcount(a), 3);
    rc_xincref(NULL);
    rc_xdecref(NULL);
    rc_decref(a);
    rc_decref(a);
    CHECK_EQ(rc_refcount(a), 1);
    CHECK(!strcmp(rc_type_name(a), "Plain"));
    CHECK(rc_type_of(a) == &Plain_type);
    reset();
    rc_decref(a);                       /* destroyed at once */
    CHECK(!strcmp(order, "dealloc;"));
    CHECK_EQ(check_blocks_in_use(), 0);
}

static rc_object static_thing = RC_STATIC_OBJECT_INIT(&Plain_type);

static void test_immortal(void) {
    CHECK(rc_is_immortal(&static_thing));
    CHECK(rc_is_immortal(&Plain_type));
    intptr_t before = static_thing.refcount;
    for (int i = 0; i < 1000; i++)
        rc_incref(&static_thing);
    for (int i = 0; i < 5000; i++)
        rc_decref(&static_thing);       /* never destroyed, header never written */
    CHECK_EQ(static_thing.refcount, before);
    CHECK_EQ(rc_refcount(&static_thing), RC_IMMORTAL_REFCNT);
    CHECK_EQ(Plain_type.ob_base.refcount, RC_IMMORTAL_REFCNT);
}

static void test_clear_and_setref(void) {
    Box *outer = rc_object_new(&Plain_type);
    Box *inner = rc_object_new(&Plain_type);
    outer->item = rc_newref(inner);
    CHECK_EQ(rc_refcount(inner), 2);
    rc_clear(&outer->item);
    CHECK(outer->item == NULL);
    CHECK_EQ(rc_refcount(inner), 1);
    rc_clear(&outer->item);             /* NULL slot: nothing */
    rc_setref(&outer->item, inner);     /* steals our reference */
    CHECK_EQ(rc_refcount(inner), 1);
    Box *other = rc_object_new(&Plain_type);
    reset();
    rc_setref(&outer->item, other);     /* old value destroyed */
    CHECK(!strcmp(order, "dealloc;"));
    rc_decref(outer);
}

/* SimpleFinalizationTest.test_simple: __del__ runs once, then the object goes. */
static void test_simple(void) {
    reset();
    Box *o = rc_object_new(&GcFin_type);
    CHECK(rc_gc_is_tracked(o));
    rc_decref(o);
    CHECK_EQ(finalize_calls, 1);
    CHECK(!strcmp(order, "finalize;del;dealloc;"));
    CHECK_EQ(check_blocks_in_use(), 0);
}

/* test_simple_resurrect (no cycle): the finalizer resurrects; the object
 * survives intact and tracked; on its second death the finalizer does not
 * run again (FINALIZED bit) but the legacy del does. */
static void test_simple_resurrect(void) {
    reset();
    resurrect = 1;
    Box *o = rc_object_new(&GcFin_type);
    o->item = rc_object_new(&Plain_type);
    rc_decref(o);
    CHECK(survivor == (rc_object *)o);
    CHECK_EQ(finalize_calls, 1);
    CHECK_EQ(rc_refcount(o), 1);
    CHECK(o->item != NULL);              /* not cleared */
    CHECK(rc_gc_is_tracked(o));
    resurrect = 0;
    order[0] = '\0';
    rc_decref(survivor);
    CHECK_EQ(finalize_calls, 1);         /* not again */
    CHECK(!strcmp(order, "del;dealloc;dealloc;"));
}

/* test_non_gc_resurrect: a non-GC type has no FINALIZED bit, so a
 * resurrecting __del__ runs again on the second death. */
static void test_non_gc_resurrect(void) {
    reset();
    resurrect = 1;
    Box *o = rc_object_new(&NonGcFin_type);
    rc_decref(o);
    CHECK_EQ(finalize_calls, 1);
    CHECK(survivor == (rc_object *)o);
    resurrect = 0;
    rc_decref(survivor);
    CHECK_EQ(finalize_calls, 2);
}

/* A legacy del that resurrects stops destruction too, and may run again. */
static rc_object *del_survivor;
static void resurrecting_del(rc_object *self) { del_calls++; if (del_calls == 1) del_survivor = rc_newref(self); }
static const rc_type DelRes_type = {.ob_base = RC_STATIC_TYPE_HEAD, .name = "DelRes",
                                    .basic_size = sizeof(Box), .del = resurrecting_del};
static void test_legacy_del_resurrect(void) {
    reset();
    Box *o = rc_object_new(&DelRes_type);
    rc_decref(o);
    CHECK_EQ(del_calls, 1);
    CHECK(del_survivor == (rc_object *)o);
    rc_decref(del_survivor);
    CHECK_EQ(del_calls, 2);
}

/* A heap type (a type object created at run time) lives while instances do. */
static void test_heap_type_kept_alive(void) {
    rc_type *t = rc_object_new(&rc_type_type);
    CHECK(t != NULL);
    t->name = "Runtime";
    t->basic_size = sizeof(Box);
    t->dealloc = box_dealloc;
    CHECK(!rc_is_immortal(t));
    Box *i1 = rc_object_new(t), *i2 = rc_object_new(t);
    CHECK_EQ(rc_refcount(t), 3);
    rc_decref(i1);
    CHECK_EQ(rc_refcount(t), 2);
    rc_decref(t);                        /* user's reference gone; instances keep it */
    CHECK(!strcmp(rc_type_name(i2), "Runtime"));
    rc_decref(i2);                       /* last instance frees the type too */
    CHECK_EQ(check_blocks_in_use(), 0);
}

typedef struct Vec {
    rc_varobject ob;
    long items[];
} Vec;
static const rc_type Vec_type = {.ob_base = RC_STATIC_TYPE_HEAD, .name = "Vec",
                                 .basic_size = sizeof(Vec), .item_size = sizeof(long),
                                 .flags = RC_TYPE_VAR};

static void test_varobject(void) {
    Vec *v = rc_varobject_new(&Vec_type, 100);
    CHECK(v != NULL);
    CHECK_EQ(v->ob.size, 100);
    int zero = 1;
    for (int i = 0; i < 100; i++)
        zero &= v->items[i] == 0;
    CHECK(zero);
    v->items[99] = 5;
    rc_decref(v);
    CHECK(rc_varobject_new(&Vec_type, -1) == NULL);
    CHECK_EQ(rc_error_code(), RC_ERR_VALUE);
    CHECK(rc_varobject_new(&Vec_type, INTPTR_MAX / 2) == NULL);
    CHECK_EQ(rc_error_code(), RC_ERR_OVERFLOW);
    CHECK(rc_object_new(&Vec_type) == NULL);
    CHECK_EQ(rc_error_code(), RC_ERR_INVALID);
    CHECK(rc_varobject_new(&Plain_type, 3) == NULL);
    CHECK_EQ(rc_error_code(), RC_ERR_INVALID);
    Vec *big = rc_varobject_new(&Vec_type, 100000);   /* a large block */
    CHECK(big && big->items[99999] == 0);
    rc_decref(big);
}

static const rc_type Huge_type = {.ob_base = RC_STATIC_TYPE_HEAD, .name = "Huge",
                                  .basic_size = SIZE_MAX - 8};
static const rc_type GcHuge_type = {.ob_base = RC_STATIC_TYPE_HEAD, .name = "GcHuge",
                                    .basic_size = SIZE_MAX - 8, .flags = RC_TYPE_GC};
static const rc_type NoHead_type = {.name = "NoHead", .basic_size = sizeof(Box)};

static void test_bad_types(void) {
    CHECK(rc_object_new(&Huge_type) == NULL);
    CHECK_EQ(rc_error_code(), RC_ERR_OVERFLOW);
    CHECK(rc_object_new(&GcHuge_type) == NULL);
    CHECK_EQ(rc_error_code(), RC_ERR_OVERFLOW);
    CHECK(rc_object_new(&NoHead_type) == NULL);
    CHECK_EQ(rc_error_code(), RC_ERR_INVALID);
    CHECK_STR_CONTAINS(rc_error_message(), "RC_STATIC_TYPE_HEAD");
}

static const rc_type GcUntracked_type = {.ob_base = RC_STATIC_TYPE_HEAD, .name = "GcUntracked",
                                         .basic_size = sizeof(Box), .flags = RC_TYPE_GC,
                                         .traverse = box_traverse, .dealloc = box_dealloc};

static void test_tracking(void) {
    Box *u = rc_object_new(&GcUntracked_type);
    CHECK(!rc_gc_is_tracked(u));          /* the type decides */
    CHECK_EQ(rc_gc_track(u), 0);
    CHECK(rc_gc_is_tracked(u));
    CHECK_EQ(rc_gc_track(u), -1);
    CHECK_EQ(rc_error_code(), RC_ERR_VALUE);
    CHECK_EQ(rc_gc_untrack(u), 0);
    CHECK_EQ(rc_gc_untrack(u), 0);        /* untracking twice is fine */
    CHECK(!rc_gc_is_tracked(u));
    Box *p = rc_object_new(&Plain_type);
    CHECK_EQ(rc_gc_track(p), -1);
    CHECK_EQ(rc_error_code(), RC_ERR_TYPE);
    CHECK(!rc_gc_is_tracked(p));
    CHECK(!rc_gc_is_tracked(NULL));
    /* GC objects carry a 16-byte link before the header */
    CHECK_EQ((uintptr_t)u % 16, 0);
    rc_decref(u);
    rc_decref(p);
}

/* ------------------------------------------------------ trashcan */

typedef struct Link {
    rc_object ob;
    struct Link *next;
} Link;
static void link_dealloc(rc_object *self) { rc_clear(&((Link *)self)->next); }
static int link_traverse(rc_object *self, rc_visitproc visit, void *arg) {
    Link *l = (Link *)self;
    return l->next ? visit((rc_object *)l->next, arg) : 0;
}
static const rc_type Link_type = {.ob_base = RC_STATIC_TYPE_HEAD, .name = "Link",
                                  .basic_size = sizeof(Link), .dealloc = link_dealloc};
static const rc_type GcLink_type = {.ob_base = RC_STATIC_TYPE_HEAD, .name = "GcLink",
                                    .basic_size = sizeof(Link), .flags = RC_TYPE_GC | RC_TYPE_TRACK,
                                    .traverse = link_traverse, .dealloc = link_dealloc};

static long chain_length(void) { return getenv("RCGC_TEST_QUICK") ? 200000 : 10000000; }

static void free_chain(const rc_type *t) {
    long n = chain_length();
    Link *head = NULL;
    for (long i = 0; i < n; i++) {
        Link *l = rc_object_new(t);
        if (!l) {
            CHECK(0);
            break;
        }
        l->next = head;
        head = l;
    }
    CHECK_EQ(check_blocks_in_use(), n);
    rc_decref(head);                     /* one decref frees all of them */
    CHECK_EQ(check_blocks_in_use(), 0);
}

static void test_trashcan_long_chain(void) { free_chain(&Link_type); }
static void test_trashcan_long_gc_chain(void) { free_chain(&GcLink_type); }

int main(void) {
    RUN(test_refcounting);
    RUN(test_immortal);
    RUN(test_clear_and_setref);
    RUN(test_simple);
    RUN(test_simple_resurrect);
    RUN(test_non_gc_resurrect);
    RUN(test_legacy_del_resurrect);
    RUN(test_heap_type_kept_alive);
    RUN(test_varobject);
    RUN(test_tracking);
    RUN(test_bad_types);
    RUN(test_trashcan_long_chain);
    RUN(test_trashcan_long_gc_chain);
    return check_summary("test_object");
}
