/*
 * test_debug.c - misuse that cannot be reported as a value ends the process
 * with a diagnostic.  Each bad program runs in a child process; the test
 * checks that it aborted and what it printed:
 *   debug allocator: overrun, underrun, double free, API-family mismatch;
 *   any mode: refcount underflow, use of a freed object, an object freed on
 *   a heap that does not own it, freeing a pointer rcgc never returned.
 */
#include "check.h"

static rc_config mode_cfg(rc_malloc_mode m) {
    rc_config c;
    rc_config_init(&c);
    c.malloc_mode = m;
    return c;
}

static void enter_mode(rc_malloc_mode m) {
    rc_config c = mode_cfg(m);
    rc_fini();                /* the child's copy of the test's heap */
    if (rc_init(&c) < 0)
        _exit(3);
}

typedef struct Victim {
    rc_object ob;
    long payload;
} Victim;
static const rc_type Victim_type = {.ob_base = RC_STATIC_TYPE_HEAD, .name = "Victim",
                                    .basic_size = sizeof(Victim)};
static const rc_type GcVictim_type = {.ob_base = RC_STATIC_TYPE_HEAD, .name = "GcVictim",
                                      .basic_size = sizeof(Victim),
                                      .flags = RC_TYPE_GC | RC_TYPE_TRACK};

/* ------------------------------------------------ debug allocator */

static void overrun(void) {
    enter_mode(RC_MALLOC_DEBUG);
    char *p = rc_mem_malloc(16);
    p[16] = 'x';
    rc_mem_free(p);
}
static void underrun(void) {
    enter_mode(RC_MALLOC_DEBUG);
    char *p = rc_mem_malloc(16);
    p[-2] = 0;
    rc_mem_free(p);
}
static void double_free(void) {
    enter_mode(RC_MALLOC_DEBUG);
    char *keep = rc_mem_malloc(24);     /* keeps the pool in use */
    char *p = rc_mem_malloc(24);
    rc_mem_free(p);
    rc_mem_free(p);
    rc_mem_free(keep);
}
static void double_free_last_block(void) {
    enter_mode(RC_MALLOC_DEBUG);
    char *p = rc_mem_malloc(24);        /* its pool empties on the first free */
    rc_mem_free(p);
    rc_mem_free(p);
}
static void double_free_pymalloc(void) {
    enter_mode(RC_MALLOC_PYMALLOC);
    char *p = rc_mem_malloc(24);
    rc_mem_free(p);
    rc_mem_free(p);
}
static void large_overrun(void) {
    enter_mode(RC_MALLOC_DEBUG);
    char *p = rc_mem_malloc(5000);
    p[5003] = 1;
    rc_mem_free(p);
}
static void api_mismatch(void) {
    enter_mode(RC_MALLOC_DEBUG);
    Victim *v = rc_object_new(&Victim_type);
    rc_mem_free(v);           /* object memory through the raw API */
}

static void test_debug_allocator_detections(void) {
    CHECK_DIES(overrun, "rc_mem_free: bad trailing pad byte");
    CHECK_DIES(overrun, "at tail+0: 0x78 *** OUCH");
    CHECK_DIES(overrun, "Debug memory block at address p=");
    CHECK_DIES(overrun, "16 bytes originally requested");
    CHECK_DIES(overrun, "Data at p: cd cd cd cd cd cd cd cd cd cd cd cd cd cd cd cd");
    CHECK_DIES(underrun, "bad leading pad byte");
    CHECK_DIES(underrun, "at p-2: 0x00 *** OUCH");
    CHECK_DIES(double_free, "rc_mem_free: double free or use of a freed block");
    CHECK_DIES(double_free, "the size word reads 0xDDDDDDDDDDDDDDDD");
    CHECK_DIES(double_free_last_block, "double free");
    CHECK_DIES(double_free_pymalloc, "double free");
    CHECK_DIES(large_overrun, "bad trailing pad byte");
    CHECK_DIES(api_mismatch, "bad ID: Allocated using API 'o', verified using API 'm'");
}

/* ------------------------------------------------ object misuse */

static void decref_freed(void) {
    Victim *v = rc_object_new(&Victim_type);
    rc_decref(v);
    rc_decref(v);             /* use after free */
}
static void refcount_of_freed(void) {
    Victim *v = rc_object_new(&GcVictim_type);
    rc_decref(v);
    (void)rc_refcount(v);
}
static void decref_freed_debug(void) { enter_mode(RC_MALLOC_DEBUG); decref_freed(); }
static void decref_freed_pymalloc(void) { enter_mode(RC_MALLOC_PYMALLOC); decref_freed(); }
static void refcount_of_freed_pymalloc(void) { enter_mode(RC_MALLOC_PYMALLOC); refcount_of_freed(); }

static void self_decref_dealloc(rc_object *self) { rc_decref(self); }
static const rc_type Underflow_type = {.ob_base = RC_STATIC_TYPE_HEAD, .name = "Underflow",
                                       .basic_size = sizeof(Victim),
                                       .dealloc = self_decref_dealloc};
static void underflow(void) {
    enter_mode(RC_MALLOC_PYMALLOC);
    rc_decref(rc_object_new(&Underflow_type));   /* dealloc drops one too many */
}

static void wrong_heap(rc_malloc_mode m, const rc_type *t) {
    enter_mode(m);
    Victim *v = rc_object_new(t);
    rc_config c = mode_cfg(m);
    rc_heap *other = rc_heap_new(&c);
    rc_heap_enter(other);
    void *keep = rc_mem_malloc(32);   /* the other heap has arenas too */
    (void)keep;
    rc_decref(v);             /* destroyed while `other` is current */
}
static void wrong_heap_pymalloc(void) { wrong_heap(RC_MALLOC_PYMALLOC, &Victim_type); }
static void wrong_heap_gc(void) { wrong_heap(RC_MALLOC_PYMALLOC, &GcVictim_type); }
static void wrong_heap_malloc(void) { wrong_heap(RC_MALLOC_MALLOC, &Victim_type); }
static void wrong_heap_debug(void) { wrong_heap(RC_MALLOC_DEBUG, &Victim_type); }

static void no_heap_at_death(void) {
    enter_mode(RC_MALLOC_PYMALLOC);
    Victim *v = rc_object_new(&Victim_type);
    rc_heap_enter(NULL);
    rc_decref(v);
}

static void foreign_pointer(void) {
    enter_mode(RC_MALLOC_PYMALLOC);
    long on_stack[8] = {0};
    rc_mem_free(&on_stack[4]);
}
static void interior_pointer(void) {
    enter_mode(RC_MALLOC_PYMALLOC);
    char *p = rc_mem_malloc(64);
    rc_mem_free(p + 8);
}
static void aligned_interior_pointer(void) {
    enter_mode(RC_MALLOC_DEBUG);        /* the exact boundary check is a debug check */
    char *p = rc_mem_malloc(64);
    rc_mem_free(p + 16);
}
static void never_carved_block(void) {
    enter_mode(RC_MALLOC_PYMALLOC);
    char *p = rc_mem_malloc(64);
    rc_mem_free(p + 64 * 20);           /* inside the pool, never handed out */
}

static void test_object_misuse_is_diagnosed(void) {
    CHECK_DIES(decref_freed_pymalloc, "object at 0x");
    CHECK_DIES(decref_freed_pymalloc, "of type 'Victim' was used after it was freed (rc_decref)");
    CHECK_DIES(refcount_of_freed_pymalloc, "of type 'GcVictim' was used after it was freed (rc_refcount)");
    CHECK_DIES(decref_freed_debug, "was used after it was freed");
    CHECK_DIES(underflow, "of type 'Underflow' has refcount 0 in rc_decref: refcount underflow");
    CHECK_DIES(wrong_heap_pymalloc, "of type 'Victim' freed on a heap that does not own it");
    CHECK_DIES(wrong_heap_gc, "of type 'GcVictim' freed on a heap that does not own it");
    CHECK_DIES(wrong_heap_malloc, "of type 'Victim' freed on a heap that does not own it");
    CHECK_DIES(wrong_heap_debug, "of type 'Victim' freed on a heap that does not own it");
    CHECK_DIES(no_heap_at_death, "of type 'Victim' reached refcount 0 on a thread with no heap bound");
    CHECK_DIES(foreign_pointer, "was not allocated by heap");
    CHECK_DIES(interior_pointer, "is not an allocated block");
    CHECK_DIES(aligned_interior_pointer, "is not an allocated block");
    CHECK_DIES(never_carved_block, "is not an allocated block");
}

int main(void) {
    RUN(test_debug_allocator_detections);
    RUN(test_object_misuse_is_diagnosed);
    return check_summary("test_debug");
}
