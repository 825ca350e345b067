/*
 * gclist.h - the collector's doubly linked lists of GC links and the
 * gc_refs word (CPython's pycore_gc.h scheme, reference 1.2).
 *
 * A link's `next` is the next link (0 = untracked).  Its `prev` keeps four
 * flag bits below the pointer: FINALIZED (persistent), COLLECTING (during a
 * collection) and the two-bit generation tag (internal.h), which inside the
 * set being collected becomes the UNREACHABLE mark (below).  While a
 * collection computes reachability, `prev` temporarily holds gc_refs << 4
 * instead of the pointer (the flags stay) and the list is singly linked.
 */
#ifndef RCGC_GC_LIST_H
#define RCGC_GC_LIST_H

#include "internal.h"

#define GC_PREV_MASK (~RCI_GC_FLAGS)

/* The passes' hot helpers must be inlined into their loops, where the
 * visitor passed as a function pointer becomes a direct, inlined call. */
#if defined(__GNUC__) || defined(__clang__)
#  define GC_INLINE inline __attribute__((always_inline))
#else
#  define GC_INLINE inline
#endif
#define GC_REFS_SHIFT 4

static inline rci_gc_link *gc_next(const rci_gc_link *g) { return (rci_gc_link *)g->next; }
static inline rci_gc_link *gc_prev(const rci_gc_link *g) {
    return (rci_gc_link *)(g->prev & GC_PREV_MASK);
}
static inline void gc_set_next(rci_gc_link *g, rci_gc_link *n) { g->next = (uintptr_t)n; }
static inline void gc_set_prev(rci_gc_link *g, rci_gc_link *p) {
    g->prev = (g->prev & ~GC_PREV_MASK) | (uintptr_t)p;
}

static inline void gc_list_init(rci_gc_link *l) { l->next = l->prev = (uintptr_t)l; }
static inline int gc_list_is_empty(const rci_gc_link *l) { return l->next == (uintptr_t)l; }

static inline void gc_list_append(rci_gc_link *node, rci_gc_link *list) {
    rci_gc_link *last = (rci_gc_link *)list->prev;
    gc_set_prev(node, last);
    gc_set_next(last, node);
    gc_set_next(node, list);
    list->prev = (uintptr_t)node;
}

static inline void gc_list_remove(rci_gc_link *node) {
    rci_gc_link *prev = gc_prev(node), *next = gc_next(node);
    gc_set_next(prev, next);
    gc_set_prev(next, prev);
    node->next = 0;
}

static inline void gc_list_move(rci_gc_link *node, rci_gc_link *list) {
    rci_gc_link *from_prev = gc_prev(node), *from_next = gc_next(node);
    gc_set_next(from_prev, from_next);
    gc_set_prev(from_next, from_prev);
    rci_gc_link *to_prev = (rci_gc_link *)list->prev;
    gc_set_prev(node, to_prev);
    gc_set_next(to_prev, node);
    list->prev = (uintptr_t)node;
    gc_set_next(node, list);
}

/* Append every link of from to the end of to; from becomes empty. */
static inline void gc_list_merge(rci_gc_link *from, rci_gc_link *to) {
    if (gc_list_is_empty(from))
        return;
    rci_gc_link *to_tail = (rci_gc_link *)to->prev;
    rci_gc_link *from_head = gc_next(from), *from_tail = (rci_gc_link *)from->prev;
    gc_set_next(to_tail, from_head);
    gc_set_prev(from_head, to_tail);
    gc_set_next(from_tail, to);
    to->prev = (uintptr_t)from_tail;
    gc_list_init(from);
}

static inline intptr_t gc_list_size(const rci_gc_link *l) {
    intptr_t n = 0;
    for (const rci_gc_link *g = gc_next(l); g != l; g = gc_next(g))
        n++;
    return n;
}

/* gc_refs, kept in prev while a collection computes reachability. */
static inline intptr_t gc_get_refs(const rci_gc_link *g) {
    return (intptr_t)(g->prev >> GC_REFS_SHIFT);
}
static inline void gc_set_refs(rci_gc_link *g, intptr_t refs) {
    g->prev = (g->prev & ~GC_PREV_MASK) | ((uintptr_t)refs << GC_REFS_SHIFT);
}
/* Enter the set with gc_refs = refs.  The generation tag is dropped: once
 * an object is in the set nothing reads it (the fused pass asks only about
 * objects not yet in the set), and every path out of the set writes a new
 * one; meanwhile the tag's bits serve as the UNREACHABLE mark below. */
static inline void gc_reset_refs(rci_gc_link *g, intptr_t refs) {
    g->prev = (g->prev & RCI_GC_FINALIZED) | RCI_GC_COLLECTING |
              ((uintptr_t)refs << GC_REFS_SHIFT);
}
static inline void gc_sub_refs(rci_gc_link *g, intptr_t n) {
    g->prev -= (uintptr_t)n << GC_REFS_SHIFT;
}

static inline int gc_is_collecting(const rci_gc_link *g) { return (g->prev & RCI_GC_COLLECTING) != 0; }

/* "Tentatively unreachable" (on move_unreachable's unreachable list), for an
 * object in the set: the generation tag's bits all set, a value no object
 * in the set has otherwise (the permanent generation is never collected,
 * and gc_reset_refs clears the tag).  CPython marks these in the next word
 * instead, which costs a walk over the garbage to clear the marks before
 * anything may unlink an object; prev-word flags survive list operations. */
#define GC_TAG_UNREACHABLE RCI_GC_GEN_MASK
static inline int gc_is_unreachable_mark(const rci_gc_link *g) {
    return (g->prev & GC_TAG_UNREACHABLE) == GC_TAG_UNREACHABLE;
}
static inline void gc_clear_collecting(rci_gc_link *g) { g->prev &= ~RCI_GC_COLLECTING; }

/* The generation tag (internal.h) as prev's bits: gc_gen_bits(2) etc. */
static inline uintptr_t gc_gen_bits(int generation) {
    return (uintptr_t)generation << RCI_GC_GEN_SHIFT;
}
static inline void gc_set_gen(rci_gc_link *g, int generation) {
    g->prev = (g->prev & ~RCI_GC_GEN_MASK) | gc_gen_bits(generation);
}
/* Tag every link of l with generation (before l is merged into it). */
static inline void gc_list_set_gen(rci_gc_link *l, int generation) {
    for (rci_gc_link *g = gc_next(l); g != l; g = gc_next(g))
        gc_set_gen(g, generation);
}

/* The link of op if op is a tracked GC object, else NULL. */
static inline rci_gc_link *gc_link_of(const rc_object *op) {
    if (!(op->type->flags & RC_TYPE_GC))
        return NULL;
    rci_gc_link *g = RCI_AS_LINK(op);
    return g->next ? g : NULL;
}

#endif /* RCGC_GC_LIST_H */
