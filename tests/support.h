/*
 * support.h - small helpers shared by the type tests: compare a repr or an
 * error with what is expected (printing both when they differ), read an
 * int's value, and read the process's resident memory.
 */
#ifndef RCGC_TEST_SUPPORT_H
#define RCGC_TEST_SUPPORT_H

#include "check.h"

/* 1 if repr(op) is exactly want. */
static inline int repr_is(const void *op, const char *want) {
    rc_object *r = rc_repr(op);
    int ok = r && !strcmp(rc_str_utf8(r), want);
    if (!ok)
        fprintf(stderr, "    repr: got %s, want %s\n", r ? rc_str_utf8(r) : rc_error_message(),
                want);
    rc_xdecref(r);
    return ok;
}

/* 1 if the last error has this code and (when msg is not NULL) contains
 * msg; clears the error either way. */
static inline int error_is(rc_errcode code, const char *msg) {
    int ok = rc_error_code() == code && (!msg || strstr(rc_error_message(), msg));
    if (!ok)
        fprintf(stderr, "    error: got %s \"%s\", want %s \"%s\"\n",
                rc_error_name(rc_error_code()), rc_error_message(), rc_error_name(code),
                msg ? msg : "");
    rc_error_clear();
    return ok;
}

/* The value of an int, or INT64_MIN if op is not one. */
static inline int64_t ival(const void *op) {
    int64_t v = INT64_MIN;
    if (!op || rc_int_as_i64(op, &v) < 0)
        return INT64_MIN;
    return v;
}

/* Resident memory of this process in KiB (/proc/self/statm). */
static inline long rss_kib(void) {
    long pages = 0, resident = 0;
    FILE *f = fopen("/proc/self/statm", "r");
    if (!f)
        return 0;
    if (fscanf(f, "%ld %ld", &pages, &resident) != 2)
        resident = 0;
    fclose(f);
    return resident * (sysconf(_SC_PAGESIZE) / 1024);
}

#endif /* RCGC_TEST_SUPPORT_H */
