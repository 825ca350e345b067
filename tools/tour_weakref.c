/*
 * tour_weakref.c - chapter 4 of the tour: weak references, the tutorials'
 * two uses - a back-pointer that does not make a cycle (parent/child Nodes
 * freed by reference counting alone, nothing left for the collector), and
 * a cache in a weak-value dictionary that empties itself as its values die
 * - and weakref.finalize to run cleanup when an object goes.  Every claim
 * printed is checked; a failed check ends the chapter with an error.
 */
#include "rcgc.h"
#include "rcgc/finalize.h"
#include "rcgc/weakdict.h"
#include "tour.h"

/* Fail the chapter unless cond holds. */
#define EXPECT(cond)                                                              \
    do {                                                                          \
        if (!(cond))                                                              \
            return rc_error_set(RC_ERR_RUNTIME, "tour check failed: %s", #cond);  \
    } while (0)

/* Blocks in use, after the free lists and interned strings are given back
 * (they are caches, not live data). */
static uint64_t blocks(void) {
    rc_heap_clear_caches(NULL);
    rc_memstats s;
    rc_mem_stats(NULL, &s);
    return s.blocks_in_use;
}

/* parent.children = [child]; child.parent = parent, held strongly or
 * through a weak reference.  Returns 0 or -1. */
static int make_family(rc_object *Node, int weak_back_pointer) {
    rc_object *parent = rc_new_instance(Node), *child = rc_new_instance(Node);
    rc_object *children = rc_list_new(0);
    int r = parent && child && children ? 0 : -1;
    if (r == 0)
        r = rc_list_append(children, child) | rc_setattr(parent, "children", children);
    if (r == 0 && weak_back_pointer) {
        rc_object *ref = rc_weakref_new(parent, NULL, NULL);
        r = ref ? rc_setattr(child, "parent", ref) : -1;
        rc_xdecref(ref);
        /* reading it back: the parent while it lives */
        rc_object *p = r == 0 ? rc_weakref_get(rc_getattr_borrowed(child, "parent")) : NULL;
        if (r == 0 && p != parent)
            r = rc_error_set(RC_ERR_RUNTIME, "child.parent() is not the parent");
        rc_xdecref(p);
    } else if (r == 0) {
        r = rc_setattr(child, "parent", parent);
    }
    rc_xdecref(children);
    rc_xdecref(child);
    rc_xdecref(parent);
    return r;
}

static int back_pointers(rc_object *Node) {
    printf("  A tree with back-pointers: parent.children = [child]; child.parent = parent\n");
    /* once unmeasured: the class sets up its attribute tables for good */
    EXPECT(make_family(Node, 0) == 0);
    rc_gc_collect(2);
    uint64_t base = blocks();
    EXPECT(make_family(Node, 0) == 0);
    printf("    strong back-pointer, names dropped: %llu blocks still allocated (a cycle)\n",
           (unsigned long long)(blocks() - base));
    EXPECT(blocks() > base);
    intptr_t n = rc_gc_collect(2);
    printf("    gc.collect() -> %ld: only the collector could free them\n", (long)n);
    EXPECT(n == 3 && blocks() == base);

    EXPECT(make_family(Node, 1) == 0);
    printf("    child.parent = weakref.ref(parent), names dropped: %llu blocks left\n",
           (unsigned long long)(blocks() - base));
    EXPECT(blocks() == base);
    n = rc_gc_collect(2);
    printf("    gc.collect() -> %ld: reference counting freed everything at once\n\n", (long)n);
    EXPECT(n == 0);
    return 0;
}

/* cache[key] = a new Image for i in 0..n-1; every `keep`-th one is also
 * appended to in_use (the users of the cache). */
static int fill_cache(rc_object *cache, rc_object *Image, rc_object *in_use, int n, int keep) {
    for (int i = 0; i < n; i++) {
        rc_object *key = rc_str_from_fmt("img%d", i), *img = rc_new_instance(Image);
        int r = key && img ? rc_weakvaluedict_set(cache, key, img) : -1;
        if (r == 0 && i % keep == 0)
            r = rc_list_append(in_use, img);
        rc_xdecref(key);
        rc_xdecref(img);
        if (r < 0)
            return -1;
    }
    return 0;
}

static int weak_cache(rc_object *Image) {
    printf("  A cache that does not keep its values alive (weakref.WeakValueDictionary):\n");
    rc_object *cache = rc_weakvaluedict_new(), *in_use = rc_list_new(0);
    EXPECT(cache && in_use);
    EXPECT(fill_cache(cache, Image, in_use, 1000, 100) == 0);
    printf("    1000 images cached, 10 of them held by users: len(cache) = %ld\n",
           (long)rc_weakvaluedict_len(cache));
    EXPECT(rc_weakvaluedict_len(cache) == 10);

    rc_object *key = rc_str_from("img500"), *hit = rc_weakvaluedict_get(cache, key);
    printf("    cache['img500'] -> %s\n", hit ? "the image (a user still holds it)" : "KeyError");
    EXPECT(hit != NULL);
    rc_decref(hit);
    rc_list_clear(in_use);
    hit = rc_weakvaluedict_get(cache, key);
    printf("    the users let go: len(cache) = %ld, cache['img500'] -> %s\n",
           (long)rc_weakvaluedict_len(cache), hit ? "the image" : rc_error_name(rc_error_code()));
    EXPECT(!hit && rc_error_code() == RC_ERR_KEY && rc_weakvaluedict_len(cache) == 0);
    rc_error_clear();

    /* A value in a reference cycle dies only when the collector finds it. */
    rc_object *img = rc_new_instance(Image);
    EXPECT(img && rc_setattr(img, "self", img) == 0 && rc_weakvaluedict_set(cache, key, img) == 0);
    rc_decref(img);
    printf("    an image in a cycle, no user: len(cache) = %ld", (long)rc_weakvaluedict_len(cache));
    EXPECT(rc_weakvaluedict_len(cache) == 1);
    rc_gc_collect(2);
    printf(", after gc.collect(): %ld\n\n", (long)rc_weakvaluedict_len(cache));
    EXPECT(rc_weakvaluedict_len(cache) == 0);
    rc_decref(key);
    rc_decref(in_use);
    rc_decref(cache);
    return 0;
}

static int closed_files;

/* The cleanup a finalizer runs: arg is the name of the "file". */
static int close_file(rc_object *arg) {
    printf("    finalizer: closing %s\n", rc_str_utf8(arg));
    closed_files++;
    return 0;
}

static int finalizers(rc_object *Image) {
    printf("  weakref.finalize(obj, func, arg): cleanup when obj dies, without __del__:\n");
    rc_object *img = rc_new_instance(Image), *name = rc_str_from("photo.png");
    rc_object *f = img && name ? rc_finalize_new(img, close_file, name) : NULL;
    EXPECT(f != NULL);
    rc_decref(f);   /* the heap's registry keeps the finalizer alive */
    rc_decref(name);
    printf("    dropping the last reference to the image:\n");
    rc_decref(img);
    EXPECT(closed_files == 1);
    img = rc_new_instance(Image);
    name = rc_str_from("log.txt");
    EXPECT(img && name);
    rc_xdecref(rc_finalize_new(img, close_file, name));
    rc_decref(name);
    printf("    an image still alive at exit: its finalizer runs at rc_fini()\n");
    /* img is left to the heap's destruction on purpose */
    return 0;
}

int tour_weakref(void) {
    if (rc_init(NULL) < 0)
        return -1;
    printf("== Chapter 4: weak references ==\n\n");
    rc_gc_disable();   /* every free below is reference counting's, or an explicit collect */
    rc_object *Node = rc_class_new("Node", NULL), *Image = rc_class_new("Image", NULL);
    int r = Node && Image ? 0 : -1;
    if (r == 0)
        r = back_pointers(Node);
    if (r == 0)
        r = weak_cache(Image);
    if (r == 0)
        r = finalizers(Image);
    rc_xdecref(Node);
    rc_xdecref(Image);
    if (r < 0) {
        rc_errcode code = rc_error_code();
        char msg[256];
        snprintf(msg, sizeof msg, "%s", rc_error_message());
        rc_fini();
        rc_error_set(code, "%s", msg);   /* reported by the caller */
        return -1;
    }
    rc_fini();
    printf("\n");
    if (closed_files != 2)
        return rc_error_set(RC_ERR_RUNTIME, "tour check failed: the at-exit finalizer did not run");
    return 0;
}
