"""types_cpython.py - the CPython side of bench/types_bench.c: the same
sizes (sys.getsizeof), bytes per instance of 1M two-attribute instances
(measured with tracemalloc), and the list and dict growth sequences.
Prints "RESULT types cpython<version> <metric> <value>" lines."""
import sys
import tracemalloc

IMPL = "cpython%d.%d" % sys.version_info[:2]
N = 1000000


def result(metric, value):
    print("RESULT types %s %s %s" % (IMPL, metric, value))


def sizes():
    l1 = []
    l1.append(1)
    samples = {
        "None": None, "int_1": 1, "int_2e60": 2 ** 60, "float": 1.0,
        "str_empty": "", "str_a": "a", "str_e_acute": "\u00e9", "bytes_empty": b"",
        "tuple_empty": (), "tuple_1": (1,), "tuple_2": (1, 2),
        "list_empty": [], "list_append_1": l1, "list_10": [None] * 10,
        "dict_empty": {}, "dict_1int": {1: 1}, "dict_1str": {"a": 1},
        "set_empty": set(), "set_5": set(range(5)),
    }
    for name, obj in samples.items():
        result("sizeof_" + name, sys.getsizeof(obj))


class D:
    def __init__(self):
        self.a = 1
        self.b = 2


class S:
    __slots__ = ("a", "b")

    def __init__(self):
        self.a = 1
        self.b = 2


class SW:
    __slots__ = ("a", "b", "__weakref__")

    def __init__(self):
        self.a = 1
        self.b = 2


def dict_slots(size):
    """Index slots of a dict with non-str keys, from its getsizeof: dict
    object 64 (with GC header), keys header 32, the index array, and 2/3 of
    the slots as 24-byte entries (CPython 3.11/3.12 layout)."""
    if size == sys.getsizeof({}):
        return 0
    slots = 8
    while slots < (1 << 30):
        ix = 1 if slots <= 128 else 2 if slots <= 65536 else 4
        if 64 + 32 + slots * ix + (2 * slots // 3) * 24 == size:
            return slots
        slots *= 2
    return -1


def per_instance(cls):
    keep = [None] * N
    tracemalloc.start()
    before = tracemalloc.get_traced_memory()[0]
    for i in range(N):
        keep[i] = cls()
    after = tracemalloc.get_traced_memory()[0]
    tracemalloc.stop()
    return (after - before) / N


def main():
    sizes()
    result("sizeof_instance_dict_2attrs", sys.getsizeof(D()))
    result("sizeof_instance_slots_2", sys.getsizeof(S()))
    result("sizeof_instance_slots_2_weakref", sys.getsizeof(SW()))
    result("per_instance_dict", per_instance(D))
    result("per_instance_slots", per_instance(S))
    result("per_instance_slots_weakref", per_instance(SW))
    l, last, k = [], -1, 0
    for _ in range(200):
        cap = (sys.getsizeof(l) - sys.getsizeof([])) // 8
        if cap != last and k < 16:
            result("list_capacity_%d" % k, cap)
            k += 1
            last = cap
        l.append(None)
    # dict: index slots from getsizeof (8 + 24 bytes per slot pair for int keys
    # is layout-specific), so report getsizeof itself at the same sizes
    d, have = {}, 0
    for n in (0, 1, 5, 6, 10, 11, 21, 22, 42, 43, 85, 86):
        while have < n:
            d[1000 + have] = None
            have += 1
        result("dict_slots_at_%d" % n, dict_slots(sys.getsizeof(d)))


main()
