/*
 * dict.c - the insertion-ordered compact dict of CPython 3.6+ with the 3.11
 * sizing rules (reference 5.3), and its tracking rules (reference 5.4).
 *
 * Layout.  A dict with items owns one table block (an rc_mem block of the
 * heap) laid out as
 *
 *     [header: usable, log2 size, log2 index width]         16 bytes
 *     [indices: 2^k signed ints of 1, 2, 4 or 8 bytes]      the hash table
 *     [entries: USABLE_FRACTION(2^k) x {hash, key, value}]  insertion order
 *
 * The indices are the open-addressing hash table proper: each slot holds
 * EMPTY (-1), DUMMY (-2, a deleted item) or the position of an entry.  The
 * entries array is filled strictly in insertion order, so iterating it gives
 * the insertion order.  Deleting an item turns its index slot into DUMMY and
 * its entry into a hole; neither is reused until a resize rebuilds the table
 * (except that popitem gives back the last entry, as in CPython).  An empty
 * dict made by rc_dict_new or emptied by rc_dict_clear has no table at all
 * (CPython shares a static empty keys object; the effect is the same).
 *
 * Sizing (3.11): the first insertion makes an 8-slot table; when no usable
 * entry is left, the table is rebuilt at the smallest power of two >=
 * used * 3, which drops holes and DUMMY slots (with CPython's quirk: a
 * rebuild with 1 or 2 live items gives 16 slots, not 8; see log2_for).
 * The sizes after every step of a random workload equal python3's (the
 * test compares them).  Index width: 1 byte up to 128 slots, 2 bytes below
 * 2^16 slots, 4 bytes below 2^32, else 8.  Probing: i = (i*5 + perturb +
 * 1) & mask after perturb >>= 5.
 *
 * Iteration walks the entries by position.  rc_dict_next fails with
 * RC_ERR_RUNTIME when the size changed since rc_dict_iter_init ("dictionary
 * changed size during iteration") or when keys were added and removed
 * leaving the size equal (`version` counts key insertions and removals:
 * "dictionary keys changed during iteration"); replacing values is fine.
 *
 * Differences from CPython's layout (so rc_sizeof differs from getsizeof):
 *   - the dict object is the same 48 bytes + 16 GC link (rc_sizeof({}) ==
 *     64 == getsizeof({})), but holds {used, version, table, nentries}
 *     instead of {ma_used, ma_version_tag, ma_keys, ma_values};
 *   - the table header is 16 bytes instead of 32: there are no shared-key
 *     (split) tables, hence no refcount, kind or keys version, and the
 *     entry count lives in the dict;
 *   - every table uses 24-byte {hash, key, value} entries; CPython 3.11
 *     uses 16-byte entries when every key is a str.
 *   So rc_sizeof is CPython's getsizeof minus 16 for dicts with non-str
 *   keys ({1:1}: 208 vs 224) and larger for all-str-key dicts ({'a':1}: 208
 *   vs 184).
 *
 * Tracking: dicts are created untracked and become tracked when a key or a
 * value that "may be tracked" is stored (a GC object other than an
 * untracked tuple).  rci_dict_maybe_untrack undoes it in full collections.
 *
 * Reentrancy: comparing keys (rc_eq) and dropping references may run user
 * code that mutates the dict.  Lookups restart when the table or the
 * compared entry changed under them; values and keys are stored before old
 * references are dropped; a table is detached before its contents are
 * released.
 */
#include "types.h"

#define DKIX_EMPTY (-1)
#define DKIX_DUMMY (-2)
#define DKIX_ERROR (-3)
#define DKIX_GENERAL (-4)   /* get_str: fall back to the general lookup */

#define LOG2_MINSIZE 3
#define LOG2_MAXSIZE 58     /* keeps every size computation far from overflow */
#define USABLE_FRACTION(n) (((n) << 1) / 3)

typedef struct rci_dentry {
    int64_t hash;
    rc_object *key;         /* NULL: a deleted entry (a hole) */
    rc_object *value;
} rci_dentry;

typedef struct rci_dkeys {
    intptr_t usable;        /* entries that may still be appended */
    uint8_t log2size;       /* 2^log2size index slots */
    uint8_t log2ixbytes;    /* each index is 2^log2ixbytes bytes */
    uint8_t pad[6];
    /* indices, then entries */
} rci_dkeys;

typedef struct rci_dict {
    rc_object ob;
    intptr_t used;          /* live items */
    uint64_t version;       /* bumped whenever a key is added or removed */
    rci_dkeys *keys;        /* NULL for an empty dict with no table */
    intptr_t nentries;      /* entries in use (live and holes) */
} rci_dict;

#define AS_DICT(op) ((rci_dict *)(op))
#define IS_DICT(op) ((op) && RC_TYPE_CHECK(op, rc_dict_type))

static int dict_traverse(rc_object *self, rc_visitproc visit, void *arg);
static int dict_tp_clear(rc_object *self);
static void dict_dealloc(rc_object *self);
static int64_t dict_hash(rc_object *self);
static int dict_eq(rc_object *self, rc_object *other);
static rc_object *dict_repr(rc_object *self);

const rc_type rc_dict_type = {
    .ob_base = RC_STATIC_TYPE_HEAD,
    .name = "dict",
    .basic_size = sizeof(rci_dict),
    .flags = RC_TYPE_IMMORTAL | RC_TYPE_GC | RCI_TYPE_FREELIST_DICT,
    .traverse = dict_traverse,
    .clear = dict_tp_clear,
    .dealloc = dict_dealloc,
    .hash = dict_hash,
    .eq = dict_eq,
    .repr = dict_repr,
    .extra_size = rci_dict_extra_size,
};

/* ------------------------------------------------------------ the table */

static inline size_t dk_size(const rci_dkeys *k) { return (size_t)1 << k->log2size; }

static inline size_t dk_index_bytes(const rci_dkeys *k) {
    return (size_t)1 << (k->log2size + k->log2ixbytes);
}

static inline rci_dentry *dk_entries(const rci_dkeys *k) {
    return (rci_dentry *)((char *)(k + 1) + dk_index_bytes(k));
}

static inline intptr_t ix_get(const rci_dkeys *k, size_t i) {
    const void *ind = k + 1;
    switch (k->log2ixbytes) {
    case 0: return ((const int8_t *)ind)[i];
    case 1: return ((const int16_t *)ind)[i];
    case 2: return ((const int32_t *)ind)[i];
    default: return (intptr_t)((const int64_t *)ind)[i];
    }
}

static inline void ix_set(rci_dkeys *k, size_t i, intptr_t ix) {
    void *ind = k + 1;
    switch (k->log2ixbytes) {
    case 0: ((int8_t *)ind)[i] = (int8_t)ix; break;
    case 1: ((int16_t *)ind)[i] = (int16_t)ix; break;
    case 2: ((int32_t *)ind)[i] = (int32_t)ix; break;
    default: ((int64_t *)ind)[i] = (int64_t)ix; break;
    }
}

static unsigned log2_ixbytes_for(unsigned log2size) {
    if (log2size < 8)
        return 0;
    if (log2size < 16)
        return 1;
    if (log2size < 32)
        return 2;
    return 3;
}

/* Bytes of a table block with 2^log2size slots. */
static size_t table_bytes(unsigned log2size) {
    size_t n = (size_t)1 << log2size;
    return sizeof(rci_dkeys) + (n << log2_ixbytes_for(log2size)) +
           (size_t)USABLE_FRACTION(n) * sizeof(rci_dentry);
}

/* A fresh table: every index EMPTY, no entries.  NULL with the error. */
static rci_dkeys *new_keys(unsigned log2size) {
    if (log2size > LOG2_MAXSIZE)
        return rci_error_null(RC_ERR_OVERFLOW, "dict: table of 2^%u slots is too large",
                              log2size);
    rci_dkeys *k = rc_mem_malloc(table_bytes(log2size));
    if (!k)
        return NULL;
    k->log2size = (uint8_t)log2size;
    k->log2ixbytes = (uint8_t)log2_ixbytes_for(log2size);
    k->usable = USABLE_FRACTION((intptr_t)1 << log2size);
    memset(k->pad, 0, sizeof k->pad);
    memset(k + 1, 0xff, dk_index_bytes(k));   /* -1 = EMPTY at every width */
    return k;
}

/* log2 of the table size for at least minsize slots, as CPython 3.11's
 * calculate_log2_keysize computes it: the bit length of
 * ((minsize | 8) - 1) | 7.  That is the smallest power of two >= minsize
 * (at least 8) except for 1 <= minsize < 8, which gives 16: a dict that
 * resizes with 1 or 2 live items gets 16 slots (measured on 3.11.7). */
static unsigned log2_for(intptr_t minsize) {
    uintptr_t v = (((uintptr_t)minsize | 8u) - 1u) | 7u;
    unsigned log2 = 0;
    while (v) {
        log2++;
        v >>= 1;
    }
    return log2;
}

/* A slot whose index is EMPTY or DUMMY on hash's probe sequence. */
static size_t find_empty_slot(const rci_dkeys *k, int64_t hash) {
    rci_probe p = rci_probe_start(dk_size(k) - 1, hash);
    while (ix_get(k, p.i) >= 0)
        rci_probe_next(&p);
    return p.i;
}

/* The slot holding entry position ix (which must be in the table). */
static size_t slot_of_entry(const rci_dkeys *k, int64_t hash, intptr_t ix) {
    rci_probe p = rci_probe_start(dk_size(k) - 1, hash);
    while (ix_get(k, p.i) != ix)
        rci_probe_next(&p);
    return p.i;
}

/* Rebuild the table with 2^log2size slots, dropping holes and DUMMY slots.
 * On failure (NOMEM, OVERFLOW) the dict is unchanged. */
static int dict_resize(rci_dict *d, unsigned log2size) {
    rci_dkeys *nk = new_keys(log2size);
    if (!nk)
        return -1;
    rci_dkeys *ok = d->keys;
    rci_dentry *dst = dk_entries(nk);
    intptr_t n = 0;
    if (ok) {
        rci_dentry *src = dk_entries(ok);
        for (intptr_t i = 0; i < d->nentries; i++) {
            if (!src[i].key)
                continue;
            dst[n] = src[i];
            ix_set(nk, find_empty_slot(nk, src[i].hash), n);
            n++;
        }
    }
    nk->usable -= n;
    d->keys = nk;
    d->nentries = n;
    rc_mem_free(ok);
    return 0;
}

/* ------------------------------------------------------------ lookup */

/* Position of key's entry, DKIX_EMPTY if absent, DKIX_ERROR if a
 * comparison failed (error set). */
static intptr_t lookup(rci_dict *d, const rc_object *key, int64_t hash) {
restart:;
    rci_dkeys *k = d->keys;
    if (!k)
        return DKIX_EMPTY;
    rci_probe p = rci_probe_start(dk_size(k) - 1, hash);
    for (;;) {
        intptr_t ix = ix_get(k, p.i);
        if (ix == DKIX_EMPTY)
            return DKIX_EMPTY;
        if (ix >= 0) {
            rci_dentry *e = &dk_entries(k)[ix];
            if (e->key == key)
                return ix;
            if (e->hash == hash) {
                rc_object *start = e->key;
                rc_incref(start);
                int cmp = rc_eq(start, key);
                rc_decref(start);
                if (cmp < 0)
                    return DKIX_ERROR;
                if (k != d->keys || e->key != start)
                    goto restart;   /* the comparison mutated the dict */
                if (cmp > 0)
                    return ix;
            }
        }
        rci_probe_next(&p);
    }
}

/* Lookup of a C string among str keys without making a str.  Returns the
 * position, DKIX_EMPTY, or DKIX_GENERAL if a non-str key with the same hash
 * needs a real comparison. */
static intptr_t lookup_cstr(rci_dict *d, const char *s, size_t n, int64_t hash) {
    rci_dkeys *k = d->keys;
    if (!k)
        return DKIX_EMPTY;
    rci_probe p = rci_probe_start(dk_size(k) - 1, hash);
    for (;;) {
        intptr_t ix = ix_get(k, p.i);
        if (ix == DKIX_EMPTY)
            return DKIX_EMPTY;
        if (ix >= 0) {
            rci_dentry *e = &dk_entries(k)[ix];
            if (e->hash == hash) {
                if (!RC_TYPE_CHECK(e->key, rc_str_type))
                    return DKIX_GENERAL;
                const rci_str *ks = (const rci_str *)e->key;
                if ((size_t)ks->ob.size == n && memcmp(ks->data, s, n) == 0)
                    return ix;
            }
        }
        rci_probe_next(&p);
    }
}

/* ------------------------------------------------------------ tracking */

/* _PyObject_GC_MAY_BE_TRACKED: a GC object, except an untracked tuple. */
static int may_be_tracked(const rc_object *o) {
    if (!(o->type->flags & RC_TYPE_GC))
        return 0;
    if (RC_TYPE_CHECK(o, rc_tuple_type))
        return !rc_is_immortal(o) && rc_gc_is_tracked(o);
    return 1;
}

static void maintain_tracking(rci_dict *d, const rc_object *key, const rc_object *value) {
    if (!rc_gc_is_tracked(d) && (may_be_tracked(key) || may_be_tracked(value)))
        rc_gc_track(d);
}

/* _PyDict_MaybeUntrack: untrack a tracked dict none of whose keys and
 * values may be tracked.  Returns 1 if it untracked op, else 0. */
int rci_dict_maybe_untrack(rc_object *op) {
    if (!IS_DICT(op) || !rc_gc_is_tracked(op))
        return 0;
    rci_dict *d = AS_DICT(op);
    if (d->keys) {
        rci_dentry *e = dk_entries(d->keys);
        for (intptr_t i = 0; i < d->nentries; i++) {
            if (!e[i].key)
                continue;
            if (may_be_tracked(e[i].key) || may_be_tracked(e[i].value))
                return 0;
        }
    }
    rc_gc_untrack(op);
    return 1;
}

/* ------------------------------------------------------------ errors */

static int dict_check(const char *fn, const void *d) {
    if (IS_DICT(d))
        return 0;
    return rci_type_error(fn, "dict", d);
}

/* ------------------------------------------------------------ public API */

rc_object *rc_dict_new(void) {
    rc_heap *h = rci_current_heap;
    rci_dict *d = h ? (rci_dict *)rci_freelist_pop(h, &rc_dict_type, 0) : NULL;
    if (!d) {
        d = rci_new(&rc_dict_type);
        if (!d)
            return NULL;
    }
    d->used = 0;
    d->version = 0;
    d->keys = NULL;
    d->nentries = 0;
    return &d->ob;
}

intptr_t rc_dict_size(const void *d) {
    if (dict_check("rc_dict_size", d) < 0)
        return -1;
    return AS_DICT(d)->used;
}

intptr_t rc_dict_table_size(const void *d) {
    if (dict_check("rc_dict_table_size", d) < 0)
        return -1;
    const rci_dkeys *k = AS_DICT(d)->keys;
    return k ? (intptr_t)dk_size(k) : 0;
}

intptr_t rci_dict_extra_size(const rc_object *op) {
    const rci_dkeys *k = AS_DICT(op)->keys;
    return k ? (intptr_t)table_bytes(k->log2size) : 0;
}

/* Store (key, value) with a known hash; no argument checks. */
static int insert(rci_dict *d, rc_object *key, rc_object *value, int64_t hash) {
    intptr_t ix = lookup(d, key, hash);
    if (ix == DKIX_ERROR)
        return -1;
    if (ix >= 0) {
        maintain_tracking(d, key, value);
        rci_dentry *e = &dk_entries(d->keys)[ix];
        rc_object *old = e->value;
        e->value = rc_newref(value);
        rc_decref(old);     /* last: may run code that mutates d */
        return 0;
    }
    if (!d->keys || d->keys->usable <= 0) {
        /* GROWTH_RATE: used * 3 (an empty dict gets the minimum size 8) */
        if (dict_resize(d, log2_for(d->used * 3)) < 0)
            return -1;
    }
    maintain_tracking(d, key, value);
    rci_dkeys *k = d->keys;
    ix_set(k, find_empty_slot(k, hash), d->nentries);
    rci_dentry *e = &dk_entries(k)[d->nentries];
    e->hash = hash;
    e->key = rc_newref(key);
    e->value = rc_newref(value);
    d->nentries++;
    k->usable--;
    d->used++;
    d->version++;
    return 0;
}

int rc_dict_set(void *d, void *key, void *value) {
    if (dict_check("rc_dict_set", d) < 0)
        return -1;
    if (!value)
        return rc_error_set(RC_ERR_INVALID, "rc_dict_set: value is NULL");
    int64_t hash = rc_hash(key);
    if (hash == -1)
        return -1;
    return insert(AS_DICT(d), key, value, hash);
}

int rc_dict_set_str(void *d, const char *key, void *value) {
    if (dict_check("rc_dict_set_str", d) < 0)
        return -1;
    if (!key)
        return rc_error_set(RC_ERR_INVALID, "rc_dict_set_str: key is NULL");
    /* Not interned (PyDict_SetItemString interns, but our interned strings
     * live as long as the heap, so data keys would pile up there); pass an
     * rc_str_intern_from key to rc_dict_set to share key objects. */
    rc_object *k = rc_str_from(key);
    if (!k)
        return -1;
    int r = rc_dict_set(d, k, value);
    rc_decref(k);
    return r;
}

rc_object *rc_dict_get(const void *d, const void *key) {
    if (dict_check("rc_dict_get", d) < 0)
        return NULL;
    int64_t hash = rc_hash(key);
    if (hash == -1)
        return NULL;
    rci_dict *dd = AS_DICT(d);
    intptr_t ix = lookup(dd, key, hash);
    if (ix == DKIX_ERROR)
        return NULL;
    if (ix == DKIX_EMPTY) {
        rci_key_error(key);
        return NULL;
    }
    return dk_entries(dd->keys)[ix].value;
}

rc_object *rc_dict_get_str(const void *d, const char *key) {
    if (dict_check("rc_dict_get_str", d) < 0)
        return NULL;
    if (!key)
        return rci_error_null(RC_ERR_INVALID, "rc_dict_get_str: key is NULL");
    rci_dict *dd = AS_DICT(d);
    size_t n = strlen(key);
    /* str hashes are rci_hash_bytes of the UTF-8 bytes (types/str.c) */
    intptr_t ix = lookup_cstr(dd, key, n, rci_hash_bytes(key, n));
    if (ix >= 0)
        return dk_entries(dd->keys)[ix].value;
    if (ix == DKIX_GENERAL || ix == DKIX_EMPTY) {
        /* a real str: a real comparison, or the KeyError with its repr */
        rc_object *k = rc_str_from(key);
        if (!k)
            return NULL;
        rc_object *v = rc_dict_get(d, k);
        rc_decref(k);
        return v;
    }
    return NULL;
}

int rc_dict_contains(const void *d, const void *key) {
    if (dict_check("rc_dict_contains", d) < 0)
        return -1;
    int64_t hash = rc_hash(key);
    if (hash == -1)
        return -1;
    intptr_t ix = lookup(AS_DICT(d), key, hash);
    if (ix == DKIX_ERROR)
        return -1;
    return ix >= 0;
}

/* Unlink the entry at ix (found for hash) and hand its references to the
 * caller. */
static void unlink_entry(rci_dict *d, intptr_t ix, rc_object **key, rc_object **value) {
    rci_dkeys *k = d->keys;
    rci_dentry *e = &dk_entries(k)[ix];
    ix_set(k, slot_of_entry(k, e->hash, ix), DKIX_DUMMY);
    *key = e->key;
    *value = e->value;
    e->key = NULL;
    e->value = NULL;
    d->used--;
    d->version++;
}

/* Remove key; returns 1 with the references in *k, *v, 0 if absent (no
 * error set), -1 on error. */
static int remove_key(rci_dict *d, const rc_object *key, rc_object **k, rc_object **v) {
    int64_t hash = rc_hash(key);
    if (hash == -1)
        return -1;
    intptr_t ix = lookup(d, key, hash);
    if (ix == DKIX_ERROR)
        return -1;
    if (ix == DKIX_EMPTY)
        return 0;
    unlink_entry(d, ix, k, v);
    return 1;
}

int rc_dict_delete(void *d, const void *key) {
    if (dict_check("rc_dict_delete", d) < 0)
        return -1;
    rc_object *k, *v;
    int r = remove_key(AS_DICT(d), key, &k, &v);
    if (r < 0)
        return -1;
    if (r == 0) {
        rci_key_error(key);
        return -1;
    }
    rc_decref(k);
    rc_decref(v);
    return 0;
}

rc_object *rc_dict_pop(void *d, const void *key) {
    if (dict_check("rc_dict_pop", d) < 0)
        return NULL;
    rc_object *k, *v;
    int r = remove_key(AS_DICT(d), key, &k, &v);
    if (r < 0)
        return NULL;
    if (r == 0) {
        rci_key_error(key);
        return NULL;
    }
    rc_decref(k);
    return v;
}

int rc_dict_popitem(void *d, rc_object **key, rc_object **value) {
    if (dict_check("rc_dict_popitem", d) < 0)
        return -1;
    if (!key || !value)
        return rc_error_set(RC_ERR_INVALID, "rc_dict_popitem: NULL output pointer");
    rci_dict *dd = AS_DICT(d);
    if (dd->used == 0)
        return rc_error_set(RC_ERR_KEY, "popitem(): dictionary is empty");
    rci_dentry *e = dk_entries(dd->keys);
    intptr_t i = dd->nentries - 1;
    while (!e[i].key)
        i--;
    unlink_entry(dd, i, key, value);
    /* the last entry is given back (usable is not, as in CPython 3.11) */
    dd->nentries = i;
    return 0;
}

/* Detach the table, then release what it held (decrefs may run code that
 * uses the dict again; it is already a valid empty dict by then). */
static void dict_clear_contents(rci_dict *d) {
    rci_dkeys *k = d->keys;
    intptr_t n = d->nentries;
    d->keys = NULL;
    d->nentries = 0;
    if (d->used) {
        d->used = 0;
        d->version++;
    }
    if (!k)
        return;
    rci_dentry *e = dk_entries(k);
    for (intptr_t i = 0; i < n; i++) {
        if (e[i].key) {
            rc_decref(e[i].key);
            rc_decref(e[i].value);
        }
    }
    rc_mem_free(k);
}

int rc_dict_clear(void *d) {
    if (dict_check("rc_dict_clear", d) < 0)
        return -1;
    dict_clear_contents(AS_DICT(d));
    return 0;
}

/* ------------------------------------------------------------ iteration */

void rc_dict_iter_init(const void *d, rc_dict_iter *it) {
    if (!it)
        return;
    it->index = 0;
    if (IS_DICT(d)) {
        it->size_at_start = AS_DICT(d)->used;
        it->version = AS_DICT(d)->version;
    } else {
        it->size_at_start = -1;
        it->version = 0;
    }
}

int rc_dict_next(const void *d, rc_dict_iter *it, rc_object **key, rc_object **value) {
    if (dict_check("rc_dict_next", d) < 0)
        return -1;
    if (!it)
        return rc_error_set(RC_ERR_INVALID, "rc_dict_next: iterator is NULL");
    rci_dict *dd = AS_DICT(d);
    if (it->size_at_start != dd->used) {
        it->size_at_start = -1;   /* sticky */
        return rc_error_set(RC_ERR_RUNTIME, "dictionary changed size during iteration");
    }
    if (it->version != dd->version) {
        it->size_at_start = -1;
        return rc_error_set(RC_ERR_RUNTIME, "dictionary keys changed during iteration");
    }
    if (!dd->keys)
        return 0;
    rci_dentry *e = dk_entries(dd->keys);
    for (intptr_t i = it->index; i < dd->nentries; i++) {
        if (e[i].key) {
            it->index = i + 1;
            if (key)
                *key = e[i].key;
            if (value)
                *value = e[i].value;
            return 1;
        }
    }
    it->index = dd->nentries;
    return 0;
}

/* keys / values / items.  The pairs are copied (with references) into a
 * raw array first, which allocates no object and so cannot run a
 * collection; building the list afterwards may allocate freely. */
enum { WANT_KEYS, WANT_VALUES, WANT_ITEMS };

static rc_object *dict_collect(const void *d, int want, const char *fn) {
    if (dict_check(fn, d) < 0)
        return NULL;
    rci_dict *dd = AS_DICT(d);
    intptr_t n = dd->used;
    rc_object **snap = NULL;
    if (n > 0) {
        snap = rc_mem_malloc((size_t)n * 2 * sizeof(rc_object *));
        if (!snap)
            return NULL;
        rci_dentry *e = dk_entries(dd->keys);
        intptr_t j = 0;
        for (intptr_t i = 0; i < dd->nentries; i++) {
            if (!e[i].key)
                continue;
            snap[2 * j] = rc_newref(e[i].key);
            snap[2 * j + 1] = rc_newref(e[i].value);
            j++;
        }
    }
    rc_object *list = rc_list_new(n);
    for (intptr_t j = 0; list && j < n; j++) {
        rc_object *item;
        if (want == WANT_ITEMS) {
            item = rc_tuple_pack(2, snap[2 * j], snap[2 * j + 1]);
            if (!item) {
                rc_clear(&list);
                break;
            }
        } else {
            item = rc_newref(snap[2 * j + (want == WANT_VALUES)]);
        }
        /* rc_list_set takes its own reference and drops the None */
        int r = rc_list_set(list, j, item);
        rc_decref(item);
        if (r < 0)
            rc_clear(&list);
    }
    for (intptr_t j = 0; j < 2 * n; j++)
        rc_decref(snap[j]);
    rc_mem_free(snap);
    return list;
}

rc_object *rc_dict_keys(const void *d) { return dict_collect(d, WANT_KEYS, "rc_dict_keys"); }
rc_object *rc_dict_values(const void *d) { return dict_collect(d, WANT_VALUES, "rc_dict_values"); }
rc_object *rc_dict_items(const void *d) { return dict_collect(d, WANT_ITEMS, "rc_dict_items"); }

/* ------------------------------------------------------------ type hooks */

static int dict_traverse(rc_object *self, rc_visitproc visit, void *arg) {
    rci_dict *d = AS_DICT(self);
    if (!d->keys)
        return 0;
    rci_dentry *e = dk_entries(d->keys);
    for (intptr_t i = 0; i < d->nentries; i++) {
        if (!e[i].key)
            continue;
        int r = visit(e[i].key, arg);
        if (r)
            return r;
        r = visit(e[i].value, arg);
        if (r)
            return r;
    }
    return 0;
}

static int dict_tp_clear(rc_object *self) {
    dict_clear_contents(AS_DICT(self));
    return 0;
}

static void dict_dealloc(rc_object *self) {
    dict_clear_contents(AS_DICT(self));
}

static int64_t dict_hash(rc_object *self) {
    (void)self;
    return rc_error_set(RC_ERR_TYPE, "unhashable type: 'dict'");
}

/* d1 == d2: same length and every key of d1 maps to an equal value in d2. */
static int dict_eq(rc_object *self, rc_object *other) {
    if (!IS_DICT(other))
        return 0;
    rci_dict *a = AS_DICT(self), *b = AS_DICT(other);
    if (a->used != b->used)
        return 0;
    for (intptr_t i = 0; a->keys && i < a->nentries; i++) {
        rci_dentry *e = &dk_entries(a->keys)[i];
        if (!e->key)
            continue;
        rc_object *key = rc_newref(e->key), *av = rc_newref(e->value);
        int r;
        intptr_t ix = lookup(b, key, e->hash);
        if (ix == DKIX_ERROR) {
            r = -1;
        } else if (ix == DKIX_EMPTY) {
            r = 0;
        } else {
            rc_object *bv = rc_newref(dk_entries(b->keys)[ix].value);
            r = rc_eq(av, bv);
            rc_decref(bv);
        }
        rc_decref(key);
        rc_decref(av);
        if (r <= 0)
            return r;
        if (a->used != b->used)
            return 0;
    }
    return 1;
}

static rc_object *dict_repr(rc_object *self) {
    rci_dict *d = AS_DICT(self);
    if (d->used == 0)
        return rc_str_from("{}");
    int st = rci_repr_enter(self);
    if (st != 0)
        return st > 0 ? rc_str_from("{...}") : NULL;
    rci_sb sb;
    rci_sb_init(&sb);
    rci_sb_add(&sb, "{", 1);
    int first = 1;
    /* by position, re-reading the table: a repr may mutate the dict */
    for (intptr_t i = 0; !sb.failed && d->keys && i < d->nentries; i++) {
        rci_dentry *e = &dk_entries(d->keys)[i];
        if (!e->key)
            continue;
        rc_object *key = rc_newref(e->key), *value = rc_newref(e->value);
        if (!first)
            rci_sb_add(&sb, ", ", 2);
        first = 0;
        rci_sb_add_repr(&sb, key);
        rci_sb_add(&sb, ": ", 2);
        rci_sb_add_repr(&sb, value);
        rc_decref(key);
        rc_decref(value);
    }
    rci_sb_add(&sb, "}", 1);
    rci_repr_leave(self);
    return rci_sb_finish(&sb);
}
