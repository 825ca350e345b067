/*
 * rcgc/object.h - the object model: header, type descriptor, reference
 * counting (inline), object allocation and immediate destruction.
 *
 * Layout of an object in memory (CPython's, 64-bit):
 *
 *     [rc_gc_link: 16 bytes, only for RC_TYPE_GC types]   <- block start
 *     [refcount: 8][type: 8]                               <- rc_object *
 *     [size: 8]                                            (variable-size only)
 *     [type-specific fields...]
 *
 * The GC link lives *before* the object, invisible to users, as PyGC_Head
 * does.  Immortal objects (static singletons, static types) carry a
 * saturated refcount; increments and decrements skip them and never write
 * their header.
 */
#ifndef RCGC_OBJECT_H
#define RCGC_OBJECT_H

#include "common.h"
#include "heap.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct rc_type rc_type;

/* Every object starts with this header. */
typedef struct rc_object {
    intptr_t refcount;
    const rc_type *type;
} rc_object;

/* Variable-size objects add an item count. */
typedef struct rc_varobject {
    rc_object base;
    intptr_t size;
} rc_varobject;

/* The saturated refcount of immortal objects.  Any count at or above it is
 * immortal; no sequence of increments can reach it from a real count. */
#define RC_IMMORTAL_REFCNT ((intptr_t)1 << 62)

/* Initializer for the header of a statically allocated immortal object. */
#define RC_STATIC_OBJECT_INIT(typeptr) { RC_IMMORTAL_REFCNT, (typeptr) }

/* ------------------------------------------------------------------------
 * Type descriptor
 * ---------------------------------------------------------------------- */

/* Visitor called by traverse for every reference an object holds; a nonzero
 * return stops the traversal and is returned by traverse. */
typedef int (*rc_visitproc)(rc_object *referent, void *arg);

enum {
    RC_TYPE_GC       = 1u << 0, /* instances carry the 16-byte GC link */
    RC_TYPE_WEAKREF  = 1u << 1, /* instances may be weakly referenced */
    RC_TYPE_IMMORTAL = 1u << 2, /* this descriptor is a static, immortal type */
    RC_TYPE_ACYCLIC  = 1u << 3, /* instances can never be part of a cycle */
    RC_TYPE_VAR      = 1u << 4, /* instances are rc_varobject with item_size items */
    RC_TYPE_TRACK    = 1u << 5  /* GC instances start tracked (else untracked) */
    /* bits 24..31 are reserved for the library's built-in types */
};

struct rc_type {
    rc_object ob_base;          /* types are objects; static ones are immortal */
    const char *name;           /* e.g. "Node" */
    size_t basic_size;          /* sizeof the instance struct (without GC link) */
    size_t item_size;           /* bytes per item for RC_TYPE_VAR types */
    uint32_t flags;             /* RC_TYPE_* */
    /* Visit every object reference the instance holds (for the collector
     * and the inspection tools).  NULL: holds none. */
    int (*traverse)(rc_object *self, rc_visitproc visit, void *arg);
    /* Drop the references the instance holds, leaving it valid (tp_clear). */
    int (*clear)(rc_object *self);
    /* PEP 442 finalizer (__del__): runs once per GC object, before weak
     * references are cleared; may resurrect the object. */
    void (*finalize)(rc_object *self);
    /* Legacy finalizer (tp_del): cycles through an object that has one are
     * uncollectable and go to the garbage list. */
    void (*del)(rc_object *self);
    /* Release what the instance owns (rc_decref its fields, free buffers).
     * It must NOT free the object itself: the library does that after it
     * returns.  NULL: `clear` is called instead. */
    void (*dealloc)(rc_object *self);
    /* Hash, equality and repr hooks used by the built-in containers (later
     * layers).  NULL: identity hash / identity equality / default repr. */
    int64_t (*hash)(rc_object *self);
    int (*eq)(rc_object *self, rc_object *other);
    rc_object *(*repr)(rc_object *self);
    /* Offset of the weak-reference list head inside instances (types with
     * RC_TYPE_WEAKREF); 0 otherwise. */
    size_t weaklist_offset;
    /* Bytes the instance owns outside its own block (buffers, tables), for
     * rc_sizeof; NULL: none. */
    intptr_t (*extra_size)(const rc_object *self);
};

/* The type of static types ("type"); immortal. */
RC_API extern const rc_type rc_type_type;

/* Initializer for the first fields of a static type descriptor. */
#define RC_STATIC_TYPE_HEAD RC_STATIC_OBJECT_INIT(&rc_type_type)

/* ------------------------------------------------------------------------
 * Reference counting.  Ownership follows CPython: a function returns a new
 * reference unless its documentation says "borrowed".  These accept any
 * pointer to a struct that begins with an rc_object header.
 * ---------------------------------------------------------------------- */

/* Out-of-line parts: destruction at zero and the refcount error report. */
RC_API void rc__decref_slow(rc_object *op);

static inline int rc_is_immortal(const void *op) {
    return ((const rc_object *)op)->refcount >= RC_IMMORTAL_REFCNT;
}

/* Add a reference.  op must not be NULL. */
static inline void rc_incref(void *op) {
    rc_object *o = (rc_object *)op;
    if (RC_LIKELY(o->refcount < RC_IMMORTAL_REFCNT))
        o->refcount++;
}

/* Drop a reference; at zero the object is destroyed at once (finalizer,
 * weak references, dealloc hook, memory).  op must not be NULL.  A count
 * that is already zero or negative (underflow, use of a freed object) ends
 * the process with a diagnostic naming the object and its type. */
static inline void rc_decref(void *op) {
    rc_object *o = (rc_object *)op;
    intptr_t r = o->refcount;
    if (RC_UNLIKELY(r >= RC_IMMORTAL_REFCNT))
        return;
    if (RC_LIKELY(r > 1)) {
        o->refcount = r - 1;
        return;
    }
    rc__decref_slow(o);
}

static inline void rc_xincref(void *op) { if (op) rc_incref(op); }
static inline void rc_xdecref(void *op) { if (op) rc_decref(op); }

/* Add a reference and return op: `x->field = rc_newref(y);`. */
static inline void *rc_newref(void *op) { rc_incref(op); return op; }
static inline void *rc_xnewref(void *op) { rc_xincref(op); return op; }

/* Py_CLEAR: slot is the address of an object pointer (any T **).  Sets the
 * slot to NULL first, then drops the old reference, so a destructor that
 * looks at the slot sees NULL. */
static inline void rc_clear(void *slot) {
    rc_object **p = (rc_object **)slot;
    rc_object *old = *p;
    if (old) { *p = NULL; rc_decref(old); }
}

/* Py_SETREF: store newref (whose reference is stolen; may be NULL) in the
 * slot, then drop the old value's reference. */
static inline void rc_setref(void *slot, void *newref) {
    rc_object **p = (rc_object **)slot;
    rc_object *old = *p;
    *p = (rc_object *)newref;
    rc_xdecref(old);
}

/* The reference count of op (sys.getrefcount, but WITHOUT the +1 Python adds
 * for the call argument: a fresh object reports 1).  Immortal objects report
 * RC_IMMORTAL_REFCNT.  A freed object ends the process with a diagnostic;
 * NULL returns -1 with RC_ERR_INVALID. */
RC_API intptr_t rc_refcount(const void *op);

/* ------------------------------------------------------------------------
 * Allocation of objects (on the current heap)
 * ---------------------------------------------------------------------- */

/* A new instance of a fixed-size type: refcount 1, every field after the
 * header zeroed; GC types start tracked if they have RC_TYPE_TRACK.  A heap
 * type (one that is not immortal) gains a reference held by the instance.
 * Returns NULL with RC_ERR_INVALID (type NULL, RC_TYPE_VAR, basic_size
 * smaller than the header, or a static type without RC_STATIC_TYPE_HEAD),
 * RC_ERR_OVERFLOW (basic_size too large), RC_ERR_NOMEM, or RC_ERR_STATE (no
 * current heap). */
RC_API void *rc_object_new(const rc_type *type);

/* A new instance of a variable-size type with nitems items (size field set).
 * NULL with RC_ERR_OVERFLOW if the size overflows, RC_ERR_VALUE if nitems is
 * negative, otherwise as rc_object_new. */
RC_API void *rc_varobject_new(const rc_type *type, intptr_t nitems);

/* The type of op (borrowed) and its name. */
static inline const rc_type *rc_type_of(const void *op) {
    return ((const rc_object *)op)->type;
}
RC_API const char *rc_type_name(const void *op);

/* ------------------------------------------------------------------------
 * Collector link (layout fixed here; the collector uses it)
 * ---------------------------------------------------------------------- */

/* Start tracking a GC object (it joins generation 0 of the current heap).
 * -1 with RC_ERR_INVALID for NULL, RC_ERR_TYPE for a non-GC object,
 * RC_ERR_VALUE if it is already tracked, RC_ERR_STATE if no heap is bound. */
RC_API int rc_gc_track(void *op);
/* Stop tracking; a no-op for untracked or non-GC objects.  Returns 0. */
RC_API int rc_gc_untrack(void *op);
/* 1 if op is a tracked GC object, else 0. */
RC_API int rc_gc_is_tracked(const void *op);

#ifdef __cplusplus
}
#endif
#endif /* RCGC_OBJECT_H */
