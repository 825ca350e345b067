/*
 * weakref/weaktable.h - the table shared by the three weak containers
 * (weakvaluedict.c, weakkeydict.c, weakset.c): storage, lookup, the private
 * weak references whose callbacks remove dead entries, iteration guards
 * with deferred removal, snapshots, and the type hooks.
 *
 * Why a table of our own rather than an rc dict inside the container:
 *   - the weak-key dictionary must be an ephemeron table: the collector
 *     asks the container itself for its entries (weakref.h), which a
 *     separate dict object, traversed as an ordinary dict, cannot give;
 *   - removal must find "the entry that still holds this dead reference"
 *     without running user code: here that is a probe by the stored hash
 *     comparing reference pointers (no rc_eq, no allocation), so it is
 *     safe from a callback delivered in the middle of a collection;
 *   - a weak-key lookup compares the live referents directly instead of
 *     allocating a temporary weak reference per lookup as CPython does.
 * The layout is the compact dict's (types/dict.c): an index of int32 slots
 * (EMPTY, DUMMY or an entry position) and an entries array in insertion
 * order, so iteration order is insertion order and a removal leaves a hole
 * instead of moving entries (positions held by iterators stay valid).
 *
 * One entry is {hash, ref, obj}:
 *   weak-value dict: obj = the key (strong), ref -> the value;
 *   weak-key dict:   ref -> the key, obj = the value (strong);
 *   weak set:        ref -> the item, obj = NULL.
 * "The referent" below is what ref points at; an entry is live while its
 * referent is.
 *
 * Invariants:
 *   - r->table != NULL  <=>  r sits in an entry of the live table
 *     r->table (the table holds the only strong reference the entry needs;
 *     anyone else who holds r - the callback machinery, a user who found
 *     it through rc_weakref_list - may keep the object, but the moment the
 *     entry lets go of r, r->table is reset and r's callback detached).
 *     That is why the callback may use the borrowed table pointer;
 *   - used counts entries holding a ref; npending of them are dead and on
 *     the pending chain waiting for the last iteration guard to end; the
 *     length users see is used - npending (dead entries not yet removed
 *     in the brief moment between a referent's death and its callback are
 *     still counted, as in CPython);
 *   - while iterating > 0 nothing removes an entry on its own: callbacks
 *     push the dead ref on the pending chain (no allocation: the chain is
 *     threaded through the refs, each holding one reference) and the last
 *     guard to end commits the removals;
 *   - version changes when a key is added, the table is rebuilt or
 *     cleared: exactly the events that invalidate an iterator's position.
 */
#ifndef RCGC_WEAKTABLE_H
#define RCGC_WEAKTABLE_H

#include "weakref.h"
#include "rcgc/weakdict.h"

typedef struct rci_wtable rci_wtable;

/* The private weak reference of an entry (80 bytes, not a GC object: it
 * holds no strong reference, so it cannot be part of a cycle; its
 * callback therefore also runs when the collector frees its referent
 * together with the table, which is harmless: the table is still intact
 * at that point).  wr.hash holds the entry's hash (the key's, or for weak
 * keys the referent's), so the entry can be found after the referent is
 * gone. */
typedef struct rci_wtref {
    rci_weakref wr;
    rci_wtable *table;               /* borrowed; see the invariants */
    struct rci_wtref *pending_next;  /* non-NULL while on the pending chain */
} rci_wtref;

typedef struct rci_wentry {
    int64_t hash;
    rci_wtref *ref;      /* NULL: a hole left by a removal */
    rc_object *obj;      /* strong; NULL in a weak set */
} rci_wentry;

typedef struct rci_wkeys rci_wkeys;   /* index + entries block (weaktable.c) */

struct rci_wtable {
    rc_object ob;
    rci_wkeys *keys;        /* NULL while nothing was ever stored (or cleared) */
    intptr_t used;          /* entries holding a ref */
    intptr_t nentries;      /* entries handed out (holes included) */
    intptr_t npending;      /* dead entries whose removal is deferred */
    intptr_t iterating;     /* open iteration guards */
    rci_wtref *pending;     /* the deferred removals (NULL: none) */
    uint64_t version;
    int kind;               /* rci_wt_kind */
    rci_weakref *weaklist;  /* weak references to the container itself */
};

/* What the referent of an entry is. */
typedef enum rci_wt_kind {
    RCI_WT_VALUEDICT,   /* the value (the key is obj) */
    RCI_WT_KEYDICT,     /* the key (the value is obj) */
    RCI_WT_SET          /* the item (no obj) */
} rci_wt_kind;

/* 1 if the key of an entry is its referent. */
static inline int rci_wt_weak_keys(const rci_wtable *t) { return t->kind != RCI_WT_VALUEDICT; }

#define RCI_WT_MISSING ((intptr_t)-1)
#define RCI_WT_ERROR ((intptr_t)-2)

/* ====================================================================
 * Storage (weaktable.c).  No argument checks: the operations layer below
 * has done them.
 * ================================================================== */

/* A new empty container of type t (laid out as rci_wtable). */
RCI_FUNC rc_object *rci_wt_new(const rc_type *t, rci_wt_kind kind);

/* The entry at position ix (valid until the table is changed). */
RCI_FUNC rci_wentry *rci_wt_entry(const rci_wtable *t, intptr_t ix);

/* The referent of r if it is alive (borrowed), else NULL.  A referent
 * whose count has reached zero is being destroyed: dead already. */
static inline rc_object *rci_wt_referent(const rci_wtref *r) {
    rc_object *o = r->wr.object;
    return o && o->refcount > 0 ? o : NULL;
}

/* Position of the entry whose key equals key (hash is rc_hash(key)), or
 * RCI_WT_MISSING, or RCI_WT_ERROR when a comparison failed.  Dead weak
 * keys never match; in a weak-value dict the entry is found even when its
 * value is dead (check rci_wt_referent).  May run user code (equality
 * hooks); it starts again when that changes the table. */
RCI_FUNC intptr_t rci_wt_lookup(rci_wtable *t, const rc_object *key, int64_t hash);

/* Append a new entry {hash, a new private ref to referent, obj (gains a
 * reference; NULL in a set)}.  Runs no user code and allocates no GC
 * object (so no collection starts in the middle).  0, or -1 with
 * RC_ERR_NOMEM / RC_ERR_OVERFLOW, the table unchanged. */
RCI_FUNC int rci_wt_insert(rci_wtable *t, int64_t hash, rc_object *referent, rc_object *obj);

/* Point the entry at ix at a new referent (a weak-value dict storing a
 * value under an existing key, live or dead).  0, or -1 with RC_ERR_NOMEM
 * (unchanged). */
RCI_FUNC int rci_wt_replace_referent(rci_wtable *t, intptr_t ix, rc_object *referent);

/* Replace the obj of the entry at ix; the old one is released last. */
RCI_FUNC void rci_wt_replace_obj(rci_wtable *t, intptr_t ix, rc_object *obj);

/* Remove the entry at ix.  referent / obj, when not NULL, receive NEW
 * references to the referent (NULL if dead) and to obj, taken before
 * anything is released. */
RCI_FUNC void rci_wt_remove(rci_wtable *t, intptr_t ix, rc_object **referent, rc_object **obj);

/* Position of the most recent live entry, or RCI_WT_MISSING. */
RCI_FUNC intptr_t rci_wt_last_live(const rci_wtable *t);

/* Length as users see it. */
static inline intptr_t rci_wt_len(const rci_wtable *t) { return t->used - t->npending; }

/* Remove every entry (and, unless an iteration is open, drop the pending
 * chain).  The table is empty before anything is released. */
RCI_FUNC void rci_wt_clear(rci_wtable *t);

/* Iteration guards.  Leaving the last one commits the deferred removals;
 * the caller must hold a reference to t (the commit releases objects). */
RCI_FUNC void rci_wt_guard_enter(rci_wtable *t);
RCI_FUNC void rci_wt_guard_leave(rci_wtable *t);

/* ====================================================================
 * Operations (weakops.c): the public functions of the three containers,
 * written once.  type is the container type the caller expects, fn its
 * public name (for messages).  The roles follow kind: a dict's value is
 * the referent in a weak-value dict and obj in a weak-key dict.
 * ================================================================== */

/* 0 if op is a container of type t, else -1 with RC_ERR_TYPE. */
RCI_FUNC int rci_wt_check(const void *op, const rc_type *t, const char *fn);

/* d[key] = value / s.add(key) (value NULL for a set). */
RCI_FUNC int rci_wt_setitem(void *op, const rc_type *type, void *key, void *value,
                            const char *fn);
/* The value stored under key (a set's item) as a NEW reference; NULL with
 * RC_ERR_KEY when missing or dead. */
RCI_FUNC rc_object *rci_wt_getitem(const void *op, const rc_type *type, const void *key,
                                   const char *fn);
/* rci_wt_getitem without the key error: 1 with a NEW reference in *value,
 * 0 (*value NULL, no error) when missing or dead, -1 on other errors. */
RCI_FUNC int rci_wt_getref(const void *op, const rc_type *type, const void *key,
                           rc_object **value, const char *fn);
/* 1 / 0 / -1.  A weak-keyed container answers 0 for a key that cannot be
 * weakly referenced (Python's ref(key) fails and __contains__ says
 * False). */
RCI_FUNC int rci_wt_contains(const void *op, const rc_type *type, const void *key,
                             const char *fn);
/* Remove key's live entry: 1 removed; when missing 0 with missing_ok,
 * else -1 with RC_ERR_KEY; -1 on other errors.  When value is not NULL it
 * receives a NEW reference to the removed value. */
RCI_FUNC int rci_wt_delitem(void *op, const rc_type *type, const void *key, rc_object **value,
                            int missing_ok, const char *fn);
/* The live value under key (NEW reference), else store value and return it. */
RCI_FUNC rc_object *rci_wt_setdefault(void *op, const rc_type *type, void *key, void *value,
                                      const char *fn);
/* Remove the most recent live entry: NEW references in *key and (for a
 * dict) *value.  -1 with RC_ERR_KEY `empty` when there is none. */
RCI_FUNC int rci_wt_popitem(void *op, const rc_type *type, rc_object **key, rc_object **value,
                            const char *empty, const char *fn);
RCI_FUNC intptr_t rci_wt_length(const void *op, const rc_type *type, const char *fn);
RCI_FUNC int rci_wt_clear_checked(void *op, const rc_type *type, const char *fn);

/* Begin an iteration (the iterator takes a reference and a guard).  0, or
 * -1 with RC_ERR_TYPE / RC_ERR_INVALID (the iterator is then ended). */
RCI_FUNC int rci_wt_iter(void *op, const rc_type *type, rc_weakiter *it, const char *fn);
/* The next live entry as NEW references to its key and value (a set: key
 * only; either output may be NULL).  1, 0 at the end, -1 with
 * RC_ERR_RUNTIME / RC_ERR_TYPE / RC_ERR_INVALID; 0 and RC_ERR_RUNTIME end
 * the iteration. */
RCI_FUNC int rci_wt_next(rc_weakiter *it, const rc_type *type, rc_object **key,
                         rc_object **value, const char *fn);

/* What a snapshot list holds. */
typedef enum rci_wt_want { RCI_WT_KEYS, RCI_WT_VALUES, RCI_WT_ITEMS } rci_wt_want;
/* A new list of the live entries' keys, values or (key, value) tuples,
 * built under an iteration guard. */
RCI_FUNC rc_object *rci_wt_snapshot(void *op, const rc_type *type, rci_wt_want want,
                                    const char *fn);

/* ====================================================================
 * Type hooks (weaktable.c)
 * ================================================================== */

/* traverse: every reference the table holds (private refs and objs). */
RCI_FUNC int rci_wt_traverse(rc_object *self, rc_visitproc visit, void *arg);
/* The same except the objs of live entries (the ephemeron's strong part:
 * an entry whose referent is already dead still holds its obj strongly
 * until the entry is removed). */
RCI_FUNC int rci_wt_traverse_strong(rc_object *self, rc_visitproc visit, void *arg);
RCI_FUNC int rci_wt_tp_clear(rc_object *self);
RCI_FUNC void rci_wt_dealloc(rc_object *self);
RCI_FUNC int64_t rci_wt_hash(rc_object *self);
RCI_FUNC rc_object *rci_wt_repr(rc_object *self);
RCI_FUNC intptr_t rci_wt_extra_size(const rc_object *self);

/* The fields every container type shares (the rest: name, flags, and
 * traverse/clear/dealloc for the GC ones). */
#define RCI_WT_TYPE_COMMON                                 \
    .ob_base = RC_STATIC_TYPE_HEAD,                        \
    .basic_size = sizeof(rci_wtable),                      \
    .traverse = rci_wt_traverse,                           \
    .clear = rci_wt_tp_clear,                              \
    .dealloc = rci_wt_dealloc,                             \
    .hash = rci_wt_hash,                                   \
    .repr = rci_wt_repr,                                   \
    .weaklist_offset = offsetof(rci_wtable, weaklist),     \
    .extra_size = rci_wt_extra_size

#endif /* RCGC_WEAKTABLE_H */
