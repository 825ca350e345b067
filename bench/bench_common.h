/*
 * bench/bench_common.h - what the rcgc sides of the gc and weak benchmarks
 * (bench/gc_bench.c, bench/weak_bench.c) share: a monotonic clock, the
 * "RESULT <program> rcgc <metric> <value>" line, failing with rcgc's error
 * message, CHECK, the median of a sample, and main's running of the
 * workloads named on the command line (all of them without an argument).
 *
 * Define BENCH_PROGRAM (the program's name in RESULT lines: "gc", "weak")
 * before including this.  bench/run.sh compiles each program from its own
 * source file, so this header is found next to it.
 */
#ifndef RCGC_BENCH_COMMON_H
#define RCGC_BENCH_COMMON_H

#include "rcgc.h"
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#ifndef BENCH_PROGRAM
#error "define BENCH_PROGRAM before including bench_common.h"
#endif

#define IMPL "rcgc"

static double now_s(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static void result(const char *metric, double v) {
    printf("RESULT " BENCH_PROGRAM " " IMPL " %s %.6g\n", metric, v);
    fflush(stdout);
}

static RC_NORETURN void fail(const char *what) {
    fprintf(stderr, BENCH_PROGRAM "_bench: %s: %s\n", what, rc_error_message());
    exit(1);
}

#define CHECK(expr) do { if (!(expr)) fail(#expr); } while (0)

static int cmp_double(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* Sorts v; returns the median. */
static double median(double *v, size_t n) {
    qsort(v, n, sizeof *v, cmp_double);
    return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

typedef struct {
    const char *name;
    void (*fn)(void);
} bench_workload;

static void bench_run_one(const bench_workload *w, size_t n, const char *name) {
    for (size_t i = 0; i < n; i++) {
        if (strcmp(w[i].name, name) == 0) {
            w[i].fn();
            return;
        }
    }
    fprintf(stderr, BENCH_PROGRAM "_bench: unknown workload '%s' (known:", name);
    for (size_t i = 0; i < n; i++)
        fprintf(stderr, " %s", w[i].name);
    fprintf(stderr, ")\n");
    exit(2);
}

/* The whole of main: rc_init, the workloads named in argv (every one when
 * there is none), rc_fini. */
static int bench_main(int argc, char **argv, const bench_workload *w, size_t n) {
    if (rc_init(NULL) < 0)
        fail("rc_init");
    printf("INFO impl rcgc version %s\n", rc_version_string());
    if (argc < 2) {
        for (size_t i = 0; i < n; i++)
            w[i].fn();
    } else {
        for (int i = 1; i < argc; i++)
            bench_run_one(w, n, argv[i]);
    }
    rc_fini();
    return 0;
}

#endif /* RCGC_BENCH_COMMON_H */
