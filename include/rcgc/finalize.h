/*
 * rcgc/finalize.h - finalize objects (Python's `weakref.finalize`): run a C
 * function once when an object dies, whether it dies by reference counting
 * or in the cycle collector, or when the program ends.
 *
 * A finalizer is built on a weak reference to the object, so it never keeps
 * the object alive.  It keeps ITSELF alive: the heap holds every live
 * finalizer in a registry, so the reference rc_finalize_new returns may be
 * dropped at once and the function still runs.  A finalizer is "alive"
 * until the first of these happens, then "dead" for good:
 *   - the object dies: the function runs (after the object's own finalizer,
 *     in the order weak-reference callbacks run: newest finalizer first);
 *   - rc_finalize_call: the function runs now;
 *   - rc_finalize_detach: the function never runs.
 *
 * At heap destruction (rc_heap_destroy, and rc_fini which uses it) the live
 * finalizers whose at-exit flag is set (the default) run, newest first,
 * with the collector disabled; a finalizer created while that happens runs
 * next.  After that run no finalizer function is called again, and the
 * remaining finalizers are released with the heap.
 *
 * As in Python, the function's argument must not refer to the object (the
 * registry keeps the argument alive, so the object would never die).
 * Finalizers belong to the heap that was current when they were created and
 * must be used while it is current, like every other object.
 */
#ifndef RCGC_FINALIZE_H
#define RCGC_FINALIZE_H

#include "common.h"
#include "object.h"

#ifdef __cplusplus
extern "C" {
#endif

/* The function a finalizer runs, with the argument given at creation
 * (borrowed; NULL if none was given).  Returns 0, or -1 after recording an
 * error with rc_error_set.  When the library calls it (the object died, or
 * heap destruction) an error is printed to stderr as Python's "Exception
 * ignored in: <finalize object at 0x...>" and does not stop anything; from
 * rc_finalize_call it is returned to the caller. */
typedef int (*rc_finalize_func)(rc_object *arg);

/* The type of finalize objects (immortal).  Finalizers support weak
 * references themselves. */
RC_API extern const rc_type rc_finalize_type;

/* 1 if op is a finalize object. */
RC_API int rc_finalize_check(const void *op);

/* weakref.finalize(obj, func, arg): a NEW reference to a new, alive
 * finalizer that will call func(arg) once when obj dies.  The caller may
 * drop the reference at once (the heap's registry holds another).  arg
 * (optional) gains a reference, released once the finalizer is dead.
 * NULL with RC_ERR_INVALID (obj or func NULL), RC_ERR_TYPE ("cannot create
 * weak reference to 'int' object": obj's type does not support weak
 * references), RC_ERR_NOMEM, RC_ERR_STATE (no current heap). */
RC_API rc_object *rc_finalize_new(void *obj, rc_finalize_func func, void *arg);

/* f(): if f is alive, make it dead and call its function now (at most once
 * in f's lifetime, however it is reached).  Returns 1 if the function ran
 * and succeeded; 0 if f was already dead or the heap's exit run is over
 * (nothing was called; the error state is untouched); -1 if the function
 * ran and failed (its error is left in place; f is dead anyway), or with
 * RC_ERR_INVALID / RC_ERR_TYPE / RC_ERR_STATE if f is NULL / not a
 * finalize object / there is no current heap (the other functions below
 * fail the same way).  On 1 and 0 the caller's error state is preserved. */
RC_API int rc_finalize_call(void *f);

/* f.detach(): if f is alive and its object too, make f dead without calling
 * the function and return 1 with *obj and *arg set to NEW references to the
 * object and the argument (*arg NULL if there was none).  Otherwise return
 * 0 and set both to NULL (f dead, or its object already dead while its
 * function has not run yet: then it still runs).  Either out pointer may be
 * NULL when not wanted.  -1 (outputs NULL) on the errors of
 * rc_finalize_call. */
RC_API int rc_finalize_detach(void *f, rc_object **obj, rc_object **arg);

/* f.peek(): as rc_finalize_detach, but f stays alive.  *obj and *arg are
 * NEW references. */
RC_API int rc_finalize_peek(const void *f, rc_object **obj, rc_object **arg);

/* f.alive: 1 if alive, 0 if dead, -1 on the errors of rc_finalize_call. */
RC_API int rc_finalize_alive(const void *f);

/* f.atexit: whether f runs at heap destruction if it is still alive then
 * (default 1).  get returns 1 or 0; set treats flag as a truth value and
 * returns 0 (allowed on a dead finalizer, where it changes nothing).  Both
 * return -1 on the errors of rc_finalize_call. */
RC_API int rc_finalize_get_atexit(const void *f);
RC_API int rc_finalize_set_atexit(void *f, int flag);

#ifdef __cplusplus
}
#endif
#endif /* RCGC_FINALIZE_H */
