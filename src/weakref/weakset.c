/*
 * weakset.c - WeakSet: items held weakly.  Storage and operations are
 * shared (weaktable.h); this file gives the type and the public names.
 *
 * A weak set holds strong references only to its private refs, which hold
 * none, so it can never be part of a cycle: it is not a GC object (no
 * collector work, 16 bytes smaller).  Its traverse still reports the refs
 * for the inspection tools.
 */
#include "weaktable.h"

const rc_type rc_weakset_type = {
    RCI_WT_TYPE_COMMON,
    .name = "WeakSet",
    .flags = RC_TYPE_IMMORTAL | RC_TYPE_WEAKREF,
};

#define T (&rc_weakset_type)

rc_object *rc_weakset_new(void) { return rci_wt_new(T, RCI_WT_SET); }

int rc_weakset_add(void *s, void *item) { return rci_wt_setitem(s, T, item, NULL, "rc_weakset_add"); }

int rc_weakset_discard(void *s, const void *item) {
    return rci_wt_delitem(s, T, item, NULL, 1, "rc_weakset_discard");
}

int rc_weakset_contains(const void *s, const void *item) {
    return rci_wt_contains(s, T, item, "rc_weakset_contains");
}

rc_object *rc_weakset_pop(void *s) {
    rc_object *item = NULL;
    rci_wt_popitem(s, T, &item, NULL, "pop from empty WeakSet", "rc_weakset_pop");
    return item;
}

int rc_weakset_clear(void *s) { return rci_wt_clear_checked(s, T, "rc_weakset_clear"); }

intptr_t rc_weakset_len(const void *s) { return rci_wt_length(s, T, "rc_weakset_len"); }

int rc_weakset_iter(void *s, rc_weakiter *it) { return rci_wt_iter(s, T, it, "rc_weakset_iter"); }

int rc_weakset_next(rc_weakiter *it, rc_object **item) {
    return rci_wt_next(it, T, item, NULL, "rc_weakset_next");
}

rc_object *rc_weakset_items(void *s) {
    return rci_wt_snapshot(s, T, RCI_WT_KEYS, "rc_weakset_items");
}
