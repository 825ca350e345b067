/*
 * weaktable.c - the storage of the weak containers (see weaktable.h for
 * the layout, the roles of an entry and the invariants): the index and
 * entries block, lookup, insertion and removal, the private references and
 * their callback, deferred removal under iteration guards, clearing, and
 * the type hooks the three container types share.
 *
 * Order of work in every mutation: first change the table (no user code
 * can run while it is inconsistent), then release references (which may
 * run anything: finalizers, callbacks, a collection, code that changes
 * this very table).  Functions that release never touch the table or an
 * entry pointer afterwards, unless they hold a reference to the table and
 * read it afresh.
 */
#include "weaktable.h"
#include "types/types.h"

#define IX_EMPTY (-1)
#define IX_DUMMY (-2)
#define LOG2_MINSIZE 3
/* int32 index slots: 2^30 slots is far beyond any realistic heap and keeps
 * every size computation away from overflow. */
#define LOG2_MAXSIZE 30
#define USABLE_FRACTION(n) (((n) << 1) / 3)

struct rci_wkeys {
    intptr_t usable;        /* entries that may still be appended */
    uint32_t log2size;
    uint32_t pad;
    int32_t index[];        /* 2^log2size slots, then the entries */
};

/* ------------------------------------------------------------ the block */

static inline size_t wk_size(const rci_wkeys *k) { return (size_t)1 << k->log2size; }

static inline rci_wentry *wk_entries(const rci_wkeys *k) {
    return (rci_wentry *)(void *)(k->index + wk_size(k));
}

rci_wentry *rci_wt_entry(const rci_wtable *t, intptr_t ix) { return &wk_entries(t->keys)[ix]; }

static size_t block_bytes(unsigned log2size) {
    size_t n = (size_t)1 << log2size;
    return sizeof(rci_wkeys) + n * sizeof(int32_t) + USABLE_FRACTION(n) * sizeof(rci_wentry);
}

/* A block with every slot EMPTY and no entry; NULL with the error. */
static rci_wkeys *new_block(unsigned log2size) {
    if (log2size > LOG2_MAXSIZE)
        return rci_error_null(RC_ERR_OVERFLOW, "weak container: table of 2^%u slots is too "
                              "large", log2size);
    rci_wkeys *k = rc_mem_malloc(block_bytes(log2size));
    if (!k)
        return NULL;
    k->log2size = log2size;
    k->pad = 0;
    k->usable = USABLE_FRACTION((intptr_t)1 << log2size);
    memset(k->index, 0xff, wk_size(k) * sizeof(int32_t));   /* -1 = EMPTY */
    return k;
}

/* The probe sequence of the built-in tables (types/types.h). */
static inline rci_probe probe_start(const rci_wkeys *k, int64_t hash) {
    return rci_probe_start(wk_size(k) - 1, hash);
}

static size_t find_empty_slot(const rci_wkeys *k, int64_t hash) {
    rci_probe p = probe_start(k, hash);
    while (k->index[p.i] >= 0)
        rci_probe_next(&p);
    return p.i;
}

/* The slot whose entry satisfies `is_it` (the entry is known to be in the
 * table: reaching an EMPTY slot means the invariants are broken). */
static size_t slot_where(const rci_wkeys *k, int64_t hash, intptr_t ix, const rci_wtref *r) {
    const rci_wentry *e = wk_entries(k);
    for (rci_probe p = probe_start(k, hash);; rci_probe_next(&p)) {
        int32_t s = k->index[p.i];
        if (s >= 0 && (s == ix || (r && e[s].ref == r)))
            return p.i;
        if (s == IX_EMPTY)
            rci_fatal("weak container %p: entry %ld / reference %p is not in its table",
                      (const void *)k, (long)ix, (const void *)r);
    }
}

/* Smallest log2 of a size of at least minsize slots (and 8). */
static unsigned log2_for(intptr_t minsize) {
    unsigned log2 = LOG2_MINSIZE;
    while (((intptr_t)1 << log2) < minsize && log2 <= LOG2_MAXSIZE)
        log2++;
    return log2;
}

/* Rebuild with room for 3x the entries in use (the dict's growth rate),
 * dropping holes.  Positions change, so the version does too. */
static int grow(rci_wtable *t) {
    rci_wkeys *nk = new_block(log2_for(t->used * 3));
    if (!nk)
        return -1;
    rci_wkeys *ok = t->keys;
    rci_wentry *dst = wk_entries(nk);
    intptr_t n = 0;
    for (intptr_t i = 0; ok && i < t->nentries; i++) {
        const rci_wentry *e = &wk_entries(ok)[i];
        if (!e->ref)
            continue;
        dst[n] = *e;
        nk->index[find_empty_slot(nk, e->hash)] = (int32_t)n;
        n++;
    }
    nk->usable -= n;
    t->keys = nk;
    t->nentries = n;
    t->version++;
    rc_mem_free(ok);
    return 0;
}

/* ------------------------------------------------------------ lookup */

/* The key of an entry, borrowed; NULL for a hole or a dead weak key. */
static inline rc_object *entry_key(const rci_wtable *t, const rci_wentry *e) {
    if (!e->ref)
        return NULL;
    return rci_wt_weak_keys(t) ? rci_wt_referent(e->ref) : e->obj;
}

intptr_t rci_wt_lookup(rci_wtable *t, const rc_object *key, int64_t hash) {
restart:;
    rci_wkeys *k = t->keys;
    if (!k)
        return RCI_WT_MISSING;
    for (rci_probe p = probe_start(k, hash);; rci_probe_next(&p)) {
        int32_t ix = k->index[p.i];
        if (ix == IX_EMPTY)
            return RCI_WT_MISSING;
        if (ix < 0)
            continue;
        rci_wentry *e = &wk_entries(k)[ix];
        rc_object *ek = entry_key(t, e);
        if (ek == key)
            return ix;
        if (!ek || e->hash != hash)
            continue;
        /* The comparison may run code that changes the table or drops the
         * candidate: hold it, and start again if the entry moved. */
        rci_wtref *start = e->ref;
        rc_incref(ek);
        int cmp = rc_eq(ek, key);
        rc_decref(ek);
        if (cmp < 0)
            return RCI_WT_ERROR;
        if (k != t->keys || e->ref != start || entry_key(t, e) != ek)
            goto restart;
        if (cmp > 0)
            return ix;
    }
}

intptr_t rci_wt_last_live(const rci_wtable *t) {
    for (intptr_t i = t->keys ? t->nentries - 1 : -1; i >= 0; i--) {
        const rci_wentry *e = &wk_entries(t->keys)[i];
        if (e->ref && rci_wt_referent(e->ref))
            return i;
    }
    return RCI_WT_MISSING;
}

/* ------------------------------------------------------------ private refs */

static void ref_died(rc_object *ref, rc_object *data);

/* Not a GC object (weaktable.h says why); rci_weakref's hooks do the rest:
 * its dealloc unlinks it from a live referent. */
static const rc_type wtref_type = {
    .ob_base = RC_STATIC_TYPE_HEAD,
    .name = "weakref.ContainerRef",
    .basic_size = sizeof(rci_wtref),
    .flags = RC_TYPE_IMMORTAL | RCI_TYPE_WEAKREF_OBJ,
    .traverse = rci_weakref_traverse,
    .clear = rci_weakref_clear,
    .dealloc = rci_weakref_dealloc,
};

static rci_wtref *new_ref(rci_wtable *t, rc_object *referent, int64_t hash) {
    rci_wtref *r = rc_object_new(&wtref_type);
    if (!r)
        return NULL;
    rci_weakref_init(&r->wr, referent, ref_died, NULL);
    r->wr.hash = hash;
    r->table = t;
    return r;
}

/* The entry lets go of r: from now on its callback does nothing and it no
 * longer counts as a weak reference to its referent.  (Its count is the
 * caller's business.) */
static void detach_ref(rci_wtref *r) {
    r->table = NULL;
    r->wr.callback = NULL;
    rci_weakref_unlink(&r->wr);
}

/* detach_ref for a ref leaving a table whose counters stay valid: a dead
 * ref still waiting on the pending chain stops counting as pending (the
 * chain keeps its reference and skips it at the commit). */
static void forget_ref(rci_wtable *t, rci_wtref *r) {
    if (r->pending_next)
        t->npending--;
    detach_ref(r);
}

/* ------------------------------------------------------------ insertion */

int rci_wt_insert(rci_wtable *t, int64_t hash, rc_object *referent, rc_object *obj) {
    if ((!t->keys || t->keys->usable <= 0) && grow(t) < 0)
        return -1;
    rci_wtref *r = new_ref(t, referent, hash);
    if (!r)
        return -1;
    rci_wkeys *k = t->keys;
    k->index[find_empty_slot(k, hash)] = (int32_t)t->nentries;
    rci_wentry *e = &wk_entries(k)[t->nentries];
    e->hash = hash;
    e->ref = r;
    e->obj = rc_xnewref(obj);
    k->usable--;
    t->nentries++;
    t->used++;
    t->version++;
    return 0;
}

int rci_wt_replace_referent(rci_wtable *t, intptr_t ix, rc_object *referent) {
    rci_wentry *e = rci_wt_entry(t, ix);
    if (rci_wt_referent(e->ref) == referent)
        return 0;
    rci_wtref *r = new_ref(t, referent, e->hash);
    if (!r)
        return -1;
    rci_wtref *old = e->ref;
    e->ref = r;
    forget_ref(t, old);
    rc_decref(old);
    return 0;
}

void rci_wt_replace_obj(rci_wtable *t, intptr_t ix, rc_object *obj) {
    rci_wentry *e = rci_wt_entry(t, ix);
    rc_setref(&e->obj, rc_newref(obj));
}

/* ------------------------------------------------------------ removal */

/* Take the entry at ix (in index slot `slot`) out of the table; its ref
 * and obj references pass to the caller. */
static void take_entry(rci_wtable *t, size_t slot, intptr_t ix, rci_wtref **r, rc_object **obj) {
    rci_wentry *e = rci_wt_entry(t, ix);
    t->keys->index[slot] = IX_DUMMY;
    *r = e->ref;
    *obj = e->obj;
    e->ref = NULL;
    e->obj = NULL;
    t->used--;
}

/* Release what a taken entry held (t must stay alive: the caller's). */
static void release_entry(rci_wtable *t, rci_wtref *r, rc_object *obj) {
    forget_ref(t, r);
    rc_decref(r);
    rc_xdecref(obj);   /* last: may run anything */
}

void rci_wt_remove(rci_wtable *t, intptr_t ix, rc_object **referent, rc_object **obj) {
    size_t slot = slot_where(t->keys, rci_wt_entry(t, ix)->hash, ix, NULL);
    rci_wtref *r;
    rc_object *o;
    take_entry(t, slot, ix, &r, &o);
    if (referent)
        *referent = rc_xnewref(rci_wt_referent(r));
    if (obj)
        *obj = rc_xnewref(o);
    release_entry(t, r, o);
}

/* Remove the entry that holds the dead ref r (r->table == t): found by
 * its stored hash and pointer identity, without calling rc_eq. */
static void remove_dead(rci_wtable *t, rci_wtref *r) {
    size_t slot = slot_where(t->keys, r->wr.hash, -1, r);
    rci_wtref *taken;
    rc_object *o;
    take_entry(t, slot, t->keys->index[slot], &taken, &o);
    release_entry(t, taken, o);
}

/* A terminator for the pending chain, so that pending_next != NULL tells
 * "on the chain" even for its last member. */
static const char chain_end_mark;
#define CHAIN_END ((rci_wtref *)(uintptr_t)&chain_end_mark)

static void defer_removal(rci_wtable *t, rci_wtref *r) {
    rc_incref(r);   /* the chain's reference */
    r->pending_next = t->pending ? t->pending : CHAIN_END;
    t->pending = r;
    t->npending++;
}

/* Pop the head of the pending chain (which keeps its reference). */
static rci_wtref *pop_pending(rci_wtable *t) {
    rci_wtref *r = t->pending;
    t->pending = r->pending_next == CHAIN_END ? NULL : r->pending_next;
    r->pending_next = NULL;
    return r;
}

/* The callback of every private ref: CPython's remove(wr) with
 * _remove_dead_weakref.  The entry is the one still holding r (if r->table
 * is set, it is), removed now or, during an iteration, at its end. */
static void ref_died(rc_object *ref, rc_object *data) {
    (void)data;
    rci_wtref *r = (rci_wtref *)ref;
    rci_wtable *t = r->table;
    /* A table whose count is zero is being destroyed (it may be the very
     * referent that died, a table holding a weak reference to itself, or
     * be parked by the trashcan): its dealloc removes every entry, and
     * touching its count here would destroy it twice. */
    if (!t || t->ob.refcount <= 0)
        return;
    if (t->iterating) {
        defer_removal(t, r);
        return;
    }
    rc_incref(t);   /* the releases may drop the last other reference to t */
    remove_dead(t, r);
    rc_decref(t);
}

/* Commit deferred removals while no guard is open (a release may open one
 * again: what is left then waits for that one). */
static void commit_pending(rci_wtable *t) {
    while (t->pending && !t->iterating) {
        rci_wtref *r = pop_pending(t);
        if (r->table == t) {
            t->npending--;
            remove_dead(t, r);
        }
        rc_decref(r);   /* the chain's reference */
    }
}

void rci_wt_guard_enter(rci_wtable *t) { t->iterating++; }

void rci_wt_guard_leave(rci_wtable *t) {
    if (--t->iterating == 0)
        commit_pending(t);
}

/* ------------------------------------------------------------ clearing */

void rci_wt_clear(rci_wtable *t) {
    rci_wkeys *k = t->keys;
    intptr_t n = t->nentries;
    /* With an iteration open the chain stays: its members are detached
     * below, and the commit will skip them. */
    rci_wtref *chain = t->iterating ? NULL : t->pending;
    if (chain)
        t->pending = NULL;
    t->keys = NULL;
    t->nentries = 0;
    t->used = 0;
    t->npending = 0;
    t->version++;
    rci_wentry *e = k ? wk_entries(k) : NULL;
    for (intptr_t i = 0; i < n; i++)
        if (e[i].ref)
            detach_ref(e[i].ref);
    for (intptr_t i = 0; i < n; i++) {
        if (e[i].ref) {
            rc_decref(e[i].ref);
            rc_xdecref(e[i].obj);
        }
    }
    rc_mem_free(k);
    while (chain) {
        rci_wtref *r = chain;
        chain = r->pending_next == CHAIN_END ? NULL : r->pending_next;
        r->pending_next = NULL;
        rc_decref(r);
    }
}

/* ------------------------------------------------------------ objects */

rc_object *rci_wt_new(const rc_type *type, rci_wt_kind kind) {
    rci_wtable *t = rc_object_new(type);
    if (!t)
        return NULL;
    t->kind = kind;   /* every other field starts zeroed: empty */
    return &t->ob;
}

/* ------------------------------------------------------------ type hooks */

/* Visit the references the table holds: every entry's ref and obj (with
 * strong_only, the obj only of entries whose referent is gone), and the
 * pending chain's refs. */
static int visit_table(rci_wtable *t, rc_visitproc visit, void *arg, int strong_only) {
    rci_wentry *e = t->keys ? wk_entries(t->keys) : NULL;
    for (intptr_t i = 0; i < t->nentries; i++) {
        if (!e[i].ref)
            continue;
        int r = visit(&e[i].ref->wr.ob, arg);
        if (!r && e[i].obj && (!strong_only || !e[i].ref->wr.object))
            r = visit(e[i].obj, arg);
        if (r)
            return r;
    }
    for (rci_wtref *p = t->pending; p && p != CHAIN_END; p = p->pending_next) {
        int r = visit(&p->wr.ob, arg);
        if (r)
            return r;
    }
    return 0;
}

int rci_wt_traverse(rc_object *self, rc_visitproc visit, void *arg) {
    return visit_table((rci_wtable *)self, visit, arg, 0);
}

/* For the ephemeron: an obj is held strongly only by an entry whose key
 * is already dead (waiting for removal); the others are reported by
 * rci_ephemeron_visit_entries (weakkeydict.c), which uses the same test
 * (wr.object != NULL), so every obj is given to the collector once. */
int rci_wt_traverse_strong(rc_object *self, rc_visitproc visit, void *arg) {
    return visit_table((rci_wtable *)self, visit, arg, 1);
}

int rci_wt_tp_clear(rc_object *self) {
    rci_wt_clear((rci_wtable *)self);
    return 0;
}

/* Iterators hold a reference, so no guard is open here and the clear
 * also drops the pending chain. */
void rci_wt_dealloc(rc_object *self) { rci_wt_clear((rci_wtable *)self); }

int64_t rci_wt_hash(rc_object *self) {
    return rc_error_set(RC_ERR_TYPE, "unhashable type: '%s'", self->type->name);
}

rc_object *rci_wt_repr(rc_object *self) {
    return rc_str_from_fmt("<%s at %p>", self->type->name, (void *)self);
}

intptr_t rci_wt_extra_size(const rc_object *self) {
    const rci_wkeys *k = ((const rci_wtable *)self)->keys;
    return k ? (intptr_t)block_bytes(k->log2size) : 0;
}
