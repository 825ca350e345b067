/*
 * collect.c - the generational cycle collector: CPython 3.11/3.12's
 * gc_collect_main, step for step (reference 2.3; docs/semantics.md):
 *
 *   merge younger generations -> update_refs -> subtract_refs ->
 *   move_unreachable -> untrack tuples (every collection) -> promote
 *   survivors (untrack dicts on full collections) -> legacy-finalizer
 *   closure -> weakref handling -> finalizers (once) -> resurrection check
 *   -> clear -> garbage list -> free lists (full collections) -> stats ->
 *   callbacks.
 *
 * Every pass is a loop over a list; nothing recurses, so a ten-million-long
 * cyclic chain is collected with a bounded C stack (freeing it relies on
 * the trashcan in core/dealloc.c).
 */
#include "gclist.h"
#include "types/types.h"
#include "weakref/weakref.h"

/* ------------------------------------------------------------ reachability */

/* gc_refs = refcount for every object in containers, and COLLECTING set.
 * Immortal objects never take part (3.13's rule: they are untracked). */
/* Set by update_refs: whether the set holds tuples / dicts, so that the
 * untracking passes (a walk over every object) can be skipped when not,
 * and objects whose type has a `del` or `finalize` hook, without which the
 * legacy-finalizer pass over the garbage has nothing to find. */
typedef struct {
    int tuples, dicts, hooks;
    const rc_type *last;   /* the type noted last (runs of one type are common) */
} kinds_seen;

/* An immortal object found tracked leaves the set (and is untracked). */
static void untrack_immortal(rci_gc_link *g) {
    gc_list_remove(g);
    g->prev &= RCI_GC_FINALIZED;
    rci_current_heap->gc.tracked--;
}

/* gc_refs = refcount, COLLECTING set. */
static GC_INLINE void init_refs(rci_gc_link *g, rc_object *op) {
    if (RC_UNLIKELY(op->refcount <= 0))
        rci_object_fatal("is tracked with a refcount of zero or less (it was freed "
                         "without being untracked)", op);
    gc_reset_refs(g, op->refcount);
}

static GC_INLINE void note_kind(kinds_seen *seen, const rc_object *op) {
    const rc_type *t = op->type;
    if (t == seen->last)
        return;
    seen->last = t;
    seen->tuples |= t == &rc_tuple_type;
    seen->dicts |= t == &rc_dict_type;
    seen->hooks |= (t->del != NULL) | (t->finalize != NULL);
}

static intptr_t update_refs(rci_gc_link *containers, kinds_seen *seen) {
    intptr_t n = 0;
    rci_gc_link *g = gc_next(containers);
    while (g != containers) {
        rci_gc_link *next = gc_next(g);
        rc_object *op = RCI_FROM_LINK(g);
        if (RC_UNLIKELY(rc_is_immortal(op))) {
            untrack_immortal(g);
        } else {
            init_refs(g, op);
            note_kind(seen, op);
            n++;
        }
        g = next;
    }
    return n;
}

/* ------------------------------------------------------ visiting referents
 *
 * The reachability passes visit referents through inline visitors,
 * visit(referent, n, ctx), which account for n references to one referent
 * at once.  list and tuple items are walked right here (no indirect call
 * per object or per item), and consecutive repeats of one referent are
 * folded into one visit: [x] * n costs one gc_refs update instead of a chain
 * of n dependent writes to the same word.  Every other type goes through its
 * traverse hook with a thin callback that visits with n = 1. */
typedef void (*gc_visitor)(rc_object *op, intptr_t n, void *ctx);

static GC_INLINE void visit_items(rc_object *const *items, intptr_t size, gc_visitor visit,
                                  void *ctx) {
    intptr_t i = 0;
    while (i < size) {
        rc_object *op = items[i];
        intptr_t j = i + 1;
        if (j < size && items[j] == op) {
            /* A run: scan it four items per step.  A one-item loop ran at
             * half speed whenever the compiler's layout put it across a
             * fetch boundary (gc_traversal 513 -> 652 us between builds). */
            j++;
            while (j + 4 <= size && items[j] == op && items[j + 1] == op &&
                   items[j + 2] == op && items[j + 3] == op)
                j += 4;
            while (j < size && items[j] == op)
                j++;
        }
        if (op)
            visit(op, j - i, ctx);   /* NULL: holes */
        i = j;
    }
}

/* The referents of an RCI_TYPE_GC_INLINE_REFS object (internal.h): the
 * pointers after the header, then its type - unless type_ref is given: the
 * type's reference is then left to the caller (*type_ref = the type), which
 * can handle a run of instances of one class at once (a million instances
 * of one class otherwise make a million dependent updates of the class's
 * gc_refs word, one of the walks' longest chains: a tenth of a full
 * collection's time). */
static GC_INLINE void visit_inline_refs(rc_object *op, const rc_type *t, gc_visitor visit,
                                        void *ctx, const rc_type **type_ref) {
    size_t end = (t->flags & RC_TYPE_WEAKREF) ? t->weaklist_offset : t->basic_size;
    rc_object *const *refs = (rc_object *const *)(op + 1);
    /* A few slots each: no run folding, which only pays on long arrays. */
    size_t n = (end - sizeof(rc_object)) / sizeof(rc_object *);
    for (size_t i = 0; i < n; i++)
        if (refs[i])
            visit(refs[i], 1, ctx);
    if (type_ref)
        *type_ref = t;
    else
        visit((rc_object *)(uintptr_t)t, 1, ctx);
}

/* Visit every referent of op: inline for list, tuple and types with
 * RCI_TYPE_GC_INLINE_REFS, else through the type's traverse hook with cb
 * (which must visit with n = 1).  type_ref: see visit_inline_refs; left
 * untouched for every other kind of object. */
static GC_INLINE void traverse_inline(rc_object *op, gc_visitor visit, rc_visitproc cb,
                                      void *ctx, const rc_type **type_ref) {
    const rc_type *t = op->type;
    if (t == &rc_list_type) {
        const rci_list *l = (const rci_list *)op;
        visit_items(l->items, l->ob.size, visit, ctx);
    } else if (t == &rc_tuple_type) {
        const rci_tuple *tp = (const rci_tuple *)op;
        visit_items(tp->items, tp->ob.size, visit, ctx);
    } else if (t->flags & RCI_TYPE_GC_INLINE_REFS) {
        visit_inline_refs(op, t, visit, ctx, type_ref);
    } else if (t->traverse) {
        t->traverse(op, cb, ctx);
    }
}

static RC_NORETURN __attribute__((noinline, cold)) void refcount_too_small(rc_object *op,
                                                                          rc_object *parent) {
    char what[200];
    snprintf(what, sizeof what,
             "has more references from objects being collected than its refcount "
             "(%ld): refcount is too small (last seen from a '%s' at %p)",
             (long)op->refcount, rc_type_name(parent), (void *)parent);
    rci_object_fatal(what, op);
}

/* n references from inside the set: n fewer external references.  ctx is
 * the referring object (for the diagnostic). */
static GC_INLINE void visit_decref(rc_object *op, intptr_t n, void *ctx) {
    rci_gc_link *g = gc_link_of(op);
    if (g && gc_is_collecting(g)) {
        if (RC_UNLIKELY(gc_get_refs(g) < n))
            refcount_too_small(op, ctx);
        gc_sub_refs(g, n);
    }
}

static int visit_decref_cb(rc_object *op, void *ctx) {
    visit_decref(op, 1, ctx);
    return 0;
}

static void subtract_refs(rci_gc_link *containers) {
    for (rci_gc_link *g = gc_next(containers); g != containers; g = gc_next(g)) {
        rc_object *op = RCI_FROM_LINK(g);
        traverse_inline(op, visit_decref, visit_decref_cb, op, NULL);
    }
}

/* update_refs and subtract_refs in one walk, for a collection of whole
 * generations while the process has one heap.  A referent's generation tag
 * (internal.h) says whether it is in the set - younger generations were
 * merged into the collected one, older and permanent ones are not in it -
 * so a referent met before the walk reaches it is given its gc_refs right
 * then (COLLECTING marks "done"), and the walk skips the step when it gets
 * there.  One walk over the set fewer than CPython's two; the referents are
 * the same objects subtract_refs touches.  With several heaps, an object
 * may refer to another heap's objects, whose tags say nothing about this
 * collection: the caller then uses the two walks. */
typedef struct {
    rc_object *parent;    /* the object being traversed (diagnostics) */
    uintptr_t max_gen;    /* gc_gen_bits(generation collected) */
} fused_ctx;

/* The fused walk's references of slots instances to their class: counted
 * while a run of instances of one class lasts and subtracted in one step
 * when it ends.  Only the final gc_refs matter (nothing reads them before
 * the scan), and a class met by the walk itself before the flush is given
 * its gc_refs then, as any referent. */
typedef struct {
    const rc_type *type;
    intptr_t n;
} type_refs;

static GC_INLINE void visit_decref_fused(rc_object *op, intptr_t n, void *ctx) {
    const fused_ctx *c = ctx;
    if (!(op->type->flags & RC_TYPE_GC))
        return;
    rci_gc_link *g = RCI_AS_LINK(op);
    if (!g->next)
        return;                                  /* untracked */
    if (!gc_is_collecting(g)) {
        /* an older generation; or immortal, left for the walk to untrack */
        if ((g->prev & RCI_GC_GEN_MASK) > c->max_gen || rc_is_immortal(op))
            return;
        init_refs(g, op);
    }
    if (RC_UNLIKELY(gc_get_refs(g) < n))
        refcount_too_small(op, c->parent);
    gc_sub_refs(g, n);
}

static int visit_decref_fused_cb(rc_object *op, void *ctx) {
    visit_decref_fused(op, 1, ctx);
    return 0;
}

static void flush_type_refs(type_refs *tr, fused_ctx *c) {
    if (tr->n)
        visit_decref_fused((rc_object *)(uintptr_t)tr->type, tr->n, c);
    tr->n = 0;
}

static intptr_t update_and_subtract_refs(rci_gc_link *containers, int generation,
                                         kinds_seen *seen) {
    fused_ctx c = {NULL, gc_gen_bits(generation)};
    type_refs tr = {NULL, 0};
    intptr_t n = 0;
    rci_gc_link *g = gc_next(containers);
    while (g != containers) {
        rci_gc_link *next = gc_next(g);
        rc_object *op = RCI_FROM_LINK(g);
        if (!gc_is_collecting(g)) {
            if (RC_UNLIKELY(rc_is_immortal(op))) {
                untrack_immortal(g);
                g = next;
                continue;
            }
            init_refs(g, op);
        }
        note_kind(seen, op);
        n++;
        c.parent = op;
        const rc_type *t = NULL;
        traverse_inline(op, visit_decref_fused, visit_decref_fused_cb, &c, &t);
        if (t) {
            if (t != tr.type) {
                flush_type_refs(&tr, &c);
                tr.type = t;
            }
            tr.n++;
        }
        g = next;
    }
    flush_type_refs(&tr, &c);
    return n;
}

/* A referent of a reachable object is reachable (n does not matter).  ctx
 * is the list of reachable objects being scanned. */
static GC_INLINE void visit_reachable(rc_object *op, intptr_t n, void *ctx) {
    (void)n;
    rci_gc_link *reachable = ctx;
    rci_gc_link *g = gc_link_of(op);
    if (!g || !gc_is_collecting(g))
        return;   /* other generation, or already scanned */
    if (gc_is_unreachable_mark(g)) {
        /* Tentatively unreachable, but it is not: back to the young list,
         * where move_unreachable will reach it again (mark dropped). */
        rci_gc_link *prev = gc_prev(g), *next = gc_next(g);
        gc_set_next(prev, next);
        gc_set_prev(next, prev);
        gc_list_append(g, reachable);
        gc_reset_refs(g, 1);
    } else if (gc_get_refs(g) == 0) {
        gc_set_refs(g, 1);                  /* still ahead in the scan */
    }
}

static int visit_reachable_cb(rc_object *op, void *ctx) {
    visit_reachable(op, 1, ctx);
    return 0;
}

/* Ephemeron tables reached during a scan (weak-key dictionaries): their
 * values are reachable only through entries whose key is reachable, which
 * is known only once the scan is over (reference: docs/semantics.md). */
typedef struct {
    rc_object **items;
    intptr_t n, cap;
} eph_tables;

/* Remember a reachable table; 0 if the array cannot grow (the caller then
 * treats the table's values as ordinary strong references). */
static int eph_add(eph_tables *t, rc_object *table) {
    if (t->n == t->cap) {
        intptr_t cap = t->cap ? t->cap * 2 : 16;
        rc_object **p = rci_os_realloc(t->items, (size_t)t->cap * sizeof *p,
                                       (size_t)cap * sizeof *p);
        if (!p)
            return 0;
        t->items = p;
        t->cap = cap;
    }
    t->items[t->n++] = table;
    return 1;
}

static void eph_free(eph_tables *t) {
    rci_os_free(t->items, (size_t)t->cap * sizeof *t->items);
}

/* Propagate reachability from a reachable object: ephemeron tables hold
 * back their values. */
static GC_INLINE void traverse_reachable(rc_object *op, rci_gc_link *young, eph_tables *tables,
                                        const rc_type **type_ref) {
    const rc_type *t = op->type;
    if (RC_UNLIKELY(t->flags & RCI_TYPE_EPHEMERON) && eph_add(tables, op))
        rci_ephemeron_traverse_strong(op, visit_reachable_cb, young);
    else
        traverse_inline(op, visit_reachable, visit_reachable_cb, young, type_ref);
}

/* One forward scan from *prevp: objects with gc_refs > 0 are reachable and
 * make their referents reachable; the others move, tentatively, to
 * unreachable (marked by their tag bits, gclist.h).  Afterwards young holds the
 * reachable objects scanned so far (prev pointers restored, COLLECTING
 * cleared, generation tag set to gen_bits: the generation they are about to
 * join) and *prevp is its last one; a later call resumes from there when
 * more objects were made reachable (appended to young). */
static intptr_t scan_young(rci_gc_link *young, rci_gc_link *unreachable, rci_gc_link **prevp,
                           eph_tables *tables, uintptr_t gen_bits) {
    intptr_t reachable = 0;
    rci_gc_link *prev = *prevp;
    rci_gc_link *g = (rci_gc_link *)prev->next;
    /* A referent that a reachable object has visited is reachable from
     * then on (scanned; or ahead with gc_refs >= 1, rescued if it was
     * tentatively unreachable), so visiting it again in this scan changes
     * nothing: a run of slots instances of one class visits the class once,
     * where the first of them would - the same order of events. */
    const rc_type *visited_type = NULL;
    while (g != young) {
        if (gc_get_refs(g)) {
            const rc_type *t = NULL;
            traverse_reachable(RCI_FROM_LINK(g), young, tables, &t);
            if (t && t != visited_type) {
                visit_reachable((rc_object *)(uintptr_t)t, 1, young);
                visited_type = t;
            }
            g->prev = (g->prev & RCI_GC_FINALIZED) | gen_bits | (uintptr_t)prev;
            prev = g;
            reachable++;
        } else {
            prev->next = g->next;
            rci_gc_link *last = (rci_gc_link *)unreachable->prev;
            last->next = (uintptr_t)g;
            g->prev = (g->prev & (RCI_GC_FINALIZED | RCI_GC_COLLECTING)) | GC_TAG_UNREACHABLE |
                      (uintptr_t)last;
            g->next = (uintptr_t)unreachable;
            unreachable->prev = (uintptr_t)g;
        }
        g = (rci_gc_link *)prev->next;
    }
    young->prev = (uintptr_t)prev;
    *prevp = prev;
    return reachable;
}

/* After a scan: is key reachable?  Outside the set, already scanned, or
 * waiting in young to be scanned - anything but the unreachable list. */
static int key_reachable(const rc_object *key) {
    rci_gc_link *g = gc_link_of(key);
    return !g || !gc_is_collecting(g) || !gc_is_unreachable_mark(g);
}

typedef struct {
    rci_gc_link *young;
    int changed;
} eph_pass;

static void eph_entry(rc_object *key, rc_object *value, void *arg) {
    eph_pass *p = arg;
    rci_gc_link *g = gc_link_of(value);
    if (key_reachable(key) && g && gc_is_collecting(g) && gc_is_unreachable_mark(g)) {
        visit_reachable(value, 1, p->young);
        p->changed = 1;
    }
}

/* Split young into reachable and unreachable: scan, then give every
 * reachable table's entries with reachable keys their values, and scan on
 * from what that made reachable, until nothing changes. */
static intptr_t move_unreachable(rci_gc_link *young, rci_gc_link *unreachable,
                                 uintptr_t gen_bits) {
    eph_tables tables = {NULL, 0, 0};
    rci_gc_link *prev = young;
    intptr_t reachable = scan_young(young, unreachable, &prev, &tables, gen_bits);
    for (;;) {
        eph_pass pass = {young, 0};
        for (intptr_t i = 0; i < tables.n; i++)
            rci_ephemeron_visit_entries(tables.items[i], eph_entry, &pass);
        if (!pass.changed)
            break;
        reachable += scan_young(young, unreachable, &prev, &tables, gen_bits);
    }
    eph_free(&tables);
    return reachable;
}

/* Split base into reachable (stays, tagged with old_gen, the generation it
 * is to join) and unreachable; returns how many objects there were and, in
 * *reachable, how many stayed.  Counting here saves the extra passes that
 * measuring the lists would cost.  generation >= 0: base is generations
 * 0..generation merged, and the fused first pass may be used; -1: base is
 * any set (the resurrection check). */
static intptr_t deduce_unreachable(rci_gc_link *base, int generation, int old_gen,
                                   rci_gc_link *unreachable, intptr_t *reachable,
                                   kinds_seen *seen) {
    intptr_t n;
    if (generation >= 0 && rci_heaps_live() == 1) {
        n = update_and_subtract_refs(base, generation, seen);
    } else {
        n = update_refs(base, seen);
        subtract_refs(base);
    }
    gc_list_init(unreachable);
    *reachable = move_unreachable(base, unreachable, gc_gen_bits(old_gen));
    return n;
}

/* ------------------------------------------------------------ untracking */

/* Untrack the tuples (every collection) or dicts (full collections only)
 * that hold nothing trackable; returns how many were untracked. */
static intptr_t untrack_atomic(rci_gc_link *head, const rc_type *t, int (*maybe)(rc_object *)) {
    intptr_t n = 0;
    rci_gc_link *g = gc_next(head);
    while (g != head) {
        rci_gc_link *next = gc_next(g);
        rc_object *op = RCI_FROM_LINK(g);
        if (op->type == t)
            n += maybe(op);
        g = next;
    }
    return n;
}

/* ------------------------------------------------------ legacy finalizers */

static int has_legacy_finalizer(const rc_object *op) { return op->type->del != NULL; }

/* Whether finalize_garbage would call op's finalizer. */
static int needs_finalizer(const rc_object *op) {
    return op->type->finalize && !(RCI_AS_LINK(op)->prev & RCI_GC_FINALIZED);
}

/* Move objects with a legacy `del` hook out of unreachable.  Returns
 * whether any object left may need its finalizer called, so that
 * finalize_garbage's walk can be skipped when none does (objects that move
 * out later only make the answer cautious).  Not called at all when no
 * object in the set has either hook (kinds_seen.hooks). */
static int move_legacy_finalizers(rci_gc_link *unreachable, rci_gc_link *finalizers) {
    int finalizers_due = 0;
    rci_gc_link *g = gc_next(unreachable), *next;
    for (; g != unreachable; g = next) {
        next = gc_next(g);
        rc_object *op = RCI_FROM_LINK(g);
        if (has_legacy_finalizer(op)) {
            gc_clear_collecting(g);
            gc_list_move(g, finalizers);
        } else {
            finalizers_due |= needs_finalizer(op);
        }
    }
    return finalizers_due;
}

static int visit_move(rc_object *op, void *arg) {
    rci_gc_link *g = gc_link_of(op);
    if (g && gc_is_collecting(g)) {
        gc_clear_collecting(g);
        gc_list_move(g, (rci_gc_link *)arg);
    }
    return 0;
}

/* Everything reachable from a legacy finalizer is uncollectable too. */
static void move_legacy_finalizer_reachable(rci_gc_link *finalizers) {
    for (rci_gc_link *g = gc_next(finalizers); g != finalizers; g = gc_next(g)) {
        rc_object *op = RCI_FROM_LINK(g);
        if (op->type->traverse)
            op->type->traverse(op, visit_move, finalizers);
    }
}

/* ------------------------------------------------------------ finalizers */

/* PEP 442: call each finalizer at most once (FINALIZED survives), with the
 * object kept alive across the call; objects freed meanwhile unlink
 * themselves from the lists. */
static intptr_t finalize_garbage(rci_gc_link *collectable) {
    intptr_t called = 0;
    rci_gc_link seen;
    gc_list_init(&seen);
    while (!gc_list_is_empty(collectable)) {
        rci_gc_link *g = gc_next(collectable);
        rc_object *op = RCI_FROM_LINK(g);
        gc_list_move(g, &seen);
        if (needs_finalizer(op)) {
            g->prev |= RCI_GC_FINALIZED;
            rc_incref(op);
            op->type->finalize(op);
            rc_decref(op);
            called++;
        }
    }
    gc_list_merge(&seen, collectable);
    return called;
}

/* Finalizers may have resurrected objects: recompute reachability over the
 * set with current refcounts.  What is referenced from outside now (and
 * everything it reaches) survives into old; the rest is still garbage. */
static intptr_t handle_resurrected_objects(rci_gc_link *unreachable,
                                           rci_gc_link *still_unreachable, rci_gc_link *old,
                                           int old_gen) {
    for (rci_gc_link *g = gc_next(unreachable); g != unreachable; g = gc_next(g))
        gc_clear_collecting(g);
    kinds_seen seen = {0, 0, 0, NULL};
    intptr_t resurrected,
        n = deduce_unreachable(unreachable, -1, old_gen, still_unreachable, &resurrected, &seen);
    gc_list_merge(unreachable, old);
    return n - resurrected;   /* the size of still_unreachable */
}

/* ------------------------------------------------------------ clearing */

static void garbage_append(rc_heap *h, rc_object *op) {
    rc_list_append(h->gc.garbage, op);   /* on NOMEM it stays out, as in CPython */
}

/* Break the cycles: clear each object (or, with DEBUG_SAVEALL, keep it in
 * gc.garbage).  An object still at the head afterwards survived. */
static void delete_garbage(rc_heap *h, rci_gc_link *collectable, rci_gc_link *old,
                           int old_gen) {
    while (!gc_list_is_empty(collectable)) {
        rci_gc_link *g = gc_next(collectable);
        rc_object *op = RCI_FROM_LINK(g);
        if (RC_UNLIKELY(op->refcount <= 0))
            rci_object_fatal("has refcount 0 while the collector clears it: refcount is too "
                             "small", op);
        if (h->gc.debug & RC_GC_DEBUG_SAVEALL) {
            garbage_append(h, op);
        } else if (op->type->clear) {
            rc_incref(op);
            op->type->clear(op);
            rc_decref(op);
        }
        if (gc_next(collectable) == g) {
            gc_clear_collecting(g);
            gc_set_gen(g, old_gen);
            gc_list_move(g, old);
        }
    }
}

static void handle_legacy_finalizers(rc_heap *h, rci_gc_link *finalizers, rci_gc_link *old,
                                     int old_gen) {
    for (rci_gc_link *g = gc_next(finalizers); g != finalizers; g = gc_next(g)) {
        rc_object *op = RCI_FROM_LINK(g);
        if ((h->gc.debug & RC_GC_DEBUG_SAVEALL) || has_legacy_finalizer(op))
            garbage_append(h, op);
        gc_set_gen(g, old_gen);
    }
    gc_list_merge(finalizers, old);
}

/* ------------------------------------------------------------ debugging */

static FILE *out_stream(rc_heap *h) { return h->gc.stream ? h->gc.stream : stderr; }

static void debug_cycle(rc_heap *h, const char *what, rc_object *op) {
    fprintf(out_stream(h), "gc: %s <%s %p>\n", what, op->type->name, (void *)op);
}

/* ------------------------------------------------------------ main */

static void invoke_callbacks(rc_heap *h, const char *phase, const rc_gc_info *info) {
    /* a copy, so callbacks may add or remove callbacks */
    int n = h->gc.ncallbacks;
    if (!n)
        return;
    rci_gc_callback_entry local[16], *copy = local;
    if (n > 16 && !(copy = rc_mem_malloc((size_t)n * sizeof *copy)))
        return;
    memcpy(copy, h->gc.callbacks, (size_t)n * sizeof *copy);
    for (int i = 0; i < n; i++)
        copy[i].cb(phase, info, copy[i].ctx);
    if (copy != local)
        rc_mem_free(copy);
}

static void record_pause(rci_gc_state *gs, int generation, uint64_t ns) {
    rc_gc_generation_stats *st = &gs->stats[generation];
    st->pause_total_ns += ns;
    if (ns > st->pause_max_ns)
        st->pause_max_ns = ns;
    uint64_t us = ns / 1000;
    int b = 0;
    while (us > 1 && b < RC_GC_PAUSE_BUCKETS - 1) {
        us >>= 1;
        b++;
    }
    st->pause_histogram[b]++;
}

/* The size of generation 2 now, from the heap's tracked-object counter:
 * everything tracked minus the young generations (walked: at most about
 * threshold0 * (threshold1 + 1) objects) and the permanent generation (as
 * frozen; frozen objects that died since count as deaths in generation 2,
 * which can only delay a full collection). */
static intptr_t old_generation_size(rc_heap *h) {
    intptr_t n = h->gc.tracked - h->gc.frozen;
    for (int i = 0; i < RCI_NUM_GENERATIONS - 1; i++)
        n -= gc_list_size(&h->gen[i].head);
    return n > 0 ? n : 0;
}

/* gc_collect_main: returns the number of unreachable objects found. */
static intptr_t collect_main(rc_heap *h, int generation, intptr_t *collected_out,
                             intptr_t *uncollectable_out, intptr_t *candidates_out) {
    rci_gc_state *gs = &h->gc;
    uint64_t t0 = rci_now_ns();
    FILE *f = out_stream(h);
    if (gs->debug & RC_GC_DEBUG_STATS) {
        fprintf(f, "gc: collecting generation %d...\n", generation);
        fprintf(f, "gc: objects in each generation: %ld %ld %ld\n",
                (long)gc_list_size(&h->gen[0].head), (long)gc_list_size(&h->gen[1].head),
                (long)gc_list_size(&h->gen[2].head));
        fprintf(f, "gc: objects in permanent generation: %ld\n",
                (long)gc_list_size(&h->permanent));
    }
    /* counters: this collection counts toward the next generation */
    if (generation + 1 < RCI_NUM_GENERATIONS)
        h->gen[generation + 1].count++;
    for (int i = 0; i <= generation; i++)
        h->gen[i].count = 0;
    /* merge younger generations into the one being collected */
    for (int i = 0; i < generation; i++)
        gc_list_merge(&h->gen[i].head, &h->gen[generation].head);
    rci_gc_link *young = &h->gen[generation].head;
    int old_gen = generation + 1 < RCI_NUM_GENERATIONS ? generation + 1 : generation;
    rci_gc_link *old = &h->gen[old_gen].head;
    rci_gc_link unreachable, finalizers, final_unreachable;
    kinds_seen seen = {0, 0, 0, NULL};
    intptr_t survivors, candidates = deduce_unreachable(young, generation, old_gen, &unreachable,
                                                            &survivors, &seen);
    intptr_t nunreachable = candidates - survivors;
    if (seen.tuples)
        survivors -= untrack_atomic(young, &rc_tuple_type, rci_tuple_maybe_untrack);
    /* promote survivors */
    if (young != old) {
        if (generation == RCI_NUM_GENERATIONS - 2)
            gs->long_lived_pending += survivors;
        gc_list_merge(young, old);
    } else {
        if (seen.dicts)
            survivors -= untrack_atomic(young, &rc_dict_type, rci_dict_maybe_untrack);
        gs->long_lived_pending = 0;
        gs->long_lived_total = survivors;
    }
    /* legacy finalizers make everything they reach uncollectable */
    gc_list_init(&finalizers);
    int finalizers_due = seen.hooks && move_legacy_finalizers(&unreachable, &finalizers);
    move_legacy_finalizer_reachable(&finalizers);
    if (gs->debug & RC_GC_DEBUG_COLLECTABLE)
        for (rci_gc_link *g = gc_next(&unreachable); g != &unreachable; g = gc_next(g))
            debug_cycle(h, "collectable", RCI_FROM_LINK(g));
    /* weak references to garbage are cleared (and the callbacks of those that
     * are not garbage called) before any finalizer runs */
    intptr_t m = 0;
    intptr_t callbacks = rci_weakref_handle_garbage(&unreachable, &m);
    if ((finalizers_due && finalize_garbage(&unreachable)) || callbacks) {
        m += handle_resurrected_objects(&unreachable, &final_unreachable, old, old_gen);
        /* Weak references that finalizers or callbacks made to what is still
         * garbage: cleared before any clear hook runs, so nothing can reach
         * a half-cleared object through them (CPython's gh-91636 fix).  As
         * in 3.11, those that are not garbage still call back; their
         * callbacks cannot reach the garbage (it would have been resurrected
         * above), so this needs no further check. */
        intptr_t late_freed = 0;
        rci_weakref_handle_garbage(&final_unreachable, &late_freed);
        m += late_freed;
    } else {
        /* No finalizer or callback ran, so no refcount changed and nothing
         * can have been resurrected: the re-check would find the same set. */
        gc_list_init(&final_unreachable);
        gc_list_merge(&unreachable, &final_unreachable);
        m += nunreachable - gc_list_size(&finalizers);
    }
    delete_garbage(h, &final_unreachable, old, old_gen);
    intptr_t n = gc_list_size(&finalizers);
    if (gs->debug & RC_GC_DEBUG_UNCOLLECTABLE)
        for (rci_gc_link *g = gc_next(&finalizers); g != &finalizers; g = gc_next(g))
            debug_cycle(h, "uncollectable", RCI_FROM_LINK(g));
    uint64_t elapsed = rci_now_ns() - t0;
    if (gs->debug & RC_GC_DEBUG_STATS)
        fprintf(f, "gc: done, %ld unreachable, %ld uncollectable, %.4fs elapsed\n",
                (long)(n + m), (long)n, (double)elapsed / 1e9);
    handle_legacy_finalizers(h, &finalizers, old, old_gen);
    if (generation == RCI_NUM_GENERATIONS - 1)
        rci_freelist_clear(h);
    if (generation >= RCI_NUM_GENERATIONS - 2) {
        /* Generation 2 took in survivors: the bound starts again from the
         * exact size (a cheap walk here: the young lists were just emptied,
         * only what finalizers and callbacks tracked since is in them). */
        gs->old_size_bound = old_generation_size(h);
        gs->old_size_known = 1;
        if (generation == RCI_NUM_GENERATIONS - 1)
            gs->old_after_full = gs->old_size_bound;   /* the growth rule's baseline */
    }
    rc_gc_generation_stats *st = &gs->stats[generation];
    st->collections++;
    st->collected += (uint64_t)m;
    st->uncollectable += (uint64_t)n;
    record_pause(gs, generation, rci_now_ns() - t0);
    *collected_out = m;
    *uncollectable_out = n;
    *candidates_out = candidates;
    return n + m;
}

/* gc_collect_with_callback: "start" and "stop" callbacks around it. */
static intptr_t collect_with_callbacks(rc_heap *h, int generation) {
    rc_gc_info info = {generation, 0, 0, 0, 0.0};
    invoke_callbacks(h, "start", &info);
    uint64_t t0 = rci_now_ns();
    intptr_t r = collect_main(h, generation, &info.collected, &info.uncollectable,
                              &info.candidates);
    info.duration_s = (double)(rci_now_ns() - t0) / 1e9;
    invoke_callbacks(h, "stop", &info);
    return r;
}

/* Whether the long-lived rule allows a full collection now (generation 2
 * is over its threshold).  CPython's rule (issue #4074): the objects
 * promoted into generation 2 since the last full collection are at least 25%
 * of those that survived it; promotions are never taken back, so objects
 * that died by reference counting still count.  The growth rule: generation
 * 2 has really grown by 25% since then, i.e. promotions minus the objects
 * of generation 2 that died by reference counting (cyclic garbage does not
 * die that way, so it still counts as growth). */
static int full_collection_due(rc_heap *h) {
    rci_gc_state *gs = &h->gc;
    if (rci_gc_full_rule(h) == RC_GC_FULL_RULE_CPYTHON)
        return gs->long_lived_pending >= gs->long_lived_total / 4;
    /* old_generation_size() walks the young lists; the bound settles the
     * common "not due" answer without it (it is never below the size). */
    if (gs->old_size_known && gs->old_size_bound - gs->old_after_full < gs->old_after_full / 4)
        return 0;
    gs->old_size_bound = old_generation_size(h);
    gs->old_size_known = 1;
    return gs->old_size_bound - gs->old_after_full >= gs->old_after_full / 4;
}

void rci_gc_maybe_collect(rc_heap *h) {
    rci_gc_state *gs = &h->gc;
    if (!gs->enabled || !h->gen[0].threshold || gs->collecting)
        return;
    for (int i = RCI_NUM_GENERATIONS - 1; i >= 0; i--) {
        if (h->gen[i].count > h->gen[i].threshold) {
            if (i == RCI_NUM_GENERATIONS - 1 && !full_collection_due(h))
                continue;
            gs->collecting = 1;
            collect_with_callbacks(h, i);
            gs->collecting = 0;
            break;
        }
    }
}

intptr_t rc_gc_collect(int generation) {
    rc_heap *h = rci_current_heap;
    if (!h)
        return rc_error_set(RC_ERR_STATE, "rc_gc_collect: no heap is bound to this thread");
    if (generation < 0 || generation >= RCI_NUM_GENERATIONS)
        return rc_error_set(RC_ERR_VALUE, "invalid generation %d (must be 0, 1 or 2)",
                            generation);
    if (h->gc.collecting)
        return 0;
    h->gc.collecting = 1;
    intptr_t r = collect_with_callbacks(h, generation);
    h->gc.collecting = 0;
    return r;
}
