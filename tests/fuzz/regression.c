/*
 * regression.c - runs the fuzz_gc target without libFuzzer: over every file
 * of the corpus directories (or single files) given as arguments, or, with
 * no argument, over a built-in set of generated inputs.  Prints a summary
 * line; a failing input aborts with its file name (see fuzz_gc.c).
 *
 *   fuzz_gc_regression [DIR|FILE]...
 *   fuzz_gc_regression --generated N     N generated inputs (default 300)
 *   fuzz_gc_regression --write DIR [N]   write N generated inputs into DIR
 */
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "rcgc.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
extern const char *fuzz_gc_input_name;
extern long long fuzz_gc_totals[10];

static int run_file(const char *path) {
    FILE *f = fopen(path, "rb");
    if (!f) {
        fprintf(stderr, "fuzz_gc_regression: cannot open %s\n", path);
        return -1;
    }
    uint8_t *buf = NULL;
    size_t n = 0, cap = 0;
    for (;;) {
        if (n == cap) {
            cap = cap ? cap * 2 : 4096;
            uint8_t *p = realloc(buf, cap);
            if (!p) {
                fclose(f);
                free(buf);
                return -1;
            }
            buf = p;
        }
        size_t k = fread(buf + n, 1, cap - n, f);
        if (!k)
            break;
        n += k;
    }
    fclose(f);
    fuzz_gc_input_name = path;
    LLVMFuzzerTestOneInput(buf, n);
    fuzz_gc_input_name = NULL;
    free(buf);
    return 0;
}

static int cmp_str(const void *a, const void *b) {
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Every regular file of dir, in name order. */
static int run_dir(const char *dir, long *count) {
    DIR *d = opendir(dir);
    if (!d) {
        fprintf(stderr, "fuzz_gc_regression: cannot open directory %s\n", dir);
        return -1;
    }
    char **names = NULL;
    size_t n = 0, cap = 0;
    struct dirent *e;
    while ((e = readdir(d))) {
        if (e->d_name[0] == '.')
            continue;
        if (n == cap) {
            cap = cap ? cap * 2 : 64;
            names = realloc(names, cap * sizeof *names);
            if (!names)
                return -1;
        }
        size_t len = strlen(dir) + strlen(e->d_name) + 2;
        names[n] = malloc(len);
        snprintf(names[n], len, "%s/%s", dir, e->d_name);
        n++;
    }
    closedir(d);
    qsort(names, n, sizeof *names, cmp_str);
    int rc = 0;
    for (size_t i = 0; i < n; i++) {
        struct stat st;
        if (stat(names[i], &st) == 0 && S_ISREG(st.st_mode)) {
            if (run_file(names[i]) < 0)
                rc = -1;
            else
                (*count)++;
        }
        free(names[i]);
    }
    free(names);
    return rc;
}

/* Generated inputs: random bytes with the operation mix skewed towards
 * building graphs, then collecting (splitmix64, fixed seeds). */
static uint64_t rng;
static uint64_t next_rand(void) {
    uint64_t z = (rng += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

/* Operation codes of fuzz_gc.c (the byte modulo 16) and how many argument
 * bytes each reads (keep in step with run_input there). */
enum { OP_NEW = 0, OP_LINK = 2, OP_UNLINK = 5, OP_LOAD = 6, OP_DROP = 7, OP_COLLECT = 8,
       OP_FREEZE = 9, OP_THRESHOLD = 10, OP_RES = 11, OP_GARBAGE = 12, OP_SAVEALL = 13,
       OP_DROPMANY = 14, OP_WEAK = 15 };
static const struct { int op, nargs, weight; } mix[] = {
    {OP_NEW, 3, 20},     {OP_LINK, 3, 30},    {OP_UNLINK, 2, 6}, {OP_LOAD, 3, 8},
    {OP_DROP, 1, 10},    {OP_DROPMANY, 1, 3}, {OP_COLLECT, 1, 8}, {OP_FREEZE, 1, 1},
    {OP_THRESHOLD, 3, 2}, {OP_RES, 3, 3},     {OP_GARBAGE, 3, 3}, {OP_SAVEALL, 1, 1},
    {OP_WEAK, 4, 14},
};

/* Input i: odd ones are raw random bytes, even ones a weighted mix of
 * operations, each with a random subset of the object kinds. */
static size_t generate(long i, uint8_t *buf, size_t cap) {
    rng = (uint64_t)i * 7919u + 1;
    size_t len = 64 + (size_t)(next_rand() % (cap - 64));
    if (i % 2) {
        for (size_t k = 0; k < len; k++)
            buf[k] = (uint8_t)next_rand();
        return len;
    }
    int total = 0;
    for (size_t m = 0; m < sizeof mix / sizeof mix[0]; m++)
        total += mix[m].weight;
    uint32_t kinds = (uint32_t)next_rand() | 1u;   /* subset of the 11 kinds */
    size_t n = 0;
    while (n + 4 <= len) {
        int w = (int)(next_rand() % (uint64_t)total);
        size_t m = 0;
        while (w >= mix[m].weight)
            w -= mix[m++].weight;
        buf[n++] = (uint8_t)(mix[m].op + 16 * (int)(next_rand() % 16));
        for (int a = 0; a < mix[m].nargs; a++)
            buf[n++] = (uint8_t)next_rand();
        if (mix[m].op == OP_NEW) {
            int kind;
            do
                kind = (int)(next_rand() % 11);
            while (!(kinds & (1u << kind)));
            buf[n - 3] = (uint8_t)kind;
        }
    }
    return n;
}

static void run_generated(long n, long *count) {
    static uint8_t buf[6000];
    char name[64];
    for (long i = 0; i < n; i++) {
        size_t len = generate(i, buf, sizeof buf);
        snprintf(name, sizeof name, "(generated input %ld)", i);
        fuzz_gc_input_name = name;
        /* every other input with a second heap alive, which makes the
         * collector take its two-walk first pass (gc/collect.c) */
        rc_heap *companion = (i & 1) ? rc_heap_new(NULL) : NULL;
        LLVMFuzzerTestOneInput(buf, len);
        if (companion)
            rc_heap_destroy(companion);
        fuzz_gc_input_name = NULL;
        (*count)++;
    }
}

/* Write n generated inputs into dir (to seed a corpus). */
static int write_generated(const char *dir, long n) {
    static uint8_t buf[6000];
    char path[4096];
    for (long i = 0; i < n; i++) {
        size_t len = generate(i, buf, sizeof buf);
        snprintf(path, sizeof path, "%s/generated-%03ld", dir, i);
        FILE *f = fopen(path, "wb");
        if (!f || fwrite(buf, 1, len, f) != len) {
            fprintf(stderr, "fuzz_gc_regression: cannot write %s\n", path);
            if (f)
                fclose(f);
            return 1;
        }
        fclose(f);
    }
    return 0;
}

int main(int argc, char **argv) {
    long count = 0;
    int rc = 0;
    if (argc < 2) {
        run_generated(300, &count);
    } else if (!strcmp(argv[1], "--write") && argc > 2) {
        return write_generated(argv[2], argc > 3 ? strtol(argv[3], NULL, 10) : 20);
    } else if (!strcmp(argv[1], "--generated")) {
        run_generated(argc > 2 ? strtol(argv[2], NULL, 10) : 300, &count);
    } else {
        for (int i = 1; i < argc; i++) {
            struct stat st;
            if (stat(argv[i], &st) == 0 && S_ISDIR(st.st_mode))
                rc |= run_dir(argv[i], &count);
            else
                rc |= run_file(argv[i]);
            if (!S_ISDIR(st.st_mode) && rc == 0)
                count++;
        }
    }
    const long long *t = fuzz_gc_totals;
    printf("fuzz_gc_regression: %ld inputs, %lld operations, %lld collections (%lld automatic): "
           "%lld objects collected, %lld uncollectable, %lld resurrected; %lld weak references "
           "made, %lld cleared by the collector, %lld callbacks checked (%lld from the "
           "collector); %s\n",
           count, t[5], t[0], t[1], t[2], t[3], t[4], t[6], t[9], t[7], t[8],
           rc ? "ERRORS" : "all passed");
    return rc ? 1 : 0;
}
