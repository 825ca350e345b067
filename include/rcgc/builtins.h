/*
 * rcgc/builtins.h - the built-in objects: None, bool, int, float, str, bytes
 * (and zero-copy views), tuple, list, dict, set, and the generic object
 * protocol (hash, equality, repr, sizeof).
 *
 * Ownership follows CPython: every function returning an object returns a
 * NEW reference unless it says "borrowed".  Functions that store an object
 * take their own reference (they do not steal) unless they say "steals".
 * Errors: NULL or -1 plus rc_error_code()/rc_error_message().  Objects are
 * created on the calling thread's current heap.
 */
#ifndef RCGC_BUILTINS_H
#define RCGC_BUILTINS_H

#include "common.h"
#include "object.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ====================================================================
 * Static types (immortal)
 * ================================================================== */
RC_API extern const rc_type rc_none_type, rc_bool_type, rc_int_type, rc_float_type,
    rc_str_type, rc_bytes_type, rc_bytesview_type, rc_tuple_type, rc_list_type,
    rc_dict_type, rc_set_type;

/* 1 if op's type is exactly that built-in type (subclassing does not exist). */
#define RC_TYPE_CHECK(op, t) (((const rc_object *)(op))->type == &(t))

/* ====================================================================
 * Generic object protocol
 * ================================================================== */

/* hash(op): the type's hash hook, or identity for objects without one.
 * Equal numbers hash equal across int and float (hash(1) == hash(1.0)).
 * Returns the hash (never -1), or -1 with RC_ERR_TYPE for unhashable
 * objects (list, dict, set) and RC_ERR_INVALID for NULL. */
RC_API int64_t rc_hash(const void *op);

/* a == b: 1 or 0, or -1 with an error.  Identity implies equality. */
RC_API int rc_eq(const void *a, const void *b);

/* repr(op) as a new str object; NULL with an error.  Containers recurse
 * iteratively-safe up to a depth limit, printing "..." for self-reference. */
RC_API rc_object *rc_repr(const void *op);

/* sys.getsizeof(op): bytes of the object itself including its GC link and
 * the buffers it owns directly (a list's item array, a dict's table), not
 * the objects it refers to.  -1 with RC_ERR_INVALID for NULL. */
RC_API intptr_t rc_sizeof(const void *op);

/* Empty every per-heap cache: the free lists of float, tuple, list and dict
 * and the interned-string table (strings still referenced elsewhere stay
 * alive, they just stop being interned).  A full collection also empties
 * the free lists.  h NULL = current heap.  Returns 0, or -1 with
 * RC_ERR_STATE when there is no heap. */
RC_API int rc_heap_clear_caches(rc_heap *h);

/* ====================================================================
 * None and bool: immortal singletons shared by every heap.  bool has the
 * layout of int (True == 1).
 * ================================================================== */
typedef struct rc_int {
    rc_object ob;
    int64_t value;
} rc_int;

RC_API extern rc_object rci_none_object;
RC_API extern rc_int rci_true_object, rci_false_object;
#define rc_None  (&rci_none_object)
#define rc_True  (&rci_true_object.ob)
#define rc_False (&rci_false_object.ob)
/* rc_True or rc_False (immortal; the reference need not be dropped). */
RC_API rc_object *rc_bool_from(int v);
/* Truth value: 1 or 0 (None, False, 0, 0.0, empty str/bytes/containers are
 * false; everything else true), -1 with RC_ERR_INVALID for NULL. */
RC_API int rc_is_true(const void *op);

/* ====================================================================
 * int: 64-bit signed; -5..256 are immortal cached objects
 * ================================================================== */
/* A new reference to an int.  rc_int_from(256) == rc_int_from(256) (cached,
 * immortal); 257 gives distinct objects.  NULL with RC_ERR_NOMEM. */
RC_API rc_object *rc_int_from(int64_t v);
/* The value of an int (or of a bool: 0/1).  Returns 0 and stores *out, or
 * -1 with RC_ERR_TYPE. */
RC_API int rc_int_as_i64(const void *op, int64_t *out);
/* Arithmetic returning new ints; NULL with RC_ERR_OVERFLOW on 64-bit
 * overflow (never a silent wrap), RC_ERR_VALUE for division by zero
 * (ZeroDivisionError), RC_ERR_TYPE for non-int operands. */
RC_API rc_object *rc_int_add(const void *a, const void *b);
RC_API rc_object *rc_int_sub(const void *a, const void *b);
RC_API rc_object *rc_int_mul(const void *a, const void *b);
RC_API rc_object *rc_int_floordiv(const void *a, const void *b);

/* ====================================================================
 * float
 * ================================================================== */
typedef struct rc_float {
    rc_object ob;
    double value;
} rc_float;

/* A new float (taken from the heap's free list of up to 100 when it can).
 * NULL with RC_ERR_NOMEM. */
RC_API rc_object *rc_float_from(double v);
/* The value of a float, or of an int converted; -1 with RC_ERR_TYPE. */
RC_API int rc_float_as_double(const void *op, double *out);

/* ====================================================================
 * str: immutable UTF-8 with a cached hash
 * ================================================================== */

/* A new str from n bytes of UTF-8 (need not be NUL-terminated; the object
 * stores a terminating NUL).  "" and one-character ASCII strings are
 * immortal singletons.  NULL with RC_ERR_VALUE for invalid UTF-8 (the
 * message gives the byte offset), RC_ERR_INVALID for s NULL with n > 0. */
RC_API rc_object *rc_str_from_utf8(const char *s, size_t n);
/* The same for a NUL-terminated string. */
RC_API rc_object *rc_str_from(const char *s);
/* printf-style formatting into a new str. */
RC_API rc_object *rc_str_from_fmt(const char *fmt, ...) RC_PRINTF(1, 2);
/* The UTF-8 bytes (borrowed, NUL-terminated, valid while op lives); NULL
 * with RC_ERR_TYPE if op is not a str. */
RC_API const char *rc_str_utf8(const void *op);
/* Length in code points (len(s)); -1 with RC_ERR_TYPE. */
RC_API intptr_t rc_str_len(const void *op);
/* Length in bytes; -1 with RC_ERR_TYPE. */
RC_API intptr_t rc_str_byte_len(const void *op);
/* a + b as a new str; NULL with RC_ERR_TYPE or RC_ERR_NOMEM. */
RC_API rc_object *rc_str_concat(const void *a, const void *b);
/* sys.intern: the heap's one interned str equal to op (new reference;
 * op itself becomes the interned copy if none existed).  Interned strings
 * live until the heap is destroyed or rc_heap_clear_caches runs. */
RC_API rc_object *rc_str_intern(void *op);
/* Intern a C string directly (new reference). */
RC_API rc_object *rc_str_intern_from(const char *s);
/* 1 if op is the interned copy, 0 if not, -1 with RC_ERR_TYPE. */
RC_API int rc_str_is_interned(const void *op);

/* ====================================================================
 * bytes and zero-copy views
 * ================================================================== */

/* A new immutable bytes object holding a copy of n bytes (b"" is an
 * immortal singleton).  NULL with RC_ERR_NOMEM, RC_ERR_OVERFLOW (too long)
 * or RC_ERR_INVALID (data NULL with n > 0). */
RC_API rc_object *rc_bytes_from(const void *data, size_t n);
/* Borrowed pointer to the data of bytes OR of a bytes view, and its
 * length; NULL / -1 with RC_ERR_TYPE. */
RC_API const char *rc_bytes_data(const void *op);
RC_API intptr_t rc_bytes_len(const void *op);
/* A view of op[start:start+len] that shares op's memory and keeps op alive
 * (memoryview slicing).  op may be bytes or a view (a view of a view refers
 * to the original bytes).  NULL with RC_ERR_INDEX if out of range,
 * RC_ERR_TYPE if op is neither bytes nor a view. */
RC_API rc_object *rc_bytes_view(void *op, intptr_t start, intptr_t len);

/* ====================================================================
 * tuple
 * ================================================================== */

/* A new tuple of n items, all NULL until set with rc_tuple_set_item (the
 * empty tuple is an immortal singleton).  Tuples of 1..20 items come from
 * per-length free lists.  NULL with RC_ERR_VALUE (n < 0) or RC_ERR_NOMEM
 * (including an impossibly large n). */
RC_API rc_object *rc_tuple_new(intptr_t n);
/* A new tuple holding the n objects given (each gains a reference). */
RC_API rc_object *rc_tuple_pack(intptr_t n, ...);
/* Store item at i (negative i counts from the end), STEALING the caller's
 * reference - even when it fails, as PyTuple_SetItem does; only for filling
 * a tuple just made by rc_tuple_new.  -1 with RC_ERR_INDEX / RC_ERR_TYPE /
 * RC_ERR_INVALID (NULL item). */
RC_API int rc_tuple_set_item(void *t, intptr_t i, void *item);
/* Borrowed item i (negative i counts from the end); NULL with RC_ERR_INDEX,
 * RC_ERR_TYPE, or RC_ERR_VALUE for a slot not yet set. */
RC_API rc_object *rc_tuple_get(const void *t, intptr_t i);
/* Number of items; -1 with RC_ERR_TYPE. */
RC_API intptr_t rc_tuple_size(const void *t);

/* ====================================================================
 * list (CPython's over-allocation: capacities 0, 4, 8, 16, 24, 32, 40, 52 ...)
 * ================================================================== */
/* Every list function: RC_ERR_TYPE if l is not a list, RC_ERR_INVALID for a
 * NULL item.  Index errors say "list index out of range" (get), "list
 * assignment index out of range" (set, delete), "pop from empty list" and
 * "pop index out of range" (pop). */
RC_API rc_object *rc_list_new(intptr_t n);          /* n None items; RC_ERR_VALUE if n < 0 */
RC_API intptr_t rc_list_size(const void *l);
RC_API intptr_t rc_list_capacity(const void *l);    /* allocated slots (0 while sorting) */
RC_API rc_object *rc_list_get(const void *l, intptr_t i);   /* borrowed; i < 0 counts from the end */
RC_API int rc_list_set(void *l, intptr_t i, void *item);
RC_API int rc_list_append(void *l, void *item);
RC_API int rc_list_insert(void *l, intptr_t i, void *item); /* clamps i like list.insert */
RC_API rc_object *rc_list_pop(void *l, intptr_t i);         /* new reference; RC_ERR_INDEX when empty */
RC_API int rc_list_delete(void *l, intptr_t i);
/* l[lo:hi] as a new list (Python's clamping of lo and hi). */
RC_API rc_object *rc_list_slice(const void *l, intptr_t lo, intptr_t hi);
/* Append every item of a list or tuple (l.extend(other); other may be l);
 * RC_ERR_VALUE for a tuple with unset slots. */
RC_API int rc_list_extend(void *l, const void *other);
/* Stable sort.  cmp returns <0, 0, >0, or sets an error and returns
 * RC_SORT_ERROR to stop (the list is then left in some permutation of its
 * items).  cmp NULL compares ints, floats and strs naturally (RC_ERR_TYPE
 * for anything else).  Mutating the list from cmp is an RC_ERR_VALUE. */
#define RC_SORT_ERROR (-2147483647 - 1)
RC_API int rc_list_sort(void *l, int (*cmp)(rc_object *a, rc_object *b, void *ctx), void *ctx);
RC_API int rc_list_clear(void *l);

/* ====================================================================
 * dict: insertion-ordered compact table (CPython 3.11's layout)
 * ================================================================== */
RC_API rc_object *rc_dict_new(void);
RC_API intptr_t rc_dict_size(const void *d);
/* d[key] = value (both gain a reference).  -1 with RC_ERR_TYPE for an
 * unhashable key ("unhashable type: 'list'"), RC_ERR_INVALID for NULL.
 * rc_dict_set_str makes a str key and does not intern it. */
RC_API int rc_dict_set(void *d, void *key, void *value);
RC_API int rc_dict_set_str(void *d, const char *key, void *value);
/* Borrowed d[key]; NULL with RC_ERR_KEY (message: repr(key)) if missing,
 * RC_ERR_TYPE if unhashable. */
RC_API rc_object *rc_dict_get(const void *d, const void *key);
RC_API rc_object *rc_dict_get_str(const void *d, const char *key);
/* 1 / 0, or -1 with an error. */
RC_API int rc_dict_contains(const void *d, const void *key);
/* del d[key]: -1 with RC_ERR_KEY if missing. */
RC_API int rc_dict_delete(void *d, const void *key);
/* d.pop(key) (new reference; NULL with RC_ERR_KEY if missing). */
RC_API rc_object *rc_dict_pop(void *d, const void *key);
/* d.popitem(): the last inserted pair, stored as new references in *key and
 * *value; -1 with RC_ERR_KEY "popitem(): dictionary is empty". */
RC_API int rc_dict_popitem(void *d, rc_object **key, rc_object **value);
RC_API int rc_dict_clear(void *d);
/* Iteration: call rc_dict_iter_init, then rc_dict_next until it returns 0.
 * Each call returns 1 and stores BORROWED key and value (either pointer may
 * be NULL), 0 at the end, or -1 with RC_ERR_RUNTIME if the dict changed
 * size ("dictionary changed size during iteration") or had keys removed and
 * others added ("dictionary keys changed during iteration").  Replacing
 * values while iterating is allowed. */
typedef struct rc_dict_iter { intptr_t index; intptr_t size_at_start; uint64_t version; } rc_dict_iter;
RC_API void rc_dict_iter_init(const void *d, rc_dict_iter *it);
RC_API int rc_dict_next(const void *d, rc_dict_iter *it, rc_object **key, rc_object **value);
/* New lists of keys, values, (key, value) tuples, in insertion order. */
RC_API rc_object *rc_dict_keys(const void *d);
RC_API rc_object *rc_dict_values(const void *d);
RC_API rc_object *rc_dict_items(const void *d);
/* Slots in the hash table (8, 16, 32, ...; 0 for an empty dict that shares
 * the static empty table) - for the growth figures. */
RC_API intptr_t rc_dict_table_size(const void *d);

/* ====================================================================
 * set
 * ================================================================== */
RC_API rc_object *rc_set_new(void);
RC_API intptr_t rc_set_size(const void *s);
/* Adding a key equal to one already present keeps the existing object. */
RC_API int rc_set_add(void *s, void *key);           /* -1 with RC_ERR_TYPE if unhashable */
RC_API int rc_set_discard(void *s, const void *key); /* 1 removed, 0 absent, -1 error */
RC_API int rc_set_contains(const void *s, const void *key);
typedef struct rc_set_iter { intptr_t index; intptr_t size_at_start; } rc_set_iter;
RC_API void rc_set_iter_init(const void *s, rc_set_iter *it);
/* 1 with a BORROWED key, 0 at the end, -1 with RC_ERR_RUNTIME "Set changed
 * size during iteration". */
RC_API int rc_set_next(const void *s, rc_set_iter *it, rc_object **key);

#ifdef __cplusplus
}
#endif
#endif /* RCGC_BUILTINS_H */
