/*
 * freelist.c - the object-specific free lists (the top layer of CPython's
 * allocator, reference 5.1): float (100), tuple (2000 per length 1..20),
 * list and dict headers (80 each); and, beyond CPython, weak references and
 * proxies (80 together; their hot push and pop are inline in types.h, and
 * this file's generic push serves weak references that own data).
 *
 * A dead object on a free list keeps its block; its refcount word holds the
 * "freed" poison (so a late rc_decref is still diagnosed) and the word
 * after the header links the list (RCI_FREELIST_LINK, types.h).  Full
 * collections and rc_heap_clear_caches give the blocks back to the
 * allocator.
 */
#include "mem/fastpath.h"
#include "types.h"

/* Which list and limit an object belongs to, or NULL. */
static rc_object **list_for(rci_types_state *st, const rc_type *t, intptr_t n, int **count,
                            int *max) {
    if (t->flags & RCI_TYPE_FREELIST_FLOAT) {
        *count = &st->float_nfree;
        *max = RCI_FLOAT_FREELIST_MAX;
        return &st->float_free;
    }
    if ((t->flags & RCI_TYPE_FREELIST_TUPLE) && n >= 1 && n <= RCI_TUPLE_FREELIST_LEN) {
        *count = &st->tuple_nfree[n];
        *max = RCI_TUPLE_FREELIST_MAX;
        return &st->tuple_free[n];
    }
    if (t->flags & RCI_TYPE_FREELIST_LIST) {
        *count = &st->list_nfree;
        *max = RCI_LIST_FREELIST_MAX;
        return &st->list_free;
    }
    if (t->flags & RCI_TYPE_FREELIST_DICT) {
        *count = &st->dict_nfree;
        *max = RCI_DICT_FREELIST_MAX;
        return &st->dict_free;
    }
    if (t->flags & RCI_TYPE_FREELIST_WEAKREF) {
        *count = &st->weakref_nfree;
        *max = RCI_WEAKREF_FREELIST_MAX;
        return &st->weakref_free;
    }
    return NULL;
}

rc_object *rci_freelist_pop(rc_heap *h, const rc_type *t, intptr_t n) {
    int *count, max;
    rc_object **head = list_for(RCI_TYPES(h), t, n, &count, &max);
    if (!head || !*head)
        return NULL;
    rc_object *op = *head;
    *head = RCI_FREELIST_LINK(op);
    (*count)--;
    op->refcount = 1;
    op->type = t;
    if (t->flags & RC_TYPE_GC) {
        rci_gc_link *g = RCI_AS_LINK(op);
        g->next = g->prev = 0;
    }
    if (t->flags & RC_TYPE_VAR)
        ((rc_varobject *)op)->size = n;
    return op;
}

int rci_freelist_push(rc_heap *h, rc_object *op) {
    const rc_type *t = op->type;
    intptr_t n = (t->flags & RC_TYPE_VAR) ? ((rc_varobject *)op)->size : 0;
    int *count, max;
    rc_object **head = list_for(RCI_TYPES(h), t, n, &count, &max);
    if (!head || *count >= max)
        return 0;
    op->refcount = -(intptr_t)(uintptr_t)t;   /* the freed poison */
    RCI_FREELIST_LINK(op) = *head;
    *head = op;
    (*count)++;
    return 1;
}

static void drain(rc_heap *h, rc_object **head, int *count) {
    while (*head) {
        rc_object *op = *head;
        *head = RCI_FREELIST_LINK(op);
        int gc = (op->type->flags & RC_TYPE_GC) != 0;
        void *mem = gc ? (void *)RCI_AS_LINK(op) : (void *)op;
        if (gc)
            rci_gc_count_free(h);   /* dealloc skipped it when it kept op */
        rci_block_free(h, mem, RCI_API_OBJ, op);
    }
    *count = 0;
}

void rci_freelist_clear(rc_heap *h) {
    rci_types_state *st = RCI_TYPES(h);
    drain(h, &st->float_free, &st->float_nfree);
    for (int n = 1; n <= RCI_TUPLE_FREELIST_LEN; n++)
        drain(h, &st->tuple_free[n], &st->tuple_nfree[n]);
    drain(h, &st->list_free, &st->list_nfree);
    drain(h, &st->dict_free, &st->dict_nfree);
    drain(h, &st->weakref_free, &st->weakref_nfree);
}
