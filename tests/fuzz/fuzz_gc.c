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
 * automatic collection, DEBUG_SAVEALL on / off, and take objects back out of
 * the resurrection list or gc.garbage.
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
 * Any disagreement prints what differs and aborts (libFuzzer keeps the
 * input; the regression runner names the file).  FUZZ_GC_TRACE=1 prints
 * every operation and every predicted collection.
 */
#include "rcgc.h"

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define NROOTS 8
#define NEDGES 4
#define MAXOBJ 256
#define MAXOPS 4096

/* ------------------------------------------------------------ failures */

const char *fuzz_gc_input_name = NULL;   /* set by the regression runner */
/* Totals over all inputs, for the regression runner's summary:
 * collections, automatic ones, objects collected, uncollectable,
 * resurrected by a finalizer during a collection, operations. */
long long fuzz_gc_totals[6];
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
    NKINDS
};
static const char *const kind_names[NKINDS] = {
    "Node", "NodeFin", "NodeFin(res)", "NodeDel", "Inst", "InstFin", "InstFin(res)",
    "InstDel", "Slots", "SlotsFin(res)", "List"};

static int kind_is_node(int k) { return k <= K_NODE_DEL; }
static int kind_has_fin(int k) {
    return k == K_NODE_FIN || k == K_NODE_FIN_RES || k == K_INST_FIN || k == K_INST_FIN_RES ||
           k == K_SLOTS_FIN_RES;
}
static int kind_res(int k) {
    return k == K_NODE_FIN_RES || k == K_INST_FIN_RES || k == K_SLOTS_FIN_RES;
}
static int kind_has_del(int k) { return k == K_NODE_DEL || k == K_INST_DEL; }

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

static void note_freed(int id) {
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
    REQUIRE(id > 0, "finalizer called on an object without its id");
    objs[id].real_fin++;
    if (kind_res(objs[id].kind))
        REQUIRE(rc_list_append(RES, self) == 0, "RES append failed: %s", rc_error_message());
    reentry_check("a finalizer");
}

static void any_del(rc_object *self) {
    int id = id_of(self);
    REQUIRE(id > 0, "del hook called on an object without its id");
    objs[id].real_del++;
    reentry_check("a del hook");
}

#define NODE_TYPE(var, nm, fin_, del_)                                                    \
    static const rc_type var = {.ob_base = RC_STATIC_TYPE_HEAD, .name = nm,               \
                                .basic_size = sizeof(Node),                               \
                                .flags = RC_TYPE_GC | RC_TYPE_TRACK,                      \
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

/* The id of one of our objects, 0 for anything else. */
static int id_of(rc_object *o) {
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
 * (it may resurrect: re-tracked in generation 0), the legacy del, then
 * their edges go, which may kill more. */
static void model_settle(void) {
    int rc[MAXOBJ + 1];
    int stack[MAXOBJ + 1], sp = 0;
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
        for (int e = 0; e < NEDGES; e++) {
            int t = o->edge[e];
            if (t && --rc[t] == 0 && objs[t].alive)
                stack[sp++] = t;
        }
    }
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

static rc_object *edge_real(int id, int e) {
    obj *o = &objs[id];
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

/* The whole state against the model. */
static void check_all(const char *when) {
    int rc[MAXOBJ + 1];
    model_refcounts(rc);
    for (int i = 1; i <= nobj; i++) {
        obj *o = &objs[i];
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
        tracef(" -> collected %ld uncollectable %ld\n", (long)collected, (long)uncollectable);
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
        in_collection = 1;
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
    } else if (f % 4 == 3 && prev) {
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
    if (!roots[a] || !roots[b])
        return;
    tracef("  link %d.a%d = %d\n", roots[a], e, roots[b]);
    objs[roots[a]].edge[e] = roots[b];
    set_edge_real(roots[a], e, rroots[b]);
    model_settle();
}

static void op_unlink(reader *r) {
    int a = pick_root(r), e = (int)(byte(r) % NEDGES);
    if (!roots[a] || !objs[roots[a]].edge[e])
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
            if (!objs[i].alive || objs[i].real_freed)
                continue;
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
        case 8: case 15: op_collect(&r); break;
        case 9: op_freeze(&r); break;
        case 10: op_threshold(&r); break;
        case 11: op_res(&r); break;
        case 12: op_garbage(&r); break;
        case 13: op_saveall(&r); break;
        case 14: op_drop_many(&r); break;
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
