/*
 * bench/bintree_c.c - the plain C peers of benchmark 4 of issue 4: the
 * Benchmarks Game binary-trees program at depth 18, the same algorithm as
 * the rcgc version in gc_bench.c (children made first, leaves marked by a
 * NULL child, a recursive check), with 16-byte nodes of two pointers.
 *
 * Exactly one macro selects the allocator:
 *   -DIMPL_GLIBC     malloc / free of the C library
 *   -DIMPL_MIMALLOC  mi_malloc / mi_free              (link -lmimalloc)
 *   -DIMPL_BOEHM     GC_MALLOC, never freed; Boehm GC  (link -lgc)
 *
 * Output: "RESULT gc <impl> bintree_seconds <s>" and bintree_ns_per_node,
 * plus INFO lines.
 */
#define _POSIX_C_SOURCE 200809L
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#if defined(IMPL_GLIBC)
#  define IMPL_NAME "glibc"
#  define NODE_ALLOC(n) malloc(n)
#  define NODE_FREE(p)  free(p)
#  define IMPL_INIT()   ((void)0)
#elif defined(IMPL_MIMALLOC)
#  include <mimalloc.h>
#  define IMPL_NAME "mimalloc"
#  define NODE_ALLOC(n) mi_malloc(n)
#  define NODE_FREE(p)  mi_free(p)
#  define IMPL_INIT()   ((void)0)
#elif defined(IMPL_BOEHM)
#  include <gc.h>
#  define IMPL_NAME "boehm"
#  define NODE_ALLOC(n) GC_MALLOC(n)
#  define NODE_FREE(p)  ((void)(p))     /* the collector reclaims the trees */
#  define IMPL_INIT()   GC_INIT()
#else
#  error "define IMPL_GLIBC, IMPL_MIMALLOC or IMPL_BOEHM"
#endif

typedef struct node { struct node *left, *right; } node;

static uint64_t nodes;

static double now_s(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static node *make(int depth) {
    node *l = NULL, *r = NULL;
    if (depth > 0) {
        l = make(depth - 1);
        r = make(depth - 1);
    }
    node *n = NODE_ALLOC(sizeof *n);
    if (!n) {
        fprintf(stderr, "bintree_c: out of memory\n");
        exit(1);
    }
    nodes++;
    n->left = l;
    n->right = r;
    return n;
}

static long check(const node *n) {
    return n->left ? 1 + check(n->left) + check(n->right) : 1;
}

#if defined(IMPL_BOEHM)
static void release(node *n) { (void)n; }
#else
static void release(node *n) {
    if (n->left) {
        release(n->left);
        release(n->right);
    }
    NODE_FREE(n);
}
#endif

#define MIN_DEPTH 4
#define MAX_DEPTH 18

int main(void) {
    IMPL_INIT();
    long sum = 0;
    double t0 = now_s();

    node *stretch = make(MAX_DEPTH + 1);
    sum += check(stretch);
    release(stretch);

    node *long_lived = make(MAX_DEPTH);
    for (int d = MIN_DEPTH; d <= MAX_DEPTH; d += 2) {
        long iterations = 1L << (MAX_DEPTH - d + MIN_DEPTH);
        for (long i = 0; i < iterations; i++) {
            node *t = make(d);
            sum += check(t);
            release(t);
        }
    }
    sum += check(long_lived);
    release(long_lived);
    double sec = now_s() - t0;

    printf("INFO impl %s\n", IMPL_NAME);
    printf("INFO bintree: %llu nodes, check %ld\n", (unsigned long long)nodes, sum);
#if defined(IMPL_BOEHM)
    /* single-threaded client (no GC_THREADS): no parallel marker threads */
    printf("INFO boehm: GC version %u.%u.%u, %lu collections, heap %lu bytes\n",
           (unsigned)GC_VERSION_MAJOR, (unsigned)GC_VERSION_MINOR, (unsigned)GC_VERSION_MICRO,
           (unsigned long)GC_get_gc_no(), (unsigned long)GC_get_heap_size());
    printf("RESULT gc %s bintree_collections %lu\n", IMPL_NAME, (unsigned long)GC_get_gc_no());
#endif
    printf("RESULT gc %s bintree_seconds %.6g\n", IMPL_NAME, sec);
    printf("RESULT gc %s bintree_ns_per_node %.6g\n", IMPL_NAME, sec * 1e9 / (double)nodes);
    return 0;
}
