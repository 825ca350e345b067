/*
 * config.c - resolving a heap's settings from three layers with one rule:
 * an explicit rc_config field > its RCGC_* environment variable > the build
 * default (src/build_config.h).  Environment variables are read once, when
 * a heap is created.  Every variable is listed in docs/environment.md.
 */
#include "internal.h"
#include <errno.h>
#include <stdlib.h>

void rc_config_init(rc_config *cfg) {
    if (!cfg)
        return;
    memset(cfg, 0, sizeof *cfg);
    cfg->version = RC_CONFIG_VERSION;
    cfg->malloc_mode = RC_MALLOC_UNSET;
    cfg->purge_delay_ms = -1;
    cfg->print_stats_at_exit = -1;
    cfg->use_environment = 1;
    for (int i = 0; i < 3; i++)
        cfg->gc_threshold[i] = -1;
    cfg->gc_debug = -1;
}

static int parse_mode(const char *v, rc_malloc_mode *out) {
    if (!strcmp(v, "pymalloc") || !strcmp(v, "default"))
        *out = RC_MALLOC_PYMALLOC;
    else if (!strcmp(v, "malloc"))
        *out = RC_MALLOC_MALLOC;
    else if (!strcmp(v, "debug") || !strcmp(v, "pymalloc_debug"))
        *out = RC_MALLOC_DEBUG;
    else
        return rc_error_set(RC_ERR_VALUE, "RCGC_MALLOC='%s' is not one of "
                            "pymalloc, malloc, debug", v);
    return 0;
}

static int parse_int(const char *name, const char *v, long lo, long hi, int *out) {
    char *end;
    errno = 0;
    long x = strtol(v, &end, 10);
    if (errno || end == v || *end || x < lo || x > hi)
        return rc_error_set(RC_ERR_VALUE, "%s='%s' is not an integer in [%ld, %ld]",
                            name, v, lo, hi);
    *out = (int)x;
    return 0;
}

static int parse_bool(const char *name, const char *v) {
    if (!strcmp(v, "1") || !strcmp(v, "yes") || !strcmp(v, "true") || !strcmp(v, "on"))
        return 1;
    if (!strcmp(v, "0") || !strcmp(v, "no") || !strcmp(v, "false") || !strcmp(v, "off"))
        return 0;
    return rc_error_set(RC_ERR_VALUE, "%s='%s' is not one of 1, 0, yes, no, true, false, "
                        "on, off", name, v);
}

/* "700", "700,10" or "700,10,10": the given thresholds replace the first
 * one, two or three values. */
static int parse_thresholds(const char *v, long out[3]) {
    const char *p = v;
    for (int i = 0; i < 3 && *p; i++) {
        char *end;
        errno = 0;
        long x = strtol(p, &end, 10);
        if (errno || end == p || x < 0 || (*end && *end != ','))
            return rc_error_set(RC_ERR_VALUE, "RCGC_GC_THRESHOLD='%s' is not 1 to 3 "
                                "non-negative integers separated by commas", v);
        out[i] = x;
        p = *end ? end + 1 : end;
    }
    if (*p)
        return rc_error_set(RC_ERR_VALUE, "RCGC_GC_THRESHOLD='%s' has more than 3 values", v);
    return 0;
}

/* "stats,collectable,uncollectable,saveall,leak" in any combination, or a
 * number. */
static int parse_gc_debug(const char *v, int *out) {
    char *end;
    long x = strtol(v, &end, 0);
    if (end != v && !*end && x >= 0 && x <= 63) {
        *out = (int)x;
        return 0;
    }
    int flags = 0;
    const char *p = v;
    while (*p) {
        size_t n = strcspn(p, ",");
        if (n == 5 && !strncmp(p, "stats", 5)) flags |= RC_GC_DEBUG_STATS;
        else if (n == 11 && !strncmp(p, "collectable", 11)) flags |= RC_GC_DEBUG_COLLECTABLE;
        else if (n == 13 && !strncmp(p, "uncollectable", 13)) flags |= RC_GC_DEBUG_UNCOLLECTABLE;
        else if (n == 7 && !strncmp(p, "saveall", 7)) flags |= RC_GC_DEBUG_SAVEALL;
        else if (n == 4 && !strncmp(p, "leak", 4)) flags |= RC_GC_DEBUG_LEAK;
        else
            return rc_error_set(RC_ERR_VALUE, "RCGC_GC_DEBUG='%s': '%.*s' is not one of stats, "
                                "collectable, uncollectable, saveall, leak", v, (int)n, p);
        p += n;
        if (*p == ',')
            p++;
    }
    *out = flags;
    return 0;
}

static const char *env(const rc_config *cfg, const char *name) {
    if (cfg && !cfg->use_environment)
        return NULL;
    const char *v = getenv(name);
    return v && *v ? v : NULL;
}

int rci_config_resolve(const rc_config *cfg, rci_settings *out) {
    const char *v;
    if (cfg && cfg->version != RC_CONFIG_VERSION)
        return rc_error_set(RC_ERR_VALUE, "rc_config version %u is not %d: initialise "
                            "it with rc_config_init", cfg->version, RC_CONFIG_VERSION);
    /* allocator mode */
    out->mode = (rc_malloc_mode)RCI_DEFAULT_MALLOC;
    if (cfg && cfg->malloc_mode != RC_MALLOC_UNSET) {
        if (cfg->malloc_mode < RC_MALLOC_PYMALLOC || cfg->malloc_mode > RC_MALLOC_DEBUG)
            return rc_error_set(RC_ERR_VALUE, "rc_config.malloc_mode %d is invalid",
                                (int)cfg->malloc_mode);
        out->mode = cfg->malloc_mode;
    } else if ((v = env(cfg, "RCGC_MALLOC")) && parse_mode(v, &out->mode) < 0) {
        return -1;
    }
    /* purge delay */
    out->purge_delay_ms = RCI_DEFAULT_PURGE_DELAY_MS;
    if (cfg && cfg->purge_delay_ms < -1)
        return rc_error_set(RC_ERR_VALUE, "rc_config.purge_delay_ms %d is negative "
                            "(-1 means unset)", cfg->purge_delay_ms);
    if (cfg && cfg->purge_delay_ms >= 0)
        out->purge_delay_ms = cfg->purge_delay_ms;
    else if ((v = env(cfg, "RCGC_PURGE_DELAY_MS")) &&
             parse_int("RCGC_PURGE_DELAY_MS", v, 0, 3600000, &out->purge_delay_ms) < 0)
        return -1;
    /* statistics at exit */
    out->print_stats_at_exit = 0;
    if (cfg && cfg->print_stats_at_exit >= 0)
        out->print_stats_at_exit = cfg->print_stats_at_exit != 0;
    else if ((v = env(cfg, "RCGC_MALLOC_STATS")) &&
             (out->print_stats_at_exit = parse_bool("RCGC_MALLOC_STATS", v)) < 0)
        return -1;
    /* collector thresholds and debug flags */
    static const long default_thresholds[3] = {700, 10, 10};
    for (int i = 0; i < 3; i++)
        out->gc_threshold[i] = default_thresholds[i];
    if ((v = env(cfg, "RCGC_GC_THRESHOLD")) && parse_thresholds(v, out->gc_threshold) < 0)
        return -1;
    for (int i = 0; cfg && i < 3; i++) {
        if (cfg->gc_threshold[i] < -1)
            return rc_error_set(RC_ERR_VALUE, "rc_config.gc_threshold[%d] is negative", i);
        if (cfg->gc_threshold[i] >= 0)
            out->gc_threshold[i] = cfg->gc_threshold[i];
    }
    out->gc_debug = 0;
    if (cfg && cfg->gc_debug >= 0)
        out->gc_debug = cfg->gc_debug;
    else if ((v = env(cfg, "RCGC_GC_DEBUG")) && parse_gc_debug(v, &out->gc_debug) < 0)
        return -1;
    return 0;
}
