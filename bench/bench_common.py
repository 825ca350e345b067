"""bench_common.py - what the CPython sides of the gc and weak benchmarks
(bench/gc_cpython.py, bench/weak_cpython.py) share: the implementation's
name, the clock, the "RESULT <program> cpython<X.Y> <metric> <value>" and
"INFO ..." lines, and main's running of the workloads named on the command
line (all of them without an argument).  Imported from the scripts' own
folder, which Python puts on sys.path when bench/run.sh runs them."""
import sys
import time

IMPL = "cpython%d.%d" % sys.version_info[:2]
now = time.perf_counter


def result_printer(program):
    """The result(metric, value) function of one program ("gc", "weak")."""
    def result(metric, value):
        print("RESULT %s %s %s %.6g" % (program, IMPL, metric, value), flush=True)
    return result


def info(msg):
    print("INFO " + msg, flush=True)


def run_workloads(script, workloads, argv):
    """Run the workloads named in argv (every one when there is none);
    2 for an unknown name, else 0."""
    info("impl %s %s" % (IMPL, sys.version.split()[0]))
    names = argv or list(workloads)
    for name in names:
        if name not in workloads:
            sys.stderr.write("%s: unknown workload %r (known: %s)\n"
                             % (script, name, " ".join(workloads)))
            return 2
        workloads[name]()
    return 0
