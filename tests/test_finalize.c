/*
 * test_finalize.c - finalize objects (weakref.finalize): CPython's
 * FinalizeTestCase from Lib/test/test_weakref.py, test for test with the
 * same names and expectations, plus the C-specific paths (argument and
 * type errors, a failing function, re-entry, the collector, out of memory).
 *
 * How the Python test maps:
 *   - `res` is an rcgc list; `res.append` with a bound argument becomes the
 *     function append_item with the argument tuple (res, item), so the
 *     expected lists are compared through their repr, as Python's are;
 *   - Python's `f()` returning the function's result becomes
 *     rc_finalize_call returning 1 (ran) or 0 (nothing ran); peek and
 *     detach return 1 with (object, argument) or 0 for Python's None;
 *   - test_atexit runs its program on a separate heap that the test
 *     destroys (Python runs a child interpreter), with stderr captured.
 */
#include "support.h"
#include "rcgc/finalize.h"

static rc_object *new_class(const char *name, int weakrefs) {
    rc_class_options o;
    rc_class_options_init(&o);
    o.weakrefs = weakrefs;
    return rc_class_new(name, &o);
}

/* res.append(item): arg is the tuple (res, item). */
static int append_item(rc_object *arg) {
    return rc_list_append(rc_tuple_get(arg, 0), rc_tuple_get(arg, 1));
}

/* A finalizer of obj calling append_item(res, item). */
static rc_object *finalize_append(rc_object *obj, rc_object *res, rc_object *item) {
    rc_object *arg = rc_tuple_pack(2, res, item);
    rc_object *f = arg ? rc_finalize_new(obj, append_item, arg) : NULL;
    rc_xdecref(arg);
    return f;
}

static rc_object *finalize_append_str(rc_object *obj, rc_object *res, const char *s) {
    rc_object *item = rc_str_from(s);
    rc_object *f = finalize_append(obj, res, item);
    rc_decref(item);
    return f;
}

static void append_str(rc_object *res, const char *s) {
    rc_object *item = rc_str_from(s);
    rc_list_append(res, item);
    rc_decref(item);
}

/* ------------------------------------------------------------ test_finalize */

/* add(x, y, z): arg is (res, x, y, z); appends x + y + z. */
static int add(rc_object *arg) {
    int64_t sum = ival(rc_tuple_get(arg, 1)) + ival(rc_tuple_get(arg, 2)) +
                  ival(rc_tuple_get(arg, 3));
    rc_object *v = rc_int_from(sum);
    int r = v ? rc_list_append(rc_tuple_get(arg, 0), v) : -1;
    rc_xdecref(v);
    return r;
}

static rc_object *finalize_add(rc_object *a, rc_object *res, rc_object **arg_out) {
    rc_object *x = rc_int_from(67), *y = rc_int_from(43), *z = rc_int_from(89);
    rc_object *arg = rc_tuple_pack(4, res, x, y, z);
    DECREF_ALL(x, y, z);
    rc_object *f = rc_finalize_new(a, add, arg);
    *arg_out = arg;   /* the caller's reference, to compare with peek() */
    return f;
}

/* After the finalizer is dead: f() twice, peek(), detach() all say "None". */
static void check_dead(rc_object *f) {
    rc_object *o = (rc_object *)1, *arg = (rc_object *)1;
    CHECK_EQ(rc_finalize_call(f), 0);
    CHECK_EQ(rc_finalize_call(f), 0);
    CHECK_EQ(rc_finalize_peek(f, &o, &arg), 0);
    CHECK(o == NULL && arg == NULL);
    CHECK_EQ(rc_finalize_detach(f, &o, &arg), 0);
    CHECK(o == NULL && arg == NULL);
    CHECK_EQ(rc_finalize_alive(f), 0);
}

static void FinalizeTestCase_test_finalize(void) {
    rc_object *A = new_class("A", 1), *a = rc_new_instance(A);
    rc_object *o, *got, *arg;

    /* called explicitly: runs once */
    rc_object *res = rc_list_new(0);
    rc_object *f = finalize_add(a, res, &arg);
    CHECK_EQ(rc_finalize_alive(f), 1);
    CHECK_EQ(rc_weakref_count(a), 1);
    rc_object *r = rc_repr(f);
    CHECK_STR_CONTAINS(r ? rc_str_utf8(r) : NULL, "; for 'A' at 0x");
    rc_xdecref(r);
    CHECK_EQ(rc_finalize_peek(f, &o, &got), 1);
    CHECK(o == a && got == arg);
    rc_decref(o);
    rc_decref(got);
    CHECK_EQ(rc_finalize_call(f), 1);
    check_dead(f);
    CHECK_EQ(rc_weakref_count(a), 0);   /* its weak reference is gone too */
    CHECK(repr_is(res, "[199]"));
    r = rc_repr(f);
    CHECK_STR_CONTAINS(r ? rc_str_utf8(r) : NULL, "; dead>");
    rc_xdecref(r);
    DECREF_ALL(f, arg, res);

    /* detached: never runs */
    res = rc_list_new(0);
    f = finalize_add(a, res, &arg);
    CHECK_EQ(rc_finalize_peek(f, &o, &got), 1);
    CHECK(o == a && got == arg);
    rc_decref(o);
    rc_decref(got);
    CHECK_EQ(rc_finalize_detach(f, &o, &got), 1);
    CHECK(o == a && got == arg);
    rc_decref(o);
    rc_decref(got);
    check_dead(f);
    CHECK(repr_is(res, "[]"));
    DECREF_ALL(f, arg, res);

    /* the object dies: runs then, once */
    res = rc_list_new(0);
    f = finalize_add(a, res, &arg);
    rc_decref(a);
    check_dead(f);
    CHECK(repr_is(res, "[199]"));
    DECREF_ALL(f, arg, res, A);
}

/* ------------------------------------------------------------ test_arg_errors */

static int failing(rc_object *arg) {
    (void)arg;
    return rc_error_set(RC_ERR_VALUE, "finalizer says no");
}
static int silent_failure(rc_object *arg) { (void)arg; return -1; }

static void FinalizeTestCase_test_arg_errors(void) {
    rc_object *A = new_class("A", 1), *a = rc_new_instance(A);

    /* the argument reaches the function unchanged (Python: *args, **kwargs) */
    rc_object *res = rc_list_new(0), *one = rc_int_from(1), *two = rc_int_from(2);
    rc_object *args = rc_tuple_pack(2, one, two);
    rc_object *f = finalize_append(a, res, args), *o, *got;
    CHECK_EQ(rc_finalize_peek(f, &o, &got), 1);
    CHECK(o == a && got && rc_tuple_get(got, 1) == args);
    rc_xdecref(o);
    rc_xdecref(got);
    CHECK_EQ(rc_finalize_call(f), 1);
    CHECK(repr_is(res, "[(1, 2)]"));
    rc_decref(f);

    /* missing object or function */
    CHECK(rc_finalize_new(NULL, append_item, NULL) == NULL);
    CHECK(error_is(RC_ERR_INVALID, "NULL object"));
    CHECK(rc_finalize_new(a, NULL, NULL) == NULL);
    CHECK(error_is(RC_ERR_INVALID, "NULL function"));

    /* objects that cannot be weakly referenced */
    rc_object *big = rc_int_from(1000000);
    CHECK(rc_finalize_new(big, append_item, NULL) == NULL);
    CHECK(error_is(RC_ERR_TYPE, "cannot create weak reference to 'int' object"));
    rc_object *NoWeak = new_class("NoWeak", 0), *nw = rc_new_instance(NoWeak);
    CHECK(rc_finalize_new(nw, append_item, NULL) == NULL);
    CHECK(error_is(RC_ERR_TYPE, "cannot create weak reference to 'NoWeak' object"));

    /* the other calls on something that is not a finalizer */
    CHECK_EQ(rc_finalize_call(a), -1);
    CHECK(error_is(RC_ERR_TYPE, "expected weakref.finalize, got 'A'"));
    o = got = (rc_object *)1;
    CHECK_EQ(rc_finalize_peek(a, &o, &got), -1);
    CHECK(o == NULL && got == NULL);
    CHECK(error_is(RC_ERR_TYPE, NULL));
    CHECK_EQ(rc_finalize_detach(NULL, &o, NULL), -1);
    CHECK(error_is(RC_ERR_INVALID, NULL));
    CHECK_EQ(rc_finalize_alive(big), -1);
    CHECK(error_is(RC_ERR_TYPE, NULL));
    CHECK_EQ(rc_finalize_get_atexit(NULL), -1);
    CHECK(error_is(RC_ERR_INVALID, NULL));
    CHECK_EQ(rc_finalize_set_atexit(a, 0), -1);
    CHECK(error_is(RC_ERR_TYPE, NULL));
    CHECK(!rc_finalize_check(a) && !rc_finalize_check(NULL));

    /* a failing function: its error comes back, the finalizer is dead */
    f = rc_finalize_new(a, failing, NULL);
    CHECK(rc_finalize_check(f));
    CHECK_EQ(rc_finalize_call(f), -1);
    CHECK(error_is(RC_ERR_VALUE, "finalizer says no"));
    CHECK_EQ(rc_finalize_alive(f), 0);
    CHECK_EQ(rc_finalize_call(f), 0);
    rc_decref(f);
    f = rc_finalize_new(a, silent_failure, NULL);
    CHECK_EQ(rc_finalize_call(f), -1);
    CHECK(error_is(RC_ERR_RUNTIME, "without setting an error"));
    rc_decref(f);

    /* a successful call leaves the caller's pending error alone */
    f = finalize_append(a, res, args);
    rc_error_set(RC_ERR_KEY, "pending");
    CHECK_EQ(rc_finalize_call(f), 1);
    CHECK(error_is(RC_ERR_KEY, "pending"));
    rc_decref(f);

    DECREF_ALL(args, one, two, res, big, nw, NoWeak, a, A);
}

/* ------------------------------------------------------------ test_order */

/* CPython's scenario: five finalizers on one object; the user drops f1 and
 * f4 (the registry keeps them), detaches f5, calls f3, then the object dies
 * and the remaining ones run newest first.  With cyclic set the object
 * sits in a reference cycle and dies in a collection instead. */
static void order_scenario(int cyclic) {
    rc_object *A = new_class("A", 1), *a = rc_new_instance(A);
    rc_object *res = rc_list_new(0);
    if (cyclic)
        rc_setattr(a, "self", a);
    rc_object *f1 = finalize_append_str(a, res, "f1");
    rc_object *f2 = finalize_append_str(a, res, "f2");
    rc_object *f3 = finalize_append_str(a, res, "f3");
    rc_object *f4 = finalize_append_str(a, res, "f4");
    rc_object *f5 = finalize_append_str(a, res, "f5");

    rc_decref(f1);   /* finalizers keep themselves alive */
    rc_decref(f4);
    CHECK_EQ(rc_finalize_alive(f2), 1);
    CHECK_EQ(rc_finalize_alive(f3), 1);
    CHECK_EQ(rc_finalize_alive(f5), 1);

    rc_object *o, *arg;
    CHECK_EQ(rc_finalize_detach(f5, &o, &arg), 1);
    rc_xdecref(o);
    rc_xdecref(arg);
    CHECK_EQ(rc_finalize_alive(f5), 0);

    CHECK_EQ(rc_finalize_call(f5), 0);   /* nothing: detached before */
    append_str(res, "A");
    CHECK_EQ(rc_finalize_call(f3), 1);   /* f3 */
    CHECK_EQ(rc_finalize_alive(f3), 0);
    append_str(res, "B");
    CHECK_EQ(rc_finalize_call(f3), 0);   /* nothing: called before */
    append_str(res, "C");
    rc_decref(a);                        /* f4, f2, f1 (refcount death) */
    if (cyclic)   /* f4, f2, f1 from the collector; the count includes the
                   * called weak references that died (f1, f4 here) */
        CHECK(rc_gc_collect(2) >= 1);
    CHECK_EQ(rc_finalize_alive(f2), 0);
    append_str(res, "D");
    CHECK_EQ(rc_finalize_call(f2), 0);   /* nothing: the object's death ran it */

    CHECK(repr_is(res, "['A', 'f3', 'B', 'C', 'f4', 'f2', 'f1', 'D']"));
    DECREF_ALL(f2, f3, f5, res, A);
}

static void FinalizeTestCase_test_order(void) { order_scenario(0); }
static void FinalizeTestCase_test_order_collected(void) { order_scenario(1); }

/* ------------------------------------------------------------ test_all_freed */

/* callback(): arg is an instance whose attribute "res" is the list. */
static int append_123(rc_object *arg) {
    rc_object *v = rc_int_from(123);
    int r = rc_list_append(rc_getattr_borrowed(arg, "res"), v);
    rc_decref(v);
    return r;
}

static void FinalizeTestCase_test_all_freed(void) {
    rc_object *A = new_class("A", 1), *a = rc_new_instance(A);
    rc_object *res = rc_list_new(0);
    rc_object *callback = rc_new_instance(A);   /* the function's state */
    rc_setattr(callback, "res", res);
    rc_object *f = rc_finalize_new(a, append_123, callback);

    rc_object *wr_callback = rc_weakref_new(callback, NULL, NULL);
    rc_object *wr_f = rc_weakref_new(f, NULL, NULL);   /* finalizers are weakrefable */
    CHECK(wr_callback && wr_f);
    rc_decref(callback);
    rc_decref(f);
    CHECK_EQ(rc_weakref_is_alive(wr_callback), 1);
    CHECK_EQ(rc_weakref_is_alive(wr_f), 1);

    rc_decref(a);
    CHECK_EQ(rc_weakref_is_alive(wr_callback), 0);
    CHECK_EQ(rc_weakref_is_alive(wr_f), 0);
    CHECK(repr_is(res, "[123]"));

    DECREF_ALL(wr_callback, wr_f, res, A);
}

/* ------------------------------------------------------------ test_atexit */

/* What the exit run printed (Python's stdout), one line per call. */
static char exit_out[512];
static int exit_gc_enabled;   /* seen by any function during the exit run */
static rc_object *exit_cls;   /* the object every finalizer watches */

static void out_line(const char *s) {
    size_t n = strlen(exit_out);
    snprintf(exit_out + n, sizeof exit_out - n, "%s\n", s);
}

/* print(arg) */
static int print_fn(rc_object *arg) {
    out_line(rc_str_utf8(arg));
    exit_gc_enabled |= rc_gc_isenabled() == 1;
    return 0;
}

static rc_object *finalize_print(rc_object *obj, const char *text) {
    rc_object *s = rc_str_from(text);
    rc_object *f = rc_finalize_new(obj, print_fn, s);
    rc_decref(s);
    return f;
}

/* Creates an at-exit finalizer from inside one called at exit (it must run
 * next), then fails (Python: 1/0). */
static int error_fn(rc_object *arg) {
    (void)arg;
    rc_xdecref(finalize_print(exit_cls, "g1"));
    out_line("f3 error");
    return rc_error_set(RC_ERR_VALUE, "division by zero");
}

/* FinalizeTestCase.run_in_child, on the current heap. */
static void run_in_child(void) {
    exit_cls = new_class("cls", 1);   /* stays alive until the heap dies */
    rc_object *f1 = finalize_print(exit_cls, "f1 foobar");
    rc_object *f2 = finalize_print(exit_cls, "f2 foobar");
    rc_object *f3 = rc_finalize_new(exit_cls, error_fn, NULL);
    rc_object *f4 = finalize_print(exit_cls, "f4 foobar");
    CHECK_EQ(rc_finalize_get_atexit(f1), 1);
    CHECK_EQ(rc_finalize_set_atexit(f2, 0), 0);
    CHECK_EQ(rc_finalize_get_atexit(f2), 0);
    CHECK_EQ(rc_finalize_get_atexit(f3), 1);
    CHECK_EQ(rc_finalize_get_atexit(f4), 1);
    DECREF_ALL(f1, f2, f3, f4);
}

/* Run fn on a new heap, destroy the heap with stderr captured into err,
 * and check that the heap gave back every byte it took. */
static void on_own_heap(void (*fn)(void), char *err, size_t errsz) {
    rc_heap *home = rc_heap_current();
    long long os_before = rc_testing_os_bytes_live();
    rc_heap *h = rc_heap_new(NULL);
    CHECK(h && rc_heap_enter(h) == 0);
    fn();
    fflush(stderr);
    int saved = dup(2);
    FILE *tmp = tmpfile();
    dup2(fileno(tmp), 2);
    CHECK_EQ(rc_heap_destroy(h), 0);
    fflush(stderr);
    dup2(saved, 2);
    close(saved);
    rewind(tmp);
    size_t n = fread(err, 1, errsz - 1, tmp);
    err[n] = '\0';
    fclose(tmp);
    if (os_before >= 0)
        CHECK_EQ(rc_testing_os_bytes_live(), os_before);
    CHECK_EQ(rc_heap_enter(home), 0);
}

static void FinalizeTestCase_test_atexit(void) {
    char err[2048];
    exit_out[0] = '\0';
    exit_gc_enabled = 0;
    on_own_heap(run_in_child, err, sizeof err);
    CHECK_STR_CONTAINS(exit_out, "f4 foobar\nf3 error\ng1\nf1 foobar\n");
    CHECK_EQ(strlen(exit_out), strlen("f4 foobar\nf3 error\ng1\nf1 foobar\n"));
    CHECK_STR_CONTAINS(err, "Exception ignored in: <finalize object at 0x");
    CHECK_STR_CONTAINS(err, "ValueError: division by zero");
    CHECK_EQ(exit_gc_enabled, 0);   /* the collector is off during the run */
}

/* ------------------------------------------------------------ more paths */

/* The function calls its own finalizer: it is already dead, nothing
 * re-runs.  arg is a list holding the finalizer. */
static int reenter(rc_object *arg) {
    rc_object *self = rc_list_get(arg, 0);
    int r = rc_finalize_call(self);           /* 0: dead before the call */
    rc_object *v = rc_int_from(r == 0 && rc_finalize_alive(self) == 0);
    rc_list_append(arg, v);
    rc_decref(v);
    return 0;
}

static void test_reentrant_call(void) {
    rc_object *A = new_class("A", 1), *a = rc_new_instance(A);
    for (int by_death = 0; by_death < 2; by_death++) {
        rc_object *box = rc_list_new(0);
        rc_object *f = rc_finalize_new(a, reenter, box);
        rc_list_append(box, f);   /* f -> box -> f until box is cleared */
        if (by_death) {
            rc_decref(a);
            a = NULL;
        } else {
            CHECK_EQ(rc_finalize_call(f), 1);
        }
        CHECK_EQ(rc_list_size(box), 2);
        CHECK_EQ(ival(rc_list_get(box, 1)), 1);
        rc_list_clear(box);
        rc_decref(box);
        rc_decref(f);
    }
    rc_decref(A);
}

/* A finalizer on a cycle member whose argument is itself in a cycle; the
 * user keeps nothing.  One collection runs the function and frees all. */
static void test_collector_death(void) {
    rc_object *A = new_class("A", 1), *a = rc_new_instance(A), *b = rc_new_instance(A);
    rc_setattr(a, "other", b);
    rc_setattr(b, "other", a);
    rc_object *res = rc_list_new(0);
    rc_object *f = finalize_append_str(a, res, "ran");
    rc_setattr(b, "fin", f);   /* garbage holds the (live) finalizer */
    DECREF_ALL(f, a, b);
    CHECK_EQ(rc_list_size(res), 0);
    CHECK_EQ(rc_gc_collect(2), 2);
    CHECK(repr_is(res, "['ran']"));
    rc_decref(res);
    rc_decref(A);
}

/* ------------------------------------------------------------ out of memory */

static long exit_calls;
static int count_exit(rc_object *arg) { (void)arg; exit_calls++; return 0; }

/* Make n objects with a finalizer each on a fresh heap; let the
 * odd ones die (their finalizers run), keep the even ones, with every
 * fourth finalizer's at-exit flag off, then destroy the heap.  Returns 0,
 * -1 after an RC_ERR_NOMEM, -2 on anything unexpected. */
static int oom_scenario(rc_malloc_mode mode, int n) {
    rc_config c;
    rc_config_init(&c);
    c.malloc_mode = mode;
    rc_heap *h = rc_heap_new(&c);
    if (!h)
        return rc_error_code() == RC_ERR_NOMEM ? -1 : -2;
    rc_heap_enter(h);
    int rc = 0;
    long ran = 0, expected_exit = 0;
    rc_object *A = new_class("A", 1);
    for (int i = 0; A && i < n; i++) {
        rc_object *o = rc_new_instance(A);
        rc_object *f = o ? rc_finalize_new(o, count_exit, NULL) : NULL;
        if (!f) {
            rc = rc_error_code() == RC_ERR_NOMEM ? -1 : -2;
            if (o && rc_weakref_count(o) != 0)   /* a failure leaves no trace */
                rc = -2;
            rc_xdecref(o);
            break;
        }
        if (i % 4 == 0)
            rc_finalize_set_atexit(f, 0);
        else if (i % 2 == 0)
            expected_exit++;
        rc_decref(f);
        if (i % 2) {
            long before = exit_calls;
            rc_decref(o);   /* the finalizer runs now */
            ran += exit_calls - before;
        }
        /* even objects are left for the heap's destruction */
    }
    if (!A)
        rc = rc_error_code() == RC_ERR_NOMEM ? -1 : -2;
    if (rc == 0 && ran != n / 2)
        rc = -2;
    exit_calls = 0;
    rc_heap_enter(NULL);
    rc_heap_destroy(h);
    if (rc == 0 && exit_calls != expected_exit)
        rc = -2;
    return rc;
}

/* Walk the Nth OS request over every request the scenario makes: each
 * failure must surface as RC_ERR_NOMEM and leave no OS bytes behind. */
static void oom_walk(rc_malloc_mode mode, int nobjects) {
    if (rc_testing_fail_os_alloc(0) < 0) {
        printf("     (built without fault injection: skipped)\n");
        return;
    }
    rc_heap *home = rc_heap_current();
    rc_heap_enter(NULL);
    long long base = rc_testing_os_bytes_live();
    long n, nomem = 0, leaks = 0, wrong = 0;
    for (n = 1;; n++) {
        rc_testing_fail_os_alloc(n);
        int rc = oom_scenario(mode, nobjects);
        long calls = rc_testing_os_alloc_count();
        rc_testing_fail_os_alloc(0);
        rc_error_clear();
        leaks += rc_testing_os_bytes_live() != base;
        if (calls < n) {   /* the Nth request never came: the full run */
            wrong += rc != 0;
            break;
        }
        if (rc == -1)
            nomem++;
        else
            wrong++;
    }
    printf("     mode %d: walked N = 1..%ld OS requests, %ld reported NOMEM, %ld leaks, "
           "%ld wrong\n", (int)mode, n, nomem, leaks, wrong);
    CHECK(n > 3);
    CHECK_EQ(leaks, 0);
    CHECK_EQ(wrong, 0);
    rc_heap_enter(home);
}

/* pymalloc: finalizers over several arenas; malloc: every block is an OS
 * request, so each rc_finalize_new and each exit-run step meets a failure. */
static void test_finalize_oom_pymalloc(void) { oom_walk(RC_MALLOC_PYMALLOC, 12000); }
static void test_finalize_oom_malloc(void) { oom_walk(RC_MALLOC_MALLOC, 40); }

int main(void) {
    RUN(FinalizeTestCase_test_finalize);
    RUN(FinalizeTestCase_test_arg_errors);
    RUN(FinalizeTestCase_test_order);
    RUN(FinalizeTestCase_test_order_collected);
    RUN(FinalizeTestCase_test_all_freed);
    RUN(FinalizeTestCase_test_atexit);
    RUN(test_reentrant_call);
    RUN(test_collector_death);
    RUN(test_finalize_oom_pymalloc);
    RUN(test_finalize_oom_malloc);
    return check_summary("test_finalize");
}
