/*
 * fuzz_gc.c - a model-checking fuzz target for the cycle collector.
 *
 * The fuzzer's bytes are read as operations on a small object graph (an
 * operation byte modulo 16, then a fixed number of argument bytes): create
 * an object of one of eleven kinds (a static GC type with C fields, with a
 * PEP 442 finalizer that may resurrect, or with a legacy `del`; dict-backed
 * and slots-backed class instances, plain, with a finalizer or with `del`;
 * lists), link a.slot = b, unlink, load a root from an edge, drop roots,
 * collect a generation, freeze / unfreeze, set thresholds, enable / disable
 * automatic collection, DEBUG_SAVEALL on / off, take objects back out of
 * the resurrection list or gc.garbage, make a weak reference or read one.
 *
 * Beside the real objects the target keeps a shadow model in plain C: the
 * roots, every object's edges, its generation, whether it is alive and
 * finalized, the resurrection list and gc.garbage.  The model follows
 * CPython 3.11's rules: reference counting with PEP 442 finalizers at
 * refcount zero (a resurrected object is re-tracked in generation 0), and
 * gc_collect_main for collections (merge, unreachable set, legacy-finalizer
 * closure, finalizers once, resurrection check, clear, gc.garbage, survivors
 * promoted).  A gc callback makes every collection, explicit or automatic,
 * a checkpoint: at "start" the model predicts the outcome (after checking
 * that rc_gc_get_objects agrees with the model's generations), at "stop" it
 * compares the collected and uncollectable counts.  After every operation
 * the whole state is compared: which objects are alive (dealloc hooks), the
 * finalizer and `del` calls, every live object's refcount, edges, tracking
 * and FINALIZED bit, the resurrection list and gc.garbage; after every
 * collection also rc_gc_get_stats.  Loads check rc_gc_get_referents and
 * rc_gc_get_referrers; a fresh allocation with automatic collection on must
 * leave count0 <= threshold0; rc_gc_collect called from a callback or a
 * finalizer during a collection must return 0.  At the end everything is
 * dropped, garbage is broken up, and the heap must hold no block.
 *
 * Weak references (operation 15) are nodes of the model too: a weak
 * reference or proxy to a Node or class instance, with or without a
 * callback, optionally with a data object (its only strong edge, kept in
 * the model as edge 0), stored in a root or in an edge slot.  The callback
 * logs the weak reference's id and checks on the spot that the reference
 * reads dead, that its referent's list is already empty, and, in a
 * collection, that every weak reference the model clears in that collection
 * already reads dead (all clears before any call).  It changes nothing else,
 * except that a "reviving" callback called by the collector appends its
 * referent (garbage, not yet cleared) to the resurrection list: the
 * resurrection re-check must then run although no finalizer may have run,
 * and the referent survives with its weak references dead.  (On the
 * refcount path the referent is already being destroyed: the callback only
 * logs.)  The model's rules:
 *   - refcount death (CPython's subtype_dealloc, reference 2.5 / 6.2): the
 *     finalizer first (a resurrected object keeps its weak references), then
 *     every weak reference is cleared, then the live ones with a callback
 *     are called, in list order (the shared callback-less ref, the shared
 *     proxy, then the others newest first, so callbacks run newest first);
 *     a callback is called once and its data is released after the call;
 *   - a collection (CPython 3.11's handle_weakrefs, reference 2.4), after
 *     the legacy-finalizer closure and before the finalizers: a weak
 *     reference that is itself garbage is cleared and never calls back;
 *     every weak reference to garbage is cleared; those with a callback
 *     that are not garbage (reachable, older, frozen, or held by the
 *     legacy set, whose COLLECTING bit is off) are called after all clears.
 *     As in CPython 3.11, a weak reference called back by the collector
 *     keeps its callback (here: its data) until it dies itself.  The model
 *     follows docs/semantics.md step 13 (gh-91636, not in 3.11.7) for weak
 *     references created during a collection; the target's callbacks and
 *     finalizers create none, so that rule has nothing to act on here;
 *   - a callback-less data-less ref / proxy is shared: asking again for
 *     one to the same live referent returns the same object.
 * The order of the callbacks is checked per referent (list order); the
 * order between referents is not: it follows the collector's unreachable
 * list, or the order in which a refcount cascade reaches the objects, and
 * neither is modelled.  So per window (an operation, or a collection from
 * "start" to "stop") the model expects a SET of callbacks: the required
 * ones, plus, in a refcount cascade, optional ones - a weak reference that
 * dies in the same cascade as its referent is called back iff the cascade
 * happened to reach the referent first (CPython behaves alike), and either
 * outcome leaves the same final state.  After every operation each weak
 * reference's refcount, liveness (rc_weakref_is_alive / rc_weakref_get),
 * callback and data (rc_weakref_callback_of), edge and generation are
 * compared, weak references the model holds dead must be gone from every
 * generation (they have no dealloc hook: rc_gc_get_objects is the
 * witness), and every object's rc_weakref_count and rc_weakref_list (its
 * list order) must match.  FUZZ_GC_CALLBACK_WITH_DATA (default 1) also
 * gives data to weak references with callbacks: see its comment.
 *
 * Any disagreement prints what differs and aborts (libFuzzer keeps the
 * input; the regression runner names the file).  FUZZ_GC_TRACE=1 prints
 * every operation and every predicted collection.
 */
#include "rcgc.h"

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define NROOTS 8
#define NEDGES 4
#define MAXOBJ 256
#define MAXOPS 4096
#define FUZZ_GC_NTOTALS 10

/* 1 (default): weak references with a callback may also get a data object.
 * CPython 3.11 keeps a callback (our data) that the collector called until
 * the weak reference itself dies, and drops it right after the call on the
 * refcount path; the model checks both (the corpus inputs
 * weak-callback-data-kept and weak-callback-data-legacy caught rcgc
 * dropping it on both paths).  0: data only on weak references without a
 * callback. */
#ifndef FUZZ_GC_CALLBACK_WITH_DATA
#define FUZZ_GC_CALLBACK_WITH_DATA 1
#endif

/* ------------------------------------------------------------ failures */

const char *fuzz_gc_input_name = NULL;   /* set by the regression runner */
/* Totals over all inputs, for the regression runner's summary:
 * collections, automatic ones, objects collected, uncollectable,
 * resurrected by a finalizer during a collection, operations, weak
 * references made, callbacks called and checked, of which in the
 * collector's weakref step, weak references cleared by that step. */
long long fuzz_gc_totals[FUZZ_GC_NTOTALS];
static long op_index;
static int trace = -1;   /* FUZZ_GC_TRACE=1: print every operation and prediction */

static void tracef(const char *fmt, ...) RC_PRINTF(1, 2);
static void tracef(const char *fmt, ...) {
    if (trace < 0) {
        const char *e = getenv("FUZZ_GC_TRACE");
        trace = e && *e && *e != '0';
    }
    if (!trace)
        return;
    va_list ap;
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
}

static void fail(const char *fmt, ...) RC_PRINTF(1, 2);
static void fail(const char *fmt, ...) {
    va_list ap;
    fprintf(stderr, "fuzz_gc: FAILED at operation %ld%s%s: ", op_index,
            fuzz_gc_input_name ? " of " : "", fuzz_gc_input_name ? fuzz_gc_input_name : "");
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
    fflush(stderr);
    abort();
}

#define REQUIRE(cond, ...)      \
    do {                        \
        if (!(cond))            \
            fail(__VA_ARGS__);  \
    } while (0)

/* ------------------------------------------------------------ kinds */

enum {
    K_NODE, K_NODE_FIN, K_NODE_FIN_RES, K_NODE_DEL,
    K_INST, K_INST_FIN, K_INST_FIN_RES, K_INST_DEL,
    K_SLOTS, K_SLOTS_FIN_RES, K_LIST,
    NKINDS,
    K_WREF = NKINDS   /* a weak reference or proxy (made by operation 15 only) */
};
static const char *const kind_names[NKINDS + 1] = {
    "Node", "NodeFin", "NodeFin(res)", "NodeDel", "Inst", "InstFin", "InstFin(res)",
    "InstDel", "Slots", "SlotsFin(res)", "List", "WeakRef"};

static int kind_is_node(int k) { return k <= K_NODE_DEL; }
static int kind_has_fin(int k) {
    return k == K_NODE_FIN || k == K_NODE_FIN_RES || k == K_INST_FIN || k == K_INST_FIN_RES ||
           k == K_SLOTS_FIN_RES;
}
static int kind_res(int k) {
    return k == K_NODE_FIN_RES || k == K_INST_FIN_RES || k == K_SLOTS_FIN_RES;
}
static int kind_has_del(int k) { return k == K_NODE_DEL || k == K_INST_DEL; }
/* Nodes and class instances accept weak references; lists and weak
 * references do not (CPython's list and weakref types neither). */
static int kind_weakrefable(int k) { return k != K_LIST && k != K_WREF; }

/* ------------------------------------------------------------ state */

typedef struct obj {
    int kind;
    rc_object *ptr;          /* borrowed; valid while the object lives */
    int edge[NEDGES];        /* model: target id, 0 = none */
    /* model */
    int alive;
    int finalized;           /* the finalizer has run (PEP 442 bit) */
    int ndel;                /* legacy del calls expected */
    int gen;                 /* 0..2, 3 = permanent */
    /* weak references only (edge[0] is the data object, the only edge) */
    int wr_ref;              /* model: the referent while linked, 0 once cleared */
    int wr_orig;             /* the referent it was made for */
    int wr_data;             /* the data object it was made with, 0 = none */
    int wr_cb;               /* it has a callback not yet called */
    int wr_hascb;            /* it was made with a callback */
    int wr_proxy;            /* a proxy rather than a ref */
    int wr_revive;           /* its callback, called by the collector, resurrects the referent */
    /* reality, from the hooks */
    int real_freed;
    int real_fin;
    int real_del;
} obj;

static obj objs[MAXOBJ + 1];     /* by id, 1-based */
static int nobj;
static int roots[NROOTS];        /* model */
static rc_object *rroots[NROOTS];/* reality: owned */
static int res_model[4 * MAXOBJ], nres;      /* the resurrection list */
static int garb_model[8 * MAXOBJ], ngarb;    /* gc.garbage */
static rc_object *RES;                       /* reality */
static rc_object *cls_inst, *cls_inst_fin, *cls_inst_del, *cls_slots, *cls_slots_fin;
static int saveall, gc_enabled;
static long thresholds[3];
static int in_collection;
static int cur_gen = -1;
static intptr_t pred_collected, pred_uncollectable;
static int ncollections;
static int counted_alloc;   /* the last operation made a fresh GC allocation */
static int explicit_collect;
static uint64_t model_stats[3][3];  /* collections, collected, uncollectable */

/* ------------------------------------------------------------ tags */

/* Instances and lists carry their id in a non-GC Tag whose dealloc records
 * the owner's death (an instance drops its attributes when it is cleared
 * or freed). */
typedef struct Tag {
    rc_object ob;
    int id;
} Tag;

static int gc_past_weakrefs;   /* a hook of ours ran since the collection started */

static void note_freed(int id) {
    gc_past_weakrefs = 1;
    REQUIRE(id > 0 && id <= nobj, "dealloc of an unknown object id %d", id);
    REQUIRE(!objs[id].real_freed, "object %d (%s) freed twice", id, kind_names[objs[id].kind]);
    objs[id].real_freed = 1;
}

static void tag_dealloc(rc_object *self) { note_freed(((Tag *)self)->id); }

static const rc_type Tag_type = {.ob_base = RC_STATIC_TYPE_HEAD, .name = "Tag",
                                 .basic_size = sizeof(Tag), .dealloc = tag_dealloc};

/* ------------------------------------------------------------ C node types */

#define NODE_MAGIC 0x6e6f6465c0ffee42ull

typedef struct Node {
    rc_object ob;
    uint64_t magic;
    int id;
    rc_object *edge[NEDGES];
    void *weaklist;          /* the head of the weak references to it (the library's) */
} Node;

static int node_traverse(rc_object *self, rc_visitproc visit, void *arg) {
    Node *n = (Node *)self;
    for (int i = 0; i < NEDGES; i++)
        if (n->edge[i]) {
            int r = visit(n->edge[i], arg);
            if (r)
                return r;
        }
    return 0;
}

static int node_clear(rc_object *self) {
    Node *n = (Node *)self;
    gc_past_weakrefs = 1;
    for (int i = 0; i < NEDGES; i++)
        rc_clear(&n->edge[i]);
    return 0;
}

static void node_dealloc(rc_object *self) {
    Node *n = (Node *)self;
    REQUIRE(n->magic == NODE_MAGIC, "a Node freed with a bad magic (%p)", (void *)self);
    note_freed(n->id);
    n->magic = 0;
    node_clear(self);
}

static int id_of(rc_object *o);

static void reentry_check(const char *where) {
    if (in_collection) {
        intptr_t r = rc_gc_collect(2);
        REQUIRE(r == 0, "rc_gc_collect(2) inside %s during a collection returned %ld, not 0",
                where, (long)r);
    }
}

/* The finalizer of every kind that has one: count, maybe resurrect. */
static void any_finalize(rc_object *self) {
    int id = id_of(self);
    gc_past_weakrefs = 1;
    REQUIRE(id > 0, "finalizer called on an object without its id");
    objs[id].real_fin++;
    if (kind_res(objs[id].kind))
        REQUIRE(rc_list_append(RES, self) == 0, "RES append failed: %s", rc_error_message());
    reentry_check("a finalizer");
}

static void any_del(rc_object *self) {
    int id = id_of(self);
    gc_past_weakrefs = 1;
    REQUIRE(id > 0, "del hook called on an object without its id");
    objs[id].real_del++;
    reentry_check("a del hook");
}

#define NODE_TYPE(var, nm, fin_, del_)                                                    \
    static const rc_type var = {.ob_base = RC_STATIC_TYPE_HEAD, .name = nm,               \
                                .basic_size = sizeof(Node),                               \
                                .flags = RC_TYPE_GC | RC_TYPE_TRACK | RC_TYPE_WEAKREF,    \
                                .weaklist_offset = offsetof(Node, weaklist),              \
                                .traverse = node_traverse, .clear = node_clear,           \
                                .finalize = fin_, .del = del_, .dealloc = node_dealloc}
NODE_TYPE(Node_type, "Node", NULL, NULL);
NODE_TYPE(NodeFin_type, "NodeFin", any_finalize, NULL);
NODE_TYPE(NodeDel_type, "NodeDel", NULL, any_del);

static int is_node(const rc_object *o) {
    const rc_type *t = rc_type_of(o);
    return t == &Node_type || t == &NodeFin_type || t == &NodeDel_type;
}

static const char *const edge_names[NEDGES] = {"a0", "a1", "a2", "a3"};

/* The id of the weak reference at o: the newest one made at that address
 * (every weak reference in the heap is ours), 0 if none. */
static int wref_id_of(const rc_object *o) {
    for (int i = nobj; i > 0; i--)
        if (objs[i].kind == K_WREF && objs[i].ptr == o)
            return i;
    return 0;
}

static int is_wref(const rc_object *o) { return rc_weakref_check(o) || rc_weakproxy_check(o); }

/* The id of one of our objects, 0 for anything else. */
static int id_of(rc_object *o) {
    if (is_wref(o))
        return wref_id_of(o);
    if (is_node(o))
        return ((Node *)o)->magic == NODE_MAGIC ? ((Node *)o)->id : 0;
    rc_object *t = NULL;
    if (rc_is_instance(o))
        t = rc_getattr_borrowed(o, "id");
    else if (rc_type_of(o) == rc_type_of(RES) && rc_list_size(o) == 1 + NEDGES)
        t = rc_list_get(o, 0);
    rc_error_clear();
    if (!t || rc_type_of(t) != &Tag_type)
        return 0;
    return ((Tag *)t)->id;
}

/* ------------------------------------------------------------ weak-reference callbacks */

/* The real callbacks log the weak reference's id; the model records what it
 * expects.  Both are compared, then emptied, after every operation and at
 * the start and stop of every collection (check_callbacks). */
enum {
    EXP_REQUIRED,      /* must be called */
    EXP_OPTIONAL,      /* may be called (it died in the cascade that killed its referent) */
    EXP_IF_ALIVE,      /* settling: required if the weak reference survives, else optional */
    EXP_IF_REF_DIES,   /* settling: optional if the referent died, else dropped */
};
typedef struct expect {
    int wr, ref, state, gc;
} expect;

static int cb_log[MAXOBJ + 1], ncb_log;   /* reality: ids, in call order */
static expect expects[MAXOBJ + 1];         /* the model */
static int nexpects;
/* Weak references the model clears in the current collection's weakref
 * step: every one of them must read dead when the first callback runs. */
static int gc_cleared[MAXOBJ + 1], ngc_cleared;

static void expect_call(int wr, int ref, int state, int gc) {
    REQUIRE(nexpects <= MAXOBJ, "too many expected callbacks");
    expects[nexpects++] = (expect){wr, ref, state, gc};
}

static void reentry_check(const char *where);

/* The callback of every weak reference made with one. */
static void weak_callback(rc_object *ref, rc_object *data) {
    int id = wref_id_of(ref);
    REQUIRE(id > 0, "a weak-reference callback got an unknown reference %p", (void *)ref);
    REQUIRE(ncb_log <= MAXOBJ, "too many weak-reference callbacks");
    cb_log[ncb_log++] = id;
    obj *w = &objs[id];
    tracef("    callback of weakref %d (referent %d)\n", id, w->wr_orig);
    REQUIRE(w->wr_hascb, "weakref %d was made without a callback but called back", id);
    REQUIRE(rc_weakref_is_alive(ref) == 0, "weakref %d reads alive inside its own callback", id);
    rc_error_clear();
    rc_object *x = rc_weakref_get(ref);
    REQUIRE(x == NULL && rc_error_code() == RC_OK,
            "rc_weakref_get(weakref %d) inside its callback: %p (error %d)", id, (void *)x,
            (int)rc_error_code());
    rc_object *d = (rc_object *)ref;   /* anything not NULL */
    REQUIRE(rc_weakref_callback_of(ref, &d) == NULL && d == NULL,
            "weakref %d still shows its callback or data while it is being called", id);
    rc_object *want = w->wr_data ? objs[w->wr_data].ptr : NULL;
    REQUIRE(data == want, "weakref %d called back with data %p (id %d), made with %p (id %d)", id,
            (void *)data, data ? id_of(data) : 0, (void *)want, w->wr_data);
    /* the referent is being destroyed (refcount path) or is garbage not yet
     * cleared (collector): its memory is still there */
    intptr_t left = rc_weakref_count(objs[w->wr_orig].ptr);
    REQUIRE(left == 0, "weakref %d is called back while its referent %d still has %ld weak "
            "references: every one must be cleared before the first callback", id, w->wr_orig,
            (long)left);
    /* A call of the collector's weakref step (expected as such, and before
     * any finalizer ran or anything was freed, so the cleared weak
     * references are all still there to be asked) */
    int gc_step = 0;
    for (int e = 0; e < nexpects; e++)
        gc_step |= expects[e].wr == id && expects[e].gc;
    if (in_collection && gc_step && w->wr_revive) {
        /* the referent is garbage the collector has not cleared yet: a
         * callback may resurrect it, as a finalizer may */
        REQUIRE(rc_list_append(RES, objs[w->wr_orig].ptr) == 0, "RES append failed: %s",
                rc_error_message());
    }
    if (in_collection && gc_step && !gc_past_weakrefs)
        for (int i = 0; i < ngc_cleared; i++)
            REQUIRE(rc_weakref_is_alive(objs[gc_cleared[i]].ptr) == 0,
                    "weakref %d is called back by the collector while weakref %d (to %d), which "
                    "the same collection clears, still reads alive", id, gc_cleared[i],
                    objs[gc_cleared[i]].wr_orig);
    reentry_check("a weakref callback");
}

/* The log against the expectations: every call expected, every required
 * one made, each weak reference called at most once, and the calls for one
 * referent in its list order (newest weak reference first). */
static void check_callbacks(const char *when) {
    unsigned char taken[MAXOBJ + 1] = {0};
    for (int k = 0; k < ncb_log; k++) {
        int id = cb_log[k], e;
        for (e = 0; e < nexpects; e++)
            if (expects[e].wr == id && !taken[e])
                break;
        REQUIRE(e < nexpects, "%s: weakref %d (to object %d) was called back, the model "
                "(CPython's rules) expects no call%s", when, id, objs[id].wr_orig,
                objs[id].wr_ref ? ": its referent is alive" : "");
        taken[e] = 1;
        for (int l = k + 1; l < ncb_log; l++)
            REQUIRE(objs[cb_log[l]].wr_orig != objs[id].wr_orig || cb_log[l] < id,
                    "%s: the callbacks of object %d's weak references ran in the order ... %d "
                    "... %d ...: list order is newest first", when, objs[id].wr_orig, id,
                    cb_log[l]);
        fuzz_gc_totals[7]++;
        fuzz_gc_totals[8] += expects[e].gc;
    }
    for (int e = 0; e < nexpects; e++)
        REQUIRE(taken[e] || expects[e].state != EXP_REQUIRED,
                "%s: weakref %d (to object %d, which died%s) was not called back; the model "
                "(CPython's rules) expects its callback", when, expects[e].wr, expects[e].ref,
                expects[e].gc ? " in the collection" : " by refcount");
    ncb_log = nexpects = 0;
}

/* ------------------------------------------------------------ model refcounts */

/* rc[i] = references to object i the model knows of. */
static void model_refcounts(int *rc) {
    memset(rc, 0, sizeof(int) * (MAXOBJ + 1));
    for (int k = 0; k < NROOTS; k++)
        if (roots[k])
            rc[roots[k]]++;
    for (int i = 0; i < nres; i++)
        rc[res_model[i]]++;
    for (int i = 0; i < ngarb; i++)
        rc[garb_model[i]]++;
    for (int i = 1; i <= nobj; i++)
        if (objs[i].alive)
            for (int e = 0; e < NEDGES; e++)
                if (objs[i].edge[e])
                    rc[objs[i].edge[e]]++;
}

/* Set for every object that model_settle resurrected (re-tracked): during
 * a collection such an object has left the collector's lists. */
static unsigned char retracked[MAXOBJ + 1];

/* Objects whose count reached zero die as at rc_decref: the finalizer once
 * (it may resurrect: re-tracked in generation 0), their weak references
 * cleared and called back, the legacy del, then their edges go, which may
 * kill more.  A dying weak reference leaves its referent's list without a
 * call.  Which weak references are called back is settled at the end (see
 * the EXP_IF_* states): the final state does not depend on the order. */
static void model_settle(void) {
    int rc[MAXOBJ + 1];
    int stack[MAXOBJ + 1], sp = 0;
    int first_expect = nexpects;
    model_refcounts(rc);
    for (int i = 1; i <= nobj; i++)
        if (objs[i].alive && rc[i] == 0)
            stack[sp++] = i;
    while (sp) {
        int i = stack[--sp];
        obj *o = &objs[i];
        if (!o->alive || rc[i] != 0)
            continue;
        if (kind_has_fin(o->kind) && !o->finalized) {
            o->finalized = 1;
            if (kind_res(o->kind)) {
                res_model[nres++] = i;
                rc[i]++;
                o->gen = 0;
                retracked[i] = 1;
                continue;
            }
        }
        if (kind_has_del(o->kind))
            o->ndel++;
        o->alive = 0;
        if (o->kind == K_WREF) {
            if (o->wr_ref && o->wr_cb)
                expect_call(i, o->wr_ref, EXP_IF_REF_DIES, 0);
            o->wr_ref = 0;
        }
        for (int w = 1; w <= nobj; w++) {
            obj *wo = &objs[w];
            if (wo->kind != K_WREF || wo->wr_ref != i)
                continue;
            wo->wr_ref = 0;
            if (wo->wr_cb) {   /* called, then its data goes */
                expect_call(w, i, EXP_IF_ALIVE, 0);
                wo->wr_cb = 0;
                int t = wo->edge[0];
                wo->edge[0] = 0;
                if (t && --rc[t] == 0 && objs[t].alive)
                    stack[sp++] = t;
            }
        }
        for (int e = 0; e < NEDGES; e++) {
            int t = o->edge[e];
            if (t && --rc[t] == 0 && objs[t].alive)
                stack[sp++] = t;
        }
    }
    int n = first_expect;
    for (int e = first_expect; e < nexpects; e++) {
        expect x = expects[e];
        if (x.state == EXP_IF_ALIVE)
            x.state = objs[x.wr].alive ? EXP_REQUIRED : EXP_OPTIONAL;
        else if (x.state == EXP_IF_REF_DIES) {
            if (objs[x.ref].alive)
                continue;
            x.state = EXP_OPTIONAL;
        }
        expects[n++] = x;
    }
    nexpects = n;
}

/* ------------------------------------------------------------ checking */

static void check_list_ids(rc_object *list, const int *want, int nwant, const char *what) {
    REQUIRE(list != NULL, "%s is NULL: %s", what, rc_error_message());
    intptr_t n = rc_list_size(list);
    int cnt[MAXOBJ + 1] = {0};   /* model count minus real count */
    for (int i = 0; i < nwant; i++)
        cnt[want[i]]++;
    for (intptr_t i = 0; i < n; i++) {
        rc_object *o = rc_list_get(list, i);
        int id = id_of(o);
        REQUIRE(id > 0, "%s holds an object that is not one of ours (%s at %p)", what,
                rc_type_name(o), (void *)o);
        cnt[id]--;
    }
    for (int i = 1; i <= nobj; i++)
        REQUIRE(cnt[i] == 0, "%s: object %d (%s) is there %d times more than the model expects",
                what, i, kind_names[objs[i].kind], -cnt[i]);
    REQUIRE(n == nwant, "%s has %ld entries, the model expects %d", what, (long)n, nwant);
}

/* A weak reference's only strong edge, its data, as the collector sees it
 * (rc_weakref_callback_of shows it only while the referent lives). */
static rc_object *wref_data_real(int id) {
    void *arg[1] = {objs[id].ptr};
    rc_object *l = rc_gc_get_referents(1, arg);
    REQUIRE(l != NULL, "rc_gc_get_referents: %s", rc_error_message());
    intptr_t n = rc_list_size(l);
    REQUIRE(n <= 1, "weakref %d has %ld referents, at most its data expected", id, (long)n);
    rc_object *x = n ? rc_list_get(l, 0) : NULL;   /* kept alive by the weak reference */
    rc_decref(l);
    return x;
}

static rc_object *edge_real(int id, int e) {
    obj *o = &objs[id];
    if (o->kind == K_WREF)
        return e == 0 ? wref_data_real(id) : NULL;
    if (kind_is_node(o->kind))
        return ((Node *)o->ptr)->edge[e];
    if (o->kind == K_LIST) {
        rc_object *x = rc_list_get(o->ptr, e + 1);
        return x == rc_None ? NULL : x;
    }
    rc_object *x = rc_getattr_borrowed(o->ptr, edge_names[e]);
    rc_error_clear();
    return x;
}

/* Who holds object id, in the model (for failure messages). */
static const char *model_referrers(int id) {
    static char buf[512];
    size_t n = 0;
    buf[0] = '\0';
#define ADD(...) n += (size_t)snprintf(buf + n, n < sizeof buf ? sizeof buf - n : 0, __VA_ARGS__)
    for (int k = 0; k < NROOTS; k++)
        if (roots[k] == id)
            ADD(" root%d", k);
    for (int i = 0; i < nres; i++)
        if (res_model[i] == id)
            ADD(" RES");
    for (int i = 0; i < ngarb; i++)
        if (garb_model[i] == id)
            ADD(" garbage");
    for (int i = 1; i <= nobj; i++)
        for (int e = 0; e < NEDGES; e++)
            if (objs[i].edge[e] == id)
                ADD(" %d.a%d(%s)", i, e, objs[i].alive ? "alive" : "dead");
#undef ADD
    return n ? buf : " nothing";
}

static int nwrefs_made;   /* weak references made by this input */

/* The model's list of weak references to object a, in the library's (and
 * CPython's) order: the shared ref, the shared proxy, then the others
 * newest first.  Returns the count. */
static int model_weaklist(int a, int *out) {
    int n = 0;
    for (int pass = 0; pass < 3; pass++)
        for (int i = nobj; i > 0; i--) {
            obj *w = &objs[i];
            if (w->kind != K_WREF || w->wr_ref != a)
                continue;
            int basic = !w->wr_hascb && !w->wr_data;
            if ((pass == 0 && basic && !w->wr_proxy) || (pass == 1 && basic && w->wr_proxy) ||
                (pass == 2 && !basic))
                out[n++] = i;
        }
    return n;
}

/* Weak references against the model.  They have no dealloc hook, so the
 * generations are the witness of their life: one the model holds dead must
 * be in none of them, one it holds alive and unfrozen in its own.  (Frozen
 * ones are checked through their referent's list while they are linked.) */
static void check_weakrefs(const char *when) {
    if (!nwrefs_made)
        return;
    unsigned char seen[MAXOBJ + 1] = {0};
    for (int g = 0; g < 3; g++) {
        rc_object *l = rc_gc_get_objects(g);
        REQUIRE(l != NULL, "rc_gc_get_objects(%d) failed: %s", g, rc_error_message());
        for (intptr_t i = 0; i < rc_list_size(l); i++) {
            rc_object *x = rc_list_get(l, i);
            if (!is_wref(x))
                continue;
            int id = wref_id_of(x);
            REQUIRE(id > 0, "%s: an unknown weak reference %p is in generation %d", when,
                    (void *)x, g);
            REQUIRE(objs[id].alive, "%s: weakref %d (to object %d) is alive in generation %d; "
                    "the model (CPython's rules) says it died", when, id, objs[id].wr_orig, g);
            seen[id] = 1;
        }
        rc_decref(l);
    }
    for (int i = 1; i <= nobj; i++) {
        obj *w = &objs[i];
        if (w->kind != K_WREF || !w->alive)
            continue;
        REQUIRE(w->gen == 3 || seen[i], "%s: weakref %d (to object %d) is in no generation: it "
                "was freed, the model says it lives (referrers:%s)", when, i, w->wr_orig,
                model_referrers(i));
        REQUIRE(!w->wr_ref || objs[w->wr_ref].alive, "model: weakref %d linked to dead %d", i,
                w->wr_ref);
    }
    /* every referent's list, which also proves its frozen weak references alive */
    int list[MAXOBJ + 1], linked[MAXOBJ + 1] = {0};
    for (int i = 1; i <= nobj; i++)
        if (objs[i].kind == K_WREF)
            linked[objs[i].wr_ref]++;
    for (int a = 1; a <= nobj; a++) {
        obj *o = &objs[a];
        if (!o->alive)
            continue;
        int n = linked[a] ? model_weaklist(a, list) : 0;
        intptr_t cnt = rc_weakref_count(o->ptr);
        REQUIRE(cnt == n, "%s: object %d (%s) has %ld weak references, the model expects %d", when,
                a, kind_names[o->kind], (long)cnt, n);
        if (!n)
            continue;
        rc_object *l = rc_weakref_list(o->ptr);
        REQUIRE(l && rc_list_size(l) == n, "rc_weakref_list(object %d): %s", a,
                l ? "wrong size" : rc_error_message());
        for (int k = 0; k < n; k++)
            REQUIRE(rc_list_get(l, k) == objs[list[k]].ptr,
                    "%s: object %d's weak reference %d is %p (id %d), the model's list order "
                    "(shared ref, shared proxy, then newest first) says weakref %d", when, a, k,
                    (void *)rc_list_get(l, k), id_of(rc_list_get(l, k)), list[k]);
        rc_decref(l);
    }
    for (int i = 1; i <= nobj; i++) {
        obj *w = &objs[i];
        if (w->kind != K_WREF || !w->alive || (w->gen == 3 && !w->wr_ref))
            continue;
        rc_object *ref = w->ptr;
        REQUIRE(rc_weakref_check(ref) == !w->wr_proxy && rc_weakproxy_check(ref) == w->wr_proxy,
                "%s: weakref %d has the wrong type %s", when, i, rc_type_name(ref));
        REQUIRE(rc_weakref_is_alive(ref) == (w->wr_ref != 0),
                "%s: weakref %d (to object %d) reads %s, the model (CPython's rules) says %s",
                when, i, w->wr_orig, w->wr_ref ? "dead" : "alive", w->wr_ref ? "alive" : "dead");
        rc_object *x = rc_weakref_get(ref);
        REQUIRE(x == (w->wr_ref ? objs[w->wr_ref].ptr : NULL), "%s: rc_weakref_get(weakref %d)",
                when, i);
        if (x)
            rc_decref(x);
        rc_object *d = NULL;
        rc_weakref_callback cb = rc_weakref_callback_of(ref, &d);
        REQUIRE(cb == (w->wr_ref && w->wr_hascb ? weak_callback : NULL) &&
                    d == (w->wr_ref && w->wr_data ? objs[w->wr_data].ptr : NULL),
                "%s: rc_weakref_callback_of(weakref %d) gives %s / data %p", when, i,
                cb ? "a callback" : "none", (void *)d);
    }
}

/* The whole state against the model. */
static void check_all(const char *when) {
    int rc[MAXOBJ + 1];
    check_callbacks(when);
    check_weakrefs(when);
    model_refcounts(rc);
    for (int i = 1; i <= nobj; i++) {
        obj *o = &objs[i];
        if (o->kind == K_WREF)
            continue;   /* no hooks: check_weakrefs */
        REQUIRE(o->alive == !o->real_freed,
                "%s: object %d (%s) is %s, the model says %s (finalizer calls: %d, model "
                "finalized: %d, model generation %d; model referrers:%s)",
                when, i, kind_names[o->kind], o->real_freed ? "freed" : "alive",
                o->alive ? "alive" : "freed", o->real_fin, o->finalized, o->gen,
                model_referrers(i));
        REQUIRE(o->real_fin == o->finalized,
                "%s: object %d (%s) finalized %d times, the model expects %d", when, i,
                kind_names[o->kind], o->real_fin, o->finalized);
        REQUIRE(o->real_del == o->ndel, "%s: object %d (%s): del called %d times, expected %d",
                when, i, kind_names[o->kind], o->real_del, o->ndel);
    }
    for (int i = 1; i <= nobj; i++) {
        obj *o = &objs[i];
        if (!o->alive)
            continue;
        REQUIRE(id_of(o->ptr) == i, "%s: object %d (%s) lost its id (it was cleared?)", when, i,
                kind_names[o->kind]);
        intptr_t real = rc_refcount(o->ptr);
        REQUIRE(real == rc[i], "%s: object %d (%s) has refcount %ld, the model expects %d", when,
                i, kind_names[o->kind], (long)real, rc[i]);
        for (int e = 0; e < NEDGES; e++) {
            rc_object *x = edge_real(i, e);
            rc_object *want = o->edge[e] ? objs[o->edge[e]].ptr : NULL;
            REQUIRE(x == want, "%s: object %d (%s) edge %d is %p (id %d), the model expects id %d",
                    when, i, kind_names[o->kind], e, (void *)x, x ? id_of(x) : 0, o->edge[e]);
        }
        REQUIRE(rc_gc_is_tracked(o->ptr) == 1, "%s: live object %d (%s) is not tracked", when, i,
                kind_names[o->kind]);
        REQUIRE(rc_gc_is_finalized(o->ptr) == (kind_has_fin(o->kind) && o->finalized),
                "%s: rc_gc_is_finalized(object %d) is %d", when, i, rc_gc_is_finalized(o->ptr));
    }
    for (int k = 0; k < NROOTS; k++)
        REQUIRE((rroots[k] ? id_of(rroots[k]) : 0) == roots[k], "%s: root %d mismatch", when, k);
    check_list_ids(RES, res_model, nres, "the resurrection list");
    check_list_ids(rc_gc_garbage(), garb_model, ngarb, "gc.garbage");
}

/* rc_gc_get_objects(g) for g = 0..2 against the model's generations. */
static void check_generations(const char *when) {
    int seen[MAXOBJ + 1] = {0};
    for (int g = 0; g < 3; g++) {
        rc_object *l = rc_gc_get_objects(g);
        REQUIRE(l != NULL, "rc_gc_get_objects(%d) failed: %s", g, rc_error_message());
        intptr_t n = rc_list_size(l);
        for (intptr_t i = 0; i < n; i++) {
            int id = id_of(rc_list_get(l, i));
            if (!id)
                continue;
            REQUIRE(!seen[id], "%s: object %d is in two generations", when, id);
            REQUIRE(objs[id].alive || objs[id].kind != K_WREF,
                    "%s: weakref %d (to object %d) is alive in generation %d; the model "
                    "(CPython's rules) says it died", when, id, objs[id].wr_orig, g);
            seen[id] = g + 1;
        }
        rc_decref(l);
    }
    for (int i = 1; i <= nobj; i++) {
        obj *o = &objs[i];
        if (!o->alive)
            continue;
        int want = o->gen == 3 ? 0 : o->gen + 1;
        REQUIRE(seen[i] == want,
                "%s: object %d (%s) is in generation %d, the model (CPython's rules) says %d "
                "(-1 = not listed / permanent)",
                when, i, kind_names[o->kind], seen[i] - 1, want - 1);
    }
}

static void check_stats(const char *when) {
    rc_gc_generation_stats st[3];
    REQUIRE(rc_gc_get_stats(st) == 0, "rc_gc_get_stats failed");
    for (int g = 0; g < 3; g++) {
        REQUIRE(st[g].collections == model_stats[g][0] && st[g].collected == model_stats[g][1] &&
                    st[g].uncollectable == model_stats[g][2],
                "%s: stats of generation %d are %llu/%llu/%llu (collections/collected/"
                "uncollectable), the model counts %llu/%llu/%llu",
                when, g, (unsigned long long)st[g].collections,
                (unsigned long long)st[g].collected, (unsigned long long)st[g].uncollectable,
                (unsigned long long)model_stats[g][0], (unsigned long long)model_stats[g][1],
                (unsigned long long)model_stats[g][2]);
    }
}

/* ------------------------------------------------------------ collection model */

/* Predict collect(g) on the model, CPython 3.11's gc_collect_main, and
 * apply it.  Sets pred_collected / pred_uncollectable. */
static void model_collect(int g) {
    int young[MAXOBJ + 1] = {0}, reach[MAXOBJ + 1] = {0}, rc[MAXOBJ + 1], inner[MAXOBJ + 1];
    int stack[MAXOBJ + 1], sp;
    for (int i = 1; i <= nobj; i++)
        young[i] = objs[i].alive && objs[i].gen <= g;
    memset(retracked, 0, sizeof retracked);
    /* unreachable: no reference from outside the young set, directly or
     * through other young objects */
    model_refcounts(rc);
    memset(inner, 0, sizeof inner);
    for (int i = 1; i <= nobj; i++)
        if (young[i])
            for (int e = 0; e < NEDGES; e++)
                if (objs[i].edge[e] && young[objs[i].edge[e]])
                    inner[objs[i].edge[e]]++;
    sp = 0;
    for (int i = 1; i <= nobj; i++)
        if (young[i] && rc[i] > inner[i]) {
            reach[i] = 1;
            stack[sp++] = i;
        }
    while (sp) {
        int i = stack[--sp];
        for (int e = 0; e < NEDGES; e++) {
            int t = objs[i].edge[e];
            if (t && young[t] && !reach[t]) {
                reach[t] = 1;
                stack[sp++] = t;
            }
        }
    }
    int unreach[MAXOBJ + 1] = {0}, legacy[MAXOBJ + 1] = {0};
    for (int i = 1; i <= nobj; i++)
        unreach[i] = young[i] && !reach[i];
    /* survivors are promoted */
    int old = g < 2 ? g + 1 : 2;
    for (int i = 1; i <= nobj; i++)
        if (young[i])
            objs[i].gen = old;
    /* legacy finalizers and everything they reach */
    sp = 0;
    for (int i = 1; i <= nobj; i++)
        if (unreach[i] && kind_has_del(objs[i].kind)) {
            legacy[i] = 1;
            stack[sp++] = i;
        }
    while (sp) {
        int i = stack[--sp];
        for (int e = 0; e < NEDGES; e++) {
            int t = objs[i].edge[e];
            if (t && unreach[t] && !legacy[t]) {
                legacy[t] = 1;
                stack[sp++] = t;
            }
        }
    }
    for (int i = 1; i <= nobj; i++)
        if (legacy[i])
            unreach[i] = 0;
    /* weak references (handle_weakrefs): a garbage one is cleared and never
     * calls back; every one to garbage is cleared; those with a callback
     * that are not garbage themselves are called (after all the clears) and
     * keep their callback and data.  Nothing else changes: the callbacks
     * are pure. */
    ngc_cleared = 0;
    for (int i = 1; i <= nobj; i++) {
        obj *w = &objs[i];
        if (!w->alive || w->kind != K_WREF || !w->wr_ref || !(unreach[i] || unreach[w->wr_ref]))
            continue;
        int a = w->wr_ref;
        w->wr_ref = 0;
        gc_cleared[ngc_cleared++] = i;
        fuzz_gc_totals[9]++;
        if (w->wr_cb && !unreach[i] && unreach[a]) {
            expect_call(i, a, EXP_REQUIRED, 1);
            w->wr_cb = 0;
            if (w->wr_revive)
                res_model[nres++] = a;
        }
    }
    /* finalizers, at most once */
    for (int i = 1; i <= nobj; i++)
        if (unreach[i] && kind_has_fin(objs[i].kind) && !objs[i].finalized) {
            objs[i].finalized = 1;
            if (kind_res(objs[i].kind))
                res_model[nres++] = i;
        }
    /* resurrection: what is referenced from outside the set now survives,
     * with everything it reaches */
    model_refcounts(rc);
    memset(inner, 0, sizeof inner);
    for (int i = 1; i <= nobj; i++)
        if (unreach[i])
            for (int e = 0; e < NEDGES; e++)
                if (objs[i].edge[e] && unreach[objs[i].edge[e]])
                    inner[objs[i].edge[e]]++;
    int resur[MAXOBJ + 1] = {0};
    sp = 0;
    for (int i = 1; i <= nobj; i++)
        if (unreach[i] && rc[i] > inner[i]) {
            resur[i] = 1;
            stack[sp++] = i;
        }
    while (sp) {
        int i = stack[--sp];
        for (int e = 0; e < NEDGES; e++) {
            int t = objs[i].edge[e];
            if (t && unreach[t] && !resur[t]) {
                resur[t] = 1;
                stack[sp++] = t;
            }
        }
    }
    intptr_t collected = 0;
    for (int i = 1; i <= nobj; i++)
        if (unreach[i] && !resur[i])
            collected++;
    /* clear: the garbage dies (refcounts settle); with SAVEALL it goes to
     * gc.garbage instead */
    if (saveall) {
        for (int i = 1; i <= nobj; i++)
            if (unreach[i] && !resur[i])
                garb_model[ngarb++] = i;
    } else {
        for (int i = 1; i <= nobj; i++)
            if (unreach[i] && !resur[i]) {
                objs[i].alive = 0;   /* its edges go with it */
                if (kind_has_del(objs[i].kind))
                    objs[i].ndel++;
            }
        model_settle();
    }
    /* uncollectable: the legacy set still in its list (alive, and not
     * freed-then-resurrected while the garbage was cleared); only objects
     * with a del hook (all of them with SAVEALL) go to gc.garbage */
    intptr_t uncollectable = 0;
    for (int i = 1; i <= nobj; i++)
        if (legacy[i] && objs[i].alive && !retracked[i]) {
            uncollectable++;
            if (saveall || kind_has_del(objs[i].kind))
                garb_model[ngarb++] = i;
        }
    if (trace) {
        tracef("  predict collect(%d):", g);
        const char *names[] = {"young", "unreachable", "legacy", "resurrected"};
        int *sets[] = {young, unreach, legacy, resur};
        for (int s = 0; s < 4; s++) {
            tracef(" %s={", names[s]);
            for (int i = 1; i <= nobj; i++)
                if (sets[s][i])
                    tracef(" %d", i);
            tracef(" }");
        }
        tracef(" weakrefs cleared={");
        for (int i = 0; i < ngc_cleared; i++)
            tracef(" %d", gc_cleared[i]);
        tracef(" } -> collected %ld uncollectable %ld\n", (long)collected, (long)uncollectable);
        int rc2[MAXOBJ + 1];
        model_refcounts(rc2);
        for (int i = 1; i <= nobj; i++)
            if (young[i])
                tracef("    %d %s rc(after)=%d %s edges %d %d %d %d%s\n", i,
                       kind_names[objs[i].kind], rc2[i], objs[i].alive ? "alive" : "dead",
                       objs[i].edge[0], objs[i].edge[1], objs[i].edge[2], objs[i].edge[3],
                       objs[i].finalized ? " finalized" : "");
    }
    pred_collected = collected;
    pred_uncollectable = uncollectable;
    fuzz_gc_totals[0]++;
    fuzz_gc_totals[2] += collected;
    fuzz_gc_totals[3] += uncollectable;
    for (int i = 1; i <= nobj; i++)
        fuzz_gc_totals[4] += resur[i];
    model_stats[g][0]++;
    model_stats[g][1] += (uint64_t)collected;
    model_stats[g][2] += (uint64_t)uncollectable;
}

static void gc_callback(const char *phase, const rc_gc_info *info, void *ctx) {
    (void)ctx;
    if (!strcmp(phase, "start")) {
        REQUIRE(!in_collection, "callback \"start\" inside a collection");
        tracef("  callback start gen %d\n", info->generation);
        REQUIRE(info->generation >= 0 && info->generation <= 2, "callback generation %d",
                info->generation);
        check_generations("at the start of a collection");
        check_callbacks("at the start of a collection");
        in_collection = 1;
        gc_past_weakrefs = 0;
        cur_gen = info->generation;
        if (!explicit_collect)
            fuzz_gc_totals[1]++;
        REQUIRE(rc_gc_collect(0) == 0, "rc_gc_collect inside the start callback did not return 0");
        model_collect(info->generation);
    } else {
        REQUIRE(!strcmp(phase, "stop"), "callback phase \"%s\"", phase);
        REQUIRE(in_collection, "callback \"stop\" without \"start\"");
        REQUIRE(info->generation == cur_gen, "stop for generation %d, start was %d",
                info->generation, cur_gen);
        in_collection = 0;
        ncollections++;
        REQUIRE(info->collected == pred_collected && info->uncollectable == pred_uncollectable,
                "collection of generation %d: %ld collected, %ld uncollectable; the model "
                "(CPython's rules) expects %ld and %ld",
                info->generation, (long)info->collected, (long)info->uncollectable,
                (long)pred_collected, (long)pred_uncollectable);
        check_all("after a collection");
        check_stats("after a collection");
    }
}

/* ------------------------------------------------------------ operations */

typedef struct reader {
    const uint8_t *p;
    size_t n, i;
} reader;

static int more(const reader *r) { return r->i < r->n; }
static unsigned byte(reader *r) { return r->i < r->n ? r->p[r->i++] : 0; }

static int pick_root(reader *r) { return (int)(byte(r) % NROOTS); }

static void set_root(int k, int id, rc_object *newref) {
    roots[k] = id;
    rc_setref(&rroots[k], newref);
}

static void set_edge_real(int id, int e, rc_object *target);

/* new(kind, root, f): a new object replaces root k; f % 4 links it:
 * 1 new.e = the object root k held (a chain), 2 new.e = new (a self
 * cycle), 3 old.e = new; e = f / 4 % 4. */
static void op_new(reader *r) {
    int kind = (int)(byte(r) % NKINDS), k = pick_root(r);
    unsigned f = byte(r);
    if (nobj >= MAXOBJ)
        return;
    int id = nobj + 1;
    obj *o = &objs[id];
    memset(o, 0, sizeof *o);
    o->kind = kind;
    rc_object *x = NULL;
    if (kind_is_node(kind)) {
        const rc_type *t = kind == K_NODE ? &Node_type : kind == K_NODE_DEL ? &NodeDel_type
                                                                            : &NodeFin_type;
        Node *n = rc_object_new(t);
        REQUIRE(n != NULL, "rc_object_new: %s", rc_error_message());
        n->magic = NODE_MAGIC;
        n->id = id;
        x = &n->ob;
    } else {
        Tag *tag = rc_object_new(&Tag_type);
        REQUIRE(tag != NULL, "rc_object_new(Tag): %s", rc_error_message());
        tag->id = id;
        if (kind == K_LIST) {
            x = rc_list_new(1 + NEDGES);
            REQUIRE(x && rc_list_set(x, 0, tag) == 0, "list: %s", rc_error_message());
        } else {
            rc_object *cls = kind == K_INST ? cls_inst
                           : kind == K_INST_DEL ? cls_inst_del
                           : kind == K_SLOTS ? cls_slots
                           : kind == K_SLOTS_FIN_RES ? cls_slots_fin : cls_inst_fin;
            x = rc_new_instance(cls);
            REQUIRE(x && rc_setattr(x, "id", tag) == 0, "instance: %s", rc_error_message());
        }
        rc_decref(tag);
    }
    counted_alloc = kind != K_LIST;   /* lists may come from the free list, uncounted */
    nobj = id;   /* known only now: a collection inside the allocation saw no such object */
    o->ptr = x;
    o->alive = 1;
    o->gen = 0;
    int prev = roots[k], e = (int)(f / 4 % NEDGES);
    tracef("  new %d %s -> root%d (replacing %d, link mode %u)\n", id, kind_names[kind], k, prev,
           f % 4);
    if (f % 4 == 1 && prev) {
        o->edge[e] = prev;
        set_edge_real(id, e, objs[prev].ptr);
    } else if (f % 4 == 2) {
        o->edge[e] = id;
        set_edge_real(id, e, x);
    } else if (f % 4 == 3 && prev && objs[prev].kind != K_WREF) {
        objs[prev].edge[e] = id;
        set_edge_real(prev, e, x);
    }
    set_root(k, id, x);
    model_settle();
}

static void set_edge_real(int id, int e, rc_object *target) {
    obj *o = &objs[id];
    if (kind_is_node(o->kind)) {
        rc_setref(&((Node *)o->ptr)->edge[e], rc_xnewref(target));
    } else if (o->kind == K_LIST) {
        REQUIRE(rc_list_set(o->ptr, e + 1, target ? target : rc_None) == 0, "rc_list_set: %s",
                rc_error_message());
    } else if (target) {
        REQUIRE(rc_setattr(o->ptr, edge_names[e], target) == 0, "rc_setattr: %s",
                rc_error_message());
    } else {
        REQUIRE(rc_delattr(o->ptr, edge_names[e]) == 0, "rc_delattr: %s", rc_error_message());
    }
}

static void op_link(reader *r) {
    int a = pick_root(r), e = (int)(byte(r) % NEDGES), b = pick_root(r);
    if (!roots[a] || !roots[b] || objs[roots[a]].kind == K_WREF)
        return;
    tracef("  link %d.a%d = %d\n", roots[a], e, roots[b]);
    objs[roots[a]].edge[e] = roots[b];
    set_edge_real(roots[a], e, rroots[b]);
    model_settle();
}

static void op_unlink(reader *r) {
    int a = pick_root(r), e = (int)(byte(r) % NEDGES);
    if (!roots[a] || !objs[roots[a]].edge[e] || objs[roots[a]].kind == K_WREF)
        return;
    tracef("  unlink %d.a%d\n", roots[a], e);
    objs[roots[a]].edge[e] = 0;
    set_edge_real(roots[a], e, NULL);
    model_settle();
}

/* rc_gc_get_referents(src) and rc_gc_get_referrers(dst) against the model:
 * our objects among the referents are src's edges (as a multiset); our
 * objects among the referrers are the live, unfrozen objects with an edge
 * to dst (each once). */
static void check_inspection(int src, int dst) {
    int cnt[MAXOBJ + 1] = {0};
    void *arg[1] = {objs[src].ptr};
    rc_object *l = rc_gc_get_referents(1, arg);
    REQUIRE(l != NULL, "rc_gc_get_referents: %s", rc_error_message());
    for (int e = 0; e < NEDGES; e++)
        if (objs[src].edge[e])
            cnt[objs[src].edge[e]]++;
    for (intptr_t i = 0; i < rc_list_size(l); i++) {
        int id = id_of(rc_list_get(l, i));
        if (id)
            cnt[id]--;
    }
    rc_decref(l);
    for (int i = 1; i <= nobj; i++)
        REQUIRE(cnt[i] == 0, "rc_gc_get_referents(object %d) lists object %d %d times too many",
                src, i, -cnt[i]);
    arg[0] = objs[dst].ptr;
    l = rc_gc_get_referrers(1, arg);
    REQUIRE(l != NULL, "rc_gc_get_referrers: %s", rc_error_message());
    int got[MAXOBJ + 1] = {0};
    for (intptr_t i = 0; i < rc_list_size(l); i++) {
        int id = id_of(rc_list_get(l, i));
        if (id)
            got[id]++;
    }
    rc_decref(l);
    for (int i = 1; i <= nobj; i++) {
        int want = 0;
        if (objs[i].alive && objs[i].gen != 3)
            for (int e = 0; e < NEDGES; e++)
                want |= objs[i].edge[e] == dst;
        REQUIRE(got[i] == want, "rc_gc_get_referrers(object %d) lists object %d %d times, "
                "the model expects %d", dst, i, got[i], want);
    }
}

static void op_load(reader *r) {
    int d = pick_root(r), s = pick_root(r), e = (int)(byte(r) % NEDGES);
    if (!roots[s] || !objs[roots[s]].edge[e])
        return;
    check_inspection(roots[s], objs[roots[s]].edge[e]);
    int t = objs[roots[s]].edge[e];
    rc_object *x = edge_real(roots[s], e);
    REQUIRE(x == objs[t].ptr, "load: edge %d of object %d is not object %d", e, roots[s], t);
    tracef("  root%d = %d.a%d (%d)\n", d, roots[s], e, t);
    set_root(d, t, rc_newref(x));
    model_settle();
}

static void op_drop(reader *r) {
    int k = pick_root(r);
    tracef("  drop root%d (%d)\n", k, roots[k]);
    set_root(k, 0, NULL);
    model_settle();
}

static void op_drop_many(reader *r) {
    unsigned mask = byte(r);
    tracef("  drop roots mask %#x\n", mask);
    for (int k = 0; k < NROOTS; k++)
        if (mask & (1u << k))
            set_root(k, 0, NULL);
    model_settle();
}

static void op_collect(reader *r) {
    int g = (int)(byte(r) % 3);
    int before = ncollections;
    explicit_collect = 1;
    tracef("  collect(%d)\n", g);
    intptr_t n = rc_gc_collect(g);
    explicit_collect = 0;
    REQUIRE(ncollections == before + 1, "rc_gc_collect(%d) did not call the callbacks once", g);
    REQUIRE(n == pred_collected + pred_uncollectable,
            "rc_gc_collect(%d) returned %ld, the model expects %ld", g, (long)n,
            (long)(pred_collected + pred_uncollectable));
    check_generations("after an explicit collection");
}

static void op_freeze(reader *r) {
    int fr = byte(r) & 1;
    tracef("  %s\n", fr ? "freeze" : "unfreeze");
    if (fr) {
        REQUIRE(rc_gc_freeze() == 0, "rc_gc_freeze failed");
        for (int i = 1; i <= nobj; i++)
            if (objs[i].alive)
                objs[i].gen = 3;
        long c[3];
        rc_gc_get_count(c);
        REQUIRE(c[0] == 0, "count0 is %ld after freeze", c[0]);
    } else {
        REQUIRE(rc_gc_unfreeze() == 0, "rc_gc_unfreeze failed");
        for (int i = 1; i <= nobj; i++)
            if (objs[i].alive && objs[i].gen == 3)
                objs[i].gen = 2;
        REQUIRE(rc_gc_get_freeze_count() == 0, "objects left frozen after unfreeze");
    }
    check_generations("after freeze/unfreeze");
}

static void op_threshold(reader *r) {
    unsigned a = byte(r), b = byte(r), c = byte(r);
    long t0 = (long)(a % 9), t1 = (long)(b % 4), t2 = (long)(c % 4);
    REQUIRE(rc_gc_set_threshold(t0, t1, t2) == 0, "rc_gc_set_threshold failed");
    long got[3];
    rc_gc_get_threshold(got);
    REQUIRE(got[0] == t0 && got[1] == t1 && got[2] == t2, "thresholds not kept");
    tracef("  thresholds %ld %ld %ld%s\n", t0, t1, t2, (a & 0x80) ? " toggle enabled" : "");
    thresholds[0] = t0;
    thresholds[1] = t1;
    thresholds[2] = t2;
    if (a & 0x80) {
        int was = gc_enabled ? rc_gc_disable() : rc_gc_enable();
        REQUIRE(was == gc_enabled, "enable/disable returned %d, previous state %d", was,
                gc_enabled);
        gc_enabled = !gc_enabled;
        REQUIRE(rc_gc_isenabled() == gc_enabled, "rc_gc_isenabled");
    }
}

static void op_res(reader *r) {
    unsigned a = byte(r), kb = byte(r), ib = byte(r);
    tracef("  res op %u\n", a);
    if (a % 4 == 0) {
        nres = 0;
        REQUIRE(rc_list_clear(RES) == 0, "RES clear");
        model_settle();
        return;
    }
    intptr_t n = rc_list_size(RES);
    if (!n)
        return;
    int k = (int)(kb % NROOTS);
    rc_object *x = rc_list_get(RES, (intptr_t)(ib % (unsigned)n));
    int id = id_of(x);
    REQUIRE(id > 0, "RES holds something unknown");
    set_root(k, id, rc_newref(x));
    model_settle();
}

static void op_garbage(reader *r) {
    unsigned a = byte(r), kb = byte(r), ib = byte(r);
    rc_object *garbage = rc_gc_garbage();
    REQUIRE(garbage != NULL, "rc_gc_garbage() is NULL");
    tracef("  garbage op %u\n", a);
    if (a % 4 == 0) {
        ngarb = 0;
        REQUIRE(rc_list_clear(garbage) == 0, "garbage clear");
        model_settle();
        return;
    }
    intptr_t n = rc_list_size(garbage);
    if (!n)
        return;
    int k = (int)(kb % NROOTS);
    intptr_t idx = (intptr_t)(ib % (unsigned)n);
    rc_object *x = rc_list_get(garbage, idx);
    int id = id_of(x);
    REQUIRE(id > 0, "gc.garbage holds something unknown");
    set_root(k, id, rc_newref(x));
    if (a & 4) {   /* and take it out of gc.garbage */
        rc_object *p = rc_list_pop(garbage, idx);
        REQUIRE(p == x, "garbage pop");
        rc_decref(p);
        for (int i = 0; i < ngarb; i++)
            if (garb_model[i] == id) {
                garb_model[i] = garb_model[--ngarb];
                break;
            }
    }
    model_settle();
}

/* The model's shared weak reference (or proxy) to a, 0 if none. */
static int model_shared_wref(int a, int proxy) {
    for (int i = 1; i <= nobj; i++) {
        obj *w = &objs[i];
        if (w->kind == K_WREF && w->wr_ref == a && w->wr_proxy == proxy && !w->wr_hascb &&
            !w->wr_data)
            return i;
    }
    return 0;
}

/* weak(mode, a, dest, flags).  mode % 4 == 3: the referent of the weak
 * reference in root a, if it lives, goes to root dest % 8.  Otherwise make
 * a weak reference to the object in root a: a callback if flags bit 0, a
 * proxy if bit 2, the object in root (flags >> 3) % 8 as data if bit 1 (and
 * bit 0 clear, unless FUZZ_GC_CALLBACK_WITH_DATA), and, with bit 6, a
 * callback that resurrects the referent (appends it to the resurrection
 * list) when the collector calls it; stored into edge
 * (dest >> 3) % 4 of the object in root dest % 8 if dest bit 6 is set and
 * that object has edges to set, else into root dest % 8. */
static void op_weak(reader *r) {
    unsigned mode = byte(r);
    int a = pick_root(r);
    unsigned dest = byte(r), flags = byte(r);
    int k = (int)(dest % NROOTS);
    if (mode % 4 == 3) {
        int s = roots[a];
        if (!s || objs[s].kind != K_WREF)
            return;
        rc_error_clear();
        rc_object *x = rc_weakref_get(objs[s].ptr);
        int t = objs[s].wr_ref;
        REQUIRE(x == (t ? objs[t].ptr : NULL) && rc_error_code() == RC_OK,
                "rc_weakref_get(weakref %d) gave %p (id %d), the model expects object %d", s,
                (void *)x, x ? id_of(x) : 0, t);
        tracef("  root%d = weakref %d () (%d%s)\n", k, s, t, t ? "" : ": dead, root kept");
        if (x)
            set_root(k, t, x);
        model_settle();
        return;
    }
    int target = roots[a];
    if (!target || nobj >= MAXOBJ)
        return;
    int cb = flags & 1, proxy = (flags >> 2) & 1, revive = cb && (flags & 0x40);
    int data = (flags & 2) && (!cb || FUZZ_GC_CALLBACK_WITH_DATA) ? roots[(flags >> 3) % NROOTS]
                                                                  : 0;
    rc_object *tp = objs[target].ptr, *dp = data ? objs[data].ptr : NULL;
    rc_weakref_callback fn = cb ? weak_callback : NULL;
    rc_error_clear();
    if (!kind_weakrefable(objs[target].kind)) {
        rc_object *w = proxy ? rc_weakproxy_new(tp, fn, dp) : rc_weakref_new(tp, fn, dp);
        REQUIRE(w == NULL && rc_error_code() == RC_ERR_TYPE,
                "a weak reference to object %d (%s) did not fail with RC_ERR_TYPE", target,
                kind_names[objs[target].kind]);
        rc_error_clear();
        return;
    }
    /* may collect first: the model's collection sees the graph before it */
    rc_object *w = proxy ? rc_weakproxy_new(tp, fn, dp) : rc_weakref_new(tp, fn, dp);
    REQUIRE(w != NULL, "rc_weakref_new / rc_weakproxy_new: %s", rc_error_message());
    counted_alloc = 0;   /* weak references may come from their free list, uncounted */
    int id = !cb && !data ? model_shared_wref(target, proxy) : 0;
    if (id) {
        REQUIRE(w == objs[id].ptr, "a callback-less %s to object %d is %p, not the shared one "
                "(weakref %d at %p)", proxy ? "proxy" : "ref", target, (void *)w, id,
                (void *)objs[id].ptr);
    } else {
        int old = wref_id_of(w);
        REQUIRE(!old || !objs[old].alive, "a new weak reference to object %d is %p, which is "
                "weakref %d, alive in the model", target, (void *)w, old);
        id = ++nobj;
        obj *o = &objs[id];
        memset(o, 0, sizeof *o);
        o->kind = K_WREF;
        o->ptr = w;
        o->alive = 1;
        o->gen = 0;
        o->edge[0] = o->wr_data = data;
        o->wr_ref = o->wr_orig = target;
        o->wr_cb = o->wr_hascb = cb;
        o->wr_proxy = proxy;
        o->wr_revive = revive;
        nwrefs_made++;
        fuzz_gc_totals[6]++;
    }
    int b = roots[k], e = (int)(dest >> 3) % NEDGES;
    if ((dest & 0x40) && b && objs[b].kind != K_WREF) {
        tracef("  %d.a%d = weak%s %d to %d (callback %d%s, data %d)\n", b, e,
               proxy ? "proxy" : "ref", id, target, cb, revive ? " reviving" : "", data);
        objs[b].edge[e] = id;
        set_edge_real(b, e, w);
        rc_decref(w);
    } else {
        tracef("  root%d = weak%s %d to %d (callback %d%s, data %d)\n", k,
               proxy ? "proxy" : "ref", id, target, cb, revive ? " reviving" : "", data);
        set_root(k, id, w);
    }
    model_settle();
}

static void op_saveall(reader *r) {
    saveall = byte(r) & 1;
    tracef("  saveall %d\n", saveall);
    REQUIRE(rc_gc_set_debug(saveall ? RC_GC_DEBUG_SAVEALL : 0) == 0, "rc_gc_set_debug");
    REQUIRE(rc_gc_get_debug() == (saveall ? RC_GC_DEBUG_SAVEALL : 0), "rc_gc_get_debug");
}

/* ------------------------------------------------------------ one input */

static rc_object *make_class(const char *name, int slots, void (*fin)(rc_object *),
                             void (*del)(rc_object *)) {
    static const char *const slot_names[] = {"id", "a0", "a1", "a2", "a3"};
    rc_class_options o;
    rc_class_options_init(&o);
    if (slots) {
        o.kind = RC_CLASS_SLOTS;
        o.slots = slot_names;
        o.nslots = 5;
    }
    o.finalize = fin;
    o.del = del;
    rc_object *c = rc_class_new(name, &o);
    REQUIRE(c != NULL, "rc_class_new: %s", rc_error_message());
    return c;
}

/* Drop everything, break the uncollectable cycles, collect until nothing
 * is left; the heap must then be empty. */
static void teardown(void) {
    op_index = -1;
    for (int k = 0; k < NROOTS; k++)
        set_root(k, 0, NULL);
    model_settle();
    check_all("teardown: roots dropped");
    nres = 0;
    rc_list_clear(RES);
    model_settle();
    check_all("teardown: RES cleared");
    if (rc_gc_get_freeze_count() > 0) {
        rc_gc_unfreeze();
        for (int i = 1; i <= nobj; i++)
            if (objs[i].alive && objs[i].gen == 3)
                objs[i].gen = 2;
    }
    for (int round = 0; round < 4 * MAXOBJ; round++) {
        int any = 0;
        for (int i = 1; i <= nobj; i++)
            any |= objs[i].alive;
        if (!any)
            break;
        /* break every edge of the live objects (they are garbage, or
         * resurrected), then release gc.garbage and the RES list */
        for (int i = 1; i <= nobj; i++) {
            if (!objs[i].alive || objs[i].real_freed || objs[i].kind == K_WREF)
                continue;   /* a weak reference's data goes with it */
            rc_object *keep = rc_newref(objs[i].ptr);
            for (int e = 0; e < NEDGES; e++)
                if (objs[i].edge[e]) {
                    objs[i].edge[e] = 0;
                    set_edge_real(i, e, NULL);
                }
            rc_decref(keep);
            model_settle();
        }
        ngarb = 0;
        rc_list_clear(rc_gc_garbage());
        model_settle();
        nres = 0;
        rc_list_clear(RES);
        model_settle();
        check_all("teardown");
        explicit_collect = 1;
        rc_gc_collect(2);
        explicit_collect = 0;
    }
    for (int i = 1; i <= nobj; i++)
        REQUIRE(!objs[i].alive, "teardown: object %d (%s) never went away", i,
                kind_names[objs[i].kind]);
}

static int run_input(const uint8_t *data, size_t size) {
    if (trace < 0)
        tracef("%s", "");   /* reads FUZZ_GC_TRACE once */
    rc_config cfg;
    rc_config_init(&cfg);
    cfg.use_environment = 0;
    if (rc_init(&cfg) < 0) {
        fprintf(stderr, "fuzz_gc: rc_init failed: %s\n", rc_error_message());
        abort();
    }
    memset(objs, 0, sizeof objs);
    memset(roots, 0, sizeof roots);
    memset(rroots, 0, sizeof rroots);
    memset(model_stats, 0, sizeof model_stats);
    nobj = nres = ngarb = 0;
    ncb_log = nexpects = ngc_cleared = nwrefs_made = 0;
    saveall = 0;
    in_collection = 0;
    ncollections = 0;
    op_index = 0;
    gc_enabled = rc_gc_isenabled();
    rc_gc_get_threshold(thresholds);
    cls_inst = make_class("Inst", 0, NULL, NULL);
    cls_inst_fin = make_class("InstFin", 0, any_finalize, NULL);
    cls_inst_del = make_class("InstDel", 0, NULL, any_del);
    cls_slots = make_class("Slots", 1, NULL, NULL);
    cls_slots_fin = make_class("SlotsFin", 1, any_finalize, NULL);
    RES = rc_list_new(0);
    REQUIRE(RES != NULL, "RES");
    REQUIRE(rc_gc_garbage() != NULL, "rc_gc_garbage() is NULL");
    REQUIRE(rc_gc_callback_add(gc_callback, NULL) == 0, "rc_gc_callback_add");
    /* the classes and lists above are not ours: start from a clean slate */
    explicit_collect = 1;
    rc_gc_collect(2);
    explicit_collect = 0;
    memset(model_stats, 0, sizeof model_stats);
    {
        rc_gc_generation_stats st[3];
        rc_gc_get_stats(st);
        for (int g = 0; g < 3; g++) {
            model_stats[g][0] = st[g].collections;
            model_stats[g][1] = st[g].collected;
            model_stats[g][2] = st[g].uncollectable;
        }
    }

    reader r = {data, size, 0};
    while (more(&r) && op_index < MAXOPS) {
        op_index++;
        fuzz_gc_totals[5]++;
        unsigned op = byte(&r) % 16;
        tracef("op %ld:\n", op_index);
        switch (op) {
        case 0: case 1: op_new(&r); break;
        case 2: case 3: case 4: op_link(&r); break;
        case 5: op_unlink(&r); break;
        case 6: op_load(&r); break;
        case 7: op_drop(&r); break;
        case 8: op_collect(&r); break;
        case 9: op_freeze(&r); break;
        case 10: op_threshold(&r); break;
        case 11: op_res(&r); break;
        case 12: op_garbage(&r); break;
        case 13: op_saveall(&r); break;
        case 14: op_drop_many(&r); break;
        case 15: op_weak(&r); break;
        }
        check_all("after an operation");
        if (counted_alloc) {
            counted_alloc = 0;
            long c[3];
            rc_gc_get_count(c);
            REQUIRE(!(gc_enabled && thresholds[0] > 0 && c[0] > thresholds[0]),
                    "count0 = %ld is over threshold0 = %ld after an allocation with automatic "
                    "collection on",
                    c[0], thresholds[0]);
        }
    }

    rc_gc_set_debug(0);
    saveall = 0;
    teardown();
    REQUIRE(rc_gc_callback_remove(gc_callback, NULL) == 0, "rc_gc_callback_remove");
    rc_clear(&RES);
    rc_clear(&cls_inst);
    rc_clear(&cls_inst_fin);
    rc_clear(&cls_inst_del);
    rc_clear(&cls_slots);
    rc_clear(&cls_slots_fin);
    rc_gc_collect(2);
    rc_heap_clear_caches(NULL);
    rc_memstats st;
    REQUIRE(rc_mem_stats(NULL, &st) == 0, "rc_mem_stats");
    if (st.blocks_in_use != 0) {
        rc_mem_print_stats(NULL, stderr);
        fail("the heap holds %llu blocks after everything was dropped and collected",
             (unsigned long long)st.blocks_in_use);
    }
    rc_fini();
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) { return run_input(data, size); }
