/*
 * error.c - the thread-local error slot and fatal diagnostics.
 *
 * Errors are values (design principle 4): a failing call records a code and
 * a message here and returns NULL/-1.  Misuse that cannot be reported as a
 * value (refcount underflow, freeing on the wrong heap, a corrupted debug
 * block) goes through rci_fatal, which prints one diagnostic and aborts.
 */
#include "internal.h"
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

static _Thread_local rci_error_state slot;

rc_errcode rc_error_code(void) { return slot.code; }
const char *rc_error_message(void) { return slot.message; }

void rc_error_clear(void) {
    slot.code = RC_OK;
    slot.message[0] = '\0';
}

const char *rc_error_name(rc_errcode code) {
    switch (code) {
    case RC_OK: return "OK";
    case RC_ERR_NOMEM: return "MemoryError";
    case RC_ERR_INVALID: return "InvalidArgument";
    case RC_ERR_TYPE: return "TypeError";
    case RC_ERR_VALUE: return "ValueError";
    case RC_ERR_OVERFLOW: return "OverflowError";
    case RC_ERR_INDEX: return "IndexError";
    case RC_ERR_KEY: return "KeyError";
    case RC_ERR_ATTRIBUTE: return "AttributeError";
    case RC_ERR_REFERENCE: return "ReferenceError";
    case RC_ERR_STATE: return "StateError";
    case RC_ERR_RUNTIME: return "RuntimeError";
    }
    return "UnknownError";
}

static void set_v(rc_errcode code, const char *fmt, va_list ap) {
    slot.code = code;
    vsnprintf(slot.message, sizeof slot.message, fmt, ap);
}

int rc_error_set(rc_errcode code, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    set_v(code, fmt, ap);
    va_end(ap);
    return -1;
}

void *rci_error_null(rc_errcode code, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    set_v(code, fmt, ap);
    va_end(ap);
    return NULL;
}

/* Both copy the message only when there is an error: they run around every
 * weak-reference callback, nearly always with the slot empty. */
void rci_error_fetch(rci_error_state *s) {
    s->code = slot.code;
    if (slot.code != RC_OK) {
        memcpy(s->message, slot.message, sizeof s->message);
        rc_error_clear();
    }
}

void rci_error_restore(const rci_error_state *s) {
    slot.code = s->code;
    if (s->code != RC_OK)
        memcpy(slot.message, s->message, sizeof slot.message);
    else
        slot.message[0] = '\0';
}

void rci_error_write_unraisable(const char *what) {
    if (slot.code == RC_OK)
        return;
    fflush(stdout);
    fprintf(stderr, "Exception ignored in: %s\n%s: %s\n", what, rc_error_name(slot.code),
            slot.message);
    rc_error_clear();
}

void rci_fatal(const char *fmt, ...) {
    va_list ap;
    fflush(stdout);
    fputs("Fatal rcgc error: ", stderr);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
    fflush(stderr);
    abort();
}
