/*
 * state.h - the per-heap state of the types layer, embedded in struct
 * rc_heap (so internal.h includes it; the rest of the types layer's
 * internals are in types.h).
 */
#ifndef RCGC_TYPES_STATE_H
#define RCGC_TYPES_STATE_H

typedef struct rci_list {
    rc_varobject ob;        /* ob.size = number of items */
    rc_object **items;      /* rc_mem block of `allocated` slots, or NULL */
    intptr_t allocated;
} rci_list;

#define RCI_FLOAT_FREELIST_MAX 100
#define RCI_TUPLE_FREELIST_LEN 20      /* lengths 1..20 */
#define RCI_TUPLE_FREELIST_MAX 2000    /* per length */
#define RCI_LIST_FREELIST_MAX 80
#define RCI_DICT_FREELIST_MAX 80
#define RCI_WEAKREF_FREELIST_MAX 80    /* weak references and proxies together */
#define RCI_REPR_MAX_DEPTH 256

typedef struct rci_types_state {
    /* free lists: dead objects kept for reuse, linked through the word at
     * offset 16 (the first word after the header) */
    rc_object *float_free;
    int float_nfree;
    rc_object *tuple_free[RCI_TUPLE_FREELIST_LEN + 1];
    int tuple_nfree[RCI_TUPLE_FREELIST_LEN + 1];
    rc_object *list_free;
    int list_nfree;
    rc_object *dict_free;
    int dict_nfree;
    rc_object *weakref_free;
    int weakref_nfree;
    /* interned strings: open addressing over str objects (the table holds
     * one reference to each); the table is an rc_mem block of the heap */
    rc_object **intern;
    size_t intern_cap, intern_used;
    /* objects whose repr is being built (Py_ReprEnter) */
    const void *repr_stack[RCI_REPR_MAX_DEPTH];
    int repr_depth;
} rci_types_state;

#endif /* RCGC_TYPES_STATE_H */
