/*
 * str.c - immutable UTF-8 strings with a cached hash, and interning.
 *
 * "" and the 128 one-character ASCII strings are static immortal singletons
 * shared by every heap (CPython keeps latin-1 characters; we keep ASCII
 * because our strings are UTF-8).  Their hash is recomputed on demand rather
 * than cached, so shared static memory is never written.  Input is checked
 * strictly: overlong forms, surrogates and code points past U+10FFFF are
 * rejected with the offset of the bad byte.
 *
 * Interning: each heap keeps an open-addressing table of its interned
 * strings; the table owns one reference to each, so interned strings live
 * until the heap is destroyed or its caches are cleared (CPython 3.11/3.13
 * behaviour: mortal, but kept alive by the table).
 */
#include "types.h"
#include <stdarg.h>

static int64_t str_hash(rc_object *self);
static int str_eq(rc_object *self, rc_object *other);
static rc_object *str_repr(rc_object *self);

const rc_type rc_str_type = {
    .ob_base = RC_STATIC_TYPE_HEAD, .name = "str",
    .basic_size = sizeof(rci_str) + 1,   /* + the terminating NUL */
    .item_size = 1, .flags = RC_TYPE_IMMORTAL | RC_TYPE_VAR,
    .hash = str_hash, .eq = str_eq, .repr = str_repr,
};

/* ------------------------------------------------------------ singletons */

typedef struct static_str {   /* rci_str with room for one character */
    rc_varobject ob;
    int64_t hash;
    intptr_t nchars;
    uint32_t interned, ascii;
    char data[2];
} static_str;

#define SS(c) {{RC_STATIC_OBJECT_INIT(&rc_str_type), 1}, -1, 1, 1, 1, {(char)(c), 0}}
#define SS4(c) SS(c), SS((c) + 1), SS((c) + 2), SS((c) + 3)
#define SS16(c) SS4(c), SS4((c) + 4), SS4((c) + 8), SS4((c) + 12)
#define SS64(c) SS16(c), SS16((c) + 16), SS16((c) + 32), SS16((c) + 48)
static static_str ascii_chars[128] = {SS64(0), SS64(64)};
static static_str empty_str = {{RC_STATIC_OBJECT_INIT(&rc_str_type), 0}, -1, 0, 1, 1, {0, 0}};

#define AS_STR(op) ((rci_str *)(op))

/* ------------------------------------------------------------ validation */

/* Check that s[0..n) is UTF-8; return the number of code points, or -1 and
 * the offset of the first bad byte in *bad. */
static intptr_t utf8_count(const unsigned char *s, size_t n, size_t *bad, int *ascii) {
    intptr_t count = 0;
    size_t i = 0;
    *ascii = 1;
    while (i < n) {
        unsigned c = s[i];
        if (c < 0x80) {
            i++;
            count++;
            continue;
        }
        *ascii = 0;
        size_t len;
        unsigned cp, min;
        if ((c & 0xE0) == 0xC0) { len = 2; cp = c & 0x1F; min = 0x80; }
        else if ((c & 0xF0) == 0xE0) { len = 3; cp = c & 0x0F; min = 0x800; }
        else if ((c & 0xF8) == 0xF0) { len = 4; cp = c & 0x07; min = 0x10000; }
        else { *bad = i; return -1; }
        if (i + len > n) { *bad = i; return -1; }
        for (size_t k = 1; k < len; k++) {
            if ((s[i + k] & 0xC0) != 0x80) { *bad = i + k; return -1; }
            cp = (cp << 6) | (s[i + k] & 0x3F);
        }
        if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) { *bad = i; return -1; }
        i += len;
        count++;
    }
    return count;
}

/* ------------------------------------------------------------ creation */

rc_object *rc_str_from_utf8(const char *s, size_t n) {
    if (!s && n)
        return rci_error_null(RC_ERR_INVALID, "rc_str_from_utf8: NULL text of length %zu", n);
    if (n == 0)
        return &empty_str.ob.base;
    if (n == 1 && (unsigned char)s[0] < 128)
        return &ascii_chars[(unsigned char)s[0]].ob.base;
    if (n > (size_t)INTPTR_MAX / 2)
        return rci_error_null(RC_ERR_OVERFLOW, "string of %zu bytes is too long", n);
    size_t bad = 0;
    int ascii;
    intptr_t nchars = utf8_count((const unsigned char *)s, n, &bad, &ascii);
    if (nchars < 0)
        return rci_error_null(RC_ERR_VALUE, "invalid UTF-8: bad byte 0x%02x at offset %zu",
                              (unsigned char)s[bad], bad);
    rci_str *o = rc_varobject_new(&rc_str_type, (intptr_t)n);
    if (!o)
        return NULL;
    memcpy(o->data, s, n);
    o->data[n] = '\0';
    o->hash = -1;
    o->nchars = nchars;
    o->ascii = (uint32_t)ascii;
    o->interned = 0;
    return &o->ob.base;
}

rc_object *rc_str_from(const char *s) {
    if (!s)
        return rci_error_null(RC_ERR_INVALID, "rc_str_from: NULL string");
    return rc_str_from_utf8(s, strlen(s));
}

rc_object *rc_str_from_fmt(const char *fmt, ...) {
    char tmp[256];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(tmp, sizeof tmp, fmt, ap);
    va_end(ap);
    if (n < 0)
        return rci_error_null(RC_ERR_VALUE, "rc_str_from_fmt: bad format");
    if ((size_t)n < sizeof tmp)
        return rc_str_from_utf8(tmp, (size_t)n);
    char *big = rc_mem_malloc((size_t)n + 1);
    if (!big)
        return NULL;
    va_start(ap, fmt);
    vsnprintf(big, (size_t)n + 1, fmt, ap);
    va_end(ap);
    rc_object *r = rc_str_from_utf8(big, (size_t)n);
    rc_mem_free(big);
    return r;
}

/* ------------------------------------------------------------ accessors */

static int is_str(const void *op) { return op && ((const rc_object *)op)->type == &rc_str_type; }

const char *rc_str_utf8(const void *op) {
    if (!is_str(op))
        return rci_type_error_null("rc_str_utf8", "str", op);
    return AS_STR(op)->data;
}

intptr_t rc_str_len(const void *op) {
    if (!is_str(op))
        return rci_type_error("rc_str_len", "str", op);
    return AS_STR(op)->nchars;
}

intptr_t rc_str_byte_len(const void *op) {
    if (!is_str(op))
        return rci_type_error("rc_str_byte_len", "str", op);
    return AS_STR(op)->ob.size;
}

rc_object *rc_str_concat(const void *a, const void *b) {
    if (!is_str(a))
        return rci_type_error_null("rc_str_concat", "str", a);
    if (!is_str(b))
        return rci_type_error_null("rc_str_concat", "str", b);
    size_t na = (size_t)AS_STR(a)->ob.size, nb = (size_t)AS_STR(b)->ob.size;
    if (nb == 0)
        return rc_newref((void *)a);
    if (na == 0)
        return rc_newref((void *)b);
    rci_str *o = rc_varobject_new(&rc_str_type, (intptr_t)(na + nb));
    if (!o)
        return NULL;
    memcpy(o->data, AS_STR(a)->data, na);
    memcpy(o->data + na, AS_STR(b)->data, nb);
    o->data[na + nb] = '\0';
    o->hash = -1;
    o->nchars = AS_STR(a)->nchars + AS_STR(b)->nchars;
    o->ascii = AS_STR(a)->ascii & AS_STR(b)->ascii;
    o->interned = 0;
    return &o->ob.base;
}

/* ------------------------------------------------------------ hooks */

static int64_t str_hash(rc_object *self) {
    rci_str *s = AS_STR(self);
    if (s->hash != -1)
        return s->hash;
    int64_t h = rci_hash_bytes(s->data, (size_t)s->ob.size);
    if (!rc_is_immortal(self))   /* static singletons are never written */
        s->hash = h;
    return h;
}

static int str_eq(rc_object *self, rc_object *other) {
    if (other->type != &rc_str_type)
        return 0;
    rci_str *a = AS_STR(self), *b = AS_STR(other);
    if (a->ob.size != b->ob.size)
        return 0;
    return memcmp(a->data, b->data, (size_t)a->ob.size) == 0;
}

/* Python's repr: single quotes unless the text has ' and no ". */
static rc_object *str_repr(rc_object *self) {
    rci_str *s = AS_STR(self);
    const unsigned char *p = (const unsigned char *)s->data;
    size_t n = (size_t)s->ob.size;
    char quote = (memchr(p, '\'', n) && !memchr(p, '"', n)) ? '"' : '\'';
    rci_sb sb;
    rci_sb_init(&sb);
    rci_sb_add(&sb, &quote, 1);
    for (size_t i = 0; i < n; i++) {
        unsigned char c = p[i];
        if (c == (unsigned char)quote || c == '\\') {
            char e[2] = {'\\', (char)c};
            rci_sb_add(&sb, e, 2);
        } else if (c == '\n') {
            rci_sb_adds(&sb, "\\n");
        } else if (c == '\r') {
            rci_sb_adds(&sb, "\\r");
        } else if (c == '\t') {
            rci_sb_adds(&sb, "\\t");
        } else if (c < 0x20 || c == 0x7f) {
            rci_sb_addf(&sb, "\\x%02x", c);
        } else {
            rci_sb_add(&sb, (const char *)&p[i], 1);
        }
    }
    rci_sb_add(&sb, &quote, 1);
    return rci_sb_finish(&sb);
}

/* ------------------------------------------------------------ interning */

static size_t slot_of(int64_t hash, size_t mask) { return (size_t)(uint64_t)hash & mask; }

/* The interned string equal to s, or NULL. */
static rc_object *intern_lookup(rci_types_state *st, rci_str *s, int64_t hash) {
    if (!st->intern)
        return NULL;
    size_t mask = st->intern_cap - 1;
    for (size_t i = slot_of(hash, mask);; i = (i + 1) & mask) {
        rci_str *e = (rci_str *)st->intern[i];
        if (!e)
            return NULL;
        if (e->hash == hash && e->ob.size == s->ob.size &&
            memcmp(e->data, s->data, (size_t)s->ob.size) == 0)
            return &e->ob.base;
    }
}

static void intern_place(rc_object **table, size_t cap, rc_object *s) {
    size_t mask = cap - 1;
    size_t i = slot_of(AS_STR(s)->hash, mask);
    while (table[i])
        i = (i + 1) & mask;
    table[i] = s;
}

static int intern_grow(rci_types_state *st) {
    size_t cap = st->intern_cap ? st->intern_cap * 2 : 64;
    rc_object **t = rc_mem_calloc(cap, sizeof *t);
    if (!t)
        return -1;
    for (size_t i = 0; i < st->intern_cap; i++)
        if (st->intern[i])
            intern_place(t, cap, st->intern[i]);
    rc_mem_free(st->intern);
    st->intern = t;
    st->intern_cap = cap;
    return 0;
}

rc_object *rc_str_intern(void *op) {
    if (!is_str(op))
        return rci_type_error_null("rc_str_intern", "str", op);
    if (rc_is_immortal(op))           /* "" and one-character ASCII */
        return op;
    rci_str *s = AS_STR(op);
    if (s->interned)
        return rc_newref(op);
    rc_heap *h = rci_current_heap;
    if (!h)
        return rci_error_null(RC_ERR_STATE, "rc_str_intern: no heap is bound");
    rci_types_state *st = RCI_TYPES(h);
    int64_t hash = str_hash(op);
    rc_object *found = intern_lookup(st, s, hash);
    if (found)
        return rc_newref(found);
    if ((st->intern_used + 1) * 3 > st->intern_cap * 2 && intern_grow(st) < 0)
        return NULL;
    intern_place(st->intern, st->intern_cap, op);
    st->intern_used++;
    s->interned = 1;
    rc_incref(op);                    /* the table's reference */
    return rc_newref(op);
}

rc_object *rc_str_intern_from(const char *text) {
    rc_object *s = rc_str_from(text);
    if (!s)
        return NULL;
    rc_object *r = rc_str_intern(s);
    rc_decref(s);
    return r;
}

int rc_str_is_interned(const void *op) {
    if (!is_str(op))
        return rci_type_error("rc_str_is_interned", "str", op);
    return AS_STR(op)->interned != 0;
}

void rci_intern_clear(rc_heap *h) {
    rci_types_state *st = RCI_TYPES(h);
    rc_object **table = st->intern;
    size_t cap = st->intern_cap;
    st->intern = NULL;
    st->intern_cap = st->intern_used = 0;
    for (size_t i = 0; i < cap; i++) {
        if (table[i]) {
            AS_STR(table[i])->interned = 0;
            rc_decref(table[i]);
        }
    }
    rc_mem_free(table);
}
