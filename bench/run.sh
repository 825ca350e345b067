#!/usr/bin/env bash
# bench/run.sh BUILD_DIR - build and run rcgc's benchmarks side by side with
# peer implementations, print tables, and write every figure to
# BUILD_DIR/bench/results.json as [{"bench","impl","metric","value"}, ...].
#
# Needs only bash, gcc and awk (no python).  The rcgc library must already be
# built in BUILD_DIR (librcgc.a).  Peers (mimalloc, jemalloc) are installed
# with apt-get when missing; a peer that cannot be installed, built or run is
# skipped with a message.  Exit status is nonzero only when an rcgc program
# fails to build or run.
#
# Adding a benchmark program: write bench_<name>_run (compile + run, append
# "RESULT <bench> <impl> <metric> <value>" lines to $RESULTS_TXT) and
# bench_<name>_report (print its tables from $RESULTS_TXT), then add <name> to
# BENCH_PROGRAMS below.  The JSON is written from every RESULT line at the end.
#
# Environment knobs:
#   BENCH_PROGRAMS      programs to run (default: "alloc types gc weak")
#   ALLOC_IMPLS         implementations (default: "rcgc rcgc0 glibc mimalloc jemalloc";
#                       rcgc0 is rcgc with purge delay 0: memory back at once)
#   ALLOC_WORKLOADS     alloc_bench workloads, each run in its own process
#   ALLOC_REPEAT        runs of every timed workload (default 3); the tables
#                       show the median, the JSON also has _min and _max
#   GC_WORKLOADS        gc_bench workloads (default: full cycles gc_collect
#                       gc_traversal bintree pauses), each in its own process
#   GC_BINTREE_REPEAT   runs of binary-trees for rcgc and the C peers (default
#                       3; the tables show the median); CPython runs it once
#   GC_PEERS            C peers of binary-trees (default: "glibc mimalloc boehm")
#   WEAK_WORKLOADS      weak_bench workloads (default: "refs cache"), each in its own process
#   WEAK_REPEAT         runs of every weak workload, rcgc and CPython interleaved
#                       (default 3; the tables show the median)
#   CC, BENCH_CFLAGS    compiler and flags (default: gcc, -O2)
#   BENCH_NO_INSTALL=1  never call apt-get
# Functions are called through names built at run time (bench_<name>_run).
# shellcheck disable=SC2317
set -u

if [ $# -lt 1 ]; then
    echo "usage: $0 BUILD_DIR" >&2
    exit 2
fi

ROOT=$(cd "$(dirname "$0")/.." && pwd)
BUILD_DIR=$(mkdir -p "$1" && cd "$1" && pwd)
OUT="$BUILD_DIR/bench"
mkdir -p "$OUT"
RESULTS_TXT="$OUT/results.txt"
RESULTS_JSON="$OUT/results.json"
LOG="$OUT/bench.log"
: > "$RESULTS_TXT"
: > "$LOG"

CC=${CC:-gcc}
BENCH_CFLAGS=${BENCH_CFLAGS:--O2}
BENCH_PROGRAMS=${BENCH_PROGRAMS:-alloc types gc weak}
ALLOC_IMPLS=${ALLOC_IMPLS:-rcgc rcgc0 glibc mimalloc jemalloc}
ALLOC_WORKLOADS=${ALLOC_WORKLOADS:-burst churn bintree rss rss_trim90 rss_clustered rss_clustered_trim90}
ALLOC_REPEAT=${ALLOC_REPEAT:-3}
GC_WORKLOADS=${GC_WORKLOADS:-full cycles gc_collect gc_traversal bintree pauses}
GC_BINTREE_REPEAT=${GC_BINTREE_REPEAT:-3}
GC_PEERS=${GC_PEERS:-glibc mimalloc boehm}
WEAK_WORKLOADS=${WEAK_WORKLOADS:-refs cache}
WEAK_REPEAT=${WEAK_REPEAT:-3}

FAILED=0          # set to 1 when an rcgc program fails to build or run

say() { printf '%s\n' "$*"; }
note() { printf 'bench: %s\n' "$*"; }

# ---------------------------------------------------------------------------
# Common helpers
# ---------------------------------------------------------------------------

# Run apt-get (as root directly, otherwise through sudo when available).
apt_get() {
    if [ "$(id -u)" = 0 ]; then
        DEBIAN_FRONTEND=noninteractive apt-get "$@"
    elif command -v sudo >/dev/null 2>&1; then
        sudo -n env DEBIAN_FRONTEND=noninteractive apt-get "$@"
    else
        return 1
    fi
}

# ensure_pkg PKG HEADER: install the Debian package PKG unless HEADER exists.
# Returns 0 when HEADER is there afterwards.
APT_UPDATED=0
ensure_pkg() {
    local pkg=$1 header=$2
    [ -e "$header" ] && return 0
    if [ "${BENCH_NO_INSTALL:-0}" = 1 ]; then
        note "$pkg is not installed and BENCH_NO_INSTALL=1: skipping it"
        return 1
    fi
    if ! command -v apt-get >/dev/null 2>&1; then
        note "$pkg is not installed and there is no apt-get: skipping it"
        return 1
    fi
    note "installing $pkg with apt-get"
    if ! apt_get install -y "$pkg" >>"$LOG" 2>&1; then
        if [ "$APT_UPDATED" = 0 ]; then
            APT_UPDATED=1
            apt_get update >>"$LOG" 2>&1
            apt_get install -y "$pkg" >>"$LOG" 2>&1
        fi
    fi
    if [ -e "$header" ]; then
        return 0
    fi
    note "could not install $pkg (see $LOG): skipping it"
    return 1
}

# Run a program, appending its RESULT lines (without the word RESULT) to
# $RUN_RESULTS (default $RESULTS_TXT) and all of its output to $LOG.
# run_prog LABEL CMD...  -> returns the program's exit status.
run_prog() {
    local label=$1; shift
    local tmp="$OUT/.run.$$"
    "$@" >"$tmp" 2>&1
    local rc=$?
    { echo "### $label: $*"; cat "$tmp"; echo "### exit $rc"; } >>"$LOG"
    grep '^RESULT ' "$tmp" | cut -d' ' -f2- >>"${RUN_RESULTS:-$RESULTS_TXT}"
    if [ "$rc" -ne 0 ]; then
        note "$label failed (exit $rc):"
        sed 's/^/    /' "$tmp" | tail -n 5
    fi
    rm -f "$tmp"
    return "$rc"
}

# Find librcgc.a in the build directory.
find_librcgc() {
    local f
    for f in "$BUILD_DIR/librcgc.a" "$BUILD_DIR/src/librcgc.a" "$BUILD_DIR/lib/librcgc.a"; do
        [ -f "$f" ] && { echo "$f"; return 0; }
    done
    f=$(find "$BUILD_DIR" -name librcgc.a -type f 2>/dev/null | head -n 1)
    [ -n "$f" ] && { echo "$f"; return 0; }
    return 1
}

# BENCH_CFLAGS is split into words on purpose.
# shellcheck disable=SC2086
# compile_impl SRC OUTPUT IMPL: build SRC for implementation IMPL
# (rcgc|glibc|mimalloc|jemalloc|boehm).  Returns nonzero when that is impossible.
compile_impl() {
    local src=$1 out=$2 impl=$3 lib
    local macro
    macro=IMPL_$(echo "$impl" | tr '[:lower:]' '[:upper:]')
    case $impl in
    rcgc|rcgc0)
        if ! lib=$(find_librcgc); then
            note "no librcgc.a under $BUILD_DIR: build the library first (cmake --build $BUILD_DIR)"
            return 1
        fi
        $CC $BENCH_CFLAGS -D"$macro" -DRC_STATIC -I"$ROOT/include" \
            -I"$BUILD_DIR/include" -o "$out" "$src" "$lib" -lpthread -lm >>"$LOG" 2>&1
        ;;
    glibc)
        $CC $BENCH_CFLAGS -D"$macro" -o "$out" "$src" >>"$LOG" 2>&1
        ;;
    mimalloc)
        ensure_pkg libmimalloc-dev /usr/include/mimalloc.h || return 1
        $CC $BENCH_CFLAGS -D"$macro" -o "$out" "$src" -lmimalloc >>"$LOG" 2>&1
        ;;
    jemalloc)
        ensure_pkg libjemalloc-dev /usr/include/jemalloc/jemalloc.h || return 1
        $CC $BENCH_CFLAGS -D"$macro" -o "$out" "$src" -ljemalloc >>"$LOG" 2>&1
        ;;
    boehm)
        ensure_pkg libgc-dev /usr/include/gc.h || return 1
        $CC $BENCH_CFLAGS -D"$macro" -o "$out" "$src" -lgc >>"$LOG" 2>&1
        ;;
    *)
        note "unknown implementation $impl"
        return 1
        ;;
    esac
    local rc=$?
    [ "$rc" -ne 0 ] && note "building $out for $impl failed (see $LOG)"
    return "$rc"
}

# aggregate_repeats FILE: FILE holds the RESULT lines of several runs of the
# same programs.  Append to $RESULTS_TXT, for each (bench, impl, metric), the
# median under the metric's own name, plus <metric>_min and <metric>_max and
# "runs" for every ns_per_op metric.
aggregate_repeats() {
    sort -k1,1 -k2,2 -k3,3 -k4,4g "$1" | awk '
        function flush(   mid, med) {
            if (n == 0) return
            if (n % 2) med = x[(n + 1) / 2]
            else med = (x[n / 2] + x[n / 2 + 1]) / 2
            print key, med
            if (m == "ns_per_op") {
                print key "_min", x[1]
                print key "_max", x[n]
                print b, i, "runs", n
            }
            n = 0
        }
        { k = $1 " " $2 " " $3
          if (k != key) { flush(); key = k; b = $1; i = $2; m = $3 }
          x[++n] = $4 }
        END { flush() }' >>"$RESULTS_TXT"
}

# value BENCH IMPL METRIC: print the figure (first match) or nothing.
value() {
    awk -v b="$1" -v i="$2" -v m="$3" \
        '$1 == b && $2 == i && $3 == m { print $4; exit }' "$RESULTS_TXT"
}

# ---------------------------------------------------------------------------
# Program "alloc": bench/alloc_bench.c (issue 2)
# ---------------------------------------------------------------------------
ALLOC_BUILT=""

bench_alloc_run() {
    local impl w bin
    say "== alloc: building alloc_bench for: $ALLOC_IMPLS"
    for impl in $ALLOC_IMPLS; do
        bin="$OUT/alloc_bench_$impl"
        if compile_impl "$ROOT/bench/alloc_bench.c" "$bin" "$impl"; then
            ALLOC_BUILT="$ALLOC_BUILT $impl"
        elif [ "$impl" = rcgc ]; then
            FAILED=1
        else
            note "skipping $impl"
        fi
    done
    say "== alloc: running (one process per workload, implementation and run)"
    local reps r dest timed="$OUT/.alloc_timed.$$"
    : >"$timed"
    for w in $ALLOC_WORKLOADS; do
        case $w in
        rss*) reps=1; dest=$RESULTS_TXT ;;   # deterministic: one run is enough
        *)    reps=$ALLOC_REPEAT; dest=$timed ;;
        esac
        r=1
        while [ "$r" -le "$reps" ]; do
            for impl in $ALLOC_BUILT; do     # interleaved: drift hits all alike
                printf '   %-22s %-9s run %d/%d\n' "$w" "$impl" "$r" "$reps"
                if ! RUN_RESULTS=$dest run_prog "alloc_bench_$impl $w" \
                        "$OUT/alloc_bench_$impl" "$w"; then
                    [ "$impl" = rcgc ] && FAILED=1
                fi
            done
            r=$((r + 1))
        done
    done
    aggregate_repeats "$timed"
    rm -f "$timed"
}

# Table of ns/op with ratios (time ratio: >1 means slower than the reference).
alloc_speed_table() {
    local bench=$1 title=$2
    awk -v b="$bench" -v title="$title" -v order="$ALLOC_BUILT" '
        $1 == b && $3 == "ns_per_op"     { ns[$2] = $4 }
        $1 == b && $3 == "ns_per_op_min" { lo[$2] = $4 }
        $1 == b && $3 == "ns_per_op_max" { hi[$2] = $4 }
        $1 == b && $3 == "runs"          { runs[$2] = $4 }
        $1 == b && $3 == "seconds"       { sec[$2] = $4 }
        END {
            n = split(order, im, " ")
            rows = 0
            for (k = 1; k <= n; k++) if (im[k] in ns) rows++
            if (!rows) exit
            printf "%s\n", title
            printf "  %-9s %9s %9s %17s %4s %11s %9s\n", "impl", "seconds", "ns/op",
                   "ns/op min..max", "runs", "x mimalloc", "x glibc"
            for (k = 1; k <= n; k++) {
                i = im[k]
                if (!(i in ns)) continue
                rm = ("mimalloc" in ns && ns["mimalloc"] > 0) ? sprintf("%.2f", ns[i] / ns["mimalloc"]) : "-"
                rg = ("glibc" in ns && ns["glibc"] > 0) ? sprintf("%.2f", ns[i] / ns["glibc"]) : "-"
                range = (i in lo) ? sprintf("%.2f..%.2f", lo[i], hi[i]) : "-"
                printf "  %-9s %9.3f %9.2f %17s %4s %11s %9s\n", i, sec[i], ns[i], range,
                       (i in runs) ? runs[i] : 1, rm, rg
            }
        }' "$RESULTS_TXT"
}

# RSS table: MiB and % of peak for each stage.
alloc_rss_table() {
    local bench=$1 title=$2
    awk -v b="$bench" -v title="$title" -v order="$ALLOC_BUILT" '
        $1 == b { v[$2, $3] = $4; have[$2] = 1 }
        function mib(x) { return sprintf("%.1f", x / 1048576) }
        function cell(i, m,   x) {
            if (!((i, m) in v)) return "-"
            x = v[i, m]
            return sprintf("%s (%3.0f%%)", mib(x), 100 * x / v[i, "peak_bytes"])
        }
        END {
            n = split(order, im, " ")
            rows = 0
            for (k = 1; k <= n; k++) if (im[k] in have) rows++
            if (!rows) exit
            printf "%s\n", title
            printf "  %-9s %7s %7s %15s %15s %15s %15s %9s\n", "impl", "start", "peak",
                   "free 90%", "free90+trim", "free all", "all+trim", "trim-start"
            for (k = 1; k <= n; k++) {
                i = im[k]
                if (!(i in have)) continue
                d = ((i, "after_trim_bytes") in v) ? mib(v[i, "after_trim_bytes"] - v[i, "start_bytes"]) : "-"
                printf "  %-9s %7s %7s %15s %15s %15s %15s %9s\n", i,
                       mib(v[i, "start_bytes"]), mib(v[i, "peak_bytes"]),
                       cell(i, "after_free90_bytes"), cell(i, "after_free90_trim_bytes"),
                       cell(i, "after_free_all_bytes"), cell(i, "after_trim_bytes"), d
            }
            printf "  (MiB of resident memory, %% of that run'"'"'s peak; free90+trim comes from a separate\n"
            printf "   process that calls the trim right after the 90%% free; trim-start = all+trim minus start)\n"
        }' "$RESULTS_TXT"
}

bench_alloc_report() {
    say ""
    say "== alloc: results (issue 2)"
    alloc_speed_table burst   "burst: 1M x 32-byte blocks, free in reverse, 10 rounds (ns per malloc+free pair)"
    alloc_speed_table churn   "churn: 1M live blocks of 16..512 bytes, 20M random replacements (ns per free+malloc)"
    alloc_speed_table bintree "bintree: binary-trees pattern, depth 18, 16-byte nodes (ns per node: malloc+free)"
    say "  (median of the runs; x mimalloc / x glibc = time ratio, below 1 is faster)"
    say ""
    alloc_rss_table rss           "rss: 2M x 32-byte blocks (2*2^20), free a uniformly random 90%, then the rest"
    alloc_rss_table rss_clustered "rss_clustered: as rss, the 90% freed as 9 of every 10 runs of 4096 consecutive blocks"
}

# ---------------------------------------------------------------------------
# JSON: every RESULT line, as [{"bench","impl","metric","value"}, ...]
# ---------------------------------------------------------------------------
write_json() {
    awk '
        function q(s) { gsub(/\\/, "\\\\", s); gsub(/"/, "\\\"", s); return "\"" s "\"" }
        BEGIN { printf "[" ; n = 0 }
        NF >= 4 {
            printf "%s\n  {\"bench\": %s, \"impl\": %s, \"metric\": %s, \"value\": %s}",
                   (n++ ? "," : ""), q($1), q($2), q($3), $4
        }
        END { printf "%s]\n", (n ? "\n" : "") }' "$RESULTS_TXT" >"$RESULTS_JSON"
}

# ---------------------------------------------------------------------------
# Program "types": bench/types_bench.c and bench/types_cpython.py (issue 3)
# ---------------------------------------------------------------------------
TYPES_PY=""

bench_types_run() {
    local lib bin="$OUT/types_bench"
    say "== types: object sizes, bytes per instance, growth sequences"
    if ! lib=$(find_librcgc); then
        note "no librcgc.a under $BUILD_DIR"
        FAILED=1
        return
    fi
    # shellcheck disable=SC2086
    if ! $CC $BENCH_CFLAGS -DRC_STATIC -I"$ROOT/include" -o "$bin" \
            "$ROOT/bench/types_bench.c" "$lib" -lpthread -lm >>"$LOG" 2>&1; then
        note "building types_bench failed (see $LOG)"
        FAILED=1
        return
    fi
    run_prog "types_bench" "$bin" || FAILED=1
    if command -v python3 >/dev/null 2>&1; then
        TYPES_PY=$(python3 -c 'import sys; print("cpython%d.%d" % sys.version_info[:2])')
        run_prog "types_cpython.py" python3 "$ROOT/bench/types_cpython.py"
    else
        note "python3 not found: the CPython column of the types tables is empty"
    fi
}

bench_types_report() {
    local py=${TYPES_PY:-cpython} m r c
    say ""
    say "== types: results (issue 3)"
    say "sizeof (rc_sizeof vs sys.getsizeof, bytes)"
    printf '  %-28s %8s %10s\n' object rcgc "$py"
    for m in $(awk '$1 == "types" && $2 == "rcgc" && $3 ~ /^sizeof_/ { print $3 }' "$RESULTS_TXT"); do
        r=$(value types rcgc "$m"); c=$(value types "$py" "$m")
        printf '  %-28s %8s %10s\n' "${m#sizeof_}" "$r" "${c:--}"
    done
    say "bytes per instance, 1M instances with two attributes (rcgc: allocator statistics; CPython: tracemalloc)"
    printf '  %-28s %8s %10s\n' class rcgc "$py"
    for m in per_instance_dict per_instance_slots per_instance_slots_weakref; do
        r=$(value types rcgc "$m"); c=$(value types "$py" "$m")
        printf '  %-28s %8.1f %10s\n' "${m#per_instance_}" "$r" "${c:--}"
    done
    r=$(value types rcgc per_instance_dict); c=$(value types rcgc per_instance_slots)
    awk -v d="$r" -v s="$c" 'BEGIN { if (d > 0) printf "  slots-backed is %.1f%% smaller than dict-backed (target: at least 40%%)\n", 100 * (1 - s / d) }'
    say "growth: list capacity after appends, dict index slots at n items"
    for m in $(awk '$1 == "types" && $2 == "rcgc" && ($3 ~ /^list_capacity_/ || $3 ~ /^dict_slots_at_/) { print $3 }' "$RESULTS_TXT"); do
        r=$(value types rcgc "$m"); c=$(value types "$py" "$m")
        printf '  %-28s %8s %10s%s\n' "$m" "$r" "${c:--}" "$([ -n "$c" ] && [ "$r" != "$c" ] && echo '  DIFFERS')"
    done
}

# ---------------------------------------------------------------------------
# Program "gc": bench/gc_bench.c, bench/gc_cpython.py and, for binary-trees,
# the plain C peers in bench/bintree_c.c (issue 4)
# ---------------------------------------------------------------------------
GC_PY=""
GC_PEERS_BUILT=""

# gc_aggregate FILE: medians of repeated runs (as aggregate_repeats), plus
# <metric>_min, <metric>_max and <metric>_runs for bintree_seconds.
gc_aggregate() {
    sort -k1,1 -k2,2 -k3,3 -k4,4g "$1" | awk '
        function flush(   med) {
            if (n == 0) return
            med = (n % 2) ? x[(n + 1) / 2] : (x[n / 2] + x[n / 2 + 1]) / 2
            print key, med
            if (m == "bintree_seconds") {
                print b, i, m "_min", x[1]
                print b, i, m "_max", x[n]
                print b, i, m "_runs", n
            }
            n = 0
        }
        { k = $1 " " $2 " " $3
          if (k != key) { flush(); key = k; b = $1; i = $2; m = $3 }
          x[++n] = $4 }
        END { flush() }' >>"$RESULTS_TXT"
}

bench_gc_run() {
    local bin="$OUT/gc_bench" impl w r timed="$OUT/.gc_timed.$$" have_rcgc=1
    say "== gc: building gc_bench (rcgc) and bintree_c for: $GC_PEERS"
    if ! compile_impl "$ROOT/bench/gc_bench.c" "$bin" rcgc; then
        FAILED=1
        have_rcgc=0
    fi
    GC_PEERS_BUILT=""
    for impl in $GC_PEERS; do
        if compile_impl "$ROOT/bench/bintree_c.c" "$OUT/bintree_c_$impl" "$impl"; then
            GC_PEERS_BUILT="$GC_PEERS_BUILT $impl"
        else
            note "skipping the $impl binary-trees peer"
        fi
    done
    if command -v python3 >/dev/null 2>&1; then
        GC_PY=$(python3 -c 'import sys; print("cpython%d.%d" % sys.version_info[:2])')
    else
        GC_PY=""
        note "python3 not found: the CPython columns of the gc tables are empty"
    fi
    say "== gc: running (one process per workload and implementation)"
    : >"$timed"
    for w in $GC_WORKLOADS; do
        if [ "$w" = bintree ]; then
            r=1
            while [ "$r" -le "$GC_BINTREE_REPEAT" ]; do
                if [ "$have_rcgc" = 1 ]; then
                    printf '   %-14s %-12s run %d/%d\n' "$w" rcgc "$r" "$GC_BINTREE_REPEAT"
                    RUN_RESULTS=$timed run_prog "gc_bench $w" "$bin" "$w" || FAILED=1
                fi
                for impl in $GC_PEERS_BUILT; do
                    printf '   %-14s %-12s run %d/%d\n' "$w" "$impl" "$r" "$GC_BINTREE_REPEAT"
                    RUN_RESULTS=$timed run_prog "bintree_c_$impl" "$OUT/bintree_c_$impl"
                done
                r=$((r + 1))
            done
            if [ -n "$GC_PY" ]; then   # about 50 s: once
                printf '   %-14s %-12s run 1/1\n' "$w" "$GC_PY"
                RUN_RESULTS=$timed run_prog "gc_cpython.py $w" python3 "$ROOT/bench/gc_cpython.py" "$w"
            fi
            continue
        fi
        if [ "$have_rcgc" = 1 ]; then
            printf '   %-14s %s\n' "$w" rcgc
            run_prog "gc_bench $w" "$bin" "$w" || FAILED=1
        fi
        if [ -n "$GC_PY" ]; then
            printf '   %-14s %s\n' "$w" "$GC_PY"
            run_prog "gc_cpython.py $w" python3 "$ROOT/bench/gc_cpython.py" "$w"
        fi
    done
    gc_aggregate "$timed"
    rm -f "$timed"
}

# gc_speed_row LABEL UNIT METRIC TARGET: one row of the collector table;
# speedup = CPython's time / rcgc's time, verdict against TARGET (x).
# min..max come from <metric>_min and <metric>_max when the programs print them.
gc_speed_row() {
    local label=$1 unit=$2 metric=$3 target=$4
    awk -v l="$label" -v u="$unit" -v m="$metric" -v t="$target" -v py="${GC_PY:-cpython}" '
        $1 == "gc" { v[$2, $3] = $4; have[$2, $3] = 1 }
        function cell(i) { return ((i, m) in have) ? sprintf("%.2f", v[i, m]) : "-" }
        function range(i) {
            return ((i, m "_min") in have) ? sprintf("%.1f..%.1f", v[i, m "_min"], v[i, m "_max"]) : "-"
        }
        END {
            r = v["rcgc", m]; c = v[py, m]
            ok = ((("rcgc", m) in have) && ((py, m) in have) && r > 0)
            sp = ok ? c / r : 0
            printf "  %-40s %-10s %9s %15s %11s %15s %8s %6s  %s\n", l, u, cell("rcgc"), range("rcgc"),
                   cell(py), range(py), ok ? sprintf("%.1fx", sp) : "-", ">=" t "x",
                   ok ? (sp >= t ? "MET" : "NOT MET") : "-"
        }' "$RESULTS_TXT"
}

bench_gc_report() {
    local py=${GC_PY:-cpython}
    say ""
    say "== gc: results (issue 4)"
    say "collector speed, rcgc vs $py (speedup = $py's time / rcgc's time)"
    printf '  %-40s %-10s %9s %15s %11s %15s %8s %6s  %s\n' benchmark unit rcgc "min..max" "$py" \
        "min..max" speedup target verdict
    gc_speed_row "1 full collection, 1M live instances" "ns/object" full_ns_per_obj 5
    gc_speed_row "2 1M instances in 2-cycles, collect+free" "ns/object" cycles_ns_per_obj 4
    gc_speed_row "3 gc_collect: 100 rings of 21 Node" "us/collect" gc_collect_us 5
    gc_speed_row "3 gc_traversal: 1000 nested lists" "us/collect" gc_traversal_us 5
    say "  (1: median of 7 collections; 2: median of 5 rounds; 3: mean of 100 collections, as"
    awk -v py="$py" '
        $1 == "gc" { v[$2, $3] = $4 }
        END {
            a = v["rcgc", "gc_collect_us_median"]; b = v["rcgc", "gc_traversal_us_median"]
            printf "   pyperformance reports it; by the medians: gc_collect %s, gc_traversal %s)\n",
                   (a > 0) ? sprintf("%.1fx", v[py, "gc_collect_us_median"] / a) : "-",
                   (b > 0) ? sprintf("%.1fx", v[py, "gc_traversal_us_median"] / b) : "-"
        }' "$RESULTS_TXT"

    awk -v order="rcgc $GC_PEERS_BUILT $py" -v py="$py" '
        $1 == "gc" && $3 == "bintree_seconds"      { s[$2] = $4 }
        $1 == "gc" && $3 == "bintree_seconds_min"  { lo[$2] = $4 }
        $1 == "gc" && $3 == "bintree_seconds_max"  { hi[$2] = $4 }
        $1 == "gc" && $3 == "bintree_seconds_runs" { runs[$2] = $4 }
        $1 == "gc" && $3 == "bintree_ns_per_node"  { ns[$2] = $4 }
        $1 == "gc" && $3 == "bintree_gc_seconds"   { gcs[$2] = $4 }
        $1 == "gc" && $3 == "bintree_collections"  { colls[$2] = $4 }
        function ratio(i, p) { return (p in s && s[p] > 0) ? sprintf("%.2f", s[i] / s[p]) : "-" }
        END {
            if (!("rcgc" in s)) exit
            printf "binary-trees depth 18, 68,332,206 nodes (seconds: median of the runs; x peer = time ratio, below 1 is faster)\n"
            printf "  %-12s %9s %17s %5s %9s %11s %9s %9s %11s %9s\n", "impl", "seconds", "min..max",
                   "runs", "ns/node", "x mimalloc", "x glibc", "x boehm", "collections", "gc s"
            n = split(order, im, " ")
            for (k = 1; k <= n; k++) {
                i = im[k]
                if (!(i in s) || seen[i]++) continue
                printf "  %-12s %9.3f %17s %5s %9s %11s %9s %9s %11s %9s\n", i, s[i],
                       (i in lo) ? sprintf("%.3f..%.3f", lo[i], hi[i]) : "-",
                       (i in runs) ? runs[i] : 1,
                       (i in ns) ? sprintf("%.2f", ns[i]) : sprintf("%.2f", s[i] * 1e9 / 68332206),
                       ratio(i, "mimalloc"), ratio(i, "glibc"), ratio(i, "boehm"),
                       (i in colls) ? colls[i] : "-", (i in gcs) ? sprintf("%.3f", gcs[i]) : "-"
            }
            printf "  (collections and gc s: automatic collections and the sum of their pauses, rcgc\n"
            printf "   from rc_gc_get_stats, CPython from gc.callbacks; Boehm: GC_get_gc_no)\n"
            if ("mimalloc" in s)
                printf "  target rcgc <= 1.5x mimalloc: %.2fx  %s\n", s["rcgc"] / s["mimalloc"],
                       (s["rcgc"] <= 1.5 * s["mimalloc"]) ? "MET" : "NOT MET"
            if ("glibc" in s)
                printf "  target rcgc faster than glibc: %.2fx  %s\n", s["rcgc"] / s["glibc"],
                       (s["rcgc"] < s["glibc"]) ? "MET" : "NOT MET"
            if ("boehm" in s)
                printf "  target rcgc faster than Boehm GC: %.2fx  %s\n", s["rcgc"] / s["boehm"],
                       (s["rcgc"] < s["boehm"]) ? "MET" : "NOT MET"
            if (py in s)
                printf "  rcgc is %.1fx faster than %s\n", s[py] / s["rcgc"], py
        }' "$RESULTS_TXT"

    awk -v order="rcgc $py" '
        $1 == "gc" && $3 ~ /^pause_/ { v[$2, $3] = $4; have[$2] = 1 }
        END {
            if (!("rcgc" in have)) exit
            printf "pauses: 2M live instances, then 5M 2-cycles (1 in 4 kept in a 32768-entry window), automatic collections\n"
            printf "  %-12s %20s %10s %10s %11s %11s %11s %9s\n", "impl", "collections g0/g1/g2",
                   "median us", "p99 us", "max us", "gen1 max us", "pauses s", "churn s"
            n = split(order, im, " ")
            for (k = 1; k <= n; k++) {
                i = im[k]
                if (!(i in have)) continue
                printf "  %-12s %20s %10.1f %10.1f %11.1f %11.1f %11.3f %9.3f\n", i,
                       sprintf("%d/%d/%d", v[i, "pause_gen0_count"], v[i, "pause_gen1_count"],
                               v[i, "pause_gen2_count"]),
                       v[i, "pause_median_us"], v[i, "pause_p99_us"], v[i, "pause_max_us"],
                       v[i, "pause_gen1_max_us"], v[i, "pause_total_s"], v[i, "pause_churn_seconds"]
            }
            if (im[2] in have && v["rcgc", "pause_max_us"] > 0)
                printf "  %s / rcgc: median %.1fx, p99 %.1fx, max %.1fx (no numeric target: the issue asks for the distribution)\n",
                       im[2], v[im[2], "pause_median_us"] / v["rcgc", "pause_median_us"],
                       v[im[2], "pause_p99_us"] / v["rcgc", "pause_p99_us"],
                       v[im[2], "pause_max_us"] / v["rcgc", "pause_max_us"]
            printf "  (each pause recorded by a gc callback; exact percentiles, nearest rank)\n"
        }' "$RESULTS_TXT"
}

# ---------------------------------------------------------------------------
# Program "weak": bench/weak_bench.c and bench/weak_cpython.py (issue 5)
# ---------------------------------------------------------------------------
WEAK_PY=""

bench_weak_run() {
    local bin="$OUT/weak_bench" w r have_rcgc=1 timed="$OUT/.weak_timed.$$"
    say "== weak: building weak_bench (rcgc)"
    if ! compile_impl "$ROOT/bench/weak_bench.c" "$bin" rcgc; then
        FAILED=1
        have_rcgc=0
    fi
    if command -v python3 >/dev/null 2>&1; then
        WEAK_PY=$(python3 -c 'import sys; print("cpython%d.%d" % sys.version_info[:2])')
    else
        WEAK_PY=""
        note "python3 not found: the CPython columns of the weak tables are empty"
    fi
    say "== weak: running (one process per workload, implementation and run)"
    : >"$timed"
    for w in $WEAK_WORKLOADS; do
        r=1
        while [ "$r" -le "$WEAK_REPEAT" ]; do   # interleaved: drift hits both alike
            if [ "$have_rcgc" = 1 ]; then
                printf '   %-10s %-12s run %d/%d\n' "$w" rcgc "$r" "$WEAK_REPEAT"
                RUN_RESULTS=$timed run_prog "weak_bench $w" "$bin" "$w" || FAILED=1
            fi
            if [ -n "$WEAK_PY" ]; then
                printf '   %-10s %-12s run %d/%d\n' "$w" "$WEAK_PY" "$r" "$WEAK_REPEAT"
                RUN_RESULTS=$timed run_prog "weak_cpython.py $w" python3 "$ROOT/bench/weak_cpython.py" "$w"
            fi
            r=$((r + 1))
        done
    done
    aggregate_repeats "$timed"   # the median of the runs for every metric
    rm -f "$timed"
}

# The refs table: time per create+drop, CPython's loop overhead, the memory
# of one weak reference, and the speedup against the target.
weak_refs_report() {
    awk -v py="${WEAK_PY:-cpython}" '
        $1 == "weak" { v[$2, $3] = $4; have[$2, $3] = 1 }
        function cell(i, m, fmt) { return ((i, m) in have) ? sprintf(fmt, v[i, m]) : "-" }
        END {
            if (!(("rcgc", "refs_ns_per_op") in have)) exit
            printf "refs: create and drop 10M weak references to live objects (1M instances x 10 rounds)\n"
            printf "  %-12s %9s %19s %13s %17s %19s\n", "impl", "ns/op", "round min..max", "loop ns/op",
                   "bytes/ref sizeof", "bytes/ref allocated"
            n = split("rcgc " py, im, " ")
            for (k = 1; k <= n; k++) {
                i = im[k]
                if (!((i, "refs_ns_per_op") in have)) continue
                printf "  %-12s %9s %19s %13s %17s %19s\n", i, cell(i, "refs_ns_per_op", "%.2f"),
                       ((i, "refs_ns_per_op_min") in have) ? sprintf("%.1f..%.1f", v[i, "refs_ns_per_op_min"], v[i, "refs_ns_per_op_max"]) : "-",
                       cell(i, "refs_loop_ns_per_op", "%.2f"), cell(i, "refs_bytes_sizeof", "%d"),
                       cell(i, "refs_bytes_allocated", "%.1f")
            }
            r = v["rcgc", "refs_ns_per_op"]; c = v[py, "refs_ns_per_op"]
            if ((py, "refs_ns_per_op") in have && r > 0) {
                sp = c / r
                printf "  speedup %s / rcgc: %.1fx (target >= 10x: %s)", py, sp, (sp >= 10) ? "MET" : "NOT MET"
                l = v[py, "refs_loop_ns_per_op"]
                if (l > 0 && c > l)
                    printf "; %.1fx without %s'"'"'s loop overhead (%.1f ns)", (c - l) / r, py, l
                printf "\n"
            }
            printf "  (ns/op and the round range: median over the runs of each process'"'"'s figures;\n"
            printf "   sizeof: rc_sizeof / sys.getsizeof; allocated: rcgc'"'"'s bytes in use per reference with 1M alive)\n"
        }' "$RESULTS_TXT"
}

# The cache table: a weak-value dictionary with 1M keys under churn, ns per
# operation, speedup against the target, and the miss count and final
# length, which must be equal (same random sequence, same semantics).
weak_cache_report() {
    awk -v py="${WEAK_PY:-cpython}" '
        $1 == "weak" { v[$2, $3] = $4; have[$2, $3] = 1 }
        function cell(i, m, fmt) { return ((i, m) in have) ? sprintf(fmt, v[i, m]) : "-" }
        END {
            if (!(("rcgc", "cache_churn_ns_per_op") in have)) exit
            printf "cache: weak-value dictionary, 1M int keys, 500K holders; fill 1M, then 5M get-or-fill + hold\n"
            printf "  %-12s %12s %13s %10s %10s\n", "impl", "fill ns/key", "churn ns/op", "misses", "final len"
            n = split("rcgc " py, im, " ")
            for (k = 1; k <= n; k++) {
                i = im[k]
                if (!((i, "cache_churn_ns_per_op") in have)) continue
                printf "  %-12s %12s %13s %10s %10s\n", i, cell(i, "cache_fill_ns_per_op", "%.1f"),
                       cell(i, "cache_churn_ns_per_op", "%.1f"), cell(i, "cache_misses", "%d"),
                       cell(i, "cache_final_len", "%d")
            }
            if ((py, "cache_churn_ns_per_op") in have) {
                sp = v[py, "cache_churn_ns_per_op"] / v["rcgc", "cache_churn_ns_per_op"]
                printf "  speedup %s / rcgc: churn %.1fx (target >= 10x: %s), fill %.1fx", py, sp,
                       (sp >= 10) ? "MET" : "NOT MET",
                       v[py, "cache_fill_ns_per_op"] / v["rcgc", "cache_fill_ns_per_op"]
                same = (v[py, "cache_misses"] == v["rcgc", "cache_misses"] &&
                        v[py, "cache_final_len"] == v["rcgc", "cache_final_len"])
                printf "; misses and final len %s\n", same ? "equal" : "DIFFER"
            }
            printf "  (median over the runs)\n"
        }' "$RESULTS_TXT"
}

bench_weak_report() {
    say ""
    say "== weak: results (issue 5)"
    local w
    for w in $WEAK_WORKLOADS; do
        if declare -F "weak_${w}_report" >/dev/null; then
            "weak_${w}_report"
        fi
    done
}

# ---------------------------------------------------------------------------
# Main
# ---------------------------------------------------------------------------
say "bench: $(date -u '+%Y-%m-%d %H:%M UTC'), $(nproc 2>/dev/null || echo '?') CPUs," \
    "$(awk -F': *' '/^model name/ { print $2; exit }' /proc/cpuinfo 2>/dev/null)"
say "bench: build dir $BUILD_DIR, log $LOG"
say "bench: load average at start: $(cut -d' ' -f1-3 /proc/loadavg 2>/dev/null)"

for p in $BENCH_PROGRAMS; do
    if ! declare -F "bench_${p}_run" >/dev/null; then
        note "unknown benchmark program $p"
        continue
    fi
    "bench_${p}_run"
done
for p in $BENCH_PROGRAMS; do
    declare -F "bench_${p}_report" >/dev/null && "bench_${p}_report"
done

write_json
say ""
say "bench: load average at end: $(cut -d' ' -f1-3 /proc/loadavg 2>/dev/null)"
say "bench: $(grep -c . "$RESULTS_TXT") figures written to $RESULTS_JSON"
if [ $FAILED -ne 0 ]; then
    note "an rcgc benchmark failed to build or run (see $LOG)"
    exit 1
fi
exit 0
