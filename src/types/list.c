/*
 * list.c - the mutable list.
 *
 * Layout (rci_list): header, item count, a pointer to a separately
 * allocated array of `allocated` slots (an rc_mem block of the current
 * heap, NULL while allocated is 0).  rc_sizeof counts the 16-byte GC link,
 * the 40-byte header and 8 bytes per allocated slot: [] is 56 bytes and
 * list(range(10)) 136, as sys.getsizeof reports in CPython 3.11.
 *
 * Growth (reference 5.2) follows CPython's list_resize exactly, so the
 * capacities seen while appending from empty are 0, 4, 8, 16, 24, 32, 40,
 * 52, 64, 76, ... and shrinking happens when fewer than half the slots are
 * in use.  Shrinking never fails: if the allocator cannot move the array to
 * a smaller block, the list keeps the larger one.  Two more details of
 * CPython 3.11 are kept because they decide capacities: resizing to zero
 * leaves a (zero-slot) array where clearing leaves none, and extending a
 * list that has no array allocates exactly the items added, rounded up to
 * an even count ([].extend(five) gives 6 slots, [1].pop() then the same
 * extend gives 8).  Here the zero-slot array is the marker ZERO_ITEMS.
 *
 * List headers are recycled through the heap's free list (80 of them); the
 * item array is always freed with the list.
 *
 * Sort: a stable merge sort (binary insertion sort on runs of 32, then
 * bottom-up merges that skip runs already in order).  While it runs the
 * list looks empty, as in CPython, so a comparison function that mutates
 * the list cannot break the sort; the change is detected afterwards and
 * reported as "list modified during sort".
 */
#include "types.h"

static int list_traverse(rc_object *self, rc_visitproc visit, void *arg);
static int list_clear_hook(rc_object *self);
static void list_dealloc(rc_object *self);
static int64_t list_hash(rc_object *self);
static int list_eq(rc_object *self, rc_object *other);
static rc_object *list_repr(rc_object *self);

const rc_type rc_list_type = {
    .ob_base = RC_STATIC_TYPE_HEAD, .name = "list", .basic_size = sizeof(rci_list),
    .flags = RC_TYPE_IMMORTAL | RC_TYPE_GC | RC_TYPE_TRACK | RCI_TYPE_FREELIST_LIST,
    .traverse = list_traverse, .clear = list_clear_hook, .dealloc = list_dealloc,
    .hash = list_hash, .eq = list_eq, .repr = list_repr,
    .extra_size = rci_list_extra_size,
};

#define AS_LIST(op) ((rci_list *)(op))
#define IS_LIST(op) ((op) && ((const rc_object *)(op))->type == &rc_list_type)
#define SIZE(l) ((l)->ob.size)

/* The largest slot count whose byte size the allocator can accept. */
#define MAX_SLOTS ((intptr_t)(PTRDIFF_MAX / (intptr_t)sizeof(rc_object *)) - 1024)

/* The item array of a list resized to zero slots (CPython keeps a
 * zero-byte block there; a list never given an array, or cleared, has
 * NULL).  Never written, never freed. */
static rc_object *const zero_items[1] = {NULL};
#define ZERO_ITEMS ((rc_object **)zero_items)

/* Free an item array (NULL and ZERO_ITEMS are not blocks). */
static void free_items(rc_object **items) {
    if (items && items != ZERO_ITEMS)
        rc_mem_free(items);
}

/* Recursion guard for equality of nested lists. */
#define NEST_LIMIT 1000
static _Thread_local int nest_depth;

/* ------------------------------------------------------------ resizing */

/* Make room for newsize items and set the size (CPython's list_resize):
 * keep the array while allocated/2 <= newsize <= allocated; otherwise ask
 * for newsize + newsize/8 + 6 slots rounded down to a multiple of 4, or for
 * newsize rounded up to a multiple of 4 when the list grows by more than
 * that over-allocation would give.  Growing fails with RC_ERR_NOMEM (the
 * list unchanged); shrinking always succeeds. */
static int list_resize(rci_list *l, intptr_t newsize) {
    intptr_t allocated = l->allocated;
    if (allocated >= newsize && newsize >= (allocated >> 1)) {
        SIZE(l) = newsize;
        return 0;
    }
    if (newsize > MAX_SLOTS)
        return rc_error_set(RC_ERR_NOMEM, "cannot grow a list to %ld items", (long)newsize);
    size_t ns = (size_t)newsize;
    size_t new_alloc = (ns + (ns >> 3) + 6) & ~(size_t)3;
    if (newsize - SIZE(l) > (intptr_t)(new_alloc - ns))
        new_alloc = (ns + 3) & ~(size_t)3;
    if (newsize == 0)
        new_alloc = 0;
    rc_object **old = l->items == ZERO_ITEMS ? NULL : l->items;
    if (new_alloc == 0) {
        free_items(old);
        l->items = ZERO_ITEMS;
    } else {
        rc_object **items = rc_mem_realloc(old, new_alloc * sizeof(rc_object *));
        if (!items) {
            if (newsize <= allocated) {   /* shrinking: keep the larger array */
                SIZE(l) = newsize;
                return 0;
            }
            return rc_error_set(RC_ERR_NOMEM, "out of memory growing a list to %ld items",
                                (long)newsize);
        }
        l->items = items;
    }
    SIZE(l) = newsize;
    l->allocated = (intptr_t)new_alloc;
    return 0;
}

/* ------------------------------------------------------------ creation */

/* A new empty list (from the free list when it can), tracked. */
static rci_list *list_alloc(void) {
    rc_heap *h = rci_current_heap;
    rci_list *l = h ? (rci_list *)rci_freelist_pop(h, &rc_list_type, 0) : NULL;
    if (l) {
        SIZE(l) = 0;
        l->items = NULL;
        l->allocated = 0;
        rc_gc_track(l);
        return l;
    }
    return rci_new(&rc_list_type);   /* zeroed and tracked */
}

/* A new list with exactly n slots, n items of which the caller fills. */
static rci_list *list_new_exact(intptr_t n) {
    if (n > MAX_SLOTS)
        return rci_error_null(RC_ERR_NOMEM, "cannot create a list of %ld items", (long)n);
    rci_list *l = list_alloc();
    if (!l || n == 0)
        return l;
    l->items = rc_mem_malloc((size_t)n * sizeof(rc_object *));
    if (!l->items) {
        rc_decref(l);
        return rci_error_null(RC_ERR_NOMEM, "out of memory creating a list of %ld items",
                              (long)n);
    }
    l->allocated = n;
    return l;
}

rc_object *rc_list_new(intptr_t n) {
    if (n < 0)
        return rci_error_null(RC_ERR_VALUE, "rc_list_new: negative size %ld", (long)n);
    rci_list *l = list_new_exact(n);
    if (!l)
        return NULL;
    for (intptr_t i = 0; i < n; i++)
        l->items[i] = rc_None;   /* immortal: no reference to take */
    SIZE(l) = n;
    return (rc_object *)l;
}

/* ------------------------------------------------------------ queries */

intptr_t rc_list_size(const void *l) {
    if (!IS_LIST(l))
        return rci_type_error("rc_list_size", "list", l);
    return SIZE((const rci_list *)l);
}

intptr_t rc_list_capacity(const void *l) {
    if (!IS_LIST(l))
        return rci_type_error("rc_list_capacity", "list", l);
    intptr_t a = ((const rci_list *)l)->allocated;
    return a < 0 ? 0 : a;   /* -1 marks a list being sorted */
}

intptr_t rci_list_extra_size(const rc_object *op) {
    intptr_t a = ((const rci_list *)op)->allocated;
    return a < 0 ? 0 : a * (intptr_t)sizeof(rc_object *);
}

/* Resolve a possibly negative index; -1 with RC_ERR_INDEX and msg. */
static int norm_index(intptr_t n, intptr_t *i, const char *msg) {
    intptr_t k = *i;
    if (k < 0)
        k += n;
    if (k < 0 || k >= n)
        return rc_error_set(RC_ERR_INDEX, "%s", msg);
    *i = k;
    return 0;
}

rc_object *rc_list_get(const void *l, intptr_t i) {
    if (!IS_LIST(l))
        return rci_type_error_null("rc_list_get", "list", l);
    const rci_list *lp = l;
    if (norm_index(SIZE(lp), &i, "list index out of range") < 0)
        return NULL;
    return lp->items[i];
}

/* ------------------------------------------------------------ mutation */

int rc_list_set(void *l, intptr_t i, void *item) {
    if (!IS_LIST(l))
        return rci_type_error("rc_list_set", "list", l);
    if (!item)
        return rc_error_set(RC_ERR_INVALID, "rc_list_set: NULL item");
    rci_list *lp = l;
    if (norm_index(SIZE(lp), &i, "list assignment index out of range") < 0)
        return -1;
    rc_object *old = lp->items[i];
    lp->items[i] = rc_newref(item);
    rc_xdecref(old);   /* last: its destruction may look at the list */
    return 0;
}

int rc_list_append(void *l, void *item) {
    if (!IS_LIST(l))
        return rci_type_error("rc_list_append", "list", l);
    if (!item)
        return rc_error_set(RC_ERR_INVALID, "rc_list_append: NULL item");
    rci_list *lp = l;
    intptr_t n = SIZE(lp);
    if (lp->allocated > n) {   /* room already: no resize decision needed */
        lp->items[n] = rc_newref(item);
        SIZE(lp) = n + 1;
        return 0;
    }
    if (list_resize(lp, n + 1) < 0)
        return -1;
    lp->items[n] = rc_newref(item);
    return 0;
}

int rc_list_insert(void *l, intptr_t i, void *item) {
    if (!IS_LIST(l))
        return rci_type_error("rc_list_insert", "list", l);
    if (!item)
        return rc_error_set(RC_ERR_INVALID, "rc_list_insert: NULL item");
    rci_list *lp = l;
    intptr_t n = SIZE(lp);
    /* list.insert clamps: before the start, or after the end */
    if (i < 0) {
        i += n;
        if (i < 0)
            i = 0;
    }
    if (i > n)
        i = n;
    if (list_resize(lp, n + 1) < 0)
        return -1;
    memmove(&lp->items[i + 1], &lp->items[i], (size_t)(n - i) * sizeof(rc_object *));
    lp->items[i] = rc_newref(item);
    return 0;
}

/* Take item i out of the list (the list's reference goes to the caller). */
static rc_object *remove_at(rci_list *lp, intptr_t i) {
    rc_object *v = lp->items[i];
    intptr_t n = SIZE(lp);
    memmove(&lp->items[i], &lp->items[i + 1], (size_t)(n - i - 1) * sizeof(rc_object *));
    list_resize(lp, n - 1);   /* shrinking: cannot fail */
    return v;
}

rc_object *rc_list_pop(void *l, intptr_t i) {
    if (!IS_LIST(l))
        return rci_type_error_null("rc_list_pop", "list", l);
    rci_list *lp = l;
    if (SIZE(lp) == 0)
        return rci_error_null(RC_ERR_INDEX, "pop from empty list");
    if (norm_index(SIZE(lp), &i, "pop index out of range") < 0)
        return NULL;
    /* the last item: a plain resize (to ZERO_ITEMS when it was the only
     * one); any other: removal, which never empties the list */
    return remove_at(lp, i);
}

int rc_list_delete(void *l, intptr_t i) {
    if (!IS_LIST(l))
        return rci_type_error("rc_list_delete", "list", l);
    rci_list *lp = l;
    if (norm_index(SIZE(lp), &i, "list assignment index out of range") < 0)
        return -1;
    if (SIZE(lp) == 1) {
        /* del l[0] of a one-item list clears it (no array left), as
         * CPython's slice assignment does when the result is empty */
        rc_object **items = lp->items, *v = items[0];
        lp->items = NULL;
        SIZE(lp) = 0;
        lp->allocated = 0;
        free_items(items);
        rc_decref(v);
        return 0;
    }
    rc_decref(remove_at(lp, i));   /* after the list is consistent again */
    return 0;
}

rc_object *rc_list_slice(const void *l, intptr_t lo, intptr_t hi) {
    if (!IS_LIST(l))
        return rci_type_error_null("rc_list_slice", "list", l);
    const rci_list *lp = l;
    intptr_t n = SIZE(lp);
    if (lo < 0) {
        lo += n;
        if (lo < 0)
            lo = 0;
    } else if (lo > n) {
        lo = n;
    }
    if (hi < 0) {
        hi += n;
        if (hi < 0)
            hi = 0;
    } else if (hi > n) {
        hi = n;
    }
    intptr_t len = hi > lo ? hi - lo : 0;
    rci_list *r = list_new_exact(len);
    if (!r)
        return NULL;
    for (intptr_t k = 0; k < len; k++)
        r->items[k] = rc_newref(lp->items[lo + k]);
    SIZE(r) = len;
    return (rc_object *)r;
}

int rc_list_extend(void *l, const void *other) {
    if (!IS_LIST(l))
        return rci_type_error("rc_list_extend", "list", l);
    if (!other || (!IS_LIST(other) && !RC_TYPE_CHECK(other, rc_tuple_type)))
        return rci_type_error("rc_list_extend", "list or tuple", other);
    rci_list *lp = l;
    intptr_t n = ((const rc_varobject *)other)->size, m = SIZE(lp);
    if (n == 0)
        return 0;
    if (n > MAX_SLOTS - m)
        return rc_error_set(RC_ERR_NOMEM, "cannot grow a list to more than %ld items",
                            (long)MAX_SLOTS);
    if (!IS_LIST(other)) {   /* a tuple still being filled cannot be copied */
        const rci_tuple *t = other;
        for (intptr_t k = 0; k < n; k++)
            if (!t->items[k])
                return rc_error_set(RC_ERR_VALUE, "rc_list_extend: tuple item %ld has not "
                                    "been set", (long)k);
    }
    if (!lp->items) {
        /* no array yet: exactly n slots, rounded up to an even count */
        intptr_t exact = (n + 1) & ~(intptr_t)1;
        rc_object **items = rc_mem_malloc((size_t)exact * sizeof(rc_object *));
        if (!items)
            return rc_error_set(RC_ERR_NOMEM, "out of memory extending a list by %ld items",
                                (long)n);
        lp->items = items;
        lp->allocated = exact;
        SIZE(lp) = n;
    } else if (list_resize(lp, m + n) < 0) {
        return -1;
    }
    /* read the source after the resize: other may be l itself */
    rc_object *const *src = IS_LIST(other) ? (rc_object *const *)((const rci_list *)other)->items
                                           : (rc_object *const *)((const rci_tuple *)other)->items;
    for (intptr_t k = 0; k < n; k++)
        lp->items[m + k] = rc_newref(src[k]);
    return 0;
}

/* Detach the items, then drop them last to first (their destruction may
 * run code that looks at the list: it sees an empty one).  A list whose
 * array is detached (being sorted) is left alone. */
static void list_clear_items(rci_list *lp) {
    rc_object **items = lp->items;
    if (!items)
        return;
    intptr_t n = SIZE(lp);
    lp->items = NULL;
    SIZE(lp) = 0;
    lp->allocated = 0;
    while (--n >= 0)
        rc_xdecref(items[n]);
    free_items(items);
}

int rc_list_clear(void *l) {
    if (!IS_LIST(l))
        return rci_type_error("rc_list_clear", "list", l);
    list_clear_items(l);
    return 0;
}

/* ------------------------------------------------------------ sorting */

typedef struct sorter {
    int (*cmp)(rc_object *a, rc_object *b, void *ctx);
    void *ctx;
} sorter;

static int kind_of(const rc_object *o) {   /* 1 int/bool, 2 float, 3 str, 0 other */
    if (o->type == &rc_int_type || o->type == &rc_bool_type)
        return 1;
    if (o->type == &rc_float_type)
        return 2;
    if (o->type == &rc_str_type)
        return 3;
    return 0;
}

/* Exact comparison of an int with a double: -1, 0, 1, or 2 for NaN. */
static int cmp_int_double(int64_t i, double d) {
    if (d != d)
        return 2;
    if (d >= 9223372036854775808.0)
        return -1;
    if (d < -9223372036854775808.0)
        return 1;
    int64_t t = (int64_t)d;   /* exact: |d| < 2^63, truncated toward zero */
    if (i != t)
        return i < t ? -1 : 1;
    double frac = d - (double)t;
    return frac > 0 ? -1 : frac < 0 ? 1 : 0;
}

/* a < b for ints, floats and strs (code point order = UTF-8 byte order):
 * 1 or 0, or -1 with RC_ERR_TYPE. */
static int natural_lt(rc_object *a, rc_object *b) {
    int ka = kind_of(a), kb = kind_of(b);
    if (ka == 3 && kb == 3) {
        const rci_str *x = (const rci_str *)a, *y = (const rci_str *)b;
        size_t nx = (size_t)x->ob.size, ny = (size_t)y->ob.size;
        int c = memcmp(x->data, y->data, nx < ny ? nx : ny);
        return c < 0 || (c == 0 && nx < ny);
    }
    if (ka == 1 && kb == 1)
        return ((rc_int *)a)->value < ((rc_int *)b)->value;
    if (ka == 2 && kb == 2)
        return ((rc_float *)a)->value < ((rc_float *)b)->value;
    if (ka == 1 && kb == 2)
        return cmp_int_double(((rc_int *)a)->value, ((rc_float *)b)->value) == -1;
    if (ka == 2 && kb == 1)
        return cmp_int_double(((rc_int *)b)->value, ((rc_float *)a)->value) == 1;
    return rc_error_set(RC_ERR_TYPE, "'<' not supported between instances of '%s' and '%s'",
                        a->type->name, b->type->name);
}

/* a < b by the sorter: 1, 0, or -1 with an error. */
static int sort_lt(const sorter *s, rc_object *a, rc_object *b) {
    if (!s->cmp)
        return natural_lt(a, b);
    int c = s->cmp(a, b, s->ctx);
    if (c == RC_SORT_ERROR) {
        if (rc_error_code() == RC_OK)
            rc_error_set(RC_ERR_RUNTIME, "rc_list_sort: the comparison function failed "
                         "without setting an error");
        return -1;
    }
    return c < 0;
}

#define MIN_RUN 32

/* Stable binary insertion sort of a[0..n).  On error a is still a
 * permutation of its items. */
static int insertion_sort(const sorter *s, rc_object **a, intptr_t n) {
    for (intptr_t i = 1; i < n; i++) {
        rc_object *pivot = a[i];
        int c = sort_lt(s, pivot, a[i - 1]);
        if (c < 0)
            return -1;
        if (!c)
            continue;   /* already after its predecessor */
        /* insert after every element not greater than pivot in a[0..i-1) */
        intptr_t lo = 0, hi = i - 1;
        while (lo < hi) {
            intptr_t mid = lo + (hi - lo) / 2;
            c = sort_lt(s, pivot, a[mid]);
            if (c < 0)
                return -1;
            if (c)
                hi = mid;
            else
                lo = mid + 1;
        }
        memmove(&a[lo + 1], &a[lo], (size_t)(i - lo) * sizeof(rc_object *));
        a[lo] = pivot;
    }
    return 0;
}

/* Merge the sorted runs a[lo..mid) and a[mid..hi) using tmp (room for
 * mid - lo items).  Equal items keep their order (left run first).  On
 * error the items still in tmp are copied back into the gap, so a stays a
 * permutation. */
static int merge(const sorter *s, rc_object **a, intptr_t lo, intptr_t mid, intptr_t hi,
                 rc_object **tmp) {
    int c = sort_lt(s, a[mid], a[mid - 1]);
    if (c <= 0)
        return c;   /* error, or the runs are already in order */
    intptr_t nl = mid - lo, i = 0, j = mid, k = lo;
    memcpy(tmp, &a[lo], (size_t)nl * sizeof(rc_object *));
    int rc = 0;
    while (i < nl && j < hi) {
        c = sort_lt(s, a[j], tmp[i]);
        if (c < 0) {
            rc = -1;
            break;
        }
        a[k++] = c ? a[j++] : tmp[i++];
    }
    /* the rest of the left run fills exactly the gap up to j */
    memcpy(&a[k], &tmp[i], (size_t)(nl - i) * sizeof(rc_object *));
    return rc;
}

static int merge_sort(const sorter *s, rc_object **a, intptr_t n) {
    for (intptr_t lo = 0; lo < n; lo += MIN_RUN)
        if (insertion_sort(s, a + lo, n - lo < MIN_RUN ? n - lo : MIN_RUN) < 0)
            return -1;
    if (n <= MIN_RUN)
        return 0;
    intptr_t maxw = MIN_RUN;   /* the widest left run that will be merged */
    while (maxw * 2 < n)
        maxw *= 2;
    rc_object **tmp = rc_mem_malloc((size_t)maxw * sizeof(rc_object *));
    if (!tmp)
        return rc_error_set(RC_ERR_NOMEM, "out of memory sorting a list of %ld items",
                            (long)n);
    int rc = 0;
    for (intptr_t w = MIN_RUN; w < n && rc == 0; w *= 2) {
        for (intptr_t lo = 0; lo + w < n; lo += 2 * w) {
            intptr_t hi = lo + 2 * w < n ? lo + 2 * w : n;
            if ((rc = merge(s, a, lo, lo + w, hi, tmp)) < 0)
                break;
        }
    }
    rc_mem_free(tmp);
    return rc;
}

int rc_list_sort(void *l, int (*cmp)(rc_object *a, rc_object *b, void *ctx), void *ctx) {
    if (!IS_LIST(l))
        return rci_type_error("rc_list_sort", "list", l);
    rci_list *lp = l;
    rc_incref(lp);   /* the comparison function may drop the caller's reference */
    /* Detach the items: during the sort the list is empty, and
     * allocated == -1 tells whether anyone stored something in it. */
    rc_object **items = lp->items;
    intptr_t n = SIZE(lp), allocated = lp->allocated;
    lp->items = NULL;
    SIZE(lp) = 0;
    lp->allocated = -1;
    sorter s = {cmp, ctx};
    int rc = 0;
    if (n > 1)
        rc = merge_sort(&s, items, n);
    rc_object **added = lp->items;
    intptr_t nadded = SIZE(lp);
    int modified = lp->allocated != -1;
    lp->items = items;
    SIZE(lp) = n;
    lp->allocated = allocated;
    if (modified && rc == 0)
        rc = rc_error_set(RC_ERR_VALUE, "list modified during sort");
    if (added) {   /* drop whatever was stored during the sort */
        while (--nadded >= 0)
            rc_xdecref(added[nadded]);
        free_items(added);
    }
    rc_decref(lp);
    return rc;
}

/* ------------------------------------------------------------ type hooks */

static int list_traverse(rc_object *self, rc_visitproc visit, void *arg) {
    rci_list *lp = AS_LIST(self);
    for (intptr_t i = 0; i < SIZE(lp); i++) {
        if (lp->items[i]) {
            int r = visit(lp->items[i], arg);
            if (r)
                return r;
        }
    }
    return 0;
}

static int list_clear_hook(rc_object *self) {
    list_clear_items(AS_LIST(self));
    return 0;
}

static void list_dealloc(rc_object *self) {
    /* the header then goes to the free list; the array never does */
    list_clear_items(AS_LIST(self));
}

static int64_t list_hash(rc_object *self) {
    (void)self;
    rc_error_set(RC_ERR_TYPE, "unhashable type: 'list'");
    return -1;
}

/* Item-wise equality; the list may change while items compare (their eq
 * can run code), so sizes are re-read and items held while compared. */
static int list_eq(rc_object *self, rc_object *other) {
    if (!IS_LIST(other))
        return 0;
    rci_list *a = AS_LIST(self), *b = AS_LIST(other);
    if (SIZE(a) != SIZE(b))
        return 0;
    if (nest_depth >= NEST_LIMIT)
        return rc_error_set(RC_ERR_RUNTIME, "maximum recursion depth exceeded in comparison");
    nest_depth++;
    int r = 1;
    for (intptr_t i = 0; i < SIZE(a) && i < SIZE(b); i++) {
        rc_object *x = rc_newref(a->items[i]), *y = rc_newref(b->items[i]);
        r = rc_eq(x, y);
        rc_decref(x);
        rc_decref(y);
        if (r != 1)
            break;
    }
    nest_depth--;
    if (r == 1 && SIZE(a) != SIZE(b))
        r = 0;
    return r;
}

static rc_object *list_repr(rc_object *self) {
    rci_list *lp = AS_LIST(self);
    if (SIZE(lp) == 0)
        return rc_str_from("[]");
    int r = rci_repr_enter(self);
    if (r != 0)
        return r > 0 ? rc_str_from("[...]") : NULL;
    rci_sb sb;
    rci_sb_init(&sb);
    rci_sb_add(&sb, "[", 1);
    /* re-read the size: an item's repr may change the list */
    for (intptr_t i = 0; i < SIZE(lp) && !sb.failed; i++) {
        if (i > 0)
            rci_sb_add(&sb, ", ", 2);
        rc_object *item = rc_newref(lp->items[i]);
        rci_sb_add_repr(&sb, item);
        rc_decref(item);
    }
    rci_sb_add(&sb, "]", 1);
    rci_repr_leave(self);
    return rci_sb_finish(&sb);
}
