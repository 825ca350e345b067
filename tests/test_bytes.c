/*
 * test_bytes.c - bytes (copying constructor, the immortal b"", cached hash,
 * equality, Python's repr escaping, sizes) and zero-copy views (memoryview
 * slicing: shared memory, the base kept alive, views of views, range
 * errors, hash and equality by content, traverse).
 */
#include "support.h"

static void test_bytes_basics(void) {
    rc_object *b = rc_bytes_from("hello", 5);
    CHECK(b != NULL);
    CHECK(RC_TYPE_CHECK(b, rc_bytes_type));
    CHECK(!strcmp(rc_type_name(b), "bytes"));
    CHECK_EQ(rc_bytes_len(b), 5);
    CHECK(!memcmp(rc_bytes_data(b), "hello", 5));
    CHECK_EQ(rc_bytes_data(b)[5], '\0');              /* NUL-terminated for C */
    CHECK_EQ(rc_refcount(b), 1);
    CHECK(!rc_gc_is_tracked(b));                      /* atomic: no GC link */
    /* a copy: the source may change afterwards */
    char buf[4] = {'a', 0, 'b', 'c'};
    rc_object *c = rc_bytes_from(buf, 4);
    buf[0] = 'z';
    CHECK_EQ(rc_bytes_len(c), 4);
    CHECK(!memcmp(rc_bytes_data(c), "a\0bc", 4));     /* embedded NUL kept */
    rc_decref(c);
    rc_decref(b);

    /* b"" is one immortal object, whatever pointer is passed */
    rc_object *e1 = rc_bytes_from("", 0), *e2 = rc_bytes_from(NULL, 0);
    CHECK(e1 == e2);
    CHECK(rc_is_immortal(e1));
    CHECK_EQ(rc_bytes_len(e1), 0);
    CHECK(rc_bytes_data(e1) && rc_bytes_data(e1)[0] == '\0');
    CHECK_EQ(check_blocks_in_use(), 0);

    /* errors */
    CHECK(rc_bytes_from(NULL, 3) == NULL);
    CHECK(error_is(RC_ERR_INVALID, "data is NULL"));
    CHECK(rc_bytes_from("x", (size_t)INTPTR_MAX + 1) == NULL);
    CHECK(error_is(RC_ERR_OVERFLOW, NULL));
    CHECK(rc_bytes_from("x", (size_t)INTPTR_MAX - 8) == NULL);   /* too large to allocate */
    CHECK(rc_error_code() == RC_ERR_OVERFLOW || rc_error_code() == RC_ERR_NOMEM);
    rc_error_clear();
    rc_object *s = rc_str_from("text");
    CHECK(rc_bytes_data(s) == NULL);
    CHECK(error_is(RC_ERR_TYPE, "rc_bytes_data: expected bytes or memoryview, got 'str'"));
    CHECK_EQ(rc_bytes_len(s), -1);
    CHECK(error_is(RC_ERR_TYPE, "rc_bytes_len"));
    CHECK(rc_bytes_data(NULL) == NULL);
    CHECK(error_is(RC_ERR_TYPE, NULL));
    CHECK_EQ(rc_bytes_len(NULL), -1);
    CHECK(error_is(RC_ERR_TYPE, NULL));
    rc_decref(s);
}

static void test_bytes_sizes(void) {
    /* CPython 3.11: sys.getsizeof(b'') == 33, b'abc' == 36 */
    rc_object *e = rc_bytes_from("", 0), *abc = rc_bytes_from("abc", 3);
    CHECK_EQ(rc_sizeof(e), 33);
    CHECK_EQ(rc_sizeof(abc), 36);
    rc_object *v = rc_bytes_view(abc, 1, 2);
    CHECK_EQ(rc_sizeof(v), 40);       /* header + base + pointer + length */
    rc_decref(v);
    rc_decref(abc);
}

static void test_bytes_hash_and_eq(void) {
    rc_object *a = rc_bytes_from("abc", 3), *b = rc_bytes_from("abc", 3);
    rc_object *c = rc_bytes_from("abd", 3), *d = rc_bytes_from("ab", 2);
    rc_object *s = rc_str_from("abc");
    CHECK(a != b);
    CHECK_EQ(rc_eq(a, b), 1);
    CHECK_EQ(rc_eq(a, c), 0);
    CHECK_EQ(rc_eq(a, d), 0);
    CHECK_EQ(rc_eq(d, a), 0);
    CHECK_EQ(rc_eq(a, s), 0);                 /* b'abc' != 'abc' */
    CHECK_EQ(rc_eq(s, a), 0);
    CHECK_EQ(rc_eq(a, rc_None), 0);
    int64_t h = rc_hash(a);
    CHECK(h != -1);
    CHECK_EQ(rc_hash(a), h);                  /* cached */
    CHECK_EQ(rc_hash(b), h);
    CHECK(rc_hash(c) != h);
    CHECK_EQ(rc_hash(s), h);                  /* as CPython: hash(b'abc') == hash('abc') */
    CHECK_EQ(rc_eq(a, c), 0);                 /* both hashes cached now */
    CHECK_EQ(rc_eq(a, b), 1);
    rc_object *e = rc_bytes_from("", 0);
    CHECK(rc_hash(e) != -1);
    CHECK_EQ(rc_hash(e), rc_hash(e));
    CHECK_EQ(rc_eq(e, e), 1);
    CHECK_EQ(rc_eq(e, d), 0);
    rc_decref(a);
    rc_decref(b);
    rc_decref(c);
    rc_decref(d);
    rc_decref(s);
}

static void test_bytes_repr(void) {
    rc_object *b;
#define REPR(lit, want)                                    \
    do {                                                   \
        b = rc_bytes_from(lit, sizeof(lit) - 1);           \
        CHECK(repr_is(b, want));                           \
        rc_decref(b);                                      \
    } while (0)
    /* expected strings are what python3 prints for repr(b'...') */
    REPR("", "b''");
    REPR("hello", "b'hello'");
    REPR("it's", "b\"it's\"");                 /* ' and no ": double quotes */
    REPR("a'b\"c", "b'a\\'b\"c'");             /* both: single, ' escaped */
    REPR("say \"hi\"", "b'say \"hi\"'");
    REPR("back\\slash", "b'back\\\\slash'");
    REPR("\t\n\r", "b'\\t\\n\\r'");
    REPR("\x00\x01\x1f\x7f\x80\xff", "b'\\x00\\x01\\x1f\\x7f\\x80\\xff'");
    REPR(" ~", "b' ~'");
    REPR("\xc3\xa9", "b'\\xc3\\xa9'");         /* bytes, not text */
#undef REPR
    /* a long repr goes past the builder's inline buffer */
    char big[1000];
    for (int i = 0; i < 1000; i++)
        big[i] = (char)i;
    b = rc_bytes_from(big, sizeof big);
    rc_object *r = rc_repr(b);
    CHECK(r != NULL);
    CHECK(r && !strncmp(rc_str_utf8(r), "b'\\x00\\x01", 10));
    rc_xdecref(r);
    rc_decref(b);
}

/* The repr matches python3's, when python3 is on the machine. */
static void test_bytes_repr_vs_python(void) {
    FILE *f = popen("python3 -c \"print(repr(bytes(range(256))))\" 2>/dev/null", "r");
    char want[2048] = "";
    size_t n = f ? fread(want, 1, sizeof want - 1, f) : 0;
    if (f)
        pclose(f);
    if (n == 0) {
        printf("     (skipped: python3 not found)\n");
        return;
    }
    want[n] = '\0';
    if (n && want[n - 1] == '\n')
        want[n - 1] = '\0';
    unsigned char all[256];
    for (int i = 0; i < 256; i++)
        all[i] = (unsigned char)i;
    rc_object *b = rc_bytes_from(all, 256);
    CHECK(repr_is(b, want));
    rc_decref(b);
}

static void test_views(void) {
    rc_object *b = rc_bytes_from("hello, world", 12);
    rc_object *v = rc_bytes_view(b, 7, 5);
    CHECK(v != NULL);
    CHECK(RC_TYPE_CHECK(v, rc_bytesview_type));
    CHECK(!strcmp(rc_type_name(v), "memoryview"));
    CHECK_EQ(rc_bytes_len(v), 5);
    CHECK(rc_bytes_data(v) == rc_bytes_data(b) + 7);  /* zero-copy */
    CHECK(!memcmp(rc_bytes_data(v), "world", 5));
    CHECK_EQ(rc_refcount(b), 2);                      /* the view keeps its base */
    CHECK(!rc_gc_is_tracked(v));

    /* the base outlives the user's reference */
    const char *data = rc_bytes_data(b);
    rc_decref(b);
    CHECK_EQ(rc_refcount(b), 1);
    CHECK(rc_bytes_data(v) == data + 7);
    CHECK(!memcmp(rc_bytes_data(v), "world", 5));

    /* a view of a view refers to the original bytes, not the view */
    rc_object *vv = rc_bytes_view(v, 1, 3);
    CHECK(vv != NULL);
    CHECK(!memcmp(rc_bytes_data(vv), "orl", 3));
    CHECK(rc_bytes_data(vv) == data + 8);
    CHECK_EQ(rc_refcount(b), 2);
    CHECK_EQ(rc_refcount(v), 1);
    rc_decref(v);                                     /* the middle view may go */
    CHECK(!memcmp(rc_bytes_data(vv), "orl", 3));
    rc_decref(vv);                                    /* the last view: base freed */
    CHECK_EQ(check_blocks_in_use(), 0);
}

static int grab(rc_object *op, void *arg) {
    *(rc_object **)arg = op;
    return 0;
}

static void test_view_traverse(void) {
    rc_object *b = rc_bytes_from("abcdef", 6);
    rc_object *v = rc_bytes_view(b, 0, 6);
    rc_object *vv = rc_bytes_view(v, 2, 2);
    rc_object *seen = NULL;
    CHECK_EQ(rc_type_of(vv)->traverse(vv, grab, &seen), 0);
    CHECK(seen == b);
    CHECK(rc_type_of(b)->traverse == NULL);           /* bytes hold no references */
    rc_decref(b);
    rc_decref(v);
    rc_decref(vv);
}

static void test_view_ranges(void) {
    rc_object *b = rc_bytes_from("0123456789", 10);
    rc_object *v;
    v = rc_bytes_view(b, 0, 10);                      /* the whole */
    CHECK(v && rc_bytes_len(v) == 10);
    rc_xdecref(v);
    v = rc_bytes_view(b, 10, 0);                      /* empty at the end */
    CHECK(v && rc_bytes_len(v) == 0);
    rc_xdecref(v);
    v = rc_bytes_view(b, 3, 0);
    CHECK(v && rc_bytes_len(v) == 0 && rc_bytes_data(v) == rc_bytes_data(b) + 3);
    rc_xdecref(v);
    CHECK(rc_bytes_view(b, 0, 11) == NULL);
    CHECK(error_is(RC_ERR_INDEX, "out of range"));
    CHECK(rc_bytes_view(b, 11, 0) == NULL);
    CHECK(error_is(RC_ERR_INDEX, NULL));
    CHECK(rc_bytes_view(b, -1, 2) == NULL);
    CHECK(error_is(RC_ERR_INDEX, NULL));
    CHECK(rc_bytes_view(b, 2, -1) == NULL);
    CHECK(error_is(RC_ERR_INDEX, NULL));
    CHECK(rc_bytes_view(b, 5, INTPTR_MAX) == NULL);   /* start + len overflows */
    CHECK(error_is(RC_ERR_INDEX, NULL));
    CHECK(rc_bytes_view(b, INTPTR_MAX, INTPTR_MAX) == NULL);
    CHECK(error_is(RC_ERR_INDEX, NULL));
    /* ranges of a view are relative to the view */
    rc_object *mid = rc_bytes_view(b, 2, 5);          /* "23456" */
    CHECK(rc_bytes_view(mid, 0, 6) == NULL);
    CHECK(error_is(RC_ERR_INDEX, "memoryview of length 5"));
    CHECK(rc_bytes_view(mid, 4, 2) == NULL);
    CHECK(error_is(RC_ERR_INDEX, NULL));
    v = rc_bytes_view(mid, 4, 1);
    CHECK(v && rc_bytes_data(v)[0] == '6');
    rc_xdecref(v);
    rc_decref(mid);
    CHECK_EQ(rc_refcount(b), 1);                      /* failures kept nothing */
    /* views of b"" */
    rc_object *e = rc_bytes_from("", 0);
    v = rc_bytes_view(e, 0, 0);
    CHECK(v && rc_bytes_len(v) == 0);
    rc_xdecref(v);
    CHECK(rc_bytes_view(e, 0, 1) == NULL);
    CHECK(error_is(RC_ERR_INDEX, NULL));
    /* not bytes */
    rc_object *s = rc_str_from("abc");
    CHECK(rc_bytes_view(s, 0, 1) == NULL);
    CHECK(error_is(RC_ERR_TYPE, "rc_bytes_view: expected bytes or memoryview, got 'str'"));
    CHECK(rc_bytes_view(NULL, 0, 0) == NULL);
    CHECK(error_is(RC_ERR_TYPE, NULL));
    rc_decref(s);
    rc_decref(b);
}

static void test_view_hash_eq_repr(void) {
    rc_object *b = rc_bytes_from("xxabcxx", 7), *abc = rc_bytes_from("abc", 3);
    rc_object *v = rc_bytes_view(b, 2, 3), *w = rc_bytes_view(abc, 0, 3);
    rc_object *other = rc_bytes_view(b, 1, 3);        /* "xab" */
    CHECK_EQ(rc_eq(v, abc), 1);                       /* memoryview(b'abc') == b'abc' */
    CHECK_EQ(rc_eq(abc, v), 1);
    CHECK_EQ(rc_eq(v, w), 1);
    CHECK_EQ(rc_eq(v, other), 0);
    CHECK_EQ(rc_eq(other, abc), 0);
    CHECK_EQ(rc_eq(v, b), 0);
    rc_object *s = rc_str_from("abc");
    CHECK_EQ(rc_eq(v, s), 0);
    CHECK_EQ(rc_hash(v), rc_hash(abc));               /* read-only memoryview hashes its bytes */
    CHECK_EQ(rc_hash(w), rc_hash(abc));
    CHECK(rc_hash(other) != rc_hash(abc));
    rc_object *r = rc_repr(v);
    CHECK(r && !strncmp(rc_str_utf8(r), "<memory at 0x", 13));
    rc_xdecref(r);
    rc_decref(s);
    rc_decref(other);
    rc_decref(v);
    rc_decref(w);
    rc_decref(b);
    rc_decref(abc);
}

/* Views as the tutorials use them: slicing a large buffer costs a 48-byte
 * block per slice instead of a copy. */
static void test_views_instead_of_copies(void) {
    enum { SIZE = 1 << 20, SLICES = 1000 };
    char *src = malloc(SIZE);
    for (int i = 0; i < SIZE; i++)
        src[i] = (char)(i * 7);
    rc_object *big = rc_bytes_from(src, SIZE);
    free(src);
    rc_memstats st;
    rc_mem_stats(NULL, &st);
    unsigned long long before = st.bytes_in_use;
    rc_object *views[SLICES];
    for (int i = 0; i < SLICES; i++)
        views[i] = rc_bytes_view(big, (intptr_t)i * 1000, 1000);
    rc_mem_stats(NULL, &st);
    unsigned long long per = (st.bytes_in_use - before) / SLICES;
    printf("     %d slices of 1000 bytes: %llu bytes each as views\n", SLICES, per);
    if (rc_heap_malloc_mode(rc_heap_current()) == RC_MALLOC_PYMALLOC)
        CHECK(per <= 48);                             /* a 40-byte view in a 48-byte block */
    else
        CHECK(per <= 200);                            /* debug/malloc add their overhead */
    rc_decref(big);                                   /* the views keep it */
    CHECK(rc_bytes_data(views[SLICES - 1])[0] == (char)((SLICES - 1) * 1000 * 7));
    for (int i = 0; i < SLICES; i++)
        rc_decref(views[i]);
    CHECK_EQ(check_blocks_in_use(), 0);
}

static void test_bytes_debug_mode(void) {
    /* the same operations under the debug allocator (guard bytes, fills) */
    rc_object *b = rc_bytes_from("guarded", 7);
    rc_object *v = rc_bytes_view(b, 1, 6);
    rc_object *r = rc_repr(b);
    CHECK(r && !strcmp(rc_str_utf8(r), "b'guarded'"));
    CHECK_EQ(rc_eq(v, b), 0);
    rc_xdecref(r);
    rc_decref(v);
    rc_decref(b);
}

int main(void) {
    RUN(test_bytes_basics);
    RUN(test_bytes_sizes);
    RUN(test_bytes_hash_and_eq);
    RUN(test_bytes_repr);
    RUN(test_bytes_repr_vs_python);
    RUN(test_views);
    RUN(test_view_traverse);
    RUN(test_view_ranges);
    RUN(test_view_hash_eq_repr);
    RUN(test_views_instead_of_copies);
    rc_config dbg;
    rc_config_init(&dbg);
    dbg.malloc_mode = RC_MALLOC_DEBUG;
    RUN_CFG(test_bytes_debug_mode, &dbg);
    return check_summary("test_bytes");
}
