/*
 * test_weakdict.c - the weak containers (include/rcgc/weakdict.h): ports
 * of CPython's Lib/test/test_weakref.py MappingTestCase and
 * Lib/test/test_weakset.py under their Python names (the weak set's get a
 * test_weakset_ prefix), then rcgc's own cases: the tutorials' cache, the
 * ephemeron weak-key dictionary (with the CPython leak shown by running
 * the same code under python3), errors, callbacks that free the container,
 * iteration rules, and out-of-memory paths with the fault injector.
 *
 * How Python maps here: Python's test `Object` (an int `arg`, equality and
 * hash by arg, weakly referenceable) is the static type Obj below, so a
 * new Obj equal to a dead one can be built as in the tests; `RefCycle` and
 * plain classes are rc_class_new classes; `gc.collect()` is
 * rc_gc_collect(2); iterating is rc_weak*_iter / next / rc_weakiter_end,
 * and `it = None` is rc_weakiter_end.
 */
#include "support.h"
#include "rcgc/weakdict.h"

/* ------------------------------------------------------------ helpers */

typedef struct Obj {
    rc_object ob;
    int64_t arg;
    rc_object *weaklist;
} Obj;

/* When set, called by every Obj comparison (test_weak_keyed_cascading_deletes). */
static void (*obj_eq_side_effect)(void);

static int64_t obj_hash(rc_object *self) { return ((Obj *)self)->arg & 0xffff; }

static int obj_eq(rc_object *self, rc_object *other) {
    if (obj_eq_side_effect)
        obj_eq_side_effect();
    return other->type == self->type && ((Obj *)self)->arg == ((Obj *)other)->arg;
}

static const rc_type Obj_type = {
    .ob_base = RC_STATIC_TYPE_HEAD, .name = "Object", .basic_size = sizeof(Obj),
    .flags = RC_TYPE_WEAKREF, .hash = obj_hash, .eq = obj_eq,
    .weaklist_offset = offsetof(Obj, weaklist),
};

/* Weakly referenceable but unhashable. */
static int64_t unhashable_hash(rc_object *self) {
    return rc_error_set(RC_ERR_TYPE, "unhashable type: '%s'", self->type->name);
}
static const rc_type Unhashable_type = {
    .ob_base = RC_STATIC_TYPE_HEAD, .name = "Unhashable", .basic_size = sizeof(Obj),
    .flags = RC_TYPE_WEAKREF, .hash = unhashable_hash,
    .weaklist_offset = offsetof(Obj, weaklist),
};

static rc_object *new_obj(int64_t arg) {
    Obj *o = rc_object_new(&Obj_type);
    CHECK(o != NULL);
    if (o)
        o->arg = arg;
    return &o->ob;
}

static int64_t obj_arg(const rc_object *o) { return o ? ((const Obj *)o)->arg : -1; }

static rc_object *new_class(const char *name) {
    rc_object *c = rc_class_new(name, NULL);
    CHECK(c != NULL);
    return c;
}

/* RefCycle(): an instance whose attribute `cycle` is itself. */
static rc_object *new_refcycle(rc_object *cls) {
    rc_object *o = rc_new_instance(cls);
    CHECK(o != NULL);
    CHECK_EQ(rc_setattr(o, "cycle", o), 0);
    return o;
}

/* A weak reference without callback (to watch an object die). */
static rc_object *watch(void *o) {
    rc_object *w = rc_weakref_new(o, NULL, NULL);
    CHECK(w != NULL);
    return w;
}

static int alive(rc_object *w) { return rc_weakref_is_alive(w) == 1; }

/* Drop the references in objs[0..n) and set them to NULL. */
static void drop_all(rc_object **objs, int n) {
    for (int i = 0; i < n; i++)
        rc_clear(&objs[i]);
}

/* Fill c, a WeakSet, WeakKeyDictionary or WeakValueDictionary, with
 * objs[i] = Object(i) for i < n: the set holds each, the weak-key dict
 * maps objs[i] to int(base + i), the weak-value dict int(base + i) to
 * objs[i]. */
static void fill(rc_object *c, rc_object **objs, int n, int64_t base) {
    for (int i = 0; i < n; i++) {
        objs[i] = new_obj(i);
        rc_object *k = rc_int_from(base + i);
        if (c->type == &rc_weakset_type)
            rc_weakset_add(c, objs[i]);
        else if (c->type == &rc_weakkeydict_type)
            rc_weakkeydict_set(c, objs[i], k);
        else
            rc_weakvaluedict_set(c, k, objs[i]);
        rc_decref(k);
    }
}

/* How many more pairs an open weak-value / weak-key iteration yields (it
 * ends the iteration). */
static int drain_dict(rc_weakiter *it, int (*next)(rc_weakiter *, rc_object **, rc_object **)) {
    int n = 0;
    rc_object *k, *v;
    while (next(it, &k, &v) > 0) {
        n++;
        rc_decref(k);
        rc_decref(v);
    }
    return n;
}

static int drain_set(rc_weakiter *it) {
    int n = 0;
    rc_object *item;
    while (rc_weakset_next(it, &item) > 0) {
        n++;
        rc_decref(item);
    }
    return n;
}

/* ------------------------------------------------------------ basics */

/* MappingTestCase.test_weak_values: entries live as long as their values. */
static void test_weak_values(void) {
    rc_object *d = rc_weakvaluedict_new(), *objs[10];
    for (int i = 0; i < 10; i++) {
        objs[i] = new_obj(i);
        rc_object *k = rc_int_from(i);
        CHECK_EQ(rc_weakvaluedict_set(d, k, objs[i]), 0);
        rc_decref(k);
    }
    CHECK_EQ(rc_weakvaluedict_len(d), 10);
    for (int i = 0; i < 10; i++) {
        rc_object *k = rc_int_from(i), *v = rc_weakvaluedict_get(d, k);
        CHECK(v == objs[i]);
        CHECK_EQ(rc_weakvaluedict_contains(d, k), 1);
        rc_xdecref(v);
        rc_decref(k);
    }
    CHECK_EQ(rc_weakref_count(objs[0]), 1);   /* the dict's private reference */
    rc_clear(&objs[0]);
    CHECK_EQ(rc_weakvaluedict_len(d), 9);
    rc_object *k0 = rc_int_from(0);
    CHECK(rc_weakvaluedict_get(d, k0) == NULL);
    CHECK(error_is(RC_ERR_KEY, "0"));
    CHECK_EQ(rc_weakvaluedict_contains(d, k0), 0);
    rc_decref(k0);
    drop_all(objs, 10);
    CHECK_EQ(rc_weakvaluedict_len(d), 0);
    rc_decref(d);
}

/* get_ref is d.get(key): a hit gives a new reference, a miss (no entry,
 * or a dead value / key) gives 0 and leaves no error behind; other errors
 * are those of get. */
static void test_get_ref(void) {
    rc_object *vd = rc_weakvaluedict_new(), *kd = rc_weakkeydict_new();
    rc_object *a = new_obj(1), *b = new_obj(2), *k = rc_int_from(7), *other = rc_int_from(8);
    CHECK_EQ(rc_weakvaluedict_set(vd, k, a), 0);
    CHECK_EQ(rc_weakkeydict_set(kd, b, k), 0);
    rc_object *v = (rc_object *)1;
    int64_t rc_a = a->refcount;
    CHECK_EQ(rc_weakvaluedict_get_ref(vd, k, &v), 1);
    CHECK(v == a);
    CHECK_EQ(a->refcount, rc_a + 1);   /* a new reference */
    rc_clear(&v);
    CHECK_EQ(rc_weakkeydict_get_ref(kd, b, &v), 1);
    CHECK(v == k);
    rc_clear(&v);
    v = (rc_object *)1;
    CHECK_EQ(rc_weakvaluedict_get_ref(vd, other, &v), 0);   /* missing */
    CHECK(v == NULL);
    CHECK_EQ(rc_error_code(), RC_OK);
    CHECK_EQ(rc_weakkeydict_get_ref(kd, a, &v), 0);
    CHECK(v == NULL);
    CHECK_EQ(rc_error_code(), RC_OK);
    rc_clear(&a);                                            /* the value dies */
    v = (rc_object *)1;
    CHECK_EQ(rc_weakvaluedict_get_ref(vd, k, &v), 0);
    CHECK(v == NULL);
    CHECK_EQ(rc_error_code(), RC_OK);
    /* the errors other than the key error */
    rc_object *list = rc_list_new(0);
    v = (rc_object *)1;
    CHECK_EQ(rc_weakvaluedict_get_ref(vd, list, &v), -1);
    CHECK(error_is(RC_ERR_TYPE, "unhashable type: 'list'"));
    CHECK(v == NULL);
    CHECK_EQ(rc_weakkeydict_get_ref(kd, k, &v), -1);        /* int: no weak references */
    CHECK(error_is(RC_ERR_TYPE, "cannot create weak reference to 'int' object"));
    CHECK_EQ(rc_weakvaluedict_get_ref(kd, k, &v), -1);
    CHECK(error_is(RC_ERR_TYPE, "rc_weakvaluedict_get_ref: expected WeakValueDictionary"));
    CHECK_EQ(rc_weakvaluedict_get_ref(vd, NULL, &v), -1);
    CHECK(error_is(RC_ERR_INVALID, NULL));
    CHECK_EQ(rc_weakvaluedict_get_ref(vd, k, NULL), -1);
    CHECK(error_is(RC_ERR_INVALID, "NULL value pointer"));
    rc_decref(list);
    rc_decref(other);
    rc_decref(k);
    rc_decref(b);
    CHECK_EQ(rc_weakkeydict_len(kd), 0);
    rc_decref(vd);
    rc_decref(kd);
}

/* MappingTestCase.test_weak_keys: entries live as long as their keys; the
 * value goes with the entry. */
static void test_weak_keys(void) {
    rc_object *d = rc_weakkeydict_new(), *objs[10], *values[10];
    for (int i = 0; i < 10; i++) {
        objs[i] = new_obj(i);
        values[i] = new_obj(100 + i);
        CHECK_EQ(rc_weakkeydict_set(d, objs[i], values[i]), 0);
    }
    CHECK_EQ(rc_weakkeydict_len(d), 10);
    rc_object *probe = new_obj(3);   /* equal to objs[3], another object */
    rc_object *v = rc_weakkeydict_get(d, probe);
    CHECK(v == values[3]);
    rc_xdecref(v);
    CHECK_EQ(rc_weakkeydict_contains(d, probe), 1);
    rc_decref(probe);
    rc_object *w = watch(values[5]);
    drop_all(values, 10);             /* the dict holds the values */
    CHECK(alive(w));
    rc_clear(&objs[5]);
    CHECK(!alive(w));                 /* the value died with its entry */
    CHECK_EQ(rc_weakkeydict_len(d), 9);
    drop_all(objs, 10);
    CHECK_EQ(rc_weakkeydict_len(d), 0);
    rc_decref(w);
    rc_decref(d);
}

/* The weak set's basic operations. */
static void test_weakset_basics(void) {
    rc_object *s = rc_weakset_new(), *a = new_obj(1), *b = new_obj(2), *a2 = new_obj(1);
    CHECK(!rc_gc_is_tracked(s));
    CHECK_EQ(rc_weakset_add(s, a), 0);
    CHECK_EQ(rc_weakset_add(s, b), 0);
    CHECK_EQ(rc_weakset_add(s, a2), 0);   /* equal to a: a is kept */
    CHECK_EQ(rc_weakset_len(s), 2);
    CHECK_EQ(rc_weakset_contains(s, a2), 1);
    CHECK_EQ(rc_weakref_count(a2), 0);
    rc_clear(&a2);
    CHECK_EQ(rc_weakset_len(s), 2);
    CHECK_EQ(rc_weakset_discard(s, b), 1);
    CHECK_EQ(rc_weakset_discard(s, b), 0);
    CHECK_EQ(rc_weakset_len(s), 1);
    CHECK_EQ(rc_weakset_add(s, b), 0);
    rc_object *p = rc_weakset_pop(s);     /* the most recent */
    CHECK(p == b);
    rc_xdecref(p);
    rc_clear(&a);
    CHECK_EQ(rc_weakset_len(s), 0);
    CHECK(rc_weakset_pop(s) == NULL);
    CHECK(error_is(RC_ERR_KEY, "pop from empty WeakSet"));
    rc_decref(b);
    rc_decref(s);
}

/* MappingTestCase.test_weak_valued_iters / test_weak_keyed_iters (and the
 * set's): iteration and snapshots see every live entry in insertion order. */
static void test_weak_valued_iters(void) {
    rc_object *d = rc_weakvaluedict_new(), *objs[5];
    fill(d, objs, 5, 10);
    rc_weakiter it;
    CHECK_EQ(rc_weakvaluedict_iter(d, &it), 0);
    rc_object *k, *v;
    int i = 0;
    while (rc_weakvaluedict_next(&it, &k, &v) > 0) {
        CHECK_EQ(ival(k), 10 + i);
        CHECK(v == objs[i]);
        rc_decref(k);
        rc_decref(v);
        i++;
    }
    CHECK_EQ(i, 5);
    CHECK(it.container == NULL);   /* ended by itself */
    rc_object *keys = rc_weakvaluedict_keys(d), *values = rc_weakvaluedict_values(d),
              *items = rc_weakvaluedict_items(d);
    CHECK(repr_is(keys, "[10, 11, 12, 13, 14]"));
    CHECK_EQ(rc_list_size(values), 5);
    CHECK(rc_list_get(values, 2) == objs[2]);
    CHECK_EQ(rc_list_size(items), 5);
    CHECK_EQ(ival(rc_tuple_get(rc_list_get(items, 4), 0)), 14);
    CHECK(rc_tuple_get(rc_list_get(items, 4), 1) == objs[4]);
    DECREF_ALL(keys, values, items);
    drop_all(objs, 5);
    rc_decref(d);
}

static void test_weak_keyed_iters(void) {
    rc_object *d = rc_weakkeydict_new(), *objs[5];
    fill(d, objs, 5, 100);
    rc_weakiter it;
    CHECK_EQ(rc_weakkeydict_iter(d, &it), 0);
    rc_object *k, *v;
    int i = 0;
    while (rc_weakkeydict_next(&it, &k, NULL) > 0) {   /* keys only */
        CHECK(k == objs[i]);
        rc_decref(k);
        i++;
    }
    CHECK_EQ(i, 5);
    rc_weakkeydict_iter(d, &it);
    CHECK_EQ(rc_weakkeydict_next(&it, NULL, &v), 1);   /* values only */
    CHECK_EQ(ival(v), 100);
    rc_decref(v);
    rc_weakiter_end(&it);
    rc_weakiter_end(&it);   /* twice is fine */
    rc_object *items = rc_weakkeydict_items(d), *values = rc_weakkeydict_values(d);
    CHECK(repr_is(values, "[100, 101, 102, 103, 104]"));
    CHECK(rc_tuple_get(rc_list_get(items, 1), 0) == objs[1]);
    rc_decref(items);
    rc_decref(values);
    drop_all(objs, 5);
    rc_decref(d);
}

static void test_weakset_iters(void) {
    rc_object *s = rc_weakset_new(), *objs[4];
    fill(s, objs, 4, 0);
    rc_weakiter it;
    rc_weakset_iter(s, &it);
    CHECK_EQ(drain_set(&it), 4);
    rc_object *items = rc_weakset_items(s);
    CHECK_EQ(rc_list_size(items), 4);
    CHECK(rc_list_get(items, 3) == objs[3]);
    rc_decref(items);
    drop_all(objs, 4);
    rc_decref(s);
}

/* ------------------------------------------------ removal during iteration */

/* check_weak_destroy_while_iterating: one object dies while an iteration is
 * open (after its first item); the iteration goes on without it or with
 * it, and once it ends the removal is committed. */
static void test_weak_values_destroy_while_iterating(void) {
    rc_object *d = rc_weakvaluedict_new(), *objs[10];
    fill(d, objs, 10, 0);
    rc_weakiter it;
    rc_object *k, *v;
    rc_weakvaluedict_iter(d, &it);
    CHECK_EQ(rc_weakvaluedict_next(&it, &k, &v), 1);
    rc_decref(k);
    rc_decref(v);
    rc_clear(&objs[9]);   /* del objects[-1] */
    rc_gc_collect(2);
    CHECK_EQ(rc_weakvaluedict_len(d), 9);   /* dead entries are never counted */
    int rest = drain_dict(&it, rc_weakvaluedict_next);
    CHECK(rest == 8);
    CHECK_EQ(rc_weakvaluedict_len(d), 9);   /* and the removal was committed */
    drop_all(objs, 10);
    rc_decref(d);
}

static void test_weak_keys_destroy_while_iterating(void) {
    rc_object *d = rc_weakkeydict_new(), *objs[10];
    for (int i = 0; i < 10; i++) {
        objs[i] = new_obj(i);
        rc_weakkeydict_set(d, objs[i], rc_None);
    }
    rc_weakiter it;
    rc_object *k, *v;
    rc_weakkeydict_iter(d, &it);
    CHECK_EQ(rc_weakkeydict_next(&it, &k, &v), 1);
    rc_decref(k);
    rc_decref(v);
    rc_clear(&objs[9]);
    rc_gc_collect(2);
    CHECK_EQ(drain_dict(&it, rc_weakkeydict_next), 8);
    CHECK_EQ(rc_weakkeydict_len(d), 9);
    drop_all(objs, 10);
    rc_decref(d);
}

/* test_weakset.TestWeakSet.test_weak_destroy_while_iterating */
static void test_weakset_weak_destroy_while_iterating(void) {
    rc_object *s = rc_weakset_new(), *objs[10];
    fill(s, objs, 10, 0);
    rc_weakiter it;
    rc_object *item;
    rc_weakset_iter(s, &it);
    CHECK_EQ(rc_weakset_next(&it, &item), 1);
    rc_decref(item);
    rc_clear(&objs[9]);
    rc_gc_collect(2);
    CHECK_EQ(drain_set(&it), 8);
    CHECK_EQ(rc_weakset_len(s), 9);
    drop_all(objs, 10);
    rc_decref(s);
}

/* check_weak_destroy_and_mutate_while_iterating: the test context opens an
 * iteration, takes one item, makes the last object die (its removal is
 * deferred) and offers a fresh key/value equal to the dead one; the test
 * then mutates the container explicitly, and the deferred removal must not
 * undo it when the iteration ends. */
typedef struct {
    rc_object *c;          /* the container */
    const rc_type *type;
    rc_object *objs[10];
    int nobjs;
    rc_weakiter it;
    rc_object *k, *v;      /* the fresh pair */
} mutate_ctx;

static void ctx_enter(mutate_ctx *x) {
    rc_object *a = NULL, *b = NULL;
    if (x->type == &rc_weakset_type) {
        rc_weakset_iter(x->c, &x->it);
        rc_weakset_next(&x->it, &a);
    } else if (x->type == &rc_weakkeydict_type) {
        rc_weakkeydict_iter(x->c, &x->it);
        rc_weakkeydict_next(&x->it, &a, &b);
    } else {
        rc_weakvaluedict_iter(x->c, &x->it);
        rc_weakvaluedict_next(&x->it, &a, &b);
    }
    rc_xdecref(a);
    rc_xdecref(b);
    int64_t arg = obj_arg(x->objs[x->nobjs - 1]);
    rc_clear(&x->objs[--x->nobjs]);   /* objects.pop() */
    rc_gc_collect(2);
    /* weak-key dict and set: yield Object(v), v; weak-value: yield k, Object(k) */
    if (x->type == &rc_weakvaluedict_type) {
        x->k = rc_int_from(arg);
        x->v = new_obj(arg);
    } else {
        x->k = new_obj(arg);
        x->v = rc_int_from(arg);
    }
}

static void ctx_exit(mutate_ctx *x) {
    rc_weakiter_end(&x->it);   /* it = None: commits the removals */
    rc_gc_collect(2);
}

static void ctx_release(mutate_ctx *x) {
    rc_clear(&x->k);
    rc_clear(&x->v);
}

static int ctx_contains(mutate_ctx *x) {
    if (x->type == &rc_weakset_type)
        return rc_weakset_contains(x->c, x->k);
    if (x->type == &rc_weakkeydict_type)
        return rc_weakkeydict_contains(x->c, x->k);
    return rc_weakvaluedict_contains(x->c, x->k);
}

static intptr_t ctx_len(mutate_ctx *x) {
    if (x->type == &rc_weakset_type)
        return rc_weakset_len(x->c);
    if (x->type == &rc_weakkeydict_type)
        return rc_weakkeydict_len(x->c);
    return rc_weakvaluedict_len(x->c);
}

static void check_weak_destroy_and_mutate_while_iterating(mutate_ctx *x) {
    int is_set = x->type == &rc_weakset_type, is_wk = x->type == &rc_weakkeydict_type;
    /* with testcontext() as (k, v): self.assertNotIn(k, dict) */
    ctx_enter(x);
    CHECK_EQ(ctx_contains(x), 0);
    ctx_exit(x);
    ctx_release(x);
    /* assertRaises(KeyError, dict.__delitem__, k) (a set: remove) */
    ctx_enter(x);
    if (is_set) {
        CHECK_EQ(rc_weakset_discard(x->c, x->k), 0);
    } else {
        CHECK_EQ(is_wk ? rc_weakkeydict_del(x->c, x->k) : rc_weakvaluedict_del(x->c, x->k), -1);
        CHECK(error_is(RC_ERR_KEY, NULL));
    }
    ctx_exit(x);
    CHECK_EQ(ctx_contains(x), 0);
    ctx_release(x);
    /* assertRaises(KeyError, dict.pop, k) */
    if (!is_set) {
        ctx_enter(x);
        CHECK(!(is_wk ? rc_weakkeydict_pop(x->c, x->k) : rc_weakvaluedict_pop(x->c, x->k)));
        CHECK(error_is(RC_ERR_KEY, NULL));
        ctx_exit(x);
        CHECK_EQ(ctx_contains(x), 0);
        ctx_release(x);
    }
    /* dict[k] = v inside; afterwards dict[k] == v */
    ctx_enter(x);
    rc_object *keep = rc_newref(is_wk || is_set ? x->k : x->v);   /* keep the weak side alive */
    if (is_set)
        CHECK_EQ(rc_weakset_add(x->c, x->k), 0);
    else
        CHECK_EQ(is_wk ? rc_weakkeydict_set(x->c, x->k, x->v)
                       : rc_weakvaluedict_set(x->c, x->k, x->v), 0);
    ctx_exit(x);
    CHECK_EQ(ctx_contains(x), 1);
    if (!is_set) {
        rc_object *got = is_wk ? rc_weakkeydict_get(x->c, x->k) : rc_weakvaluedict_get(x->c, x->k);
        CHECK(got == x->v);
        rc_xdecref(got);
    }
    ctx_release(x);
    rc_decref(keep);   /* that entry dies now */
    /* dict.clear() inside; afterwards empty */
    ctx_enter(x);
    if (is_set)
        rc_weakset_clear(x->c);
    else
        CHECK_EQ(is_wk ? rc_weakkeydict_clear(x->c) : rc_weakvaluedict_clear(x->c), 0);
    ctx_exit(x);
    CHECK_EQ(ctx_len(x), 0);
    ctx_release(x);
}

static void run_destroy_and_mutate(const rc_type *type) {
    mutate_ctx x;
    memset(&x, 0, sizeof x);
    x.type = type;
    x.c = type == &rc_weakset_type ? rc_weakset_new()
          : type == &rc_weakkeydict_type ? rc_weakkeydict_new() : rc_weakvaluedict_new();
    x.nobjs = 10;
    fill(x.c, x.objs, 10, 0);
    check_weak_destroy_and_mutate_while_iterating(&x);
    drop_all(x.objs, 10);
    rc_decref(x.c);
}

static void test_weak_values_destroy_and_mutate_while_iterating(void) {
    run_destroy_and_mutate(&rc_weakvaluedict_type);
}
static void test_weak_keys_destroy_and_mutate_while_iterating(void) {
    run_destroy_and_mutate(&rc_weakkeydict_type);
}
static void test_weakset_weak_destroy_and_mutate_while_iterating(void) {
    run_destroy_and_mutate(&rc_weakset_type);
}

/* A value that dies while its removal is deferred, then gets a new value
 * under the same key: the deferred removal only removes an entry that still
 * holds the dead reference (_remove_dead_weakref), so the new one stays. */
static void test_deferred_removal_spares_replaced_entry(void) {
    rc_object *d = rc_weakvaluedict_new(), *a = new_obj(1), *b = new_obj(2);
    rc_object *k = rc_str_from("key");
    rc_weakvaluedict_set(d, k, a);
    rc_weakiter it;
    rc_weakvaluedict_iter(d, &it);
    rc_clear(&a);                          /* dies: removal deferred */
    CHECK_EQ(rc_weakvaluedict_len(d), 0);
    CHECK_EQ(rc_weakvaluedict_set(d, k, b), 0);   /* same key, revived in place */
    CHECK_EQ(rc_weakvaluedict_len(d), 1);
    rc_object *key, *value;
    CHECK_EQ(rc_weakvaluedict_next(&it, &key, &value), 1);   /* no key added: allowed */
    CHECK(value == b);
    rc_decref(key);
    rc_decref(value);
    rc_weakiter_end(&it);
    CHECK_EQ(rc_weakvaluedict_len(d), 1);
    rc_object *got = rc_weakvaluedict_get(d, k);
    CHECK(got == b);
    rc_xdecref(got);
    rc_decref(k);
    rc_decref(b);
    CHECK_EQ(rc_weakvaluedict_len(d), 0);
    rc_decref(d);
}

/* Removals deferred by an iteration, then a rebuild of the table (new
 * keys while the iteration is open move every entry): each removal still
 * finds its own entry, at its new position, and nothing else goes. */
static void test_deferred_removal_across_rebuild(void) {
    enum { N = 8, MORE = 200 };
    rc_object *d = rc_weakvaluedict_new(), *objs[N + MORE];
    fill(d, objs, N, 0);
    rc_weakiter it;
    rc_weakvaluedict_iter(d, &it);
    for (int i = 0; i < N; i += 2)
        rc_clear(&objs[i]);                     /* dead: removals deferred */
    int64_t before = rc_sizeof(d);
    for (int i = N; i < N + MORE; i++) {        /* grows: entries move */
        rc_object *k = rc_int_from(i);
        objs[i] = new_obj(i);
        CHECK_EQ(rc_weakvaluedict_set(d, k, objs[i]), 0);
        rc_decref(k);
    }
    CHECK(rc_sizeof(d) > before);
    rc_weakiter_end(&it);                       /* the removals run now */
    CHECK_EQ(rc_weakvaluedict_len(d), N / 2 + MORE);
    int bad = 0;
    for (int i = 0; i < N + MORE; i++) {
        rc_object *k = rc_int_from(i), *v = rc_weakvaluedict_get(d, k);
        bad += objs[i] ? v != objs[i] : v != NULL;
        if (!v)
            rc_error_clear();
        rc_xdecref(v);
        rc_decref(k);
    }
    CHECK_EQ(bad, 0);
    drop_all(objs, N + MORE);
    CHECK_EQ(rc_weakvaluedict_len(d), 0);
    rc_decref(d);
}

/* Nested iterations: removals wait for the outermost to end. */
static void test_nested_iteration_guards(void) {
    rc_object *s = rc_weakset_new(), *objs[3];
    fill(s, objs, 3, 0);
    rc_weakiter outer, inner;
    rc_weakset_iter(s, &outer);
    rc_weakset_iter(s, &inner);
    rc_clear(&objs[1]);
    CHECK_EQ(drain_set(&inner), 2);
    CHECK_EQ(rc_weakset_len(s), 2);
    CHECK_EQ(drain_set(&outer), 2);
    CHECK_EQ(rc_weakset_len(s), 2);
    CHECK_EQ(rc_sizeof(s) > 0, 1);
    drop_all(objs, 3);
    rc_decref(s);
}

/* Adding a key while iterating invalidates the iteration (as a dict's);
 * removing does not. */
static void test_iteration_add_key_is_runtime_error(void) {
    rc_object *d = rc_weakvaluedict_new(), *objs[4];
    fill(d, objs, 4, 0);
    rc_weakiter it;
    rc_object *k, *v;
    rc_weakvaluedict_iter(d, &it);
    CHECK_EQ(rc_weakvaluedict_next(&it, &k, &v), 1);
    rc_decref(v);
    CHECK_EQ(rc_weakvaluedict_del(d, k), 0);   /* removing the current key */
    rc_decref(k);
    rc_object *two = rc_int_from(2);
    CHECK_EQ(rc_weakvaluedict_del(d, two), 0);   /* and one ahead */
    CHECK_EQ(rc_weakvaluedict_next(&it, &k, &v), 1);
    CHECK_EQ(ival(k), 1);
    rc_decref(k);
    rc_decref(v);
    CHECK_EQ(rc_weakvaluedict_set(d, two, objs[2]), 0);   /* adding: the iteration is over */
    CHECK_EQ(rc_weakvaluedict_next(&it, &k, &v), -1);
    CHECK(error_is(RC_ERR_RUNTIME, "WeakValueDictionary changed size during iteration"));
    CHECK(it.container == NULL);
    CHECK_EQ(rc_weakvaluedict_next(&it, &k, &v), 0);
    rc_decref(two);
    CHECK_EQ(rc_weakvaluedict_len(d), 3);
    drop_all(objs, 4);
    rc_decref(d);
}

/* --------------------------------------------------------- len and cycles */

/* check_len_cycles: objects in reference cycles die in a collection while
 * an iteration is open; the length is right at once and after the end. */
static void check_len_cycles(const rc_type *type) {
    enum { N = 20 };
    rc_object *cls = new_class("RefCycle"), *items[N];
    rc_object *c = type == &rc_weakset_type ? rc_weakset_new()
                   : type == &rc_weakkeydict_type ? rc_weakkeydict_new() : rc_weakvaluedict_new();
    for (int i = 0; i < N; i++) {
        items[i] = new_refcycle(cls);
        rc_object *k = rc_int_from(i);
        if (type == &rc_weakset_type)
            rc_weakset_add(c, items[i]);
        else if (type == &rc_weakkeydict_type)
            rc_weakkeydict_set(c, items[i], k);
        else
            rc_weakvaluedict_set(c, k, items[i]);
        rc_decref(k);
    }
    rc_weakiter it;   /* keep an iterator alive */
    rc_object *a = NULL, *b = NULL;
    if (type == &rc_weakset_type) {
        rc_weakset_iter(c, &it);
        rc_weakset_next(&it, &a);
    } else if (type == &rc_weakkeydict_type) {
        rc_weakkeydict_iter(c, &it);
        rc_weakkeydict_next(&it, &a, &b);
    } else {
        rc_weakvaluedict_iter(c, &it);
        rc_weakvaluedict_next(&it, &a, &b);
    }
    rc_xdecref(a);
    rc_xdecref(b);
    drop_all(items, N);
    CHECK_EQ(rc_gc_collect(2) >= N, 1);
    intptr_t n1 = type == &rc_weakset_type ? rc_weakset_len(c)
                  : type == &rc_weakkeydict_type ? rc_weakkeydict_len(c) : rc_weakvaluedict_len(c);
    rc_weakiter_end(&it);
    rc_gc_collect(2);
    intptr_t n2 = type == &rc_weakset_type ? rc_weakset_len(c)
                  : type == &rc_weakkeydict_type ? rc_weakkeydict_len(c) : rc_weakvaluedict_len(c);
    /* Python: n1 in (0, 1) because its generator frame may keep the last
     * item; here the item's references were dropped, so exactly 0. */
    CHECK_EQ(n1, 0);
    CHECK_EQ(n2, 0);
    rc_decref(c);
    rc_decref(cls);
}

static void test_weak_keyed_len_cycles(void) { check_len_cycles(&rc_weakkeydict_type); }
static void test_weak_valued_len_cycles(void) { check_len_cycles(&rc_weakvaluedict_type); }
static void test_weakset_len_cycles(void) { check_len_cycles(&rc_weakset_type); }

/* check_len_race: with thresholds (1, 1, 1) any allocation may collect and
 * kill entries; the length never goes negative and never grows. */
static void check_len_race(const rc_type *type) {
    enum { N = 100 };
    long old[3];
    rc_gc_get_threshold(old);
    rc_object *cls = new_class("RefCycle");
    for (int round = 0; round < 10; round++) {
        rc_gc_collect(2);
        rc_object *c = type == &rc_weakset_type ? rc_weakset_new()
                       : type == &rc_weakkeydict_type ? rc_weakkeydict_new() : rc_weakvaluedict_new();
        for (int i = 0; i < N; i++) {
            rc_object *item = new_refcycle(cls), *k = rc_int_from(i);
            if (type == &rc_weakset_type)
                rc_weakset_add(c, item);
            else if (type == &rc_weakkeydict_type)
                rc_weakkeydict_set(c, item, k);
            else
                rc_weakvaluedict_set(c, k, item);
            rc_decref(k);
            rc_decref(item);   /* only the cycle keeps it now */
        }
        rc_gc_set_threshold(1, 1, 1);
        intptr_t prev = N;
        for (int i = 0; i < 2 * N; i++) {
            rc_object *junk = rc_list_new(0);   /* may collect */
            intptr_t n = type == &rc_weakset_type ? rc_weakset_len(c)
                         : type == &rc_weakkeydict_type ? rc_weakkeydict_len(c)
                                                        : rc_weakvaluedict_len(c);
            CHECK(n >= 0 && n <= prev);
            prev = n;
            rc_xdecref(junk);
        }
        rc_gc_set_threshold(old[0], old[1], old[2]);
        rc_gc_collect(2);
        CHECK_EQ(type == &rc_weakset_type ? rc_weakset_len(c)
                 : type == &rc_weakkeydict_type ? rc_weakkeydict_len(c) : rc_weakvaluedict_len(c),
                 0);
        rc_decref(c);
    }
    rc_decref(cls);
}

static void test_weak_keyed_len_race(void) { check_len_race(&rc_weakkeydict_type); }
static void test_weak_valued_len_race(void) { check_len_race(&rc_weakvaluedict_type); }
static void test_weakset_len_race(void) { check_len_race(&rc_weakset_type); }

/* Entries die in a collection that runs between two steps of an
 * iteration: the iteration skips them and the end commits the removals. */
static void test_collection_during_iteration(void) {
    rc_object *cls = new_class("RefCycle"), *d = rc_weakvaluedict_new(), *items[6];
    for (int i = 0; i < 6; i++) {
        items[i] = new_refcycle(cls);
        rc_object *k = rc_int_from(i);
        rc_weakvaluedict_set(d, k, items[i]);
        rc_decref(k);
    }
    rc_weakiter it;
    rc_object *k, *v;
    rc_weakvaluedict_iter(d, &it);
    int seen = 0;
    while (rc_weakvaluedict_next(&it, &k, &v) > 0) {
        seen++;
        if (ival(k) == 1) {   /* in the loop body: drop the odd ones, collect */
            for (int i = 1; i < 6; i += 2)
                rc_clear(&items[i]);
            rc_decref(v);
            v = NULL;
            CHECK_EQ(rc_gc_collect(2) >= 2, 1);
            CHECK_EQ(rc_weakvaluedict_len(d), 3);
        }
        rc_decref(k);
        rc_xdecref(v);
    }
    CHECK_EQ(seen, 4);   /* 0, 1, 2, 4 */
    CHECK_EQ(rc_weakvaluedict_len(d), 3);
    rc_object *keys = rc_weakvaluedict_keys(d);
    CHECK(repr_is(keys, "[0, 2, 4]"));
    rc_decref(keys);
    drop_all(items, 6);
    rc_gc_collect(2);
    CHECK_EQ(rc_weakvaluedict_len(d), 0);
    rc_decref(d);
    rc_decref(cls);
}

/* ------------------------------------------------------------ more ports */

/* test_weak_keyed_dict_popitem / test_weak_valued_dict_popitem */
static void test_weak_valued_dict_popitem(void) {
    rc_object *d = rc_weakvaluedict_new(), *o1 = new_obj(1), *o2 = new_obj(2);
    rc_object *k1 = rc_str_from("key1"), *k2 = rc_str_from("key2");
    rc_weakvaluedict_set(d, k1, o1);
    rc_weakvaluedict_set(d, k2, o2);
    rc_object *k, *v;
    CHECK_EQ(rc_weakvaluedict_popitem(d, &k, &v), 0);
    CHECK(k == k2 && v == o2);
    rc_decref(k);
    rc_decref(v);
    CHECK_EQ(rc_weakvaluedict_len(d), 1);
    CHECK_EQ(rc_weakvaluedict_popitem(d, &k, &v), 0);
    CHECK(k == k1 && v == o1);
    rc_decref(k);
    rc_decref(v);
    CHECK_EQ(rc_weakvaluedict_popitem(d, &k, &v), -1);
    CHECK(error_is(RC_ERR_KEY, "popitem(): dictionary is empty"));
    CHECK_EQ(rc_weakvaluedict_popitem(d, NULL, &v), -1);
    CHECK(error_is(RC_ERR_INVALID, NULL));
    DECREF_ALL(k1, k2, o1, o2, d);
}

static void test_weak_keyed_dict_popitem(void) {
    rc_object *d = rc_weakkeydict_new(), *o1 = new_obj(1), *o2 = new_obj(2);
    rc_object *v1 = rc_str_from("value 1"), *v2 = rc_str_from("value 2");
    rc_weakkeydict_set(d, o1, v1);
    rc_weakkeydict_set(d, o2, v2);
    rc_clear(&o2);   /* a dead last entry is skipped */
    rc_object *k, *v;
    CHECK_EQ(rc_weakkeydict_popitem(d, &k, &v), 0);
    CHECK(k == o1 && v == v1);
    rc_decref(k);
    rc_decref(v);
    CHECK_EQ(rc_weakkeydict_popitem(d, &k, &v), -1);
    CHECK(error_is(RC_ERR_KEY, "popitem(): dictionary is empty"));
    DECREF_ALL(v1, v2, o1, d);
}

/* test_weak_keyed_dict_setdefault / test_weak_valued_dict_setdefault */
static void test_weak_valued_dict_setdefault(void) {
    rc_object *d = rc_weakvaluedict_new(), *k = rc_str_from("key");
    rc_object *v1 = new_obj(1), *v2 = new_obj(2);
    rc_object *r = rc_weakvaluedict_setdefault(d, k, v1);
    CHECK(r == v1);
    rc_xdecref(r);
    r = rc_weakvaluedict_setdefault(d, k, v2);
    CHECK(r == v1);
    rc_xdecref(r);
    rc_clear(&v1);   /* the value dies: setdefault stores the new one */
    r = rc_weakvaluedict_setdefault(d, k, v2);
    CHECK(r == v2);
    rc_xdecref(r);
    CHECK_EQ(rc_weakvaluedict_len(d), 1);
    DECREF_ALL(v2, k, d);
}

static void test_weak_keyed_dict_setdefault(void) {
    rc_object *d = rc_weakkeydict_new(), *k = new_obj(7);
    rc_object *v1 = rc_str_from("value 1"), *v2 = rc_str_from("value 2");
    rc_object *r = rc_weakkeydict_setdefault(d, k, v1);
    CHECK(r == v1);
    rc_xdecref(r);
    r = rc_weakkeydict_setdefault(d, k, v2);
    CHECK(r == v1);
    rc_xdecref(r);
    CHECK_EQ(rc_weakkeydict_len(d), 1);
    DECREF_ALL(v1, v2, k, d);
}

/* test_weak_keyed_delitem / test_weak_valued_delitem */
static void test_weak_keyed_delitem(void) {
    rc_object *d = rc_weakkeydict_new(), *o1 = new_obj(1), *o2 = new_obj(2);
    rc_object *v1 = rc_str_from("value 1"), *v2 = rc_str_from("value 2");
    rc_weakkeydict_set(d, o1, v1);
    rc_weakkeydict_set(d, o2, v2);
    CHECK_EQ(rc_weakkeydict_len(d), 2);
    CHECK_EQ(rc_weakkeydict_del(d, o1), 0);
    CHECK_EQ(rc_weakkeydict_len(d), 1);
    rc_object *keys = rc_weakkeydict_keys(d);
    CHECK_EQ(rc_list_size(keys), 1);
    CHECK(rc_list_get(keys, 0) == o2);
    rc_decref(keys);
    rc_object *p = rc_weakkeydict_pop(d, o2);
    CHECK(p == v2);
    rc_xdecref(p);
    CHECK_EQ(rc_weakref_count(o1), 0);   /* the private references are gone */
    CHECK_EQ(rc_weakref_count(o2), 0);
    DECREF_ALL(v1, v2, o1, o2, d);
}

static void test_weak_valued_delitem(void) {
    rc_object *d = rc_weakvaluedict_new(), *o1 = new_obj(1), *o2 = new_obj(2);
    rc_object *k1 = rc_str_from("something"), *k2 = rc_str_from("something else");
    rc_weakvaluedict_set(d, k1, o1);
    rc_weakvaluedict_set(d, k2, o2);
    CHECK_EQ(rc_weakvaluedict_del(d, k1), 0);
    CHECK_EQ(rc_weakvaluedict_len(d), 1);
    rc_object *items = rc_weakvaluedict_items(d);
    CHECK_EQ(rc_list_size(items), 1);
    CHECK(rc_tuple_get(rc_list_get(items, 0), 1) == o2);
    rc_decref(items);
    CHECK_EQ(rc_weakref_count(o1), 0);
    DECREF_ALL(k1, k2, o1, o2, d);
}

/* test_weak_keyed_bad_delitem: a key that cannot be weakly referenced is a
 * TypeError (ref(13) fails), a missing one a KeyError. */
static void test_weak_keyed_bad_delitem(void) {
    rc_object *d = rc_weakkeydict_new(), *o = new_obj(1), *thirteen = rc_int_from(13);
    CHECK_EQ(rc_weakkeydict_del(d, o), -1);
    CHECK(error_is(RC_ERR_KEY, NULL));
    CHECK(rc_weakkeydict_get(d, o) == NULL);
    CHECK(error_is(RC_ERR_KEY, NULL));
    CHECK_EQ(rc_weakkeydict_del(d, thirteen), -1);
    CHECK(error_is(RC_ERR_TYPE, "cannot create weak reference to 'int' object"));
    CHECK(rc_weakkeydict_get(d, thirteen) == NULL);
    CHECK(error_is(RC_ERR_TYPE, NULL));
    CHECK_EQ(rc_weakkeydict_set(d, thirteen, o), -1);
    CHECK(error_is(RC_ERR_TYPE, NULL));
    CHECK_EQ(rc_weakkeydict_contains(d, thirteen), 0);   /* __contains__: False */
    DECREF_ALL(thirteen, o, d);
}

/* test_weak_keyed_cascading_deletes: an equality hook that drops the last
 * reference to another key while a deletion is looking its key up. */
static rc_object *cascade_objs[4];
static int cascade_n;
static void cascade_drop_last(void) {
    if (cascade_n > 0)
        rc_clear(&cascade_objs[--cascade_n]);
}

static void test_weak_keyed_cascading_deletes(void) {
    rc_object *d = rc_weakkeydict_new();
    for (int i = 0; i < 4; i++) {
        cascade_objs[i] = new_obj((int64_t)i << 16);   /* equal hashes: comparisons happen */
        rc_object *v = rc_int_from(i);
        rc_weakkeydict_set(d, cascade_objs[i], v);
        rc_decref(v);
    }
    cascade_n = 4;
    obj_eq_side_effect = cascade_drop_last;
    int count = 0;
    for (int i = 0; i < cascade_n; i++) {   /* objs[0] first: the others are compared */
        rc_object *o = rc_newref(cascade_objs[i]);
        count++;
        int r = rc_weakkeydict_del(d, o);
        if (r < 0)   /* a comparison killed it first */
            CHECK(error_is(RC_ERR_KEY, NULL));
        rc_decref(o);
    }
    obj_eq_side_effect = NULL;
    drop_all(cascade_objs, cascade_n);
    rc_gc_collect(2);
    CHECK_EQ(rc_weakkeydict_len(d), 0);
    CHECK(count >= 1 && count <= 4);
    rc_decref(d);
}

/* ------------------------------------------------ the tutorials' cache */

/* A weak-value cache keeps an entry while a user holds the value and
 * loses it once the last strong reference goes. */
static void test_cache_keeps_entry_while_value_is_held(void) {
    rc_object *cls = new_class("Image"), *cache = rc_weakvaluedict_new();
    rc_object *key = rc_str_from("logo.png"), *img = rc_new_instance(cls);
    CHECK_EQ(rc_weakvaluedict_set(cache, key, img), 0);
    rc_object *user = rc_weakvaluedict_get(cache, key);   /* a second user */
    CHECK(user == img);
    rc_decref(img);   /* the loader lets go: the user still holds it */
    CHECK_EQ(rc_weakvaluedict_len(cache), 1);
    rc_object *again = rc_weakvaluedict_get(cache, key);
    CHECK(again == user);
    rc_xdecref(again);
    rc_decref(user);  /* the last strong reference */
    CHECK_EQ(rc_weakvaluedict_len(cache), 0);
    CHECK(rc_weakvaluedict_get(cache, key) == NULL);
    CHECK(error_is(RC_ERR_KEY, "'logo.png'"));
    DECREF_ALL(key, cache, cls);
}

/* ... and when the value sits in a cycle, after a collection. */
static void test_cache_entry_in_cycle_goes_after_collect(void) {
    rc_object *cls = new_class("Node"), *cache = rc_weakvaluedict_new();
    rc_object *key = rc_str_from("tree"), *a = rc_new_instance(cls), *b = rc_new_instance(cls);
    rc_setattr(a, "other", b);
    rc_setattr(b, "other", a);
    rc_weakvaluedict_set(cache, key, a);
    rc_decref(b);
    rc_decref(a);   /* the cycle keeps it */
    CHECK_EQ(rc_weakvaluedict_len(cache), 1);
    rc_object *v = rc_weakvaluedict_get(cache, key);
    CHECK(v != NULL);
    rc_xdecref(v);
    CHECK_EQ(rc_gc_collect(2) >= 2, 1);   /* and the dict's private reference */
    CHECK_EQ(rc_weakvaluedict_len(cache), 0);
    CHECK_EQ(rc_weakvaluedict_contains(cache, key), 0);
    DECREF_ALL(key, cache, cls);
}

/* A weak-value dictionary whose key refers to it is a cycle the collector
 * frees. */
static void test_weak_valued_dict_in_cycle(void) {
    rc_object *cls = new_class("Key"), *d = rc_weakvaluedict_new(), *k = rc_new_instance(cls);
    rc_object *w = watch(d), *v = new_obj(1);
    rc_setattr(k, "d", d);
    rc_weakvaluedict_set(d, k, v);
    rc_decref(k);
    rc_decref(d);
    CHECK(alive(w));
    CHECK_EQ(rc_gc_collect(2), 2);
    CHECK(!alive(w));
    CHECK_EQ(rc_weakref_count(v), 0);
    DECREF_ALL(v, w, cls);
}

/* --------------------------------------------------------- ephemerons */

/* The case: a value that refers to its own key.  CPython's
 * WeakKeyDictionary keeps the value strongly, the value keeps the key, and
 * the entry leaks forever; here a collection frees key, value and entry. */
static void test_ephemeron_value_refers_to_key(void) {
    rc_object *cls = new_class("K"), *d = rc_weakkeydict_new();
    rc_object *k = rc_new_instance(cls), *v = rc_new_instance(cls);
    rc_setattr(v, "k", k);
    rc_weakkeydict_set(d, k, v);
    rc_object *wk = watch(k), *wv = watch(v);
    rc_decref(k);
    rc_decref(v);
    CHECK_EQ(rc_weakkeydict_len(d), 1);   /* nothing has run yet */
    CHECK(alive(wk) && alive(wv));
    rc_gc_collect(2);
    CHECK(!alive(wk));
    CHECK(!alive(wv));
    CHECK_EQ(rc_weakkeydict_len(d), 0);
    DECREF_ALL(wk, wv, d, cls);

    char *py = run_python("import gc, weakref\n"
                          "class K: pass\n"
                          "d = weakref.WeakKeyDictionary()\n"
                          "k = K(); v = K(); v.k = k; d[k] = v\n"
                          "wk = weakref.ref(k)\n"
                          "del k, v\n"
                          "gc.collect()\n"
                          "print(len(d), wk() is not None)\n");
    if (py) {
        CHECK_STR_CONTAINS(py, "1 True");
        printf("     CPython after gc.collect(): len(d), key alive = %.*s (the entry leaks); "
               "rcgc: 0, False\n", (int)strcspn(py, "\n"), py);
        free(py);
    }
}

/* A value reachable only through the table survives while its key is
 * reachable, even when it also refers to the key. */
static void test_ephemeron_live_key_keeps_value(void) {
    rc_object *cls = new_class("K"), *d = rc_weakkeydict_new();
    rc_object *k = rc_new_instance(cls), *v = rc_new_instance(cls);
    rc_setattr(v, "k", k);
    rc_setattr(v, "self", v);   /* a cycle of its own too */
    rc_weakkeydict_set(d, k, v);
    rc_object *wv = watch(v);
    rc_decref(v);
    rc_gc_collect(2);
    CHECK(alive(wv));
    CHECK_EQ(rc_weakkeydict_len(d), 1);
    rc_object *wk = watch(k);
    rc_decref(k);     /* the value still refers to the key */
    CHECK_EQ(rc_weakkeydict_len(d), 1);
    rc_gc_collect(2); /* now nothing outside does: key, value and entry go */
    CHECK(!alive(wv));
    CHECK(!alive(wk));
    CHECK_EQ(rc_weakkeydict_len(d), 0);
    DECREF_ALL(wk, wv, d, cls);
}

/* A chain through two entries needs the collector's fixpoint: k1 (held)
 * -> v1 -> k2 -> v2 (-> k2).  All live; once k1 goes, all goes. */
static void test_ephemeron_chain(void) {
    rc_object *cls = new_class("K"), *d = rc_weakkeydict_new();
    rc_object *k1 = rc_new_instance(cls), *k2 = rc_new_instance(cls);
    rc_object *v1 = rc_new_instance(cls), *v2 = rc_new_instance(cls);
    rc_setattr(v1, "next", k2);
    rc_setattr(v2, "k", k2);
    rc_weakkeydict_set(d, k2, v2);   /* inserted first: one pass cannot see it */
    rc_weakkeydict_set(d, k1, v1);
    rc_object *w2 = watch(k2), *wv2 = watch(v2);
    DECREF_ALL(k2, v1, v2);
    rc_gc_collect(2);
    CHECK(alive(w2) && alive(wv2));
    CHECK_EQ(rc_weakkeydict_len(d), 2);
    rc_decref(k1);
    CHECK_EQ(rc_weakkeydict_len(d), 1);   /* k1's entry at once; k2's needs a collection */
    rc_gc_collect(2);
    CHECK(!alive(w2) && !alive(wv2));
    CHECK_EQ(rc_weakkeydict_len(d), 0);
    DECREF_ALL(w2, wv2, d, cls);
}

/* The table, its keys and values all garbage together. */
static void test_ephemeron_table_in_garbage(void) {
    rc_object *cls = new_class("K"), *d = rc_weakkeydict_new();
    rc_object *wd = watch(d), *keys[5];
    for (int i = 0; i < 5; i++) {
        keys[i] = rc_new_instance(cls);
        rc_object *v = rc_new_instance(cls);
        rc_setattr(v, "k", keys[i]);
        rc_setattr(v, "table", d);
        rc_setattr(keys[i], "table", d);
        rc_weakkeydict_set(d, keys[i], v);
        rc_decref(v);
    }
    drop_all(keys, 5);
    rc_decref(d);
    CHECK(alive(wd));
    /* (the count misses what the callbacks freed by refcount on the way) */
    CHECK_EQ(rc_gc_collect(2) > 0, 1);
    CHECK(!alive(wd));
    rc_decref(wd);
    rc_decref(cls);
}

/* While an iteration is open, a key dies in a collection: its value stays
 * held (strongly, by the dead entry) until the iteration ends. */
static void test_ephemeron_dead_key_during_iteration(void) {
    rc_object *cls = new_class("K"), *d = rc_weakkeydict_new();
    rc_object *k = rc_new_instance(cls), *v = rc_new_instance(cls), *k0 = rc_new_instance(cls);
    rc_setattr(v, "k", k);
    rc_weakkeydict_set(d, k0, rc_None);
    rc_weakkeydict_set(d, k, v);
    rc_object *wv = watch(v), *wk = watch(k);
    rc_decref(k);
    rc_decref(v);
    rc_weakiter it;
    rc_weakkeydict_iter(d, &it);
    rc_gc_collect(2);
    CHECK(!alive(wk));
    CHECK_EQ(rc_weakkeydict_len(d), 1);
    rc_gc_collect(2);   /* the dead entry still holds the value: no damage */
    CHECK_EQ(drain_dict(&it, rc_weakkeydict_next), 1);   /* only k0 */
    CHECK(!alive(wv));   /* the commit released it */
    DECREF_ALL(wv, wk, k0, d, cls);
}

/* ------------------------------------------------------------ callbacks */

/* A user's weak reference to a value, newer than the dict's, runs first
 * and drops the last reference to the dict: the dict's own callback must
 * then do nothing (its table pointer is gone with the table). */
static rc_object *doomed_table;
static void drop_table_cb(rc_object *ref, rc_object *data) {
    (void)ref, (void)data;
    rc_clear(&doomed_table);
}

static void test_callback_frees_the_table_first(void) {
    rc_object *v = new_obj(1), *k = rc_str_from("k");
    doomed_table = rc_weakvaluedict_new();
    rc_weakvaluedict_set(doomed_table, k, v);
    rc_object *w = rc_weakref_new(v, drop_table_cb, NULL);   /* called before the dict's */
    rc_decref(v);
    CHECK(doomed_table == NULL);
    rc_decref(w);
    rc_decref(k);
}

/* The reverse order: the dict's callback first, then the user's finds the
 * entry gone. */
static rc_object *watched_dict;
static intptr_t len_seen_by_callback = -1;
static void read_len_cb(rc_object *ref, rc_object *data) {
    (void)ref, (void)data;
    len_seen_by_callback = rc_weakvaluedict_len(watched_dict);
}

static void test_callback_sees_entry_removed(void) {
    rc_object *v = new_obj(1), *k = rc_str_from("k");
    rc_object *w = rc_weakref_new(v, read_len_cb, NULL);   /* older: called after */
    watched_dict = rc_weakvaluedict_new();
    rc_weakvaluedict_set(watched_dict, k, v);
    rc_decref(v);
    CHECK_EQ(len_seen_by_callback, 0);
    rc_clear(&watched_dict);
    rc_decref(w);
    rc_decref(k);
}

/* The table dies before its values: its private references leave the
 * values' lists, and the values die later without trouble. */
static void test_table_dies_before_values(void) {
    rc_object *objs[3], *d = rc_weakvaluedict_new(), *s = rc_weakset_new(),
              *wkd = rc_weakkeydict_new();
    for (int i = 0; i < 3; i++) {
        objs[i] = new_obj(i);
        rc_object *k = rc_int_from(i);
        rc_weakvaluedict_set(d, k, objs[i]);
        rc_weakset_add(s, objs[i]);
        rc_weakkeydict_set(wkd, objs[i], k);
        rc_decref(k);
    }
    rc_object *shared = watch(objs[0]);   /* the shared basic ref is separate */
    rc_object *again = rc_weakref_new(objs[0], NULL, NULL);
    CHECK(again == shared);
    rc_decref(again);
    CHECK_EQ(rc_weakref_count(objs[0]), 4);
    DECREF_ALL(d, s, wkd);
    CHECK_EQ(rc_weakref_count(objs[0]), 1);
    drop_all(objs, 3);
    CHECK(!alive(shared));
    rc_decref(shared);
}

/* ------------------------------------------------------------ errors */

static void test_errors(void) {
    rc_object *vd = rc_weakvaluedict_new(), *kd = rc_weakkeydict_new(), *s = rc_weakset_new();
    rc_object *o = new_obj(1), *one = rc_int_from(1), *list = rc_list_new(0);
    Obj *u = rc_object_new(&Unhashable_type);
    /* unhashable keys */
    CHECK_EQ(rc_weakvaluedict_set(vd, list, o), -1);
    CHECK(error_is(RC_ERR_TYPE, "unhashable type: 'list'"));
    CHECK(rc_weakvaluedict_get(vd, list) == NULL);
    CHECK(error_is(RC_ERR_TYPE, "unhashable"));
    CHECK_EQ(rc_weakkeydict_set(kd, u, one), -1);
    CHECK(error_is(RC_ERR_TYPE, "unhashable type: 'Unhashable'"));
    CHECK_EQ(rc_weakset_add(s, u), -1);
    CHECK(error_is(RC_ERR_TYPE, "unhashable"));
    CHECK_EQ(rc_weakset_contains(s, u), -1);
    CHECK(error_is(RC_ERR_TYPE, "unhashable"));
    /* not weakly referenceable */
    CHECK_EQ(rc_weakvaluedict_set(vd, one, one), -1);
    CHECK(error_is(RC_ERR_TYPE, "cannot create weak reference to 'int' object"));
    CHECK_EQ(rc_weakkeydict_set(kd, one, o), -1);
    CHECK(error_is(RC_ERR_TYPE, "cannot create weak reference to 'int' object"));
    CHECK_EQ(rc_weakset_add(s, one), -1);
    CHECK(error_is(RC_ERR_TYPE, "cannot create weak reference to 'int' object"));
    CHECK_EQ(rc_weakset_discard(s, one), -1);
    CHECK(error_is(RC_ERR_TYPE, "cannot create weak reference"));
    CHECK_EQ(rc_weakset_contains(s, one), 0);
    /* wrong container, NULLs */
    CHECK_EQ(rc_weakvaluedict_set(kd, one, o), -1);
    CHECK(error_is(RC_ERR_TYPE, "rc_weakvaluedict_set: expected WeakValueDictionary, got "
                                "'WeakKeyDictionary'"));
    CHECK_EQ(rc_weakset_len(vd), -1);
    CHECK(error_is(RC_ERR_TYPE, "expected WeakSet"));
    CHECK_EQ(rc_weakkeydict_len(NULL), -1);
    CHECK(error_is(RC_ERR_TYPE, "got 'NULL'"));
    CHECK_EQ(rc_weakvaluedict_set(vd, one, NULL), -1);
    CHECK(error_is(RC_ERR_INVALID, "NULL value"));
    CHECK_EQ(rc_weakkeydict_set(kd, NULL, one), -1);
    CHECK(error_is(RC_ERR_INVALID, "NULL key"));
    CHECK_EQ(rc_weakvaluedict_iter(vd, NULL), -1);
    CHECK(error_is(RC_ERR_INVALID, NULL));
    rc_weakiter it;
    CHECK_EQ(rc_weakset_iter(vd, &it), -1);
    CHECK(error_is(RC_ERR_TYPE, NULL));
    CHECK(it.container == NULL);
    rc_weakiter_end(&it);
    rc_weakiter_end(NULL);
    rc_weakvaluedict_iter(vd, &it);
    rc_object *item;
    CHECK_EQ(rc_weakset_next(&it, &item), -1);   /* the wrong next for this iterator */
    CHECK(error_is(RC_ERR_TYPE, NULL));
    rc_weakiter_end(&it);
    /* the containers themselves */
    CHECK_EQ(rc_hash(vd), -1);
    CHECK(error_is(RC_ERR_TYPE, "unhashable type: 'WeakValueDictionary'"));
    rc_object *r = rc_repr(s);
    CHECK_STR_CONTAINS(r ? rc_str_utf8(r) : NULL, "<WeakSet at 0x");
    rc_xdecref(r);
    rc_object *wvd = watch(vd);   /* containers are weakly referenceable */
    CHECK_EQ(rc_weakvaluedict_set(vd, one, vd), 0);   /* even into themselves */
    CHECK_EQ(rc_weakvaluedict_len(vd), 1);
    DECREF_ALL(wvd, u, list, one, o, vd, kd, s);
}

/* ------------------------------------------------------------ growth */

/* Many entries, churned: the table grows, holes are dropped on rebuilds,
 * lookups stay right. */
static void test_growth_and_churn(void) {
    enum { N = 5000 };
    rc_object *d = rc_weakvaluedict_new(), **objs = calloc(N, sizeof *objs);
    for (int round = 0; round < 3; round++) {
        for (int i = 0; i < N; i++) {
            rc_object *k = rc_int_from(i);
            rc_setref(&objs[i], new_obj(i + round));
            CHECK_EQ(rc_weakvaluedict_set(d, k, objs[i]), 0);
            rc_decref(k);
        }
        CHECK_EQ(rc_weakvaluedict_len(d), N);
        for (int i = 0; i < N; i += 2)
            rc_clear(&objs[i]);
        CHECK_EQ(rc_weakvaluedict_len(d), N / 2);
        int bad = 0;
        for (int i = 0; i < N; i++) {
            rc_object *k = rc_int_from(i), *v = rc_weakvaluedict_get(d, k);
            bad += (i % 2) ? v != objs[i] : v != NULL;
            if (!v)
                rc_error_clear();
            rc_xdecref(v);
            rc_decref(k);
        }
        CHECK_EQ(bad, 0);
    }
    CHECK(rc_sizeof(d) > N * 24);
    drop_all(objs, N);
    free(objs);
    CHECK_EQ(rc_weakvaluedict_len(d), 0);
    rc_decref(d);
}

/* ------------------------------------------------------------ out of memory */

/* One pass of container work with the Nth OS request failing (malloc mode:
 * every block is an OS request).  Returns 1 if it ran to the end, 0 if an
 * operation failed (always with RC_ERR_NOMEM, leaving the container as it
 * was), -1 on anything else. */
static int oom_pass(rc_object **objs, int n) {
    int ok = 1, bad = 0;
    rc_object *vd = rc_weakvaluedict_new(), *kd = rc_weakkeydict_new(), *s = rc_weakset_new();
    if (!vd || !kd || !s) {
        ok = 0;
        bad |= rc_error_code() != RC_ERR_NOMEM;
    }
    for (int i = 0; ok && i < n; i++) {
        rc_object *k = rc_int_from(i);   /* small ints: no allocation */
        int r = rc_weakvaluedict_set(vd, k, objs[i]);
        if (r == 0)
            r = rc_weakkeydict_set(kd, objs[i], k);
        if (r == 0)
            r = rc_weakset_add(s, objs[i]);
        if (r < 0) {
            ok = 0;
            bad |= rc_error_code() != RC_ERR_NOMEM;
            /* the failed insertion left nothing behind */
            bad |= rc_weakvaluedict_contains(vd, k) != (rc_weakvaluedict_len(vd) > i);
            bad |= rc_weakset_len(s) != i;
        }
        rc_decref(k);
    }
    if (ok) {
        rc_object *items = rc_weakvaluedict_items(vd);
        if (!items) {
            ok = 0;
            bad |= rc_error_code() != RC_ERR_NOMEM;
        }
        rc_xdecref(items);
    }
    rc_xdecref(vd);
    rc_xdecref(kd);
    rc_xdecref(s);
    return bad ? -1 : ok;
}

static void test_oom_paths(void) {
    enum { N = 40 };
    if (rc_testing_fail_os_alloc(0) < 0) {
        printf("     SKIP: built without the fault injector\n");
        return;
    }
    rc_object *objs[N];
    for (int i = 0; i < N; i++)
        objs[i] = new_obj(i);
    rc_heap_clear_caches(NULL);   /* free lists would hide or fake leaks */
    unsigned long long base = check_blocks_in_use();
    long n, failures = 0, wrong = 0, leaks = 0;
    for (n = 1;; n++) {
        rc_testing_fail_os_alloc(n);
        int r = oom_pass(objs, N);
        long calls = rc_testing_os_alloc_count();
        rc_testing_fail_os_alloc(0);
        rc_error_clear();
        rc_heap_clear_caches(NULL);
        leaks += check_blocks_in_use() != base;
        for (int i = 0; i < N; i++)
            leaks += rc_weakref_count(objs[i]) != 0;
        if (calls < n) {   /* the Nth request never came: done */
            wrong += r != 1;
            break;
        }
        if (r == 0)
            failures++;
        else
            wrong++;
    }
    printf("     walked N = 1..%ld OS requests: %ld reported NOMEM, %ld wrong, %ld leaks\n", n,
           failures, wrong, leaks);
    CHECK(n > 20);
    CHECK_EQ(wrong, 0);
    CHECK_EQ(leaks, 0);
    drop_all(objs, N);
}

/* ------------------------------------------------------------ main */

int main(void) {
    RUN(test_weak_values);
    RUN(test_weak_keys);
    RUN(test_get_ref);
    RUN(test_weakset_basics);
    RUN(test_weak_valued_iters);
    RUN(test_weak_keyed_iters);
    RUN(test_weakset_iters);
    RUN(test_weak_values_destroy_while_iterating);
    RUN(test_weak_keys_destroy_while_iterating);
    RUN(test_weakset_weak_destroy_while_iterating);
    RUN(test_weak_values_destroy_and_mutate_while_iterating);
    RUN(test_weak_keys_destroy_and_mutate_while_iterating);
    RUN(test_weakset_weak_destroy_and_mutate_while_iterating);
    RUN(test_deferred_removal_spares_replaced_entry);
    RUN(test_deferred_removal_across_rebuild);
    RUN(test_nested_iteration_guards);
    RUN(test_iteration_add_key_is_runtime_error);
    RUN(test_weak_keyed_len_cycles);
    RUN(test_weak_valued_len_cycles);
    RUN(test_weakset_len_cycles);
    RUN(test_weak_keyed_len_race);
    RUN(test_weak_valued_len_race);
    RUN(test_weakset_len_race);
    RUN(test_collection_during_iteration);
    RUN(test_weak_valued_dict_popitem);
    RUN(test_weak_keyed_dict_popitem);
    RUN(test_weak_valued_dict_setdefault);
    RUN(test_weak_keyed_dict_setdefault);
    RUN(test_weak_keyed_delitem);
    RUN(test_weak_valued_delitem);
    RUN(test_weak_keyed_bad_delitem);
    RUN(test_weak_keyed_cascading_deletes);
    RUN(test_cache_keeps_entry_while_value_is_held);
    RUN(test_cache_entry_in_cycle_goes_after_collect);
    RUN(test_weak_valued_dict_in_cycle);
    RUN(test_ephemeron_value_refers_to_key);
    RUN(test_ephemeron_live_key_keeps_value);
    RUN(test_ephemeron_chain);
    RUN(test_ephemeron_table_in_garbage);
    RUN(test_ephemeron_dead_key_during_iteration);
    RUN(test_callback_frees_the_table_first);
    RUN(test_callback_sees_entry_removed);
    RUN(test_table_dies_before_values);
    RUN(test_errors);
    RUN(test_growth_and_churn);
    rc_config cfg;
    rc_config_init(&cfg);
    cfg.malloc_mode = RC_MALLOC_MALLOC;
    RUN_CFG(test_oom_paths, &cfg);
    return check_summary("test_weakdict");
}
