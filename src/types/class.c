/*
 * class.c - classes created at run time (rc_class_new) and their instances:
 * the tutorials' `class Node:` (attributes in a per-instance table) and
 * `class Node: __slots__ = ('a', 'b')` (attributes stored inline).
 *
 * A class object IS an rc_type: struct rci_class begins with the rc_type
 * that its instances point at, and that rc_type's ob_base is the class
 * object's own header (its type is rc_class_type).  So
 *   - rc_type_name(instance) is the class name;
 *   - the reference every instance of a heap type holds on its type
 *     (the allocation's rc_incref(t), destroy's rc_decref(t)) lands on the
 *     class object's refcount: a class lives while any instance or user
 *     reference does, and is freed with its last one;
 *   - going from an instance back to its class is a cast (the rc_type is
 *     the first member).
 * Class objects are GC objects (16-byte link before them, tracked) so the
 * collector sees them when it follows instance -> class.  A class holds
 * only str objects (its name is a C string; slot names and the cached
 * attribute names are interned strs), which can never be part of a cycle,
 * so rc_class_type has no traverse or clear.
 *
 * Instance layouts (64-bit; every GC object also has the 16-byte link):
 *
 *   dict-backed:  [refcount|type][table*][weaklist*]      24 or 32 bytes
 *   slots-backed: [refcount|type][slot 0]...[slot n-1][weaklist*]
 *                                                  16 + 8n (+ 8) bytes
 *
 * The weaklist word exists only when the class was made with weakrefs on
 * (RC_TYPE_WEAKREF, weaklist_offset); it sits after the slots as
 * CPython's __weakref__ does.  So `__slots__ = ('a', 'b')` without weak
 * references is 16 + 32 = 48 bytes with the link, CPython's figure, and
 * 56 with them (CPython 3.12 with '__weakref__' in __slots__).
 *
 * The attribute table of a dict-backed instance is one rc_mem block,
 * allocated on the first attribute and freed when the last one is deleted:
 *
 *   [used:4][cap:4] [name*, value*] x cap  [int32 index x 2*cap]
 *
 * Entries stay in insertion order (deletion closes the gap).  Capacity
 * starts at 4 (one 80-byte block holds up to four attributes) and doubles.
 * Up to 8 entries a lookup is a linear scan; from 16 an open-addressing
 * index of 2*cap int32 slots follows the entries (rebuilt on growth and
 * deletion), so instances used as namespaces with thousands of attributes
 * stay O(1).
 *
 * Attribute names are stored as interned str objects, shared by every
 * instance: a dict-backed class keeps the first 32 names its instances use
 * (CPython's shared keys keep up to 30), so setting a known name on a new
 * instance neither allocates nor touches the intern table.  Lookups take C
 * strings, so they compare length and bytes (a pointer comparison would
 * need the name interned first, which costs the same hash and probe and
 * would grow the intern table on every miss); comparing contents also stays
 * correct after rc_heap_clear_caches stops interning the stored names.
 */
#include "types.h"

/* ------------------------------------------------------------ layouts */

#define ATTR_INITIAL_CAP 4u
#define ATTR_LINEAR_MAX 8u        /* tables up to this capacity have no index */
#define CLASS_KEYS_MAX 32u        /* attribute names a dict-backed class caches */
#define CLASS_MAX_SLOTS ((size_t)1 << 20)

typedef struct rci_class {
    rc_type type;            /* type.ob_base is this class object's header */
    rc_object *weaklist;     /* weak references to the class itself */
    rc_class_kind kind;
    uint32_t nslots;         /* 0 for RC_CLASS_DICT: slot_at relies on it */
    rc_object **slot_names;  /* RC_CLASS_SLOTS: nslots interned strs (owned) */
    rc_object **keys;        /* RC_CLASS_DICT: attribute names seen (owned) */
    uint32_t nkeys, keys_cap;
    char *name_buf;          /* type.name points here (rc_mem block) */
} rci_class;

typedef struct attr_entry {
    rc_object *name;         /* str, interned when stored (owned) */
    rc_object *value;        /* owned */
} attr_entry;

typedef struct attr_table {
    uint32_t used, cap;
    attr_entry e[];          /* cap entries, then the index when cap > 8 */
} attr_table;

typedef struct dict_instance {
    rc_object ob;
    attr_table *table;       /* NULL while the instance has no attribute */
    /* rc_object *weaklist;     when the class has weak references */
} dict_instance;

typedef struct slots_instance {
    rc_object ob;
    rc_object *slots[];      /* nslots; NULL = unset */
    /* rc_object *weaklist;     after the slots, when weak references are on */
} slots_instance;

/* Error paths of the by-index accessors, kept out of line so that the fast
 * paths need no stack frame. */
#if defined(__GNUC__) || defined(__clang__)
#define CLASS_COLD __attribute__((cold, noinline))
#else
#define CLASS_COLD
#endif

#define AS_CLASS(t) ((rci_class *)(uintptr_t)(t))
#define CLASS_OF(op) AS_CLASS(((const rc_object *)(op))->type)
#define AS_STR(op) ((rci_str *)(op))

static void class_dealloc(rc_object *self);
static rc_object *class_repr(rc_object *self);
static intptr_t class_extra_size(const rc_object *self);

const rc_type rc_class_type = {
    .ob_base = RC_STATIC_TYPE_HEAD,
    .name = "type",
    .basic_size = sizeof(rci_class),
    .flags = RC_TYPE_IMMORTAL | RC_TYPE_GC | RC_TYPE_TRACK | RC_TYPE_WEAKREF,
    .dealloc = class_dealloc,
    .repr = class_repr,
    .weaklist_offset = offsetof(rci_class, weaklist),
    .extra_size = class_extra_size,
};

static int is_class(const void *op) {
    return op && ((const rc_object *)op)->type == &rc_class_type;
}

int rc_is_instance(const void *op) {
    return op && ((const rc_object *)op)->type->ob_base.type == &rc_class_type;
}

/* A str object's bytes equal name[0..len). */
static int str_matches(const rc_object *s, const char *name, size_t len) {
    const rci_str *p = (const rci_str *)s;
    return (size_t)p->ob.size == len && memcmp(p->data, name, len) == 0;
}

/* ------------------------------------------------------------ classes */

void rc_class_options_init(rc_class_options *opts) {
    if (!opts)
        return;
    memset(opts, 0, sizeof *opts);
    opts->kind = RC_CLASS_DICT;
    opts->weakrefs = 1;
}

static void class_dealloc(rc_object *self) {
    rci_class *c = (rci_class *)self;
    for (uint32_t i = 0; c->slot_names && i < c->nslots; i++)
        rc_xdecref(c->slot_names[i]);
    rc_mem_free(c->slot_names);
    c->slot_names = NULL;
    for (uint32_t i = 0; i < c->nkeys; i++)
        rc_decref(c->keys[i]);
    rc_mem_free(c->keys);
    c->keys = NULL;
    c->nkeys = c->keys_cap = 0;
    rc_mem_free(c->name_buf);
    c->name_buf = NULL;
    c->type.name = NULL;
}

static rc_object *class_repr(rc_object *self) {
    return rc_str_from_fmt("<class '%s'>", ((rci_class *)self)->type.name);
}

static intptr_t class_extra_size(const rc_object *self) {
    const rci_class *c = (const rci_class *)self;
    size_t n = c->name_buf ? strlen(c->name_buf) + 1 : 0;
    if (c->slot_names)
        n += c->nslots * sizeof(rc_object *);
    n += c->keys_cap * sizeof(rc_object *);
    return (intptr_t)n;
}

/* CPython: __slots__ items must be identifiers.  ASCII letters, digits and
 * '_' (not starting with a digit), plus any non-ASCII byte (the str
 * constructor checks the UTF-8). */
static int is_identifier(const char *s) {
    const unsigned char *p = (const unsigned char *)s;
    if (!*p || (*p >= '0' && *p <= '9'))
        return 0;
    for (; *p; p++) {
        unsigned c = *p;
        if (!(c == '_' || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
              (c >= '0' && c <= '9') || c >= 0x80))
            return 0;
    }
    return 1;
}

static int check_options(const char *name, const rc_class_options *o) {
    if (!name)
        return rc_error_set(RC_ERR_INVALID, "rc_class_new: name is NULL");
    if (!*name)
        return rc_error_set(RC_ERR_VALUE, "rc_class_new: the class name is empty");
    if (o->kind == RC_CLASS_DICT) {
        if (o->slots || o->nslots)
            return rc_error_set(RC_ERR_VALUE, "rc_class_new: class '%s' is dict-backed "
                                "(RC_CLASS_DICT) but slots were given", name);
        return 0;
    }
    if (o->kind != RC_CLASS_SLOTS)
        return rc_error_set(RC_ERR_VALUE, "rc_class_new: class '%s': unknown kind %d",
                            name, (int)o->kind);
    if (o->nslots && !o->slots)
        return rc_error_set(RC_ERR_VALUE, "rc_class_new: class '%s': nslots is %zu but "
                            "slots is NULL", name, o->nslots);
    if (o->nslots > CLASS_MAX_SLOTS)
        return rc_error_set(RC_ERR_VALUE, "rc_class_new: class '%s': %zu slots (at most "
                            "%zu)", name, o->nslots, CLASS_MAX_SLOTS);
    for (size_t i = 0; i < o->nslots; i++) {
        const char *s = o->slots[i];
        if (!s || !*s)
            return rc_error_set(RC_ERR_VALUE, "rc_class_new: class '%s': slot %zu is %s",
                                name, i, s ? "empty" : "NULL");
        if (!strcmp(s, "__dict__") || !strcmp(s, "__weakref__"))
            return rc_error_set(RC_ERR_VALUE, "rc_class_new: class '%s': '%s' in slots "
                                "is not supported (use kind RC_CLASS_DICT or "
                                "options.weakrefs)", name, s);
        if (!is_identifier(s))
            return rc_error_set(RC_ERR_VALUE, "rc_class_new: class '%s': __slots__ must "
                                "be identifiers, got '%s'", name, s);
    }
    /* duplicates: quadratic, but classes are made once and slots are few */
    if (o->nslots <= 64) {
        for (size_t i = 0; i < o->nslots; i++)
            for (size_t j = 0; j < i; j++)
                if (!strcmp(o->slots[i], o->slots[j]))
                    return rc_error_set(RC_ERR_VALUE, "rc_class_new: class '%s': "
                                        "duplicate slot name '%s'", name, o->slots[i]);
    }
    return 0;
}

/* Duplicate check for many slots, once they are strs (hash + compare). */
static int check_duplicates_large(rci_class *c) {
    uint32_t n = c->nslots;
    if (n <= 64)
        return 0;
    size_t cap = 128;
    while (cap < (size_t)n * 2)
        cap <<= 1;
    int32_t *idx = rc_mem_malloc(cap * sizeof *idx);
    if (!idx)
        return -1;
    memset(idx, 0xff, cap * sizeof *idx);
    int rc = 0;
    for (uint32_t i = 0; i < n && rc == 0; i++) {
        rc_object *s = c->slot_names[i];
        size_t j = (size_t)(uint64_t)rc_hash(s) & (cap - 1);
        for (; idx[j] >= 0; j = (j + 1) & (cap - 1)) {
            rc_object *t = c->slot_names[idx[j]];
            if (rc_eq(s, t) == 1) {
                rc = rc_error_set(RC_ERR_VALUE, "rc_class_new: class '%s': duplicate "
                                  "slot name '%s'", c->type.name, rc_str_utf8(s));
                break;
            }
        }
        idx[j] = (int32_t)i;
    }
    rc_mem_free(idx);
    return rc;
}

static void instance_dict_dealloc(rc_object *self);
static int instance_dict_traverse(rc_object *self, rc_visitproc visit, void *arg);
static int instance_dict_clear(rc_object *self);
static intptr_t instance_dict_extra_size(const rc_object *self);
static void instance_slots_dealloc(rc_object *self);
static int instance_slots_traverse(rc_object *self, rc_visitproc visit, void *arg);
static int instance_slots_clear(rc_object *self);

rc_object *rc_class_new(const char *name, const rc_class_options *opts) {
    rc_class_options defaults;
    if (!opts) {
        rc_class_options_init(&defaults);
        opts = &defaults;
    }
    if (check_options(name, opts) < 0)
        return NULL;
    rci_class *c = rc_object_new(&rc_class_type);
    if (!c)
        return NULL;
    /* Zeroed by rc_object_new; type.ob_base is the class's own header and
     * must stay as it is.  A failure below drops the half-made class, whose
     * dealloc copes with any field still NULL. */
    size_t namelen = strlen(name);
    c->name_buf = rc_mem_malloc(namelen + 1);
    if (!c->name_buf)
        goto fail;
    memcpy(c->name_buf, name, namelen + 1);
    c->type.name = c->name_buf;
    c->kind = opts->kind;
    int weak = opts->weakrefs != 0;
    size_t size;
    if (opts->kind == RC_CLASS_SLOTS) {
        c->nslots = (uint32_t)opts->nslots;
        if (c->nslots) {
            c->slot_names = rc_mem_calloc(c->nslots, sizeof(rc_object *));
            if (!c->slot_names)
                goto fail;
            for (uint32_t i = 0; i < c->nslots; i++) {
                c->slot_names[i] = rc_str_intern_from(opts->slots[i]);
                if (!c->slot_names[i])
                    goto fail;   /* RC_ERR_VALUE (bad UTF-8) or RC_ERR_NOMEM */
            }
            if (check_duplicates_large(c) < 0)
                goto fail;
        }
        size = sizeof(slots_instance) + c->nslots * sizeof(rc_object *);
        c->type.traverse = instance_slots_traverse;
        c->type.clear = instance_slots_clear;
        c->type.dealloc = instance_slots_dealloc;
    } else {
        size = sizeof(dict_instance);
        c->type.traverse = instance_dict_traverse;
        c->type.clear = instance_dict_clear;
        c->type.dealloc = instance_dict_dealloc;
        c->type.extra_size = instance_dict_extra_size;
    }
    c->type.flags = RC_TYPE_GC | RC_TYPE_TRACK;
    if (weak) {
        c->type.flags |= RC_TYPE_WEAKREF;
        c->type.weaklist_offset = size;
        size += sizeof(rc_object *);
    }
    c->type.basic_size = size;
    c->type.item_size = 0;
    /* A slots instance's references are exactly the pointer words after
     * its header (before the weaklist word) plus its class, which is what
     * instance_slots_traverse visits: the collector may read them inline. */
    if (opts->kind == RC_CLASS_SLOTS)
        c->type.flags |= RCI_TYPE_GC_INLINE_REFS;
    c->type.finalize = opts->finalize;
    c->type.del = opts->del;
    /* hash, eq, repr stay NULL: identity, and "<Node object at 0x...>" */
    return &c->type.ob_base;
fail:
    rc_decref(c);
    return NULL;
}

const char *rc_class_name(const void *cls) {
    if (!is_class(cls))
        return rci_type_error_null("rc_class_name", "a class", cls);
    return ((const rci_class *)cls)->type.name;
}

rc_object *rc_new_instance(void *cls) {
    if (!is_class(cls))
        return rci_type_error_null("rc_new_instance", "a class", cls);
    /* Zeroed (no table, every slot unset), tracked, and holding a
     * reference to the class (heap types are increfed); the class's type
     * is valid by construction, so the descriptor checks are skipped. */
    return rci_gc_object_new(&((rci_class *)cls)->type);
}

/* The interned str for an attribute name of class c (new reference): from
 * the class's cache of names its instances use, else interned and, while
 * the cache has room, remembered there. */
static rc_object *class_key(rci_class *c, const char *name, size_t len) {
    for (uint32_t i = 0; i < c->nkeys; i++)
        if (str_matches(c->keys[i], name, len))
            return rc_newref(c->keys[i]);
    rc_object *s = rc_str_from_utf8(name, len);
    if (!s)
        return NULL;
    rc_object *key = rc_str_intern(s);
    rc_decref(s);
    if (!key || c->nkeys >= CLASS_KEYS_MAX)
        return key;
    if (c->nkeys == c->keys_cap) {
        uint32_t cap = c->keys_cap ? c->keys_cap * 2 : 4;
        rc_object **k = rc_mem_realloc(c->keys, cap * sizeof *k);
        if (!k) {
            rc_decref(key);
            return NULL;
        }
        c->keys = k;
        c->keys_cap = cap;
    }
    c->keys[c->nkeys++] = rc_newref(key);
    return key;
}

/* ------------------------------------------------------- attribute table */

static size_t table_bytes(uint32_t cap) {
    size_t n = sizeof(attr_table) + (size_t)cap * sizeof(attr_entry);
    if (cap > ATTR_LINEAR_MAX)
        n += (size_t)cap * 2 * sizeof(int32_t);
    return n;
}

static int32_t *table_index(attr_table *t) { return (int32_t *)(t->e + t->cap); }

static void index_place(attr_table *t, int64_t hash, uint32_t i) {
    int32_t *idx = table_index(t);
    size_t mask = (size_t)t->cap * 2 - 1;
    size_t j = (size_t)(uint64_t)hash & mask;
    while (idx[j] >= 0)
        j = (j + 1) & mask;
    idx[j] = (int32_t)i;
}

/* The index hashes names with rci_hash_bytes on both sides (stored names
 * and looked-up C strings), independent of how str caches its hash. */
static void index_rebuild(attr_table *t) {
    memset(table_index(t), 0xff, (size_t)t->cap * 2 * sizeof(int32_t));
    for (uint32_t i = 0; i < t->used; i++) {
        const rci_str *s = AS_STR(t->e[i].name);
        index_place(t, rci_hash_bytes(s->data, (size_t)s->ob.size), i);
    }
}

/* A name being looked up; its hash is computed on first need (only
 * indexed tables use it). */
typedef struct lookup_key {
    const char *name;
    size_t len;
    int64_t hash;
    int hashed;
} lookup_key;

static int64_t key_hash(lookup_key *k) {
    if (!k->hashed) {
        k->hash = rci_hash_bytes(k->name, k->len);
        k->hashed = 1;
    }
    return k->hash;
}

/* Position of the name in t, or -1. */
static intptr_t table_find(attr_table *t, lookup_key *k) {
    if (!t)
        return -1;
    if (t->cap <= ATTR_LINEAR_MAX) {
        for (uint32_t i = 0; i < t->used; i++)
            if (str_matches(t->e[i].name, k->name, k->len))
                return i;
        return -1;
    }
    int32_t *idx = table_index(t);
    size_t mask = (size_t)t->cap * 2 - 1;
    for (size_t j = (size_t)(uint64_t)key_hash(k) & mask; idx[j] >= 0; j = (j + 1) & mask)
        if (str_matches(t->e[idx[j]].name, k->name, k->len))
            return idx[j];
    return -1;
}

/* Make room for one more entry in the instance's table. */
static int table_reserve(dict_instance *inst) {
    attr_table *t = inst->table;
    if (t && t->used < t->cap)
        return 0;
    uint32_t cap = t ? t->cap * 2 : ATTR_INITIAL_CAP;
    if (t && t->cap >= (UINT32_C(1) << 29))
        return rc_error_set(RC_ERR_OVERFLOW, "too many attributes on a '%s' object",
                            rc_type_name(inst));
    attr_table *n = rc_mem_realloc(t, table_bytes(cap));
    if (!n)
        return -1;
    if (!t)
        n->used = 0;
    n->cap = cap;
    if (cap > ATTR_LINEAR_MAX)
        index_rebuild(n);
    inst->table = n;
    return 0;
}

/* ---------------------------------------------------------- instances */

static int instance_dict_traverse(rc_object *self, rc_visitproc visit, void *arg) {
    attr_table *t = ((dict_instance *)self)->table;
    if (t) {
        for (uint32_t i = 0; i < t->used; i++) {
            int r = visit(t->e[i].value, arg);
            if (r)
                return r;
        }
    }
    /* As CPython's subtype_traverse does for heap types: the instance's
     * reference to its class is a real reference the collector must count. */
    return visit((rc_object *)(uintptr_t)self->type, arg);
}

static int instance_dict_clear(rc_object *self) {
    dict_instance *inst = (dict_instance *)self;
    attr_table *t = inst->table;
    if (!t)
        return 0;
    /* Detach first: dropping a value may run code that looks at (or sets
     * attributes on) this instance; it then sees an empty instance. */
    inst->table = NULL;
    for (uint32_t i = 0; i < t->used; i++) {
        rc_decref(t->e[i].value);
        rc_decref(t->e[i].name);
    }
    rc_mem_free(t);
    return 0;
}

static void instance_dict_dealloc(rc_object *self) {
    instance_dict_clear(self);
    /* a finalizer run while the table was being emptied may have set new
     * attributes; drop those too */
    while (((dict_instance *)self)->table)
        instance_dict_clear(self);
}

static intptr_t instance_dict_extra_size(const rc_object *self) {
    const attr_table *t = ((const dict_instance *)self)->table;
    return t ? (intptr_t)table_bytes(t->cap) : 0;
}

static int instance_slots_traverse(rc_object *self, rc_visitproc visit, void *arg) {
    slots_instance *inst = (slots_instance *)self;
    uint32_t n = CLASS_OF(self)->nslots;
    for (uint32_t i = 0; i < n; i++) {
        if (inst->slots[i]) {
            int r = visit(inst->slots[i], arg);
            if (r)
                return r;
        }
    }
    return visit((rc_object *)(uintptr_t)self->type, arg);
}

static int instance_slots_clear(rc_object *self) {
    slots_instance *inst = (slots_instance *)self;
    uint32_t n = CLASS_OF(self)->nslots;
    for (uint32_t i = 0; i < n; i++)
        rc_clear(&inst->slots[i]);
    return 0;
}

static void instance_slots_dealloc(rc_object *self) { instance_slots_clear(self); }

/* The slot index of name in class c, or -1.  Slot names are identifiers
 * (no NUL inside) stored NUL-terminated, so strcmp is an exact comparison
 * and the name's length is never needed; checking the first byte inline
 * skips the call for most non-matching slots. */
static intptr_t slot_find(const rci_class *c, const char *name) {
    for (uint32_t i = 0; i < c->nslots; i++) {
        const char *s = AS_STR(c->slot_names[i])->data;
        if (s[0] == name[0] && strcmp(s, name) == 0)
            return i;
    }
    return -1;
}

static int no_attribute(const void *obj, const char *name) {
    return rc_error_set(RC_ERR_ATTRIBUTE, "'%s' object has no attribute '%s'",
                        rc_type_name(obj), name);
}

/* Common argument checks; 0 or -1 with the error. */
static int check_args(const char *fn, const void *obj, const char *name) {
    if (!rc_is_instance(obj)) {
        if (!obj)
            return rc_error_set(RC_ERR_INVALID, "%s: NULL object", fn);
        return rci_type_error(fn, "an instance of a class made by rc_class_new", obj);
    }
    if (!name)
        return rc_error_set(RC_ERR_INVALID, "%s: attribute name is NULL", fn);
    return 0;
}

int rc_setattr(void *obj, const char *name, void *value) {
    if (check_args("rc_setattr", obj, name) < 0)
        return -1;
    if (!value)
        return rc_error_set(RC_ERR_INVALID, "rc_setattr: value is NULL (use rc_delattr)");
    rci_class *c = CLASS_OF(obj);
    if (c->kind == RC_CLASS_SLOTS) {
        intptr_t i = slot_find(c, name);
        if (i < 0)
            return no_attribute(obj, name);
        rc_incref(value);
        rc_setref(&((slots_instance *)obj)->slots[i], value);
        return 0;
    }
    dict_instance *inst = obj;
    lookup_key k = {name, strlen(name), 0, 0};
    intptr_t i = table_find(inst->table, &k);
    if (i >= 0) {
        rc_incref(value);
        rc_setref(&inst->table->e[i].value, value);   /* the old value goes last */
        return 0;
    }
    rc_object *key = class_key(c, name, k.len);
    if (!key)
        return -1;
    if (table_reserve(inst) < 0) {
        rc_decref(key);
        return -1;
    }
    attr_table *t = inst->table;
    uint32_t at = t->used++;
    t->e[at].name = key;
    t->e[at].value = rc_newref(value);
    if (t->cap > ATTR_LINEAR_MAX)
        index_place(t, key_hash(&k), at);
    return 0;
}

rc_object *rc_getattr_borrowed(const void *obj, const char *name) {
    if (check_args("rc_getattr", obj, name) < 0)
        return NULL;
    rci_class *c = CLASS_OF(obj);
    rc_object *v = NULL;
    if (c->kind == RC_CLASS_SLOTS) {
        intptr_t i = slot_find(c, name);
        if (i >= 0)
            v = ((const slots_instance *)obj)->slots[i];
    } else {
        const dict_instance *inst = obj;
        lookup_key k = {name, strlen(name), 0, 0};
        intptr_t i = table_find(inst->table, &k);
        if (i >= 0)
            v = inst->table->e[i].value;
    }
    if (!v)
        no_attribute(obj, name);
    return v;
}

rc_object *rc_getattr(const void *obj, const char *name) {
    rc_object *v = rc_getattr_borrowed(obj, name);
    return v ? rc_newref(v) : NULL;
}

int rc_delattr(void *obj, const char *name) {
    if (check_args("rc_delattr", obj, name) < 0)
        return -1;
    rci_class *c = CLASS_OF(obj);
    if (c->kind == RC_CLASS_SLOTS) {
        intptr_t i = slot_find(c, name);
        slots_instance *inst = obj;
        if (i < 0 || !inst->slots[i])
            return no_attribute(obj, name);
        rc_clear(&inst->slots[i]);
        return 0;
    }
    dict_instance *inst = obj;
    lookup_key k = {name, strlen(name), 0, 0};
    intptr_t i = table_find(inst->table, &k);
    if (i < 0)
        return no_attribute(obj, name);
    attr_table *t = inst->table;
    rc_object *key = t->e[i].name, *value = t->e[i].value;
    memmove(&t->e[i], &t->e[i + 1], (t->used - (size_t)i - 1) * sizeof(attr_entry));
    t->used--;
    if (t->used == 0) {
        inst->table = NULL;
        rc_mem_free(t);
    } else if (t->cap > ATTR_LINEAR_MAX) {
        index_rebuild(t);
    }
    /* the table is consistent before anything can run */
    rc_decref(key);
    rc_decref(value);
    return 0;
}

int rc_hasattr(const void *obj, const char *name) {
    if (check_args("rc_hasattr", obj, name) < 0)
        return -1;
    rci_class *c = CLASS_OF(obj);
    if (c->kind == RC_CLASS_SLOTS) {
        intptr_t i = slot_find(c, name);
        return i >= 0 && ((const slots_instance *)obj)->slots[i] != NULL;
    }
    lookup_key k = {name, strlen(name), 0, 0};
    return table_find(((const dict_instance *)obj)->table, &k) >= 0;
}

/* ------------------------------------------------------- slots by index */

intptr_t rc_class_slot_index(const void *cls, const char *name) {
    if (!is_class(cls))
        return rci_type_error("rc_class_slot_index", "a class", cls);
    if (!name)
        return rc_error_set(RC_ERR_INVALID, "rc_class_slot_index: slot name is NULL");
    const rci_class *c = cls;
    if (c->kind != RC_CLASS_SLOTS)
        return rc_error_set(RC_ERR_TYPE, "rc_class_slot_index: class '%s' is dict-backed "
                            "and has no slots", c->type.name);
    intptr_t i = slot_find(c, name);
    if (i < 0)
        return rc_error_set(RC_ERR_ATTRIBUTE, "type object '%s' has no slot '%s'",
                            c->type.name, name);
    return i;
}

/* The address of slot `index` of obj, or NULL if obj is not an instance
 * with such a slot.  This is the only check on the by-index paths: a
 * non-instance fails the metatype compare, and since a dict-backed class
 * has nslots == 0 (never set for RC_CLASS_DICT), one unsigned compare
 * rejects both those classes and any index outside 0..nslots-1 of obj's
 * own class.  slot_error says which case it was. */
static inline rc_object **slot_at(const void *obj, intptr_t index) {
    if (RC_LIKELY(obj != NULL)) {
        const rc_type *t = ((const rc_object *)obj)->type;
        if (RC_LIKELY(t->ob_base.type == &rc_class_type &&
                      (uintptr_t)index < AS_CLASS(t)->nslots))
            return &((slots_instance *)(uintptr_t)obj)->slots[index];
    }
    return NULL;
}

/* Why slot_at(obj, index) failed, as an error; returns -1. */
static CLASS_COLD int slot_error(const char *fn, const void *obj, intptr_t index) {
    if (!obj)
        return rc_error_set(RC_ERR_INVALID, "%s: NULL object", fn);
    if (!rc_is_instance(obj))
        return rci_type_error(fn, "an instance of a class made by rc_class_new", obj);
    const rci_class *c = CLASS_OF(obj);
    if (c->kind != RC_CLASS_SLOTS)
        return rc_error_set(RC_ERR_TYPE, "%s: '%s' objects are dict-backed and have "
                            "no slots", fn, c->type.name);
    return rc_error_set(RC_ERR_INDEX, "%s: slot index %ld is out of range for '%s' "
                        "(%u slots)", fn, (long)index, c->type.name, (unsigned)c->nslots);
}

/* Reading or deleting slot `index` of obj, which is not set: the
 * AttributeError rc_getattr gives for the slot's name. */
static CLASS_COLD int slot_unset(const void *obj, intptr_t index) {
    return no_attribute(obj, rc_str_utf8(CLASS_OF(obj)->slot_names[index]));
}

/* rc_getslot's error: why (obj, index) has no value (reached by a tail
 * call). */
static CLASS_COLD rc_object *getslot_failed(const void *obj, intptr_t index) {
    if (slot_at(obj, index))
        slot_unset(obj, index);
    else
        slot_error("rc_getslot", obj, index);
    return NULL;
}

rc_object *rc_getslot_borrowed(const void *obj, intptr_t index) {
    rc_object **p = slot_at(obj, index);
    if (RC_LIKELY(p && *p))
        return *p;
    return getslot_failed(obj, index);
}

rc_object *rc_getslot(const void *obj, intptr_t index) {
    rc_object *v = rc_getslot_borrowed(obj, index);
    return v ? rc_newref(v) : NULL;
}

int rc_setslot(void *obj, intptr_t index, void *value) {
    rc_object **p = slot_at(obj, index);
    if (RC_UNLIKELY(!p))
        return slot_error("rc_setslot", obj, index);
    if (RC_UNLIKELY(!value))
        return rc_error_set(RC_ERR_INVALID, "rc_setslot: value is NULL (use rc_delslot)");
    rc_incref(value);
    rc_setref(p, value);   /* the old value goes last, once the slot is set */
    return 0;
}

int rc_delslot(void *obj, intptr_t index) {
    rc_object **p = slot_at(obj, index);
    if (RC_UNLIKELY(!p))
        return slot_error("rc_delslot", obj, index);
    if (!*p)
        return slot_unset(obj, index);
    rc_clear(p);
    return 0;
}
