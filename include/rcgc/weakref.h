/*
 * rcgc/weakref.h - weak references (Python's `weakref` module): references
 * that do not keep their referent alive, proxies, the weak containers the
 * tutorials use for caches (weak-value dictionary, weak-key dictionary, weak
 * set) and finalize objects.
 *
 * The rules are CPython's (docs/semantics.md, "Weak references"):
 *   - a type opts in with RC_TYPE_WEAKREF and a weaklist_offset; classes
 *     from rc_class_new do by default;
 *   - when a referent dies by reference counting its finalizer runs first
 *     (weak references still work inside it), then every weak reference is
 *     cleared, and only then are the callbacks called, newest first;
 *   - when the collector frees it, every weak reference to it is cleared
 *     before any finalizer runs, and only weak references that are not
 *     themselves garbage call back (CPython 3.11/3.12's rule);
 *   - a weak reference made without callback and data is shared: asking
 *     again for one to the same object returns the same reference.
 */
#ifndef RCGC_WEAKREF_H
#define RCGC_WEAKREF_H

#include "common.h"
#include "object.h"

#ifdef __cplusplus
extern "C" {
#endif

/* A weak reference's callback, called once the referent is gone with the
 * (now dead) weak reference and the data object given at creation (both
 * borrowed; data may be NULL).  To report a failure it may record an error
 * with rc_error_set: the library prints it to stderr as Python's
 * "Exception ignored in" and goes on with the other callbacks.  The error
 * state seen by the code that triggered the death is preserved. */
typedef void (*rc_weakref_callback)(rc_object *ref, rc_object *data);

/* The types of weak references and proxies (immortal). */
RC_API extern const rc_type rc_weakref_type;
RC_API extern const rc_type rc_weakproxy_type;

/* 1 if op is a weak reference (not a proxy) / a proxy. */
RC_API int rc_weakref_check(const void *op);
RC_API int rc_weakproxy_check(const void *op);

/* weakref.ref(obj, callback): a new reference to a new weak reference, or
 * to the existing shared one when callback and data are both NULL.  data
 * (optional) is owned by the weak reference and traversed by the collector;
 * it is released once the callback has run after a death by refcount, and
 * otherwise when the weak reference itself dies (docs/semantics.md 7.2).
 * NULL with RC_ERR_INVALID (obj NULL), RC_ERR_TYPE ("cannot create weak
 * reference to 'int' object"), RC_ERR_NOMEM. */
RC_API rc_object *rc_weakref_new(void *obj, rc_weakref_callback callback, void *data);

/* ref(): the referent as a NEW reference, or NULL once it is gone (no error
 * is recorded for a dead reference).  Also accepts a proxy.  NULL with
 * RC_ERR_TYPE if ref is not a weak reference or proxy (check
 * rc_error_code() when NULL must be told apart). */
RC_API rc_object *rc_weakref_get(const void *ref);

/* 1 while the referent is alive, 0 once it is gone, -1 with RC_ERR_TYPE. */
RC_API int rc_weakref_is_alive(const void *ref);

/* __callback__: the callback (NULL if none or once the referent is gone,
 * as Python's becomes None).  *data, if data is not NULL, receives the data
 * object (borrowed; NULL if none).  Returns NULL with RC_ERR_TYPE for a
 * non-weakref too: check rc_weakref_check first when that matters. */
RC_API rc_weakref_callback rc_weakref_callback_of(const void *ref, rc_object **data);

/* weakref.getweakrefcount(obj): how many weak references and proxies
 * point at obj (0 for objects that do not support them, or NULL). */
RC_API intptr_t rc_weakref_count(const void *obj);

/* weakref.getweakrefs(obj): a new list of the weak references and proxies
 * to obj, in the referent's list order (the shared reference first, then
 * the others newest first).  An empty list for objects without support.
 * NULL with RC_ERR_INVALID (obj NULL) or RC_ERR_NOMEM. */
RC_API rc_object *rc_weakref_list(const void *obj);

/* ------------------------------------------------------------ proxies */

/* weakref.proxy(obj, callback): like rc_weakref_new (a callback-less,
 * data-less proxy is shared), but the result stands for the object:
 * rc_weakproxy_getattr / setattr / delattr forward to it while it lives and
 * fail with RC_ERR_REFERENCE ("weakly-referenced object no longer exists")
 * afterwards.  Proxies are unhashable (rc_hash fails with RC_ERR_TYPE);
 * rc_eq compares their referents. */
RC_API rc_object *rc_weakproxy_new(void *obj, rc_weakref_callback callback, void *data);
/* proxy.name as a NEW reference (rc_getattr on the referent). */
RC_API rc_object *rc_weakproxy_getattr(const void *proxy, const char *name);
/* proxy.name = value (rc_setattr on the referent); 0 or -1. */
RC_API int rc_weakproxy_setattr(void *proxy, const char *name, void *value);
/* del proxy.name (rc_delattr on the referent); 0 or -1. */
RC_API int rc_weakproxy_delattr(void *proxy, const char *name);

#ifdef __cplusplus
}
#endif
#endif /* RCGC_WEAKREF_H */
