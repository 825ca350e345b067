/*
 * protocol.c - the generic object protocol (hash, equality, repr, sizeof,
 * truth), the per-heap cache reset, and small helpers the built-in types
 * share (type and key errors, raw construction).
 */
#include "types.h"

int rci_type_error(const char *fn, const char *expected, const void *got) {
    return rc_error_set(RC_ERR_TYPE, "%s: expected %s, got '%s'", fn, expected,
                        got ? rc_type_name(got) : "NULL");
}

void *rci_type_error_null(const char *fn, const char *expected, const void *got) {
    rci_type_error(fn, expected, got);
    return NULL;
}

void rci_key_error(const rc_object *key) {
    if (key->type == &rc_int_type) {
        /* int's repr, without building the str object (a missing-key
         * lookup is a normal event for caches). */
        rc_error_set(RC_ERR_KEY, "%lld", (long long)((const rc_int *)key)->value);
        return;
    }
    rc_object *r = rc_repr(key);
    if (r) {
        rc_error_set(RC_ERR_KEY, "%s", rc_str_utf8(r));
        rc_decref(r);
    } else {
        rc_error_set(RC_ERR_KEY, "<%s object>", rc_type_name(key));
    }
}

void *rci_new(const rc_type *t) { return rc_object_new(t); }
void *rci_new_var(const rc_type *t, intptr_t n) { return rc_varobject_new(t, n); }

int64_t rc_hash(const void *op) {
    if (!op)
        return rc_error_set(RC_ERR_INVALID, "rc_hash: NULL object");
    const rc_type *t = ((const rc_object *)op)->type;
    if (!t->hash)
        return rci_hash_pointer(op);
    int64_t h = t->hash((rc_object *)op);
    if (h == -1 && rc_error_code() == RC_OK)
        rc_error_set(RC_ERR_TYPE, "unhashable type: '%s'", t->name);
    return h;
}

int rc_eq(const void *a, const void *b) {
    if (!a || !b)
        return rc_error_set(RC_ERR_INVALID, "rc_eq: NULL object");
    if (a == b)
        return 1;
    const rc_type *ta = ((const rc_object *)a)->type, *tb = ((const rc_object *)b)->type;
    /* Try the left operand's hook, then the right's (int == float works
     * from either side); without hooks, identity decides. */
    if (ta->eq) {
        int r = ta->eq((rc_object *)a, (rc_object *)b);
        if (r != 0 || ta == tb)
            return r;
    }
    if (tb->eq && tb != ta)
        return tb->eq((rc_object *)b, (rc_object *)a);
    return 0;
}

rc_object *rc_repr(const void *op) {
    if (!op)
        return rci_error_null(RC_ERR_INVALID, "rc_repr: NULL object");
    const rc_type *t = ((const rc_object *)op)->type;
    if (t->repr)
        return t->repr((rc_object *)op);
    return rc_str_from_fmt("<%s object at %p>", t->name, op);
}

intptr_t rc_sizeof(const void *op) {
    if (!op)
        return rc_error_set(RC_ERR_INVALID, "rc_sizeof: NULL object");
    const rc_object *o = op;
    const rc_type *t = o->type;
    intptr_t size = (intptr_t)t->basic_size;
    if (t->flags & RC_TYPE_VAR)
        size += ((const rc_varobject *)o)->size * (intptr_t)t->item_size;
    if (t->flags & RC_TYPE_GC)   /* static GC objects are laid out with one too */
        size += (intptr_t)sizeof(rci_gc_link);
    if (t->extra_size)
        size += t->extra_size(o);
    return size;
}

int rc_heap_clear_caches(rc_heap *h) {
    if (!h)
        h = rci_current_heap;
    if (!h)
        return rc_error_set(RC_ERR_STATE, "rc_heap_clear_caches: no heap");
    rc_heap *prev = rci_current_heap;
    rci_current_heap = h;     /* decrefs below free into h */
    rci_freelist_clear(h);
    rci_intern_clear(h);
    rci_freelist_clear(h);    /* objects freed above may have refilled the lists */
    rci_current_heap = prev;
    return 0;
}
