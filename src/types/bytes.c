/*
 * bytes.c - immutable bytes and zero-copy views of them (the tutorials'
 * "views instead of copies": memoryview slicing).
 *
 * bytes: rci_bytes, a variable-size object whose items are the bytes, plus
 * a terminating NUL that is not part of the value (sizeof(b"") is 33, as in
 * CPython: 16 header + 8 size + 8 cached hash + 1).  b"" is one immortal
 * static object shared by every heap; its hash is recomputed on demand so
 * shared static memory is never written.
 *
 * views: rci_bytesview {header, base, ptr, len} - 40 bytes.  A view owns a
 * reference to the bytes object whose memory it shows; a view of a view
 * refers to the original bytes object, so chains of slices never keep
 * intermediate views alive.  Views are not GC objects: they can refer only
 * to a bytes object, which refers to nothing, so no cycle can pass through
 * one (CPython's memoryview is GC because it can wrap arbitrary buffer
 * exporters).  Their traverse still reports the base for the inspection
 * tools.  A view hashes and compares by content like a read-only
 * memoryview: hash(view) == hash(bytes with the same content), and a view
 * equals a bytes object or another view with the same bytes.
 */
#include "types.h"

static int64_t bytes_hash(rc_object *self);
static int bytes_eq(rc_object *self, rc_object *other);
static rc_object *bytes_repr(rc_object *self);
static int64_t view_hash(rc_object *self);
static int view_eq(rc_object *self, rc_object *other);
static rc_object *view_repr(rc_object *self);
static int view_traverse(rc_object *self, rc_visitproc visit, void *arg);
static void view_dealloc(rc_object *self);

const rc_type rc_bytes_type = {
    .ob_base = RC_STATIC_TYPE_HEAD, .name = "bytes",
    .basic_size = sizeof(rci_bytes) + 1,   /* + the terminating NUL */
    .item_size = 1, .flags = RC_TYPE_IMMORTAL | RC_TYPE_VAR,
    .hash = bytes_hash, .eq = bytes_eq, .repr = bytes_repr,
};

const rc_type rc_bytesview_type = {
    .ob_base = RC_STATIC_TYPE_HEAD, .name = "memoryview",
    .basic_size = sizeof(rci_bytesview),
    .flags = RC_TYPE_IMMORTAL,
    .traverse = view_traverse, .dealloc = view_dealloc,
    .hash = view_hash, .eq = view_eq, .repr = view_repr,
};

/* b"": the immortal empty bytes (rci_bytes with room for the NUL). */
static struct {
    rc_varobject ob;
    int64_t hash;
    char data[8];
} empty_bytes = {{RC_STATIC_OBJECT_INIT(&rc_bytes_type), 0}, -1, {0}};

#define AS_BYTES(op) ((rci_bytes *)(op))
#define AS_VIEW(op) ((rci_bytesview *)(op))

static int is_bytes(const void *op) { return op && RC_TYPE_CHECK(op, rc_bytes_type); }
static int is_view(const void *op) { return op && RC_TYPE_CHECK(op, rc_bytesview_type); }

/* ------------------------------------------------------------ construction */

rc_object *rc_bytes_from(const void *data, size_t n) {
    if (n == 0)
        return &empty_bytes.ob.base;
    if (!data)
        return rci_error_null(RC_ERR_INVALID, "rc_bytes_from: data is NULL with length %zu",
                              n);
    if (n > (size_t)INTPTR_MAX)
        return rci_error_null(RC_ERR_OVERFLOW, "rc_bytes_from: %zu bytes is too large", n);
    rci_bytes *b = rci_new_var(&rc_bytes_type, (intptr_t)n);
    if (!b)
        return NULL;
    b->hash = -1;
    memcpy(b->data, data, n);
    b->data[n] = '\0';
    return &b->ob.base;
}

/* ------------------------------------------------------------ access */

const char *rc_bytes_data(const void *op) {
    if (is_bytes(op))
        return AS_BYTES(op)->data;
    if (is_view(op))
        return AS_VIEW(op)->ptr;
    return rci_type_error_null("rc_bytes_data", "bytes or memoryview", op);
}

intptr_t rc_bytes_len(const void *op) {
    if (is_bytes(op))
        return AS_BYTES(op)->ob.size;
    if (is_view(op))
        return AS_VIEW(op)->len;
    return rci_type_error("rc_bytes_len", "bytes or memoryview", op);
}

/* The data and length of a bytes object or a view; 0 if op is neither. */
static int content_of(const rc_object *op, const char **p, intptr_t *n) {
    if (op->type == &rc_bytes_type) {
        *p = AS_BYTES(op)->data;
        *n = AS_BYTES(op)->ob.size;
        return 1;
    }
    if (op->type == &rc_bytesview_type) {
        *p = AS_VIEW(op)->ptr;
        *n = AS_VIEW(op)->len;
        return 1;
    }
    return 0;
}

rc_object *rc_bytes_view(void *op, intptr_t start, intptr_t len) {
    rc_object *base;
    const char *ptr;
    intptr_t size;
    if (is_bytes(op)) {
        base = op;
    } else if (is_view(op)) {
        base = AS_VIEW(op)->base;   /* a view of a view shows the original */
    } else {
        return rci_type_error_null("rc_bytes_view", "bytes or memoryview", op);
    }
    content_of(op, &ptr, &size);
    if (start < 0 || len < 0 || start > size || len > size - start)
        return rci_error_null(RC_ERR_INDEX, "rc_bytes_view: [%ld:%ld+%ld] is out of range "
                              "for a %s of length %ld", (long)start, (long)start, (long)len,
                              rc_type_name(op), (long)size);
    rci_bytesview *v = rci_new(&rc_bytesview_type);
    if (!v)
        return NULL;
    v->base = rc_newref(base);
    v->ptr = ptr + start;
    v->len = len;
    return &v->ob;
}

/* ------------------------------------------------------------ hooks */

static int64_t bytes_hash(rc_object *self) {
    rci_bytes *b = AS_BYTES(self);
    if (b->hash != -1)
        return b->hash;
    int64_t h = rci_hash_bytes(b->data, (size_t)b->ob.size);
    if (!rc_is_immortal(self))   /* b"" is shared static memory: never written */
        b->hash = h;
    return h;
}

static int content_eq(rc_object *self, rc_object *other) {
    const char *a, *b;
    intptr_t na, nb;
    if (!content_of(self, &a, &na) || !content_of(other, &b, &nb))
        return 0;
    if (na != nb)
        return 0;
    /* two bytes objects with cached hashes that differ cannot be equal */
    if (self->type == &rc_bytes_type && other->type == &rc_bytes_type &&
        AS_BYTES(self)->hash != -1 && AS_BYTES(other)->hash != -1 &&
        AS_BYTES(self)->hash != AS_BYTES(other)->hash)
        return 0;
    return a == b || memcmp(a, b, (size_t)na) == 0;
}

static int bytes_eq(rc_object *self, rc_object *other) { return content_eq(self, other); }
static int view_eq(rc_object *self, rc_object *other) { return content_eq(self, other); }

/* Python's repr of bytes: b'...' (double quotes when the data has ' and no
 * "), with \\, the quote, \t, \n, \r escaped and other bytes outside
 * 0x20..0x7e as \xhh. */
static void add_bytes_repr(rci_sb *sb, const char *data, intptr_t n) {
    const unsigned char *p = (const unsigned char *)data;
    char quote = (memchr(p, '\'', (size_t)n) && !memchr(p, '"', (size_t)n)) ? '"' : '\'';
    rci_sb_add(sb, "b", 1);
    rci_sb_add(sb, &quote, 1);
    intptr_t run = 0;   /* start of the current run of printable bytes */
    for (intptr_t i = 0; i < n; i++) {
        unsigned char c = p[i];
        if (c >= 0x20 && c < 0x7f && c != (unsigned char)quote && c != '\\')
            continue;
        rci_sb_add(sb, (const char *)p + run, (size_t)(i - run));
        run = i + 1;
        char esc[5];
        switch (c) {
        case '\t': rci_sb_add(sb, "\\t", 2); break;
        case '\n': rci_sb_add(sb, "\\n", 2); break;
        case '\r': rci_sb_add(sb, "\\r", 2); break;
        case '\\': rci_sb_add(sb, "\\\\", 2); break;
        default:
            if (c == (unsigned char)quote) {
                esc[0] = '\\';
                esc[1] = (char)c;
                rci_sb_add(sb, esc, 2);
            } else {
                static const char hex[] = "0123456789abcdef";
                esc[0] = '\\';
                esc[1] = 'x';
                esc[2] = hex[c >> 4];
                esc[3] = hex[c & 15];
                rci_sb_add(sb, esc, 4);
            }
        }
    }
    rci_sb_add(sb, (const char *)p + run, (size_t)(n - run));
    rci_sb_add(sb, &quote, 1);
}

static rc_object *bytes_repr(rc_object *self) {
    rci_sb sb;
    rci_sb_init(&sb);
    add_bytes_repr(&sb, AS_BYTES(self)->data, AS_BYTES(self)->ob.size);
    return rci_sb_finish(&sb);
}

static int64_t view_hash(rc_object *self) {
    return rci_hash_bytes(AS_VIEW(self)->ptr, (size_t)AS_VIEW(self)->len);
}

/* CPython: <memory at 0x7f...> */
static rc_object *view_repr(rc_object *self) {
    return rc_str_from_fmt("<memory at %p>", (void *)self);
}

static int view_traverse(rc_object *self, rc_visitproc visit, void *arg) {
    return visit(AS_VIEW(self)->base, arg);
}

static void view_dealloc(rc_object *self) { rc_clear(&AS_VIEW(self)->base); }
