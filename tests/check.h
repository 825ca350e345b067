/*
 * check.h - the in-repo test harness: CHECK macros with file:line messages,
 * one heap per test with a leak check after it, death tests in a child
 * process, and a summary line.  Header-only; each test executable includes
 * it once.
 */
#ifndef RCGC_CHECK_H
#define RCGC_CHECK_H

#include "rcgc.h"
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

static int check_count, check_failed, test_count, test_failed_flag;
static const char *check_current_test = "";

#define CHECK(cond)                                                               \
    do {                                                                          \
        check_count++;                                                            \
        if (!(cond)) {                                                            \
            check_failed++;                                                       \
            test_failed_flag = 1;                                                 \
            fprintf(stderr, "%s:%d: [%s] CHECK failed: %s\n", __FILE__, __LINE__, \
                    check_current_test, #cond);                                   \
        }                                                                         \
    } while (0)

#define CHECK_EQ(a, b)                                                            \
    do {                                                                          \
        long long check_a_ = (long long)(a), check_b_ = (long long)(b);           \
        check_count++;                                                            \
        if (check_a_ != check_b_) {                                               \
            check_failed++;                                                       \
            test_failed_flag = 1;                                                 \
            fprintf(stderr, "%s:%d: [%s] CHECK_EQ failed: %s == %s (%lld != %lld)\n", \
                    __FILE__, __LINE__, check_current_test, #a, #b, check_a_, check_b_); \
        }                                                                         \
    } while (0)

#define CHECK_STR_CONTAINS(hay, needle)                                           \
    do {                                                                          \
        const char *check_h_ = (hay);                                             \
        check_count++;                                                            \
        if (!check_h_ || !strstr(check_h_, (needle))) {                           \
            check_failed++;                                                       \
            test_failed_flag = 1;                                                 \
            fprintf(stderr, "%s:%d: [%s] expected \"%s\" in:\n---\n%s\n---\n",    \
                    __FILE__, __LINE__, check_current_test, (needle),             \
                    check_h_ ? check_h_ : "(null)");                              \
        }                                                                         \
    } while (0)

/* 1 when the process's RSS says nothing about rcgc: under a sanitizer
 * (quarantined frees) or Valgrind (its own heap). */
static inline int check_rss_distorted(void) {
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
    return 1;
#else
    const char *pre = getenv("LD_PRELOAD");
    return pre && strstr(pre, "vgpreload") != NULL;
#endif
}

/* Blocks still handed out by the current heap. */
static inline unsigned long long check_blocks_in_use(void) {
    rc_memstats st;
    if (rc_mem_stats(NULL, &st) < 0)
        return 0;
    return st.blocks_in_use;
}

/* Run one test on a fresh default heap (rc_init with cfg, NULL = defaults),
 * then assert that the heap leaked nothing: after emptying the free lists and
 * the interned-string table no block is left in use and,
 * when fault injection is compiled in, the OS bytes return to what they
 * were before the heap existed. */
/* When set, run_test_cfg keeps a second, idle heap alive around each test.
 * With more than one heap in the process the collector cannot use its
 * fused first pass (gc/collect.c: an object might refer to another heap's
 * objects), so the collector suites run every test once each way. */
static int check_companion_heap;

static inline void run_test_cfg(const char *name, void (*fn)(void), const rc_config *cfg) {
    rc_heap *companion = check_companion_heap ? rc_heap_new(NULL) : NULL;
    if (check_companion_heap && !companion) {
        fprintf(stderr, "[%s] rc_heap_new failed: %s\n", name, rc_error_message());
        check_failed++;
        return;
    }
    long long os_before = rc_testing_os_bytes_live();
    check_current_test = name;
    test_failed_flag = 0;
    test_count++;
    if (rc_init(cfg) < 0) {
        fprintf(stderr, "[%s] rc_init failed: %s\n", name, rc_error_message());
        check_failed++;
        if (companion)
            rc_heap_destroy(companion);
        return;
    }
    fn();
    rc_heap_clear_caches(NULL);   /* free lists and interned strings are not leaks */
    unsigned long long left = check_blocks_in_use();
    if (left) {
        fprintf(stderr, "[%s] LEAK: %llu blocks still in use at the end of the test\n",
                name, left);
        rc_mem_print_stats(NULL, stderr);
        check_failed++;
        test_failed_flag = 1;
    }
    rc_fini();
    if (os_before >= 0 && rc_testing_os_bytes_live() != os_before) {
        fprintf(stderr, "[%s] LEAK: OS bytes %lld before the heap, %lld after destroying it\n",
                name, os_before, rc_testing_os_bytes_live());
        check_failed++;
        test_failed_flag = 1;
    }
    if (companion)
        rc_heap_destroy(companion);
    printf("%s %s%s\n", test_failed_flag ? "FAIL" : "ok  ", name,
           companion ? " (second heap alive)" : "");
}
#define RUN(fn) run_test_cfg(#fn, fn, NULL)
#define RUN_CFG(fn, cfg) run_test_cfg(#fn, fn, cfg)


/* Run fn in a child process; expect it to abort and to print `expect` on
 * stderr.  Returns 1 if both hold. */
static inline int check_dies_with(void (*fn)(void), const char *expect, char *out, size_t outsz) {
    int fds[2];
    if (pipe(fds) < 0)
        return 0;
    fflush(stdout);
    fflush(stderr);
    pid_t pid = fork();
    if (pid == 0) {
        dup2(fds[1], 2);
        close(fds[0]);
        signal(SIGABRT, SIG_DFL);
        fn();
        fprintf(stderr, "(the function returned instead of aborting)\n");
        _exit(0);
    }
    close(fds[1]);
    size_t n = 0;
    ssize_t r;
    while (n + 1 < outsz && (r = read(fds[0], out + n, outsz - 1 - n)) > 0)
        n += (size_t)r;
    out[n] = '\0';
    close(fds[0]);
    int status = 0;
    waitpid(pid, &status, 0);
    return WIFSIGNALED(status) && WTERMSIG(status) == SIGABRT && strstr(out, expect) != NULL;
}

#define CHECK_DIES(fn, expect)                                                    \
    do {                                                                          \
        char check_out_[8192];                                                    \
        int check_ok_ = check_dies_with(fn, expect, check_out_, sizeof check_out_); \
        check_count++;                                                            \
        if (!check_ok_) {                                                         \
            check_failed++;                                                       \
            test_failed_flag = 1;                                                 \
            fprintf(stderr, "%s:%d: [%s] %s did not abort with \"%s\"; stderr was:\n%s\n", \
                    __FILE__, __LINE__, check_current_test, #fn, expect, check_out_); \
        }                                                                         \
    } while (0)

/* The summary line; returns the process exit status. */
static inline int check_summary(const char *suite) {
    printf("%s: %d tests, %d checks, %d failed\n", suite, test_count, check_count, check_failed);
    return check_failed ? 1 : 0;
}

/* The whole of a collector suite's main: every test with the collector's
 * built-in defaults (RCGC_GC_THRESHOLD and RCGC_GC_DEBUG unset), once
 * alone and once with a second heap alive (check_companion_heap); then the
 * summary line and exit status. */
static inline int run_collector_suite(const char *suite, void (*all_tests)(void)) {
    unsetenv("RCGC_GC_THRESHOLD");
    unsetenv("RCGC_GC_DEBUG");
    all_tests();
    check_companion_heap = 1;
    all_tests();
    return check_summary(suite);
}

#endif /* RCGC_CHECK_H */
