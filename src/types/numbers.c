/*
 * numbers.c - None, bool, int and float.
 *
 * None, True, False and the small ints -5..256 are statically allocated,
 * immortal objects shared by every heap (reference 5.1): creating them never
 * allocates and their headers are never written.  bool is laid out as an
 * int (True == 1, hash(True) == 1) as in Python.  Floats come from a
 * per-heap free list of up to 100.  Integer arithmetic reports overflow
 * instead of wrapping.
 */
#include "mem/fastpath.h"
#include "types.h"
#include <math.h>
#include <stdlib.h>

/* ------------------------------------------------------------ None / bool */

static rc_object *none_repr(rc_object *self) { (void)self; return rc_str_from("None"); }

const rc_type rc_none_type = {
    .ob_base = RC_STATIC_TYPE_HEAD, .name = "NoneType", .basic_size = sizeof(rc_object),
    .flags = RC_TYPE_IMMORTAL, .repr = none_repr,
};
rc_object rci_none_object = RC_STATIC_OBJECT_INIT(&rc_none_type);

static int64_t int_hash(rc_object *self);
static int int_eq(rc_object *self, rc_object *other);
static rc_object *bool_repr(rc_object *self) {
    return rc_str_from(((rc_int *)self)->value ? "True" : "False");
}

const rc_type rc_bool_type = {
    .ob_base = RC_STATIC_TYPE_HEAD, .name = "bool", .basic_size = sizeof(rc_int),
    .flags = RC_TYPE_IMMORTAL, .hash = int_hash, .eq = int_eq, .repr = bool_repr,
};
rc_int rci_true_object = {RC_STATIC_OBJECT_INIT(&rc_bool_type), 1};
rc_int rci_false_object = {RC_STATIC_OBJECT_INIT(&rc_bool_type), 0};

rc_object *rc_bool_from(int v) { return v ? rc_True : rc_False; }

/* -------------------------------------------------------------------- int */

static rc_object *int_repr(rc_object *self) {
    return rc_str_from_fmt("%lld", (long long)((rc_int *)self)->value);
}

const rc_type rc_int_type = {
    .ob_base = RC_STATIC_TYPE_HEAD, .name = "int", .basic_size = sizeof(rc_int),
    .flags = RC_TYPE_IMMORTAL, .hash = int_hash, .eq = int_eq, .repr = int_repr,
};

#define NSMALLNEG 5
#define NSMALLPOS 257
#define SI(v) {RC_STATIC_OBJECT_INIT(&rc_int_type), (v)}
#define SI4(v) SI(v), SI((v) + 1), SI((v) + 2), SI((v) + 3)
#define SI16(v) SI4(v), SI4((v) + 4), SI4((v) + 8), SI4((v) + 12)
#define SI64(v) SI16(v), SI16((v) + 16), SI16((v) + 32), SI16((v) + 48)
#define SI256(v) SI64(v), SI64((v) + 64), SI64((v) + 128), SI64((v) + 192)
/* -5 .. 256: 256 + 4 + 2 entries */
static rc_int small_ints[NSMALLNEG + NSMALLPOS] = {SI256(-5), SI4(251), SI(255), SI(256)};

rc_object *rc_int_from(int64_t v) {
    if (v >= -NSMALLNEG && v < NSMALLPOS)
        return &small_ints[v + NSMALLNEG].ob;
    rc_int *o = rc_object_new(&rc_int_type);
    if (o)
        o->value = v;
    return (rc_object *)o;
}

static int is_intlike(const rc_object *o) {
    return o->type == &rc_int_type || o->type == &rc_bool_type;
}

int rc_int_as_i64(const void *op, int64_t *out) {
    if (!op || !is_intlike(op))
        return rci_type_error("rc_int_as_i64", "int", op);
    *out = ((const rc_int *)op)->value;
    return 0;
}

static int64_t int_hash(rc_object *self) { return rci_hash_i64(((rc_int *)self)->value); }

/* int == int/bool by value; int == float when the float is that integer. */
static int int_eq(rc_object *self, rc_object *other) {
    int64_t a = ((rc_int *)self)->value;
    if (is_intlike(other))
        return a == ((rc_int *)other)->value;
    if (other->type == &rc_float_type) {
        double d = ((rc_float *)other)->value;
        return d == (double)a && (double)a >= -9.2233720368547758e18 &&
               (double)a < 9.2233720368547758e18 && (int64_t)d == a;
    }
    return 0;
}

static int two_ints(const char *fn, const void *a, const void *b, int64_t *x, int64_t *y) {
    if (!a || !is_intlike(a))
        return rci_type_error(fn, "int", a);
    if (!b || !is_intlike(b))
        return rci_type_error(fn, "int", b);
    *x = ((const rc_int *)a)->value;
    *y = ((const rc_int *)b)->value;
    return 0;
}

static rc_object *overflow(const char *op, int64_t x, int64_t y) {
    return rci_error_null(RC_ERR_OVERFLOW, "%lld %s %lld does not fit in 64 bits",
                          (long long)x, op, (long long)y);
}

rc_object *rc_int_add(const void *a, const void *b) {
    int64_t x = 0, y = 0, r;
    if (two_ints("rc_int_add", a, b, &x, &y) < 0)
        return NULL;
    if (__builtin_add_overflow(x, y, &r))
        return overflow("+", x, y);
    return rc_int_from(r);
}

rc_object *rc_int_sub(const void *a, const void *b) {
    int64_t x = 0, y = 0, r;
    if (two_ints("rc_int_sub", a, b, &x, &y) < 0)
        return NULL;
    if (__builtin_sub_overflow(x, y, &r))
        return overflow("-", x, y);
    return rc_int_from(r);
}

rc_object *rc_int_mul(const void *a, const void *b) {
    int64_t x = 0, y = 0, r;
    if (two_ints("rc_int_mul", a, b, &x, &y) < 0)
        return NULL;
    if (__builtin_mul_overflow(x, y, &r))
        return overflow("*", x, y);
    return rc_int_from(r);
}

rc_object *rc_int_floordiv(const void *a, const void *b) {
    int64_t x = 0, y = 0;
    if (two_ints("rc_int_floordiv", a, b, &x, &y) < 0)
        return NULL;
    if (y == 0)
        return rci_error_null(RC_ERR_VALUE, "integer division or modulo by zero");
    if (x == INT64_MIN && y == -1)
        return overflow("//", x, y);
    int64_t q = x / y;
    if ((x % y != 0) && ((x < 0) != (y < 0)))
        q--;   /* Python floors toward negative infinity */
    return rc_int_from(q);
}

/* ------------------------------------------------------------------ float */

static int64_t float_hash(rc_object *self) { return rci_hash_double(((rc_float *)self)->value); }

static int float_eq(rc_object *self, rc_object *other) {
    double a = ((rc_float *)self)->value;
    if (other->type == &rc_float_type)
        return a == ((rc_float *)other)->value;
    if (is_intlike(other))
        return int_eq(other, self);
    return 0;
}

/* Python's repr: the shortest text that reads back as the same double. */
static rc_object *float_repr(rc_object *self) {
    double v = ((rc_float *)self)->value;
    if (isnan(v))
        return rc_str_from("nan");
    if (isinf(v))
        return rc_str_from(v > 0 ? "inf" : "-inf");
    char buf[40];
    for (int prec = 1; prec <= 17; prec++) {
        snprintf(buf, sizeof buf, "%.*g", prec, v);
        if (strtod(buf, NULL) == v)
            break;
    }
    /* "1" -> "1.0", "1e+16" -> "1e+16" (Python switches to exponent at 1e16) */
    if (!strpbrk(buf, ".en")) {
        size_t n = strlen(buf);
        if (n + 2 < sizeof buf)
            memcpy(buf + n, ".0", 3);
    }
    return rc_str_from(buf);
}

const rc_type rc_float_type = {
    .ob_base = RC_STATIC_TYPE_HEAD, .name = "float", .basic_size = sizeof(rc_float),
    .flags = RC_TYPE_IMMORTAL | RCI_TYPE_FREELIST_FLOAT,
    .hash = float_hash, .eq = float_eq, .repr = float_repr,
};

rc_object *rc_float_from(double v) {
    rc_heap *h = rci_current_heap;
    rc_float *o = h ? (rc_float *)rci_freelist_pop(h, &rc_float_type, 0) : NULL;
    if (!o && !(o = rc_object_new(&rc_float_type)))
        return NULL;
    o->value = v;
    return (rc_object *)o;
}

int rc_float_as_double(const void *op, double *out) {
    if (op && ((const rc_object *)op)->type == &rc_float_type) {
        *out = ((const rc_float *)op)->value;
        return 0;
    }
    if (op && is_intlike(op)) {
        *out = (double)((const rc_int *)op)->value;
        return 0;
    }
    return rci_type_error("rc_float_as_double", "float or int", op);
}
