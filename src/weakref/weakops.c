/*
 * weakops.c - the operations of the three weak containers, written once
 * over the shared table (weaktable.c): argument checks, get / set / del /
 * pop / setdefault / popitem / contains / len / clear, iteration and
 * snapshots.  The public functions in weakvaluedict.c, weakkeydict.c and
 * weakset.c only name their type.
 *
 * Roles (weaktable.h): an entry is {hash, ref -> referent, obj}.  As a
 * mapping, a weak-value dict's key is obj and its value the referent; a
 * weak-key dict's key is the referent and its value obj; a set's item is
 * the referent.  An entry is live while its referent is; dead entries are
 * invisible to every operation here.
 *
 * Python's checks come in Python's order: a weak-keyed container first
 * makes sure the key can be weakly referenced (ref(key) fails with
 * TypeError before anything is hashed), then hashes it.
 */
#include "weaktable.h"
#include "types/types.h"

/* ------------------------------------------------------------ checks */

int rci_wt_check(const void *op, const rc_type *t, const char *fn) {
    if (op && ((const rc_object *)op)->type == t)
        return 0;
    return rci_type_error(fn, t->name, op);
}

static int weakrefable(const rc_object *o) {
    if (rci_weaklist_of(o))
        return 0;
    return rc_error_set(RC_ERR_TYPE, "cannot create weak reference to '%s' object",
                        rc_type_name(o));
}

/* The container and key's hash for a lookup, or NULL with the error. */
static rci_wtable *prepare(const void *op, const rc_type *type, const void *key, int64_t *hash,
                           const char *fn) {
    *hash = -1;
    if (rci_wt_check(op, type, fn) < 0)
        return NULL;
    rci_wtable *t = (rci_wtable *)op;
    if (!key)
        return rci_error_null(RC_ERR_INVALID, "%s: NULL key", fn);
    if (rci_wt_weak_keys(t) && weakrefable(key) < 0)
        return NULL;
    *hash = rc_hash(key);
    return *hash == -1 ? NULL : t;
}

/* Position of key's live entry, RCI_WT_MISSING or RCI_WT_ERROR. */
static intptr_t find_live(rci_wtable *t, const void *key, int64_t hash) {
    intptr_t ix = rci_wt_lookup(t, key, hash);
    if (ix >= 0 && !rci_wt_referent(rci_wt_entry(t, ix)->ref))
        return RCI_WT_MISSING;   /* a weak-value entry whose value is gone */
    return ix;
}

/* The mapping value of a live entry (borrowed). */
static rc_object *value_of(const rci_wtable *t, const rci_wentry *e) {
    return t->kind == RCI_WT_KEYDICT ? e->obj : rci_wt_referent(e->ref);
}

/* Spread an entry's (referent, obj) references over the mapping's
 * (key, value) outputs; a reference nobody asked for is dropped. */
static void as_key_value(const rci_wtable *t, rc_object *referent, rc_object *obj,
                         rc_object **key, rc_object **value) {
    int swap = t->kind == RCI_WT_VALUEDICT;
    rc_object *k = swap ? obj : referent, *v = swap ? referent : obj;
    if (key)
        *key = k;
    else
        rc_xdecref(k);
    if (value)
        *value = v;
    else
        rc_xdecref(v);
}

/* ------------------------------------------------------------ mapping */

int rci_wt_setitem(void *op, const rc_type *type, void *key, void *value, const char *fn) {
    int64_t hash;
    rci_wtable *t = prepare(op, type, key, &hash, fn);
    if (!t)
        return -1;
    if (t->kind != RCI_WT_SET && !value)
        return rc_error_set(RC_ERR_INVALID, "%s: NULL value", fn);
    if (t->kind == RCI_WT_VALUEDICT && weakrefable(value) < 0)
        return -1;
    /* Lookup may run equality hooks; nothing runs between it and the
     * store below. */
    intptr_t ix = rci_wt_lookup(t, key, hash);
    if (ix == RCI_WT_ERROR)
        return -1;
    if (ix >= 0) {
        if (t->kind == RCI_WT_VALUEDICT)   /* also revives an entry whose value died */
            return rci_wt_replace_referent(t, ix, value);
        if (t->kind == RCI_WT_KEYDICT)
            rci_wt_replace_obj(t, ix, value);
        return 0;                          /* a set keeps the item it has */
    }
    if (t->kind == RCI_WT_VALUEDICT)
        return rci_wt_insert(t, hash, value, key);
    return rci_wt_insert(t, hash, key, value);
}

int rci_wt_getref(const void *op, const rc_type *type, const void *key, rc_object **value,
                  const char *fn) {
    if (!value)
        return rc_error_set(RC_ERR_INVALID, "%s: NULL value pointer", fn);
    *value = NULL;
    int64_t hash;
    rci_wtable *t = prepare(op, type, key, &hash, fn);
    if (!t)
        return -1;
    intptr_t ix = find_live(t, key, hash);
    if (ix < 0)
        return ix == RCI_WT_MISSING ? 0 : -1;
    *value = rc_newref(value_of(t, rci_wt_entry(t, ix)));
    return 1;
}

rc_object *rci_wt_getitem(const void *op, const rc_type *type, const void *key, const char *fn) {
    rc_object *value;
    if (rci_wt_getref(op, type, key, &value, fn) == 0)
        rci_key_error(key);
    return value;
}

int rci_wt_contains(const void *op, const rc_type *type, const void *key, const char *fn) {
    if (rci_wt_check(op, type, fn) < 0)
        return -1;
    if (key && rci_wt_weak_keys(op) && !rci_weaklist_of(key))
        return 0;
    int64_t hash;
    rci_wtable *t = prepare(op, type, key, &hash, fn);
    if (!t)
        return -1;
    intptr_t ix = find_live(t, key, hash);
    return ix == RCI_WT_ERROR ? -1 : ix >= 0;
}

int rci_wt_delitem(void *op, const rc_type *type, const void *key, rc_object **value,
                   int missing_ok, const char *fn) {
    int64_t hash;
    rci_wtable *t = prepare(op, type, key, &hash, fn);
    if (!t)
        return -1;
    intptr_t ix = find_live(t, key, hash);
    if (ix == RCI_WT_ERROR)
        return -1;
    if (ix == RCI_WT_MISSING) {
        if (missing_ok)
            return 0;
        rci_key_error(key);
        return -1;
    }
    rc_object *referent, *obj;
    rci_wt_remove(t, ix, &referent, &obj);
    as_key_value(t, referent, obj, NULL, value);
    return 1;
}

rc_object *rci_wt_setdefault(void *op, const rc_type *type, void *key, void *value,
                             const char *fn) {
    int64_t hash;
    rci_wtable *t = prepare(op, type, key, &hash, fn);
    if (!t)
        return NULL;
    intptr_t ix = find_live(t, key, hash);
    if (ix == RCI_WT_ERROR)
        return NULL;
    if (ix >= 0)
        return rc_newref(value_of(t, rci_wt_entry(t, ix)));
    if (rci_wt_setitem(op, type, key, value, fn) < 0)
        return NULL;
    return rc_newref(value);
}

int rci_wt_popitem(void *op, const rc_type *type, rc_object **key, rc_object **value,
                   const char *empty, const char *fn) {
    if (rci_wt_check(op, type, fn) < 0)
        return -1;
    rci_wtable *t = op;
    if (!key || (t->kind != RCI_WT_SET && !value))
        return rc_error_set(RC_ERR_INVALID, "%s: NULL output pointer", fn);
    intptr_t ix = rci_wt_last_live(t);
    if (ix == RCI_WT_MISSING)
        return rc_error_set(RC_ERR_KEY, "%s", empty);
    rc_object *referent, *obj;
    rci_wt_remove(t, ix, &referent, &obj);
    as_key_value(t, referent, obj, key, value);
    return 0;
}

intptr_t rci_wt_length(const void *op, const rc_type *type, const char *fn) {
    return rci_wt_check(op, type, fn) < 0 ? -1 : rci_wt_len(op);
}

int rci_wt_clear_checked(void *op, const rc_type *type, const char *fn) {
    if (rci_wt_check(op, type, fn) < 0)
        return -1;
    rci_wt_clear(op);
    return 0;
}

/* ------------------------------------------------------------ iteration */

int rci_wt_iter(void *op, const rc_type *type, rc_weakiter *it, const char *fn) {
    if (!it)
        return rc_error_set(RC_ERR_INVALID, "%s: NULL iterator", fn);
    it->container = NULL;
    it->pos = 0;
    it->version = 0;
    if (rci_wt_check(op, type, fn) < 0)
        return -1;
    rci_wtable *t = op;
    it->container = rc_newref(&t->ob);
    it->version = t->version;
    rci_wt_guard_enter(t);
    return 0;
}

void rc_weakiter_end(rc_weakiter *it) {
    if (!it || !it->container)
        return;
    rci_wtable *t = (rci_wtable *)it->container;
    it->container = NULL;
    rci_wt_guard_leave(t);   /* may commit removals: t is still held */
    rc_decref(t);
}

int rci_wt_next(rc_weakiter *it, const rc_type *type, rc_object **key, rc_object **value,
                const char *fn) {
    if (!it)
        return rc_error_set(RC_ERR_INVALID, "%s: NULL iterator", fn);
    if (!it->container)
        return 0;
    if (rci_wt_check(it->container, type, fn) < 0)
        return -1;
    rci_wtable *t = (rci_wtable *)it->container;
    if (it->version != t->version) {
        rc_weakiter_end(it);
        return rc_error_set(RC_ERR_RUNTIME, "%s changed size during iteration", type->name);
    }
    for (; t->keys && it->pos < t->nentries; it->pos++) {
        rci_wentry *e = rci_wt_entry(t, it->pos);
        rc_object *referent = e->ref ? rci_wt_referent(e->ref) : NULL;
        if (!referent)
            continue;   /* a hole, or dead and waiting for the guard to end */
        it->pos++;
        as_key_value(t, rc_newref(referent), rc_xnewref(e->obj), key, value);
        return 1;
    }
    rc_weakiter_end(it);
    return 0;
}

/* One list item from a (key, value) pair whose references it consumes. */
static rc_object *snapshot_item(rci_wt_want want, rc_object *key, rc_object *value) {
    rc_object *item;
    if (want == RCI_WT_ITEMS)
        item = rc_tuple_pack(2, key, value);
    else
        item = rc_newref(want == RCI_WT_KEYS ? key : value);
    rc_decref(key);
    rc_xdecref(value);
    return item;
}

rc_object *rci_wt_snapshot(void *op, const rc_type *type, rci_wt_want want, const char *fn) {
    rc_weakiter it;
    if (rci_wt_iter(op, type, &it, fn) < 0)
        return NULL;
    rc_object *list = rc_list_new(0), *key = NULL, *value = NULL;
    int r = 0;
    while (list && (r = rci_wt_next(&it, type, &key, &value, fn)) > 0) {
        /* allocating here may run a collection: the guard keeps entries
         * that die meanwhile in place */
        rc_object *item = snapshot_item(want, key, value);
        if (!item || rc_list_append(list, item) < 0)
            rc_clear(&list);
        rc_xdecref(item);
    }
    if (r < 0)
        rc_clear(&list);
    rc_weakiter_end(&it);
    return list;
}
