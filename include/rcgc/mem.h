/*
 * rcgc/mem.h - the memory layer: raw blocks, statistics, purge, and the
 * out-of-memory fault injector used by tests.
 *
 * Requests of 1..512 bytes are served from 16-byte size classes in 16 KiB
 * pools carved from 1 MiB arenas (pymalloc's design); larger requests go to
 * the system allocator and are still counted in the heap's statistics.  All
 * functions use the calling thread's current heap (rc_heap_current()).
 */
#ifndef RCGC_MEM_H
#define RCGC_MEM_H

#include "common.h"
#include "heap.h"

#ifdef __cplusplus
extern "C" {
#endif

#define RC_MEM_SMALL_MAX     512      /* largest size served from pools */
#define RC_MEM_NUM_CLASSES   32       /* 16, 32, ..., 512 */
#define RC_MEM_ALIGNMENT     16       /* every block is 16-byte aligned */
#define RC_MEM_POOL_SIZE     16384
#define RC_MEM_ARENA_SIZE    1048576

/* ------------------------------------------------------------------------
 * Raw memory (PyMem_Malloc and friends).  Blocks belong to the current heap
 * and must be freed while that heap is current.
 * ---------------------------------------------------------------------- */

/* Allocate n bytes (n == 0 is treated as 1: a unique block).  The memory is
 * not initialised (0xCD-filled in debug mode).  Returns NULL with RC_ERR_NOMEM
 * when memory runs out or n exceeds PTRDIFF_MAX - 4096, or RC_ERR_STATE when no heap
 * is current. */
RC_API void *rc_mem_malloc(size_t n);

/* Allocate nelem*elsize zeroed bytes.  NULL with RC_ERR_OVERFLOW when the
 * product overflows, otherwise as rc_mem_malloc. */
RC_API void *rc_mem_calloc(size_t nelem, size_t elsize);

/* Resize p to n bytes, keeping min(old, n) bytes.  p == NULL acts as
 * rc_mem_malloc(n).  A small block shrinking by less than 25% stays where it
 * is (pymalloc's rule).  On failure returns NULL with RC_ERR_NOMEM and p is
 * untouched and still owned by the caller. */
RC_API void *rc_mem_realloc(void *p, size_t n);

/* Free p (NULL is ignored).  Freeing a pointer the current heap does not own
 * ends the process with a diagnostic; in debug mode so do double frees,
 * overruns, underruns and API-family mismatches. */
RC_API void rc_mem_free(void *p);

/* The usable size of block p: its size class for a pool block, the
 * requested size for a large block, and always the requested size in debug
 * mode (the bytes past it are guard bytes).  0 for NULL or when no heap is
 * current. */
RC_API size_t rc_mem_usable_size(const void *p);

/* ------------------------------------------------------------------------
 * Statistics
 * ---------------------------------------------------------------------- */
#define RC_MEM_STATS_VERSION 1

typedef struct rc_mem_class_stats {
    uint32_t block_size_bytes;
    uint32_t pools;                /* pools currently serving this class */
    uint64_t blocks_in_use;
    uint64_t blocks_available;     /* free blocks in those pools */
} rc_mem_class_stats;

typedef struct rc_memstats {
    uint32_t version;              /* RC_MEM_STATS_VERSION */
    uint32_t struct_size;          /* sizeof(rc_memstats) */
    /* Everything handed out: small blocks at their class size, large blocks
     * at their requested size. */
    uint64_t bytes_in_use;
    uint64_t bytes_in_use_peak;
    uint64_t blocks_in_use;
    uint64_t small_blocks_in_use;
    uint64_t large_blocks_in_use;
    uint64_t large_bytes_in_use;
    uint64_t allocations_total;    /* successful block allocations, ever */
    uint64_t frees_total;
    /* Arenas */
    uint64_t arenas_current;
    uint64_t arenas_allocated_total;
    uint64_t arenas_released_total;   /* munmapped */
    uint64_t arenas_highwater;
    /* Pools */
    uint64_t pools_in_use;            /* serving a size class */
    uint64_t pools_empty_resident;    /* empty but still backed by RAM */
    uint64_t pools_empty_released;    /* empty and not resident: given back or never touched */
    uint64_t pools_released_total;    /* madvise events, ever */
    /* Overheads */
    uint64_t bytes_lost_pool_headers; /* 0: pool headers live in the arena descriptors */
    uint64_t bytes_lost_quantization;
    /* the blocks of each arena's pool 0 that overlap its first 32 bytes
     * (never handed out; counted while pool 0 is in use) */
    uint64_t bytes_lost_arena_guard;
    uint64_t bytes_lost_large_headers;
    uint64_t bytes_metadata;          /* heap struct, arena table, arena descriptors */
    /* OS view */
    uint64_t bytes_mapped;            /* arenas mapped from the OS */
    uint64_t bytes_resident_estimate; /* touched pools + large blocks + metadata */
    rc_mem_class_stats classes[RC_MEM_NUM_CLASSES];
} rc_memstats;

/* Fill *out for heap h (NULL = current heap).  Returns 0, or -1 with
 * RC_ERR_INVALID (out is NULL) or RC_ERR_STATE (no heap). */
RC_API int rc_mem_stats(rc_heap *h, rc_memstats *out);

/* Print the statistics of h (NULL = current heap) in the layout of Python's
 * sys._debugmallocstats() to f (NULL = stderr).  Returns 0 or -1 as above. */
RC_API int rc_mem_print_stats(rc_heap *h, FILE *f);

/* Give back to the OS, now, every empty pool (madvise) and every empty arena
 * (munmap), the spare arena included - what the purge delay would otherwise
 * release later (like mimalloc's mi_collect(true) or glibc's malloc_trim).  Returns the number of bytes released, or -1 with
 * RC_ERR_STATE when h is NULL and no heap is current. */
RC_API long long rc_mem_purge(rc_heap *h);

/* ------------------------------------------------------------------------
 * Fault injection (only in builds with -DRCGC_FAULT_INJECTION=ON; otherwise
 * these return -1 with RC_ERR_STATE).  Counts are per thread.
 * ---------------------------------------------------------------------- */

/* Make the n-th request to the OS from now on (mmap, malloc of a large block
 * or of metadata) fail, counting from 1; 0 disables.  Returns 0. */
RC_API int rc_testing_fail_os_alloc(long n);
/* Number of OS requests made by this thread since the last
 * rc_testing_fail_os_alloc call. */
RC_API long rc_testing_os_alloc_count(void);
/* Bytes currently obtained from the OS by all heaps of the process. */
RC_API long long rc_testing_os_bytes_live(void);

#ifdef __cplusplus
}
#endif
#endif /* RCGC_MEM_H */
