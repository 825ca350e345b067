/*
 * weakvaluedict.c - WeakValueDictionary: keys held strongly, values weakly
 * (the tutorials' cache).  Everything is done by the shared table and
 * operations (weaktable.h); this file gives the type and the public names.
 *
 * It is a GC object because its keys may refer back to it.  Its values are
 * weak, so its traverse reports only the keys (and its private refs, which
 * are not GC objects).
 */
#include "weaktable.h"

const rc_type rc_weakvaluedict_type = {
    RCI_WT_TYPE_COMMON,
    .name = "WeakValueDictionary",
    .flags = RC_TYPE_IMMORTAL | RC_TYPE_GC | RC_TYPE_TRACK | RC_TYPE_WEAKREF,
};

#define T (&rc_weakvaluedict_type)

rc_object *rc_weakvaluedict_new(void) { return rci_wt_new(T, RCI_WT_VALUEDICT); }

int rc_weakvaluedict_set(void *d, void *key, void *value) {
    return rci_wt_setitem(d, T, key, value, "rc_weakvaluedict_set");
}

rc_object *rc_weakvaluedict_get(const void *d, const void *key) {
    return rci_wt_getitem(d, T, key, "rc_weakvaluedict_get");
}

int rc_weakvaluedict_get_ref(const void *d, const void *key, rc_object **value) {
    return rci_wt_getref(d, T, key, value, "rc_weakvaluedict_get_ref");
}

int rc_weakvaluedict_contains(const void *d, const void *key) {
    return rci_wt_contains(d, T, key, "rc_weakvaluedict_contains");
}

int rc_weakvaluedict_del(void *d, const void *key) {
    return rci_wt_delitem(d, T, key, NULL, 0, "rc_weakvaluedict_del") < 0 ? -1 : 0;
}

rc_object *rc_weakvaluedict_pop(void *d, const void *key) {
    rc_object *value = NULL;
    rci_wt_delitem(d, T, key, &value, 0, "rc_weakvaluedict_pop");
    return value;
}

rc_object *rc_weakvaluedict_setdefault(void *d, void *key, void *value) {
    return rci_wt_setdefault(d, T, key, value, "rc_weakvaluedict_setdefault");
}

int rc_weakvaluedict_popitem(void *d, rc_object **key, rc_object **value) {
    return rci_wt_popitem(d, T, key, value, "popitem(): dictionary is empty",
                          "rc_weakvaluedict_popitem");
}

int rc_weakvaluedict_clear(void *d) { return rci_wt_clear_checked(d, T, "rc_weakvaluedict_clear"); }

intptr_t rc_weakvaluedict_len(const void *d) { return rci_wt_length(d, T, "rc_weakvaluedict_len"); }

int rc_weakvaluedict_iter(void *d, rc_weakiter *it) {
    return rci_wt_iter(d, T, it, "rc_weakvaluedict_iter");
}

int rc_weakvaluedict_next(rc_weakiter *it, rc_object **key, rc_object **value) {
    return rci_wt_next(it, T, key, value, "rc_weakvaluedict_next");
}

rc_object *rc_weakvaluedict_keys(void *d) {
    return rci_wt_snapshot(d, T, RCI_WT_KEYS, "rc_weakvaluedict_keys");
}

rc_object *rc_weakvaluedict_values(void *d) {
    return rci_wt_snapshot(d, T, RCI_WT_VALUES, "rc_weakvaluedict_values");
}

rc_object *rc_weakvaluedict_items(void *d) {
    return rci_wt_snapshot(d, T, RCI_WT_ITEMS, "rc_weakvaluedict_items");
}
