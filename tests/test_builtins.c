/*
 * test_builtins.c - None, bool, int (small-int cache, overflow), float (free
 * list, repr, numeric hashing), str (UTF-8 validation, singletons,
 * interning, repr) and the generic protocol (hash, eq, repr, sizeof) —
 * with sizes compared against CPython 3.11's sys.getsizeof where the
 * layouts correspond.
 */
#include "support.h"
#include <math.h>

static void test_none_and_bool(void) {
    CHECK(rc_is_immortal(rc_None));
    CHECK(rc_bool_from(5) == rc_True);
    CHECK(rc_bool_from(0) == rc_False);
    CHECK(repr_is(rc_None, "None"));
    CHECK(repr_is(rc_True, "True"));
    CHECK(repr_is(rc_False, "False"));
    int64_t v = -1;
    CHECK_EQ(rc_int_as_i64(rc_True, &v), 0);
    CHECK_EQ(v, 1);
    rc_object *one = rc_int_from(1);
    CHECK_EQ(rc_eq(rc_True, one), 1);         /* True == 1 */
    CHECK_EQ(rc_hash(rc_True), rc_hash(one));
    CHECK(!strcmp(rc_type_name(rc_None), "NoneType"));
}

static void test_small_int_cache(void) {
    /* int('256') is 256; int('257') is not 257 */
    rc_object *a = rc_int_from(256), *b = rc_int_from(256);
    CHECK(a == b);
    CHECK(rc_is_immortal(a));
    rc_object *c = rc_int_from(257), *d = rc_int_from(257);
    CHECK(c != d);
    CHECK_EQ(rc_refcount(c), 1);
    CHECK(rc_int_from(-5) == rc_int_from(-5));
    rc_object *e = rc_int_from(-6), *f = rc_int_from(-6);
    CHECK(e != f);
    CHECK_EQ(rc_eq(c, d), 1);
    CHECK_EQ(rc_hash(c), rc_hash(d));
    rc_decref(c);
    rc_decref(d);
    rc_decref(e);
    rc_decref(f);
    int64_t v;
    for (int64_t i = -5; i <= 256; i++) {
        rc_object *x = rc_int_from(i);
        CHECK(rc_int_as_i64(x, &v) == 0 && v == i);
    }
    CHECK_EQ(check_blocks_in_use(), 0);       /* the cache never allocates */
}

static void test_int_arithmetic(void) {
    rc_object *big = rc_int_from(INT64_MAX), *one = rc_int_from(1), *m1 = rc_int_from(-1);
    CHECK(rc_int_add(big, one) == NULL);
    CHECK_EQ(rc_error_code(), RC_ERR_OVERFLOW);
    rc_object *min = rc_int_from(INT64_MIN);
    CHECK(rc_int_sub(min, one) == NULL);
    CHECK_EQ(rc_error_code(), RC_ERR_OVERFLOW);
    CHECK(rc_int_mul(big, rc_int_from(2)) == NULL);
    CHECK_EQ(rc_error_code(), RC_ERR_OVERFLOW);
    CHECK(rc_int_floordiv(min, m1) == NULL);
    CHECK_EQ(rc_error_code(), RC_ERR_OVERFLOW);
    CHECK(rc_int_floordiv(one, rc_int_from(0)) == NULL);
    CHECK_EQ(rc_error_code(), RC_ERR_VALUE);
    rc_object *m7 = rc_int_from(-7);
    rc_object *q = rc_int_floordiv(m7, rc_int_from(2));   /* floors: -4 */
    rc_decref(m7);
    int64_t v;
    CHECK(q && rc_int_as_i64(q, &v) == 0 && v == -4);
    rc_object *s = rc_int_add(rc_int_from(200), rc_int_from(100));
    CHECK(s && rc_int_as_i64(s, &v) == 0 && v == 300);
    CHECK(repr_is(s, "300"));
    CHECK(rc_int_add(one, rc_None) == NULL);
    CHECK_EQ(rc_error_code(), RC_ERR_TYPE);
    CHECK_EQ(rc_int_as_i64(rc_None, &v), -1);
    CHECK_EQ(rc_error_code(), RC_ERR_TYPE);
    rc_xdecref(q);
    rc_xdecref(s);
    rc_decref(big);
    rc_decref(min);
}

static void test_float(void) {
    rc_object *x = rc_float_from(1.5);
    double d;
    CHECK(rc_float_as_double(x, &d) == 0 && d == 1.5);
    CHECK(repr_is(x, "1.5"));
    rc_decref(x);
    rc_object *y = rc_float_from(2.0);
    CHECK(y == x);                  /* the free list hands the block back */
    CHECK(repr_is(y, "2.0"));
    rc_object *two = rc_int_from(2);
    CHECK_EQ(rc_eq(y, two), 1);     /* 2.0 == 2 both ways, same hash */
    CHECK_EQ(rc_eq(two, y), 1);
    CHECK_EQ(rc_hash(y), rc_hash(two));
    rc_decref(y);
    rc_object *t = rc_float_from(0.1);
    CHECK(repr_is(t, "0.1"));
    rc_decref(t);
    t = rc_float_from(1e16);
    CHECK(repr_is(t, "1e+16"));
    rc_decref(t);
    t = rc_float_from(INFINITY);
    CHECK(repr_is(t, "inf"));
    rc_decref(t);
    /* 100 floats go to the free list; the 101st is freed for real */
    rc_object *fs[101];
    for (int i = 0; i < 101; i++)
        fs[i] = rc_float_from(i);
    unsigned long long live = check_blocks_in_use();
    for (int i = 0; i < 101; i++)
        rc_decref(fs[i]);
    CHECK_EQ(live - check_blocks_in_use(), 1);
}

static void test_str_basics(void) {
    rc_object *s = rc_str_from("héllo");
    CHECK(s != NULL);
    CHECK_EQ(rc_str_len(s), 5);
    CHECK_EQ(rc_str_byte_len(s), 6);
    CHECK(!strcmp(rc_str_utf8(s), "héllo"));
    rc_object *t = rc_str_from_utf8("héllo!", 6);
    CHECK_EQ(rc_eq(s, t), 1);
    CHECK_EQ(rc_hash(s), rc_hash(t));
    rc_object *u = rc_str_concat(s, rc_str_from("!"));
    CHECK(u && !strcmp(rc_str_utf8(u), "héllo!") && rc_str_len(u) == 6);
    rc_object *f = rc_str_from_fmt("%d-%s", 42, "x");
    CHECK(f && !strcmp(rc_str_utf8(f), "42-x"));
    rc_decref(s);
    rc_decref(t);
    rc_decref(u);
    rc_decref(f);
    /* the empty string and one-character ASCII strings are singletons */
    CHECK(rc_str_from("") == rc_str_from_utf8("", 0));
    CHECK(rc_str_from("a") == rc_str_from("a"));
    CHECK(rc_is_immortal(rc_str_from("z")));
    CHECK_EQ(check_blocks_in_use(), 0);
}

static void test_str_rejects_bad_utf8(void) {
    static const char *bad[] = {"\xff", "a\xc3", "\xc0\xaf", "\xed\xa0\x80", "\xf4\x90\x80\x80",
                                "ab\x80"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        CHECK(rc_str_from(bad[i]) == NULL);
        CHECK_EQ(rc_error_code(), RC_ERR_VALUE);
    }
    CHECK_STR_CONTAINS(rc_error_message(), "offset 2");
    CHECK(rc_str_from(NULL) == NULL);
    CHECK_EQ(rc_error_code(), RC_ERR_INVALID);
    CHECK(rc_str_len(rc_None) == -1);
    CHECK_EQ(rc_error_code(), RC_ERR_TYPE);
    rc_object *ok = rc_str_from("\xf0\x9f\x98\x80 \xe2\x82\xac"); /* U+1F600, U+20AC */
    CHECK(ok && rc_str_len(ok) == 3);
    rc_xdecref(ok);
}

static void test_interning(void) {
    rc_object *a = rc_str_from("hello_world"), *b = rc_str_from("hello_world");
    CHECK(a != b);                         /* runtime strings are not interned */
    CHECK_EQ(rc_str_is_interned(a), 0);
    rc_object *ia = rc_str_intern(a), *ib = rc_str_intern(b);
    CHECK(ia == a);                        /* the first becomes the interned copy */
    CHECK(ib == a);                        /* sys.intern(b) is sys.intern(a) */
    CHECK_EQ(rc_str_is_interned(a), 1);
    CHECK_EQ(rc_str_is_interned(b), 0);
    rc_object *ic = rc_str_intern_from("hello_world");
    CHECK(ic == a);
    rc_decref(ia);
    rc_decref(ib);
    rc_decref(ic);
    rc_decref(a);
    rc_decref(b);
    CHECK_EQ(rc_refcount(ia), 1);          /* the table keeps it alive */
    for (int i = 0; i < 1000; i++) {       /* growth of the table */
        rc_object *k = rc_str_from_fmt("name%d", i);
        rc_object *ik = rc_str_intern(k);
        CHECK(ik == k);
        rc_decref(ik);
        rc_decref(k);
    }
    rc_object *again = rc_str_intern_from("name777");
    CHECK(again && rc_str_is_interned(again) == 1);
    rc_decref(again);
    CHECK(rc_str_intern_from("x") == rc_str_from("x"));   /* singletons stay themselves */
    rc_heap_clear_caches(NULL);            /* drops the table and its strings */
    CHECK_EQ(check_blocks_in_use(), 0);
}

static void test_str_repr(void) {
    rc_object *s = rc_str_from("it's \"x\"\n\t\\");
    CHECK(repr_is(s, "'it\\'s \"x\"\\n\\t\\\\'"));
    rc_decref(s);
    s = rc_str_from("it's");
    CHECK(repr_is(s, "\"it's\""));
    rc_decref(s);
    s = rc_str_from("\x01é");
    CHECK(repr_is(s, "'\\x01é'"));
    rc_decref(s);
}

static void test_protocol(void) {
    CHECK_EQ(rc_hash(NULL), -1);
    CHECK_EQ(rc_error_code(), RC_ERR_INVALID);
    CHECK_EQ(rc_eq(NULL, rc_None), -1);
    CHECK(rc_repr(NULL) == NULL);
    CHECK_EQ(rc_sizeof(NULL), -1);
    CHECK_EQ(rc_hash(rc_int_from(-1)), -2);      /* hash(-1) == -2 in Python */
    CHECK_EQ(rc_hash(rc_int_from(42)), 42);
    rc_object *f = rc_float_from(0.5);
    CHECK_EQ(rc_hash(f), 1152921504606846976LL); /* hash(0.5) in CPython */
    rc_decref(f);
    CHECK(rc_hash(rc_None) != -1);
    CHECK_EQ(rc_eq(rc_None, rc_False), 0);
    CHECK_EQ(rc_eq(rc_str_from("a"), rc_int_from(1)), 0);
}

/* sys.getsizeof on CPython 3.11 (reference 5.5) for the same values. */
static void test_sizes_match_cpython(void) {
    rc_object *big = rc_int_from(1000);
    CHECK_EQ(rc_sizeof(rc_None), 16);           /* None: 16 */
    CHECK_EQ(rc_sizeof(rc_int_from(1)), 24);    /* CPython 28: digit array; ours is 64-bit */
    CHECK_EQ(rc_sizeof(big), 24);
    rc_object *f = rc_float_from(1.0);
    CHECK_EQ(rc_sizeof(f), 24);                 /* 1.0: 24 */
    CHECK_EQ(rc_sizeof(rc_str_from("")), 49);   /* '': 49 on 3.11 */
    CHECK_EQ(rc_sizeof(rc_str_from("a")), 50);  /* 'a': 50 on 3.11 */
    rc_decref(big);
    rc_decref(f);
}

/* Python's truth values for every built-in type. */
static void test_truth(void) {
    CHECK_EQ(rc_is_true(rc_None), 0);
    CHECK_EQ(rc_is_true(rc_False), 0);
    CHECK_EQ(rc_is_true(rc_True), 1);
    CHECK_EQ(rc_is_true(rc_int_from(0)), 0);
    CHECK_EQ(rc_is_true(rc_int_from(-1)), 1);
    rc_object *f0 = rc_float_from(0.0), *f1 = rc_float_from(0.5);
    CHECK_EQ(rc_is_true(f0), 0);
    CHECK_EQ(rc_is_true(f1), 1);
    CHECK_EQ(rc_is_true(rc_str_from("")), 0);
    CHECK_EQ(rc_is_true(rc_str_from("x")), 1);
    rc_object *b0 = rc_bytes_from("", 0), *b1 = rc_bytes_from("ab", 2);
    CHECK_EQ(rc_is_true(b0), 0);
    CHECK_EQ(rc_is_true(b1), 1);
    rc_object *v0 = rc_bytes_view(b1, 1, 0), *v1 = rc_bytes_view(b1, 0, 1);
    CHECK_EQ(rc_is_true(v0), 0);
    CHECK_EQ(rc_is_true(v1), 1);
    rc_object *t0 = rc_tuple_new(0), *l0 = rc_list_new(0), *d0 = rc_dict_new(), *s0 = rc_set_new();
    CHECK_EQ(rc_is_true(t0), 0);
    CHECK_EQ(rc_is_true(l0), 0);
    CHECK_EQ(rc_is_true(d0), 0);
    CHECK_EQ(rc_is_true(s0), 0);
    rc_list_append(l0, rc_None);
    rc_dict_set(d0, rc_None, rc_None);
    rc_set_add(s0, rc_None);
    CHECK_EQ(rc_is_true(l0), 1);
    CHECK_EQ(rc_is_true(d0), 1);
    CHECK_EQ(rc_is_true(s0), 1);
    CHECK_EQ(rc_is_true(NULL), -1);
    rc_object *objs[] = {f0, f1, b0, b1, v0, v1, t0, l0, d0, s0};
    for (size_t i = 0; i < sizeof objs / sizeof objs[0]; i++)
        rc_decref(objs[i]);
}

int main(void) {
    RUN(test_none_and_bool);
    RUN(test_truth);
    RUN(test_small_int_cache);
    RUN(test_int_arithmetic);
    RUN(test_float);
    RUN(test_str_basics);
    RUN(test_str_rejects_bad_utf8);
    RUN(test_interning);
    RUN(test_str_repr);
    RUN(test_protocol);
    RUN(test_sizes_match_cpython);
    return check_summary("test_builtins");
}
