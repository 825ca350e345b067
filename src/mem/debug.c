/*
 * debug.c - the debug allocator (RCGC_MALLOC=debug), modelled on CPython's
 * PYTHONMALLOC=debug hooks (reference 4.9).
 *
 * Each block is wrapped: 24 extra bytes around the caller's n bytes.
 *
 *     raw+0   8 bytes  n, big-endian
 *     raw+8   1 byte   API id: 'm' (rc_mem_*) or 'o' (objects)
 *     raw+9   7 bytes  0xFD (forbidden bytes, leading pad)
 *     raw+16  n bytes  the data the caller sees (p)
 *     p+n     8 bytes  0xFD (trailing pad)
 *
 * Fresh data is filled with 0xCD, freed blocks (pads included) with 0xDD.
 * On free the pads and API id are checked; any damage is reported with a
 * dump of the block and ends the process.  A second free of the same block
 * finds its size word still 0xDD... and is reported as a double free
 * (unless the memory was handed out again in between).
 */
#include "internal.h"

#define CLEANBYTE 0xCD
#define DEADBYTE 0xDD
#define FORBIDDENBYTE 0xFD
#define S 8

static size_t read_size(const unsigned char *q) {
    size_t n = 0;
    for (int i = 0; i < S; i++)
        n = (n << 8) | q[i];
    return n;
}

static void write_size(unsigned char *q, size_t n) {
    for (int i = S - 1; i >= 0; i--) {
        q[i] = (unsigned char)(n & 0xff);
        n >>= 8;
    }
}

void *rci_debug_alloc(rc_heap *h, size_t n, int api) {
    if (n > SIZE_MAX - RCI_DEBUG_OVERHEAD - 64)
        return NULL;
    unsigned char *raw = rci_raw_alloc(h, n + RCI_DEBUG_OVERHEAD);
    if (!raw)
        return NULL;
    write_size(raw, n);
    raw[S] = (unsigned char)api;
    memset(raw + S + 1, FORBIDDENBYTE, S - 1);
    memset(raw + 2 * S, CLEANBYTE, n);
    memset(raw + 2 * S + n, FORBIDDENBYTE, S);
    return raw + 2 * S;
}

size_t rci_debug_size(const void *p) {
    return read_size((const unsigned char *)p - 2 * S);
}

static const char *api_func(int api) {
    return api == RCI_API_OBJ ? "object deallocation" : "rc_mem_free";
}

static RC_NORETURN void report(const unsigned char *p, int api, const char *why) {
    const unsigned char *q = p - 2 * S;
    size_t n = read_size(q);
    fflush(stdout);
    fprintf(stderr, "Debug memory block at address p=%p: API '%c'\n", (const void *)p,
            q[S] >= 32 && q[S] < 127 ? q[S] : '?');
    if (read_size(q) == (size_t)RCI_DEAD_FILL) {
        fprintf(stderr, "    the size word reads 0xDDDDDDDDDDDDDDDD: the block was already freed\n");
        rci_fatal("%s: double free or use of a freed block at %p", api_func(api),
                  (const void *)p);
    }
    fprintf(stderr, "    %zu bytes originally requested\n", n);
    int lead_ok = 1;
    for (int i = 1; i < S; i++)
        lead_ok &= q[S + i] == FORBIDDENBYTE;
    if (lead_ok) {
        fprintf(stderr, "    The %d pad bytes at p-%d are FORBIDDENBYTE, as expected.\n",
                S - 1, S - 1);
    } else {
        fprintf(stderr, "    The %d pad bytes at p-%d are not all FORBIDDENBYTE (0x%02x):\n",
                S - 1, S - 1, FORBIDDENBYTE);
        for (int i = S - 1; i >= 1; i--)
            fprintf(stderr, "        at p-%d: 0x%02x%s\n", i, p[-i],
                    p[-i] == FORBIDDENBYTE ? "" : " *** OUCH");
    }
    /* Only look at the tail when the size word is plausible. */
    if (lead_ok && n < ((size_t)1 << 40)) {
        const unsigned char *tail = p + n;
        int tail_ok = 1;
        for (int i = 0; i < S; i++)
            tail_ok &= tail[i] == FORBIDDENBYTE;
        if (tail_ok) {
            fprintf(stderr, "    The %d pad bytes at tail=%p are FORBIDDENBYTE, as expected.\n",
                    S, (const void *)tail);
        } else {
            fprintf(stderr, "    The %d pad bytes at tail=%p are not all FORBIDDENBYTE (0x%02x):\n",
                    S, (const void *)tail, FORBIDDENBYTE);
            for (int i = 0; i < S; i++)
                fprintf(stderr, "        at tail+%d: 0x%02x%s\n", i, tail[i],
                        tail[i] == FORBIDDENBYTE ? "" : " *** OUCH");
        }
        fprintf(stderr, "    Data at p:");
        size_t shown = n <= 16 ? n : 8;
        for (size_t i = 0; i < shown; i++)
            fprintf(stderr, " %02x", p[i]);
        if (n > 16) {
            fprintf(stderr, " ...");
            for (size_t i = n - 8; i < n; i++)
                fprintf(stderr, " %02x", p[i]);
        }
        fputc('\n', stderr);
    }
    rci_fatal("%s: %s", api_func(api), why);
}

size_t rci_debug_check(rc_heap *h, void *ptr, int api, const rc_object *obj) {
    unsigned char *p = ptr, *q = p - 2 * S;
    /* Ownership first: a block in a pool already given back reads as zeros. */
    rci_raw_check_owner(h, q, obj);
    size_t n = read_size(q);
    if (n == (size_t)RCI_DEAD_FILL)
        report(p, api, "double free (the block is already freed)");
    if (q[S] != (unsigned char)api) {
        char why[112];
        if (q[S] >= 32 && q[S] < 127)
            snprintf(why, sizeof why, "bad ID: Allocated using API '%c', verified using "
                     "API '%c'", q[S], api);
        else
            snprintf(why, sizeof why, "bad ID: 0x%02x is not an API id (not an rcgc block, "
                     "or freed), verified using API '%c'", q[S], api);
        report(p, api, why);
    }
    for (int i = 1; i < S; i++)
        if (q[S + i] != FORBIDDENBYTE)
            report(p, api, "bad leading pad byte");
    for (int i = 0; i < S; i++)
        if (p[n + i] != FORBIDDENBYTE)
            report(p, api, "bad trailing pad byte");
    return n;
}

void rci_debug_free(rc_heap *h, void *ptr, int api, const rc_object *obj) {
    unsigned char *q = (unsigned char *)ptr - 2 * S;
    size_t n = rci_debug_check(h, ptr, api, obj);
    memset(q, DEADBYTE, n + RCI_DEBUG_OVERHEAD);
    rci_raw_free(h, q, obj);
}
