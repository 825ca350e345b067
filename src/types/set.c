/*
 * set.c - the hash set of CPython's setobject.c (3.11 rules).
 *
 * Open addressing over a table of 2^k {key, hash} entries.  An entry is
 * unused (key NULL, hash 0), dummy (a removed key: key DUMMY, hash -1) or
 * active.  A probe sequence inspects a run of up to LINEAR_PROBES + 1
 * neighbouring slots (cache-friendly), then jumps with the perturbed
 * recurrence i = (i*5 + 1 + perturb) & mask after perturb >>= 5.  `fill`
 * counts active and dummy entries, `used` the active ones.  An absent key
 * is stored in the LAST dummy slot met on its probe sequence if there was
 * one (reusing the first dummy, or none, gives iteration orders that differ
 * from python3 3.11's; the test compares them).  Filling an unused slot
 * past 60% (fill*5 >= mask*3) rebuilds the table at the smallest power of
 * two greater than used*4 (used*2 above 50000 items), dropping dummies.
 * Discarding never shrinks the table.  Sets of up to 8 slots use the table
 * inside the object (smalltable); bigger tables are rc_mem blocks.
 *
 * Because int hashes equal CPython's, a set of ints iterates in the same
 * order as in CPython (tested against python3).
 *
 * Difference from CPython: the rebuild that an add triggers is allocated
 * before the key is stored, so on NOMEM the set is unchanged (CPython
 * stores the key first and may then fail to grow).  The object is 176
 * bytes + 16 GC link = 192 (CPython's set() is 216: it also carries a
 * frozenset hash, a pop() finger and a weakref list).
 */
#include "types.h"

#define SET_MINSIZE 8
#define LINEAR_PROBES 9
#define SET_MAXSIZE ((size_t)1 << 58)

typedef struct rci_sentry {
    rc_object *key;
    int64_t hash;
} rci_sentry;

typedef struct rci_set {
    rc_object ob;
    intptr_t fill;                      /* active + dummy entries */
    intptr_t used;                      /* active entries */
    intptr_t mask;                      /* table size - 1 */
    rci_sentry *table;                  /* smalltable or an rc_mem block */
    rci_sentry smalltable[SET_MINSIZE];
} rci_set;

/* The marker of removed entries: a unique address, never dereferenced. */
static rc_object set_dummy_marker;
#define DUMMY (&set_dummy_marker)

#define AS_SET(op) ((rci_set *)(op))
#define IS_SET(op) ((op) && RC_TYPE_CHECK(op, rc_set_type))
#define ACTIVE(e) ((e)->key != NULL && (e)->key != DUMMY)

static int set_traverse(rc_object *self, rc_visitproc visit, void *arg);
static int set_tp_clear(rc_object *self);
static void set_dealloc(rc_object *self);
static int64_t set_hash(rc_object *self);
static int set_eq(rc_object *self, rc_object *other);
static rc_object *set_repr(rc_object *self);

const rc_type rc_set_type = {
    .ob_base = RC_STATIC_TYPE_HEAD,
    .name = "set",
    .basic_size = sizeof(rci_set),
    .flags = RC_TYPE_IMMORTAL | RC_TYPE_GC | RC_TYPE_TRACK,
    .traverse = set_traverse,
    .clear = set_tp_clear,
    .dealloc = set_dealloc,
    .hash = set_hash,
    .eq = set_eq,
    .repr = set_repr,
    .extra_size = rci_set_extra_size,
};

static int set_check(const char *fn, const void *s) {
    if (IS_SET(s))
        return 0;
    return rci_type_error(fn, "set", s);
}

/* ------------------------------------------------------------ the table */

/* Store a key known to be absent into a table without dummies. */
static void insert_clean(rci_sentry *table, size_t mask, rc_object *key, int64_t hash) {
    rci_probe p = rci_probe_start(mask, hash);
    for (;;) {
        rci_sentry *e = &table[p.i];
        if (!e->key)
            goto found;
        if (p.i + LINEAR_PROBES <= p.mask) {
            for (int j = 0; j < LINEAR_PROBES; j++) {
                e++;
                if (!e->key)
                    goto found;
            }
        }
        rci_probe_next(&p);
        continue;
    found:
        e->key = key;
        e->hash = hash;
        return;
    }
}

/* Table size for a rebuild: the smallest power of two > minused (at least
 * 8); 0 if too large. */
static size_t size_for(size_t minused) {
    size_t n = SET_MINSIZE;
    while (n <= minused) {
        n <<= 1;
        if (n > SET_MAXSIZE)
            return 0;
    }
    return n;
}

/* Rebuild into `newtable` of newsize entries (NULL when newsize is 8: the
 * inline table).  Cannot fail. */
static void rebuild(rci_set *s, size_t newsize, rci_sentry *newtable) {
    rci_sentry *old = s->table, *src = old;
    size_t oldmask = (size_t)s->mask;
    rci_sentry small_copy[SET_MINSIZE];
    if (newsize == SET_MINSIZE) {
        newtable = s->smalltable;
        if (old == s->smalltable) {
            memcpy(small_copy, old, sizeof small_copy);
            src = small_copy;
        }
    }
    memset(newtable, 0, newsize * sizeof(rci_sentry));
    s->table = newtable;
    s->mask = (intptr_t)newsize - 1;
    for (size_t i = 0; i <= oldmask; i++)
        if (ACTIVE(&src[i]))
            insert_clean(newtable, newsize - 1, src[i].key, src[i].hash);
    s->fill = s->used;
    if (old != s->smalltable)
        rc_mem_free(old);
}

/* The entry holding key (active) or the unused entry ending its probe
 * sequence (key NULL); NULL if a comparison failed. */
static rci_sentry *lookkey(rci_set *s, const rc_object *key, int64_t hash) {
restart:;
    rci_probe p = rci_probe_start((size_t)s->mask, hash);
    for (;;) {
        rci_sentry *e = &s->table[p.i];
        int probes = (p.i + LINEAR_PROBES <= p.mask) ? LINEAR_PROBES : 0;
        do {
            if (e->hash == 0 && e->key == NULL)
                return e;
            if (e->hash == hash) {
                rc_object *start = e->key;
                if (start == key)
                    return e;
                rci_sentry *table = s->table;
                rc_incref(start);
                int cmp = rc_eq(start, key);
                rc_decref(start);
                if (cmp < 0)
                    return NULL;
                if (table != s->table || e->key != start)
                    goto restart;   /* the comparison mutated the set */
                if (cmp > 0)
                    return e;
            }
            e++;
        } while (probes--);
        rci_probe_next(&p);
    }
}

/* Add key with a known hash: 0 (added or already present), -1 on error. */
static int add_entry(rci_set *s, rc_object *key, int64_t hash) {
restart:;
    rci_probe p = rci_probe_start((size_t)s->mask, hash);
    rci_sentry *e, *freeslot = NULL;
    for (;;) {
        e = &s->table[p.i];
        int probes = (p.i + LINEAR_PROBES <= p.mask) ? LINEAR_PROBES : 0;
        do {
            if (e->hash == 0 && e->key == NULL)
                goto found_unused;
            if (e->hash == hash) {
                rc_object *start = e->key;
                if (start == key)
                    return 0;
                rci_sentry *table = s->table;
                rc_incref(start);
                int cmp = rc_eq(start, key);
                rc_decref(start);
                if (cmp > 0)
                    return 0;
                if (cmp < 0)
                    return -1;
                if (table != s->table || e->key != start)
                    goto restart;
            }
            else if (e->hash == -1) {
                freeslot = e;   /* the LAST dummy on the way, as CPython 3.11 */
            }
            e++;
        } while (probes--);
        rci_probe_next(&p);
    }

found_unused:
    if (freeslot) {
        /* reuse a dummy: fill does not change, no resize */
        freeslot->key = rc_newref(key);
        freeslot->hash = hash;
        s->used++;
        return 0;
    }
    if ((size_t)(s->fill + 1) * 5 < p.mask * 3) {
        e->key = rc_newref(key);
        e->hash = hash;
        s->fill++;
        s->used++;
        return 0;
    }
    /* This add reaches 60% fill: get the rebuilt table first, so that a
     * failure leaves the set as it was. */
    size_t used = (size_t)s->used + 1;
    size_t newsize = size_for(used > 50000 ? used * 2 : used * 4);
    if (!newsize)
        return rc_error_set(RC_ERR_OVERFLOW, "set: too many items (%zu)", used);
    rci_sentry *newtable = NULL;
    if (newsize != SET_MINSIZE) {
        newtable = rc_mem_malloc(newsize * sizeof(rci_sentry));
        if (!newtable)
            return -1;
    }
    e->key = rc_newref(key);
    e->hash = hash;
    s->fill++;
    s->used++;
    rebuild(s, newsize, newtable);
    return 0;
}

/* Empty the set back to its inline table, then drop the keys (a decref
 * may run code that uses the set; it is a valid empty set by then). */
static void clear_contents(rci_set *s) {
    rci_sentry *table = s->table;
    size_t mask = (size_t)s->mask;
    int malloced = table != s->smalltable;
    rci_sentry small_copy[SET_MINSIZE];
    if (!malloced) {
        if (s->fill == 0)
            return;
        memcpy(small_copy, table, sizeof small_copy);
        table = small_copy;
    }
    memset(s->smalltable, 0, sizeof s->smalltable);
    s->table = s->smalltable;
    s->mask = SET_MINSIZE - 1;
    s->fill = 0;
    s->used = 0;
    for (size_t i = 0; i <= mask; i++)
        if (ACTIVE(&table[i]))
            rc_decref(table[i].key);
    if (malloced)
        rc_mem_free(table);
}

/* ------------------------------------------------------------ public API */

rc_object *rc_set_new(void) {
    rci_set *s = rci_new(&rc_set_type);   /* zeroed, tracked */
    if (!s)
        return NULL;
    s->mask = SET_MINSIZE - 1;
    s->table = s->smalltable;
    return &s->ob;
}

intptr_t rc_set_size(const void *s) {
    if (set_check("rc_set_size", s) < 0)
        return -1;
    return AS_SET(s)->used;
}

intptr_t rci_set_extra_size(const rc_object *op) {
    const rci_set *s = (const rci_set *)op;
    return s->table == s->smalltable ? 0 : (s->mask + 1) * (intptr_t)sizeof(rci_sentry);
}

int rc_set_add(void *s, void *key) {
    if (set_check("rc_set_add", s) < 0)
        return -1;
    int64_t hash = rc_hash(key);
    if (hash == -1)
        return -1;
    return add_entry(AS_SET(s), key, hash);
}

int rc_set_discard(void *s, const void *key) {
    if (set_check("rc_set_discard", s) < 0)
        return -1;
    int64_t hash = rc_hash(key);
    if (hash == -1)
        return -1;
    rci_set *so = AS_SET(s);
    rci_sentry *e = lookkey(so, key, hash);
    if (!e)
        return -1;
    if (!e->key)
        return 0;
    rc_object *old = e->key;
    e->key = DUMMY;
    e->hash = -1;
    so->used--;
    rc_decref(old);
    return 1;
}

int rc_set_contains(const void *s, const void *key) {
    if (set_check("rc_set_contains", s) < 0)
        return -1;
    int64_t hash = rc_hash(key);
    if (hash == -1)
        return -1;
    rci_sentry *e = lookkey(AS_SET(s), key, hash);
    if (!e)
        return -1;
    return e->key != NULL;
}

void rc_set_iter_init(const void *s, rc_set_iter *it) {
    if (!it)
        return;
    it->index = 0;
    it->size_at_start = IS_SET(s) ? AS_SET(s)->used : -1;
}

int rc_set_next(const void *s, rc_set_iter *it, rc_object **key) {
    if (set_check("rc_set_next", s) < 0)
        return -1;
    if (!it)
        return rc_error_set(RC_ERR_INVALID, "rc_set_next: iterator is NULL");
    rci_set *so = AS_SET(s);
    if (it->size_at_start != so->used) {
        it->size_at_start = -1;   /* sticky */
        return rc_error_set(RC_ERR_RUNTIME, "Set changed size during iteration");
    }
    for (intptr_t i = it->index; i <= so->mask; i++) {
        if (ACTIVE(&so->table[i])) {
            it->index = i + 1;
            if (key)
                *key = so->table[i].key;
            return 1;
        }
    }
    it->index = so->mask + 1;
    return 0;
}

/* ------------------------------------------------------------ type hooks */

static int set_traverse(rc_object *self, rc_visitproc visit, void *arg) {
    rci_set *s = AS_SET(self);
    for (intptr_t i = 0; i <= s->mask; i++) {
        if (ACTIVE(&s->table[i])) {
            int r = visit(s->table[i].key, arg);
            if (r)
                return r;
        }
    }
    return 0;
}

static int set_tp_clear(rc_object *self) {
    clear_contents(AS_SET(self));
    return 0;
}

static void set_dealloc(rc_object *self) { clear_contents(AS_SET(self)); }

static int64_t set_hash(rc_object *self) {
    (void)self;
    return rc_error_set(RC_ERR_TYPE, "unhashable type: 'set'");
}

/* s1 == s2: the same size and every element of s1 is in s2. */
static int set_eq(rc_object *self, rc_object *other) {
    if (!IS_SET(other))
        return 0;
    rci_set *a = AS_SET(self), *b = AS_SET(other);
    if (a->used != b->used)
        return 0;
    for (intptr_t i = 0; i <= a->mask; i++) {
        rci_sentry *e = &a->table[i];
        if (!ACTIVE(e))
            continue;
        rc_object *key = rc_newref(e->key);
        int64_t hash = e->hash;
        rci_sentry *f = lookkey(b, key, hash);
        rc_decref(key);
        if (!f)
            return -1;
        if (!f->key)
            return 0;
        if (a->used != b->used)
            return 0;
    }
    return 1;
}

static rc_object *set_repr(rc_object *self) {
    rci_set *s = AS_SET(self);
    if (s->used == 0)
        return rc_str_from("set()");
    int st = rci_repr_enter(self);
    if (st != 0)
        return st > 0 ? rc_str_from("set(...)") : NULL;
    /* a snapshot of the keys: a repr may mutate the set */
    intptr_t n = s->used;
    rc_object **snap = rc_mem_malloc((size_t)n * sizeof(rc_object *));
    if (!snap) {
        rci_repr_leave(self);
        return NULL;
    }
    intptr_t j = 0;
    for (intptr_t i = 0; i <= s->mask; i++)
        if (ACTIVE(&s->table[i]))
            snap[j++] = rc_newref(s->table[i].key);
    rci_sb sb;
    rci_sb_init(&sb);
    rci_sb_add(&sb, "{", 1);
    for (intptr_t k = 0; k < n; k++) {
        if (k)
            rci_sb_add(&sb, ", ", 2);
        rci_sb_add_repr(&sb, snap[k]);
    }
    rci_sb_add(&sb, "}", 1);
    for (intptr_t k = 0; k < n; k++)
        rc_decref(snap[k]);
    rc_mem_free(snap);
    rci_repr_leave(self);
    return rci_sb_finish(&sb);
}
