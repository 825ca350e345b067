/*
 * os.c - every request rcgc makes to the operating system.
 *
 * Arenas come from mmap (aligned to their size so that a block finds its
 * arena and pool by masking); large blocks and metadata come from the C
 * library's malloc.  Funnelling all of it through here gives the fault
 * injector (RCGC_FAULT_INJECTION builds) one place to fail "the Nth OS
 * allocation", and the tests one counter of live OS bytes.
 */
#define _GNU_SOURCE
#include "internal.h"
#include <stdlib.h>
#include <sys/mman.h>
#include <time.h>

#if RCI_FAULT_INJECTION
static _Thread_local long fail_at;    /* 0 = off */
static _Thread_local long os_calls;
static _Atomic long long os_bytes_live;

static int inject_failure(void) {
    ++os_calls;
    return fail_at > 0 && os_calls == fail_at;
}
static void account(long long delta) { atomic_fetch_add(&os_bytes_live, delta); }

int rc_testing_fail_os_alloc(long n) {
    fail_at = n < 0 ? 0 : n;
    os_calls = 0;
    return 0;
}
long rc_testing_os_alloc_count(void) { return os_calls; }
long long rc_testing_os_bytes_live(void) { return atomic_load(&os_bytes_live); }
#else
static inline int inject_failure(void) { return 0; }
static inline void account(long long delta) { (void)delta; }

int rc_testing_fail_os_alloc(long n) {
    (void)n;
    return rc_error_set(RC_ERR_STATE, "fault injection is not compiled in "
                        "(configure with -DRCGC_FAULT_INJECTION=ON)");
}
long rc_testing_os_alloc_count(void) {
    return rc_error_set(RC_ERR_STATE, "fault injection is not compiled in");
}
long long rc_testing_os_bytes_live(void) {
    return rc_error_set(RC_ERR_STATE, "fault injection is not compiled in");
}
#endif

void *rci_os_map(size_t size, size_t align) {
    if (inject_failure())
        return NULL;
    /* Try the exact size first: the kernel often returns aligned addresses
     * when consecutive maps are made; otherwise over-map and trim. */
    void *p = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED)
        return NULL;
    if (((uintptr_t)p & (align - 1)) != 0) {
        munmap(p, size);
        size_t over = size + align;
        char *q = mmap(NULL, over, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        if (q == MAP_FAILED)
            return NULL;
        uintptr_t a = ((uintptr_t)q + align - 1) & ~(uintptr_t)(align - 1);
        size_t head = a - (uintptr_t)q, tail = over - head - size;
        if (head)
            munmap(q, head);
        if (tail)
            munmap((char *)a + size, tail);
        p = (void *)a;
    }
    account((long long)size);
    return p;
}

void rci_os_unmap(void *p, size_t size) {
    munmap(p, size);
    account(-(long long)size);
}

void rci_os_release(void *p, size_t size) {
    /* The pages read back as zero and no longer count as resident. */
    madvise(p, size, MADV_DONTNEED);
}

void *rci_os_malloc(size_t size) {
    if (inject_failure())
        return NULL;
    void *p = malloc(size);
    if (p)
        account((long long)size);
    return p;
}

void *rci_os_calloc(size_t size) {
    if (inject_failure())
        return NULL;
    void *p = calloc(1, size);
    if (p)
        account((long long)size);
    return p;
}

void *rci_os_realloc(void *p, size_t oldsize, size_t size) {
    if (inject_failure())
        return NULL;
    void *q = realloc(p, size);
    if (q)
        account((long long)size - (long long)oldsize);
    return q;
}

void rci_os_free(void *p, size_t size) {
    if (!p)
        return;
    free(p);
    account(-(long long)size);
}

uint64_t rci_now_ns(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}
