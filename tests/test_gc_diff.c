/*
 * test_gc_diff.c - differential test of the cycle collector against CPython.
 *
 * A seeded generator writes a random graph program: dict-backed instances
 * (class N), instances with a finalizer (class F, whose __del__ records its
 * id and, when its `r` attribute is true, resurrects the object into the
 * global list RES), and lists (class L); links (setattr, list append and
 * item assignment), unlinks (delattr, list pop), loads (a name takes an
 * attribute or item), dropped names (one or many at once), RES.clear() and
 * rc_gc_collect(g) for g in 0..2, with automatic collection disabled on
 * both sides.  The same program is executed directly against rcgc in this
 * process and written as Python source; the seeds are split into batches
 * (2 by default, so that two pythons run in parallel) and all seeds of a
 * batch go into one script that python3 runs once.  Both sides print the
 * same records:
 *
 *   seed S
 *   c G N fin=IDS live=COUNT/SUM/SUMSQ    after each collect: its result,
 *                                         the ids finalized since the last
 *                                         record, and the live objects
 *   end fin=IDS live=IDS                  the survivors at the program's end
 *   x N fin=IDS                           cleanup: names dropped, then
 *                                         RES.clear() + collect(2) until
 *                                         nothing is found
 *   done live=COUNT
 *
 * and the two outputs must be equal line by line.  This side also checks,
 * per seed, that no finalizer ran twice and that the heap is back to the
 * same number of blocks after the cleanup.
 *
 * Correspondence of objects: in CPython 3.11+ an instance keeps its
 * attributes inline (no __dict__ object unless something asks for it, or a
 * class exceeds its 30 shared keys), so an instance is one GC object on
 * both sides; the program never touches __dict__ and uses 6 attribute
 * names per class.  A list is one GC object.  Object ids are non-GC on both
 * sides: a Python int (attribute `id`, or item 0 of a list) and, here, a
 * non-GC Tag object whose dealloc hook records that its owner died - which
 * is how this side knows what is alive without weak references.  Python
 * finds its live objects with gc.get_objects() (everything the script had
 * before the first program is frozen, so that stays cheap).
 *
 * Usage: test_gc_diff [seeds [first [ops]]] (default 2000 seeds from 1, 200
 * operations each); or RCGC_DIFF_SEEDS, RCGC_DIFF_FIRST, RCGC_DIFF_OPS.
 * RCGC_DIFF_JOBS sets the number of batches, RCGC_DIFF_PYTHON the
 * interpreter (default python3); RCGC_DIFF_DUMP=path keeps the generated
 * script (path.N per batch when there are several).
 * Without a usable python3 (3.11 to 3.13) the test prints "SKIP: ..." and
 * passes.
 */
#include "check.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>

#define NNAMES 12      /* v0..v11: the program's roots */
#define NATTR 4        /* link attributes a0..a3 */
#define MAXITEMS 6     /* object items per list (after the id item) */

/* ------------------------------------------------------------ text buffers */

typedef struct strbuf {
    char *p;
    size_t n, cap;
} strbuf;

static void sb_reserve(strbuf *b, size_t extra) {
    if (b->n + extra + 1 <= b->cap)
        return;
    size_t cap = b->cap ? b->cap : 4096;
    while (cap < b->n + extra + 1)
        cap *= 2;
    char *p = realloc(b->p, cap);
    if (!p) {
        fprintf(stderr, "test_gc_diff: out of memory\n");
        exit(2);
    }
    b->p = p;
    b->cap = cap;
}

static void sb_printf(strbuf *b, const char *fmt, ...) RC_PRINTF(2, 3);
static void sb_printf(strbuf *b, const char *fmt, ...) {
    va_list ap;
    for (;;) {
        size_t room = b->cap - b->n;
        va_start(ap, fmt);
        int k = b->cap ? vsnprintf(b->p + b->n, room, fmt, ap) : -2;
        va_end(ap);
        if (k >= 0 && (size_t)k < room) {
            b->n += (size_t)k;
            return;
        }
        sb_reserve(b, k > 0 ? (size_t)k + 1 : 256);
    }
}

static void sb_free(strbuf *b) {
    free(b->p);
    memset(b, 0, sizeof *b);
}

/* ------------------------------------------------------------ random */

static uint64_t rng_state;
static uint64_t rnd(void) {   /* splitmix64 */
    uint64_t z = (rng_state += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}
static int rnd_below(int n) { return (int)(rnd() % (uint64_t)n); }

/* ------------------------------------------------------------ model */

enum { K_N, K_F, K_L };

typedef struct mobj {
    int kind;
    int r;                  /* F: resurrects itself when finalized */
    int attr[NATTR];        /* target oid, 0 = unset */
    int items[MAXITEMS];
    int nitems;
} mobj;

static mobj *model;         /* indexed by oid (1-based) */
static int model_cap, model_n;
static int names[NNAMES];   /* oid bound to v<k>, 0 = None */

/* ------------------------------------------------------------ rcgc side */

typedef struct Tag {
    rc_object ob;
    int oid;
} Tag;

enum { ST_NONE, ST_ALIVE, ST_DEAD };
static unsigned char *state;    /* by oid */
static int *fin_count;          /* finalizer runs by oid */
static int *fin_pending;        /* oids finalized since the last record */
static int nfin_pending;
static int live_now;
static int errors_in_seed;

static void tag_dealloc(rc_object *self) {
    int oid = ((Tag *)self)->oid;
    if (oid <= 0 || oid > model_n || state[oid] != ST_ALIVE) {
        fprintf(stderr, "test_gc_diff: object %d died twice or was never born\n", oid);
        errors_in_seed++;
        return;
    }
    state[oid] = ST_DEAD;
    live_now--;
}

static const rc_type Tag_type = {.ob_base = RC_STATIC_TYPE_HEAD, .name = "Tag",
                                 .basic_size = sizeof(Tag), .dealloc = tag_dealloc};

static rc_object *cls_N, *cls_F, *RES;
static rc_object *roots[NNAMES];

static int warming;   /* warm_up's objects have no Tag */

static int oid_of(rc_object *o) {
    if (warming)
        return 0;
    rc_object *t = rc_is_instance(o) ? rc_getattr_borrowed(o, "id") : rc_list_get(o, 0);
    if (!t || rc_type_of(t) != &Tag_type) {
        fprintf(stderr, "test_gc_diff: object %p has lost its id\n", (void *)o);
        errors_in_seed++;
        return 0;
    }
    return ((Tag *)t)->oid;
}

static void F_finalize(rc_object *self) {
    int oid = oid_of(self);
    if (oid > 0 && oid <= model_n) {
        fin_count[oid]++;
        if (nfin_pending < 2 * model_cap)
            fin_pending[nfin_pending++] = oid;
    }
    rc_object *r = rc_getattr_borrowed(self, "r");
    if (r && rc_is_true(r) == 1 && rc_list_append(RES, self) < 0) {
        fprintf(stderr, "test_gc_diff: RES.append: %s\n", rc_error_message());
        errors_in_seed++;
    }
}

static void fail_call(const char *what) {
    fprintf(stderr, "test_gc_diff: %s failed: %s\n", what, rc_error_message());
    errors_in_seed++;
    rc_error_clear();
}

static rc_object *make_object(int oid, int kind, int r) {
    Tag *tag = rc_object_new(&Tag_type);
    if (!tag) {
        fail_call("rc_object_new(Tag)");
        return NULL;
    }
    tag->oid = oid;
    rc_object *o;
    if (kind == K_L) {
        o = rc_list_new(0);
        if (o && rc_list_append(o, tag) < 0)
            fail_call("rc_list_append");
    } else {
        o = rc_new_instance(kind == K_F ? cls_F : cls_N);
        if (o && rc_setattr(o, "id", tag) < 0)
            fail_call("rc_setattr(id)");
        if (o && kind == K_F && rc_setattr(o, "r", rc_int_from(r)) < 0)
            fail_call("rc_setattr(r)");
    }
    rc_decref(tag);
    if (!o) {
        fail_call("object creation");
        return NULL;
    }
    state[oid] = ST_ALIVE;
    live_now++;
    return o;
}

static const char *const attr_names[NATTR] = {"a0", "a1", "a2", "a3"};

/* ------------------------------------------------------------ records */

static int cmp_int(const void *a, const void *b) {
    int x = *(const int *)a, y = *(const int *)b;
    return (x > y) - (x < y);
}

static void put_fin(strbuf *out) {
    qsort(fin_pending, (size_t)nfin_pending, sizeof(int), cmp_int);
    sb_printf(out, " fin=");
    for (int i = 0; i < nfin_pending; i++)
        sb_printf(out, i ? ",%d" : "%d", fin_pending[i]);
    nfin_pending = 0;
}

static void put_live_summary(strbuf *out) {
    long long c = 0, s = 0, q = 0;
    for (int i = 1; i <= model_n; i++)
        if (state[i] == ST_ALIVE) {
            c++;
            s += i;
            q += (long long)i * i;
        }
    sb_printf(out, " live=%lld/%lld/%lld\n", c, s, q);
}

static void put_live_ids(strbuf *out) {
    sb_printf(out, " live=");
    int first = 1;
    for (int i = 1; i <= model_n; i++)
        if (state[i] == ST_ALIVE) {
            sb_printf(out, first ? "%d" : ",%d", i);
            first = 0;
        }
    sb_printf(out, "\n");
}

static intptr_t do_collect(int g) {
    intptr_t n = rc_gc_collect(g);
    if (n < 0)
        fail_call("rc_gc_collect");
    return n;
}

/* ------------------------------------------------------------ python side */

static const char py_prelude[] =
    "import gc, sys\n"
    "gc.disable()\n"
    "class N:\n"
    "    pass\n"
    "class F:\n"
    "    def __del__(self):\n"
    "        FIN.append(self.id)\n"
    "        if self.r:\n"
    "            RES.append(self)\n"
    "class L(list):\n"
    "    __slots__ = ()\n"
    "RES = []\n"
    "FIN = []\n"
    "OUT = []\n"
    "def N_(i):\n"
    "    o = N()\n"
    "    o.id = i\n"
    "    return o\n"
    "def F_(i, r):\n"
    "    o = F()\n"
    "    o.id = i\n"
    "    o.r = r\n"
    "    return o\n"
    "def L_(i):\n"
    "    return L((i,))\n"
    "def fins():\n"
    "    s = ' fin=' + ','.join(map(str, sorted(FIN)))\n"
    "    FIN.clear()\n"
    "    return s\n"
    "def ids():\n"
    "    r = []\n"
    "    for o in gc.get_objects():\n"
    "        t = type(o)\n"
    "        if t is N or t is F:\n"
    "            r.append(o.id)\n"
    "        elif t is L:\n"
    "            r.append(o[0])\n"
    "    return r\n"
    "def R(g):\n"
    "    n = gc.collect(g)\n"
    "    f = fins()\n"
    "    r = ids()\n"
    "    OUT.append('c%d %d%s live=%d/%d/%d' % (g, n, f, len(r), sum(r), sum(i * i for i in r)))\n"
    "def E():\n"
    "    f = fins()\n"
    "    OUT.append('end%s live=%s' % (f, ','.join(map(str, sorted(ids())))))\n"
    "def X():\n"
    "    while True:\n"
    "        RES.clear()\n"
    "        n = gc.collect(2)\n"
    "        OUT.append('x %d%s' % (n, fins()))\n"
    "        if n == 0 and not RES:\n"
    "            break\n"
    "    OUT.append('done live=%d' % len(ids()))\n"
    "gc.collect()\n"
    "gc.freeze()\n";

/* ------------------------------------------------------------ one seed */

typedef struct params {
    int ops;
} params;

static void model_reset(void) {
    model_n = 0;
    for (int k = 0; k < NNAMES; k++)
        names[k] = 0;
}

static int model_new(int kind, int r) {
    if (model_n + 1 >= model_cap) {
        fprintf(stderr, "test_gc_diff: model overflow\n");
        exit(2);
    }
    int oid = ++model_n;
    mobj *m = &model[oid];
    memset(m, 0, sizeof *m);
    m->kind = kind;
    m->r = r;
    state[oid] = ST_NONE;
    fin_count[oid] = 0;
    return oid;
}

/* A random bound name, or -1 if none; with want >= 0 only names bound to an
 * object of that class of kinds (0: instance, 1: list). */
static int pick_name(int want) {
    int cand[NNAMES], n = 0;
    for (int k = 0; k < NNAMES; k++) {
        int o = names[k];
        if (!o)
            continue;
        if (want == 0 && model[o].kind == K_L)
            continue;
        if (want == 1 && model[o].kind != K_L)
            continue;
        cand[n++] = k;
    }
    return n ? cand[rnd_below(n)] : -1;
}

static void set_root(int k, rc_object *o) { rc_setref(&roots[k], o); }

/* Generate, execute and write one seed's program.  Records go to out (this
 * side) and the program to py. */
static void run_seed(uint64_t seed, const params *p, strbuf *out, strbuf *py) {
    rng_state = seed * 0x2545F4914F6CDD1Dull + 12345;
    model_reset();
    nfin_pending = 0;
    live_now = 0;
    int fin_mode = rnd_below(2);       /* half the seeds use class F */
    int w_new = 16, w_link = 34, w_unlink = 8, w_load = 14, w_drop = 10, w_dropmany = 2,
        w_collect = 4 + rnd_below(6), w_res = fin_mode ? 1 : 0;
    int wsum = w_new + w_link + w_unlink + w_load + w_drop + w_dropmany + w_collect + w_res;

    sb_printf(out, "seed %llu\n", (unsigned long long)seed);
    sb_printf(py, "def s():\n    OUT.append('seed %llu')\n    ", (unsigned long long)seed);
    for (int k = 0; k < NNAMES; k++)
        sb_printf(py, "v%d=", k);
    sb_printf(py, "None\n");

    for (int step = 0; step < p->ops; step++) {
        int w = rnd_below(wsum);
        int op;
        if ((w -= w_new) < 0) op = 0;
        else if ((w -= w_link) < 0) op = 1;
        else if ((w -= w_unlink) < 0) op = 2;
        else if ((w -= w_load) < 0) op = 3;
        else if ((w -= w_drop) < 0) op = 4;
        else if ((w -= w_collect) < 0) op = 5;
        else if ((w -= w_res) < 0) op = 6;
        else op = 7;

        if (op == 1) {                  /* link */
            int i = pick_name(-1), j = pick_name(-1);
            if (i < 0 || j < 0) {
                op = 0;
            } else {
                int a = names[i], b = names[j];
                mobj *m = &model[a];
                if (m->kind != K_L) {
                    int s = rnd_below(NATTR);
                    m->attr[s] = b;
                    sb_printf(py, "    v%d.a%d=v%d\n", i, s, j);
                    if (rc_setattr(roots[i], attr_names[s], roots[j]) < 0)
                        fail_call("rc_setattr");
                } else if (m->nitems > 0 && (m->nitems == MAXITEMS || rnd_below(3) == 0)) {
                    int idx = rnd_below(m->nitems);
                    m->items[idx] = b;
                    sb_printf(py, "    v%d[%d]=v%d\n", i, idx + 1, j);
                    if (rc_list_set(roots[i], idx + 1, roots[j]) < 0)
                        fail_call("rc_list_set");
                } else {
                    m->items[m->nitems++] = b;
                    sb_printf(py, "    v%d.append(v%d)\n", i, j);
                    if (rc_list_append(roots[i], roots[j]) < 0)
                        fail_call("rc_list_append");
                }
                continue;
            }
        }
        if (op == 2 || op == 3) {       /* unlink / load: need a set edge */
            int i = pick_name(-1);
            int s = -1;
            if (i >= 0) {
                mobj *m = &model[names[i]];
                if (m->kind == K_L) {
                    s = m->nitems ? rnd_below(m->nitems) : -1;
                    if (op == 2 && s >= 0)
                        s = m->nitems - 1;   /* pop() takes the last */
                } else {
                    int set[NATTR], n = 0;
                    for (int t = 0; t < NATTR; t++)
                        if (m->attr[t])
                            set[n++] = t;
                    s = n ? set[rnd_below(n)] : -1;
                }
            }
            if (s < 0) {
                op = 0;
            } else {
                mobj *m = &model[names[i]];
                if (op == 2) {
                    if (m->kind == K_L) {
                        m->nitems--;
                        sb_printf(py, "    v%d.pop()\n", i);
                        rc_object *x = rc_list_pop(roots[i], -1);
                        if (!x)
                            fail_call("rc_list_pop");
                        rc_xdecref(x);
                    } else {
                        m->attr[s] = 0;
                        sb_printf(py, "    del v%d.a%d\n", i, s);
                        if (rc_delattr(roots[i], attr_names[s]) < 0)
                            fail_call("rc_delattr");
                    }
                } else {
                    int k = rnd_below(NNAMES);
                    rc_object *x;
                    if (m->kind == K_L) {
                        names[k] = m->items[s];
                        sb_printf(py, "    v%d=v%d[%d]\n", k, i, s + 1);
                        x = rc_list_get(roots[i], s + 1);
                        rc_xincref(x);
                    } else {
                        names[k] = m->attr[s];
                        sb_printf(py, "    v%d=v%d.a%d\n", k, i, s);
                        x = rc_getattr(roots[i], attr_names[s]);
                    }
                    if (!x)
                        fail_call("load");
                    else
                        set_root(k, x);
                }
                continue;
            }
        }
        if (op == 4) {                  /* drop a name */
            int k = pick_name(-1);
            if (k < 0) {
                op = 0;
            } else {
                names[k] = 0;
                sb_printf(py, "    v%d=None\n", k);
                rc_clear(&roots[k]);
                continue;
            }
        }
        if (op == 7) {                  /* drop about half of the names */
            int any = 0;
            for (int k = 0; k < NNAMES; k++) {
                if (!names[k] || rnd_below(2))
                    continue;
                names[k] = 0;
                sb_printf(py, "%sv%d=None", any ? ";" : "    ", k);
                rc_clear(&roots[k]);
                any = 1;
            }
            if (any) {
                sb_printf(py, "\n");
                continue;
            }
            op = 0;
        }
        if (op == 5) {                  /* collect */
            int g = rnd_below(3);
            sb_printf(py, "    R(%d)\n", g);
            intptr_t n = do_collect(g);
            sb_printf(out, "c%d %ld", g, (long)n);
            put_fin(out);
            put_live_summary(out);
            continue;
        }
        if (op == 6) {                  /* RES.clear() */
            sb_printf(py, "    RES.clear()\n");
            if (rc_list_clear(RES) < 0)
                fail_call("rc_list_clear");
            continue;
        }
        /* op == 0: a new object bound to a random name */
        int roll = rnd_below(100);
        int kind = fin_mode ? (roll < 50 ? K_N : roll < 75 ? K_L : K_F)
                            : (roll < 65 ? K_N : K_L);
        int r = kind == K_F ? rnd_below(5) < 2 : 0;
        int k = rnd_below(NNAMES);
        int oid = model_new(kind, r);
        names[k] = oid;
        if (kind == K_N)
            sb_printf(py, "    v%d=N_(%d)\n", k, oid);
        else if (kind == K_F)
            sb_printf(py, "    v%d=F_(%d,%d)\n", k, oid, r);
        else
            sb_printf(py, "    v%d=L_(%d)\n", k, oid);
        rc_object *o = make_object(oid, kind, r);
        if (o)
            set_root(k, o);
    }

    /* the end: survivors, then everything dropped and collected */
    sb_printf(py, "    E()\n    ");
    sb_printf(out, "end");
    put_fin(out);
    put_live_ids(out);
    for (int k = 0; k < NNAMES; k++) {
        sb_printf(py, "v%d=", k);
        rc_clear(&roots[k]);
        names[k] = 0;
    }
    sb_printf(py, "None\n    X()\ns()\ndel s\n");
    for (int guard = 0;; guard++) {
        if (rc_list_clear(RES) < 0)
            fail_call("rc_list_clear");
        intptr_t n = do_collect(2);
        sb_printf(out, "x %ld", (long)n);
        put_fin(out);
        sb_printf(out, "\n");
        if ((n == 0 && rc_list_size(RES) == 0) || n < 0 || guard > 1000)
            break;
    }
    sb_printf(out, "done live=%d\n", live_now);
    for (int i = 1; i <= model_n; i++)
        if (fin_count[i] > 1) {
            fprintf(stderr, "test_gc_diff: seed %llu: object %d finalized %d times\n",
                    (unsigned long long)seed, i, fin_count[i]);
            errors_in_seed++;
        }
}

/* ------------------------------------------------------------ driver */

static const char *python_cmd(void) {
    const char *p = getenv("RCGC_DIFF_PYTHON");
    return p && *p ? p : "python3";
}

/* Read a command's whole stdout; NULL if it could not be started.  *status
 * gets the exit status. */
static char *read_command(const char *cmd, size_t *len, int *status) {
    FILE *f = popen(cmd, "r");
    if (!f)
        return NULL;
    strbuf b = {0};
    sb_reserve(&b, 1 << 16);
    size_t k;
    while ((k = fread(b.p + b.n, 1, b.cap - b.n - 1, f)) > 0) {
        b.n += k;
        sb_reserve(&b, 1 << 16);
    }
    b.p[b.n] = '\0';
    *status = pclose(f);
    *len = b.n;
    return b.p;
}

/* 1 if python3 is there and 3.11..3.13; else prints why and returns 0. */
static int python_usable(void) {
    char cmd[512];
    snprintf(cmd, sizeof cmd,
             "%s -I -S -c \"import sys; print('%%d.%%d' %% sys.version_info[:2])\" 2>/dev/null",
             python_cmd());
    size_t len;
    int status;
    char *out = read_command(cmd, &len, &status);
    int major = 0, minor = 0;
    int ok = out && status == 0 && sscanf(out, "%d.%d", &major, &minor) == 2;
    free(out);
    if (!ok) {
        printf("SKIP: %s not found (the differential test needs CPython)\n", python_cmd());
        return 0;
    }
    if (major != 3 || minor < 11 || minor > 13) {
        printf("SKIP: %s is %d.%d; the differential test needs CPython 3.11 to 3.13 "
               "(inline instance attributes, the generational collector)\n",
               python_cmd(), major, minor);
        return 0;
    }
    return 1;
}

static volatile sig_atomic_t current_seed_valid;
static volatile unsigned long long current_seed;

static void crash_handler(int sig) {
    char msg[128];
    int n = snprintf(msg, sizeof msg, "test_gc_diff: crashed (signal %d) in seed %llu\n", sig,
                     current_seed_valid ? current_seed : 0ull);
    if (n > 0 && write(2, msg, (size_t)n) < 0) {
    }
    signal(sig, SIG_DFL);
    raise(sig);
}

static long env_long(const char *name, long dflt) {
    const char *s = getenv(name);
    return s && *s ? strtol(s, NULL, 10) : dflt;
}

static long opt_seeds, opt_first, opt_ops, opt_jobs;

/* The line starting at offset *pos, advancing *pos past its newline. */
static const char *next_line(const char *buf, size_t len, size_t *pos, size_t *linelen) {
    if (*pos >= len)
        return NULL;
    const char *s = buf + *pos;
    const char *e = memchr(s, '\n', len - *pos);
    size_t n = e ? (size_t)(e - s) : len - *pos;
    *pos += n + (e ? 1 : 0);
    *linelen = n;
    return s;
}

/* Compare python's output with ours; report the first difference.
 * Returns the number of lines compared, or -1 after a mismatch. */
static long compare_outputs(const char *pout, size_t plen, const strbuf *out) {
    size_t pa = 0, pb = 0, la = 0, lb = 0;
    const char *seedline = "seed ?";
    size_t seedlen = strlen(seedline);
    long line = 0;
    for (;;) {
        const char *a = next_line(pout, plen, &pa, &la);
        const char *b = next_line(out->p, out->n, &pb, &lb);
        if (!a && !b)
            return line;
        line++;
        if (b && lb > 5 && !memcmp(b, "seed ", 5)) {
            seedline = b;
            seedlen = lb;
        }
        if (a && b && la == lb && !memcmp(a, b, la))
            continue;
        fprintf(stderr,
                "test_gc_diff: MISMATCH in %.*s, output line %ld\n"
                "    python3: %.*s\n"
                "    rcgc:    %.*s\n"
                "    repro:   test_gc_diff 1 %.*s %ld   (RCGC_DIFF_DUMP=seed.py keeps the script)\n",
                (int)seedlen, seedline, line, (int)(a ? la : 5), a ? a : "(end)",
                (int)(b ? lb : 5), b ? b : "(end)", (int)seedlen - 5, seedline + 5, opt_ops);
        return -1;
    }
}

/* Write text to a new file: the dump path (with the batch number when there
 * are several) or a temporary one.  Returns 0 or -1. */
static int write_script(const strbuf *py, int batch, char *path, size_t pathsz) {
    const char *dump = getenv("RCGC_DIFF_DUMP");
    int fd;
    if (dump && *dump) {
        if (opt_jobs > 1)
            snprintf(path, pathsz, "%s.%d", dump, batch);
        else
            snprintf(path, pathsz, "%s", dump);
        fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    } else {
        const char *tmp = getenv("TMPDIR");
        snprintf(path, pathsz, "%s/rcgc_diff_XXXXXX.py", tmp && *tmp ? tmp : "/tmp");
        fd = mkstemps(path, 3);
    }
    if (fd < 0) {
        fprintf(stderr, "test_gc_diff: cannot create %s: %s\n", path, strerror(errno));
        return -1;
    }
    size_t off = 0;
    while (off < py->n) {
        ssize_t k = write(fd, py->p + off, py->n - off);
        if (k <= 0)
            break;
        off += (size_t)k;
    }
    close(fd);
    return off == py->n ? 0 : -1;
}

/* Everything a program can touch once, so that lazily built per-class
 * tables exist before the leak baseline is taken. */
static void warm_up(void) {
    rc_object *cls[2] = {cls_N, cls_F};
    warming = 1;
    for (int c = 0; c < 2; c++) {
        rc_object *x = rc_new_instance(cls[c]);
        if (!x)
            return;
        rc_setattr(x, "id", rc_int_from(0));
        rc_setattr(x, "r", rc_int_from(0));
        for (int a = 0; a < NATTR; a++)
            rc_setattr(x, attr_names[a], x);
        rc_delattr(x, attr_names[0]);
        rc_decref(x);
    }
    rc_list_append(RES, RES);
    rc_list_clear(RES);
    rc_gc_collect(2);
    warming = 0;
}

typedef struct batch {
    strbuf out, py;
    char path[512];
    FILE *proc;
} batch;

static void test_diff_against_cpython(void) {
    rc_gc_disable();
    rc_class_options o;
    rc_class_options_init(&o);
    cls_N = rc_class_new("N", &o);
    o.finalize = F_finalize;
    cls_F = rc_class_new("F", &o);
    RES = rc_list_new(0);
    CHECK(cls_N && cls_F && RES);
    if (!cls_N || !cls_F || !RES)
        return;
    warm_up();

    params p = {.ops = (int)opt_ops};
    model_cap = p.ops + 2;
    model = calloc((size_t)model_cap, sizeof *model);
    state = calloc((size_t)model_cap, 1);
    fin_count = calloc((size_t)model_cap, sizeof(int));
    fin_pending = calloc((size_t)model_cap * 2, sizeof(int));
    int nb = (int)opt_jobs;
    batch *bs = calloc((size_t)nb, sizeof *bs);

    rc_heap_clear_caches(NULL);
    unsigned long long base_blocks = check_blocks_in_use();
    long bad_seeds = 0;
    /* execute every seed here and write the scripts; start each batch's
     * python as soon as its script is complete */
    for (int b = 0; b < nb; b++) {
        long lo = opt_seeds * b / nb, hi = opt_seeds * (b + 1) / nb;
        sb_printf(&bs[b].py, "%s", py_prelude);
        for (long i = lo; i < hi; i++) {
            uint64_t seed = (uint64_t)(opt_first + i);
            current_seed = seed;
            current_seed_valid = 1;
            errors_in_seed = 0;
            run_seed(seed, &p, &bs[b].out, &bs[b].py);
            rc_heap_clear_caches(NULL);
            unsigned long long blocks = check_blocks_in_use();
            if (blocks != base_blocks) {
                fprintf(stderr,
                        "test_gc_diff: seed %llu: %llu blocks in use after its cleanup, %llu before\n",
                        (unsigned long long)seed, blocks, base_blocks);
                errors_in_seed++;
                base_blocks = blocks;
            }
            if (errors_in_seed) {
                bad_seeds++;
                fprintf(stderr, "test_gc_diff: seed %llu: %d errors on the rcgc side\n",
                        (unsigned long long)seed, errors_in_seed);
                CHECK_EQ(errors_in_seed, 0);
            }
        }
        current_seed_valid = 0;
        sb_printf(&bs[b].py, "sys.stdout.write('\\n'.join(OUT) + '\\n')\n");
        if (write_script(&bs[b].py, b, bs[b].path, sizeof bs[b].path) < 0) {
            CHECK(0);
            continue;
        }
        char cmd[700];
        snprintf(cmd, sizeof cmd, "%s -I -S %s", python_cmd(), bs[b].path);
        fflush(stdout);
        fflush(stderr);
        bs[b].proc = popen(cmd, "r");
        CHECK(bs[b].proc != NULL);
        sb_free(&bs[b].py);
    }

    long lines = 0, mismatches = 0;
    const char *dump = getenv("RCGC_DIFF_DUMP");
    for (int b = 0; b < nb; b++) {
        if (!bs[b].proc)
            continue;
        strbuf r = {0};
        sb_reserve(&r, 1 << 16);
        size_t k;
        while ((k = fread(r.p + r.n, 1, r.cap - r.n - 1, bs[b].proc)) > 0) {
            r.n += k;
            sb_reserve(&r, 1 << 16);
        }
        int status = pclose(bs[b].proc);
        if (!(dump && *dump))
            unlink(bs[b].path);
        if (status != 0)
            fprintf(stderr, "test_gc_diff: %s exited with status %d\n", python_cmd(), status);
        CHECK_EQ(status, 0);
        long n = mismatches ? 0 : compare_outputs(r.p, r.n, &bs[b].out);
        if (n < 0)
            mismatches++;
        else
            lines += n;
        sb_free(&r);
        sb_free(&bs[b].out);
    }
    CHECK_EQ(mismatches, 0);
    printf("test_gc_diff: %ld seeds (%ld..%ld) of %ld operations in %d batches, %ld lines "
           "compared, %ld mismatches, %ld seeds with errors\n",
           opt_seeds, opt_first, opt_first + opt_seeds - 1, opt_ops, nb, lines, mismatches,
           bad_seeds);
    free(bs);
    free(model);
    free(state);
    free(fin_count);
    free(fin_pending);
    rc_clear(&RES);
    rc_clear(&cls_F);
    rc_clear(&cls_N);
    rc_gc_collect(2);
    rc_gc_enable();
}

int main(int argc, char **argv) {
    opt_seeds = argc > 1 ? strtol(argv[1], NULL, 10) : env_long("RCGC_DIFF_SEEDS", 2000);
    opt_first = argc > 2 ? strtol(argv[2], NULL, 10) : env_long("RCGC_DIFF_FIRST", 1);
    opt_ops = argc > 3 ? strtol(argv[3], NULL, 10) : env_long("RCGC_DIFF_OPS", 200);
    opt_jobs = env_long("RCGC_DIFF_JOBS", 2);
    if (opt_jobs > opt_seeds)
        opt_jobs = opt_seeds;
    if (opt_seeds < 1 || opt_ops < 1 || opt_jobs < 1 || opt_jobs > 64) {
        fprintf(stderr, "usage: test_gc_diff [seeds [first [ops]]]\n");
        return 2;
    }
    if (!python_usable())
        return 0;
    signal(SIGSEGV, crash_handler);
    signal(SIGABRT, crash_handler);
    signal(SIGBUS, crash_handler);
    RUN(test_diff_against_cpython);
    return check_summary("test_gc_diff");
}
