"""weak_cpython.py - the CPython side of bench/weak_bench.c (issue 5): the
same programs, the same sizes, the same measurements (and, for the cache,
the same random sequence), with Python's weakref module.

Usage: python3 weak_cpython.py WORKLOAD...   (no argument = every workload)
Workloads: refs, cache (see the comment at the top of weak_bench.c).
Prints "RESULT weak cpython<X.Y> <metric> <value>" lines and "INFO ..." lines.

Adding a workload: write bench_<name>() and add it to WORKLOADS.
"""
import array
import statistics
import sys
import weakref

from bench_common import info, now, result_printer, run_workloads

result = result_printer("weak")


# --------------------------------------------------------------------------
# refs: create and drop 10M weak references to live objects
# --------------------------------------------------------------------------
REFS_N = 1000000
REFS_ROUNDS = 10


class O:
    pass


def refs_round(objs):
    """One round: a weak reference to every object, dropped at once."""
    ref = weakref.ref
    t0 = now()
    for o in objs:
        ref(o)
    return now() - t0


def loop_round(objs):
    """The same loop without the weak reference: the interpreter's share."""
    t0 = now()
    for o in objs:
        pass
    return now() - t0


def bench_refs():
    objs = [O() for _ in range(REFS_N)]
    refs_round(objs)   # warm-up
    t = [refs_round(objs) for _ in range(REFS_ROUNDS)]
    loop = sum(loop_round(objs) for _ in range(REFS_ROUNDS))
    total = sum(t)
    info("refs: %d rounds x %d objects, %.3f s in all (loop alone %.3f s)"
         % (REFS_ROUNDS, REFS_N, total, loop))
    result("refs_seconds", total)
    result("refs_ns_per_op", total * 1e9 / (REFS_ROUNDS * REFS_N))
    result("refs_ns_per_op_median_round", statistics.median(t) * 1e9 / REFS_N)
    result("refs_ns_per_op_min", min(t) * 1e9 / REFS_N)
    result("refs_ns_per_op_max", max(t) * 1e9 / REFS_N)
    result("refs_loop_ns_per_op", loop * 1e9 / (REFS_ROUNDS * REFS_N))
    result("refs_bytes_sizeof", sys.getsizeof(weakref.ref(objs[0])))


# --------------------------------------------------------------------------
# cache: a WeakValueDictionary with 1M keys under churn
# --------------------------------------------------------------------------
CACHE_KEYS = 1000000
CACHE_HOLDERS = 500000
CACHE_OPS = 5000000
MASK64 = (1 << 64) - 1


class V:
    __slots__ = ("__weakref__",)


def cache_indexes():
    """weak_bench.c's LCG sequence: a key and a holder index per operation
    (computed before the timed part, as there)."""
    ks = array.array("l", bytes(8 * CACHE_OPS))
    js = array.array("l", bytes(8 * CACHE_OPS))
    x = 42
    for i in range(CACHE_OPS):
        x = (x * 6364136223846793005 + 1442695040888963407) & MASK64
        r = x >> 24
        ks[i] = r % CACHE_KEYS
        js[i] = (r >> 20) % CACHE_HOLDERS
    return ks, js


def bench_cache():
    ks, js = cache_indexes()
    cache = weakref.WeakValueDictionary()
    holders = [None] * CACHE_HOLDERS

    t0 = now()
    for k in range(CACHE_KEYS):
        v = V()
        cache[k] = v
        holders[k % CACHE_HOLDERS] = v
    t1 = now()
    del v
    result("cache_fill_ns_per_op", (t1 - t0) * 1e9 / CACHE_KEYS)
    info("cache after fill: len %d" % len(cache))

    misses = 0
    get = cache.get
    t0 = now()
    for i in range(CACHE_OPS):
        k = ks[i]
        v = get(k)
        if v is None:
            v = V()
            cache[k] = v
            misses += 1
        holders[js[i]] = v
    t1 = now()
    del v
    n = len(cache)
    result("cache_churn_ns_per_op", (t1 - t0) * 1e9 / CACHE_OPS)
    result("cache_misses", misses)
    result("cache_final_len", n)
    info("cache churn: %d ops, %d misses (%.1f%%), final len %d"
         % (CACHE_OPS, misses, 100.0 * misses / CACHE_OPS, n))
    holders.clear()
    assert len(cache) == 0


WORKLOADS = {
    "refs": bench_refs,
    "cache": bench_cache,
}


def main(argv):
    return run_workloads("weak_cpython.py", WORKLOADS, argv)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
