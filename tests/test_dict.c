/*
 * test_dict.c - dict and set: every operation and error, CPython 3.11's
 * growth and sizing (checked against python3 in the same run when it is
 * installed), insertion order under random sets/deletes/pops compared with
 * python3, the tracking rules of reference 5.4, iteration with the mutation
 * check, traverse, repr, out-of-memory paths, and 100000-key stress.
 */
#include "support.h"
#include <stdarg.h>
#include <stdint.h>

/* The collector's hook (hidden in the library; the static test library
 * still links it). */
int rci_dict_maybe_untrack(rc_object *op);

/* ------------------------------------------------------------ helpers */

/* d[k] = v for ints */
static int seti(rc_object *d, int64_t k, int64_t v) {
    rc_object *ko = rc_int_from(k), *vo = rc_int_from(v);
    int r = (ko && vo) ? rc_dict_set(d, ko, vo) : -1;
    rc_xdecref(ko);
    rc_xdecref(vo);
    return r;
}

/* d[k] as an int, INT64_MIN if missing */
static int64_t geti(rc_object *d, int64_t k) {
    rc_object *ko = rc_int_from(k);
    rc_object *v = rc_dict_get(d, ko);
    rc_decref(ko);
    return v ? ival(v) : INT64_MIN;
}

static int deli(rc_object *d, int64_t k) {
    rc_object *ko = rc_int_from(k);
    int r = rc_dict_delete(d, ko);
    rc_decref(ko);
    return r;
}

static int set_addi(rc_object *s, int64_t k) {
    rc_object *ko = rc_int_from(k);
    int r = rc_set_add(s, ko);
    rc_decref(ko);
    return r;
}

static int set_discardi(rc_object *s, int64_t k) {
    rc_object *ko = rc_int_from(k);
    int r = rc_set_discard(s, ko);
    rc_decref(ko);
    return r;
}

static int set_containsi(rc_object *s, int64_t k) {
    rc_object *ko = rc_int_from(k);
    int r = rc_set_contains(s, ko);
    rc_decref(ko);
    return r;
}

/* 1 if our output equals python's; otherwise print the first differing line. */
static int same_as_python(const char *py, const char *ours) {
    if (!strcmp(py, ours))
        return 1;
    const char *a = py, *b = ours;
    int line = 1;
    while (*a && *a == *b) {
        if (*a == '\n')
            line++;
        a++;
        b++;
    }
    fprintf(stderr, "    first difference at output line %d: python '%.60s' ours '%.60s'\n",
            line, a, b);
    return 0;
}

/* A growable C string for building scripts and expected outputs. */
typedef struct { char *s; size_t len, cap; } buf;
static void bput(buf *b, const char *fmt, ...) RC_PRINTF(2, 3);
static void bput(buf *b, const char *fmt, ...) {
    va_list ap;
    for (;;) {
        va_start(ap, fmt);
        int n = vsnprintf(b->s ? b->s + b->len : NULL, b->s ? b->cap - b->len : 0, fmt, ap);
        va_end(ap);
        if (b->s && (size_t)n < b->cap - b->len) {
            b->len += (size_t)n;
            return;
        }
        size_t nc = b->cap ? b->cap * 2 : 4096;
        while (nc < b->len + (size_t)n + 1)
            nc *= 2;
        b->s = realloc(b->s, nc);
        b->cap = nc;
    }
}

static uint64_t rng_state;
static uint64_t rnd(void) {
    rng_state = rng_state * 6364136223846793005ULL + 1442695040888963407ULL;
    return rng_state >> 33;
}

/* A test key type with a settable hash and an equality hook that can
 * fail or mutate a dict. */
typedef struct Key {
    rc_object ob;
    int64_t h;
    int64_t id;
    int mode;           /* 0 normal, 1 eq fails, 2 eq clears victim */
} Key;
static rc_object *victim;
static int eq_calls;
static int64_t key_hash(rc_object *self) { return ((Key *)self)->h; }
static int key_eq(rc_object *self, rc_object *other) {
    Key *a = (Key *)self, *b = (Key *)other;
    eq_calls++;
    if (a->mode == 1 || b->mode == 1)
        return rc_error_set(RC_ERR_VALUE, "comparison failed");
    if (a->mode == 2 || b->mode == 2) {
        if (victim) {
            if (RC_TYPE_CHECK(victim, rc_dict_type))
                rc_dict_clear(victim);
        }
        return 0;
    }
    return other->type == self->type && a->id == b->id;
}
static const rc_type Key_type = {.ob_base = RC_STATIC_TYPE_HEAD, .name = "Key",
                                 .basic_size = sizeof(Key), .hash = key_hash, .eq = key_eq};
static rc_object *new_key(int64_t h, int64_t id, int mode) {
    Key *k = rc_object_new(&Key_type);
    k->h = h;
    k->id = id;
    k->mode = mode;
    return &k->ob;
}

/* ------------------------------------------------------------ dict */

static void test_dict_basics(void) {
    rc_object *d = rc_dict_new();
    CHECK(d != NULL);
    CHECK(RC_TYPE_CHECK(d, rc_dict_type));
    CHECK(!strcmp(rc_type_name(d), "dict"));
    CHECK_EQ(rc_dict_size(d), 0);
    CHECK_EQ(rc_dict_table_size(d), 0);
    CHECK_EQ(rc_sizeof(d), 64);                 /* getsizeof({}) */

    rc_object *k = rc_int_from(1000), *v = rc_int_from(2000);
    CHECK_EQ(rc_dict_set(d, k, v), 0);
    CHECK_EQ(rc_refcount(k), 2);
    CHECK_EQ(rc_refcount(v), 2);
    CHECK_EQ(rc_dict_size(d), 1);
    CHECK_EQ(rc_dict_table_size(d), 8);
    CHECK_EQ(rc_sizeof(d), 64 + 16 + 8 + 5 * 24);   /* 208; CPython's {1:1} is 224 */
    CHECK(rc_dict_get(d, k) == v);
    CHECK_EQ(rc_dict_contains(d, k), 1);

    /* an equal but distinct key finds the entry (hash, then eq) */
    rc_object *k2 = rc_int_from(1000);
    CHECK(k2 != k);
    CHECK(rc_dict_get(d, k2) == v);
    /* replacing keeps the first key object and swaps the value */
    rc_object *v2 = rc_int_from(3000);
    CHECK_EQ(rc_dict_set(d, k2, v2), 0);
    CHECK_EQ(rc_dict_size(d), 1);
    CHECK_EQ(rc_refcount(k), 2);
    CHECK_EQ(rc_refcount(k2), 1);
    CHECK_EQ(rc_refcount(v), 1);
    CHECK_EQ(rc_refcount(v2), 2);
    /* 1 == 1.0 and hash(1) == hash(1.0): the same key */
    rc_object *one = rc_int_from(1), *onef = rc_float_from(1.0);
    CHECK_EQ(rc_dict_set(d, one, v), 0);
    CHECK(rc_dict_get(d, onef) == v);
    CHECK_EQ(rc_dict_contains(d, onef), 1);
    CHECK_EQ(rc_dict_size(d), 2);

    /* missing key: KeyError with the key's repr */
    rc_object *missing = rc_int_from(424242);
    CHECK(rc_dict_get(d, missing) == NULL);
    CHECK_EQ(rc_error_code(), RC_ERR_KEY);
    CHECK(!strcmp(rc_error_message(), "424242"));   /* str(KeyError(424242)) */
    rc_object *neg = rc_int_from(-9000000000);
    CHECK(rc_dict_get(d, neg) == NULL);
    CHECK(!strcmp(rc_error_message(), "-9000000000"));
    rc_decref(neg);
    rc_object *empty = rc_dict_new();
    CHECK(rc_dict_get(empty, rc_True) == NULL);   /* a bool's repr, not its int value */
    CHECK(!strcmp(rc_error_message(), "True"));
    rc_decref(empty);
    CHECK_EQ(rc_dict_contains(d, missing), 0);
    CHECK_EQ(rc_dict_delete(d, missing), -1);
    CHECK_EQ(rc_error_code(), RC_ERR_KEY);
    CHECK(rc_dict_pop(d, missing) == NULL);
    CHECK_EQ(rc_error_code(), RC_ERR_KEY);
    rc_object *sk = rc_str_from("nope");
    CHECK(rc_dict_get(d, sk) == NULL);
    CHECK_EQ(rc_error_code(), RC_ERR_KEY);
    CHECK(!strcmp(rc_error_message(), "'nope'"));
    rc_decref(sk);

    /* pop returns the value (new reference) and drops the key */
    rc_object *p = rc_dict_pop(d, k);
    CHECK(p == v2);
    CHECK_EQ(rc_refcount(v2), 2);
    CHECK_EQ(rc_refcount(k), 1);
    rc_decref(p);
    CHECK_EQ(rc_dict_size(d), 1);
    CHECK_EQ(rc_dict_table_size(d), 8);         /* deletions never shrink */
    CHECK_EQ(rc_dict_delete(d, onef), 0);
    CHECK_EQ(rc_dict_size(d), 0);
    CHECK_EQ(rc_refcount(v), 1);
    CHECK_EQ(rc_dict_delete(d, one), -1);
    CHECK_EQ(rc_error_code(), RC_ERR_KEY);
    CHECK_STR_CONTAINS(rc_error_message(), "1");

    /* popitem: last inserted first; empty is a KeyError */
    rc_object *pk, *pv;
    CHECK_EQ(rc_dict_popitem(d, &pk, &pv), -1);
    CHECK_EQ(rc_error_code(), RC_ERR_KEY);
    CHECK(!strcmp(rc_error_message(), "popitem(): dictionary is empty"));
    for (int i = 0; i < 4; i++)
        CHECK_EQ(seti(d, i, i * 10), 0);
    CHECK_EQ(rc_dict_popitem(d, &pk, &pv), 0);
    CHECK_EQ(ival(pk), 3);
    CHECK_EQ(ival(pv), 30);
    rc_decref(pk);
    rc_decref(pv);
    CHECK_EQ(deli(d, 2), 0);
    CHECK_EQ(rc_dict_popitem(d, &pk, &pv), 0);  /* skips the hole of 2 */
    CHECK_EQ(ival(pk), 1);
    rc_decref(pk);
    rc_decref(pv);
    CHECK_EQ(rc_dict_size(d), 1);

    /* clear drops the table */
    rc_object *big = rc_int_from(99999);
    CHECK_EQ(rc_dict_set(d, big, big), 0);
    CHECK_EQ(rc_refcount(big), 3);
    CHECK_EQ(rc_dict_clear(d), 0);
    CHECK_EQ(rc_refcount(big), 1);
    CHECK_EQ(rc_dict_size(d), 0);
    CHECK_EQ(rc_dict_table_size(d), 0);
    CHECK_EQ(rc_sizeof(d), 64);
    CHECK_EQ(rc_dict_clear(d), 0);              /* clearing an empty dict */
    CHECK_EQ(seti(d, 5, 6), 0);                 /* usable again */
    CHECK_EQ(geti(d, 5), 6);

    rc_decref(big);
    rc_decref(missing);
    rc_decref(one);
    rc_decref(onef);
    rc_decref(k);
    rc_decref(k2);
    rc_decref(v);
    rc_decref(v2);
    rc_decref(d);
}

static void test_dict_type_errors(void) {
    rc_object *i = rc_int_from(5);
    rc_object *l = rc_list_new(0);
    CHECK_EQ(rc_dict_size(i), -1);
    CHECK_EQ(rc_error_code(), RC_ERR_TYPE);
    CHECK_EQ(rc_dict_size(NULL), -1);
    CHECK_EQ(rc_dict_set(l, i, i), -1);
    CHECK_EQ(rc_error_code(), RC_ERR_TYPE);
    CHECK(rc_dict_get(i, i) == NULL);
    CHECK_EQ(rc_error_code(), RC_ERR_TYPE);
    CHECK_EQ(rc_dict_table_size(l), -1);
    CHECK(rc_dict_keys(i) == NULL);
    CHECK_EQ(rc_set_size(i), -1);
    CHECK_EQ(rc_error_code(), RC_ERR_TYPE);
    CHECK_EQ(rc_set_add(l, i), -1);
    CHECK_EQ(rc_error_code(), RC_ERR_TYPE);
    rc_object *d = rc_dict_new();
    CHECK_EQ(rc_dict_set(d, i, NULL), -1);
    CHECK_EQ(rc_error_code(), RC_ERR_INVALID);
    CHECK_EQ(rc_dict_set(d, NULL, i), -1);
    CHECK_EQ(rc_error_code(), RC_ERR_INVALID);
    rc_dict_iter it;
    rc_dict_iter_init(i, &it);
    CHECK_EQ(rc_dict_next(i, &it, NULL, NULL), -1);
    CHECK_EQ(rc_error_code(), RC_ERR_TYPE);
    rc_decref(d);
    rc_decref(l);
}

/* Unhashable keys: list, dict, set give RC_ERR_TYPE everywhere. */
static void test_dict_unhashable(void) {
    rc_object *d = rc_dict_new(), *s = rc_set_new();
    rc_object *l = rc_list_new(0), *d2 = rc_dict_new(), *s2 = rc_set_new();
    rc_object *one = rc_int_from(1);
    CHECK_EQ(rc_hash(d2), -1);
    CHECK_EQ(rc_error_code(), RC_ERR_TYPE);
    CHECK(!strcmp(rc_error_message(), "unhashable type: 'dict'"));
    CHECK_EQ(rc_hash(s2), -1);
    CHECK_EQ(rc_error_code(), RC_ERR_TYPE);
    CHECK(!strcmp(rc_error_message(), "unhashable type: 'set'"));
    rc_object *bad[3] = {l, d2, s2};
    for (int i = 0; i < 3; i++) {
        CHECK_EQ(rc_dict_set(d, bad[i], one), -1);
        CHECK_EQ(rc_error_code(), RC_ERR_TYPE);
        CHECK(rc_dict_get(d, bad[i]) == NULL);
        CHECK_EQ(rc_error_code(), RC_ERR_TYPE);
        CHECK_EQ(rc_dict_contains(d, bad[i]), -1);
        CHECK_EQ(rc_error_code(), RC_ERR_TYPE);
        CHECK_EQ(rc_dict_delete(d, bad[i]), -1);
        CHECK_EQ(rc_error_code(), RC_ERR_TYPE);
        CHECK(rc_dict_pop(d, bad[i]) == NULL);
        CHECK_EQ(rc_error_code(), RC_ERR_TYPE);
        CHECK_EQ(rc_set_add(s, bad[i]), -1);
        CHECK_EQ(rc_error_code(), RC_ERR_TYPE);
        CHECK_EQ(rc_set_contains(s, bad[i]), -1);
        CHECK_EQ(rc_error_code(), RC_ERR_TYPE);
        CHECK_EQ(rc_set_discard(s, bad[i]), -1);
        CHECK_EQ(rc_error_code(), RC_ERR_TYPE);
    }
    CHECK_EQ(rc_dict_size(d), 0);
    CHECK_EQ(rc_set_size(s), 0);
    CHECK_EQ(rc_dict_table_size(d), 0);
    /* unhashable values are fine */
    CHECK_EQ(rc_dict_set(d, one, l), 0);
    CHECK_EQ(rc_refcount(l), 2);
    rc_decref(one);
    rc_decref(l);
    rc_decref(d2);
    rc_decref(s2);
    rc_decref(d);
    rc_decref(s);
}

/* Key comparison: identity first, then hash equality, then rc_eq (whose
 * failure propagates); a comparison that mutates the dict restarts. */
static void test_dict_key_compare(void) {
    rc_object *d = rc_dict_new();
    rc_object *a = new_key(7, 1, 0), *b = new_key(7, 2, 0), *a2 = new_key(7, 1, 0);
    rc_object *c = new_key(15, 1, 0);   /* same slot in 8, different hash */
    rc_object *one = rc_int_from(1), *two = rc_int_from(2);
    CHECK_EQ(rc_dict_set(d, a, one), 0);
    eq_calls = 0;
    CHECK(rc_dict_get(d, a) == one);     /* identity: no eq call */
    CHECK_EQ(eq_calls, 0);
    CHECK_EQ(rc_dict_contains(d, c), 0); /* different hash: no eq call */
    CHECK_EQ(eq_calls, 0);
    CHECK(rc_dict_get(d, a2) == one);    /* equal hash: eq decides */
    CHECK(eq_calls >= 1);
    CHECK_EQ(rc_dict_set(d, b, two), 0); /* same hash, not equal: collision */
    CHECK_EQ(rc_dict_size(d), 2);
    CHECK(rc_dict_get(d, b) == two);
    CHECK(rc_dict_get(d, a2) == one);

    /* a failing comparison propagates */
    rc_object *f = new_key(7, 9, 1);
    CHECK(rc_dict_get(d, f) == NULL);
    CHECK_EQ(rc_error_code(), RC_ERR_VALUE);
    CHECK(!strcmp(rc_error_message(), "comparison failed"));
    CHECK_EQ(rc_dict_contains(d, f), -1);
    CHECK_EQ(rc_dict_set(d, f, one), -1);
    CHECK_EQ(rc_error_code(), RC_ERR_VALUE);
    CHECK_EQ(rc_dict_delete(d, f), -1);
    CHECK_EQ(rc_error_code(), RC_ERR_VALUE);
    CHECK_EQ(rc_dict_size(d), 2);

    /* a comparison that clears the dict: the lookup restarts safely */
    rc_object *m = new_key(7, 10, 2);
    victim = d;
    CHECK(rc_dict_get(d, m) == NULL);
    CHECK_EQ(rc_error_code(), RC_ERR_KEY);
    CHECK_EQ(rc_dict_size(d), 0);
    CHECK_EQ(rc_dict_set(d, a, one), 0);
    CHECK_EQ(rc_dict_set(d, m, two), 0);   /* clears, then inserts m */
    CHECK_EQ(rc_dict_size(d), 1);
    CHECK(rc_dict_get(d, m) == two);
    victim = NULL;

    rc_object *objs[] = {a, b, a2, c, f, m, one, two, d};
    for (size_t i = 0; i < sizeof objs / sizeof *objs; i++)
        rc_decref(objs[i]);
}

/* Growth (reference 5.3): table sizes 0, 8, 16, 32, 64, 128, 256 after
 * 0, 1, 6, 11, 22, 43, 86 insertions; sizes compared with python3. */
static void test_dict_growth(void) {
    static const int counts[] = {0, 1, 6, 11, 22, 43, 86};
    static const int tables[] = {0, 8, 16, 32, 64, 128, 256};
    /* ours: 64 + 16-byte header + indices + USABLE entries of 24 bytes */
    static const int sizes[] = {64, 208, 336, 616, 1152, 2248, 4672};
    long ours[7];
    for (int c = 0; c < 7; c++) {
        rc_object *d = rc_dict_new();
        for (int i = 0; i < counts[c]; i++) {
            /* one key before the boundary, the table must be smaller */
            if (c > 0 && i == counts[c] - 1)
                CHECK_EQ(rc_dict_table_size(d), tables[c - 1]);
            CHECK_EQ(seti(d, i, i), 0);
        }
        CHECK_EQ(rc_dict_table_size(d), tables[c]);
        CHECK_EQ(rc_sizeof(d), sizes[c]);
        ours[c] = (long)rc_sizeof(d);
        rc_decref(d);
    }
    /* every table size from 8 up: index width 1, 2, 4 bytes */
    rc_object *d = rc_dict_new();
    intptr_t last = 0;
    int changes = 0;
    for (int i = 0; i < 70000; i++) {
        seti(d, i, i);
        intptr_t t = rc_dict_table_size(d);
        if (t != last) {
            /* resized on insertion i+1 (used = i before it): smallest 2^k >= 3*i */
            intptr_t want = 8;
            while (want < 3 * (intptr_t)i)
                want *= 2;
            CHECK_EQ(t, want);
            changes++;
            last = t;
        }
    }
    CHECK_EQ(last, 131072);
    CHECK_EQ(changes, 15);
    /* 2-byte indices at 256 slots and 4-byte ones at 65536 */
    rc_decref(d);

    /* deletions are reclaimed by the next resize, which can shrink */
    d = rc_dict_new();
    for (int i = 0; i < 170; i++)
        seti(d, i, i);
    CHECK_EQ(rc_dict_table_size(d), 256);      /* 170 = USABLE(256) */
    for (int i = 0; i < 160; i++)
        deli(d, i);
    CHECK_EQ(rc_dict_table_size(d), 256);
    seti(d, 1000, 1);                            /* used 10 -> 30 -> 32 */
    CHECK_EQ(rc_dict_table_size(d), 32);
    CHECK_EQ(rc_dict_size(d), 11);
    long shrunk = (long)rc_sizeof(d);
    rc_decref(d);
    /* CPython's rounding quirk: a rebuild with 1 or 2 live items gives 16
     * slots (((3 | 8) - 1) | 7 has bit length 4); with none, 8 */
    long quirk[3];
    for (int del = 3; del <= 5; del++) {
        d = rc_dict_new();
        for (int i = 0; i < 5; i++)
            seti(d, i, i);
        for (int i = 0; i < del; i++)
            deli(d, i);
        seti(d, 10, 1);
        CHECK_EQ(rc_dict_table_size(d), del == 5 ? 8 : 16);
        quirk[del - 3] = (long)rc_sizeof(d);
        rc_decref(d);
    }

    char *out = run_python(
        "import sys\n"
        "for n in (0, 1, 6, 11, 22, 43, 86):\n"
        "    d = {}\n"
        "    for i in range(n): d[i] = i\n"
        "    print(sys.getsizeof(d))\n"
        "d = {}\n"
        "for i in range(170): d[i] = i\n"
        "for i in range(160): del d[i]\n"
        "d[1000] = 1\n"
        "print(sys.getsizeof(d))\n"
        "for n in (3, 4, 5):\n"
        "    d = {}\n"
        "    for i in range(5): d[i] = i\n"
        "    for i in range(n): del d[i]\n"
        "    d[10] = 1\n"
        "    print(sys.getsizeof(d))\n");
    if (!out)
        return;
    /* CPython: the same tables with a 32-byte header (ours: 16) */
    char *pos = out;
    for (int c = 0; c < 7; c++) {
        long py = strtol(pos, &pos, 10);
        CHECK_EQ(ours[c], c == 0 ? py : py - 16);
    }
    long py = strtol(pos, &pos, 10);
    CHECK_EQ(shrunk, py - 16);
    for (int i = 0; i < 3; i++) {
        py = strtol(pos, &pos, 10);
        CHECK_EQ(quirk[i], py - 16);
    }
    free(out);
}

/* Differential: a seeded random sequence of sets, deletes, pops, popitems
 * and clears on int keys, run here and in python3; the key order, the
 * values and the size after every step must agree. */
static void test_dict_vs_python(void) {
    rng_state = 20240601;
    enum { NOPS = 4000 };
    buf script = {0}, ours = {0};
    bput(&script, "import sys\nd = {}\nops = [");
    rc_object *d = rc_dict_new();
    for (int i = 0; i < NOPS; i++) {
        int op = (int)(rnd() % 100);
        int64_t k = (int64_t)(rnd() % 400) - 50, v = (int64_t)(rnd() % 1000);
        if (op < 55)
            op = 0;         /* set */
        else if (op < 80)
            op = 1;         /* delete if present */
        else if (op < 90)
            op = 2;         /* pop if present */
        else if (op < 99)
            op = 3;         /* popitem if not empty */
        else
            op = 4;         /* clear */
        bput(&script, "(%d,%lld,%lld),", op, (long long)k, (long long)v);
        rc_object *ko = rc_int_from(k);
        switch (op) {
        case 0:
            CHECK_EQ(seti(d, k, v), 0);
            break;
        case 1:
        case 2: {
            int has = rc_dict_contains(d, ko);
            if (has == 1 && op == 1) {
                CHECK_EQ(rc_dict_delete(d, ko), 0);
            } else if (has == 1) {
                rc_object *p = rc_dict_pop(d, ko);
                CHECK(p != NULL);
                bput(&ours, "p%lld ", (long long)ival(p));
                rc_xdecref(p);
            }
            break;
        }
        case 3:
            if (rc_dict_size(d) > 0) {
                rc_object *pk, *pv;
                CHECK_EQ(rc_dict_popitem(d, &pk, &pv), 0);
                bput(&ours, "i%lld:%lld ", (long long)ival(pk), (long long)ival(pv));
                rc_decref(pk);
                rc_decref(pv);
            }
            break;
        default:
            rc_dict_clear(d);
        }
        rc_decref(ko);
        /* CPython's table header is 16 bytes larger when there is a table */
        bput(&ours, "%ld\n", (long)(rc_sizeof(d) + (rc_dict_table_size(d) ? 16 : 0)));
    }
    rc_dict_iter it;
    rc_object *k, *v;
    rc_dict_iter_init(d, &it);
    while (rc_dict_next(d, &it, &k, &v) == 1)
        bput(&ours, "%lld:%lld ", (long long)ival(k), (long long)ival(v));
    bput(&ours, "\n");
    bput(&script,
         "]\n"
         "out = []\n"
         "for op, k, v in ops:\n"
         "    if op == 0: d[k] = v\n"
         "    elif op == 1:\n"
         "        if k in d: del d[k]\n"
         "    elif op == 2:\n"
         "        if k in d: out.append('p%%d ' %% d.pop(k))\n"
         "    elif op == 3:\n"
         "        if d:\n"
         "            kk, vv = d.popitem(); out.append('i%%d:%%d ' %% (kk, vv))\n"
         "    else: d.clear()\n"
         "    out.append('%%d\\n' %% sys.getsizeof(d))\n"
         "out.append(''.join('%%d:%%d ' %% kv for kv in d.items()) + '\\n')\n"
         "sys.stdout.write(''.join(out))\n");
    char *py = run_python(script.s);
    if (py) {
        CHECK(same_as_python(py, ours.s));
        free(py);
    }
    free(script.s);
    free(ours.s);
    rc_decref(d);
}

/* Reference 5.4: created untracked; tracked once a key or value that may be
 * tracked is stored; untracked again only by the collector's check. */
static void test_dict_tracking(void) {
    rc_object *d = rc_dict_new();
    CHECK_EQ(rc_gc_is_tracked(d), 0);                    /* {} */
    CHECK_EQ(seti(d, 1, 2), 0);
    rc_object *s = rc_str_from("abc"), *f = rc_float_from(2.5);
    CHECK_EQ(rc_dict_set(d, s, f), 0);
    CHECK_EQ(rc_dict_set_str(d, "name", rc_None), 0);
    CHECK_EQ(rc_gc_is_tracked(d), 0);                    /* atomic content only */
    rc_object *empty = rc_tuple_new(0);                  /* () is untracked */
    CHECK_EQ(rc_dict_set(d, empty, empty), 0);
    CHECK_EQ(rc_gc_is_tracked(d), 0);

    rc_object *l = rc_list_new(0);
    CHECK_EQ(seti(d, 2, 0), 0);
    rc_object *two = rc_int_from(2);
    CHECK_EQ(rc_dict_set(d, two, l), 0);                 /* {..., 2: []} */
    CHECK_EQ(rc_gc_is_tracked(d), 1);
    /* replacing the list by an int: still tracked until a full collection */
    CHECK_EQ(seti(d, 2, 5), 0);
    CHECK_EQ(rc_gc_is_tracked(d), 1);
    CHECK_EQ(rci_dict_maybe_untrack(d), 1);
    CHECK_EQ(rc_gc_is_tracked(d), 0);
    CHECK_EQ(rci_dict_maybe_untrack(d), 0);              /* already untracked */

    /* {1: []} directly */
    rc_object *d1 = rc_dict_new();
    CHECK_EQ(rc_dict_set(d1, two, l), 0);
    CHECK_EQ(rc_gc_is_tracked(d1), 1);
    CHECK_EQ(rci_dict_maybe_untrack(d1), 0);             /* the list may be tracked */
    CHECK_EQ(rc_gc_is_tracked(d1), 1);
    /* a key that may be tracked: a tracked tuple */
    rc_object *d2 = rc_dict_new();
    rc_object *t = rc_tuple_pack(1, two);
    CHECK(t != NULL);
    if (rc_gc_is_tracked(t)) {
        CHECK_EQ(rc_dict_set(d2, t, two), 0);
        CHECK_EQ(rc_gc_is_tracked(d2), 1);
        CHECK_EQ(rci_dict_maybe_untrack(d2), 0);
    }
    /* an empty dict value is a GC object: it may become tracked */
    rc_object *d3 = rc_dict_new(), *inner = rc_dict_new();
    CHECK_EQ(rc_dict_set(d3, two, inner), 0);
    CHECK_EQ(rc_gc_is_tracked(d3), 1);
    /* a set is tracked at creation */
    rc_object *st = rc_set_new();
    CHECK_EQ(rc_gc_is_tracked(st), 1);
    /* a cleared dict keeps its tracking; maybe_untrack then untracks it */
    rc_dict_clear(d1);
    CHECK_EQ(rc_gc_is_tracked(d1), 1);
    CHECK_EQ(rci_dict_maybe_untrack(d1), 1);
    /* not a dict */
    CHECK_EQ(rci_dict_maybe_untrack(st), 0);
    CHECK_EQ(rc_gc_is_tracked(st), 1);

    rc_object *objs[] = {d, s, f, empty, l, two, d1, d2, t, d3, inner, st};
    for (size_t i = 0; i < sizeof objs / sizeof *objs; i++)
        rc_decref(objs[i]);
}

static void test_dict_iteration(void) {
    rc_object *d = rc_dict_new();
    for (int i = 0; i < 20; i++)
        seti(d, 100 - i, i);
    deli(d, 95);
    deli(d, 90);
    rc_dict_iter it;
    rc_object *k, *v;
    int n = 0, ok = 1;
    rc_dict_iter_init(d, &it);
    while (rc_dict_next(d, &it, &k, &v) == 1) {
        int i = n < 5 ? n : n < 9 ? n + 1 : n + 2;   /* skip the deleted 5 and 10 */
        ok &= ival(k) == 100 - i && ival(v) == i;
        n++;
    }
    CHECK(ok);
    CHECK_EQ(n, 18);
    CHECK_EQ(rc_dict_next(d, &it, &k, &v), 0);       /* stays at the end */
    /* key or value pointer may be NULL */
    rc_dict_iter_init(d, &it);
    CHECK_EQ(rc_dict_next(d, &it, NULL, &v), 1);
    CHECK_EQ(ival(v), 0);
    CHECK_EQ(rc_dict_next(d, &it, &k, NULL), 1);
    CHECK_EQ(ival(k), 99);

    /* replacing values during iteration is allowed */
    rc_dict_iter_init(d, &it);
    n = 0;
    while (rc_dict_next(d, &it, &k, NULL) == 1) {
        rc_object *zero = rc_int_from(0);
        rc_dict_set(d, k, zero);
        n++;
    }
    CHECK_EQ(n, 18);
    CHECK_EQ(geti(d, 100), 0);

    /* adding a key: "dictionary changed size during iteration" */
    rc_dict_iter_init(d, &it);
    CHECK_EQ(rc_dict_next(d, &it, &k, &v), 1);
    seti(d, 5000, 1);
    CHECK_EQ(rc_dict_next(d, &it, &k, &v), -1);
    CHECK_EQ(rc_error_code(), RC_ERR_RUNTIME);
    CHECK(!strcmp(rc_error_message(), "dictionary changed size during iteration"));
    deli(d, 5000);                                   /* back to the old size: still an error */
    CHECK_EQ(rc_dict_next(d, &it, &k, &v), -1);
    CHECK_EQ(rc_error_code(), RC_ERR_RUNTIME);
    /* deleting */
    rc_dict_iter_init(d, &it);
    deli(d, 100);
    CHECK_EQ(rc_dict_next(d, &it, &k, &v), -1);
    CHECK_STR_CONTAINS(rc_error_message(), "changed size");
    /* one key out, another in (same size): the keys changed */
    rc_dict_iter_init(d, &it);
    CHECK_EQ(rc_dict_next(d, &it, &k, &v), 1);
    deli(d, 99);
    seti(d, 7777, 1);
    CHECK_EQ(rc_dict_next(d, &it, &k, &v), -1);
    CHECK_EQ(rc_error_code(), RC_ERR_RUNTIME);
    CHECK(!strcmp(rc_error_message(), "dictionary keys changed during iteration"));
    /* clear */
    rc_dict_iter_init(d, &it);
    rc_dict_clear(d);
    CHECK_EQ(rc_dict_next(d, &it, &k, &v), -1);
    /* an empty dict */
    rc_dict_iter_init(d, &it);
    CHECK_EQ(rc_dict_next(d, &it, &k, &v), 0);
    rc_decref(d);
}

static void test_dict_keys_values_items(void) {
    rc_object *d = rc_dict_new();
    rc_object *l = rc_dict_keys(d);
    CHECK(l && rc_list_size(l) == 0);
    rc_xdecref(l);
    for (int i = 0; i < 10; i++)
        seti(d, 300 + i, i);
    deli(d, 303);
    rc_object *ks = rc_dict_keys(d), *vs = rc_dict_values(d), *its = rc_dict_items(d);
    CHECK(ks && vs && its);
    CHECK_EQ(rc_list_size(ks), 9);
    CHECK_EQ(rc_list_size(vs), 9);
    CHECK_EQ(rc_list_size(its), 9);
    int ok = 1;
    for (int j = 0; j < 9; j++) {
        int i = j < 3 ? j : j + 1;
        rc_object *k = rc_list_get(ks, j), *v = rc_list_get(vs, j), *t = rc_list_get(its, j);
        ok &= ival(k) == 300 + i && ival(v) == i;
        ok &= rc_tuple_size(t) == 2 && rc_tuple_get(t, 0) == k && rc_tuple_get(t, 1) == v;
        ok &= rc_dict_get(d, k) == v;
    }
    CHECK(ok);
    rc_object *k0 = rc_list_get(ks, 0);
    CHECK_EQ(rc_refcount(k0), 3);   /* the dict, the keys list, an item tuple */
    rc_decref(ks);
    rc_decref(vs);
    rc_decref(its);
    CHECK_EQ(rc_refcount(k0), 1);
    rc_decref(d);
}

typedef struct visit_ctx { rc_object *seen[64]; int n; } visit_ctx;
static int collect_visit(rc_object *o, void *arg) {
    visit_ctx *c = arg;
    if (c->n < 64)
        c->seen[c->n] = o;
    c->n++;
    return 0;
}
static int stop_visit(rc_object *o, void *arg) {
    (void)o;
    return ++*(int *)arg == 3 ? 42 : 0;
}
static int seen_count(const visit_ctx *c, const rc_object *o) {
    int n = 0;
    for (int i = 0; i < c->n && i < 64; i++)
        n += c->seen[i] == o;
    return n;
}

/* traverse visits exactly the keys and the values (not deleted ones). */
static void test_dict_traverse(void) {
    rc_object *d = rc_dict_new();
    visit_ctx c = {{0}, 0};
    CHECK_EQ(rc_dict_type.traverse(d, collect_visit, &c), 0);
    CHECK_EQ(c.n, 0);
    rc_object *k1 = rc_str_from("k1"), *k2 = rc_int_from(1234), *gone = rc_int_from(777);
    rc_object *v1 = rc_list_new(0), *v2 = rc_float_from(1.5);
    rc_dict_set(d, k1, v1);
    rc_dict_set(d, gone, gone);
    rc_dict_set(d, k2, v2);
    rc_dict_delete(d, gone);
    CHECK_EQ(rc_dict_type.traverse(d, collect_visit, &c), 0);
    CHECK_EQ(c.n, 4);
    CHECK_EQ(seen_count(&c, k1), 1);
    CHECK_EQ(seen_count(&c, k2), 1);
    CHECK_EQ(seen_count(&c, v1), 1);
    CHECK_EQ(seen_count(&c, v2), 1);
    CHECK_EQ(seen_count(&c, gone), 0);
    int calls = 0;
    CHECK_EQ(rc_dict_type.traverse(d, stop_visit, &calls), 42);   /* stops early */
    CHECK_EQ(calls, 3);
    /* the clear hook drops everything and leaves a valid empty dict */
    CHECK_EQ(rc_dict_type.clear(d), 0);
    CHECK_EQ(rc_dict_size(d), 0);
    CHECK_EQ(rc_refcount(v1), 1);
    c.n = 0;
    CHECK_EQ(rc_dict_type.traverse(d, collect_visit, &c), 0);
    CHECK_EQ(c.n, 0);

    /* sets: exactly the elements */
    rc_object *s = rc_set_new();
    rc_set_add(s, k1);
    rc_set_add(s, k2);
    rc_set_add(s, gone);
    rc_set_discard(s, gone);
    c.n = 0;
    CHECK_EQ(rc_set_type.traverse(s, collect_visit, &c), 0);
    CHECK_EQ(c.n, 2);
    CHECK_EQ(seen_count(&c, k1), 1);
    CHECK_EQ(seen_count(&c, k2), 1);
    CHECK_EQ(rc_set_type.clear(s), 0);
    CHECK_EQ(rc_set_size(s), 0);
    CHECK_EQ(rc_refcount(k1), 1);

    rc_object *objs[] = {d, s, k1, k2, gone, v1, v2};
    for (size_t i = 0; i < sizeof objs / sizeof *objs; i++)
        rc_decref(objs[i]);
}

static void test_dict_repr(void) {
    rc_object *d = rc_dict_new();
    CHECK(repr_is(d, "{}"));
    rc_object *a = rc_str_from("a"), *one = rc_int_from(1), *two = rc_int_from(2);
    rc_object *b = rc_str_from("b");
    rc_dict_set(d, a, one);
    CHECK(repr_is(d, "{'a': 1}"));
    rc_dict_set(d, two, b);
    rc_object *l = rc_list_new(0);
    rc_list_append(l, one);
    rc_dict_set(d, rc_None, l);
    CHECK(repr_is(d, "{'a': 1, 2: 'b', None: [1]}"));
    /* self-reference */
    rc_object *self = rc_dict_new();
    rc_dict_set_str(self, "self", self);
    CHECK(repr_is(self, "{'self': {...}}"));
    rc_dict_set_str(d, "inner", self);
    CHECK(repr_is(d, "{'a': 1, 2: 'b', None: [1], 'inner': {'self': {...}}}"));
    rc_dict_clear(self);   /* break the cycle */
    CHECK(repr_is(self, "{}"));
    /* sets */
    rc_object *s = rc_set_new();
    CHECK(repr_is(s, "set()"));
    rc_set_add(s, one);
    CHECK(repr_is(s, "{1}"));
    rc_set_add(s, two);
    CHECK(repr_is(s, "{1, 2}"));
    rc_set_add(s, a);
    rc_set_discard(s, a);
    CHECK(repr_is(s, "{1, 2}"));
    rc_dict_set(d, a, s);
    CHECK(repr_is(d, "{'a': {1, 2}, 2: 'b', None: [1], 'inner': {}}"));
    rc_object *objs[] = {d, a, one, two, b, l, self, s};
    for (size_t i = 0; i < sizeof objs / sizeof *objs; i++)
        rc_decref(objs[i]);
}

static void test_dict_str_keys(void) {
    rc_object *d = rc_dict_new();
    rc_object *v = rc_int_from(12345);
    CHECK_EQ(rc_dict_set_str(d, "alpha", v), 0);
    CHECK(rc_dict_get_str(d, "alpha") == v);
    rc_object *k = rc_str_from("alpha");
    CHECK(rc_dict_get(d, k) == v);             /* a separately made equal str */
    rc_object *keys = rc_dict_keys(d);
    CHECK_EQ(rc_str_is_interned(rc_list_get(keys, 0)), 0);   /* not interned */
    rc_decref(keys);
    rc_object *ik = rc_str_intern_from("gamma");
    CHECK_EQ(rc_dict_set(d, ik, v), 0);
    CHECK(rc_dict_get_str(d, "gamma") == v);
    rc_decref(ik);
    CHECK(rc_dict_get_str(d, "beta") == NULL);
    CHECK_EQ(rc_error_code(), RC_ERR_KEY);
    CHECK(!strcmp(rc_error_message(), "'beta'"));
    CHECK(rc_dict_get_str(d, NULL) == NULL);
    CHECK_EQ(rc_error_code(), RC_ERR_INVALID);
    CHECK_EQ(rc_dict_set_str(d, NULL, v), -1);
    CHECK_EQ(rc_dict_set_str(d, "\xff", v), -1);  /* invalid UTF-8 */
    CHECK_EQ(rc_error_code(), RC_ERR_VALUE);
    /* many str keys, including one-character singletons and "" */
    char name[32];
    for (int i = 0; i < 500; i++) {
        snprintf(name, sizeof name, i % 50 == 0 ? "%c" : "key%d", i % 50 == 0 ? 'a' + i / 50 : i);
        rc_object *iv = rc_int_from(i);
        CHECK_EQ(rc_dict_set_str(d, name, iv), 0);
        rc_decref(iv);
    }
    CHECK_EQ(rc_dict_set_str(d, "", rc_None), 0);
    int ok = 1;
    for (int i = 0; i < 500; i++) {
        snprintf(name, sizeof name, i % 50 == 0 ? "%c" : "key%d", i % 50 == 0 ? 'a' + i / 50 : i);
        ok &= ival(rc_dict_get_str(d, name)) == i;
    }
    CHECK(ok);
    CHECK(rc_dict_get_str(d, "") == rc_None);
    CHECK_EQ(rc_dict_size(d), 503);
    rc_decref(k);
    rc_decref(v);
    rc_decref(d);
}

static void test_dict_eq(void) {
    rc_object *a = rc_dict_new(), *b = rc_dict_new();
    CHECK_EQ(rc_eq(a, b), 1);
    seti(a, 1, 2);
    CHECK_EQ(rc_eq(a, b), 0);
    seti(b, 1, 2);
    CHECK_EQ(rc_eq(a, b), 1);
    seti(a, 2, 3);
    seti(b, 2, 4);
    CHECK_EQ(rc_eq(a, b), 0);
    seti(b, 2, 3);
    CHECK_EQ(rc_eq(a, b), 1);
    seti(a, 3, 0);
    seti(b, 4, 0);
    CHECK_EQ(rc_eq(a, b), 0);
    rc_object *one = rc_int_from(1);
    CHECK_EQ(rc_eq(a, one), 0);
    rc_object *s1 = rc_set_new(), *s2 = rc_set_new();
    CHECK_EQ(rc_eq(s1, s2), 1);
    set_addi(s1, 5);
    set_addi(s2, 6);
    CHECK_EQ(rc_eq(s1, s2), 0);
    set_addi(s1, 6);
    set_addi(s2, 5);
    CHECK_EQ(rc_eq(s1, s2), 1);
    CHECK_EQ(rc_eq(s1, a), 0);
    rc_object *objs[] = {a, b, one, s1, s2};
    for (size_t i = 0; i < sizeof objs / sizeof *objs; i++)
        rc_decref(objs[i]);
}

/* Dicts come back from the free list clean. */
static void test_dict_freelist(void) {
    rc_object *d = rc_dict_new();
    rc_object *l = rc_list_new(0);
    rc_dict_set(d, l, l);   /* fails: unhashable */
    seti(d, 1000, 1);
    rc_dict_set_str(d, "x", l);
    CHECK_EQ(rc_gc_is_tracked(d), 1);
    void *addr = d;
    rc_decref(d);
    CHECK_EQ(rc_refcount(l), 1);
    rc_object *d2 = rc_dict_new();
    CHECK(d2 == addr);                      /* reused */
    CHECK_EQ(rc_dict_size(d2), 0);
    CHECK_EQ(rc_dict_table_size(d2), 0);
    CHECK_EQ(rc_gc_is_tracked(d2), 0);
    CHECK_EQ(rc_refcount(d2), 1);
    CHECK(repr_is(d2, "{}"));
    rc_decref(d2);
    rc_decref(l);
}

/* Out of memory while growing: an error, the dict or set unchanged. */
static void test_dict_oom(void) {
    rc_object *d = rc_dict_new();
    for (int i = 0; i < 5; i++)
        seti(d, i, i);
    CHECK_EQ(rc_dict_table_size(d), 8);
    rc_object *k = rc_int_from(5);
    rc_testing_fail_os_alloc(1);
    CHECK_EQ(rc_dict_set(d, k, k), -1);
    CHECK_EQ(rc_error_code(), RC_ERR_NOMEM);
    rc_testing_fail_os_alloc(0);
    CHECK_EQ(rc_dict_size(d), 5);
    CHECK_EQ(rc_dict_table_size(d), 8);
    int ok = 1;
    for (int i = 0; i < 5; i++)
        ok &= geti(d, i) == i;
    CHECK(ok);
    CHECK_EQ(rc_dict_contains(d, k), 0);
    CHECK_EQ(rc_dict_set(d, k, k), 0);
    CHECK_EQ(rc_dict_table_size(d), 16);
    /* the first insertion into an empty dict allocates too */
    rc_object *e = rc_dict_new();
    rc_testing_fail_os_alloc(1);
    CHECK_EQ(rc_dict_set(e, k, k), -1);
    CHECK_EQ(rc_error_code(), RC_ERR_NOMEM);
    rc_testing_fail_os_alloc(0);
    CHECK_EQ(rc_dict_size(e), 0);
    CHECK_EQ(rc_dict_table_size(e), 0);
    /* keys/values/items and repr fail cleanly at every allocation */
    for (int which = 0; which < 4; which++) {
        int failures = 0;
        for (long n = 1; n < 40; n++) {
            rc_testing_fail_os_alloc(n);
            rc_object *r = which == 0 ? rc_dict_keys(d) : which == 1 ? rc_dict_values(d)
                         : which == 2 ? rc_dict_items(d) : rc_repr(d);
            rc_testing_fail_os_alloc(0);
            if (!r) {
                CHECK_EQ(rc_error_code(), RC_ERR_NOMEM);
                failures++;
                continue;
            }
            rc_decref(r);
            break;
        }
        CHECK(failures > 0);
    }
    rc_object *nd;
    rc_heap_clear_caches(NULL);               /* no free-listed dict to reuse */
    rc_testing_fail_os_alloc(1);
    nd = rc_dict_new();
    rc_testing_fail_os_alloc(0);
    CHECK(nd == NULL);
    CHECK_EQ(rc_error_code(), RC_ERR_NOMEM);

    /* set: the 5th add rebuilds at 32 slots */
    rc_object *s = rc_set_new();
    for (int i = 0; i < 4; i++)
        set_addi(s, i);
    rc_testing_fail_os_alloc(1);
    CHECK_EQ(rc_set_add(s, k), -1);
    CHECK_EQ(rc_error_code(), RC_ERR_NOMEM);
    rc_testing_fail_os_alloc(0);
    CHECK_EQ(rc_set_size(s), 4);
    CHECK_EQ(rc_set_contains(s, k), 0);
    CHECK_EQ(rc_sizeof(s), 192);
    CHECK_EQ(rc_set_add(s, k), 0);
    CHECK_EQ(rc_sizeof(s), 192 + 32 * 16);
    CHECK_EQ(rc_set_size(s), 5);
    rc_testing_fail_os_alloc(1);
    CHECK(rc_repr(s) == NULL);
    rc_testing_fail_os_alloc(0);
    rc_decref(s);
    rc_decref(k);
    rc_decref(d);
    rc_decref(e);
}

static void test_dict_stress(void) {
    enum { N = 100000 };
    rc_object *d = rc_dict_new();
    int ok = 1;
    for (int i = 0; i < N; i++)
        ok &= seti(d, (int64_t)i * 7919, i) == 0;
    CHECK(ok);
    CHECK_EQ(rc_dict_size(d), N);
    CHECK_EQ(rc_dict_table_size(d), 262144);
    for (int i = 0; i < N; i += 2)
        ok &= deli(d, (int64_t)i * 7919) == 0;
    CHECK(ok);
    CHECK_EQ(rc_dict_size(d), N / 2);
    for (int i = 0; i < N; i++) {
        int64_t v = geti(d, (int64_t)i * 7919);
        ok &= (i % 2) ? v == i : v == INT64_MIN;
    }
    CHECK(ok);
    /* reinsert with new values, then iterate in insertion order */
    for (int i = 0; i < N; i += 2)
        ok &= seti(d, (int64_t)i * 7919, -i) == 0;
    CHECK(ok);
    CHECK_EQ(rc_dict_size(d), N);
    rc_dict_iter it;
    rc_object *k, *v;
    rc_dict_iter_init(d, &it);
    int n = 0;
    while (rc_dict_next(d, &it, &k, &v) == 1) {
        int i = n < N / 2 ? 2 * n + 1 : 2 * (n - N / 2);
        ok &= ival(k) == (int64_t)i * 7919 && ival(v) == ((i % 2) ? i : -i);
        n++;
    }
    CHECK(ok);
    CHECK_EQ(n, N);
    for (int i = 0; i < N / 2; i++) {
        rc_object *pk, *pv;
        ok &= rc_dict_popitem(d, &pk, &pv) == 0;
        ok &= ival(pk) == (int64_t)(2 * (N / 2 - 1 - i)) * 7919;
        rc_decref(pk);
        rc_decref(pv);
    }
    CHECK(ok);
    CHECK_EQ(rc_dict_size(d), N / 2);
    rc_decref(d);

    /* set: the same with discards */
    rc_object *s = rc_set_new();
    for (int i = 0; i < N; i++)
        ok &= set_addi(s, (int64_t)i * 7919) == 0;
    CHECK(ok);
    CHECK_EQ(rc_set_size(s), N);
    for (int i = 0; i < N; i += 2)
        ok &= set_discardi(s, (int64_t)i * 7919) == 1;
    CHECK(ok);
    for (int i = 0; i < N; i++)
        ok &= set_containsi(s, (int64_t)i * 7919) == (i % 2);
    CHECK(ok);
    CHECK_EQ(rc_set_size(s), N / 2);
    for (int i = 0; i < N; i += 2)
        ok &= set_addi(s, (int64_t)i * 7919) == 0;
    CHECK_EQ(rc_set_size(s), N);
    rc_set_iter sit;
    rc_set_iter_init(s, &sit);
    n = 0;
    while (rc_set_next(s, &sit, &k) == 1)
        n++;
    CHECK_EQ(n, N);
    rc_decref(s);
}

/* ------------------------------------------------------------ set */

static void test_set_basics(void) {
    rc_object *s = rc_set_new();
    CHECK(s && RC_TYPE_CHECK(s, rc_set_type));
    CHECK(!strcmp(rc_type_name(s), "set"));
    CHECK_EQ(rc_set_size(s), 0);
    CHECK_EQ(rc_sizeof(s), 192);               /* CPython's set() is 216 */
    rc_object *a = rc_int_from(1000), *a2 = rc_int_from(1000), *f = rc_float_from(1000.0);
    CHECK_EQ(rc_set_add(s, a), 0);
    CHECK_EQ(rc_refcount(a), 2);
    CHECK_EQ(rc_set_add(s, a2), 0);            /* equal: keeps the first */
    CHECK_EQ(rc_refcount(a2), 1);
    CHECK_EQ(rc_set_add(s, f), 0);             /* 1000.0 == 1000 */
    CHECK_EQ(rc_set_size(s), 1);
    CHECK_EQ(rc_set_contains(s, a2), 1);
    CHECK_EQ(rc_set_contains(s, f), 1);
    rc_object *str = rc_str_from("x");
    CHECK_EQ(rc_set_contains(s, str), 0);
    CHECK_EQ(rc_set_discard(s, str), 0);
    CHECK_EQ(rc_set_discard(s, f), 1);
    CHECK_EQ(rc_refcount(a), 1);
    CHECK_EQ(rc_set_size(s), 0);
    CHECK_EQ(rc_set_discard(s, a), 0);
    CHECK_EQ(rc_set_add(s, NULL), -1);
    CHECK_EQ(rc_error_code(), RC_ERR_INVALID);
    /* hash collisions with a custom key type; failing comparisons */
    rc_object *k1 = new_key(3, 1, 0), *k2 = new_key(3, 2, 0), *k1b = new_key(3, 1, 0);
    rc_object *bad = new_key(3, 3, 1);
    CHECK_EQ(rc_set_add(s, k1), 0);
    CHECK_EQ(rc_set_add(s, k2), 0);
    CHECK_EQ(rc_set_add(s, k1b), 0);
    CHECK_EQ(rc_set_size(s), 2);
    CHECK_EQ(rc_set_contains(s, k1b), 1);
    CHECK_EQ(rc_set_add(s, bad), -1);
    CHECK_EQ(rc_error_code(), RC_ERR_VALUE);
    CHECK_EQ(rc_set_contains(s, bad), -1);
    CHECK_EQ(rc_set_discard(s, bad), -1);
    CHECK_EQ(rc_set_size(s), 2);
    CHECK_EQ(rc_refcount(bad), 1);
    CHECK_EQ(rc_set_discard(s, k1b), 1);
    CHECK_EQ(rc_set_contains(s, k1), 0);
    CHECK_EQ(rc_set_contains(s, k2), 1);
    rc_object *objs[] = {s, a, a2, f, str, k1, k2, k1b, bad};
    for (size_t i = 0; i < sizeof objs / sizeof *objs; i++)
        rc_decref(objs[i]);
}

/* Table sizes: rebuilt at 60% fill to the next power of two above used*4;
 * discards leave dummies that a later rebuild drops. */
static void test_set_resize(void) {
    rc_object *s = rc_set_new();
    long sizes[41];
    for (int n = 0; n <= 40; n++) {
        sizes[n] = (long)rc_sizeof(s);
        set_addi(s, n);
    }
    CHECK_EQ(sizes[0], 192);
    CHECK_EQ(sizes[4], 192);                   /* 4 of 8: inline table */
    CHECK_EQ(sizes[5], 192 + 32 * 16);         /* 5th add: 5*5 >= 7*3 -> 20 -> 32 */
    CHECK_EQ(sizes[18], 192 + 32 * 16);
    CHECK_EQ(sizes[19], 192 + 128 * 16);       /* 19th add: 19*5 >= 31*3 -> 76 -> 128 */
    rc_decref(s);
    /* adds and discards of distinct keys in a small set: dummies fill the
     * inline table until a same-size rebuild drops them */
    s = rc_set_new();
    for (int i = 0; i < 100; i++) {
        set_addi(s, i);
        set_discardi(s, i);
        CHECK_EQ(rc_sizeof(s), 192);
    }
    CHECK_EQ(rc_set_size(s), 0);
    rc_decref(s);

    char *out = run_python(
        "import sys\n"
        "s = set()\n"
        "for n in range(41):\n"
        "    print(sys.getsizeof(s))\n"
        "    s.add(n)\n");
    if (!out)
        return;
    char *pos = out;
    for (int n = 0; n <= 40; n++) {
        long py = strtol(pos, &pos, 10);
        CHECK_EQ(sizes[n], py - 24);   /* CPython's object is 24 bytes larger */
    }
    free(out);
}

/* Differential: int hashes equal CPython's, so iteration order after a
 * seeded random sequence of adds and discards (with many collisions and
 * dummies) must equal python3's, and so must the table sizes. */
static void test_set_vs_python(void) {
    rng_state = 77;
    enum { NOPS = 6000 };
    buf script = {0}, ours = {0};
    bput(&script, "import sys\ns = set()\nops = [");
    rc_object *s = rc_set_new();
    for (int i = 0; i < NOPS; i++) {
        int add = rnd() % 100 < 60;
        uint64_t r = rnd();
        int64_t k;
        switch (r % 4) {
        case 0: k = (int64_t)(r >> 2) % 64 * 8; break;        /* same low bits */
        case 1: k = (int64_t)(r >> 2) % 40 * 1024; break;
        case 2: k = -(int64_t)((r >> 2) % 30); break;          /* hash(-1) == -2 */
        default: k = (int64_t)(r >> 2) % 3000; break;
        }
        if (i > NOPS - 600)
            add = 0;                                          /* shrink at the end */
        bput(&script, "(%d,%lld),", add, (long long)k);
        CHECK(add ? set_addi(s, k) == 0 : set_discardi(s, k) >= 0);
        bput(&ours, "%ld\n", (long)rc_sizeof(s) + 24);
        if (i % 500 == 0 || i == NOPS - 1) {
            rc_object *r2 = rc_repr(s);
            bput(&ours, "%s\n", rc_str_utf8(r2));
            rc_decref(r2);
        }
    }
    bput(&script,
         "]\n"
         "out = []\n"
         "for i, (add, k) in enumerate(ops):\n"
         "    if add: s.add(k)\n"
         "    else: s.discard(k)\n"
         "    out.append('%%d\\n' %% sys.getsizeof(s))\n"
         "    if i %% 500 == 0 or i == len(ops) - 1: out.append(repr(s) + '\\n')\n"
         "sys.stdout.write(''.join(out))\n");
    char *py = run_python(script.s);
    if (py) {
        CHECK(same_as_python(py, ours.s));
        free(py);
    }
    free(script.s);
    free(ours.s);
    rc_decref(s);
}

static void test_set_iteration(void) {
    rc_object *s = rc_set_new();
    for (int i = 0; i < 10; i++)
        set_addi(s, i);
    rc_set_iter it;
    rc_object *k;
    int n = 0, ok = 1;
    rc_set_iter_init(s, &it);
    while (rc_set_next(s, &it, &k) == 1) {
        ok &= ival(k) == n;       /* small ints hash to themselves: in order */
        n++;
    }
    CHECK(ok);
    CHECK_EQ(n, 10);
    CHECK_EQ(rc_set_next(s, &it, &k), 0);
    rc_set_iter_init(s, &it);
    CHECK_EQ(rc_set_next(s, &it, &k), 1);
    set_addi(s, 100);
    CHECK_EQ(rc_set_next(s, &it, &k), -1);
    CHECK_EQ(rc_error_code(), RC_ERR_RUNTIME);
    CHECK(!strcmp(rc_error_message(), "Set changed size during iteration"));
    set_discardi(s, 100);
    CHECK_EQ(rc_set_next(s, &it, &k), -1);     /* sticky */
    rc_set_iter_init(s, &it);
    set_discardi(s, 3);
    CHECK_EQ(rc_set_next(s, &it, &k), -1);
    rc_set_iter_init(s, &it);
    CHECK_EQ(rc_set_next(s, &it, NULL), 1);
    rc_object *i5 = rc_int_from(5);
    rc_set_iter_init(i5, &it);
    CHECK_EQ(rc_set_next(i5, &it, &k), -1);
    CHECK_EQ(rc_error_code(), RC_ERR_TYPE);
    rc_decref(s);
}

int main(void) {
    RUN(test_dict_basics);
    RUN(test_dict_type_errors);
    RUN(test_dict_unhashable);
    RUN(test_dict_key_compare);
    RUN(test_dict_growth);
    RUN(test_dict_vs_python);
    RUN(test_dict_tracking);
    RUN(test_dict_iteration);
    RUN(test_dict_keys_values_items);
    RUN(test_dict_traverse);
    RUN(test_dict_repr);
    RUN(test_dict_str_keys);
    RUN(test_dict_eq);
    RUN(test_dict_freelist);
    rc_config malloc_mode;
    rc_config_init(&malloc_mode);
    malloc_mode.malloc_mode = RC_MALLOC_MALLOC;   /* every block is an OS request */
    RUN_CFG(test_dict_oom, &malloc_mode);
    RUN(test_dict_stress);
    RUN(test_set_basics);
    RUN(test_set_resize);
    RUN(test_set_vs_python);
    RUN(test_set_iteration);
    return check_summary("test_dict");
}
