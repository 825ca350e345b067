/*
 * test_weakref.c - weak references and proxies (include/rcgc/weakref.h):
 * ports of CPython's Lib/test/test_weakref.py (ReferencesTestCase and the
 * related GC/callback tests) under their Python names, the weakref lines of
 * test_finalization.py (Finalization_* below), the weakref cases of
 * test_gc.py (GCTests_test_bug1055820b, GCTests_test_trash_weakref_clear,
 * GCTogglingTests_test_bug1055820c/d), then rcgc's own checks of the death
 * orders (reference 2.4, 2.5, 6.2) and a differential test against python3.
 *
 * How Python maps here:
 *   - `class C: pass` is a dict-backed class from rc_class_new (weak
 *     references on by default); `__del__` is the finalize hook,
 *     `@with_tp_del` the legacy `del` hook;
 *   - a Python callback is a C function receiving the dead reference and
 *     the `data` object given at creation.  A bound method `obj.cb` becomes
 *     the callback function with data = obj (the weak reference owns data,
 *     as the bound method owned obj, and the collector sees that edge);
 *   - test_weakref's `Object(arg)` (with __eq__ and __hash__ on arg) is the
 *     static type Object_type below, which has a weak-reference list but is
 *     not a GC type;
 *   - `ref()` is rc_weakref_get, `__callback__` rc_weakref_callback_of,
 *     getweakrefcount / getweakrefs are rc_weakref_count / rc_weakref_list.
 * Automatic collection is disabled in every test unless the Python test
 * depends on it, so that the collections happen where the test says.
 *
 * Every expectation marked "Python:" was checked by running the same code
 * under CPython 3.11.7 (and 3.12.1 / 3.13.0 where noted).
 */
#include "support.h"
#include "rcgc/weakref.h"

#include <stdarg.h>
#include <stddef.h>

/* ====================================================================
 * helpers
 * ================================================================== */

/* An event log: tests record what callbacks and finalizers saw as
 * space-separated words and compare the whole line at the end. */
static char evlog[4096];

static void ev(const char *fmt, ...) RC_PRINTF(1, 2);
static void ev(const char *fmt, ...) {
    size_t n = strlen(evlog);
    if (n && n + 1 < sizeof evlog)
        evlog[n++] = ' ';
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(evlog + n, sizeof evlog - n, fmt, ap);
    va_end(ap);
}

static int events_are(const char *want) {
    if (!strcmp(evlog, want))
        return 1;
    fprintf(stderr, "    events: got \"%s\"\n            want \"%s\"\n", evlog, want);
    return 0;
}

/* Weak references that must all be dead whenever a logging callback runs
 * ("all references are cleared before any callback is called"). */
static rc_object *watched[16];
static int nwatched;

static void watch(rc_object *ref) {
    if (nwatched < (int)(sizeof watched / sizeof watched[0]))
        watched[nwatched++] = ref;
}

static int cbcalled;

static void reset_logs(void) {
    evlog[0] = '\0';
    nwatched = 0;
    cbcalled = 0;
}

/* Checks every logging callback makes on entry: no error is pending (the
 * library saves the caller's error around callbacks, as CPython fetches the
 * pending exception) and every watched reference is already dead. */
static void callback_entry_checks(void) {
    if (rc_error_code() != RC_OK)
        ev("!error-pending");
    for (int i = 0; i < nwatched; i++)
        if (rc_weakref_is_alive(watched[i]) != 0)
            ev("!alive");
}

/* The usual callback: data is a str with the reference's name, logged. */
static void log_cb(rc_object *ref, rc_object *data) {
    callback_entry_checks();
    if (rc_weakref_is_alive(ref) != 0)
        ev("!self-alive");
    ev("%s", data ? rc_str_utf8(data) : "?");
}

/* TestBase.callback: counts its calls. */
static void count_cb(rc_object *ref, rc_object *data) {
    (void)ref;
    (void)data;
    cbcalled++;
}

/* rc_weakref_new(obj, log_cb, str(name)); the reference owns the name. */
static rc_object *named_ref(void *obj, const char *name) {
    rc_object *s = rc_str_from(name);
    rc_object *r = rc_weakref_new(obj, log_cb, s);
    CHECK(r != NULL);
    rc_decref(s);
    return r;
}

static rc_object *named_proxy(void *obj, const char *name) {
    rc_object *s = rc_str_from(name);
    rc_object *p = rc_weakproxy_new(obj, log_cb, s);
    CHECK(p != NULL);
    rc_decref(s);
    return p;
}

static rc_object *basic_ref(void *obj) {
    rc_object *r = rc_weakref_new(obj, NULL, NULL);
    CHECK(r != NULL);
    return r;
}

/* ref() is NULL, and no error was recorded for it. */
static int is_dead(const rc_object *ref) {
    rc_error_clear();
    rc_object *o = rc_weakref_get(ref);
    int ok = o == NULL && rc_error_code() == RC_OK && rc_weakref_is_alive(ref) == 0;
    rc_xdecref(o);
    return ok;
}

/* ref() is obj (the new reference is dropped again). */
static int refers_to(const rc_object *ref, const void *obj) {
    rc_object *o = rc_weakref_get(ref);
    int ok = o == (const rc_object *)obj && rc_weakref_is_alive(ref) == 1;
    rc_xdecref(o);
    return ok;
}

static rc_object *new_class_full(const char *name, void (*fin)(rc_object *),
                                 void (*del)(rc_object *), int weakrefs) {
    rc_class_options o;
    rc_class_options_init(&o);
    o.finalize = fin;
    o.del = del;
    o.weakrefs = weakrefs;
    rc_object *c = rc_class_new(name, &o);
    CHECK(c != NULL);
    return c;
}

static rc_object *new_class(const char *name) { return new_class_full(name, NULL, NULL, 1); }

static rc_object *new_instance(rc_object *cls) {
    rc_object *o = rc_new_instance(cls);
    CHECK(o != NULL);
    return o;
}

/* setattr that must succeed. */
static void set(void *obj, const char *name, void *value) {
    CHECK_EQ(rc_setattr(obj, name, value), 0);
}

static int in_generation(const void *o, int generation) {
    rc_object *objs = rc_gc_get_objects(generation);
    int found = 0;
    for (intptr_t i = 0; objs && i < rc_list_size(objs); i++)
        found |= rc_list_get(objs, i) == (const rc_object *)o;
    rc_xdecref(objs);
    return found;
}

/* Python's `Object`: a hashable, comparable, weakly referenceable object
 * that is not a GC type (test_weakref.py's helper class). */
typedef struct Object {
    rc_object ob;
    int64_t arg;
    rc_object *weaklist;
} Object;

static int64_t object_hash(rc_object *self) {
    rc_object *i = rc_int_from(((Object *)self)->arg);   /* hash(self.arg) */
    int64_t h = i ? rc_hash(i) : -1;
    rc_xdecref(i);
    return h;
}

static const rc_type Object_type;
static int object_eq(rc_object *self, rc_object *other) {
    if (other->type != &Object_type)
        return 0;   /* NotImplemented: identity decides */
    return ((Object *)self)->arg == ((Object *)other)->arg;
}

static const rc_type Object_type = {
    .ob_base = RC_STATIC_TYPE_HEAD, .name = "Object", .basic_size = sizeof(Object),
    .flags = RC_TYPE_WEAKREF, .hash = object_hash, .eq = object_eq,
    .weaklist_offset = offsetof(Object, weaklist),
};

static rc_object *new_object(int64_t arg) {
    Object *o = rc_object_new(&Object_type);
    CHECK(o != NULL);
    if (o)
        o->arg = arg;
    return (rc_object *)o;
}

/* _testcapi.ContainerNoGC: holds one reference but is not a GC type, so
 * the collector cannot see through it. */
typedef struct ContainerNoGC {
    rc_object ob;
    rc_object *value;
} ContainerNoGC;

static void container_nogc_dealloc(rc_object *self) { rc_clear(&((ContainerNoGC *)self)->value); }

static const rc_type ContainerNoGC_type = {
    .ob_base = RC_STATIC_TYPE_HEAD, .name = "ContainerNoGC",
    .basic_size = sizeof(ContainerNoGC), .dealloc = container_nogc_dealloc,
};

/* stderr captured into a buffer (fd 2 redirected to a temporary file), to
 * check what the library reports for errors raised inside callbacks. */
static FILE *capture_file;
static int capture_saved_fd = -1;

static void capture_begin(void) {
    fflush(stderr);
    capture_file = tmpfile();
    CHECK(capture_file != NULL);
    if (!capture_file)
        return;
    capture_saved_fd = dup(2);
    dup2(fileno(capture_file), 2);
}

static void capture_end(char *buf, size_t n) {
    buf[0] = '\0';
    if (!capture_file)
        return;
    fflush(stderr);
    dup2(capture_saved_fd, 2);
    close(capture_saved_fd);
    rewind(capture_file);
    size_t k = fread(buf, 1, n - 1, capture_file);
    buf[k] = '\0';
    fclose(capture_file);
    capture_file = NULL;
}

/* The class C most tests use (test_weakref.py's `class C`), created at the
 * start of a test and dropped at its end; the heap is new for each test. */
static rc_object *C;

static void begin(void) {
    rc_gc_disable();
    reset_logs();
    rc_error_clear();
    C = new_class("C");
}

static void end(void) {
    rc_clear(&C);
    CHECK_EQ(rc_gc_collect(2), 0);   /* nothing a test made is left as trash */
    reset_logs();
}

/* ====================================================================
 * ReferencesTestCase
 * ================================================================== */

/* check_basic_ref: a reference to a live object returns that object and
 * does not keep it alive (the count is unchanged). */
static void check_basic_ref(rc_object *o) {
    intptr_t rc_before = rc_refcount(o);
    rc_object *ref = basic_ref(o);
    CHECK(rc_weakref_check(ref) == 1 && rc_weakproxy_check(ref) == 0);
    CHECK(refers_to(ref, o));
    CHECK_EQ(rc_refcount(o), rc_before);
    rc_xdecref(ref);
}

/* check_basic_callback: one callback call at death, dead afterwards. */
static void check_basic_callback(rc_object *o) {
    cbcalled = 0;
    rc_object *ref = rc_weakref_new(o, count_cb, NULL);
    CHECK(ref != NULL);
    rc_decref(o);
    rc_gc_collect(2);
    CHECK_EQ(cbcalled, 1);
    CHECK(is_dead(ref));
    rc_xdecref(ref);
}

/* The referent kinds that stand for Python's C(), create_function() and
 * create_bound_method(): a dict-backed instance, a slots instance (weak
 * references on), a class, and a non-GC static-type object. */
static rc_object *make_referent(int kind, rc_object *slots_cls) {
    switch (kind) {
    case 0: return new_instance(C);
    case 1: return new_instance(slots_cls);
    case 2: return new_class("Made");
    default: return new_object(1);
    }
}

static rc_object *new_slots_class(const char *name, int weakrefs) {
    static const char *const ab[] = {"a", "b"};
    rc_class_options o;
    rc_class_options_init(&o);
    o.kind = RC_CLASS_SLOTS;
    o.slots = ab;
    o.nslots = 2;
    o.weakrefs = weakrefs;
    rc_object *c = rc_class_new(name, &o);
    CHECK(c != NULL);
    return c;
}

static void test_basic_ref(void) {
    begin();
    rc_object *S = new_slots_class("S", 1);
    for (int kind = 0; kind < 4; kind++) {
        rc_object *o = make_referent(kind, S);
        check_basic_ref(o);
        rc_decref(o);
    }
    /* "Just make sure the tp_repr handler doesn't raise": live and dead */
    rc_object *o = new_instance(C);
    rc_object *wr = basic_ref(o);
    rc_object *r = rc_repr(wr);
    CHECK(r != NULL);
    rc_xdecref(r);
    rc_decref(o);
    r = rc_repr(wr);
    CHECK(r != NULL);
    rc_xdecref(r);
    rc_decref(wr);
    rc_decref(S);
    end();
}

static void test_basic_callback(void) {
    begin();
    rc_object *S = new_slots_class("S", 1);
    for (int kind = 0; kind < 4; kind++)
        check_basic_callback(make_referent(kind, S));
    rc_decref(S);
    end();
}

static void test_multiple_callbacks(void) {
    begin();
    rc_object *o = new_instance(C);
    rc_object *ref1 = rc_weakref_new(o, count_cb, NULL);
    rc_object *ref2 = rc_weakref_new(o, count_cb, NULL);
    CHECK(ref1 && ref2 && ref1 != ref2);
    rc_decref(o);
    rc_gc_collect(2);
    CHECK(is_dead(ref1));                    /* "expected reference to be invalidated" */
    CHECK(is_dead(ref2));
    CHECK_EQ(cbcalled, 2);
    rc_xdecref(ref1);
    rc_xdecref(ref2);
    end();
}

/* All references are invalidated before any callback is called: the
 * callback of the newest reference (called first) reads the oldest one. */
static rc_object *selfref_first;
static int selfref_saw_object;

static void selfref_cb(rc_object *ref, rc_object *data) {
    (void)ref;
    (void)data;
    cbcalled++;
    rc_object *o = rc_weakref_get(selfref_first);   /* self.ref() */
    if (o)
        selfref_saw_object++;
    rc_xdecref(o);
}

static void test_multiple_selfref_callbacks(void) {
    begin();
    rc_object *c = new_instance(C);
    selfref_first = rc_weakref_new(c, selfref_cb, NULL);
    rc_object *ref1 = rc_weakref_new(c, selfref_cb, NULL);
    selfref_saw_object = 0;
    rc_decref(c);
    CHECK_EQ(cbcalled, 2);
    CHECK_EQ(selfref_saw_object, 0);
    rc_xdecref(ref1);
    rc_clear(&selfref_first);
    end();
}

/* A reference without callback is shared, with a proxy created between
 * the two requests or before them; getweakrefcount counts it once. */
static void test_ref_reuse(void) {
    begin();
    rc_object *o = new_instance(C);
    rc_object *ref1 = basic_ref(o);
    rc_object *proxy = rc_weakproxy_new(o, NULL, NULL);
    rc_object *ref2 = basic_ref(o);
    CHECK(ref1 == ref2);                     /* "should be re-used" */
    DECREF_ALL(ref1, ref2, proxy, o);

    o = new_instance(C);
    proxy = rc_weakproxy_new(o, NULL, NULL);
    ref1 = basic_ref(o);
    ref2 = basic_ref(o);
    CHECK(ref1 == ref2);
    CHECK_EQ(rc_weakref_count(o), 2);        /* Python: 2 */
    rc_decref(proxy);
    CHECK_EQ(rc_weakref_count(o), 1);        /* Python: 1 after deleting the proxy */
    rc_decref(ref1);
    rc_decref(ref2);
    CHECK_EQ(rc_weakref_count(o), 0);
    rc_decref(o);
    end();
}

static void test_proxy_reuse(void) {
    begin();
    rc_object *o = new_instance(C);
    rc_object *proxy1 = rc_weakproxy_new(o, NULL, NULL);
    rc_object *ref = basic_ref(o);
    rc_object *proxy2 = rc_weakproxy_new(o, NULL, NULL);
    CHECK(proxy1 && proxy1 == proxy2);      /* "should have been re-used" */
    CHECK(proxy1 != ref);
    CHECK(rc_weakproxy_check(proxy1) == 1 && rc_weakref_check(proxy1) == 0);
    rc_xdecref(proxy1);
    rc_xdecref(proxy2);
    rc_decref(ref);
    rc_decref(o);
    end();
}

/* check_shared_without_callback: Python passes NULL or None for "no
 * callback"; the C API has only NULL, and "no data" as well.  Anything
 * with a callback or with data is a new reference each time. */
static void check_shared_without_callback(rc_object *(*makeref)(void *, rc_weakref_callback,
                                                                 void *)) {
    rc_object *o = new_object(1);
    rc_object *p1 = makeref(o, NULL, NULL), *p2 = makeref(o, NULL, NULL);
    CHECK(p1 && p1 == p2);                   /* "both callbacks were NULL in the C API" */
    rc_xdecref(p1);
    rc_xdecref(p2);
    /* after the shared one died, a new one is shared again */
    p1 = makeref(o, NULL, NULL);
    p2 = makeref(o, NULL, NULL);
    CHECK(p1 && p1 == p2);
    rc_object *withcb = makeref(o, count_cb, NULL);
    rc_object *withcb2 = makeref(o, count_cb, NULL);
    rc_object *data = rc_list_new(0);
    rc_object *withdata = makeref(o, NULL, data);
    CHECK(withcb && withcb != p1 && withcb2 != withcb);
    CHECK(withdata && withdata != p1);
    CHECK_EQ(rc_weakref_count(o), 4);
    rc_decref(o);
    CHECK_EQ(cbcalled, 2);                   /* the two with callbacks, at o's death */
    rc_object *objs[] = {p1, p2, withcb, withcb2, data, withdata};
    for (size_t i = 0; i < sizeof objs / sizeof objs[0]; i++)
        rc_xdecref(objs[i]);
}

static void test_shared_ref_without_callback(void) {
    begin();
    check_shared_without_callback(rc_weakref_new);
    end();
}

static void test_shared_proxy_without_callback(void) {
    begin();
    check_shared_without_callback(rc_weakproxy_new);
    end();
}

static void test_getweakrefcount(void) {
    begin();
    rc_object *o = new_instance(C);
    rc_object *ref1 = basic_ref(o);
    rc_object *ref2 = rc_weakref_new(o, count_cb, NULL);
    CHECK_EQ(rc_weakref_count(o), 2);
    rc_object *proxy1 = rc_weakproxy_new(o, NULL, NULL);
    rc_object *proxy2 = rc_weakproxy_new(o, count_cb, NULL);
    CHECK_EQ(rc_weakref_count(o), 4);
    rc_xdecref(ref1);
    rc_xdecref(ref2);
    rc_xdecref(proxy1);
    rc_xdecref(proxy2);
    /* "weak reference objects not unlinked from referent when discarded" */
    CHECK_EQ(rc_weakref_count(o), 0);
    rc_decref(o);
    CHECK_EQ(cbcalled, 0);                   /* discarded refs never call back */
    /* objects without weak-reference support: 0 (Python: int) */
    rc_object *i = rc_int_from(1000);
    CHECK_EQ(rc_weakref_count(i), 0);
    CHECK_EQ(rc_weakref_count(NULL), 0);
    rc_decref(i);
    end();
}

/* The list holds exactly the references; order per reference 6.1. */
static int list_is(rc_object *list, rc_object *const *want, int n) {
    int ok = list && rc_list_size(list) == n;
    for (int i = 0; ok && i < n; i++)
        ok = rc_list_get(list, i) == want[i];
    if (!ok)
        fprintf(stderr, "    getweakrefs: got %ld items, want %d in order\n",
                list ? (long)rc_list_size(list) : -1L, n);
    rc_xdecref(list);
    return ok;
}

static void test_getweakrefs(void) {
    begin();
    rc_object *o = new_instance(C);
    rc_object *ref1 = rc_weakref_new(o, count_cb, NULL);
    rc_object *ref2 = rc_weakref_new(o, count_cb, NULL);
    rc_decref(ref1);
    CHECK(list_is(rc_weakref_list(o), (rc_object *[]){ref2}, 1));
    rc_decref(ref2);
    rc_decref(o);

    o = new_instance(C);
    ref1 = rc_weakref_new(o, count_cb, NULL);
    ref2 = rc_weakref_new(o, count_cb, NULL);
    rc_decref(ref2);
    CHECK(list_is(rc_weakref_list(o), (rc_object *[]){ref1}, 1));
    rc_decref(ref1);
    CHECK(list_is(rc_weakref_list(o), NULL, 0));   /* "list of refs not cleared" */

    /* beyond Python's test, the order itself.  Python:
     * r1 = ref(o, f); b = ref(o); r2 = ref(o, f); p = proxy(o);
     * p2 = proxy(o, f); r3 = ref(o, f)  ->  getweakrefs(o) is
     * [b, p, r3, p2, r2, r1]: the basic ref, the basic proxy, then the
     * others newest first, and the callbacks run in that order. */
    rc_object *r1 = named_ref(o, "r1"), *b = basic_ref(o), *r2 = named_ref(o, "r2");
    rc_object *p = rc_weakproxy_new(o, NULL, NULL), *p2 = named_proxy(o, "p2");
    rc_object *r3 = named_ref(o, "r3");
    CHECK(list_is(rc_weakref_list(o), (rc_object *[]){b, p, r3, p2, r2, r1}, 6));
    CHECK_EQ(rc_weakref_count(o), 6);
    rc_decref(o);
    CHECK(events_are("r3 p2 r2 r1"));     /* Python: the same order */
    rc_object *objs[] = {r1, b, r2, p, p2, r3};
    for (size_t i = 0; i < sizeof objs / sizeof objs[0]; i++)
        rc_decref(objs[i]);

    /* no support: an empty list (Python: int); NULL is an error */
    rc_object *i = rc_int_from(1000);
    CHECK(list_is(rc_weakref_list(i), NULL, 0));
    rc_decref(i);
    CHECK(rc_weakref_list(NULL) == NULL);
    CHECK(error_is(RC_ERR_INVALID, NULL));
    end();
}

/* test_callbacks_protected (SF bug #478534): an error recorded before the
 * death survives the callbacks.  encapsulate(): f is an object, data[ref(f,
 * remove)] = None, then "raise BogusError" and return, which drops f; the
 * callback remove(k) does `del data[k]` (the dict is the callback's data;
 * the key is found through the hash the reference cached while alive). */
static void remove_cb(rc_object *ref, rc_object *data) {
    if (rc_error_code() != RC_OK)
        ev("!error-pending");
    if (rc_dict_delete(data, ref) < 0)
        ev("!del-failed:%s", rc_error_message());
    ev("removed");
}

static void encapsulate(rc_object *data) {
    rc_object *f = new_object(7);
    rc_object *r = rc_weakref_new(f, remove_cb, data);
    CHECK_EQ(rc_dict_set(data, r, rc_None), 0);
    rc_decref(r);
    rc_error_set(RC_ERR_VALUE, "BogusError");
    rc_decref(f);   /* the frame goes away with the error pending */
}

static void test_callbacks_protected(void) {
    begin();
    rc_object *data = rc_dict_new();
    for (int round = 0; round < 2; round++) {
        evlog[0] = '\0';
        encapsulate(data);
        /* "exception not properly restored" otherwise */
        CHECK(error_is(RC_ERR_VALUE, "BogusError"));
        CHECK(events_are("removed"));
        CHECK_EQ(rc_dict_size(data), 0);
    }
    rc_decref(data);
    end();
}

/* test_sf_bug_840829: a callback that runs a collection while its referent
 * is being destroyed (also when the death is a side effect of another
 * object's destruction) must not expose the dying object to the
 * collector. */
static void collect_cb(rc_object *ref, rc_object *data) {
    (void)ref;
    (void)data;
    cbcalled++;
    rc_gc_collect(2);
}

static void test_sf_bug_840829(void) {
    begin();
    rc_object *c = new_instance(C);
    rc_object *wr = rc_weakref_new(c, collect_cb, NULL);
    rc_decref(c);
    rc_decref(wr);              /* "There endeth the first part." */
    CHECK_EQ(cbcalled, 1);

    rc_object *c1 = new_instance(C), *i = new_instance(C);
    set(c1, "i", i);
    wr = rc_weakref_new(i, collect_cb, NULL);
    rc_decref(i);
    rc_object *c2 = new_instance(C);
    set(c2, "c1", c1);
    rc_decref(c1);              /* still alive because c2 points to it */
    rc_decref(c2);              /* c2 -> c1 -> c1.i: the callback collects */
    CHECK_EQ(cbcalled, 2);
    CHECK(is_dead(wr));
    rc_decref(wr);
    end();
}

/* The adapted callback of the test_callback_in_cycle family: a "method" of
 * data that reads attributes of data (self.J, or self.me / self.c1 /
 * self.wr).  In CPython the bug was a callback running on tp_clear'ed
 * state; here the attributes must still be there if it ever runs, and
 * under 3.11's rule it does not run at all because its weak reference is
 * trash too (Python: none of these callbacks is called). */
static const char *const *method_attrs;

static void method_cb(rc_object *ref, rc_object *data) {
    (void)ref;
    ev("cb");
    for (const char *const *a = method_attrs; a && *a; a++)
        if (!rc_getattr_borrowed(data, *a)) {
            ev("!cleared:%s", *a);
            rc_error_clear();
        }
}

static void test_callback_in_cycle(void) {
    static const char *const attrs[] = {"J", NULL};
    begin();
    method_attrs = attrs;
    rc_object *J = new_class("J"), *II = new_class("II");
    rc_object *I = new_instance(II);
    set(I, "J", J);
    rc_object *wr = rc_weakref_new(J, method_cb, I);     /* I.wr = ref(J, I.acallback) */
    set(I, "wr", wr);
    DECREF_ALL(wr, I, J, II);
    /* I, I.wr, J, II: one rcgc object each (CPython counts the classes'
     * dicts, MROs and the bound method too: 16) */
    CHECK_EQ(rc_gc_collect(2), 4);
    CHECK(events_are(""));
    end();
}

/* c2 reaches c1 but not the other way round: protecting what is reachable
 * from the dying c1 would not protect c2. */
static void callback_one_way(int different_classes) {
    static const char *const attrs[] = {"me", "c1", "wr", NULL};
    begin();
    method_attrs = attrs;
    rc_object *D = different_classes ? new_class("D") : rc_newref(C);
    rc_object *c1 = new_instance(D), *c2 = new_instance(C);
    set(c2, "me", c2);
    set(c2, "c1", c1);
    rc_object *wr = rc_weakref_new(c1, method_cb, c2);   /* c2.wr = ref(c1, c2.cb) */
    set(c2, "wr", wr);
    DECREF_ALL(wr, c1, c2, D);
    if (different_classes) {
        rc_clear(&C);            /* del c1, c2, C, D: c1, c2, c2.wr, C, D */
        CHECK_EQ(rc_gc_collect(2), 5);
    } else {
        CHECK_EQ(rc_gc_collect(2), 3);   /* c1, c2, c2.wr */
    }
    CHECK(events_are(""));
    end();
}

static void test_callback_reachable_one_way(void) { callback_one_way(0); }
static void test_callback_different_classes(void) { callback_one_way(1); }

/* Weak references that are part of the trash never call back, so their
 * callbacks cannot resurrect trash; a weak reference to the class held
 * from outside does call back.  Python: alist == ["C went away"] and the
 * remaining weakref is dead; a second collection finds nothing. */
static rc_object *alist;

static void append_c_cb(rc_object *ref, rc_object *data) {
    (void)ref;
    rc_object *c = rc_getattr_borrowed(data, "c");      /* alist.append(self.c) */
    if (c)
        rc_list_append(alist, c);
    ev("acallback");
}

static void test_callback_in_cycle_resurrection(void) {
    begin();
    alist = rc_list_new(0);
    rc_object *one = rc_int_from(1), *two = rc_int_from(2);
    rc_object *c1 = new_instance(C), *c2 = new_instance(C);
    set(c1, "attribute", one);
    set(c2, "attribute", two);
    set(c1, "c", c2);
    set(c2, "c", c1);
    rc_object *w1 = rc_weakref_new(c2, append_c_cb, c1);   /* c1.wr = ref(c2, c1.acallback) */
    rc_object *w2 = rc_weakref_new(c1, append_c_cb, c2);
    set(c1, "wr", w1);
    set(c2, "wr", w2);
    rc_decref(w1);
    rc_decref(w2);
    rc_object *wr = named_ref(C, "C-went-away");
    rc_decref(c1);
    rc_decref(c2);
    rc_clear(&C);
    CHECK(events_are(""));                   /* del isn't enough to reclaim anything */
    CHECK_EQ(rc_gc_collect(2), 5);           /* c1, c2, c1.wr, c2.wr, C */
    CHECK(events_are("C-went-away"));
    CHECK_EQ(rc_list_size(alist), 0);        /* nothing resurrected */
    CHECK(is_dead(wr));
    evlog[0] = '\0';
    CHECK_EQ(rc_gc_collect(2), 0);
    CHECK(events_are(""));
    DECREF_ALL(wr, one, two);
    rc_clear(&alist);
    end();
}

/* Weak references with callbacks on a callback: c.wr = ref(d, c.cb),
 * d.wr = ref(c.cb, d.cb) and an external ref(c.cb, safe_callback).  The
 * bound method c.cb is an instance `m` of class M with m.self = c (the
 * data of c.wr).  Only the external reference calls back (Python:
 * ["safe_callback called"]). */
static void cb_called(rc_object *ref, rc_object *data) {
    (void)ref;
    (void)data;
    ev("cb-called");
}

static void test_callbacks_on_callback(void) {
    begin();
    rc_object *M = new_class("M");
    rc_object *c = new_instance(C), *d = new_instance(C);
    set(c, "other", d);
    set(d, "other", c);
    rc_object *callback = new_instance(M);   /* callback = c.cb */
    set(callback, "self", c);
    rc_object *cwr = rc_weakref_new(d, cb_called, callback);   /* this won't trigger */
    rc_object *dwr = rc_weakref_new(callback, cb_called, d);   /* ditto */
    set(c, "wr", cwr);
    set(d, "wr", dwr);
    rc_decref(cwr);
    rc_decref(dwr);
    rc_object *external_wr = named_ref(callback, "safe_callback-called");   /* but this will */
    CHECK(refers_to(external_wr, callback));
    DECREF_ALL(callback, c, d);
    rc_clear(&C);
    rc_decref(M);
    CHECK(events_are(""));                   /* del isn't enough to clean up cycles */
    CHECK_EQ(rc_gc_collect(2), 7);           /* c, d, callback, c.wr, d.wr, C, M */
    CHECK(events_are("safe_callback-called"));
    CHECK(is_dead(external_wr));
    evlog[0] = '\0';
    CHECK_EQ(rc_gc_collect(2), 0);
    CHECK(events_are(""));
    rc_decref(external_wr);
    end();
}

/* check_gc_during_creation: with thresholds (1, 1, 1), a collection runs
 * while a new weak reference to `referenced` is being allocated, and that
 * collection frees a trash object holding the existing basic reference to
 * `referenced` (so the referent's list changes under the constructor).
 * Python's test only requires no crash; here the collection is made to
 * happen exactly inside the constructor, and the list must be sane
 * afterwards. */
static void noop_cb(rc_object *ref, rc_object *data) {
    (void)ref;
    (void)data;
    ev("noop");
}

static void check_gc_during_creation(rc_object *(*makeref)(void *, rc_weakref_callback, void *)) {
    long thresholds[3];
    rc_gc_get_threshold(thresholds);
    rc_gc_set_threshold(1, 1, 1);
    rc_gc_collect(2);
    rc_object *A = new_class("A");
    rc_object *referenced = new_instance(A);
    rc_object *a = self_loop(A, "a");
    rc_object *wr = makeref(referenced, NULL, NULL);
    set(a, "wr", wr);
    rc_decref(wr);
    /* a = A(): the old a and its reference are cyclic trash, all of it
     * still in generation 0 (collection was off while it was built), and
     * count0 is past threshold0: the next GC allocation - the new weak
     * reference - starts a generation-0 collection */
    rc_decref(a);
    a = new_instance(A);
    CHECK(gc_count(0) > 1);
    CHECK(in_generation(referenced, 0));
    rc_gc_enable();
    uint64_t before =
        gc_stats(0).collections + gc_stats(1).collections + gc_stats(2).collections;
    rc_object *made = makeref(referenced, noop_cb, NULL);
    uint64_t after =
        gc_stats(0).collections + gc_stats(1).collections + gc_stats(2).collections;
    rc_gc_disable();
    rc_gc_set_threshold(thresholds[0], thresholds[1], thresholds[2]);
    CHECK(made != NULL);
    CHECK_EQ(after - before, 1);             /* the collection ran inside the constructor */
    CHECK_EQ(rc_weakref_count(referenced), 1);   /* the trash basic reference is gone */
    CHECK(list_is(rc_weakref_list(referenced), (rc_object *[]){made}, 1));
    CHECK(refers_to(made, referenced));
    rc_decref(referenced);
    CHECK(events_are("noop"));
    rc_xdecref(made);
    rc_decref(a);
    rc_decref(A);
}

static void test_gc_during_ref_creation(void) {
    begin();
    check_gc_during_creation(rc_weakref_new);
    end();
}

static void test_gc_during_proxy_creation(void) {
    begin();
    check_gc_during_creation(rc_weakproxy_new);
    end();
}

/* Bug #1377858: a weak reference created in __del__ (to the dying object)
 * must not point to freed memory once the object is gone.  Refcount path,
 * Python 3.11, 3.12, 3.13: after `del w` the reference is dead, and a
 * callback given to it runs (the object dies right after its finalizer). */
static rc_object *ref_from_del, *ref_from_del_cb;

static void target_del(rc_object *self) {
    ref_from_del = rc_weakref_new(self, NULL, NULL);
    ref_from_del_cb = named_ref(self, "cb-of-ref-made-in-del");
    if (!refers_to(ref_from_del, self))
        ev("!not-alive-in-del");
}

static void check_ref_created_during_del(int in_cycle, const char *want_events) {
    begin();
    rc_object *Target = new_class_full("Target", target_del, NULL, 1);
    rc_object *w = in_cycle ? self_loop(Target, "me") : new_instance(Target);
    rc_decref(w);
    if (in_cycle)
        CHECK_EQ(rc_gc_collect(2), 1);
    CHECK(ref_from_del != NULL && is_dead(ref_from_del));
    CHECK(ref_from_del_cb != NULL && is_dead(ref_from_del_cb));
    CHECK(events_are(want_events));
    rc_clear(&ref_from_del);
    rc_clear(&ref_from_del_cb);
    rc_decref(Target);
    end();
}

static void test_ref_created_during_del(void) {
    check_ref_created_during_del(0, "cb-of-ref-made-in-del");
}

/* The same for cyclic trash.  CPython 3.11, 3.12 and 3.13.0: the reference
 * made inside __del__ escapes the weakref step (it did not exist yet), the
 * object is cleared, and the callback runs when it is finally freed
 * (collect() == 1, ['cb']).  rcgc gives the same result but clears the
 * reference earlier, before any clear hook runs (CPython's gh-91636 fix,
 * docs/semantics.md collector step 13), and calls it back then because it
 * is not garbage itself.  The next test shows what the early clear
 * protects against. */
static void test_ref_created_during_del_cycle(void) {
    check_ref_created_during_del(1, "cb-of-ref-made-in-del");
}

/* gh-91636 in C terms: b's __del__ (cyclic trash a <-> b) stores g =
 * ref(b); b also holds x, a non-GC object (so not part of the garbage set
 * and not finalized with it) whose finalizer runs only when the clearing
 * frees it, and calls g().  Under 3.11/3.12's rule alone g is still alive
 * then and, when b's clear hook is what frees x, g() hands out b while the
 * collector is tearing it down (the bug).  rcgc: g is dead before any
 * clear hook runs, whatever the clearing order. */
static rc_object *g91636;

static void grab_self_del(rc_object *self) { g91636 = rc_weakref_new(self, NULL, NULL); }

static void probe_del(rc_object *self) {
    (void)self;
    rc_object *o = g91636 ? rc_weakref_get(g91636) : NULL;
    ev("%s", o ? "exposed" : "dead");
    rc_xdecref(o);
}

static const rc_type Probe_type = {.ob_base = RC_STATIC_TYPE_HEAD, .name = "Probe",
                                   .basic_size = sizeof(rc_object), .finalize = probe_del};

static void test_ref_created_during_del_never_exposes_garbage(void) {
    begin();
    rc_object *B = new_class_full("B", grab_self_del, NULL, 1);
    rc_object *b = new_instance(B), *a = new_instance(C), *x = rc_object_new(&Probe_type);
    set(b, "other", a);
    set(a, "other", b);
    set(b, "x", x);
    DECREF_ALL(x, a, b);
    CHECK_EQ(rc_gc_collect(2), 2);           /* a, b (x is not a GC object) */
    CHECK(events_are("dead"));
    CHECK(g91636 != NULL && is_dead(g91636));
    rc_clear(&g91636);
    rc_decref(B);
    end();
}

/* Classes are weakly referenceable.  Python: a = ref(A, l.append); A = None;
 * gc.collect(); a() is None and l == [a]. */
static void append_ref_cb(rc_object *ref, rc_object *data) { rc_list_append(data, ref); }

static void test_classes(void) {
    begin();
    rc_object *A = new_class("A");
    rc_object *l = rc_list_new(0);
    /* weakref.ref(int): static descriptors are read-only in rcgc and may
     * have no list; either a working reference or a TypeError */
    rc_object *ri = rc_weakref_new((void *)&rc_int_type, NULL, NULL);
    if (ri)
        CHECK(refers_to(ri, &rc_int_type));
    else
        CHECK(error_is(RC_ERR_TYPE, "cannot create weak reference to"));
    rc_xdecref(ri);
    rc_object *a = rc_weakref_new(A, append_ref_cb, l);
    CHECK(a != NULL);
    rc_clear(&A);
    rc_gc_collect(2);
    CHECK(is_dead(a));
    CHECK(rc_list_size(l) == 1 && rc_list_get(l, 0) == a);
    rc_list_clear(l);
    rc_decref(l);
    rc_xdecref(a);
    end();
}

/* Alive references compare their referents, dead ones compare by identity
 * (Python: a == b, a != c, a == d, a != x while alive; then a != b, a != c,
 * (a == d) == (a is d)). */
static void test_equality(void) {
    begin();
    rc_object *x = new_object(1), *y = new_object(1), *z = new_object(2);
    rc_object *a = basic_ref(x), *b = basic_ref(y), *c = basic_ref(z), *d = basic_ref(x);
    CHECK_EQ(rc_eq(a, b), 1);
    CHECK_EQ(rc_eq(a, c), 0);
    CHECK_EQ(rc_eq(a, d), 1);
    CHECK_EQ(rc_eq(a, x), 0);                /* a reference is not its referent */
    CHECK_EQ(rc_eq(x, a), 0);
    DECREF_ALL(x, y, z);
    CHECK(is_dead(a) && is_dead(b) && is_dead(c));
    CHECK_EQ(rc_eq(a, b), 0);
    CHECK_EQ(rc_eq(b, a), 0);
    CHECK_EQ(rc_eq(a, c), 0);
    CHECK_EQ(rc_eq(a, d), a == d);
    CHECK(a == d);                           /* the basic reference is shared */
    rc_object *objs[] = {a, b, c, d};
    for (size_t i = 0; i < 4; i++)
        rc_decref(objs[i]);
    end();
}

/* A live reference hashes as its referent; a dead one keeps a hash
 * computed while alive, and one never hashed cannot be hashed (Python:
 * TypeError "weak object has gone away"). */
static void test_hashing(void) {
    begin();
    rc_object *x = new_object(42), *y = new_object(42), *i42 = rc_int_from(42);
    rc_object *a = basic_ref(x), *b = basic_ref(y);
    CHECK_EQ(rc_hash(a), rc_hash(i42));
    rc_decref(x);
    rc_decref(y);
    CHECK_EQ(rc_hash(a), rc_hash(i42));
    rc_error_clear();
    CHECK_EQ(rc_hash(b), -1);
    CHECK(error_is(RC_ERR_TYPE, NULL));
    DECREF_ALL(a, b, i42);
    end();
}

/* Issue #16602: a weak reference must not return an object whose count
 * has reached 0 but whose destruction the trashcan has deferred.  Python's
 * test keeps each C(c) alive through a WeakKeyDictionary entry keyed by its
 * parent; here the entry is a list [child] owned by a reference to the
 * parent whose callback empties it, so each death happens inside the
 * callbacks of the previous one, 100 deep - past the trashcan's limit of
 * 50.  Every child's `wparent` callback calls `wself()`.  Python (both
 * versions): 100 callbacks, wself() alive only once (for the last node,
 * which the test still holds). */
static int cb16602_calls, cb16602_alive;

static void wparent_cb(rc_object *ref, rc_object *wself) {
    (void)ref;
    cb16602_calls++;
    rc_object *o = rc_weakref_get(wself);    /* o = wself() */
    if (o) {
        cb16602_alive++;
        if (rc_refcount(o) < 2)
            ev("!dying-object-exposed");
    }
    rc_xdecref(o);
}

static void release_cb(rc_object *ref, rc_object *holder) {
    (void)ref;
    rc_list_clear(holder);
}

/* C(parent): self.wparent = ref(parent, cb) with cb closing over wself. */
static rc_object *new_16602(rc_object *parent) {
    rc_object *c = new_instance(C);
    if (parent) {
        rc_object *wself = basic_ref(c);
        rc_object *wparent = rc_weakref_new(parent, wparent_cb, wself);
        set(c, "wparent", wparent);
        rc_decref(wparent);
        rc_decref(wself);
    }
    return c;
}

static void check_trashcan_16602(int n) {
    cb16602_calls = cb16602_alive = 0;
    rc_object *d = rc_list_new(0);           /* the entries' owners */
    rc_object *root = new_16602(NULL), *c = rc_newref(root);
    for (int k = 0; k < n; k++) {            /* d[c] = c = C(c) */
        rc_object *child = new_16602(c);
        rc_object *holder = rc_list_new(0);
        rc_list_append(holder, child);
        rc_object *entry = rc_weakref_new(c, release_cb, holder);
        rc_list_append(d, entry);
        DECREF_ALL(entry, holder, c);
        c = child;
    }
    rc_decref(root);                         /* del root */
    rc_gc_collect(2);
    CHECK_EQ(cb16602_calls, n);
    CHECK_EQ(cb16602_alive, 1);
    rc_decref(c);
    rc_decref(d);
}

static void test_trashcan_16602(void) {
    begin();
    check_trashcan_16602(100);
    check_trashcan_16602(2000);              /* rcgc: many parked objects */
    CHECK(events_are(""));
    end();
}

/* __callback__: the callback while alive, None without one, None after
 * the referent died. */
static void test_callback_attribute(void) {
    begin();
    rc_object *x = new_object(1), *data = rc_list_new(0);
    rc_object *ref1 = rc_weakref_new(x, count_cb, data);
    rc_object *got = NULL;
    CHECK(rc_weakref_callback_of(ref1, &got) == count_cb);
    CHECK(got == data);
    rc_object *ref2 = basic_ref(x);
    got = data;
    rc_error_clear();
    CHECK(rc_weakref_callback_of(ref2, &got) == NULL);
    CHECK(got == NULL);
    CHECK_EQ(rc_error_code(), RC_OK);        /* "no callback" is not an error */
    CHECK(rc_weakref_callback_of(ref1, NULL) == count_cb);
    DECREF_ALL(ref1, ref2, x, data);
    end();
}

static void test_callback_attribute_after_deletion(void) {
    begin();
    rc_object *x = new_object(1);
    rc_object *ref = rc_weakref_new(x, count_cb, NULL);
    CHECK(rc_weakref_callback_of(ref, NULL) != NULL);
    rc_decref(x);
    rc_gc_collect(2);
    rc_error_clear();
    CHECK(rc_weakref_callback_of(ref, NULL) == NULL);
    CHECK_EQ(rc_error_code(), RC_OK);
    CHECK_EQ(cbcalled, 1);
    rc_decref(ref);
    end();
}

/* A callback that collects, on an object that has a finalizer. */
static void noop_del(rc_object *self) { (void)self; }

static void test_callback_gcs(void) {
    begin();
    rc_object *ObjectWithDel = new_class_full("ObjectWithDel", noop_del, NULL, 1);
    rc_object *x = new_instance(ObjectWithDel);
    rc_object *ref1 = rc_weakref_new(x, collect_cb, NULL);
    rc_decref(x);
    rc_gc_collect(2);
    CHECK_EQ(cbcalled, 1);
    CHECK(is_dead(ref1));
    rc_decref(ref1);
    rc_decref(ObjectWithDel);
    end();
}

/* SubclassableWeakrefTestCase.test_subclass_refs_with_cycle (bpo-3100), in
 * C terms: a reference whose data holds the only strong reference to its
 * referent.  Dropping the reference drops the referent while the
 * reference itself is being destroyed: its callback must not run.  Second
 * part: r1's data is r2, r2's data is the referent. */
static void test_subclass_refs_with_cycle(void) {
    begin();
    rc_object *o = new_instance(C);
    rc_object *r1 = rc_weakref_new(o, count_cb, o);      /* r1.o = o */
    rc_decref(o);
    CHECK(refers_to(r1, o));
    rc_decref(r1);                           /* "Used to crash here" */
    CHECK_EQ(cbcalled, 0);

    o = new_instance(C);
    rc_object *r2 = rc_weakref_new(o, count_cb, o);      /* r2.o = o */
    r1 = rc_weakref_new(o, count_cb, r2);                /* r1.r = r2 */
    DECREF_ALL(o, r2, r1);
    CHECK_EQ(cbcalled, 0);
    end();
}

/* ------------------------------------------------------------ proxies */

/* check_proxy: attribute addition, modification and removal are seen
 * through the proxy, and made through it. */
static void test_basic_proxy(void) {
    begin();
    rc_object *o = new_instance(C), *one = rc_int_from(1), *two = rc_int_from(2);
    rc_object *proxy = rc_weakproxy_new(o, NULL, NULL);
    CHECK(proxy != NULL);
    set(o, "foo", one);
    rc_object *v = rc_weakproxy_getattr(proxy, "foo");
    CHECK(v == one);
    rc_xdecref(v);
    set(o, "foo", two);
    v = rc_weakproxy_getattr(proxy, "foo");
    CHECK(v == two);
    rc_xdecref(v);
    CHECK_EQ(rc_delattr(o, "foo"), 0);
    CHECK(rc_weakproxy_getattr(proxy, "foo") == NULL);   /* not hasattr(proxy, 'foo') */
    CHECK(error_is(RC_ERR_ATTRIBUTE, NULL));

    CHECK_EQ(rc_weakproxy_setattr(proxy, "foo", one), 0);
    CHECK(rc_getattr_borrowed(o, "foo") == one);
    CHECK_EQ(rc_weakproxy_setattr(proxy, "foo", two), 0);
    CHECK(rc_getattr_borrowed(o, "foo") == two);
    CHECK_EQ(rc_weakproxy_delattr(proxy, "foo"), 0);
    CHECK_EQ(rc_hasattr(o, "foo"), 0);
    CHECK_EQ(rc_weakproxy_delattr(proxy, "foo"), -1);   /* missing: AttributeError */
    CHECK(error_is(RC_ERR_ATTRIBUTE, NULL));
    CHECK(refers_to(proxy, o));              /* rc_weakref_get accepts a proxy */
    DECREF_ALL(proxy, o, one, two);
    end();
}

/* test_proxy_ref: two proxies with callbacks; after the death every
 * operation raises ReferenceError and both callbacks ran; a proxy to a
 * temporary object is dead at once. */
static void check_proxy_dead(rc_object *proxy) {
    CHECK(rc_weakproxy_getattr(proxy, "bar") == NULL);
    CHECK(error_is(RC_ERR_REFERENCE, "weakly-referenced object no longer exists"));
    CHECK_EQ(rc_weakproxy_setattr(proxy, "bar", rc_None), -1);
    CHECK(error_is(RC_ERR_REFERENCE, "weakly-referenced object no longer exists"));
    CHECK_EQ(rc_weakproxy_delattr(proxy, "bar"), -1);
    CHECK(error_is(RC_ERR_REFERENCE, "weakly-referenced object no longer exists"));
    CHECK(is_dead(proxy));
}

static void test_proxy_ref(void) {
    begin();
    rc_object *o = new_instance(C), *one = rc_int_from(1);
    set(o, "bar", one);
    rc_object *ref1 = rc_weakproxy_new(o, count_cb, NULL);
    rc_object *ref2 = rc_weakproxy_new(o, count_cb, NULL);
    CHECK(ref1 && ref2 && ref1 != ref2);
    rc_decref(o);
    rc_gc_collect(2);
    check_proxy_dead(ref1);
    check_proxy_dead(ref2);
    rc_object *tmp = new_instance(C);
    rc_object *ref3 = rc_weakproxy_new(tmp, NULL, NULL);
    rc_decref(tmp);
    check_proxy_dead(ref3);
    CHECK_EQ(cbcalled, 2);
    rc_object *objs[] = {ref1, ref2, ref3, one};
    for (size_t i = 0; i < 4; i++)
        rc_decref(objs[i]);
    end();
}

/* test_proxy_hash: proxies are unhashable even when the referent is
 * hashable (Python: TypeError "unhashable type: 'weakref.ProxyType'"),
 * alive or dead. */
static void test_proxy_hash(void) {
    begin();
    rc_object *obj = new_object(42);
    rc_object *p = rc_weakproxy_new(obj, NULL, NULL);
    rc_error_clear();
    CHECK_EQ(rc_hash(p), -1);
    CHECK(error_is(RC_ERR_TYPE, "unhashable"));
    rc_decref(obj);
    CHECK_EQ(rc_hash(p), -1);
    CHECK(error_is(RC_ERR_TYPE, "unhashable"));
    rc_decref(p);
    end();
}

/* Proxies compare their referents, from either side (Python:
 * proxy(x) == proxy(y), proxy(x) == x and x == proxy(x) with x == y), and
 * comparing a dead proxy raises ReferenceError. */
static void test_proxy_equality(void) {
    begin();
    rc_object *x = new_object(1), *y = new_object(1), *z = new_object(2);
    rc_object *p = rc_weakproxy_new(x, NULL, NULL), *q = rc_weakproxy_new(y, NULL, NULL);
    CHECK_EQ(rc_eq(p, q), 1);
    CHECK_EQ(rc_eq(p, x), 1);
    CHECK_EQ(rc_eq(x, p), 1);
    CHECK_EQ(rc_eq(p, z), 0);
    rc_decref(x);
    CHECK_EQ(rc_eq(p, q), -1);
    CHECK(error_is(RC_ERR_REFERENCE, "weakly-referenced object no longer exists"));
    DECREF_ALL(p, q, y, z);
    end();
}

/* ------------------------------------------------------------ support */

/* "cannot create weak reference to 'int' object" (Python's exact text) for
 * a type without support, for a class made with options.weakrefs = 0 (a
 * __slots__ class without '__weakref__'), and for a weak reference itself
 * (Python: 'weakref.ReferenceType'); NULL is an invalid argument; the
 * accessors reject objects that are not references. */
static void check_no_support(void *obj, const char *msg) {
    CHECK(rc_weakref_new(obj, NULL, NULL) == NULL);
    CHECK(error_is(RC_ERR_TYPE, msg));
    CHECK(rc_weakref_new(obj, count_cb, NULL) == NULL);
    CHECK(error_is(RC_ERR_TYPE, msg));
    CHECK(rc_weakproxy_new(obj, NULL, NULL) == NULL);
    CHECK(error_is(RC_ERR_TYPE, msg));
    CHECK_EQ(rc_weakref_count(obj), 0);
    CHECK(list_is(rc_weakref_list(obj), NULL, 0));
}

static void test_no_weakref_support(void) {
    begin();
    rc_object *i = rc_int_from(1000);
    check_no_support(i, "cannot create weak reference to 'int' object");
    rc_object *S = new_slots_class("S", 0), *D = new_class_full("D", NULL, NULL, 0);
    rc_object *s = new_instance(S), *d = new_instance(D);
    check_no_support(s, "cannot create weak reference to 'S' object");
    check_no_support(d, "cannot create weak reference to 'D' object");
    rc_object *o = new_instance(C);
    rc_object *r = basic_ref(o);
    check_no_support(r, "cannot create weak reference to");
    CHECK(rc_weakref_new(NULL, NULL, NULL) == NULL);
    CHECK(error_is(RC_ERR_INVALID, NULL));
    CHECK(rc_weakproxy_new(NULL, NULL, NULL) == NULL);
    CHECK(error_is(RC_ERR_INVALID, NULL));
    CHECK(rc_weakref_get(i) == NULL);
    CHECK(error_is(RC_ERR_TYPE, NULL));
    CHECK_EQ(rc_weakref_is_alive(i), -1);
    CHECK(error_is(RC_ERR_TYPE, NULL));
    CHECK(rc_weakref_callback_of(i, NULL) == NULL);
    CHECK(error_is(RC_ERR_TYPE, NULL));
    CHECK(rc_weakref_check(i) == 0 && rc_weakproxy_check(i) == 0);
    CHECK(rc_weakproxy_getattr(i, "x") == NULL);
    CHECK(rc_error_code() != RC_OK);
    rc_error_clear();
    rc_object *objs[] = {i, S, D, s, d, o, r};
    for (size_t k = 0; k < sizeof objs / sizeof objs[0]; k++)
        rc_decref(objs[k]);
    end();
}

/* ====================================================================
 * test_gc.py: the weakref cases
 * ================================================================== */

/* C1055820(i): self.i = i; self.loop = self */
static rc_object *c1055820_new(rc_object *cls, int64_t i) {
    rc_object *o = self_loop(cls, "loop");
    rc_object *n = rc_int_from(i);
    set(o, "i", n);
    rc_decref(n);
    return o;
}

/* GCTests.test_bug1055820b: callbacks of external references to two
 * instances collected together read both references: both are already
 * dead (the bug was a callback resurrecting a half-cleared instance). */
static rc_object *WRs;   /* list of the weak references */
static int ouch_len, ouch_alive;

static void ouch_all_cb(rc_object *ref, rc_object *data) {
    (void)ref;
    (void)data;
    ouch_len = 0;
    ouch_alive = 0;                          /* ouch[:] = [wr() for wr in WRs] */
    for (intptr_t i = 0; i < rc_list_size(WRs); i++) {
        rc_object *o = rc_weakref_get(rc_list_get(WRs, i));
        ouch_len++;
        ouch_alive += o != NULL;
        rc_xdecref(o);
    }
}

static void GCTests_test_bug1055820b(void) {
    begin();
    WRs = rc_list_new(0);
    rc_object *Cs = rc_list_new(0);
    ouch_len = ouch_alive = 0;
    for (int i = 0; i < 2; i++) {
        rc_object *c = c1055820_new(C, i);
        rc_list_append(Cs, c);
        rc_object *wr = rc_weakref_new(c, ouch_all_cb, NULL);
        rc_list_append(WRs, wr);
        rc_decref(wr);
        rc_decref(c);
    }
    rc_gc_collect(2);
    CHECK_EQ(ouch_len, 0);
    rc_clear(&Cs);                           /* make the two instances trash */
    CHECK_EQ(rc_gc_collect(2), 2);
    CHECK_EQ(ouch_len, 2);                   /* else the callbacks didn't run */
    CHECK_EQ(ouch_alive, 0);                 /* Python: [None, None] */
    rc_clear(&WRs);
    end();
}

/* GCTests.test_trash_weakref_clear (bpo-38006): a trash weak reference
 * whose referent the collector cannot see as trash (it hides behind a
 * container without traverse) is cleared before anything is torn down, so
 * its callback never runs when the referent dies during the clearing.
 *   Z <- Y <- A--+--> WZ -> callback
 *             ^  |
 *             +--+            (and WZ in a second cycle, wr_cycle) */
static void GCTests_test_trash_weakref_clear(void) {
    static const char *const slots[] = {"a", "y", "wz"};
    begin();
    rc_class_options opts;
    rc_class_options_init(&opts);
    opts.kind = RC_CLASS_SLOTS;
    opts.slots = slots;
    opts.nslots = 3;
    rc_object *A = rc_class_new("A", &opts), *Z = new_class("Z");
    CHECK(A != NULL);
    rc_object *a = new_instance(A);
    set(a, "a", a);
    ContainerNoGC *y = rc_object_new(&ContainerNoGC_type);
    CHECK(y != NULL);
    y->value = new_instance(Z);
    set(a, "y", y);
    rc_object *wz = rc_weakref_new(y->value, count_cb, NULL);
    set(a, "wz", wz);
    rc_decref(y);
    rc_object *wr_cycle = rc_list_new(0);
    rc_list_append(wr_cycle, wz);
    rc_list_append(wr_cycle, wr_cycle);
    rc_decref(wz);
    rc_gc_collect(2);
    rc_decref(a);
    rc_decref(wr_cycle);
    rc_gc_collect(2);
    CHECK_EQ(cbcalled, 0);                   /* callback.assert_not_called() */
    rc_decref(A);
    rc_decref(Z);
    end();
}

/* GCTogglingTests.test_bug1055820c: an automatic generation-0 collection
 * clears c1, which frees c0 (in generation 2) by refcount; c0's weakref
 * callback reads c2wr, a callback-less reference to the cyclic trash c2.
 * The collector cleared it before tearing anything down: None.  The
 * GC_Detector's callback on a reference to cyclic trash says when a
 * collection has happened. */
static int gc_happened, ouch_c2_alive;
static rc_object *c2wr;

static void ouch_c2_cb(rc_object *ref, rc_object *data) {
    (void)ref;
    (void)data;
    rc_object *o = rc_weakref_get(c2wr);     /* ouch[:] = [c2wr()] */
    ouch_len = 1;
    ouch_c2_alive = o != NULL;
    rc_xdecref(o);
}

static void it_happened(rc_object *ref, rc_object *data) {
    (void)ref;
    (void)data;
    gc_happened = 1;
}

/* GC_Detector(): a weak reference with callback to a fresh piece of
 * cyclic trash (the test holds the reference). */
static rc_object *gc_detector(rc_object *cls) {
    gc_happened = 0;
    rc_object *trash = c1055820_new(cls, 666);
    rc_object *wr = rc_weakref_new(trash, it_happened, NULL);
    rc_decref(trash);
    return wr;
}

/* Allocate lists until the detector fires; ouch stays empty meanwhile. */
static void allocate_until_gc(void) {
    rc_object *junk = rc_list_new(0);
    for (int i = 1; !gc_happened; i++) {
        if (i > 10000) {
            CHECK(!"gc didn't happen after 10000 iterations");
            break;
        }
        CHECK_EQ(ouch_len, 0);
        rc_object *x = rc_list_new(0);       /* this will eventually trigger gc */
        rc_list_append(junk, x);
        rc_decref(x);
    }
    rc_gc_disable();
    rc_decref(junk);
}

static void GCTogglingTests_test_bug1055820c(void) {
    begin();
    ouch_len = 0;
    ouch_c2_alive = -1;
    rc_object *c0 = c1055820_new(C, 0);
    rc_gc_collect(2);                        /* move c0 into generation 2 */
    CHECK(in_generation(c0, 2));
    rc_object *c1 = c1055820_new(C, 1);
    set(c1, "keep_c0_alive", c0);
    CHECK_EQ(rc_delattr(c0, "loop"), 0);     /* now only c1 keeps c0 alive */
    rc_object *c2 = c1055820_new(C, 2);
    c2wr = basic_ref(c2);                    /* no callback! */
    rc_object *c0wr = rc_weakref_new(c0, ouch_c2_cb, NULL);
    DECREF_ALL(c0, c1, c2);
    rc_gc_enable();
    rc_object *detector = gc_detector(C);
    allocate_until_gc();
    CHECK_EQ(ouch_len, 1);                   /* else the callback wasn't invoked */
    CHECK_EQ(ouch_c2_alive, 0);              /* Python: None */
    CHECK_EQ(gc_stats(0).collections, 1);    /* an automatic generation-0 collection */
    CHECK_EQ(gc_stats(2).collections, 1);    /* only the explicit one */
    CHECK(is_dead(c0wr) && is_dead(c2wr) && is_dead(detector));
    rc_decref(c0wr);
    rc_clear(&c2wr);
    rc_decref(detector);
    end();
}

/* GCTogglingTests.test_bug1055820d: the same with __del__ instead of a
 * weakref callback (test_gc.c has a stand-in for c2wr; this is the real
 * one). */
static void d_del(rc_object *self) { ouch_c2_cb(self, NULL); }

static void GCTogglingTests_test_bug1055820d(void) {
    begin();
    ouch_len = 0;
    ouch_c2_alive = -1;
    rc_object *D = new_class_full("D", d_del, NULL, 1);
    rc_object *d0 = c1055820_new(D, 0);
    rc_gc_collect(2);                        /* move all the above into generation 2 */
    rc_object *c1 = c1055820_new(C, 1);
    set(c1, "keep_d0_alive", d0);
    CHECK_EQ(rc_delattr(d0, "loop"), 0);     /* now only c1 keeps d0 alive */
    rc_object *c2 = c1055820_new(C, 2);
    c2wr = basic_ref(c2);
    DECREF_ALL(d0, c1, c2);
    rc_gc_enable();
    rc_object *detector = gc_detector(C);
    allocate_until_gc();
    CHECK_EQ(ouch_len, 1);                   /* else __del__ wasn't invoked */
    CHECK_EQ(ouch_c2_alive, 0);              /* Python: None */
    CHECK_EQ(gc_stats(0).collections, 1);
    CHECK_EQ(gc_stats(2).collections, 1);
    rc_clear(&c2wr);
    rc_decref(detector);
    rc_decref(D);
    end();
}

/* ====================================================================
 * test_finalization.py: the weakref lines (`wr = weakref.ref(s)`)
 * ================================================================== */

/* The finalizers used here record what a callback-less reference (fin_wr)
 * returns while they run, and optionally resurrect into `survivors`. */
static rc_object *fin_wr, *survivors;
static int fin_resurrect;

static void fin_record(rc_object *self, const char *what) {
    rc_object *o = fin_wr ? rc_weakref_get(fin_wr) : NULL;
    ev("%s:%s", what, o == self ? "alive" : o ? "other" : "dead");
    rc_xdecref(o);
    if (fin_resurrect)
        rc_list_append(survivors, self);
}

static void fin_del(rc_object *self) { fin_record(self, "del"); }
static void fin_tp_del(rc_object *self) { fin_record(self, "tp_del"); }

/* Watch s through a callback-less reference (fin_wr); the finalizers
 * resurrect into `survivors` when resurrect is set.  When cb_name is not
 * NULL, a reference with that callback name is made to s after fin_wr and
 * returned.  The caller's reference to s is dropped. */
static rc_object *fin_setup(rc_object *s, int resurrect, const char *cb_name) {
    fin_resurrect = resurrect;
    survivors = rc_list_new(0);
    fin_wr = basic_ref(s);
    rc_object *cb = cb_name ? named_ref(s, cb_name) : NULL;
    rc_decref(s);
    return cb;
}

/* Undo fin_setup, drop cb (may be NULL) and the test's class, end the test. */
static void fin_teardown(rc_object *cb, rc_object *cls) {
    rc_xdecref(cb);
    fin_resurrect = 0;
    rc_clear(&survivors);
    rc_clear(&fin_wr);
    rc_decref(cls);
    end();
}

/* SimpleFinalizationTest.test_simple / SelfCycleFinalizationTest.test_simple
 * / test_simple_suicide: the reference is dead after the collection.  On
 * the refcount path it is still alive inside __del__; for cyclic trash it
 * is already dead there (reference 2.4: cleared before finalizers; Python:
 * wr() inside __del__ is self, resp. None). */
static void finalization_dies(int in_cycle) {
    begin();
    rc_object *Simple = new_class_full("Simple", fin_del, NULL, 1);
    rc_object *s = in_cycle ? self_loop(Simple, "ref") : new_instance(Simple);
    fin_setup(s, 0, NULL);
    rc_gc_collect(2);
    CHECK(events_are(in_cycle ? "del:dead" : "del:alive"));
    CHECK(is_dead(fin_wr));                  /* self.assertIs(wr(), None) */
    rc_gc_collect(2);
    CHECK(is_dead(fin_wr));
    fin_teardown(NULL, Simple);
}

static void Finalization_SimpleFinalizationTest_test_simple(void) { finalization_dies(0); }
static void Finalization_SelfCycleFinalizationTest_test_simple(void) { finalization_dies(1); }

static void suicide_del(rc_object *self) {
    fin_record(self, "del");
    rc_setattr(self, "ref", rc_None);        /* self.ref = None */
}

static void Finalization_SelfCycleFinalizationTest_test_simple_suicide(void) {
    begin();
    rc_object *Suicidal = new_class_full("SuicidalSelfCycle", suicide_del, NULL, 1);
    rc_object *s = self_loop(Suicidal, "ref");
    fin_setup(s, 0, NULL);
    CHECK_EQ(rc_gc_collect(2), 0);           /* freed by refcount during __del__ */
    CHECK(events_are("del:dead"));
    CHECK(is_dead(fin_wr));
    CHECK_EQ(rc_gc_collect(2), 0);
    CHECK(is_dead(fin_wr));
    fin_teardown(NULL, Suicidal);
}

/* SimpleFinalizationTest.test_simple_resurrect: no cycle, __del__
 * resurrects: the reference stays alive (Python: wr() is not None); after
 * the survivor is released it is dead. */
static void Finalization_SimpleFinalizationTest_test_simple_resurrect(void) {
    begin();
    rc_object *R = new_class_full("SimpleResurrector", fin_del, NULL, 1);
    rc_object *s = new_instance(R);
    void *id = s;
    fin_setup(s, 1, NULL);
    rc_gc_collect(2);
    CHECK(events_are("del:alive"));
    CHECK(refers_to(fin_wr, id));            /* self.assertIsNot(wr(), None) */
    rc_list_clear(survivors);
    rc_gc_collect(2);
    CHECK(events_are("del:alive"));          /* __del__ is not called again */
    CHECK(is_dead(fin_wr));
    fin_teardown(NULL, R);
}

/* SelfCycleFinalizationTest.test_simple_resurrect: the cycle survives but
 * its weak reference is dead ("XXX is this desirable?" - 3.11 to 3.13;
 * 3.14 keeps it alive, reference 2.4). */
static void Finalization_SelfCycleFinalizationTest_test_simple_resurrect(void) {
    begin();
    rc_object *R = new_class_full("SelfCycleResurrector", fin_del, NULL, 1);
    rc_object *s = self_loop(R, "ref");
    fin_setup(s, 1, NULL);
    CHECK_EQ(rc_gc_collect(2), 0);
    CHECK(events_are("del:dead"));
    CHECK_EQ(rc_list_size(survivors), 1);
    CHECK(is_dead(fin_wr));
    rc_list_clear(survivors);
    CHECK_EQ(rc_gc_collect(2), 1);
    CHECK(is_dead(fin_wr));
    fin_teardown(NULL, R);
}

/* CycleChainFinalizationTest: every reference to a ring of 3 is dead after
 * the collection, with or without resurrection ("XXX desirable?"), and
 * every __del__ already saw its own reference dead. */
static rc_object *chain_wrs[3];

static void chain_del(rc_object *self) {
    int alive = 0;
    for (int i = 0; i < 3; i++) {
        rc_object *o = rc_weakref_get(chain_wrs[i]);
        alive += o != NULL;
        rc_xdecref(o);
    }
    ev("del:%d-alive", alive);
    if (fin_resurrect)
        rc_list_append(survivors, self);
}

static void finalization_chain(int resurrect) {
    begin();
    rc_object *K = new_class_full("Chained", chain_del, NULL, 1);
    rc_object *nodes[3];
    for (int i = 0; i < 3; i++)
        nodes[i] = new_instance(K);
    for (int i = 0; i < 3; i++) {            /* nodes[i].chain(nodes[i-1]) */
        set(nodes[i], "left", nodes[(i + 2) % 3]);
        set(nodes[(i + 2) % 3], "right", nodes[i]);
    }
    fin_resurrect = resurrect;
    survivors = rc_list_new(0);
    for (int i = 0; i < 3; i++) {
        chain_wrs[i] = basic_ref(nodes[i]);
        rc_decref(nodes[i]);
    }
    CHECK_EQ(rc_gc_collect(2), resurrect ? 0 : 3);
    CHECK(events_are("del:0-alive del:0-alive del:0-alive"));
    for (int i = 0; i < 3; i++)
        CHECK(is_dead(chain_wrs[i]));
    rc_list_clear(survivors);
    CHECK_EQ(rc_gc_collect(2), resurrect ? 3 : 0);
    for (int i = 0; i < 3; i++)
        rc_clear(&chain_wrs[i]);
    fin_teardown(NULL, K);
}

static void Finalization_CycleChainFinalizationTest_test_homogenous(void) {
    finalization_chain(0);
}
static void Finalization_CycleChainFinalizationTest_test_homogenous_resurrect(void) {
    finalization_chain(1);
}

/* LegacyFinalizationTest.test_legacy / test_legacy_resurrect: weak
 * references are cleared (and called back) after __del__ and before
 * tp_del, so tp_del sees them dead, and a resurrection by tp_del leaves
 * them dead. */
static void Finalization_LegacyFinalizationTest_test_legacy(void) {
    begin();
    rc_object *L = new_class_full("Legacy", fin_del, fin_tp_del, 1);
    rc_object *s = new_instance(L);
    rc_object *cb = fin_setup(s, 0, "cb");
    rc_gc_collect(2);
    /* Python: ['del:alive', 'cb', 'tp_del:dead'] */
    CHECK(events_are("del:alive cb tp_del:dead"));
    CHECK(is_dead(fin_wr));
    CHECK(is_dead(cb));
    fin_teardown(cb, L);
}

static rc_object *legacy_survivors;
static void resurrecting_tp_del(rc_object *self) {
    fin_record(self, "tp_del");
    rc_list_append(legacy_survivors, self);
}

static void Finalization_LegacyFinalizationTest_test_legacy_resurrect(void) {
    begin();
    rc_object *L = new_class_full("LegacyResurrector", fin_del, resurrecting_tp_del, 1);
    legacy_survivors = rc_list_new(0);
    rc_object *s = new_instance(L);
    fin_setup(s, 0, NULL);
    rc_gc_collect(2);
    CHECK(events_are("del:alive tp_del:dead"));
    CHECK_EQ(rc_list_size(legacy_survivors), 1);
    CHECK(is_dead(fin_wr));                  /* weakrefs are cleared before tp_del */
    rc_list_clear(legacy_survivors);         /* dies again: tp_del again, resurrects */
    rc_gc_collect(2);
    CHECK(events_are("del:alive tp_del:dead tp_del:dead"));
    CHECK(is_dead(fin_wr));
    rc_list_clear(legacy_survivors);
    rc_clear(&legacy_survivors);
    fin_teardown(NULL, L);
}

/* LegacyFinalizationTest.test_legacy_self_cycle: an uncollectable cycle in
 * gc.garbage keeps its weak references alive; they die when the cycle is
 * broken (Python: wr() is not None, then None). */
static void Finalization_LegacyFinalizationTest_test_legacy_self_cycle(void) {
    begin();
    rc_object *L = new_class_full("LegacySelfCycle", fin_del, fin_tp_del, 1);
    rc_object *s = self_loop(L, "ref");
    void *id = s;
    rc_object *cb = fin_setup(s, 0, "cb");
    CHECK_EQ(rc_gc_collect(2), 1);
    CHECK(events_are(""));                   /* neither __del__ nor tp_del, no callback */
    CHECK(refers_to(fin_wr, id));
    CHECK(refers_to(cb, id));
    rc_object *garbage = rc_gc_garbage();
    CHECK(rc_list_size(garbage) == 1 && rc_list_get(garbage, 0) == id);
    rc_setattr(rc_list_get(garbage, 0), "ref", rc_None);   /* break the cycle */
    rc_list_clear(garbage);
    CHECK(events_are("del:alive cb tp_del:dead"));
    CHECK(is_dead(fin_wr));
    CHECK(is_dead(cb));
    fin_teardown(cb, L);
}

/* ====================================================================
 * rcgc: death orders (reference 2.4, 2.5, 6.2)
 * ================================================================== */

/* Refcount death: the finalizer runs first and sees every reference alive;
 * then all are cleared, then the callbacks run newest first, each seeing
 * all of them dead (watched).  Python: [('del', True, True), ('cb', ...)]
 * and callbacks r3, r2, r1. */
static rc_object *order_wrs[4];

static void order_del(rc_object *self) {
    int alive = 0;
    for (int i = 0; i < 4; i++)
        alive += refers_to(order_wrs[i], self);
    ev("del:%d-alive", alive);
}

static void make_order_refs(rc_object *o) {
    order_wrs[0] = named_ref(o, "r1");
    order_wrs[1] = basic_ref(o);
    order_wrs[2] = named_ref(o, "r2");
    order_wrs[3] = named_ref(o, "r3");
    for (int i = 0; i < 4; i++)
        watch(order_wrs[i]);
}

static void drop_order_refs(void) {
    for (int i = 0; i < 4; i++)
        rc_clear(&order_wrs[i]);
}

static void test_refcount_death_order(void) {
    begin();
    rc_object *F = new_class_full("F", order_del, NULL, 1);
    rc_object *o = new_instance(F);
    make_order_refs(o);
    rc_decref(o);
    CHECK(events_are("del:4-alive r3 r2 r1"));
    for (int i = 0; i < 4; i++)
        CHECK(is_dead(order_wrs[i]));
    drop_order_refs();
    rc_decref(F);
    /* a non-GC referent (Object_type) follows the same order */
    reset_logs();
    o = new_object(3);
    make_order_refs(o);
    rc_decref(o);
    CHECK(events_are("r3 r2 r1"));
    drop_order_refs();
    end();
}

/* The collector's order for cyclic trash: every reference to it is
 * cleared first, then the callbacks of external references run (newest
 * first within the object's list), then the finalizer, which sees its
 * references dead.  Python: callbacks r3 r2 r1, then __del__ with wr() None. */
static void test_collector_death_order(void) {
    begin();
    rc_object *F = new_class_full("F", order_del, NULL, 1);
    rc_object *o = self_loop(F, "me");
    make_order_refs(o);
    rc_decref(o);
    CHECK(events_are(""));
    CHECK_EQ(rc_gc_collect(2), 1);           /* Python: 1 */
    CHECK(events_are("r3 r2 r1 del:0-alive"));
    for (int i = 0; i < 4; i++)
        CHECK(is_dead(order_wrs[i]));
    drop_order_refs();
    rc_decref(F);
    end();
}

/* A finalizer that resurrects a non-cyclic object: nothing is cleared and
 * no callback runs; on the next death (no finalizer any more) the
 * callbacks run once.  Python: wr() alive, callbacks [] then ['cb']. */
static void test_refcount_resurrection_keeps_weakrefs(void) {
    begin();
    rc_object *R = new_class_full("R", fin_del, NULL, 1);
    rc_object *o = new_instance(R);
    void *id = o;
    rc_object *cb = fin_setup(o, 1, "cb");
    CHECK(events_are("del:alive"));
    CHECK(refers_to(fin_wr, id) && refers_to(cb, id));
    CHECK_EQ(rc_weakref_count(id), 2);
    rc_list_clear(survivors);
    CHECK(events_are("del:alive cb"));
    CHECK(is_dead(fin_wr) && is_dead(cb));
    fin_teardown(cb, R);
}

/* Cyclic trash resurrected by its finalizer: its references were cleared
 * before the finalizer and stay dead; the external callback ran once and
 * does not run again when the survivor finally dies.  Python: collect() 0,
 * wr() None, ['cb']; after the release collect() 1, still ['cb']. */
static void test_collector_resurrection_weakrefs_stay_dead(void) {
    begin();
    rc_object *R = new_class_full("R", fin_del, NULL, 1);
    rc_object *o = self_loop(R, "me");
    void *id = o;
    rc_object *cb = fin_setup(o, 1, "cb");
    CHECK_EQ(rc_gc_collect(2), 0);
    CHECK(events_are("cb del:dead"));
    CHECK(is_dead(fin_wr) && is_dead(cb));
    CHECK_EQ(rc_weakref_count(id), 0);
    /* a new reference to the survivor works and dies with it */
    rc_object *late = named_ref(id, "late");
    rc_list_clear(survivors);
    CHECK_EQ(rc_gc_collect(2), 1);
    CHECK(events_are("cb del:dead late"));
    CHECK(is_dead(late));
    rc_decref(late);
    fin_teardown(cb, R);
}

/* A weak reference that is itself trash never calls back, whether its
 * referent is trash too (the reference lives inside the cycle) or outlives
 * the collection (the reference sits in a dead list cycle).  The data
 * object is traversed: a reference whose data refers back to it forms a
 * collectable cycle. */
static void test_trash_weakrefs_never_call_back(void) {
    begin();
    rc_object *o = self_loop(C, "me");
    rc_object *inner = rc_weakref_new(o, count_cb, NULL);
    set(o, "wr", inner);
    rc_decref(inner);
    rc_decref(o);
    CHECK_EQ(rc_gc_collect(2), 2);           /* o, o.wr (Python: 2) */
    CHECK_EQ(cbcalled, 0);

    rc_object *live = new_instance(C);
    rc_object *l = rc_list_new(0);           /* L = [ref(live, cb)]; L.append(L) */
    rc_object *r = rc_weakref_new(live, count_cb, NULL);
    rc_list_append(l, r);
    rc_list_append(l, l);
    rc_decref(r);
    rc_decref(l);
    CHECK_EQ(rc_gc_collect(2), 2);
    CHECK_EQ(rc_weakref_count(live), 0);     /* unlinked from the live referent */

    l = rc_list_new(0);                      /* r's data is l, l holds r */
    r = rc_weakref_new(live, count_cb, l);
    rc_list_append(l, r);
    rc_decref(r);
    rc_decref(l);
    CHECK_EQ(rc_weakref_count(live), 1);
    CHECK_EQ(rc_gc_collect(2), 2);           /* only visible through the data edge */
    CHECK_EQ(rc_weakref_count(live), 0);
    rc_decref(live);
    CHECK_EQ(cbcalled, 0);
    end();
}

/* An error recorded by a callback (rc_error_set) does not stop the other
 * callbacks; it is printed like Python's unraisable hook, and the error
 * state of the code that caused the death is what it was before. */
static void failing_cb(rc_object *ref, rc_object *data) {
    log_cb(ref, data);
    rc_error_set(RC_ERR_VALUE, "boom from %s", rc_str_utf8(data));
}

static rc_object *failing_ref(void *obj, const char *name) {
    rc_object *s = rc_str_from(name);
    rc_object *r = rc_weakref_new(obj, failing_cb, s);
    rc_decref(s);
    return r;
}

static void check_callback_errors(int in_cycle) {
    begin();
    rc_object *o = in_cycle ? self_loop(C, "me") : new_instance(C);
    rc_object *r1 = named_ref(o, "r1"), *r2 = failing_ref(o, "r2"), *r3 = named_ref(o, "r3");
    rc_object *r4 = failing_ref(o, "r4");
    watch(r1);
    watch(r2);
    watch(r3);
    watch(r4);
    char out[4096];
    rc_error_set(RC_ERR_KEY, "pending");     /* the caller's own error */
    capture_begin();
    rc_decref(o);
    if (in_cycle)
        rc_gc_collect(2);
    capture_end(out, sizeof out);
    CHECK(error_is(RC_ERR_KEY, "pending"));
    CHECK(events_are("r4 r3 r2 r1"));       /* newest first, none skipped */
    CHECK_STR_CONTAINS(out, "Exception ignored in");
    CHECK_STR_CONTAINS(out, "ValueError: boom from r4");
    CHECK_STR_CONTAINS(out, "ValueError: boom from r2");
    rc_object *objs[] = {r1, r2, r3, r4};
    for (size_t i = 0; i < 4; i++)
        rc_decref(objs[i]);
    end();
}

static void test_callback_errors_refcount(void) { check_callback_errors(0); }
static void test_callback_errors_collector(void) { check_callback_errors(1); }

/* A callback that drops the last reference to its own weak reference, and
 * one that makes a new reference to a dead object's successor: nothing
 * breaks.  The reference passed to a callback is kept alive for the call. */
static rc_object *held_ref;

static void drop_held_cb(rc_object *ref, rc_object *data) {
    (void)data;
    if (ref == held_ref)
        rc_clear(&held_ref);                 /* the last user reference */
    ev("%s", rc_weakref_check(ref) == 1 && rc_weakref_is_alive(ref) == 0 ? "ok" : "!ref");
}

static void test_callback_drops_its_reference(void) {
    begin();
    rc_object *o = new_instance(C);
    held_ref = rc_weakref_new(o, drop_held_cb, NULL);
    rc_decref(o);
    CHECK(held_ref == NULL);
    CHECK(events_are("ok"));
    /* with no error pending before, none is after (slot and message) */
    CHECK_EQ(rc_error_code(), RC_OK);
    CHECK(!strcmp(rc_error_message(), ""));
    o = self_loop(C, "me");                  /* the same through the collector */
    held_ref = rc_weakref_new(o, drop_held_cb, NULL);
    rc_decref(o);
    rc_gc_collect(2);
    CHECK(held_ref == NULL);
    CHECK(events_are("ok ok"));
    end();
}

/* Destruction cascades: when x holds y, x's callbacks run during x's
 * death, before y dies (x's contents are released after its weak
 * references).  Python: ['x', 'y']. */
static void test_refcount_cascade_order(void) {
    begin();
    rc_object *x = new_instance(C), *y = new_instance(C);
    set(x, "y", y);
    rc_object *rx = named_ref(x, "x"), *ry = named_ref(y, "y");
    rc_decref(y);
    rc_decref(x);
    CHECK(events_are("x y"));
    rc_decref(rx);
    rc_decref(ry);
    end();
}

/* ====================================================================
 * differential: callback orders against python3
 * ================================================================== */

static const char diff_script[] =
    "import gc, weakref\n"
    "gc.disable()\n"
    "out = []\n"
    "def cb(name):\n"
    "    return lambda r: out.append(name)\n"
    "class C: pass\n"
    "class F:\n"
    "    def __del__(self):\n"
    "        out.append('del:' + ('alive' if fw() is self else 'dead'))\n"
    "def flush(tag):\n"
    "    print(tag + ':', ' '.join(out)); out.clear()\n"
    "# A: mixed list order and refcount callbacks\n"
    "o = C()\n"
    "r1 = weakref.ref(o, cb('r1')); b = weakref.ref(o); r2 = weakref.ref(o, cb('r2'))\n"
    "p = weakref.proxy(o); p2 = weakref.proxy(o, cb('p2')); r3 = weakref.ref(o, cb('r3'))\n"
    "names = {id(r1): 'r1', id(b): 'b', id(r2): 'r2', id(p): 'p', id(p2): 'p2', id(r3): 'r3'}\n"
    "print('A-list:', ' '.join(names[id(x)] for x in weakref.getweakrefs(o)))\n"
    "del o\n"
    "flush('A')\n"
    "# B: finalizer then callbacks (refcount)\n"
    "o = F(); fw = weakref.ref(o); q1 = weakref.ref(o, cb('q1')); q2 = weakref.ref(o, cb('q2'))\n"
    "del o\n"
    "flush('B')\n"
    "# C: a ring of three with a finalizer on b, two callback refs each\n"
    "a = C(); bb = F(); c = C()\n"
    "a.n = bb; bb.n = c; c.n = a\n"
    "fw = weakref.ref(bb)\n"
    "k = [weakref.ref(a, cb('a1')), weakref.ref(bb, cb('b1')), weakref.ref(c, cb('c1')),\n"
    "     weakref.ref(a, cb('a2')), weakref.ref(bb, cb('b2')), weakref.ref(c, cb('c2'))]\n"
    "del a, bb, c\n"
    "gc.collect()\n"
    "flush('C')\n"
    "# D: two separate self-loops, x made before y\n"
    "x = C(); x.me = x; y = C(); y.me = y\n"
    "k = [weakref.ref(y, cb('y1')), weakref.ref(x, cb('x1')), weakref.ref(y, cb('y2'))]\n"
    "del x, y\n"
    "gc.collect()\n"
    "flush('D')\n"
    "# E: cascade x -> y -> z by refcount, finalizer on y\n"
    "x = C(); y = F(); z = C(); x.y = y; y.z = z\n"
    "fw = weakref.ref(y)\n"
    "k = [weakref.ref(z, cb('z')), weakref.ref(y, cb('y')), weakref.ref(x, cb('x'))]\n"
    "del y, z\n"
    "del x\n"
    "flush('E')\n";

static rc_object *diff_fw;
static void diff_del(rc_object *self) {
    rc_object *o = rc_weakref_get(diff_fw);
    ev("del:%s", o == self ? "alive" : "dead");
    rc_xdecref(o);
}

/* Append "tag: events" to the output and clear the log. */
static void diff_flush(char *out, size_t n, const char *tag) {
    size_t len = strlen(out);
    int w = snprintf(out + len, n - len, "%s: %s\n", tag, evlog);
    CHECK(w >= 0 && (size_t)w < n - len);   /* the buffer holds every event */
    evlog[0] = '\0';
}

static void drop_all(rc_object **objs, size_t n) {
    for (size_t i = 0; i < n; i++)
        rc_clear(&objs[i]);
}

static void test_differential_callback_order(void) {
    char *py = run_python(diff_script);
    if (!py)
        return;   /* run_python said why */
    begin();
    char ours[2048] = "";
    rc_object *F = new_class_full("F", diff_del, NULL, 1);
    /* A */
    rc_object *o = new_instance(C);
    rc_object *a[6] = {named_ref(o, "r1"), basic_ref(o), named_ref(o, "r2"),
                       rc_weakproxy_new(o, NULL, NULL), named_proxy(o, "p2"),
                       named_ref(o, "r3")};
    static const char *const an[] = {"r1", "b", "r2", "p", "p2", "r3"};
    rc_object *l = rc_weakref_list(o);
    for (intptr_t i = 0; l && i < rc_list_size(l); i++)
        for (int j = 0; j < 6; j++)
            if (rc_list_get(l, i) == a[j])
                ev("%s", an[j]);
    rc_xdecref(l);
    diff_flush(ours, sizeof ours, "A-list");
    rc_decref(o);
    diff_flush(ours, sizeof ours, "A");
    drop_all(a, 6);
    /* B */
    o = new_instance(F);
    diff_fw = basic_ref(o);
    rc_object *b[2] = {named_ref(o, "q1"), named_ref(o, "q2")};
    rc_decref(o);
    diff_flush(ours, sizeof ours, "B");
    drop_all(b, 2);
    rc_clear(&diff_fw);
    /* C */
    rc_object *x = new_instance(C), *y = new_instance(F), *z = new_instance(C);
    set(x, "n", y);
    set(y, "n", z);
    set(z, "n", x);
    diff_fw = basic_ref(y);
    rc_object *c[6] = {named_ref(x, "a1"), named_ref(y, "b1"), named_ref(z, "c1"),
                       named_ref(x, "a2"), named_ref(y, "b2"), named_ref(z, "c2")};
    DECREF_ALL(x, y, z);
    CHECK_EQ(rc_gc_collect(2), 3);           /* python3.11: 3 (3.13 counts more) */
    diff_flush(ours, sizeof ours, "C");
    drop_all(c, 6);
    rc_clear(&diff_fw);
    /* D */
    x = self_loop(C, "me");
    y = self_loop(C, "me");
    rc_object *d[3] = {named_ref(y, "y1"), named_ref(x, "x1"), named_ref(y, "y2")};
    rc_decref(x);
    rc_decref(y);
    CHECK_EQ(rc_gc_collect(2), 2);           /* python3.11: 2 */
    diff_flush(ours, sizeof ours, "D");
    drop_all(d, 3);
    /* E */
    x = new_instance(C);
    y = new_instance(F);
    z = new_instance(C);
    set(x, "y", y);
    set(y, "z", z);
    diff_fw = basic_ref(y);
    rc_object *e[3] = {named_ref(z, "z"), named_ref(y, "y"), named_ref(x, "x")};
    DECREF_ALL(y, z, x);
    diff_flush(ours, sizeof ours, "E");
    drop_all(e, 3);
    rc_clear(&diff_fw);
    rc_decref(F);

    if (strcmp(py, ours)) {
        CHECK(!"callback orders differ from python3");
        fprintf(stderr, "    python3:\n%s    rcgc:\n%s", py, ours);
    }
    free(py);
    end();
}

/* Every test, run by main once with one heap and once with a second heap
 * alive (check.h: the collector's two collection paths). */
static void all_tests(void) {
    /* ReferencesTestCase */
    RUN(test_basic_ref);
    RUN(test_basic_callback);
    RUN(test_multiple_callbacks);
    RUN(test_multiple_selfref_callbacks);
    RUN(test_ref_reuse);
    RUN(test_proxy_reuse);
    RUN(test_shared_ref_without_callback);
    RUN(test_shared_proxy_without_callback);
    RUN(test_getweakrefcount);
    RUN(test_getweakrefs);
    RUN(test_callbacks_protected);
    RUN(test_sf_bug_840829);
    RUN(test_callback_in_cycle);
    RUN(test_callback_reachable_one_way);
    RUN(test_callback_different_classes);
    RUN(test_callback_in_cycle_resurrection);
    RUN(test_callbacks_on_callback);
    RUN(test_gc_during_ref_creation);
    RUN(test_gc_during_proxy_creation);
    RUN(test_ref_created_during_del);
    RUN(test_ref_created_during_del_cycle);
    RUN(test_ref_created_during_del_never_exposes_garbage);
    RUN(test_classes);
    RUN(test_equality);
    RUN(test_hashing);
    RUN(test_trashcan_16602);
    RUN(test_callback_attribute);
    RUN(test_callback_attribute_after_deletion);
    RUN(test_callback_gcs);
    RUN(test_subclass_refs_with_cycle);
    RUN(test_basic_proxy);
    RUN(test_proxy_ref);
    RUN(test_proxy_hash);
    RUN(test_proxy_equality);
    RUN(test_no_weakref_support);
    /* test_gc.py */
    RUN(GCTests_test_bug1055820b);
    RUN(GCTests_test_trash_weakref_clear);
    RUN(GCTogglingTests_test_bug1055820c);
    RUN(GCTogglingTests_test_bug1055820d);
    /* test_finalization.py */
    RUN(Finalization_SimpleFinalizationTest_test_simple);
    RUN(Finalization_SimpleFinalizationTest_test_simple_resurrect);
    RUN(Finalization_SelfCycleFinalizationTest_test_simple);
    RUN(Finalization_SelfCycleFinalizationTest_test_simple_resurrect);
    RUN(Finalization_SelfCycleFinalizationTest_test_simple_suicide);
    RUN(Finalization_CycleChainFinalizationTest_test_homogenous);
    RUN(Finalization_CycleChainFinalizationTest_test_homogenous_resurrect);
    RUN(Finalization_LegacyFinalizationTest_test_legacy);
    RUN(Finalization_LegacyFinalizationTest_test_legacy_resurrect);
    RUN(Finalization_LegacyFinalizationTest_test_legacy_self_cycle);
    /* rcgc: orders */
    RUN(test_refcount_death_order);
    RUN(test_collector_death_order);
    RUN(test_refcount_resurrection_keeps_weakrefs);
    RUN(test_collector_resurrection_weakrefs_stay_dead);
    RUN(test_trash_weakrefs_never_call_back);
    RUN(test_callback_errors_refcount);
    RUN(test_callback_errors_collector);
    RUN(test_callback_drops_its_reference);
    RUN(test_refcount_cascade_order);
    RUN(test_differential_callback_order);
}

int main(void) { return run_collector_suite("test_weakref", all_tests); }
