/*
 * finalize.c - finalize objects (weakref.finalize, reference 6.3).
 *
 * A finalizer is a private weak-reference subtype: the rci_weakref part
 * points at the object, with a callback (on_referent_death) that fires the
 * finalizer when the object dies, by refcount or in the collector.  No
 * second object is needed, and the weak-reference core's rules (clear
 * everything first, then call back newest first; a garbage weak reference
 * never calls back) apply unchanged.
 *
 * Life of a finalizer.  ALIVE <=> `registered`: it is on its heap's registry
 * (rci_finalize_registry in internal.h), which owns one reference to it.
 * That external reference also means the collector never sees a live
 * finalizer as garbage, so its callback always runs when the object is
 * collected.  Every way to end it goes through fire() or detach(), which
 * unregister it first (so nothing runs twice, even if the function calls
 * back into the finalizer) and unlink the weak reference (so the object's
 * later death calls nothing).  A dead finalizer is an ordinary object that
 * goes away with its last user reference.
 *
 * CPython keeps the state in a class-level dict keyed by the finalizer;
 * here it is in the object, and the registry is an intrusive list in
 * creation order, which is also the order the exit run needs (newest
 * first = from the tail).
 */
#include "weakref.h"
#include "rcgc/finalize.h"
#include "types/types.h"

#include <stddef.h>

typedef struct rci_finalize {
    rci_weakref wr;                 /* object, callback = on_referent_death */
    rc_finalize_func func;
    rc_object *arg;                 /* owned while alive; NULL once dead */
    struct rci_finalize *reg_prev, *reg_next;   /* registry links while alive */
    rci_weakref *weaklist;          /* weak references to the finalizer itself */
    unsigned char registered;       /* alive */
    unsigned char atexit;
} rci_finalize;

static rci_finalize_registry *registry(void) { return &rci_current_heap->finalizers; }

/* ------------------------------------------------------------ registry */

/* Append f (newest) and give the registry its reference. */
static void registry_add(rci_finalize_registry *reg, rci_finalize *f) {
    rc_incref(f);
    f->reg_prev = reg->last;
    f->reg_next = NULL;
    if (reg->last)
        reg->last->reg_next = f;
    else
        reg->first = f;
    reg->last = f;
    f->registered = 1;
    reg->created++;
}

/* Take f off the registry.  The registry's reference is handed to the
 * caller, who must drop it (after it no longer needs f). */
static void registry_remove(rci_finalize_registry *reg, rci_finalize *f) {
    if (f->reg_prev)
        f->reg_prev->reg_next = f->reg_next;
    else
        reg->first = f->reg_next;
    if (f->reg_next)
        f->reg_next->reg_prev = f->reg_prev;
    else
        reg->last = f->reg_prev;
    f->reg_prev = f->reg_next = NULL;
    f->registered = 0;
}

/* ------------------------------------------------------------ firing */

/* Make a live f dead: off the registry, weak reference unlinked.  Returns
 * the argument (its reference passes to the caller).  The registry's
 * reference to f is handed over too: the caller drops it last. */
static rc_object *kill(rci_finalize *f) {
    registry_remove(registry(), f);
    rci_weakref_unlink(&f->wr);
    rc_object *arg = f->arg;
    f->arg = NULL;
    return arg;
}

/* Run f's function once if f is alive and the heap's exit run is not over.
 * Returns 1 (ran, succeeded), -1 (ran, failed: an error is recorded), 0
 * (nothing ran).  The caller's error slot must be clear: a failure is told
 * from a stale error that way. */
static int fire(rci_finalize *f) {
    if (!f->registered || registry()->shutdown)
        return 0;
    rc_finalize_func func = f->func;
    rc_object *arg = kill(f);    /* dead before the call: no re-entry */
    int failed = func(arg) < 0;
    if (failed && rc_error_code() == RC_OK)
        rc_error_set(RC_ERR_RUNTIME, "finalize function returned -1 without setting an error");
    else if (!failed)
        rc_error_clear();        /* a success leaves nothing to report */
    rc_xdecref(arg);
    rc_decref(f);                /* the registry's reference, from kill() */
    return failed ? -1 : 1;
}

/* Print a failure of a function the library called (no caller to tell). */
static void report_failure(const rci_finalize *f) {
    char what[64];
    snprintf(what, sizeof what, "<finalize object at %p>", (const void *)f);
    rci_error_write_unraisable(what);
}

/* The weak reference's callback: f's object has died.  The core has saved
 * the error state and holds a reference to f during the call. */
static void on_referent_death(rc_object *ref, rc_object *data) {
    (void)data;
    rci_finalize *f = (rci_finalize *)ref;
    if (fire(f) < 0)
        report_failure(f);
}

/* ------------------------------------------------------------ the exit run */

/* The newest registered finalizer at or before `from` with atexit set. */
static rci_finalize *newest_at_exit(rci_finalize *from) {
    while (from && !from->atexit)
        from = from->reg_prev;
    return from;
}

/* Fire f, then find the next one to run.  The walk resumes from f's older
 * neighbour (held across the call, so it cannot be freed under us) unless
 * the function created a finalizer (it must run next: restart from the
 * newest) or ended that neighbour (restart too: it is off the list). */
static rci_finalize *exit_step(rci_finalize_registry *reg, rci_finalize *f) {
    rci_finalize *older = f->reg_prev;
    uint64_t created = reg->created;
    rc_xincref(older);
    if (fire(f) < 0)
        report_failure(f);
    rci_finalize *from = older;
    if (reg->created != created || (older && !older->registered))
        from = reg->last;
    rci_finalize *next = newest_at_exit(from);
    rc_xdecref(older);   /* if next is older, the registry still holds it */
    return next;
}

void rci_finalize_at_exit(rc_heap *h) {
    rci_finalize_registry *reg = &h->finalizers;
    rci_finalize *f = newest_at_exit(reg->last);
    if (f) {
        rci_error_state saved;
        rci_error_fetch(&saved);
        int was_enabled = rc_gc_isenabled() == 1;
        if (was_enabled)
            rc_gc_disable();   /* as CPython's _exitfunc: no collection meanwhile */
        while (f)
            f = exit_step(reg, f);
        if (was_enabled)
            rc_gc_enable();
        rci_error_restore(&saved);
    }
    /* Finalizers still registered (atexit off) are never called; their
     * memory goes with the heap's arenas. */
    reg->shutdown = 1;
}

/* ------------------------------------------------------------ the type */

static int finalize_traverse(rc_object *self, rc_visitproc visit, void *arg) {
    int r = rci_weakref_traverse(self, visit, arg);
    rci_finalize *f = (rci_finalize *)self;
    return r ? r : f->arg ? visit(f->arg, arg) : 0;
}

/* Only a dead finalizer can be garbage (the registry holds the live ones),
 * so clearing it just drops what it still owns. */
static int finalize_clear(rc_object *self) {
    rci_weakref_clear(self);
    rc_clear(&((rci_finalize *)self)->arg);
    return 0;
}

static void finalize_dealloc(rc_object *self) { finalize_clear(self); }

/* Python's finalize.__repr__. */
static rc_object *finalize_repr(rc_object *self) {
    rci_finalize *f = (rci_finalize *)self;
    rc_object *o = f->registered ? f->wr.object : NULL;
    if (!o || o->refcount <= 0)
        return rc_str_from_fmt("<finalize object at %p; dead>", (void *)self);
    return rc_str_from_fmt("<finalize object at %p; for '%s' at %p>", (void *)self,
                           rc_type_name(o), (void *)o);
}

const rc_type rc_finalize_type = {
    .ob_base = RC_STATIC_TYPE_HEAD,
    .name = "weakref.finalize",
    .basic_size = sizeof(rci_finalize),
    .flags = RC_TYPE_IMMORTAL | RC_TYPE_GC | RC_TYPE_TRACK | RC_TYPE_WEAKREF |
             RCI_TYPE_WEAKREF_OBJ,
    .traverse = finalize_traverse,
    .clear = finalize_clear,
    .dealloc = finalize_dealloc,
    .repr = finalize_repr,
    .weaklist_offset = offsetof(rci_finalize, weaklist),
};

/* ------------------------------------------------------------ public API */

int rc_finalize_check(const void *op) {
    return op && ((const rc_object *)op)->type == &rc_finalize_type;
}

/* f as a finalizer, or NULL with RC_ERR_INVALID / RC_ERR_TYPE, or
 * RC_ERR_STATE without a current heap (whose registry f would be on). */
static rci_finalize *as_finalize(const void *f, const char *fn) {
    if (!f)
        return rci_error_null(RC_ERR_INVALID, "%s: NULL finalizer", fn);
    if (!rc_finalize_check(f))
        return rci_type_error_null(fn, "weakref.finalize", f);
    if (!rci_current_heap)
        return rci_error_null(RC_ERR_STATE, "%s: no heap is bound to this thread", fn);
    return (rci_finalize *)f;
}

rc_object *rc_finalize_new(void *obj, rc_finalize_func func, void *arg) {
    if (!obj || !func)
        return rci_error_null(RC_ERR_INVALID, "rc_finalize_new: NULL %s",
                              obj ? "function" : "object");
    if (!rci_weaklist_of(obj))
        return rci_error_null(RC_ERR_TYPE, "cannot create weak reference to '%s' object",
                              rc_type_name(obj));
    rci_finalize *f = rc_object_new(&rc_finalize_type);   /* zeroed */
    if (!f)
        return NULL;
    f->func = func;
    f->arg = rc_xnewref(arg);
    f->atexit = 1;
    rci_weakref_init(&f->wr, obj, on_referent_death, NULL);
    registry_add(registry(), f);
    return &f->wr.ob;
}

int rc_finalize_call(void *fp) {
    rci_finalize *f = as_finalize(fp, "rc_finalize_call");
    if (!f)
        return -1;
    rci_error_state saved;
    rci_error_fetch(&saved);
    int r = fire(f);
    if (r >= 0)
        rci_error_restore(&saved);   /* on -1 the function's error stays */
    return r;
}

/* peek and detach: the object and the argument if both f and its object
 * are alive (new references in *obj, *arg). */
static int look(rci_finalize *f, rc_object **obj, rc_object **arg) {
    rc_object *o = f->registered ? f->wr.object : NULL;
    int ok = o && o->refcount > 0;
    if (obj)
        *obj = ok ? rc_newref(o) : NULL;
    if (arg)
        *arg = ok ? rc_xnewref(f->arg) : NULL;
    return ok;
}

/* peek() and, with detach set, detach(). */
static int peek_or_detach(const void *fp, rc_object **obj, rc_object **arg, int detach,
                          const char *fn) {
    rci_finalize *f = as_finalize(fp, fn);
    if (!f) {
        if (obj)
            *obj = NULL;
        if (arg)
            *arg = NULL;
        return -1;
    }
    int r = look(f, obj, arg);
    if (r == 1 && detach) {
        rc_xdecref(kill(f));   /* the caller got its own reference in *arg */
        rc_decref(f);          /* the registry's; f must not be used after this */
    }
    return r;
}

int rc_finalize_peek(const void *fp, rc_object **obj, rc_object **arg) {
    return peek_or_detach(fp, obj, arg, 0, "rc_finalize_peek");
}

int rc_finalize_detach(void *fp, rc_object **obj, rc_object **arg) {
    return peek_or_detach(fp, obj, arg, 1, "rc_finalize_detach");
}

int rc_finalize_alive(const void *fp) {
    rci_finalize *f = as_finalize(fp, "rc_finalize_alive");
    return f ? f->registered : -1;
}

int rc_finalize_get_atexit(const void *fp) {
    rci_finalize *f = as_finalize(fp, "rc_finalize_get_atexit");
    return f ? f->atexit : -1;
}

int rc_finalize_set_atexit(void *fp, int flag) {
    rci_finalize *f = as_finalize(fp, "rc_finalize_set_atexit");
    if (!f)
        return -1;
    f->atexit = flag != 0;
    return 0;
}
