/*
 * types_bench.c - the memory figures of issue 3 for rcgc: the size of one
 * object of every built-in type (rc_sizeof, the sys.getsizeof equivalent),
 * the bytes per instance of 1M two-attribute instances (dict-backed versus
 * slots-backed, measured from the allocator's statistics), and the list and
 * dict growth sequences.  bench/types_cpython.py prints the same figures for
 * CPython; bench/run.sh shows them side by side.
 *
 * Output: "RESULT types rcgc <metric> <value>" lines.
 */
#include "rcgc.h"
#include <stdio.h>
#include <stdlib.h>

#define N_INSTANCES 1000000

static void result(const char *metric, double v) { printf("RESULT types rcgc %s %.6g\n", metric, v); }

static void size_of(const char *name, rc_object *o) {
    if (!o) {
        fprintf(stderr, "types_bench: %s: %s\n", name, rc_error_message());
        exit(1);
    }
    char metric[64];
    snprintf(metric, sizeof metric, "sizeof_%s", name);
    result(metric, (double)rc_sizeof(o));
    rc_decref(o);
}

static uint64_t bytes_in_use(void) {
    rc_memstats s;
    rc_mem_stats(NULL, &s);
    return s.bytes_in_use;
}

/* Bytes per instance of 1M instances of cls with attributes a=1, b=2. */
static double per_instance(rc_object *cls) {
    rc_object **keep = malloc(N_INSTANCES * sizeof *keep);   /* outside the heap */
    uint64_t before = bytes_in_use();
    for (int i = 0; i < N_INSTANCES; i++) {
        keep[i] = rc_new_instance(cls);
        if (!keep[i] || rc_setattr(keep[i], "a", rc_int_from(1)) < 0 ||
            rc_setattr(keep[i], "b", rc_int_from(2)) < 0) {
            fprintf(stderr, "types_bench: %s\n", rc_error_message());
            exit(1);
        }
    }
    double per = (double)(bytes_in_use() - before) / N_INSTANCES;
    for (int i = 0; i < N_INSTANCES; i++)
        rc_decref(keep[i]);
    free(keep);
    return per;
}

int main(void) {
    if (rc_init(NULL) < 0)
        return 1;
    size_of("None", rc_newref(rc_None));
    size_of("int_1", rc_int_from(1));
    size_of("int_2e60", rc_int_from((int64_t)1 << 60));
    size_of("float", rc_float_from(1.0));
    size_of("str_empty", rc_str_from(""));
    size_of("str_a", rc_str_from("a"));
    size_of("str_e_acute", rc_str_from("\xc3\xa9"));
    size_of("bytes_empty", rc_bytes_from("", 0));
    size_of("tuple_empty", rc_tuple_new(0));
    size_of("tuple_1", rc_tuple_pack(1, rc_int_from(1)));
    size_of("tuple_2", rc_tuple_pack(2, rc_int_from(1), rc_int_from(2)));
    size_of("list_empty", rc_list_new(0));
    rc_object *l1 = rc_list_new(0);
    rc_list_append(l1, rc_int_from(1));
    size_of("list_append_1", l1);
    size_of("list_10", rc_list_new(10));
    size_of("dict_empty", rc_dict_new());
    rc_object *d1 = rc_dict_new();
    rc_dict_set(d1, rc_int_from(1), rc_int_from(1));
    size_of("dict_1int", d1);
    rc_object *d2 = rc_dict_new();
    rc_dict_set_str(d2, "a", rc_int_from(1));
    size_of("dict_1str", d2);
    size_of("set_empty", rc_set_new());
    rc_object *s5 = rc_set_new();
    for (int i = 0; i < 5; i++)
        rc_set_add(s5, rc_int_from(i));
    size_of("set_5", s5);

    rc_class_options o;
    rc_class_options_init(&o);
    rc_object *dict_cls = rc_class_new("D", &o);
    static const char *const names[] = {"a", "b"};
    o.kind = RC_CLASS_SLOTS;
    o.slots = names;
    o.nslots = 2;
    o.weakrefs = 0;
    rc_object *slots_cls = rc_class_new("S", &o);
    o.weakrefs = 1;
    rc_object *slots_wr_cls = rc_class_new("SW", &o);
    rc_object *x = rc_new_instance(dict_cls);
    rc_setattr(x, "a", rc_int_from(1));
    rc_setattr(x, "b", rc_int_from(2));
    size_of("instance_dict_2attrs", x);
    size_of("instance_slots_2", rc_new_instance(slots_cls));
    size_of("instance_slots_2_weakref", rc_new_instance(slots_wr_cls));
    result("per_instance_dict", per_instance(dict_cls));
    result("per_instance_slots", per_instance(slots_cls));
    result("per_instance_slots_weakref", per_instance(slots_wr_cls));
    rc_decref(dict_cls);
    rc_decref(slots_cls);
    rc_decref(slots_wr_cls);

    /* growth: list capacity after each append, dict table at n items */
    rc_object *l = rc_list_new(0);
    intptr_t last = -1;
    int k = 0;
    for (int i = 0; i < 200 && k < 16; i++) {
        intptr_t cap = rc_list_capacity(l);
        if (cap != last) {
            char m[32];
            snprintf(m, sizeof m, "list_capacity_%d", k++);
            result(m, (double)cap);
            last = cap;
        }
        rc_list_append(l, rc_None);
    }
    rc_decref(l);
    static const int dict_n[] = {0, 1, 5, 6, 10, 11, 21, 22, 42, 43, 85, 86};
    rc_object *d = rc_dict_new();
    int have = 0;
    for (size_t j = 0; j < sizeof dict_n / sizeof dict_n[0]; j++) {
        while (have < dict_n[j]) {
            rc_object *key = rc_int_from(1000 + have++);
            rc_dict_set(d, key, rc_None);
            rc_decref(key);
        }
        char m[32];
        snprintf(m, sizeof m, "dict_slots_at_%d", dict_n[j]);
        result(m, (double)rc_dict_table_size(d));
    }
    rc_decref(d);
    rc_fini();
    return 0;
}
