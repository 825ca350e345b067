/*
 * gcmodule.c - the gc module's API around the collector: enable/disable,
 * counts, thresholds, statistics, freeze, get_objects, get_referrers,
 * get_referents, is_finalized, garbage, debug flags and callbacks, and the
 * report of uncollectable garbage when a heap is destroyed.
 */
#include "gclist.h"
#include "types/types.h"

#include <stdlib.h>

static rc_heap *heap_for(const char *fn) {
    rc_heap *h = rci_current_heap;
    if (!h)
        rc_error_set(RC_ERR_STATE, "%s: no heap is bound to this thread", fn);
    return h;
}

int rc_gc_enable(void) {
    rc_heap *h = heap_for("rc_gc_enable");
    if (!h)
        return -1;
    int old = h->gc.enabled;
    h->gc.enabled = 1;
    return old;
}

int rc_gc_disable(void) {
    rc_heap *h = heap_for("rc_gc_disable");
    if (!h)
        return -1;
    int old = h->gc.enabled;
    h->gc.enabled = 0;
    return old;
}

int rc_gc_isenabled(void) {
    rc_heap *h = rci_current_heap;
    return h ? h->gc.enabled : 0;
}

int rc_gc_get_count(long out[RC_GC_NUM_GENERATIONS]) {
    rc_heap *h = heap_for("rc_gc_get_count");
    if (!h)
        return -1;
    if (!out)
        return rc_error_set(RC_ERR_INVALID, "rc_gc_get_count: out is NULL");
    for (int i = 0; i < RCI_NUM_GENERATIONS; i++)
        out[i] = h->gen[i].count;
    return 0;
}

int rc_gc_get_threshold(long out[RC_GC_NUM_GENERATIONS]) {
    rc_heap *h = heap_for("rc_gc_get_threshold");
    if (!h)
        return -1;
    if (!out)
        return rc_error_set(RC_ERR_INVALID, "rc_gc_get_threshold: out is NULL");
    for (int i = 0; i < RCI_NUM_GENERATIONS; i++)
        out[i] = h->gen[i].threshold;
    return 0;
}

int rc_gc_set_threshold(long t0, long t1, long t2) {
    rc_heap *h = heap_for("rc_gc_set_threshold");
    if (!h)
        return -1;
    if (t0 < 0 || t1 < 0 || t2 < 0)
        return rc_error_set(RC_ERR_VALUE, "thresholds must be non-negative");
    h->gen[0].threshold = t0;
    h->gen[1].threshold = t1;
    h->gen[2].threshold = t2;
    return 0;
}

/* ------------------------------------------------------ full-collection rule */

int rci_gc_full_rule(rc_heap *h) {
    if (!h->gc.full_rule) {
        const char *v = getenv("RCGC_GC_FULL_RULE");
        h->gc.full_rule = RC_GC_FULL_RULE_GROWTH;
        if (v && strcmp(v, "cpython") == 0)
            h->gc.full_rule = RC_GC_FULL_RULE_CPYTHON;
        else if (v && *v && strcmp(v, "growth") != 0)
            fprintf(stderr, "rcgc: RCGC_GC_FULL_RULE='%s' is not growth or cpython: using "
                    "growth\n", v);
    }
    return h->gc.full_rule;
}

int rc_gc_set_full_rule(int rule) {
    rc_heap *h = heap_for("rc_gc_set_full_rule");
    if (!h)
        return -1;
    if (rule != RC_GC_FULL_RULE_GROWTH && rule != RC_GC_FULL_RULE_CPYTHON)
        return rc_error_set(RC_ERR_VALUE, "rc_gc_set_full_rule: %d is not "
                            "RC_GC_FULL_RULE_GROWTH or RC_GC_FULL_RULE_CPYTHON", rule);
    int old = rci_gc_full_rule(h);
    h->gc.full_rule = rule;
    return old;
}

int rc_gc_get_full_rule(void) {
    rc_heap *h = heap_for("rc_gc_get_full_rule");
    return h ? rci_gc_full_rule(h) : -1;
}

int rc_gc_get_stats(rc_gc_generation_stats out[RC_GC_NUM_GENERATIONS]) {
    rc_heap *h = heap_for("rc_gc_get_stats");
    if (!h)
        return -1;
    if (!out)
        return rc_error_set(RC_ERR_INVALID, "rc_gc_get_stats: out is NULL");
    memcpy(out, h->gc.stats, sizeof h->gc.stats);
    return 0;
}

/* ------------------------------------------------------------ freeze */

int rc_gc_freeze(void) {
    rc_heap *h = heap_for("rc_gc_freeze");
    if (!h)
        return -1;
    for (int i = 0; i < RCI_NUM_GENERATIONS; i++) {
        gc_list_set_gen(&h->gen[i].head, RCI_GC_GEN_PERMANENT);
        gc_list_merge(&h->gen[i].head, &h->permanent);
        h->gen[i].count = 0;
    }
    h->gc.frozen = h->gc.tracked;   /* everything tracked is frozen now */
    h->gc.old_size_known = 0;       /* recomputed at the next check */
    return 0;
}

int rc_gc_unfreeze(void) {
    rc_heap *h = heap_for("rc_gc_unfreeze");
    if (!h)
        return -1;
    gc_list_set_gen(&h->permanent, RCI_NUM_GENERATIONS - 1);
    gc_list_merge(&h->permanent, &h->gen[RCI_NUM_GENERATIONS - 1].head);
    h->gc.frozen = 0;
    h->gc.old_size_known = 0;       /* generation 2 grew: recomputed at the next check */
    return 0;
}

intptr_t rc_gc_get_freeze_count(void) {
    rc_heap *h = heap_for("rc_gc_get_freeze_count");
    return h ? gc_list_size(&h->permanent) : -1;
}

/* ------------------------------------------------------------ objects */

static int append_generation(rc_heap *h, int gen, rc_object *list) {
    rci_gc_link *head = &h->gen[gen].head;
    for (rci_gc_link *g = gc_next(head); g != head; g = gc_next(g)) {
        rc_object *op = RCI_FROM_LINK(g);
        if (op != list && rc_list_append(list, op) < 0)
            return -1;
    }
    return 0;
}

rc_object *rc_gc_get_objects(int generation) {
    rc_heap *h = heap_for("rc_gc_get_objects");
    if (!h)
        return NULL;
    if (generation < -1 || generation >= RCI_NUM_GENERATIONS)
        return rci_error_null(RC_ERR_VALUE, "generation %d is invalid: it must be 0, 1, 2 "
                              "or -1 for all", generation);
    rc_object *list = rc_list_new(0);
    if (!list)
        return NULL;
    for (int i = 0; i < RCI_NUM_GENERATIONS; i++) {
        if ((generation == -1 || generation == i) && append_generation(h, i, list) < 0) {
            rc_decref(list);
            return NULL;
        }
    }
    return list;
}

typedef struct {
    intptr_t n;
    void *const *objs;
    int found;
} referrer_search;

static int visit_find(rc_object *op, void *arg) {
    referrer_search *s = arg;
    for (intptr_t i = 0; i < s->n; i++)
        if (s->objs[i] == (void *)op) {
            s->found = 1;
            return 1;   /* stop the traversal */
        }
    return 0;
}

rc_object *rc_gc_get_referrers(intptr_t n, void *const objs[]) {
    rc_heap *h = heap_for("rc_gc_get_referrers");
    if (!h)
        return NULL;
    if (n < 0 || (n > 0 && !objs))
        return rci_error_null(RC_ERR_INVALID, "rc_gc_get_referrers: bad argument array");
    rc_object *list = rc_list_new(0);
    if (!list)
        return NULL;
    for (int i = 0; i < RCI_NUM_GENERATIONS; i++) {
        rci_gc_link *head = &h->gen[i].head;
        for (rci_gc_link *g = gc_next(head); g != head; g = gc_next(g)) {
            rc_object *op = RCI_FROM_LINK(g);
            if (op == list || !op->type->traverse)
                continue;
            referrer_search s = {n, objs, 0};
            op->type->traverse(op, visit_find, &s);
            if (s.found && rc_list_append(list, op) < 0) {
                rc_decref(list);
                return NULL;
            }
        }
    }
    return list;
}

static int visit_append(rc_object *op, void *arg) {
    return rc_list_append((rc_object *)arg, op) < 0 ? -1 : 0;
}

rc_object *rc_gc_get_referents(intptr_t n, void *const objs[]) {
    if (!heap_for("rc_gc_get_referents"))
        return NULL;
    if (n < 0 || (n > 0 && !objs))
        return rci_error_null(RC_ERR_INVALID, "rc_gc_get_referents: bad argument array");
    rc_object *list = rc_list_new(0);
    if (!list)
        return NULL;
    for (intptr_t i = 0; i < n; i++) {
        rc_object *op = objs[i];
        if (!op || !(op->type->flags & RC_TYPE_GC) || !op->type->traverse)
            continue;
        if (op->type->traverse(op, visit_append, list) < 0) {
            rc_decref(list);
            return NULL;
        }
    }
    return list;
}

int rc_gc_is_finalized(const void *op) {
    const rc_object *o = op;
    return o && (o->type->flags & RC_TYPE_GC) && !rc_is_immortal(o) &&
           (RCI_AS_LINK(o)->prev & RCI_GC_FINALIZED) != 0;
}

/* ------------------------------------------------------------ garbage */

rc_object *rc_gc_garbage(void) {
    rc_heap *h = heap_for("rc_gc_garbage");
    return h ? h->gc.garbage : NULL;
}

void rci_gc_report_at_exit(rc_heap *h) {
    rci_gc_state *gs = &h->gc;
    intptr_t n = rc_list_size(gs->garbage);
    if (n > 0 && !(gs->debug & RC_GC_DEBUG_SAVEALL)) {
        FILE *f = gs->stream ? gs->stream : stderr;
        if (gs->debug & RC_GC_DEBUG_UNCOLLECTABLE) {
            fprintf(f, "ResourceWarning: gc: %ld uncollectable objects at heap destruction\n",
                    (long)n);
            rc_object *r = rc_repr(gs->garbage);
            fprintf(f, "gc: garbage = %s\n", r ? rc_str_utf8(r) : "(repr failed)");
            rc_xdecref(r);
        } else {
            fprintf(f, "ResourceWarning: gc: %ld uncollectable objects at heap destruction; use "
                    "rc_gc_set_debug(RC_GC_DEBUG_UNCOLLECTABLE) to list them\n", (long)n);
        }
    }
}

/* ------------------------------------------------------------ debug */

int rc_gc_set_debug(int flags) {
    rc_heap *h = heap_for("rc_gc_set_debug");
    if (!h)
        return -1;
    if (flags < 0 || flags > 63)
        return rc_error_set(RC_ERR_VALUE, "rc_gc_set_debug: flags %d are not RC_GC_DEBUG_*",
                            flags);
    h->gc.debug = flags;
    return 0;
}

int rc_gc_get_debug(void) {
    rc_heap *h = heap_for("rc_gc_get_debug");
    return h ? h->gc.debug : -1;
}

int rc_gc_set_debug_stream(FILE *f) {
    rc_heap *h = heap_for("rc_gc_set_debug_stream");
    if (!h)
        return -1;
    h->gc.stream = f;
    return 0;
}

/* ------------------------------------------------------------ callbacks */

int rc_gc_callback_add(rc_gc_callback cb, void *ctx) {
    rc_heap *h = heap_for("rc_gc_callback_add");
    if (!h)
        return -1;
    if (!cb)
        return rc_error_set(RC_ERR_INVALID, "rc_gc_callback_add: callback is NULL");
    rci_gc_state *gs = &h->gc;
    if (gs->ncallbacks == gs->callbacks_cap) {
        int cap = gs->callbacks_cap ? gs->callbacks_cap * 2 : 4;
        rci_gc_callback_entry *nc = rc_mem_realloc(gs->callbacks, (size_t)cap * sizeof *nc);
        if (!nc)
            return -1;
        gs->callbacks = nc;
        gs->callbacks_cap = cap;
    }
    gs->callbacks[gs->ncallbacks].cb = cb;
    gs->callbacks[gs->ncallbacks].ctx = ctx;
    gs->ncallbacks++;
    return 0;
}

int rc_gc_callback_remove(rc_gc_callback cb, void *ctx) {
    rc_heap *h = heap_for("rc_gc_callback_remove");
    if (!h)
        return -1;
    rci_gc_state *gs = &h->gc;
    for (int i = 0; i < gs->ncallbacks; i++) {
        if (gs->callbacks[i].cb == cb && gs->callbacks[i].ctx == ctx) {
            memmove(&gs->callbacks[i], &gs->callbacks[i + 1],
                    (size_t)(gs->ncallbacks - i - 1) * sizeof gs->callbacks[0]);
            if (--gs->ncallbacks == 0) {
                rc_mem_free(gs->callbacks);
                gs->callbacks = NULL;
                gs->callbacks_cap = 0;
            }
            return 0;
        }
    }
    return rc_error_set(RC_ERR_VALUE, "rc_gc_callback_remove: callback is not registered");
}
