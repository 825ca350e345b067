/*
 * weakkeydict.c - WeakKeyDictionary: keys held weakly, values strongly, as
 * an ephemeron table, and the two hooks the collector uses for such tables
 * (declared in weakref.h).  Storage and operations are shared
 * (weaktable.h); this file gives the type, the public names and the
 * ephemeron part.
 *
 * Ephemeron semantics.  A value is reachable through the table only while
 * its key is reachable from elsewhere.  The collector (gc/collect.c)
 * subtracts every internal reference with the ordinary traverse, then
 * propagates reachability with rci_ephemeron_traverse_strong (everything
 * but the values of live entries) and, until nothing changes, asks
 * rci_ephemeron_visit_entries for the (key, value) pairs of live entries,
 * marking a value reachable once its key is.  So a value that refers to
 * its own key (directly or through other objects) does not keep the key
 * alive: both are garbage, the key's death calls the private ref's
 * callback, and the entry is removed (CPython's WeakKeyDictionary holds
 * such values strongly and leaks them).
 *
 * The split between the two hooks is by `wr.object != NULL`, the same test
 * in both, so each value is given to the collector exactly once: an entry
 * whose key is already dead (its removal deferred by an open iteration)
 * still holds its value strongly, and the strong traverse reports it.
 */
#include "weaktable.h"

const rc_type rc_weakkeydict_type = {
    RCI_WT_TYPE_COMMON,
    .name = "WeakKeyDictionary",
    .flags = RC_TYPE_IMMORTAL | RC_TYPE_GC | RC_TYPE_TRACK | RC_TYPE_WEAKREF |
             RCI_TYPE_EPHEMERON,
};

#define T (&rc_weakkeydict_type)

/* ------------------------------------------------------------ ephemerons */

int rci_ephemeron_traverse_strong(rc_object *table, rc_visitproc visit, void *arg) {
    return rci_wt_traverse_strong(table, visit, arg);
}

void rci_ephemeron_visit_entries(rc_object *table,
                                 void (*fn)(rc_object *key, rc_object *value, void *arg),
                                 void *arg) {
    rci_wtable *t = (rci_wtable *)table;
    for (intptr_t i = 0; t->keys && i < t->nentries; i++) {
        rci_wentry *e = rci_wt_entry(t, i);
        if (e->ref && e->ref->wr.object && e->obj)
            fn(e->ref->wr.object, e->obj, arg);
    }
}

/* ------------------------------------------------------------ public API */

rc_object *rc_weakkeydict_new(void) { return rci_wt_new(T, RCI_WT_KEYDICT); }

int rc_weakkeydict_set(void *d, void *key, void *value) {
    return rci_wt_setitem(d, T, key, value, "rc_weakkeydict_set");
}

rc_object *rc_weakkeydict_get(const void *d, const void *key) {
    return rci_wt_getitem(d, T, key, "rc_weakkeydict_get");
}

int rc_weakkeydict_get_ref(const void *d, const void *key, rc_object **value) {
    return rci_wt_getref(d, T, key, value, "rc_weakkeydict_get_ref");
}

int rc_weakkeydict_contains(const void *d, const void *key) {
    return rci_wt_contains(d, T, key, "rc_weakkeydict_contains");
}

int rc_weakkeydict_del(void *d, const void *key) {
    return rci_wt_delitem(d, T, key, NULL, 0, "rc_weakkeydict_del") < 0 ? -1 : 0;
}

rc_object *rc_weakkeydict_pop(void *d, const void *key) {
    rc_object *value = NULL;
    rci_wt_delitem(d, T, key, &value, 0, "rc_weakkeydict_pop");
    return value;
}

rc_object *rc_weakkeydict_setdefault(void *d, void *key, void *value) {
    return rci_wt_setdefault(d, T, key, value, "rc_weakkeydict_setdefault");
}

int rc_weakkeydict_popitem(void *d, rc_object **key, rc_object **value) {
    return rci_wt_popitem(d, T, key, value, "popitem(): dictionary is empty",
                          "rc_weakkeydict_popitem");
}

int rc_weakkeydict_clear(void *d) { return rci_wt_clear_checked(d, T, "rc_weakkeydict_clear"); }

intptr_t rc_weakkeydict_len(const void *d) { return rci_wt_length(d, T, "rc_weakkeydict_len"); }

int rc_weakkeydict_iter(void *d, rc_weakiter *it) {
    return rci_wt_iter(d, T, it, "rc_weakkeydict_iter");
}

int rc_weakkeydict_next(rc_weakiter *it, rc_object **key, rc_object **value) {
    return rci_wt_next(it, T, key, value, "rc_weakkeydict_next");
}

rc_object *rc_weakkeydict_keys(void *d) {
    return rci_wt_snapshot(d, T, RCI_WT_KEYS, "rc_weakkeydict_keys");
}

rc_object *rc_weakkeydict_values(void *d) {
    return rci_wt_snapshot(d, T, RCI_WT_VALUES, "rc_weakkeydict_values");
}

rc_object *rc_weakkeydict_items(void *d) {
    return rci_wt_snapshot(d, T, RCI_WT_ITEMS, "rc_weakkeydict_items");
}
