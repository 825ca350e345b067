/*
 * tour_refcount.c - chapter 1 of the tour: reference counting with
 * immediate destruction, and what the allocator looks like before and
 * after the objects go.
 */
#include "rcgc.h"
#include "tour.h"

typedef struct Node {
    rc_object ob;
    struct Node *next;   /* owned reference or NULL */
    long id;
} Node;

static void node_dealloc(rc_object *self) {
    Node *n = (Node *)self;
    if (n->id > 0)
        printf("    ~ Node #%ld destroyed (refcount reached 0)\n", n->id);
    rc_clear(&n->next);
}

static const rc_type Node_type = {
    .ob_base = RC_STATIC_TYPE_HEAD,
    .name = "Node",
    .basic_size = sizeof(Node),
    .dealloc = node_dealloc,
};

static void summary(const char *when) {
    rc_memstats s;
    rc_mem_stats(NULL, &s);
    printf("    [%s] blocks in use %llu, bytes in use %llu, arenas %llu, resident ~%llu KiB\n",
           when, (unsigned long long)s.blocks_in_use, (unsigned long long)s.bytes_in_use,
           (unsigned long long)s.arenas_current,
           (unsigned long long)(s.bytes_resident_estimate / 1024));
}

int tour_refcount(void) {
    if (rc_init(NULL) < 0)
        return -1;
    printf("== Chapter 1: reference counting and immediate destruction ==\n\n");
    Node *a = rc_object_new(&Node_type);
    if (!a)
        goto fail;
    a->id = 1;
    printf("  a = Node(1)                 -> refcount %ld\n", (long)rc_refcount(a));
    Node *b = rc_newref(a);
    printf("  b = a                       -> refcount %ld\n", (long)rc_refcount(a));
    Node *c = rc_object_new(&Node_type);
    if (!c)
        goto fail;
    c->id = 2;
    c->next = rc_newref(a);
    printf("  c = Node(2); c.next = a     -> refcount %ld\n", (long)rc_refcount(a));
    rc_decref(b);
    printf("  del b                       -> refcount %ld\n", (long)rc_refcount(a));
    rc_decref(a);
    printf("  del a                       -> refcount %ld (c.next still holds it)\n",
           (long)rc_refcount(c->next));
    printf("  del c                       -> both go at once, no collector needed:\n");
    rc_decref(c);

    printf("\n  Allocating 100000 Nodes (each %zu bytes, a 32-byte size class):\n",
           sizeof(Node));
    enum { N = 100000 };
    Node **many = rc_mem_malloc(N * sizeof *many);
    if (!many)
        goto fail;
    summary("before");
    for (int i = 0; i < N; i++) {
        many[i] = rc_object_new(&Node_type);
        if (!many[i])
            goto fail;
        many[i]->id = -1;   /* negative ids stay quiet in node_dealloc */
    }
    summary("100000 live");
    printf("\n  The allocator's view (layout of Python's sys._debugmallocstats):\n\n");
    rc_mem_print_stats(NULL, stdout);
    for (int i = 0; i < N; i++)
        rc_decref(many[i]);
    rc_mem_free(many);
    printf("\n  Dropping every Node returns its block at once:\n");
    summary("after free");
    long long released = rc_mem_purge(NULL);
    printf("    rc_mem_purge() gave %lld KiB back to the OS\n", released / 1024);
    summary("after purge");
    printf("\n");
    rc_fini();
    return 0;
fail:
    rc_fini();
    return -1;
}
