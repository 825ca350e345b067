/*
 * types.h - what the built-in types share inside the library: the per-heap
 * state of the types layer (free lists, the interned-string table, the repr
 * recursion guard), the free-list hooks called by dealloc, a string builder
 * for repr, and the hashing helpers.  Private to the library build.
 */
#ifndef RCGC_TYPES_H
#define RCGC_TYPES_H

#include "internal.h"

/* ------------------------------------------------------------------ layouts */

/* str: immutable UTF-8.  The data is NUL-terminated; ob.size is the byte
 * length.  hash is -1 until computed. */
typedef struct rci_str {
    rc_varobject ob;        /* ob.size = bytes */
    int64_t hash;
    intptr_t nchars;        /* code points */
    uint32_t interned;      /* 1 while it is the heap's interned copy */
    uint32_t ascii;         /* 1 if every byte < 0x80 */
    char data[];            /* ob.size bytes + NUL */
} rci_str;

/* bytes: immutable; ob.size = length; data NUL-terminated for convenience. */
typedef struct rci_bytes {
    rc_varobject ob;
    int64_t hash;
    char data[];
} rci_bytes;

/* A zero-copy view of a bytes object's memory (keeps base alive). */
typedef struct rci_bytesview {
    rc_object ob;
    rc_object *base;        /* the bytes object (owned reference) */
    const char *ptr;
    intptr_t len;
} rci_bytesview;

typedef struct rci_tuple {
    rc_varobject ob;        /* ob.size = number of items */
    rc_object *items[];
} rci_tuple;


/* ------------------------------------------------------------------ state */

/* The types state of a heap (it lives inside struct rc_heap). */
#define RCI_TYPES(h) (&(h)->types)

/* ------------------------------------------------------------ free lists */

/* A recycled object of type t (for tuples: with n items), or NULL when the
 * free list is empty.  Its header is reset (refcount 1, type t), its GC link
 * is cleared (untracked, not finalized) and ob_size is set for tuples; every
 * other field is garbage that the caller must initialise. (types/freelist.c) */
RCI_FUNC rc_object *rci_freelist_pop(rc_heap *h, const rc_type *t, intptr_t n);
/* Called by dealloc after the type's dealloc hook: keep op's memory on its
 * free list if it has one and it is not full.  Returns 1 if kept. */
RCI_FUNC int rci_freelist_push(rc_heap *h, rc_object *op);

/* The word after a dead object's header links its free list (every free
 * list: freelist.c and the weak-reference pair below). */
#define RCI_FREELIST_LINK(op) (*(rc_object **)((rc_object *)(op) + 1))

/* The weak-reference free list's own fast pair (weakref/weakref.c pops,
 * core/dealloc.c pushes).  pop returns the raw block (header to be
 * written) or NULL; push keeps op (already poisoned) and returns 1, or 0
 * when the list is full. */
static inline rc_object *rci_weakref_freelist_pop(rc_heap *h) {
    rci_types_state *st = RCI_TYPES(h);
    rc_object *op = st->weakref_free;
    if (op) {
        st->weakref_free = RCI_FREELIST_LINK(op);
        st->weakref_nfree--;
    }
    return op;
}
static inline int rci_weakref_freelist_push(rc_heap *h, rc_object *op) {
    rci_types_state *st = RCI_TYPES(h);
    if (st->weakref_nfree >= RCI_WEAKREF_FREELIST_MAX)
        return 0;
    RCI_FREELIST_LINK(op) = st->weakref_free;
    st->weakref_free = op;
    st->weakref_nfree++;
    return 1;
}
/* Drop every free-list entry (full collections, rc_heap_clear_caches). */
RCI_FUNC void rci_freelist_clear(rc_heap *h);

/* Collector support: untrack t if no item may be tracked (every
 * collection, reference 2.3 step 5); returns 1 if it untracked t.
 * (types/tuple.c) */
RCI_FUNC int rci_tuple_maybe_untrack(rc_object *t);

/* Collector support for full collections: untrack a tracked dict when no
 * key or value may be tracked; returns 1 if it untracked it. (types/dict.c) */
RCI_FUNC int rci_dict_maybe_untrack(rc_object *op);

/* The intern table (types/str.c). */
RCI_FUNC void rci_intern_clear(rc_heap *h);

/* ----------------------------------------------------------- repr support */

typedef struct rci_sb {
    char *buf;
    size_t len, cap;
    int failed;             /* an allocation failed: finish returns NULL */
    char small[200];
} rci_sb;
RCI_FUNC void rci_sb_init(rci_sb *sb);
RCI_FUNC void rci_sb_add(rci_sb *sb, const char *s, size_t n);
RCI_FUNC void rci_sb_adds(rci_sb *sb, const char *s);
RCI_FUNC void rci_sb_addf(rci_sb *sb, const char *fmt, ...) RC_PRINTF(2, 3);
/* Append repr(obj); on error the builder is marked failed. */
RCI_FUNC void rci_sb_add_repr(rci_sb *sb, const void *obj);
/* The built text as a new str (NULL with the error); frees the buffer. */
RCI_FUNC rc_object *rci_sb_finish(rci_sb *sb);
/* Discard without building. */
RCI_FUNC void rci_sb_discard(rci_sb *sb);
/* Py_ReprEnter / Py_ReprLeave: 1 if op's repr is already being built
 * (print "[...]"), 0 if entered, -1 with RC_ERR_RUNTIME past the depth
 * limit. */
RCI_FUNC int rci_repr_enter(const void *op);
RCI_FUNC void rci_repr_leave(const void *op);

/* ------------------------------------------------------------- probing */

/* CPython's open-addressing probe sequence, shared by the dict, set and
 * weak-container tables: start at hash & mask, then i = (i*5 + perturb + 1)
 * & mask after perturb >>= 5.  Every slot of a power-of-two table is
 * reached, and the high bits of the hash take part early. */
#define RCI_PERTURB_SHIFT 5
typedef struct rci_probe {
    size_t i, mask, perturb;
} rci_probe;

static inline rci_probe rci_probe_start(size_t mask, int64_t hash) {
    rci_probe p = {(size_t)hash & mask, mask, (size_t)hash};
    return p;
}

static inline void rci_probe_next(rci_probe *p) {
    p->perturb >>= RCI_PERTURB_SHIFT;
    p->i = (p->i * 5 + p->perturb + 1) & p->mask;
}

/* -------------------------------------------------------------- hashing */

/* A 64-bit hash of n bytes (never -1). */
RCI_FUNC int64_t rci_hash_bytes(const void *data, size_t n);
/* Python's numeric hash: equal values of int and float hash alike. */
RCI_FUNC int64_t rci_hash_i64(int64_t v);
RCI_FUNC int64_t rci_hash_double(double v);
/* Hash of a pointer (identity hash; never -1). */
RCI_FUNC int64_t rci_hash_pointer(const void *p);

/* ------------------------------------------------------------- sizeof */
/* Extra bytes a container owns beyond its fixed layout (item arrays,
 * tables); 0 for types without. Implemented next to each type. */
RCI_FUNC intptr_t rci_list_extra_size(const rc_object *op);
RCI_FUNC intptr_t rci_dict_extra_size(const rc_object *op);
RCI_FUNC intptr_t rci_set_extra_size(const rc_object *op);

/* ------------------------------------------------------ helpers for types */
/* Error for a call on the wrong type: "rc_list_append: expected list, got 'int'". */
RCI_FUNC int rci_type_error(const char *fn, const char *expected, const void *got);
RCI_FUNC void *rci_type_error_null(const char *fn, const char *expected, const void *got);
/* KeyError whose message is repr(key), as str(KeyError(key)) in Python (dicts
 * and the weak dictionaries report missing keys so). */
RCI_FUNC void rci_key_error(const rc_object *key);
/* Allocate a new object on the current heap (rc_object_new / rc_varobject_new
 * without the argument checks). NULL with the error set. */
RCI_FUNC void *rci_new(const rc_type *t);
RCI_FUNC void *rci_new_var(const rc_type *t, intptr_t n);

#endif /* RCGC_TYPES_H */
