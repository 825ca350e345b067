/*
 * rcgc.c - the rcgc command line: `rcgc tour` walks through the memory
 * system chapter by chapter, `rcgc version` prints the version.
 * Each tour chapter lives in its own tour_*.c file.
 */
#include "rcgc.h"
#include "tour.h"
#include <string.h>

static const struct {
    const char *name;
    int (*run)(void);
} chapters[] = {
    {"refcount", tour_refcount},
    {"objects", tour_objects},
    {"gc", tour_gc},
    {"weakref", tour_weakref},
};

static int usage(FILE *f) {
    fprintf(f, "usage: rcgc <command>\n\n"
               "commands:\n"
               "  tour [chapter]   walk through the memory system (chapters: ");
    for (size_t i = 0; i < sizeof chapters / sizeof chapters[0]; i++)
        fprintf(f, "%s%s", i ? ", " : "", chapters[i].name);
    fprintf(f, ")\n  version          print the library version\n");
    return f == stderr ? 2 : 0;
}

static int tour(const char *only) {
    int found = 0;
    for (size_t i = 0; i < sizeof chapters / sizeof chapters[0]; i++) {
        if (only && strcmp(only, chapters[i].name))
            continue;
        found = 1;
        if (chapters[i].run() != 0) {
            fprintf(stderr, "rcgc tour: chapter '%s' failed: %s\n", chapters[i].name,
                    rc_error_message());
            return 1;
        }
    }
    if (!found) {
        fprintf(stderr, "rcgc tour: no chapter named '%s'\n", only);
        return usage(stderr);
    }
    return 0;
}

int main(int argc, char **argv) {
    if (argc < 2)
        return usage(stderr);
    if (!strcmp(argv[1], "tour"))
        return tour(argc > 2 ? argv[2] : NULL);
    if (!strcmp(argv[1], "version")) {
        printf("rcgc %s (headers %s)\n", rc_version_string(), RC_VERSION_STRING);
        return 0;
    }
    if (!strcmp(argv[1], "help") || !strcmp(argv[1], "--help") || !strcmp(argv[1], "-h"))
        return usage(stdout);
    fprintf(stderr, "rcgc: unknown command '%s'\n", argv[1]);
    return usage(stderr);
}
