/*
 * dealloc.c - immediate destruction at refcount zero, and the trashcan.
 *
 * Order for an object whose count reached zero (CPython's subtype_dealloc,
 * reference 2.5):
 *   1. untrack it (GC types) - before the trashcan may park it;
 *   2. the PEP 442 finalizer, with the count raised to 1 while it runs; a
 *      GC object's FINALIZED bit makes it run at most once.  If the
 *      finalizer resurrected the object, stop (re-tracking it);
 *   3. weak references are cleared and their callbacks called
 *      (weakref/weakref.c);
 *   4. the legacy `del` hook, with the same resurrection rule;
 *   5. the type's dealloc hook (or clear) releases what the object owns;
 *   6. built-in types with a free list may keep the dead object there;
 *   7. the refcount word gets the "freed" poison and the block is freed.
 *
 * Trashcan: destroying an object drops its fields, which may destroy their
 * objects, and so on.  Past RCI_TRASH_LIMIT nested destructions the object
 * is parked on the heap's trash stack and destroyed by the outermost
 * destruction in a loop, so the C stack stays bounded for chains of any
 * length.  A parked object keeps its count of zero: weak references to it
 * already read as dead.  If the stack cannot grow (out of memory) the
 * object is destroyed at once, one level deeper.
 */
#include "mem/fastpath.h"
#include "types/types.h"
#include "weakref/weakref.h"

/* Run a finalizer-like hook with the object temporarily alive.  Returns 1 if
 * the hook resurrected the object (someone else now holds a reference). */
static int call_resurrectable(rc_object *op, void (*hook)(rc_object *)) {
    op->refcount = 1;
    hook(op);
    if (--op->refcount == 0)
        return 0;
    return 1;
}

/* op is already untracked; was_tracked says whether to re-track it if a
 * finalizer resurrects it.  The type and its flags are read once: the hooks
 * may not change the object's type. */
static inline __attribute__((always_inline)) void destroy(rc_heap *h, rc_object *op,
                                                           int was_tracked) {
    const rc_type *t = op->type;
    const uint32_t flags = t->flags;
    const int gc = (flags & RC_TYPE_GC) != 0;
    if (RC_UNLIKELY(t->finalize != NULL)) {
        rci_gc_link *g = gc ? RCI_AS_LINK(op) : NULL;
        if (!g || !(g->prev & RCI_GC_FINALIZED)) {
            if (g)
                g->prev |= RCI_GC_FINALIZED;
            if (call_resurrectable(op, t->finalize)) {
                if (was_tracked)
                    rc_gc_track(op);
                return;
            }
        }
    }
    if (flags & RC_TYPE_WEAKREF) {
        rci_weakref **head = rci_weaklist_of(op);
        if (head && *head)   /* the common case, no weak reference: no call */
            rci_weakref_clear_all(op);
    }
    if (RC_UNLIKELY(t->del != NULL) && call_resurrectable(op, t->del)) {
        if (was_tracked)
            rc_gc_track(op);
        return;
    }
    if (t->dealloc)
        t->dealloc(op);
    else if (t->clear)
        t->clear(op);
    if (RC_UNLIKELY(flags & RCI_TYPE_FREELIST) && rci_freelist_push(h, op))
        return;   /* kept for reuse (static built-in types: no type reference) */
    void *mem = gc ? (void *)RCI_AS_LINK(op) : (void *)op;
    if (gc)
        rci_gc_count_free(h);
    op->refcount = -(intptr_t)(uintptr_t)t;   /* the freed poison */
    rci_block_free(h, mem, RCI_API_OBJ, op);
    rc_decref((void *)t);                       /* heap types only; static skip */
}

static void drain_trash(rc_heap *h) {
    h->trash_nesting = 1;   /* destructions inside the loop nest from 1 */
    while (h->ntrash) {
        rc_object *op = h->trash[--h->ntrash];
        int was_tracked = 0;
        if (op->type->flags & RC_TYPE_GC) {
            rci_gc_link *g = RCI_AS_LINK(op);
            was_tracked = (g->prev & RCI_GC_PARKED_TRACKED) != 0;
            g->prev &= ~RCI_GC_PARKED_TRACKED;
        }
        destroy(h, op, was_tracked);
    }
    h->trash_nesting = 0;
    if (h->trash != h->trash_inline)
        rci_os_free(h->trash, (size_t)h->trash_cap * sizeof *h->trash);
    h->trash = NULL;
    h->trash_cap = 0;
}

/* Push op on the trash stack; 0 if it cannot grow.  The inline part serves
 * ordinary chains (they park about one object at a time), so only wide
 * deep structures ask the OS for more. */
static int park(rc_heap *h, rc_object *op) {
    if (!h->trash) {
        h->trash = h->trash_inline;
        h->trash_cap = (intptr_t)(sizeof h->trash_inline / sizeof *h->trash_inline);
    }
    if (h->ntrash == h->trash_cap) {
        intptr_t cap = h->trash_cap * 2;
        rc_object **t = rci_os_malloc((size_t)cap * sizeof *t);
        if (!t)
            return 0;
        memcpy(t, h->trash, (size_t)h->ntrash * sizeof *t);
        if (h->trash != h->trash_inline)
            rci_os_free(h->trash, (size_t)h->trash_cap * sizeof *t);
        h->trash = t;
        h->trash_cap = cap;
    }
    h->trash[h->ntrash++] = op;
    return 1;
}

/* The free list is full: the block goes back (out of line, so that the
 * short path below needs no stack frame). */
static __attribute__((noinline)) void free_weakref_block(rc_heap *h, rc_object *op) {
    rci_gc_count_free(h);
    rci_block_free(h, RCI_AS_LINK(op), RCI_API_OBJ, op);
}

/* A weak reference or proxy without data owns nothing, has no finalizer
 * or del hook, and cannot be weakly referenced itself (its types lack
 * RC_TYPE_WEAKREF): its destruction is untracking, unlinking from the
 * referent's list and the free list - no trashcan level, no generic hooks
 * (create + drop of a weak reference: 220 -> 121 instructions). */
static void destroy_weakref(rc_heap *h, rc_object *op) {
    rci_gc_link *g = RCI_AS_LINK(op);
    if (g->next)
        rci_gc_link_untrack(h, g);
    rci_weakref_unlink_on(h, (rci_weakref *)op);
    op->refcount = -(intptr_t)(uintptr_t)op->type;   /* the freed poison */
    if (!rci_weakref_freelist_push(h, op))
        free_weakref_block(h, op);
}

/* Every other object (out of line, so that the weak-reference path above
 * does not pay for this one's register saves). */
static __attribute__((noinline)) void dealloc_general(rc_heap *h, rc_object *op) {
    /* Untrack first: the collector must never see an object whose count is
     * zero, nor one parked on the trash list. */
    int was_tracked = 0;
    if (op->type->flags & RC_TYPE_GC) {
        rci_gc_link *g = RCI_AS_LINK(op);
        if (g->next) {
            rci_gc_link_untrack(h, g);   /* rc_gc_untrack's list operation */
            was_tracked = 1;
        }
    }
    if (h->trash_nesting >= RCI_TRASH_LIMIT && park(h, op)) {
        if (was_tracked)
            RCI_AS_LINK(op)->prev |= RCI_GC_PARKED_TRACKED;
        return;
    }
    h->trash_nesting++;
    destroy(h, op, was_tracked);
    if (--h->trash_nesting == 0 && h->ntrash)
        drain_trash(h);
}

void rci_dealloc(rc_object *op) {
    rc_heap *h = rci_current_heap;
    if (RC_UNLIKELY(!h))
        rci_object_fatal("reached refcount 0 on a thread with no heap bound", op);
    if ((op->type->flags & RCI_TYPE_FREELIST_WEAKREF) && !((rci_weakref *)op)->data)
        destroy_weakref(h, op);
    else
        dealloc_general(h, op);
}
