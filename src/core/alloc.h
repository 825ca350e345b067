/*
 * core/alloc.h - the inline core of object allocation (core/object.c), for
 * the constructors that want it specialised in their own file: a weak
 * reference (weakref/weakref.c) is made and dropped millions of times, and
 * its type and size are constants there.
 */
#ifndef RCGC_CORE_ALLOC_H
#define RCGC_CORE_ALLOC_H

#include "mem/fastpath.h"

/* Out of line (core/object.c): rc_object_new's checks (a valid type
 * header, a bound heap, a size within RCI_MAX_REQUEST) then the allocation,
 * and the out-of-memory report (undoing the generation-0 count). */
RCI_FUNC void *rci_object_alloc_checked(const rc_type *t, size_t size);
RCI_FUNC void *rci_object_alloc_failed(rc_heap *h, const rc_type *t, size_t pre, size_t n);

/* CPython 3.11 counts every GC allocation and collects right there once
 * generation 0 is over its threshold (before the new object exists). */
static inline void rci_gc_count_alloc(rc_heap *h) {
    if (RC_UNLIKELY(++h->gen[0].count > h->gen[0].threshold))
        rci_gc_maybe_collect(h);
}

/* Zero the n bytes after an object's header.  Small bodies (a multiple of
 * 8 bytes, up to RCI_ZERO_BY_WORDS_MAX) get one 8-byte store per word rather
 * than memset: new fields are often read at once (setting a slot loads its
 * old value to drop it), and on the machine measured (AMD EPYC) a small
 * load from memset's wide vector stores was not store-forwarded and waited
 * for the stores to retire: half of rc_setslot's samples on a fresh
 * instance.  The volatile access keeps the compiler from turning the loop
 * back into a memset call.  Larger bodies use memset, which is faster per
 * byte. */
#define RCI_ZERO_BY_WORDS_MAX 128u
static inline void rci_zero_fields(rc_object *o, size_t n) {
    if (n % sizeof(uintptr_t) || n > RCI_ZERO_BY_WORDS_MAX) {
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
 * RCI_ALLOC_RAW_BODY leaves the bytes after the header as the allocator left
 * them (the caller writes every field before anything can read one: before
 * its next allocation, which may run a collection that traverses the new,
 * tracked object), RCI_ALLOC_STATIC_TYPE skips the type reference (t is
 * immortal, so rc_incref would only load and compare its count). */
enum { RCI_ALLOC_ZEROED = 0, RCI_ALLOC_RAW_BODY = 1, RCI_ALLOC_STATIC_TYPE = 2 };
static inline void *rci_object_alloc_on(rc_heap *h, const rc_type *t, size_t size,
                                        uint32_t flags, unsigned how) {
    size_t pre = (flags & RC_TYPE_GC) ? sizeof(rci_gc_link) : 0;
    if (pre)
        rci_gc_count_alloc(h);
    char *mem = rci_block_alloc(h, pre + size, RCI_API_OBJ);
    if (RC_UNLIKELY(!mem))
        return rci_object_alloc_failed(h, t, pre, pre + size);
    rc_object *o = (rc_object *)(mem + pre);
    o->refcount = 1;
    o->type = t;
    if (!(how & RCI_ALLOC_RAW_BODY))
        rci_zero_fields(o, size - sizeof *o);
    if (!(how & RCI_ALLOC_STATIC_TYPE))
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

/* rci_gc_object_new for a static (immortal) GC, RC_TYPE_TRACK type of
 * `size` bytes (t->basic_size; a constant at the call site) whose
 * constructor writes every field after the header: the body is NOT zeroed
 * and the type gets no reference.  The object is already tracked, so the
 * caller must fill it before it allocates anything (an allocation may run a
 * collection, which would traverse it) and before it can be dropped. */
static inline void *rci_gc_static_object_new_raw(const rc_type *t, size_t size) {
    rc_heap *h = rci_current_heap;
    if (RC_UNLIKELY(!h))
        return rci_object_alloc_checked(t, size);   /* reports RC_ERR_STATE */
    return rci_object_alloc_on(h, t, size, RC_TYPE_GC | RC_TYPE_TRACK,
                               RCI_ALLOC_RAW_BODY | RCI_ALLOC_STATIC_TYPE);
}

#endif /* RCGC_CORE_ALLOC_H */
