/*
 * object.c - object allocation, reference-count errors and the collector
 * link (tracking).
 *
 * Freed-object detection: when an object is freed its refcount word is set
 * to the negated type pointer.  The pool allocator stores its free-list link
 * at block+8, so that word survives until the block is handed out again,
 * and a late rc_decref/rc_refcount finds a large negative count, reports
 * "use of a freed object" and can still name the type it had.  In debug
 * mode the block is filled with 0xDD instead, which is recognised too.
 */
#include "mem/fastpath.h"

const rc_type rc_type_type = {
    .ob_base = RC_STATIC_OBJECT_INIT(&rc_type_type),
    .name = "type",
    .basic_size = sizeof(rc_type),
    .flags = RC_TYPE_IMMORTAL,
};

/* Best-effort type of an object that may already be freed; NULL if unknown. */
static const rc_type *type_of_maybe_freed(const rc_object *op) {
    intptr_t r = op->refcount;
    if (r == RCI_DEAD_FILL)
        return NULL;
    if (r < -RCI_FREED_MIN)
        return (const rc_type *)(uintptr_t)((-r) & ~(intptr_t)7);
    return op->type;
}

void rci_object_fatal(const char *what, const rc_object *op) {
    const rc_type *t = type_of_maybe_freed(op);
    rci_fatal("object at %p of type '%s' %s", (const void *)op,
              t && t->name ? t->name : "<unknown: memory already overwritten>", what);
}

/* Diagnose a refcount that is not positive. */
static RC_NORETURN void bad_refcount(const rc_object *op, const char *fn) {
    intptr_t r = op->refcount;
    if (r == RCI_DEAD_FILL || r < -RCI_FREED_MIN) {
        char what[96];
        snprintf(what, sizeof what, "was used after it was freed (%s)", fn);
        rci_object_fatal(what, op);
    }
    char what[96];
    snprintf(what, sizeof what, "has refcount %ld in %s: refcount underflow",
             (long)r, fn);
    rci_object_fatal(what, op);
}

void rc__decref_slow(rc_object *op) {
    if (RC_LIKELY(op->refcount == 1)) {
        op->refcount = 0;
        rci_dealloc(op);
        return;
    }
    bad_refcount(op, "rc_decref");
}

intptr_t rc_refcount(const void *op) {
    if (!op)
        return rc_error_set(RC_ERR_INVALID, "rc_refcount: NULL object");
    const rc_object *o = op;
    if (RC_UNLIKELY(o->refcount <= 0))
        bad_refcount(o, "rc_refcount");
    return o->refcount >= RC_IMMORTAL_REFCNT ? RC_IMMORTAL_REFCNT : o->refcount;
}

const char *rc_type_name(const void *op) {
    return op ? ((const rc_object *)op)->type->name : "NULL";
}

/* ------------------------------------------------------------ allocation */

/* CPython 3.11 counts every GC allocation and collects right there once
 * generation 0 is over its threshold (before the new object exists). */
static inline void gc_count_alloc(rc_heap *h) {
    if (RC_UNLIKELY(++h->gen[0].count > h->gen[0].threshold))
        rci_gc_maybe_collect(h);
}

static void *alloc_failed(rc_heap *h, const rc_type *t, size_t pre, size_t n) {
    if (pre && h->gen[0].count > 0)
        h->gen[0].count--;
    return rci_error_null(RC_ERR_NOMEM, "out of memory creating a '%s' object "
                          "(%zu bytes)", t->name, n);
}

/* Zero the n bytes after an object's header.  Small bodies (a multiple of
 * 8 bytes, up to ZERO_BY_WORDS_MAX) get one 8-byte store per word rather
 * than memset: new fields are often read at once (setting a slot loads its
 * old value to drop it), and on the machine measured (AMD EPYC) a small
 * load from memset's wide vector stores was not store-forwarded and waited
 * for the stores to retire: half of rc_setslot's samples on a fresh
 * instance.  The volatile access keeps the compiler from turning the loop
 * back into a memset call.  Larger bodies use memset, which is faster per
 * byte. */
#define ZERO_BY_WORDS_MAX 128u
static inline void zero_fields(rc_object *o, size_t n) {
    if (n % sizeof(uintptr_t) || n > ZERO_BY_WORDS_MAX) {
        memset(o + 1, 0, n);
        return;
    }
    volatile uintptr_t *w = (volatile uintptr_t *)(o + 1);
    for (size_t i = 0; i < n / sizeof *w; i++)
        w[i] = 0;
}

/* The allocation every object goes through, once its type and size are
 * known to be valid: `size` bytes of object (header included) plus the GC
 * link for GC types (`flags` are t->flags, passed so that callers with
 * constant flags get a specialised copy).  The result has refcount 1, every
 * byte after the header zeroed, a reference on t (heap types), and a link
 * that is either tracked in generation 0 (RC_TYPE_TRACK) or zeroed
 * (untracked, no flags).  Tracking writes both link words, so a tracked
 * object's link is not zeroed first.  `how` (a constant at every call site)
 * may drop two steps for constructors that make them redundant:
 * ALLOC_RAW_BODY leaves the bytes after the header as the allocator left
 * them (the caller writes every field before anything can read one: before
 * its next allocation, which may run a collection that traverses the new,
 * tracked object), ALLOC_STATIC_TYPE skips the type reference (t is
 * immortal, so rc_incref would only load and compare its count). */
enum { ALLOC_ZEROED = 0, ALLOC_RAW_BODY = 1, ALLOC_STATIC_TYPE = 2 };
static inline void *object_alloc_on(rc_heap *h, const rc_type *t, size_t size,
                                    uint32_t flags, unsigned how) {
    size_t pre = (flags & RC_TYPE_GC) ? sizeof(rci_gc_link) : 0;
    if (pre)
        gc_count_alloc(h);
    char *mem = rci_block_alloc(h, pre + size, RCI_API_OBJ);
    if (RC_UNLIKELY(!mem))
        return alloc_failed(h, t, pre, pre + size);
    rc_object *o = (rc_object *)(mem + pre);
    o->refcount = 1;
    o->type = t;
    if (!(how & ALLOC_RAW_BODY))
        zero_fields(o, size - sizeof *o);
    if (!(how & ALLOC_STATIC_TYPE))
        rc_incref((void *)t);   /* instances keep a heap type alive; static types skip */
    if (pre) {
        rci_gc_link *g = RCI_AS_LINK(o);
        if (flags & RC_TYPE_TRACK) {
            rci_gc_link_track_new(h, g);
        } else {
            g->next = 0;
            g->prev = 0;
        }
    }
    return o;
}

/* The checks every allocation needs, then object_alloc_on. */
static void *object_alloc(const rc_type *t, size_t size) {
    if (RC_UNLIKELY(!t->ob_base.type))
        return rci_error_null(RC_ERR_INVALID, "type '%s' has no type header: start static "
                              "types with RC_STATIC_TYPE_HEAD", t->name ? t->name : "?");
    rc_heap *h = rci_current_heap;
    if (RC_UNLIKELY(!h))
        return rci_error_null(RC_ERR_STATE, "cannot create a '%s' object: no heap is "
                              "bound to this thread", t->name);
    if (RC_UNLIKELY(size > RCI_MAX_REQUEST))
        return rci_error_null(RC_ERR_OVERFLOW, "a '%s' object of %zu bytes is too large",
                              t->name, size);
    return object_alloc_on(h, t, size, t->flags, ALLOC_ZEROED);
}

void *rci_gc_object_new(const rc_type *t) {
    rc_heap *h = rci_current_heap;
    if (RC_UNLIKELY(!h))
        return object_alloc(t, t->basic_size);   /* reports RC_ERR_STATE */
    return object_alloc_on(h, t, t->basic_size, RC_TYPE_GC | RC_TYPE_TRACK, ALLOC_ZEROED);
}

void *rci_gc_static_object_new_raw(const rc_type *t) {
    rc_heap *h = rci_current_heap;
    if (RC_UNLIKELY(!h))
        return object_alloc(t, t->basic_size);   /* reports RC_ERR_STATE */
    return object_alloc_on(h, t, t->basic_size, RC_TYPE_GC | RC_TYPE_TRACK,
                           ALLOC_RAW_BODY | ALLOC_STATIC_TYPE);
}

void *rc_object_new(const rc_type *type) {
    if (!type)
        return rci_error_null(RC_ERR_INVALID, "rc_object_new: type is NULL");
    if (type->flags & RC_TYPE_VAR)
        return rci_error_null(RC_ERR_INVALID, "rc_object_new: '%s' is variable-size; "
                              "use rc_varobject_new", type->name);
    if (type->basic_size < sizeof(rc_object))
        return rci_error_null(RC_ERR_INVALID, "rc_object_new: '%s' has basic_size %zu, "
                              "smaller than the object header", type->name, type->basic_size);
    return object_alloc(type, type->basic_size);
}

void *rc_varobject_new(const rc_type *type, intptr_t nitems) {
    if (!type)
        return rci_error_null(RC_ERR_INVALID, "rc_varobject_new: type is NULL");
    if (!(type->flags & RC_TYPE_VAR) || type->basic_size < sizeof(rc_varobject))
        return rci_error_null(RC_ERR_INVALID, "rc_varobject_new: '%s' is not a "
                              "variable-size type", type->name);
    if (nitems < 0)
        return rci_error_null(RC_ERR_VALUE, "rc_varobject_new: negative item count %ld",
                              (long)nitems);
    size_t n = (size_t)nitems, size;
    if (type->basic_size > RCI_MAX_REQUEST ||
        (type->item_size && n > (RCI_MAX_REQUEST - type->basic_size) / type->item_size))
        return rci_error_null(RC_ERR_OVERFLOW, "rc_varobject_new: %ld items of %zu "
                              "bytes overflow", (long)nitems, type->item_size);
    size = type->basic_size + n * type->item_size;
    rc_varobject *o = object_alloc(type, size);
    if (o)
        o->size = nitems;
    return o;
}

/* ------------------------------------------------------ collector link */

void rci_gc_link_init(rci_generation *g) {
    g->head.next = g->head.prev = (uintptr_t)&g->head;
    g->count = 0;
}

static rci_gc_link *link_prev(const rci_gc_link *g) {
    return (rci_gc_link *)(g->prev & ~RCI_GC_FLAGS);
}

int rc_gc_track(void *op) {
    rc_object *o = op;
    if (!o)
        return rc_error_set(RC_ERR_INVALID, "rc_gc_track: NULL object");
    if (!(o->type->flags & RC_TYPE_GC))
        return rc_error_set(RC_ERR_TYPE, "rc_gc_track: '%s' objects are not GC objects",
                            o->type->name);
    rci_gc_link *g = RCI_AS_LINK(o);
    if (g->next)
        return rc_error_set(RC_ERR_VALUE, "rc_gc_track: object %p is already tracked", op);
    rc_heap *h = rci_current_heap;
    if (!h)
        return rc_error_set(RC_ERR_STATE, "rc_gc_track: no heap is bound to this thread");
    rci_gc_link *head = &h->gen[0].head, *last = link_prev(head);
    h->gc.tracked++;   /* the full-collection growth rule (gc/collect.c) */
    g->next = (uintptr_t)head;
    g->prev = (uintptr_t)last | (g->prev & RCI_GC_FINALIZED);
    last->next = (uintptr_t)g;
    head->prev = (uintptr_t)g;
    return 0;
}

int rc_gc_untrack(void *op) {
    rc_object *o = op;
    if (!o || !(o->type->flags & RC_TYPE_GC))
        return 0;
    rci_gc_link *g = RCI_AS_LINK(o);
    if (!g->next)
        return 0;
    rci_gc_link_unlink(g);           /* FINALIZED survives untracking */
    rc_heap *h = rci_current_heap;   /* objects are released on their own heap */
    if (h)
        h->gc.tracked--;
    return 0;
}

int rc_gc_is_tracked(const void *op) {
    const rc_object *o = op;
    return o && (o->type->flags & RC_TYPE_GC) && RCI_AS_LINK(o)->next != 0;
}
