/*
 * weakref.c - weak references and proxies: creation and reuse, the
 * referent's list, reading, and the two ways a referent dies (by refcount:
 * rci_weakref_clear_all; in the collector: rci_weakref_handle_garbage).
 *
 * The referent's list (reference 6.1): the shared callback-less reference
 * first, then the shared callback-less proxy, then every other reference,
 * newest first (each is inserted right after the shared ones), so callbacks
 * run in reverse creation order.
 *
 * Callbacks are never called while a list is being cleared: every reference
 * is cleared first and those to call back are collected on a private chain
 * (through their now unused prev/next words), each with a reference held,
 * then called in order.  A callback may therefore do anything, including
 * dropping other weak references or creating new ones.
 */
#include "weakref.h"
#include "core/alloc.h"
#include "gc/gclist.h"
#include "types/types.h"

/* ------------------------------------------------------------ the list */

static int is_basic(const rci_weakref *wr, const rc_type *t) {
    return wr->ob.type == t && !wr->callback && !wr->data;
}

/* The shared callback-less reference and proxy of a list (either NULL). */
static void basic_refs(rci_weakref *head, rci_weakref **ref, rci_weakref **proxy) {
    *ref = *proxy = NULL;
    if (head && is_basic(head, &rc_weakref_type)) {
        *ref = head;
        head = head->next;
    }
    if (head && is_basic(head, &rc_weakproxy_type))
        *proxy = head;
}

static void insert_after(rci_weakref *wr, rci_weakref *prev) {
    wr->prev = prev;
    wr->next = prev->next;
    if (prev->next)
        prev->next->prev = wr;
    prev->next = wr;
}

static void insert_head(rci_weakref *wr, rci_weakref **head) {
    wr->prev = NULL;
    wr->next = *head;
    if (*head)
        (*head)->prev = wr;
    *head = wr;
}

/* Initialise every field of wr (a reference of type t to obj, whose list
 * head is `head` and whose basic reference and proxy are ref and proxy) and
 * link it at the position its kind dictates.  Writes every field after the
 * header: new_ref's object comes unzeroed. */
static inline void link_new(rc_heap *h, rci_weakref *wr, const rc_type *t, rc_object *obj,
                            rci_weakref **head, rci_weakref *ref, rci_weakref *proxy,
                            rc_weakref_callback cb, rc_object *data) {
    wr->object = obj;
    wr->callback = cb;
    wr->data = rc_xnewref(data);
    wr->hash = -1;
    h->weakrefs_linked++;
    int basic_ref = t == &rc_weakref_type && !cb && !data;   /* is_basic(wr, ...) */
    if (!basic_ref && (proxy || ref))
        insert_after(wr, proxy ? proxy : ref);   /* after the basic ones */
    else
        insert_head(wr, head);
}

void rci_weakref_init(rci_weakref *wr, rc_object *obj, rc_weakref_callback cb,
                      rc_object *data) {
    rci_weakref **head = rci_weaklist_of(obj);
    rci_weakref *ref, *proxy;
    basic_refs(*head, &ref, &proxy);
    link_new(rci_current_heap, wr, wr->ob.type, obj, head, ref, proxy, cb, data);
}

/* ------------------------------------------------------------ callbacks */

typedef struct {
    rci_weakref *first, *last;
    intptr_t n;
    intptr_t freed;       /* chained references that died when released */
    int release_data;     /* drop each data object after its call */
} call_chain;

/* Keep wr (cleared, with a callback) for a later call. */
static void chain_add(call_chain *c, rci_weakref *wr) {
    rc_incref(wr);
    wr->prev = NULL;
    wr->next = NULL;
    if (c->last)
        c->last->next = wr;
    else
        c->first = wr;
    c->last = wr;
    c->n++;
}

/* Call every chained callback in order, each once, with the caller's error
 * state preserved; an error a callback records is reported and does not
 * stop the others.  Returns how many were called.  As in CPython, the
 * refcount path detaches what the callback holds (its data) once it has
 * run, while the collector's path leaves it to the weak reference, which
 * keeps it until it dies itself (CPython keeps wr_callback there). */
static intptr_t chain_deliver(call_chain *c) {
    if (!c->first)
        return 0;
    rci_error_state saved;
    rci_error_fetch(&saved);
    for (rci_weakref *wr = c->first, *next; wr; wr = next) {
        next = wr->next;
        wr->next = NULL;
        rc_weakref_callback cb = wr->callback;
        wr->callback = NULL;   /* detached: it runs once, __callback__ is None */
        if (cb) {
            cb(&wr->ob, wr->data);
            if (rc_error_code() != RC_OK) {
                char what[96];
                snprintf(what, sizeof what, "<weakref callback of <%s at %p>>",
                         wr->ob.type->name, (void *)wr);
                rci_error_write_unraisable(what);
            }
        }
        if (c->release_data)
            rc_clear(&wr->data);
        c->freed += wr->ob.refcount == 1;
        rc_decref(wr);
    }
    rci_error_restore(&saved);
    return c->n;
}

/* Empty obj's list: every reference is cleared; those with a callback for
 * which wants(wr) holds (all of them when wants is NULL) are chained for a
 * call.  A reference whose own count is 0 is
 * being destroyed (or is parked by the trashcan): it only loses its link. */
static void clear_list(rc_object *obj, call_chain *c, int (*wants)(const rci_weakref *)) {
    rci_weakref **head = rci_weaklist_of(obj);
    if (!head)
        return;
    while (*head) {
        rci_weakref *wr = *head;
        rci_weakref_unlink(wr);
        if (wr->callback && wr->ob.refcount > 0 && (!wants || wants(wr)))
            chain_add(c, wr);
    }
}

void rci_weakref_clear_all(rc_object *op) {
    rci_weakref **head = rci_weaklist_of(op);
    if (!head || !*head)
        return;
    call_chain c = {NULL, NULL, 0, 0, 1};
    clear_list(op, &c, NULL);   /* refcount death: every live one */
    chain_deliver(&c);
}

/* Collector: a reference that is garbage too never calls back (both die
 * together; reference 2.4 (b)). */
static int not_garbage(const rci_weakref *wr) {
    rci_gc_link *g = gc_link_of(&wr->ob);
    return !(g && gc_is_collecting(g));
}

intptr_t rci_weakref_handle_garbage(rci_gc_link *unreachable, intptr_t *freed) {
    call_chain c = {NULL, NULL, 0, 0, 0};
    *freed = 0;
    if (!rci_current_heap->weakrefs_linked)
        return 0;   /* no weak reference to anything: no walk */
    for (rci_gc_link *g = gc_next(unreachable); g != unreachable; g = gc_next(g)) {
        rc_object *op = RCI_FROM_LINK(g);
        if (rci_is_weakref_obj(op))
            rci_weakref_unlink((rci_weakref *)op);   /* (a): garbage refs are cleared */
        clear_list(op, &c, not_garbage);             /* (b) */
    }
    intptr_t called = chain_deliver(&c);            /* (c): after every clear */
    *freed = c.freed;
    return called;
}

/* ------------------------------------------------------------ the types */

int rci_weakref_traverse(rc_object *self, rc_visitproc visit, void *arg) {
    rci_weakref *wr = (rci_weakref *)self;
    return wr->data ? visit(wr->data, arg) : 0;
}

int rci_weakref_clear(rc_object *self) {
    rci_weakref *wr = (rci_weakref *)self;
    rci_weakref_unlink(wr);
    wr->callback = NULL;
    rc_clear(&wr->data);
    return 0;
}

void rci_weakref_dealloc(rc_object *self) { rci_weakref_clear(self); }

/* A hashed reference keeps the referent's hash after death (reference 6.1,
 * test_hashing); a dead one never hashed cannot be hashed. */
static int64_t weakref_hash(rc_object *self) {
    rci_weakref *wr = (rci_weakref *)self;
    if (wr->hash != -1)
        return wr->hash;
    if (!wr->object || wr->object->refcount <= 0)
        return rc_error_set(RC_ERR_TYPE, "weak object has gone away");
    int64_t h = rc_hash(wr->object);
    if (h != -1)
        wr->hash = h;
    return h;
}

static rc_object *live_referent(const rci_weakref *wr) {
    rc_object *o = wr->object;
    return o && o->refcount > 0 ? o : NULL;
}

/* Two live references compare their referents; otherwise identity (rc_eq
 * has already answered for a == b). */
static int weakref_eq(rc_object *self, rc_object *other) {
    if (!rci_is_weakref_obj(other) || other->type == &rc_weakproxy_type)
        return 0;
    rc_object *a = live_referent((rci_weakref *)self), *b = live_referent((rci_weakref *)other);
    return a && b ? rc_eq(a, b) : 0;
}

/* "<weakref at 0x..; to 'Node' at 0x..>" and the proxy's variant, or
 * "<... at 0x..; dead>": CPython's formats (to_fmt gets the referent's type
 * name and address). */
static rc_object *repr_as(rc_object *self, const char *kind, const char *to_fmt) {
    rc_object *o = live_referent((rci_weakref *)self);
    if (!o)
        return rc_str_from_fmt("<%s at %p; dead>", kind, (void *)self);
    char to[160];
    snprintf(to, sizeof to, to_fmt, rc_type_name(o), (void *)o);
    return rc_str_from_fmt("<%s at %p%s>", kind, (void *)self, to);
}

static rc_object *weakref_repr(rc_object *self) {
    return repr_as(self, "weakref", "; to '%s' at %p");
}

/* Both weak-reference types: a GC object that starts tracked, whose only
 * owned field is `data`; dead ones go to the heap's weakref free list. */
#define WEAKREF_TYPE_COMMON                                                            \
    .ob_base = RC_STATIC_TYPE_HEAD, .basic_size = sizeof(rci_weakref),               \
    .flags = RC_TYPE_IMMORTAL | RC_TYPE_GC | RC_TYPE_TRACK | RCI_TYPE_WEAKREF_OBJ |   \
             RCI_TYPE_FREELIST_WEAKREF,                                               \
    .traverse = rci_weakref_traverse, .clear = rci_weakref_clear,                     \
    .dealloc = rci_weakref_dealloc

const rc_type rc_weakref_type = {
    WEAKREF_TYPE_COMMON,
    .name = "weakref.ReferenceType",
    .hash = weakref_hash,
    .eq = weakref_eq,
    .repr = weakref_repr,
};

/* ------------------------------------------------------------ proxies */

/* The referent of a proxy, or NULL with ReferenceError. */
static rc_object *proxy_target(const void *proxy, const char *fn) {
    if (!proxy)
        return rci_error_null(RC_ERR_INVALID, "%s: NULL proxy", fn);
    if (!rc_weakproxy_check(proxy))
        return rci_type_error_null(fn, "weakproxy", proxy);
    rc_object *o = live_referent(proxy);
    if (!o)
        return rci_error_null(RC_ERR_REFERENCE, "weakly-referenced object no longer exists");
    return o;
}

static int64_t proxy_hash(rc_object *self) {
    (void)self;
    return rc_error_set(RC_ERR_TYPE, "unhashable type: 'weakref.ProxyType'");
}

/* Proxies stand for their referents on either side of ==. */
static int proxy_eq(rc_object *self, rc_object *other) {
    rc_object *a = proxy_target(self, "rc_eq");
    if (!a)
        return -1;
    if (other->type == &rc_weakproxy_type && !(other = proxy_target(other, "rc_eq")))
        return -1;
    return rc_eq(a, other);
}

static rc_object *proxy_repr(rc_object *self) {
    return repr_as(self, "weakproxy", " to %s at %p");
}

const rc_type rc_weakproxy_type = {
    WEAKREF_TYPE_COMMON,
    .name = "weakref.ProxyType",
    .hash = proxy_hash,
    .eq = proxy_eq,
    .repr = proxy_repr,
};

/* ------------------------------------------------------------ public API */

int rc_weakref_check(const void *op) {
    return op && ((const rc_object *)op)->type == &rc_weakref_type;
}

int rc_weakproxy_check(const void *op) {
    return op && ((const rc_object *)op)->type == &rc_weakproxy_type;
}

/* ref() and proxy() share everything but the type.  The new reference is
 * allocated before the shared one is looked up: the allocation may run a
 * collection whose callbacks create the shared one meanwhile
 * (test_gc_during_ref_creation).  The list head's address is fixed (obj is
 * alive and cannot change type), so it is computed once, and the basic
 * references are looked up once, after the allocation. */
/* A new weak reference of type t, tracked, its fields after the header not
 * written: a dead one from the heap's free list when there is one (as
 * CPython's free lists of other types, this does not count as an
 * allocation for generation 0: the count went up when the block was first
 * allocated and comes down when the free list gives it back), else a new
 * block. */
static inline rci_weakref *reuse_ref(rc_heap *h, rc_object *op, const rc_type *t) {
    op->refcount = 1;
    op->type = t;
    rci_gc_link_track_new(h, RCI_AS_LINK(op));
    return (rci_weakref *)op;
}

static inline rci_weakref *alloc_ref(const rc_type *t) {
    rc_heap *h = rci_current_heap;
    if (RC_LIKELY(h)) {
        rc_object *op = rci_weakref_freelist_pop(h);
        if (op)
            return reuse_ref(h, op, t);
    }
    return rci_gc_static_object_new_raw(t, sizeof(rci_weakref));
}

static __attribute__((noinline)) rc_object *new_ref_general(const rc_type *t, void *obj,
                                                             rc_weakref_callback cb,
                                                             void *data, const char *fn) {
    if (!obj)
        return rci_error_null(RC_ERR_INVALID, "%s: NULL object", fn);
    rc_object *o = obj;
    rci_weakref **head = rci_weaklist_of(o);
    if (!head)
        return rci_error_null(RC_ERR_TYPE, "cannot create weak reference to '%s' object",
                              rc_type_name(o));
    /* t: a static GC, TRACK type; every field is written below (link_new,
     * or the dead state before the unused reference is dropped) before
     * anything else allocates. */
    rci_weakref *wr = alloc_ref(t);
    if (!wr)
        return NULL;
    rci_weakref *ref, *proxy;
    basic_refs(*head, &ref, &proxy);
    rci_weakref *shared = cb || data ? NULL : t == &rc_weakref_type ? ref : proxy;
    if (shared) {
        /* Never linked: dead and empty, its dealloc unlinks nothing. */
        memset(&wr->ob + 1, 0, sizeof *wr - sizeof wr->ob);
        wr->hash = -1;
        rc_decref(wr);
        return rc_newref(shared);
    }
    link_new(rci_current_heap, wr, t, o, head, ref, proxy, cb, data);
    return &wr->ob;
}

/* The common case inline - obj has no weak reference yet (nothing to share,
 * the new one goes first) and the free list has a block (no allocation) -
 * with no call, so no register saves; everything else in the general
 * path. */
static inline rc_object *new_ref(const rc_type *t, void *obj, rc_weakref_callback cb,
                                 void *data, const char *fn) {
    rc_heap *h = rci_current_heap;
    rci_weakref **head;
    if (RC_LIKELY(obj && h && RCI_TYPES(h)->weakref_free) &&
        (head = rci_weaklist_of(obj)) != NULL && !*head) {
        rci_weakref *wr = reuse_ref(h, rci_weakref_freelist_pop(h), t);
        link_new(h, wr, t, obj, head, NULL, NULL, cb, data);
        return &wr->ob;
    }
    return new_ref_general(t, obj, cb, data, fn);
}

rc_object *rc_weakref_new(void *obj, rc_weakref_callback callback, void *data) {
    return new_ref(&rc_weakref_type, obj, callback, data, "rc_weakref_new");
}

rc_object *rc_weakproxy_new(void *obj, rc_weakref_callback callback, void *data) {
    return new_ref(&rc_weakproxy_type, obj, callback, data, "rc_weakproxy_new");
}

/* The weak reference behind ref, or NULL with RC_ERR_TYPE. */
static const rci_weakref *as_weakref(const void *ref, const char *fn) {
    if (!ref || !rci_is_weakref_obj(ref))
        return rci_type_error_null(fn, "weakref", ref);
    return ref;
}

rc_object *rc_weakref_get(const void *ref) {
    const rci_weakref *wr = as_weakref(ref, "rc_weakref_get");
    if (!wr)
        return NULL;
    rc_object *o = live_referent(wr);
    return o ? rc_newref(o) : NULL;
}

int rc_weakref_is_alive(const void *ref) {
    const rci_weakref *wr = as_weakref(ref, "rc_weakref_is_alive");
    if (!wr)
        return -1;
    return live_referent(wr) != NULL;
}

rc_weakref_callback rc_weakref_callback_of(const void *ref, rc_object **data) {
    const rci_weakref *wr = as_weakref(ref, "rc_weakref_callback_of");
    int alive = wr && live_referent(wr);
    if (data)
        *data = alive ? wr->data : NULL;
    return alive ? wr->callback : NULL;
}

intptr_t rc_weakref_count(const void *obj) {
    rci_weakref **head = obj ? rci_weaklist_of(obj) : NULL;
    intptr_t n = 0;
    for (rci_weakref *wr = head ? *head : NULL; wr; wr = wr->next)
        n++;
    return n;
}

rc_object *rc_weakref_list(const void *obj) {
    if (!obj)
        return rci_error_null(RC_ERR_INVALID, "rc_weakref_list: NULL object");
    rc_object *list = rc_list_new(0);
    rci_weakref **head = rci_weaklist_of(obj);
    for (rci_weakref *wr = head ? *head : NULL; wr && list; wr = wr->next)
        if (rc_list_append(list, wr) < 0)
            rc_clear(&list);
    return list;
}

rc_object *rc_weakproxy_getattr(const void *proxy, const char *name) {
    rc_object *o = proxy_target(proxy, "rc_weakproxy_getattr");
    return o ? rc_getattr(o, name) : NULL;
}

/* The referent is held across the call: setting or deleting an attribute
 * may drop the last other reference to it. */
static int proxy_setattr(void *proxy, const char *name, void *value, const char *fn) {
    rc_object *o = proxy_target(proxy, fn);
    if (!o)
        return -1;
    rc_incref(o);
    int r = value ? rc_setattr(o, name, value) : rc_delattr(o, name);
    rc_decref(o);
    return r;
}

int rc_weakproxy_setattr(void *proxy, const char *name, void *value) {
    if (!value)
        return rc_error_set(RC_ERR_INVALID, "rc_weakproxy_setattr: NULL value "
                            "(use rc_weakproxy_delattr)");
    return proxy_setattr(proxy, name, value, "rc_weakproxy_setattr");
}

int rc_weakproxy_delattr(void *proxy, const char *name) {
    return proxy_setattr(proxy, name, NULL, "rc_weakproxy_delattr");
}
