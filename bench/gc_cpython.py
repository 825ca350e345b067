"""gc_cpython.py - the CPython side of bench/gc_bench.c (issue 4): the same
programs, the same sizes, the same measurements, with Python's gc module.

Usage: python3 gc_cpython.py WORKLOAD...   (no argument = every workload)
Workloads: full, cycles, gc_collect, gc_traversal, bintree, pauses (see the
comment at the top of gc_bench.c).  Prints "RESULT gc cpython<X.Y> <metric>
<value>" lines and "INFO ..." lines."""
import gc
import statistics
import sys

from bench_common import info, now, result_printer, run_workloads

result = result_printer("gc")


class Node2:
    """The two-slot instance of benchmarks 1, 2 and 5."""
    __slots__ = ("next", "value")


# --------------------------------------------------------------------------
# 1. full collection over 1M live instances in a linked list
# --------------------------------------------------------------------------
FULL_N = 1000000
FULL_REPS = 7


def bench_full():
    head = None
    for _ in range(FULL_N):
        n = Node2()
        n.next = head
        n.value = None
        head = n
    gc.collect()
    t = []
    found = 0
    for _ in range(FULL_REPS):
        t0 = now()
        found += gc.collect()
        t.append(now() - t0)
    assert found == 0, found
    info("full: %d instances, %d tracked objects, collections %.3f..%.3f ms"
         % (FULL_N, len(gc.get_objects()), min(t) * 1e3, max(t) * 1e3))
    med = statistics.median(t)
    result("full_ms", med * 1e3)
    result("full_ns_per_obj", med * 1e9 / FULL_N)
    result("full_ns_per_obj_min", min(t) * 1e9 / FULL_N)
    result("full_ns_per_obj_max", max(t) * 1e9 / FULL_N)
    result("full_objects", FULL_N)
    del head


# --------------------------------------------------------------------------
# 2. 1M instances in 2-cycles, dropped, then one collection
# --------------------------------------------------------------------------
CYC_PAIRS = 500000
CYC_ROUNDS = 5


def bench_cycles():
    t = []
    for r in range(CYC_ROUNDS):
        gc.collect()
        gc.disable()
        for _ in range(CYC_PAIRS):
            a = Node2()
            b = Node2()
            a.next = b
            b.next = a
        del a, b
        t0 = now()
        found = gc.collect()
        t.append(now() - t0)
        gc.enable()
        assert found == 2 * CYC_PAIRS, found
        info("cycles: round %d collected %d in %.3f ms" % (r, found, t[-1] * 1e3))
    med = statistics.median(t)
    result("cycles_ms", med * 1e3)
    result("cycles_ns_per_obj", med * 1e9 / (2 * CYC_PAIRS))
    result("cycles_ns_per_obj_min", min(t) * 1e9 / (2 * CYC_PAIRS))
    result("cycles_ns_per_obj_max", max(t) * 1e9 / (2 * CYC_PAIRS))
    result("cycles_objects", 2 * CYC_PAIRS)


# --------------------------------------------------------------------------
# 3a. pyperformance bm_gc_collect (same code, timed the same way)
# --------------------------------------------------------------------------
CYCLES = 100
LINKS = 20
LOOPS = 100


class Node:
    def __init__(self):
        self.next = None
        self.prev = None

    def link_next(self, next):
        self.next = next
        self.next.prev = self


def create_cycle(node, n_links):
    """Create a cycle of n_links nodes, starting with node."""
    if n_links == 0:
        return
    current = node
    for i in range(n_links):
        next_node = Node()
        current.link_next(next_node)
        current = next_node
    current.link_next(node)


def create_gc_cycles(n_cycles, n_links):
    """Create n_cycles cycles n_links+1 nodes each."""
    cycles = []
    for _ in range(n_cycles):
        node = Node()
        cycles.append(node)
        create_cycle(node, n_links)
    return cycles


def bench_gc_collect():
    t = []
    for loop in range(LOOPS):
        gc.collect()
        all_cycles = create_gc_cycles(CYCLES, LINKS)
        del all_cycles
        t0 = now()
        collected = gc.collect()
        t.append(now() - t0)
        assert collected >= CYCLES * (LINKS + 1), collected
        if loop == 0:
            info("gc_collect: collected %d per collection" % collected)
    result("gc_collect_us", statistics.mean(t) * 1e6)
    result("gc_collect_us_median", statistics.median(t) * 1e6)
    result("gc_collect_us_min", min(t) * 1e6)
    result("gc_collect_us_max", max(t) * 1e6)


# --------------------------------------------------------------------------
# 3b. pyperformance bm_gc_traversal
# --------------------------------------------------------------------------
N_LEVELS = 1000


def create_recursive_containers(n_levels):
    current_list = []
    for n in range(n_levels):
        new_list = [None] * n
        for index in range(n):
            new_list[index] = current_list
        current_list = new_list
    return current_list


def bench_gc_traversal():
    all_cycles = create_recursive_containers(N_LEVELS)
    t = []
    for _ in range(LOOPS):
        gc.collect()
        t0 = now()
        collected = gc.collect()
        t.append(now() - t0)
        assert collected == 0, collected
    info("gc_traversal: %d lists, %d tracked objects in the process"
         % (N_LEVELS, len(gc.get_objects())))
    result("gc_traversal_us", statistics.mean(t) * 1e6)
    result("gc_traversal_us_median", statistics.median(t) * 1e6)
    result("gc_traversal_us_min", min(t) * 1e6)
    result("gc_traversal_us_max", max(t) * 1e6)
    del all_cycles


# --------------------------------------------------------------------------
# 4. binary-trees, depth 18, __slots__ instances as nodes, gc enabled
# --------------------------------------------------------------------------
MIN_DEPTH = 4
MAX_DEPTH = 18


class TreeNode:
    __slots__ = ("left", "right")

    def __init__(self, left, right):
        self.left = left
        self.right = right


def make_tree(depth):
    if depth == 0:
        return TreeNode(None, None)
    depth -= 1
    return TreeNode(make_tree(depth), make_tree(depth))


def check_tree(node):
    if node.left is None:
        return 1
    return 1 + check_tree(node.left) + check_tree(node.right)


def bench_bintree():
    info("bintree: collector %s, thresholds %s"
         % ("enabled" if gc.isenabled() else "disabled", gc.get_threshold()))
    before = gc.get_stats()
    pause = [0.0, 0.0]      # start of the current collection, total

    def on_gc(phase, info_):
        if phase == "start":
            pause[0] = now()
        else:
            pause[1] += now() - pause[0]

    gc.callbacks.append(on_gc)
    t0 = now()
    check = 0
    stretch = make_tree(MAX_DEPTH + 1)
    check += check_tree(stretch)
    del stretch
    long_lived = make_tree(MAX_DEPTH)
    for d in range(MIN_DEPTH, MAX_DEPTH + 1, 2):
        iterations = 1 << (MAX_DEPTH - d + MIN_DEPTH)
        for _ in range(iterations):
            check += check_tree(make_tree(d))
    check += check_tree(long_lived)
    del long_lived
    sec = now() - t0
    gc.callbacks.remove(on_gc)
    after = gc.get_stats()
    colls = sum(a["collections"] - b["collections"] for a, b in zip(after, before))
    info("bintree: check %d, collections per generation %s"
         % (check, [a["collections"] - b["collections"] for a, b in zip(after, before)]))
    result("bintree_seconds", sec)
    result("bintree_ns_per_node", sec * 1e9 / check)
    result("bintree_gc_seconds", pause[1])
    result("bintree_collections", colls)


# --------------------------------------------------------------------------
# 5. pauses: churn over a 2M-object live heap
# --------------------------------------------------------------------------
PZ_LIVE = 2000000
PZ_ITER = 5000000
PZ_WINDOW_BITS = 15
PZ_WINDOW = 1 << PZ_WINDOW_BITS


def percentile(sorted_v, p):
    """Nearest rank, as in gc_bench.c."""
    n = len(sorted_v)
    k = int(p / 100.0 * n + 0.999999999)
    k = min(max(k, 1), n)
    return sorted_v[k - 1]


def bench_pauses():
    t_setup = now()
    head = None
    for _ in range(PZ_LIVE):
        n = Node2()
        n.next = head
        n.value = None
        head = n
    del n
    window = [None] * PZ_WINDOW
    gc.collect()
    t_setup = now() - t_setup

    pauses = []
    gens = []
    start = [0.0]

    def on_gc(phase, info_):
        if phase == "start":
            start[0] = now()
        else:
            pauses.append(now() - start[0])
            gens.append(info_["generation"])

    gc.callbacks.append(on_gc)
    shift = 32 - PZ_WINDOW_BITS
    t0 = now()
    for i in range(PZ_ITER):
        a = Node2()
        b = Node2()
        a.next = b
        b.next = a
        if i & 3 == 0:
            window[(((i >> 2) * 2654435761) & 0xFFFFFFFF) >> shift] = a
    del a, b
    run = now() - t0
    gc.callbacks.remove(on_gc)

    n = len(pauses)
    per_gen = [gens.count(g) for g in range(3)]
    max_gen = [max([p for p, g in zip(pauses, gens) if g == k], default=0.0) for k in range(3)]
    info("pauses: setup %.3f s, churn %.3f s, %d collections (gen0 %d, gen1 %d, gen2 %d)"
         % (t_setup, run, n, per_gen[0], per_gen[1], per_gen[2]))
    s = sorted(pauses)
    result("pause_count", n)
    for g in range(3):
        result("pause_gen%d_count" % g, per_gen[g])
    result("pause_median_us", percentile(s, 50) * 1e6)
    result("pause_p99_us", percentile(s, 99) * 1e6)
    result("pause_max_us", s[-1] * 1e6)
    for g in range(3):
        result("pause_gen%d_max_us" % g, max_gen[g] * 1e6)
    result("pause_total_s", sum(pauses))
    result("pause_churn_seconds", run)
    del window, head


WORKLOADS = {
    "full": bench_full,
    "cycles": bench_cycles,
    "gc_collect": bench_gc_collect,
    "gc_traversal": bench_gc_traversal,
    "bintree": bench_bintree,
    "pauses": bench_pauses,
}


def main(argv):
    sys.setrecursionlimit(10000)
    return run_workloads("gc_cpython.py", WORKLOADS, argv)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
