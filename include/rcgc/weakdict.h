/*
 * rcgc/weakdict.h - the weak containers of Python's `weakref` module:
 * WeakValueDictionary (the tutorials' cache), WeakKeyDictionary and
 * WeakSet.
 *
 * Ownership follows the rest of the library (include/rcgc/builtins.h):
 * every function returning an object returns a NEW reference, functions
 * that store an object take their own reference (they never steal), and a
 * failure is NULL or -1 with rc_error_code() / rc_error_message().
 * Containers are objects of the calling thread's current heap.
 *
 * What is held how:
 *   - a weak-value dictionary holds its keys strongly and its values
 *     weakly: an entry disappears when its value dies;
 *   - a weak-key dictionary holds its keys weakly and its values strongly,
 *     as an ephemeron table: a value counts as reachable for the collector
 *     only while its key is, so a value that refers to its own key does not
 *     keep the entry alive (CPython's WeakKeyDictionary leaks such entries;
 *     rcgc frees key, value and entry in the next collection);
 *   - a weak set holds its items weakly.
 * Keys and set items are compared with rc_hash / rc_eq, as in a dict.
 * Weakly held objects must support weak references (RC_TYPE_WEAKREF;
 * instances of rc_class_new classes do by default), otherwise the call
 * fails with RC_ERR_TYPE ("cannot create weak reference to 'int' object").
 *
 * Lookups.  rc_weak*dict_get is d[key]: a missing key (or a dead entry)
 * is an RC_ERR_KEY error with repr(key) as its message.
 * rc_weak*dict_get_ref is d.get(key): a miss is a plain 0 with no error,
 * the call for caches, where a miss is a normal event.
 *
 * Entries die on their own.  An entry whose weakly held object dies is
 * removed by a weak-reference callback - at once, or, while the container
 * is being iterated, when the last iteration ends (CPython's
 * _IterationGuard and _pending_removals).  A dead entry is never returned
 * and never counted by the *_len functions, even before it is removed.
 *
 * Iteration.  rc_weak*_iter starts an iteration: the iterator holds a
 * reference to the container and an iteration guard, so that entries
 * dying meanwhile - by refcount, or in a collection triggered by whatever
 * the loop body allocates - never disturb it.  rc_weak*_next returns 1 with
 * NEW references (each output pointer may be NULL to skip it), 0 at the
 * end, -1 on error; at the end or on error it ends the iteration itself.
 * A loop left early must call rc_weakiter_end (always safe to call, also
 * twice).  While an iteration is open, removing entries and replacing
 * values is allowed; adding a key or clearing the container makes the next
 * call fail with RC_ERR_RUNTIME ("... changed size during iteration"), as
 * changing a dict while iterating over it does in Python.
 *
 *     rc_weakiter it;
 *     rc_object *k, *v;
 *     rc_weakvaluedict_iter(cache, &it);
 *     while (rc_weakvaluedict_next(&it, &k, &v) > 0) {
 *         ... use k and v ...
 *         rc_decref(k);
 *         rc_decref(v);
 *     }
 *
 * The *_keys / *_values / *_items / rc_weakset_items functions return
 * snapshots as new lists built under an iteration guard.
 */
#ifndef RCGC_WEAKDICT_H
#define RCGC_WEAKDICT_H

#include "common.h"
#include "object.h"

#ifdef __cplusplus
extern "C" {
#endif

/* The container types (immortal). */
RC_API extern const rc_type rc_weakvaluedict_type, rc_weakkeydict_type, rc_weakset_type;

/* An iteration over a weak container.  Fill it with rc_weak*_iter; its
 * fields are private.  container is NULL once the iteration has ended. */
typedef struct rc_weakiter {
    rc_object *container;   /* held (a reference and a guard) while iterating */
    intptr_t pos;           /* next entry to look at */
    uint64_t version;       /* the container's key version at the start */
} rc_weakiter;

/* End an iteration early: release the guard (committing the removals it
 * deferred when it was the last one) and the container.  A no-op for an
 * iteration that has already ended, or it NULL. */
RC_API void rc_weakiter_end(rc_weakiter *it);

/* ====================================================================
 * WeakValueDictionary: key (strong) -> value (weak)
 * ================================================================== */

/* A new empty weak-value dictionary (a GC object).  NULL with RC_ERR_NOMEM
 * or RC_ERR_STATE (no heap). */
RC_API rc_object *rc_weakvaluedict_new(void);

/* d[key] = value: key gains a reference, value only a weak one.  Setting
 * an existing key keeps the stored key object and replaces the value.
 * 0, or -1 with RC_ERR_TYPE (d is not a weak-value dictionary, key
 * unhashable, value does not support weak references), RC_ERR_INVALID
 * (NULL key or value), RC_ERR_NOMEM, or an error of key's equality hook. */
RC_API int rc_weakvaluedict_set(void *d, void *key, void *value);

/* d[key]: the value as a NEW reference.  NULL with RC_ERR_KEY (message:
 * repr(key)) when key is missing or its value is dead, RC_ERR_TYPE (not a
 * weak-value dictionary, unhashable key), RC_ERR_INVALID (NULL). */
RC_API rc_object *rc_weakvaluedict_get(const void *d, const void *key);

/* d.get(key) without an error for a miss (CPython's PyDict_GetItemRef):
 * 1 with a NEW reference to the value in *value; 0 with *value = NULL and
 * no error when key is missing or its value is dead (a cache miss builds
 * no error message); -1 with the errors of rc_weakvaluedict_get other than
 * RC_ERR_KEY, or RC_ERR_INVALID when value is NULL. */
RC_API int rc_weakvaluedict_get_ref(const void *d, const void *key, rc_object **value);

/* key in d: 1 if present with a live value, 0 if not, -1 with the errors
 * of rc_weakvaluedict_get other than RC_ERR_KEY. */
RC_API int rc_weakvaluedict_contains(const void *d, const void *key);

/* del d[key]: 0, or -1 with RC_ERR_KEY (missing or dead) and the errors of
 * rc_weakvaluedict_get. */
RC_API int rc_weakvaluedict_del(void *d, const void *key);

/* d.pop(key): removes the entry and returns its value as a NEW reference;
 * NULL with RC_ERR_KEY (missing or dead) and the errors of
 * rc_weakvaluedict_get. */
RC_API rc_object *rc_weakvaluedict_pop(void *d, const void *key);

/* d.setdefault(key, value): the live value stored for key (NEW reference),
 * or, when there is none, value after storing it under key (a NEW
 * reference to value).  NULL with the errors of rc_weakvaluedict_set. */
RC_API rc_object *rc_weakvaluedict_setdefault(void *d, void *key, void *value);

/* d.popitem(): removes the most recently inserted entry whose value is
 * alive and stores NEW references in *key and *value.  -1 with RC_ERR_KEY
 * ("popitem(): dictionary is empty"), RC_ERR_INVALID (NULL outputs),
 * RC_ERR_TYPE. */
RC_API int rc_weakvaluedict_popitem(void *d, rc_object **key, rc_object **value);

/* Remove every entry.  0, or -1 with RC_ERR_TYPE. */
RC_API int rc_weakvaluedict_clear(void *d);

/* len(d): entries whose value is alive.  -1 with RC_ERR_TYPE. */
RC_API intptr_t rc_weakvaluedict_len(const void *d);

/* Start an iteration in insertion order (see the top of this file).
 * 0, or -1 with RC_ERR_TYPE / RC_ERR_INVALID (it NULL); on failure the
 * iterator is left ended. */
RC_API int rc_weakvaluedict_iter(void *d, rc_weakiter *it);
/* The next (key, value) pair with a live value, as NEW references. */
RC_API int rc_weakvaluedict_next(rc_weakiter *it, rc_object **key, rc_object **value);

/* Snapshots: new lists of the keys, values, or (key, value) tuples of the
 * entries whose value is alive, in insertion order.  NULL with RC_ERR_TYPE
 * or RC_ERR_NOMEM. */
RC_API rc_object *rc_weakvaluedict_keys(void *d);
RC_API rc_object *rc_weakvaluedict_values(void *d);
RC_API rc_object *rc_weakvaluedict_items(void *d);

/* ====================================================================
 * WeakKeyDictionary: key (weak) -> value (strong), an ephemeron table
 * ================================================================== */

/* A new empty weak-key dictionary (a GC object).  NULL with RC_ERR_NOMEM
 * or RC_ERR_STATE. */
RC_API rc_object *rc_weakkeydict_new(void);

/* d[key] = value: key gains only a weak reference, value a strong one.
 * Setting an existing key replaces the value.  0, or -1 with RC_ERR_TYPE
 * (d is not a weak-key dictionary, key unhashable or not weakly
 * referenceable), RC_ERR_INVALID (NULL key or value), RC_ERR_NOMEM, or an
 * error of key's equality hook. */
RC_API int rc_weakkeydict_set(void *d, void *key, void *value);

/* d[key]: the value as a NEW reference.  NULL with RC_ERR_KEY (repr(key))
 * when missing, RC_ERR_TYPE (not a weak-key dictionary; key unhashable or
 * not weakly referenceable, as Python's ref(key) fails), RC_ERR_INVALID. */
RC_API rc_object *rc_weakkeydict_get(const void *d, const void *key);

/* d.get(key) without an error for a miss: 1 with a NEW reference in
 * *value, 0 with *value = NULL and no error when key is missing (or dead),
 * -1 with the errors of rc_weakkeydict_get other than RC_ERR_KEY (a key
 * that cannot be weakly referenced is RC_ERR_TYPE, as Python's
 * WeakKeyDictionary.get), or RC_ERR_INVALID when value is NULL. */
RC_API int rc_weakkeydict_get_ref(const void *d, const void *key, rc_object **value);

/* key in d: 1 or 0; 0 also for a key that cannot be weakly referenced (as
 * in Python); -1 with RC_ERR_TYPE (unhashable, not a weak-key dictionary)
 * or RC_ERR_INVALID. */
RC_API int rc_weakkeydict_contains(const void *d, const void *key);

/* del d[key]: 0, or -1 with RC_ERR_KEY and the errors of
 * rc_weakkeydict_get. */
RC_API int rc_weakkeydict_del(void *d, const void *key);

/* d.pop(key): the removed value as a NEW reference; NULL with RC_ERR_KEY
 * and the errors of rc_weakkeydict_get. */
RC_API rc_object *rc_weakkeydict_pop(void *d, const void *key);

/* d.setdefault(key, value): the value stored for key (NEW reference), or
 * value after storing it (NEW reference).  NULL with the errors of
 * rc_weakkeydict_set. */
RC_API rc_object *rc_weakkeydict_setdefault(void *d, void *key, void *value);

/* d.popitem(): removes the most recently inserted entry whose key is alive
 * and stores NEW references in *key and *value.  -1 with RC_ERR_KEY
 * ("popitem(): dictionary is empty"), RC_ERR_INVALID, RC_ERR_TYPE. */
RC_API int rc_weakkeydict_popitem(void *d, rc_object **key, rc_object **value);

/* Remove every entry.  0, or -1 with RC_ERR_TYPE. */
RC_API int rc_weakkeydict_clear(void *d);

/* len(d): entries whose key is alive.  -1 with RC_ERR_TYPE. */
RC_API intptr_t rc_weakkeydict_len(const void *d);

/* Iteration in insertion order over the entries whose key is alive; next
 * gives (key, value) as NEW references.  As rc_weakvaluedict_iter/next. */
RC_API int rc_weakkeydict_iter(void *d, rc_weakiter *it);
RC_API int rc_weakkeydict_next(rc_weakiter *it, rc_object **key, rc_object **value);

/* Snapshots as new lists (keys, values, (key, value) tuples). */
RC_API rc_object *rc_weakkeydict_keys(void *d);
RC_API rc_object *rc_weakkeydict_values(void *d);
RC_API rc_object *rc_weakkeydict_items(void *d);

/* ====================================================================
 * WeakSet: items held weakly
 * ================================================================== */

/* A new empty weak set.  It holds no strong reference to anything, so it
 * cannot be part of a cycle and is not a GC object.  NULL with
 * RC_ERR_NOMEM or RC_ERR_STATE. */
RC_API rc_object *rc_weakset_new(void);

/* s.add(item): 0 (also when an equal item is already there: the existing
 * one is kept), or -1 with RC_ERR_TYPE (not a weak set, item unhashable or
 * not weakly referenceable), RC_ERR_INVALID, RC_ERR_NOMEM. */
RC_API int rc_weakset_add(void *s, void *item);

/* s.discard(item): 1 if it was removed, 0 if absent, -1 with RC_ERR_TYPE
 * (not a weak set; item unhashable or not weakly referenceable, as
 * Python's ref(item) fails) or RC_ERR_INVALID. */
RC_API int rc_weakset_discard(void *s, const void *item);

/* item in s: 1 or 0 (0 for items that cannot be weakly referenced), -1 as
 * rc_weakset_discard. */
RC_API int rc_weakset_contains(const void *s, const void *item);

/* s.pop(): removes the most recently added live item and returns it (NEW
 * reference).  NULL with RC_ERR_KEY ("pop from empty WeakSet"),
 * RC_ERR_TYPE. */
RC_API rc_object *rc_weakset_pop(void *s);

/* Remove every item.  0, or -1 with RC_ERR_TYPE. */
RC_API int rc_weakset_clear(void *s);

/* len(s): live items.  -1 with RC_ERR_TYPE. */
RC_API intptr_t rc_weakset_len(const void *s);

/* Iteration over the live items in insertion order (next gives a NEW
 * reference); as rc_weakvaluedict_iter/next. */
RC_API int rc_weakset_iter(void *s, rc_weakiter *it);
RC_API int rc_weakset_next(rc_weakiter *it, rc_object **item);

/* Snapshot: a new list of the live items. */
RC_API rc_object *rc_weakset_items(void *s);

#ifdef __cplusplus
}
#endif
#endif /* RCGC_WEAKDICT_H */
