/*
 * support.h - small helpers shared by the tests: compare a repr or an
 * error with what is expected (printing both when they differ), read an
 * int's value, read the process's resident memory, read the collector's
 * counts and statistics, make a self-referring instance, drop several
 * references at once, and run a python3 script for the tests that compare
 * with CPython.
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

/* gc.get_count()[i] */
static inline long gc_count(int i) {
    long c[RC_GC_NUM_GENERATIONS] = {-1, -1, -1};
    rc_gc_get_count(c);
    return c[i];
}

/* gc.get_stats()[i] */
static inline rc_gc_generation_stats gc_stats(int i) {
    rc_gc_generation_stats s[RC_GC_NUM_GENERATIONS];
    memset(s, 0, sizeof s);
    rc_gc_get_stats(s);
    return s[i];
}

/* cls() with self.<attr> = self (a self-loop), a new reference. */
static inline rc_object *self_loop(rc_object *cls, const char *attr) {
    rc_object *o = rc_new_instance(cls);
    CHECK(o != NULL);
    if (o)
        CHECK_EQ(rc_setattr(o, attr, o), 0);
    return o;
}

/* rc_decref(objs[0]), ..., rc_decref(objs[n - 1]), in that order. */
static inline void decref_array(void *const *objs, size_t n) {
    for (size_t i = 0; i < n; i++)
        rc_decref(objs[i]);
}

/* DECREF_ALL(a, b, c): rc_decref(a); rc_decref(b); rc_decref(c); */
#define DECREF_ALL(...)                          \
    decref_array((void *const[]){__VA_ARGS__}, \
                 sizeof((void *const[]){__VA_ARGS__}) / sizeof(void *))

/* Run a python3 script; its stdout goes to a malloc'ed buffer.  NULL (and
 * a printed note) when python3 is not installed or the script fails. */
static inline char *run_python(const char *script) {
    if (system("python3 -c 'import sys; sys.exit(0)' >/dev/null 2>&1") != 0) {
        printf("     SKIP (python3 is not installed): the CPython side of this test\n");
        return NULL;
    }
    char path[] = "/tmp/rcgc_test_python_XXXXXX";
    int fd = mkstemp(path);
    if (fd < 0)
        return NULL;
    FILE *f = fdopen(fd, "w");
    fputs(script, f);
    fclose(f);
    char cmd[256];
    snprintf(cmd, sizeof cmd, "python3 %s", path);
    FILE *p = popen(cmd, "r");
    size_t cap = 1 << 16, len = 0, n;
    char *out = malloc(cap);
    while (p && out && (n = fread(out + len, 1, cap - len - 1, p)) > 0) {
        len += n;
        if (cap - len < 1024) {
            char *nb = realloc(out, cap * 2);
            if (!nb)
                break;
            out = nb;
            cap *= 2;
        }
    }
    int status = p ? pclose(p) : -1;
    unlink(path);
    if (!out)
        return NULL;
    out[len] = '\0';
    if (status != 0) {
        fprintf(stderr, "python3 failed (status %d); output:\n%s\n", status, out);
        free(out);
        return NULL;
    }
    return out;
}

#endif /* RCGC_TEST_SUPPORT_H */
