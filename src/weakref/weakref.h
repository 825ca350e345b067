/*
 * weakref/weakref.h - the weak-reference layer's private interface: the
 * layout of weak references, the referent's list, and the two places the
 * rest of the library calls in (destruction by refcount in core/dealloc.c,
 * the collector's weakref step in gc/collect.c), plus the hooks the
 * collector uses for ephemeron tables (the weak-key dictionary).
 */
#ifndef RCGC_WEAKREF_INTERNAL_H
#define RCGC_WEAKREF_INTERNAL_H

#include "internal.h"
#include "rcgc/weakref.h"

/* Internal type flags (bits 24..27; 28..31 are the free lists):
 *   RCI_TYPE_WEAKREF_OBJ  - instances are laid out as rci_weakref (refs,
 *                           proxies and the containers' private refs);
 *   RCI_TYPE_EPHEMERON    - an ephemeron table (see below). */
#define RCI_TYPE_WEAKREF_OBJ (1u << 24)
#define RCI_TYPE_EPHEMERON   (1u << 25)

/* A weak reference (64 bytes + the 16-byte GC link = 80, CPython's size).
 * Weak references are GC objects, as in CPython, so that the collector can
 * tell a weak reference that is itself garbage (it never calls back).
 *
 * Invariants:
 *   - object != NULL  <=> the reference is alive and linked in object's
 *     list (prev/next);
 *   - object == NULL: dead.  prev/next are then either NULL or, only while
 *     callbacks are being delivered, the private "to call" chain of the
 *     code delivering them (which holds a reference to every member);
 *   - callback is reset to NULL when it is detached for its call, so it
 *     runs at most once;
 *   - hash is -1 until first computed while alive (then kept: a dead
 *     reference that was hashed keeps its hash). */
typedef struct rci_weakref {
    rc_object ob;
    rc_object *object;              /* borrowed; NULL once dead */
    rc_weakref_callback callback;
    rc_object *data;                /* owned, may be NULL */
    int64_t hash;
    struct rci_weakref *prev, *next;
} rci_weakref;

static inline int rci_is_weakref_obj(const rc_object *op) {
    return (op->type->flags & RCI_TYPE_WEAKREF_OBJ) != 0;
}

/* The head of op's weak-reference list, or NULL if its type has none. */
static inline rci_weakref **rci_weaklist_of(const rc_object *op) {
    const rc_type *t = op->type;
    if (!(t->flags & RC_TYPE_WEAKREF) || !t->weaklist_offset)
        return NULL;
    return (rci_weakref **)((char *)op + t->weaklist_offset);
}

/* Initialise a freshly allocated weak reference of type t (a subtype of
 * rci_weakref laid out with RCI_TYPE_WEAKREF_OBJ) to obj and link it into
 * obj's list at the position its kind dictates (a callback-less data-less
 * rc_weakref_type / rc_weakproxy_type reference is "basic": first / second;
 * every other one goes right after the basic ones).  data gains a
 * reference.  Used by the public constructors and by the weak containers'
 * private reference types. */
RCI_FUNC void rci_weakref_init(rci_weakref *wr, rc_object *obj, rc_weakref_callback cb,
                               rc_object *data);

/* Unlink a live weak reference from its referent's list and mark it dead
 * (no callback).  No-op for a dead one.  Inline: every destruction of a
 * weak reference passes here.  h is the current heap (its count of linked
 * references drops). */
static inline void rci_weakref_unlink_on(rc_heap *h, rci_weakref *wr) {
    rc_object *obj = wr->object;
    if (!obj)
        return;
    if (wr->prev)
        wr->prev->next = wr->next;
    else   /* the first: only then the head; obj's type has a list, or wr
            * could not have been linked to it */
        *(rci_weakref **)((char *)obj + obj->type->weaklist_offset) = wr->next;
    if (wr->next)
        wr->next->prev = wr->prev;
    wr->prev = wr->next = NULL;
    wr->object = NULL;
    h->weakrefs_linked--;
}
static inline void rci_weakref_unlink(rci_weakref *wr) {
    rci_weakref_unlink_on(rci_current_heap, wr);
}

/* traverse / clear / dealloc shared by every rci_weakref layout (they visit
 * and drop only `data`; dealloc also unlinks).  Subtypes with more fields
 * call these first. */
RCI_FUNC int rci_weakref_traverse(rc_object *self, rc_visitproc visit, void *arg);
RCI_FUNC int rci_weakref_clear(rc_object *self);
RCI_FUNC void rci_weakref_dealloc(rc_object *self);

/* Refcount death of op (core/dealloc.c, after the finalizer, before the
 * legacy del): PyObject_ClearWeakRefs - clear every weak reference to op,
 * then call the callbacks of those that are still alive, in list order.
 * op's refcount is 0.  Cheap when op has no weak references. */
RCI_FUNC void rci_weakref_clear_all(rc_object *op);

/* The collector's weakref step over a list of unreachable objects (every
 * member has COLLECTING set; reference 2.4, 3.11/3.12 rules): clear the
 * weak references that are garbage themselves, clear every weak reference
 * to garbage, then call back those that are not garbage.  Returns how many
 * callbacks were called (the collector must re-check for resurrection
 * when any ran); *freed receives how many of the called weak references
 * died when the collector let go of them (CPython counts those as
 * collected). */
RCI_FUNC intptr_t rci_weakref_handle_garbage(rci_gc_link *unreachable, intptr_t *freed);

/* ------------------------------------------------------------ ephemerons
 *
 * A type with RCI_TYPE_EPHEMERON (the weak-key dictionary) holds entries
 * (weak key, strong value) whose value must count as reachable only while
 * its key is reachable.  Its ordinary `traverse` visits everything (so the
 * collector subtracts all of its internal references); while the collector
 * propagates reachability it calls rci_ephemeron_traverse_strong instead,
 * which visits everything except the values of entries whose key is still
 * alive (an entry whose key already died holds its value strongly until
 * the entry is removed), and afterwards, until nothing changes,
 * rci_ephemeron_visit_entries, which calls fn(key, value, arg) for exactly
 * those held-back entries.  Each value thus reaches the collector once.  Implemented next to the
 * table type (weakref/weakkeydict.c). */
RCI_FUNC int rci_ephemeron_traverse_strong(rc_object *table, rc_visitproc visit, void *arg);
RCI_FUNC void rci_ephemeron_visit_entries(rc_object *table,
                                          void (*fn)(rc_object *key, rc_object *value, void *arg),
                                          void *arg);

#endif /* RCGC_WEAKREF_INTERNAL_H */
