/*
 * strbuf.c - a growable text buffer for building repr strings, and the
 * recursion guard that makes repr of self-referencing containers print
 * "[...]" instead of looping (CPython's Py_ReprEnter / Py_ReprLeave).
 *
 * The buffer starts in a small inline array and moves to an rc_mem block
 * when it grows; any allocation failure marks the builder failed and
 * rci_sb_finish then returns NULL with the error.
 */
#include "types.h"
#include <stdarg.h>

void rci_sb_init(rci_sb *sb) {
    sb->buf = sb->small;
    sb->len = 0;
    sb->cap = sizeof sb->small;
    sb->failed = 0;
}

static int reserve(rci_sb *sb, size_t extra) {
    if (sb->failed)
        return -1;
    if (sb->len + extra + 1 <= sb->cap)
        return 0;
    size_t cap = sb->cap * 2;
    while (cap < sb->len + extra + 1)
        cap *= 2;
    char *nb;
    if (sb->buf == sb->small) {
        nb = rc_mem_malloc(cap);
        if (nb)
            memcpy(nb, sb->buf, sb->len);
    } else {
        nb = rc_mem_realloc(sb->buf, cap);
    }
    if (!nb) {
        sb->failed = 1;
        return -1;
    }
    sb->buf = nb;
    sb->cap = cap;
    return 0;
}

void rci_sb_add(rci_sb *sb, const char *s, size_t n) {
    if (reserve(sb, n) < 0)
        return;
    memcpy(sb->buf + sb->len, s, n);
    sb->len += n;
}

void rci_sb_adds(rci_sb *sb, const char *s) { rci_sb_add(sb, s, strlen(s)); }

void rci_sb_addf(rci_sb *sb, const char *fmt, ...) {
    char tmp[256];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(tmp, sizeof tmp, fmt, ap);
    va_end(ap);
    if (n < 0) {
        sb->failed = 1;
        rc_error_set(RC_ERR_VALUE, "bad format string");
        return;
    }
    if ((size_t)n < sizeof tmp) {
        rci_sb_add(sb, tmp, (size_t)n);
        return;
    }
    if (reserve(sb, (size_t)n) < 0)
        return;
    va_start(ap, fmt);
    vsnprintf(sb->buf + sb->len, (size_t)n + 1, fmt, ap);
    va_end(ap);
    sb->len += (size_t)n;
}

void rci_sb_add_repr(rci_sb *sb, const void *obj) {
    if (sb->failed)
        return;
    rc_object *r = rc_repr(obj);
    if (!r) {
        sb->failed = 1;
        return;
    }
    rci_sb_add(sb, rc_str_utf8(r), (size_t)rc_str_byte_len(r));
    rc_decref(r);
}

void rci_sb_discard(rci_sb *sb) {
    if (sb->buf != sb->small)
        rc_mem_free(sb->buf);
    rci_sb_init(sb);
}

rc_object *rci_sb_finish(rci_sb *sb) {
    rc_object *s = NULL;
    if (!sb->failed)
        s = rc_str_from_utf8(sb->buf, sb->len);
    else if (rc_error_code() == RC_OK)
        rc_error_set(RC_ERR_NOMEM, "out of memory building a string");
    rci_sb_discard(sb);
    return s;
}

int rci_repr_enter(const void *op) {
    if (!rci_current_heap)
        return rc_error_set(RC_ERR_STATE, "repr of a container needs a heap bound to "
                            "this thread");
    rci_types_state *st = RCI_TYPES(rci_current_heap);
    for (int i = 0; i < st->repr_depth; i++)
        if (st->repr_stack[i] == op)
            return 1;
    if (st->repr_depth >= RCI_REPR_MAX_DEPTH)
        return rc_error_set(RC_ERR_RUNTIME, "maximum recursion depth exceeded while "
                            "getting the repr of an object");
    st->repr_stack[st->repr_depth++] = op;
    return 0;
}

void rci_repr_leave(const void *op) {
    if (!rci_current_heap)
        return;
    rci_types_state *st = RCI_TYPES(rci_current_heap);
    if (st->repr_depth > 0 && st->repr_stack[st->repr_depth - 1] == op)
        st->repr_depth--;
}
