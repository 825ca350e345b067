/*
 * tuple.c - the immutable tuple.
 *
 * Layout (rci_tuple): the variable-size header followed inline by the item
 * pointers, so (1, 2) takes 16 (GC link) + 24 (header) + 2*8 bytes = 56, as
 * sys.getsizeof reports in CPython 3.11.
 *
 * Memory (reference 5.1): tuples of 1..20 items are recycled through the
 * heap's per-length free lists (the constructor pops, dealloc pushes after
 * our dealloc hook has dropped the items).  The empty tuple is one immortal,
 * statically allocated object shared by every heap; it carries a real,
 * zeroed GC link in front of it so that asking whether it is tracked is
 * always safe, and it is never tracked.
 *
 * Collector (reference 5.4): tuples are tracked when created;
 * rci_tuple_maybe_untrack untracks one whose items can never take part in
 * a cycle (CPython's _PyTuple_MaybeUntrack), which the collector calls on
 * survivors.
 *
 * Hash: CPython's xxHash-based combination of the item hashes, so tuples of
 * ints hash exactly as in CPython (our int hash is CPython's).
 */
#include "types.h"
#include <stdarg.h>

RCI_FUNC int rci_tuple_maybe_untrack(rc_object *t);

static int tuple_traverse(rc_object *self, rc_visitproc visit, void *arg);
static int tuple_clear(rc_object *self);
static void tuple_dealloc(rc_object *self);
static int64_t tuple_hash(rc_object *self);
static int tuple_eq(rc_object *self, rc_object *other);
static rc_object *tuple_repr(rc_object *self);
static int may_be_tracked(const rc_object *op);

const rc_type rc_tuple_type = {
    .ob_base = RC_STATIC_TYPE_HEAD, .name = "tuple",
    .basic_size = sizeof(rci_tuple), .item_size = sizeof(rc_object *),
    .flags = RC_TYPE_IMMORTAL | RC_TYPE_GC | RC_TYPE_VAR | RC_TYPE_TRACK |
             RCI_TYPE_FREELIST_TUPLE,
    .traverse = tuple_traverse, .clear = tuple_clear, .dealloc = tuple_dealloc,
    .hash = tuple_hash, .eq = tuple_eq, .repr = tuple_repr,
};

/* The empty tuple: a GC link (never linked) followed by a header with size
 * 0 and no items. */
static struct {
    rci_gc_link link;
    rc_varobject ob;
} empty_tuple = {{0, 0}, {RC_STATIC_OBJECT_INIT(&rc_tuple_type), 0}};

#define EMPTY ((rc_object *)&empty_tuple.ob)
#define AS_TUPLE(op) ((rci_tuple *)(op))
#define IS_TUPLE(op) ((op) && ((const rc_object *)(op))->type == &rc_tuple_type)

/* Recursion guard for hash and equality of nested tuples (a chain of a
 * million nested tuples must give an error, not overflow the C stack). */
#define NEST_LIMIT 1000
static _Thread_local int nest_depth;

static int nest_enter(const char *what) {
    if (nest_depth >= NEST_LIMIT)
        return rc_error_set(RC_ERR_RUNTIME, "maximum recursion depth exceeded in %s", what);
    nest_depth++;
    return 0;
}
static void nest_leave(void) { nest_depth--; }

/* ------------------------------------------------------------ creation */

rc_object *rc_tuple_new(intptr_t n) {
    if (n < 0)
        return rci_error_null(RC_ERR_VALUE, "rc_tuple_new: negative size %ld", (long)n);
    if (n == 0)
        return EMPTY;
    if (n > (intptr_t)((PTRDIFF_MAX - 4096 - sizeof(rci_tuple)) / sizeof(rc_object *)))
        return rci_error_null(RC_ERR_NOMEM, "rc_tuple_new: %ld items do not fit in memory",
                              (long)n);
    rc_heap *h = rci_current_heap;
    rci_tuple *t = NULL;
    if (h && n <= RCI_TUPLE_FREELIST_LEN)
        t = (rci_tuple *)rci_freelist_pop(h, &rc_tuple_type, n);
    if (t) {
        /* a recycled block: header reset and untracked by the pop */
        memset(t->items, 0, (size_t)n * sizeof(rc_object *));
        rc_gc_track(t);
        return (rc_object *)t;
    }
    /* zeroed and tracked by the allocator (RC_TYPE_TRACK) */
    return rci_new_var(&rc_tuple_type, n);
}

rc_object *rc_tuple_pack(intptr_t n, ...) {
    if (n < 0)
        return rci_error_null(RC_ERR_VALUE, "rc_tuple_pack: negative size %ld", (long)n);
    rc_object *t = rc_tuple_new(n);
    if (!t)
        return NULL;
    va_list ap;
    va_start(ap, n);
    for (intptr_t i = 0; i < n; i++) {
        rc_object *item = va_arg(ap, rc_object *);
        if (!item) {
            va_end(ap);
            rc_decref(t);   /* drops the items stored so far */
            return rci_error_null(RC_ERR_INVALID, "rc_tuple_pack: item %ld is NULL", (long)i);
        }
        AS_TUPLE(t)->items[i] = rc_newref(item);
    }
    va_end(ap);
    return t;
}

/* ------------------------------------------------------------ access */

/* Resolve a possibly negative index; -1 with RC_ERR_INDEX if out of range. */
static int norm_index(intptr_t n, intptr_t *i) {
    intptr_t k = *i;
    if (k < 0)
        k += n;
    if (k < 0 || k >= n)
        return rc_error_set(RC_ERR_INDEX, "tuple index out of range");
    *i = k;
    return 0;
}

int rc_tuple_set_item(void *t, intptr_t i, void *item) {
    /* The reference to item is stolen even on failure (PyTuple_SetItem). */
    if (!IS_TUPLE(t)) {
        rc_xdecref(item);
        return rci_type_error("rc_tuple_set_item", "tuple", t);
    }
    rci_tuple *tp = t;
    if (norm_index(tp->ob.size, &i) < 0) {
        rc_xdecref(item);
        return -1;
    }
    rc_setref(&tp->items[i], item);
    /* misuse guard: refilling a tuple the collector already untracked */
    if (item && may_be_tracked(item) && !rc_gc_is_tracked(tp))
        rc_gc_track(tp);
    return 0;
}

rc_object *rc_tuple_get(const void *t, intptr_t i) {
    if (!IS_TUPLE(t))
        return rci_type_error_null("rc_tuple_get", "tuple", t);
    const rci_tuple *tp = t;
    if (norm_index(tp->ob.size, &i) < 0)
        return NULL;
    if (!tp->items[i])
        return rci_error_null(RC_ERR_VALUE, "rc_tuple_get: item %ld has not been set",
                              (long)i);
    return tp->items[i];
}

intptr_t rc_tuple_size(const void *t) {
    if (!IS_TUPLE(t))
        return rci_type_error("rc_tuple_size", "tuple", t);
    return ((const rci_tuple *)t)->ob.size;
}

/* ------------------------------------------------------------ collector */

/* Could op ever be part of a cycle the collector must see?  Not if it is
 * not a GC object; an exact tuple only while it is tracked; every other GC
 * object always (an untracked dict may become tracked later, and a tuple
 * untracked in front of it would hide a cycle through it). */
static int may_be_tracked(const rc_object *op) {
    if (!(op->type->flags & RC_TYPE_GC))
        return 0;
    if (op->type == &rc_tuple_type)
        return rc_gc_is_tracked(op);
    return 1;
}

int rci_tuple_maybe_untrack(rc_object *t) {
    if (!IS_TUPLE(t) || !rc_gc_is_tracked(t))
        return 0;
    rci_tuple *tp = AS_TUPLE(t);
    for (intptr_t i = 0; i < tp->ob.size; i++) {
        rc_object *item = tp->items[i];
        /* an item still NULL: the tuple is being filled; keep it tracked */
        if (!item || may_be_tracked(item))
            return 0;
    }
    rc_gc_untrack(t);
    return 1;
}

static int tuple_traverse(rc_object *self, rc_visitproc visit, void *arg) {
    rci_tuple *tp = AS_TUPLE(self);
    for (intptr_t i = 0; i < tp->ob.size; i++) {
        if (tp->items[i]) {
            int r = visit(tp->items[i], arg);
            if (r)
                return r;
        }
    }
    return 0;
}

/* CPython's tuples have no tp_clear; ours drops the items (leaving NULL
 * slots, which every tuple function tolerates) so that a cycle made only of
 * tuples can still be broken. */
static int tuple_clear(rc_object *self) {
    rci_tuple *tp = AS_TUPLE(self);
    for (intptr_t i = 0; i < tp->ob.size; i++)
        rc_clear(&tp->items[i]);
    return 0;
}

static void tuple_dealloc(rc_object *self) {
    rci_tuple *tp = AS_TUPLE(self);
    /* last to first, as CPython does */
    for (intptr_t i = tp->ob.size; --i >= 0;)
        rc_xdecref(tp->items[i]);
    /* dealloc then keeps the block on the free list for its length */
}

/* ------------------------------------------------------------ protocol */

#define XXPRIME_1 ((uint64_t)11400714785074694791ULL)
#define XXPRIME_2 ((uint64_t)14029467366897019727ULL)
#define XXPRIME_5 ((uint64_t)2870177450012600261ULL)

static int64_t tuple_hash(rc_object *self) {
    rci_tuple *tp = AS_TUPLE(self);
    intptr_t n = tp->ob.size;
    uint64_t acc = XXPRIME_5;
    if (nest_enter("hash") < 0)
        return -1;
    for (intptr_t i = 0; i < n; i++) {
        int64_t lane = rc_hash(tp->items[i]);
        if (lane == -1) {
            nest_leave();
            return -1;
        }
        acc += (uint64_t)lane * XXPRIME_2;
        acc = (acc << 31) | (acc >> 33);
        acc *= XXPRIME_1;
    }
    nest_leave();
    /* the length, mixed so that hash(()) keeps its historical value */
    acc += (uint64_t)n ^ (XXPRIME_5 ^ 3527539ULL);
    if (acc == (uint64_t)-1)
        return 1546275796;
    return (int64_t)acc;
}

static int tuple_eq(rc_object *self, rc_object *other) {
    if (!IS_TUPLE(other))
        return 0;
    rci_tuple *a = AS_TUPLE(self), *b = AS_TUPLE(other);
    if (a->ob.size != b->ob.size)
        return 0;
    if (nest_enter("comparison") < 0)
        return -1;
    int r = 1;
    for (intptr_t i = 0; i < a->ob.size && r == 1; i++)
        r = rc_eq(a->items[i], b->items[i]);
    nest_leave();
    return r;
}

static rc_object *tuple_repr(rc_object *self) {
    rci_tuple *tp = AS_TUPLE(self);
    intptr_t n = tp->ob.size;
    if (n == 0)
        return rc_str_from("()");
    /* a tuple can contain itself through a list: print "(...)" then */
    int r = rci_repr_enter(self);
    if (r != 0)
        return r > 0 ? rc_str_from("(...)") : NULL;
    rci_sb sb;
    rci_sb_init(&sb);
    rci_sb_add(&sb, "(", 1);
    for (intptr_t i = 0; i < n && !sb.failed; i++) {
        if (i > 0)
            rci_sb_add(&sb, ", ", 2);
        if (tp->items[i])
            rci_sb_add_repr(&sb, tp->items[i]);
        else
            rci_sb_adds(&sb, "<NULL>");
    }
    rci_sb_adds(&sb, n == 1 ? ",)" : ")");
    rci_repr_leave(self);
    return rci_sb_finish(&sb);
}
