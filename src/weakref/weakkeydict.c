/*
 * weakkeydict.c - PLACEHOLDER so the library links until the weak-key
 * dictionary (the only ephemeron table) lands: with no such table type,
 * the collector never calls these.  The weak-container work replaces this
 * whole file.
 */
#include "weakref.h"

int rci_ephemeron_traverse_strong(rc_object *table, rc_visitproc visit, void *arg) {
    return table->type->traverse ? table->type->traverse(table, visit, arg) : 0;
}

void rci_ephemeron_visit_entries(rc_object *table,
                                 void (*fn)(rc_object *key, rc_object *value, void *arg),
                                 void *arg) {
    (void)table, (void)fn, (void)arg;
}
