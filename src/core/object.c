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
#include "core/alloc.h"

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

void *rci_object_alloc_failed(rc_heap *h, const rc_type *t, size_t pre, size_t n) {
    if (pre)
        rci_gc_count_free(h);   /* the allocation that failed was counted */
    return rci_error_null(RC_ERR_NOMEM, "out of memory creating a '%s' object "
                          "(%zu bytes)", t->name, n);
}

/* The checks every allocation needs, then rci_object_alloc_on. */
void *rci_object_alloc_checked(const rc_type *t, size_t size) {
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
    return rci_object_alloc_on(h, t, size, t->flags, RCI_ALLOC_ZEROED);
}

void *rci_gc_object_new(const rc_type *t) {
    rc_heap *h = rci_current_heap;
    if (RC_UNLIKELY(!h))
        return rci_object_alloc_checked(t, t->basic_size);   /* reports RC_ERR_STATE */
    return rci_object_alloc_on(h, t, t->basic_size, RC_TYPE_GC | RC_TYPE_TRACK, RCI_ALLOC_ZEROED);
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
    return rci_object_alloc_checked(type, type->basic_size);
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
    rc_varobject *o = rci_object_alloc_checked(type, size);
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
