/* hello.c - the README's example: a static type with a dealloc hook,
 * a refcount rising and falling, destruction at zero, allocator statistics.
 *
 *   gcc -std=c11 -Iinclude examples/hello.c build/librcgc.a -lpthread -o hello
 */
#include <rcgc.h>

typedef struct { rc_object ob; int id; } Point;

/* Releases what a Point owns (nothing here); the library frees the block. */
static void point_dealloc(rc_object *self) {
    printf("dealloc Point %d\n", ((Point *)self)->id);
}

static const rc_type Point_type = {
    .ob_base = RC_STATIC_TYPE_HEAD, .name = "Point",
    .basic_size = sizeof(Point), .dealloc = point_dealloc,
};

int main(void) {
    if (rc_init(NULL) < 0) { fprintf(stderr, "%s\n", rc_error_message()); return 1; }
    Point *p = rc_object_new(&Point_type);       /* refcount 1 */
    if (!p) { fprintf(stderr, "%s\n", rc_error_message()); rc_fini(); return 1; }
    p->id = 7;
    rc_incref(p);
    printf("after incref: %ld\n", (long)rc_refcount(p));
    rc_mem_print_stats(NULL, stdout);             /* one 32-byte block in use */
    rc_decref(p);
    printf("after decref: %ld\n", (long)rc_refcount(p));
    rc_decref(p);                                 /* reaches 0: destroyed now */
    rc_fini();
    return 0;
}
