/*
 * rcgc/class.h - classes created at run time and their instances: the
 * tutorials' `class Node:` (attributes in a per-instance table) and
 * `class Node: __slots__ = ('a', 'b')` (attributes stored inline).
 *
 * A class is a heap object (a GC-tracked type); each instance holds a
 * reference to its class, so a class lives while any instance or user
 * reference does.  Instances are GC-tracked and their traverse/clear visit
 * every attribute value.
 */
#ifndef RCGC_CLASS_H
#define RCGC_CLASS_H

#include "common.h"
#include "object.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef enum rc_class_kind {
    RC_CLASS_DICT = 0,   /* any attribute name, in a per-instance table */
    RC_CLASS_SLOTS = 1   /* a fixed list of names, stored inline */
} rc_class_kind;

typedef struct rc_class_options {
    rc_class_kind kind;
    const char *const *slots;  /* RC_CLASS_SLOTS: attribute names */
    size_t nslots;
    /* Instances support weak references (default 1; 0 is like a __slots__
     * class without '__weakref__': one pointer smaller). */
    int weakrefs;
    /* __del__ (PEP 442 finalizer, runs at most once) and a legacy tp_del
     * (cycles through it are uncollectable); NULL for none. */
    void (*finalize)(rc_object *self);
    void (*del)(rc_object *self);
} rc_class_options;

/* Fill *opts with defaults: dict-backed, weak references on, no hooks. */
RC_API void rc_class_options_init(rc_class_options *opts);

/* The type of class objects. */
RC_API extern const rc_type rc_class_type;

/* A new class (new reference).  opts NULL = defaults.  Classes themselves
 * support weak references.  RC_CLASS_SLOTS with nslots == 0 is allowed
 * (`__slots__ = ()`).  NULL with RC_ERR_VALUE (empty name; an unknown kind;
 * slot names that are empty, duplicated, not identifiers, not UTF-8, or
 * '__dict__' / '__weakref__'; slots given with RC_CLASS_DICT),
 * RC_ERR_INVALID (name NULL), RC_ERR_NOMEM. */
RC_API rc_object *rc_class_new(const char *name, const rc_class_options *opts);

/* The class's name (borrowed C string), or NULL with RC_ERR_TYPE. */
RC_API const char *rc_class_name(const void *cls);

/* A new instance with no attributes set (slots read as missing until set).
 * NULL with RC_ERR_TYPE if cls is not a class, RC_ERR_NOMEM. */
RC_API rc_object *rc_new_instance(void *cls);

/* obj.name = value (value gains a reference).  -1 with RC_ERR_ATTRIBUTE when
 * a slots class has no such slot ("'Node' object has no attribute 'x'"),
 * RC_ERR_TYPE when obj is not an instance, RC_ERR_INVALID for a NULL obj,
 * name or value (use rc_delattr to remove), RC_ERR_VALUE for a name that is
 * not UTF-8, RC_ERR_OVERFLOW past 2^29 attributes, RC_ERR_NOMEM.  The
 * getters below also give RC_ERR_INVALID for a NULL obj or name. */
RC_API int rc_setattr(void *obj, const char *name, void *value);
/* obj.name as a NEW reference; NULL with RC_ERR_ATTRIBUTE if unset. */
RC_API rc_object *rc_getattr(const void *obj, const char *name);
/* Borrowed variant of rc_getattr, for hot paths. */
RC_API rc_object *rc_getattr_borrowed(const void *obj, const char *name);
/* del obj.name; -1 with RC_ERR_ATTRIBUTE if unset. */
RC_API int rc_delattr(void *obj, const char *name);
/* 1 if set, 0 if not, -1 with RC_ERR_TYPE. */
RC_API int rc_hasattr(const void *obj, const char *name);
/* 1 if op is an instance of a class made by rc_class_new. */
RC_API int rc_is_instance(const void *op);

/* ------------------------------------------------------------------------
 * Slots by index (RC_CLASS_SLOTS classes): the fast path an interpreter
 * uses.  Look a slot's index up once with rc_class_slot_index (as CPython
 * resolves a member descriptor to an offset), then read and write instances
 * with it: no name is hashed, measured or compared.  Slot i is the i-th
 * name given to rc_class_new; an index stays valid for the life of the
 * class.  Each accessor checks that obj is an instance of a slots-backed
 * class and that the index is below *obj's* class's slot count (one
 * compare), so a wrong index is an error, never a stray memory access; it
 * does not check that obj's class is the one the index came from (an index
 * of another class names whatever slot obj's class has at that position).
 *
 * Errors for obj are those of rc_getattr: RC_ERR_INVALID for NULL,
 * RC_ERR_TYPE for an object that is not an instance of a class made by
 * rc_class_new; and further RC_ERR_TYPE when obj's class is dict-backed,
 * RC_ERR_INDEX when index is negative or not below the slot count.
 * ---------------------------------------------------------------------- */

/* The index (0..nslots-1) of slot `name` of cls.  -1 with RC_ERR_TYPE if
 * cls is not a class (NULL included) or is dict-backed, RC_ERR_INVALID for a
 * NULL name, RC_ERR_ATTRIBUTE if cls has no such slot. */
RC_API intptr_t rc_class_slot_index(const void *cls, const char *name);
/* The value of slot `index` of obj as a NEW reference.  NULL with
 * RC_ERR_ATTRIBUTE if the slot is unset ("'Node' object has no attribute
 * 'left'", as rc_getattr), or the errors above. */
RC_API rc_object *rc_getslot(const void *obj, intptr_t index);
/* Borrowed variant of rc_getslot, for hot paths; same errors. */
RC_API rc_object *rc_getslot_borrowed(const void *obj, intptr_t index);
/* Set slot `index` of obj to value, which gains a reference; the previous
 * value's reference is dropped after the slot holds the new one.  0, or -1
 * with RC_ERR_INVALID for a NULL value (as rc_setattr: deleting is
 * rc_delslot, so a failed constructor's NULL is not stored silently) or the
 * errors above. */
RC_API int rc_setslot(void *obj, intptr_t index, void *value);
/* Unset slot `index` of obj (del obj.name), dropping its reference.  0, or
 * -1 with RC_ERR_ATTRIBUTE if the slot is already unset, or the errors
 * above. */
RC_API int rc_delslot(void *obj, intptr_t index);

#ifdef __cplusplus
}
#endif
#endif /* RCGC_CLASS_H */
