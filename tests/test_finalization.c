/*
 * test_finalization.c - ports of CPython's Lib/test/test_finalization.py
 * (PEP 442 finalizer semantics), test for test, with the same names
 * (Class_test_name) and the same expectations.
 *
 * How the Python classes map:
 *   - NonGCSimpleBase.__del__ (record the call, check sanity, run a side
 *     effect) is the finalize hook base_del; the side effect and the sanity
 *     checks depend on the class, looked up by class name in `kinds`.
 *   - SimpleBase.__init__ stores id_ = id(self): here the attribute "id_"
 *     holds an int with the object's address.
 *   - NonGC / NonGCResurrector (@without_gc) are static types without
 *     RC_TYPE_GC: no FINALIZED bit, so their finalizer may run twice.
 *   - Legacy* (@with_tp_del) classes get the `del` hook (tp_del) too, and
 *     their finalize hook records the call without a side effect.
 *   - the lists del_calls, tp_del_calls hold ids (addresses); survivors is
 *     an rcgc list holding real references, as Python's does.
 * Weak references do not exist yet (issue 5): the `wr = weakref.ref(s)`
 * lines and their assertions are left out, marked "weakref:" below.
 *
 * Every expected number was checked against CPython 3.11.7 (the collect()
 * return values in the chain tests were printed from an instrumented copy
 * of test_finalization.py).
 */
#include "support.h"

/* ------------------------------------------------------------ records */

#define MAX_CALLS 64
static intptr_t del_calls[MAX_CALLS], tp_del_calls[MAX_CALLS];
static int n_del_calls, n_tp_del_calls;
static rc_object *survivors;   /* list */
static int errors;             /* failed sanity checks inside finalizers */
static int cleaning;           /* NonGCSimpleBase._cleaning */

static void record(intptr_t *calls, int *n, const void *self) {
    if (*n < MAX_CALLS)
        calls[(*n)++] = (intptr_t)self;
    else
        errors++;
}

static int cmp_intptr(const void *a, const void *b) {
    intptr_t x = *(const intptr_t *)a, y = *(const intptr_t *)b;
    return x < y ? -1 : x > y;
}

/* sorted(got) == sorted(want) */
static int same_ids(const intptr_t *got, int ngot, const intptr_t *want, int nwant) {
    if (ngot != nwant)
        return 0;
    if (ngot == 0)
        return 1;
    intptr_t a[MAX_CALLS], b[MAX_CALLS];
    memcpy(a, got, (size_t)ngot * sizeof *a);
    memcpy(b, want, (size_t)nwant * sizeof *b);
    qsort(a, (size_t)ngot, sizeof *a, cmp_intptr);
    qsort(b, (size_t)nwant, sizeof *b, cmp_intptr);
    return memcmp(a, b, (size_t)ngot * sizeof *a) == 0;
}

static int survivors_are(const intptr_t *want, int nwant) {
    intptr_t got[MAX_CALLS];
    intptr_t n = rc_list_size(survivors);
    if (n > MAX_CALLS)
        return 0;
    for (intptr_t i = 0; i < n; i++)
        got[i] = (intptr_t)rc_list_get(survivors, i);
    return same_ids(got, (int)n, want, nwant);
}

static int garbage_is(const intptr_t *want, int nwant) {
    rc_object *g = rc_gc_garbage();
    intptr_t got[MAX_CALLS];
    intptr_t n = rc_list_size(g);
    if (n > MAX_CALLS)
        return 0;
    for (intptr_t i = 0; i < n; i++)
        got[i] = (intptr_t)rc_list_get(g, i);
    return same_ids(got, (int)n, want, nwant);
}

#define assert_del_calls(ids, n) CHECK(same_ids(del_calls, n_del_calls, ids, n))
#define assert_tp_del_calls(ids, n) CHECK(same_ids(tp_del_calls, n_tp_del_calls, ids, n))
#define assert_survivors(ids, n) CHECK(survivors_are(ids, n))
#define assert_garbage(ids, n) CHECK(garbage_is(ids, n))

/* ------------------------------------------------------------ kinds */

enum { SANE_SIMPLE = 1, SANE_SELFCYCLE = 2, SANE_CHAINED = 4 };
enum { FX_NONE, FX_RESURRECT, FX_SUICIDE_SELF, FX_SUICIDE_CHAIN };

typedef struct kind {
    const char *name;
    int sanity;     /* SANE_* checks of check_sanity */
    int effect;     /* side_effect */
    int legacy;     /* @with_tp_del: __del__ records only, tp_del runs the effect */
} kind;

static const kind kinds[] = {
    {"NonGC", 0, FX_NONE, 0},
    {"NonGCResurrector", 0, FX_RESURRECT, 0},
    {"Simple", SANE_SIMPLE, FX_NONE, 0},
    {"SimpleResurrector", SANE_SIMPLE, FX_RESURRECT, 0},
    {"SimpleSelfCycle", SANE_SIMPLE | SANE_SELFCYCLE, FX_NONE, 0},
    {"SelfCycleResurrector", SANE_SIMPLE | SANE_SELFCYCLE, FX_RESURRECT, 0},
    {"SuicidalSelfCycle", SANE_SIMPLE | SANE_SELFCYCLE, FX_SUICIDE_SELF, 0},
    {"SimpleChained", SANE_SIMPLE | SANE_CHAINED, FX_NONE, 0},
    {"ChainedResurrector", SANE_SIMPLE | SANE_CHAINED, FX_RESURRECT, 0},
    {"SuicidalChained", SANE_SIMPLE | SANE_CHAINED, FX_SUICIDE_CHAIN, 0},
    {"Legacy", SANE_SIMPLE, FX_NONE, 1},
    {"LegacyResurrector", SANE_SIMPLE, FX_RESURRECT, 1},
    {"LegacySelfCycle", SANE_SIMPLE | SANE_SELFCYCLE, FX_NONE, 1},
};

static const kind *kind_of(const rc_object *self) {
    const char *name = rc_type_name(self);
    for (size_t i = 0; i < sizeof kinds / sizeof kinds[0]; i++)
        if (!strcmp(kinds[i].name, name))
            return &kinds[i];
    return NULL;
}

static void sane(int cond) {
    if (!cond)
        errors++;
}

static int is_true_attr(const rc_object *o, const char *name) {
    rc_object *v = rc_getattr_borrowed(o, name);
    return v == rc_True;
}

/* check_sanity() of the class's MRO. */
static void check_sanity(rc_object *self, const kind *k) {
    if (k->sanity & SANE_SIMPLE) {          /* assert self.id_ == id(self) */
        rc_object *id = rc_getattr_borrowed(self, "id_");
        sane(id && ival(id) == (int64_t)(intptr_t)self);
    }
    if (k->sanity & SANE_SELFCYCLE)         /* assert self.ref is self */
        sane(rc_getattr_borrowed(self, "ref") == self);
    if (k->sanity & SANE_CHAINED) {
        rc_object *left = rc_getattr_borrowed(self, "left");
        rc_object *right = rc_getattr_borrowed(self, "right");
        sane(left && right);
        if (!left || !right)
            return;
        if (is_true_attr(self, "suicided")) {
            sane(left == rc_None);
            sane(right == rc_None);
        } else {
            if (is_true_attr(left, "suicided"))
                sane(rc_getattr_borrowed(left, "right") == rc_None);
            else
                sane(rc_getattr_borrowed(left, "right") == self);
            if (is_true_attr(right, "suicided"))
                sane(rc_getattr_borrowed(right, "left") == rc_None);
            else
                sane(rc_getattr_borrowed(right, "left") == self);
        }
    }
    rc_error_clear();
}

static void side_effect(rc_object *self, const kind *k) {
    switch (k->effect) {
    case FX_RESURRECT:          /* self.survivors.append(self) */
        rc_list_append(survivors, self);
        break;
    case FX_SUICIDE_SELF:       /* self.ref = None */
        rc_setattr(self, "ref", rc_None);
        break;
    case FX_SUICIDE_CHAIN:      /* suicided = True; left = right = None */
        rc_setattr(self, "suicided", rc_True);
        rc_setattr(self, "left", rc_None);
        rc_setattr(self, "right", rc_None);
        break;
    }
}

/* What both finalizer hooks do: ignore calls during cleanup, count an
 * unknown object as an error, else record the call in (calls, n), check
 * sanity and, if with_effect, perform the kind's side effect. */
static void finalizer_hook(rc_object *self, intptr_t *calls, int *n, int with_effect) {
    if (cleaning)
        return;
    const kind *k = kind_of(self);
    if (!k) {
        errors++;
        return;
    }
    record(calls, n, self);
    check_sanity(self, k);
    if (with_effect)
        side_effect(self, k);
}

/* NonGCSimpleBase.__del__ (and LegacyBase.__del__ for legacy kinds, whose
 * side effect happens in __tp_del__ instead). */
static void base_del(rc_object *self) {
    const kind *k = kind_of(self);
    finalizer_hook(self, del_calls, &n_del_calls, !(k && k->legacy));
}

/* LegacyBase.__tp_del__ */
static void base_tp_del(rc_object *self) {
    finalizer_hook(self, tp_del_calls, &n_tp_del_calls, 1);
}

/* @without_gc classes: non-GC static types (__slots__ = (), no id_). */
static const rc_type NonGC_type = {.ob_base = RC_STATIC_TYPE_HEAD, .name = "NonGC",
                                   .basic_size = sizeof(rc_object), .finalize = base_del};
static const rc_type NonGCResurrector_type = {.ob_base = RC_STATIC_TYPE_HEAD,
                                              .name = "NonGCResurrector",
                                              .basic_size = sizeof(rc_object),
                                              .finalize = base_del};

static rc_object *make_class(const char *name) {
    const kind *k = NULL;
    for (size_t i = 0; i < sizeof kinds / sizeof kinds[0]; i++)
        if (!strcmp(kinds[i].name, name))
            k = &kinds[i];
    rc_class_options o;
    rc_class_options_init(&o);
    o.finalize = base_del;
    if (k && k->legacy)
        o.del = base_tp_del;
    rc_object *c = rc_class_new(name, &o);
    CHECK(c != NULL);
    return c;
}

/* cls(): SimpleBase.__init__ sets id_; SelfCycleBase.__init__ sets ref. */
static rc_object *make(rc_object *cls) {
    rc_object *o = rc_new_instance(cls);
    CHECK(o != NULL);
    rc_object *id = rc_int_from((int64_t)(intptr_t)o);
    rc_setattr(o, "id_", id);
    rc_decref(id);
    const kind *k = kind_of(o);
    if (k && (k->sanity & SANE_SELFCYCLE))
        rc_setattr(o, "ref", o);
    return o;
}

/* `with SimpleBase.test():` enter: support.disable_gc(), clear the records. */
static int was_enabled;
static void begin(void) {
    was_enabled = rc_gc_disable();
    n_del_calls = n_tp_del_calls = 0;
    errors = 0;
    cleaning = 0;
    if (!survivors)
        survivors = rc_list_new(0);
}

/* ... exit: `if cls.errors: raise`, then _cleaning = True and _cleanup(). */
static void end(void) {
    CHECK_EQ(errors, 0);
    cleaning = 1;
    rc_list_clear(survivors);
    errors = 0;
    rc_list_clear(rc_gc_garbage());
    rc_gc_collect(2);
    n_del_calls = n_tp_del_calls = 0;
    if (was_enabled)
        rc_gc_enable();
}

/* TestBase.tearDown: nothing here may put anything in gc.garbage. */
static void teardown(void) {
    CHECK_EQ(rc_list_size(rc_gc_garbage()), 0);
    rc_clear(&survivors);
    CHECK_EQ(rc_gc_collect(2), 0);
}

/* ====================================================================
 * SimpleFinalizationTest: finalization without reference cycles
 * ================================================================== */

/* A single object that dies and stays dead: drop the last reference to s
 * (made after begin()), collect (want_collected: CPython 3.11's count),
 * then collect again - __del__ ran exactly once and nothing survived.
 * in_cycle: only the collector can find it, so no __del__ ran before. */
static void check_single_dies(rc_object *s, int in_cycle, intptr_t want_collected) {
    intptr_t ids[] = {(intptr_t)s};
    /* weakref: wr = weakref.ref(s) */
    rc_decref(s);
    if (in_cycle)
        CHECK_EQ(n_del_calls, 0);
    CHECK_EQ(rc_gc_collect(2), want_collected);
    assert_del_calls(ids, 1);
    assert_survivors(NULL, 0);
    /* weakref: self.assertIs(wr(), None) */
    CHECK_EQ(rc_gc_collect(2), 0);
    assert_del_calls(ids, 1);
    assert_survivors(NULL, 0);
    end();
    teardown();
}

/* check_single_dies for one instance of the test class `name`. */
static void check_single_instance_dies(const char *name, int in_cycle,
                                       intptr_t want_collected) {
    rc_object *cls = make_class(name);
    begin();
    check_single_dies(make(cls), in_cycle, want_collected);
    rc_decref(cls);
}

static void SimpleFinalizationTest_test_simple(void) {
    check_single_instance_dies("Simple", 0, 0);
}

static void SimpleFinalizationTest_test_simple_resurrect(void) {
    rc_object *SimpleResurrector = make_class("SimpleResurrector");
    begin();
    rc_object *s = make(SimpleResurrector);
    intptr_t ids[] = {(intptr_t)s};
    rc_decref(s);
    CHECK_EQ(rc_gc_collect(2), 0);
    assert_del_calls(ids, 1);
    assert_survivors(ids, 1);
    /* weakref: self.assertIsNot(wr(), None) - the survivor is intact: */
    CHECK(rc_list_size(survivors) == 1 && rc_gc_is_tracked(rc_list_get(survivors, 0)));
    rc_list_clear(survivors);        /* self.clear_survivors() */
    CHECK_EQ(rc_gc_collect(2), 0);
    assert_del_calls(ids, 1);        /* __del__ not called again */
    assert_survivors(NULL, 0);
    end();
    /* weakref: self.assertIs(wr(), None) */
    teardown();
    rc_decref(SimpleResurrector);
}

static void SimpleFinalizationTest_test_non_gc(void) {
    begin();
    rc_object *s = rc_object_new(&NonGC_type);
    CHECK(!rc_gc_is_tracked(s));
    check_single_dies(s, 0, 0);
}

static void SimpleFinalizationTest_test_non_gc_resurrect(void) {
    begin();
    rc_object *s = rc_object_new(&NonGCResurrector_type);
    CHECK(!rc_gc_is_tracked(s));
    intptr_t ids[] = {(intptr_t)s, (intptr_t)s};
    rc_decref(s);
    CHECK_EQ(rc_gc_collect(2), 0);
    assert_del_calls(ids, 1);
    assert_survivors(ids, 1);
    rc_list_clear(survivors);        /* dies again: __del__ runs again, resurrects */
    CHECK_EQ(rc_gc_collect(2), 0);
    assert_del_calls(ids, 2);        /* ids * 2 */
    assert_survivors(ids, 1);
    end();
    teardown();
}

/* ====================================================================
 * SelfCycleFinalizationTest: an object with a single reference to itself
 * ================================================================== */

static void SelfCycleFinalizationTest_test_simple(void) {
    /* a cycle: only the collector finds it */
    check_single_instance_dies("SimpleSelfCycle", 1, 1);
}

/* Test that __del__ can resurrect the object being finalized. */
static void SelfCycleFinalizationTest_test_simple_resurrect(void) {
    rc_object *SelfCycleResurrector = make_class("SelfCycleResurrector");
    begin();
    rc_object *s = make(SelfCycleResurrector);
    intptr_t ids[] = {(intptr_t)s};
    rc_decref(s);
    CHECK_EQ(rc_gc_collect(2), 0);   /* resurrected objects are not counted */
    assert_del_calls(ids, 1);
    assert_survivors(ids, 1);
    /* weakref: "XXX is this desirable?" self.assertIs(wr(), None) */
    /* the survivor was not cleared: its self-reference is intact */
    CHECK(rc_getattr_borrowed(rc_list_get(survivors, 0), "ref") == rc_list_get(survivors, 0));
    /* When trying to destroy the object a second time, __del__ isn't
     * called anymore (and the object isn't resurrected). */
    rc_list_clear(survivors);
    CHECK_EQ(rc_gc_collect(2), 1);
    assert_del_calls(ids, 1);
    assert_survivors(NULL, 0);
    end();
    teardown();
    rc_decref(SelfCycleResurrector);
}

/* The collector copes with an object that kills its last reference during
 * __del__. */
static void SelfCycleFinalizationTest_test_simple_suicide(void) {
    /* freed by its refcount during __del__: collect() 0 */
    check_single_instance_dies("SuicidalSelfCycle", 0, 0);
}

/* ====================================================================
 * CycleChainFinalizationTest: rings of objects (left/right links)
 * ================================================================== */

#define MAX_RING 8

/* build_chain: nodes = [cls() for cls in classes]; nodes[i].chain(nodes[i-1]) */
static void build_chain(const char *const *names, int n, rc_object **nodes,
                        rc_object **classes) {
    for (int i = 0; i < n; i++) {
        classes[i] = NULL;
        for (int j = 0; j < i && !classes[i]; j++)   /* one class per name */
            if (!strcmp(names[j], names[i]))
                classes[i] = rc_newref(classes[j]);
        if (!classes[i])
            classes[i] = make_class(names[i]);
        nodes[i] = make(classes[i]);
    }
    for (int i = 0; i < n; i++) {
        rc_object *self = nodes[i], *left = nodes[(i + n - 1) % n];
        rc_setattr(self, "suicided", rc_False);
        rc_setattr(self, "left", left);
        rc_setattr(left, "right", self);
    }
}

static void drop_classes(rc_object **classes, int n) {
    for (int i = 0; i < n; i++)
        rc_decref(classes[i]);
}

/* want_collected: CPython 3.11's gc.collect() for this ring. */
static void check_non_resurrecting_chain(const char *const *names, int n,
                                         intptr_t want_collected) {
    rc_object *nodes[MAX_RING], *classes[MAX_RING];
    intptr_t ids[MAX_RING];
    begin();
    build_chain(names, n, nodes, classes);
    for (int i = 0; i < n; i++)
        ids[i] = (intptr_t)nodes[i];
    for (int i = 0; i < n; i++)      /* del nodes */
        rc_decref(nodes[i]);
    CHECK_EQ(n_del_calls, 0);
    CHECK_EQ(rc_gc_collect(2), want_collected);
    assert_del_calls(ids, n);
    assert_survivors(NULL, 0);
    /* weakref: self.assertEqual([wr() for wr in wrs], [None] * N) */
    CHECK_EQ(rc_gc_collect(2), 0);
    assert_del_calls(ids, n);
    end();
    teardown();
    drop_classes(classes, n);
}

static void check_resurrecting_chain(const char *const *names, int n) {
    rc_object *nodes[MAX_RING], *classes[MAX_RING];
    intptr_t ids[MAX_RING], survivor_ids[MAX_RING];
    int nsurv = 0;
    begin();
    build_chain(names, n, nodes, classes);
    for (int i = 0; i < n; i++) {
        ids[i] = (intptr_t)nodes[i];
        if (kind_of(nodes[i])->effect == FX_RESURRECT)   /* isinstance SimpleResurrector */
            survivor_ids[nsurv++] = (intptr_t)nodes[i];
    }
    for (int i = 0; i < n; i++)
        rc_decref(nodes[i]);
    CHECK_EQ(rc_gc_collect(2), 0);   /* the whole ring is reachable from a survivor */
    assert_del_calls(ids, n);
    assert_survivors(survivor_ids, nsurv);
    /* weakref: "XXX desirable?" [wr() for wr in wrs] == [None] * N */
    /* The resurrected ring was not cleared: the survivors and the nodes
     * they reach still pass check_sanity. */
    for (intptr_t i = 0; i < rc_list_size(survivors); i++) {
        rc_object *s = rc_list_get(survivors, i);
        check_sanity(s, kind_of(s));
    }
    CHECK_EQ(errors, 0);
    rc_list_clear(survivors);        /* self.clear_survivors() */
    CHECK_EQ(rc_gc_collect(2), n);   /* CPython: RES2 == N; no __del__ runs again */
    assert_del_calls(ids, n);
    assert_survivors(NULL, 0);
    end();
    teardown();
    drop_classes(classes, n);
}

static void CycleChainFinalizationTest_test_homogenous(void) {
    static const char *const c[] = {"SimpleChained", "SimpleChained", "SimpleChained"};
    check_non_resurrecting_chain(c, 3, 3);
}

static void CycleChainFinalizationTest_test_homogenous_resurrect(void) {
    static const char *const c[] = {"ChainedResurrector", "ChainedResurrector",
                                    "ChainedResurrector"};
    check_resurrecting_chain(c, 3);
}

static void CycleChainFinalizationTest_test_homogenous_suicidal(void) {
    /* the suicides free every node by refcount during the finalizers */
    static const char *const c[] = {"SuicidalChained", "SuicidalChained", "SuicidalChained"};
    check_non_resurrecting_chain(c, 3, 0);
}

static void CycleChainFinalizationTest_test_heterogenous_suicidal_one(void) {
    static const char *const c[] = {"SuicidalChained", "SimpleChained", "SuicidalChained",
                                    "SimpleChained"};
    check_non_resurrecting_chain(c, 4, 0);
}

static void CycleChainFinalizationTest_test_heterogenous_suicidal_two(void) {
    /* the two Simple nodes still form a cycle after the suicides: 4 */
    static const char *const c[] = {"SuicidalChained", "SuicidalChained", "SimpleChained",
                                    "SimpleChained"};
    check_non_resurrecting_chain(c, 4, 4);
}

static void CycleChainFinalizationTest_test_heterogenous_resurrect_one(void) {
    static const char *const c[] = {"ChainedResurrector", "SimpleChained",
                                    "ChainedResurrector", "SimpleChained"};
    check_resurrecting_chain(c, 4);
}

static void CycleChainFinalizationTest_test_heterogenous_resurrect_two(void) {
    static const char *const c[] = {"ChainedResurrector", "SimpleChained", "SuicidalChained",
                                    "ChainedResurrector", "SimpleChained", "SuicidalChained"};
    check_resurrecting_chain(c, 6);
}

static void CycleChainFinalizationTest_test_heterogenous_resurrect_three(void) {
    static const char *const c[] = {"ChainedResurrector", "ChainedResurrector",
                                    "SimpleChained",      "SimpleChained",
                                    "SuicidalChained",    "SuicidalChained"};
    check_resurrecting_chain(c, 6);
}

/* ====================================================================
 * LegacyFinalizationTest: objects with a tp_del (the `del` hook)
 * ================================================================== */

/* LegacyFinalizationTest.tearDown cleans a bit more. */
static void legacy_teardown(void) {
    rc_list_clear(rc_gc_garbage());
    rc_gc_collect(2);
    teardown();
}

static void LegacyFinalizationTest_test_legacy(void) {
    rc_object *Legacy = make_class("Legacy");
    begin();
    rc_object *s = make(Legacy);
    intptr_t ids[] = {(intptr_t)s};
    rc_decref(s);
    CHECK_EQ(rc_gc_collect(2), 0);
    assert_del_calls(ids, 1);
    assert_tp_del_calls(ids, 1);
    assert_survivors(NULL, 0);
    CHECK_EQ(rc_gc_collect(2), 0);
    assert_del_calls(ids, 1);
    assert_tp_del_calls(ids, 1);
    end();
    legacy_teardown();
    rc_decref(Legacy);
}

static void LegacyFinalizationTest_test_legacy_resurrect(void) {
    rc_object *LegacyResurrector = make_class("LegacyResurrector");
    begin();
    rc_object *s = make(LegacyResurrector);
    intptr_t ids[] = {(intptr_t)s, (intptr_t)s};
    rc_decref(s);
    CHECK_EQ(rc_gc_collect(2), 0);
    assert_del_calls(ids, 1);
    assert_tp_del_calls(ids, 1);
    assert_survivors(ids, 1);
    /* weakref: weakrefs are cleared before tp_del is called */
    rc_list_clear(survivors);
    CHECK_EQ(rc_gc_collect(2), 0);
    assert_del_calls(ids, 1);        /* __del__ once (FINALIZED) */
    assert_tp_del_calls(ids, 2);     /* tp_del has no once flag */
    assert_survivors(ids, 1);
    end();
    legacy_teardown();
    rc_decref(LegacyResurrector);
}

/* Self-cycles with legacy finalizers end up in gc.garbage. */
static void LegacyFinalizationTest_test_legacy_self_cycle(void) {
    rc_object *LegacySelfCycle = make_class("LegacySelfCycle");
    begin();
    rc_object *s = make(LegacySelfCycle);
    intptr_t ids[] = {(intptr_t)s};
    rc_decref(s);
    CHECK_EQ(rc_gc_collect(2), 1);   /* counted, as uncollectable */
    assert_del_calls(NULL, 0);       /* neither __del__ nor tp_del runs */
    assert_tp_del_calls(NULL, 0);
    assert_survivors(NULL, 0);
    assert_garbage(ids, 1);
    /* weakref: self.assertIsNot(wr(), None) - it is intact: */
    CHECK(rc_getattr_borrowed((rc_object *)ids[0], "ref") == (rc_object *)ids[0]);
    /* Break the cycle to allow collection */
    rc_setattr(rc_list_get(rc_gc_garbage(), 0), "ref", rc_None);
    end();
    assert_garbage(NULL, 0);
    /* weakref: self.assertIs(wr(), None) */
    legacy_teardown();
    rc_decref(LegacySelfCycle);
}

/* Every test, run by main once with one heap and once with a second heap
 * alive (check.h: the collector's two collection paths). */
static void all_tests(void) {
    RUN(SimpleFinalizationTest_test_simple);
    RUN(SimpleFinalizationTest_test_simple_resurrect);
    RUN(SimpleFinalizationTest_test_non_gc);
    RUN(SimpleFinalizationTest_test_non_gc_resurrect);
    RUN(SelfCycleFinalizationTest_test_simple);
    RUN(SelfCycleFinalizationTest_test_simple_resurrect);
    RUN(SelfCycleFinalizationTest_test_simple_suicide);
    RUN(CycleChainFinalizationTest_test_homogenous);
    RUN(CycleChainFinalizationTest_test_homogenous_resurrect);
    RUN(CycleChainFinalizationTest_test_homogenous_suicidal);
    RUN(CycleChainFinalizationTest_test_heterogenous_suicidal_one);
    RUN(CycleChainFinalizationTest_test_heterogenous_suicidal_two);
    RUN(CycleChainFinalizationTest_test_heterogenous_resurrect_one);
    RUN(CycleChainFinalizationTest_test_heterogenous_resurrect_two);
    RUN(CycleChainFinalizationTest_test_heterogenous_resurrect_three);
    RUN(LegacyFinalizationTest_test_legacy);
    RUN(LegacyFinalizationTest_test_legacy_resurrect);
    RUN(LegacyFinalizationTest_test_legacy_self_cycle);
}

int main(void) { return run_collector_suite("test_finalization", all_tests); }
