/*
 * large.c - blocks over 512 bytes (and every block in malloc mode) come from
 * the system allocator with a 32-byte header.
 *
 * The header links the block into its heap's list (so destroying the heap
 * frees blocks the user leaked), records the requested size (statistics and
 * realloc) and a tag, heap ^ magic, that proves which heap owns the block.
 * A pointer that is neither in one of the heap's arenas nor carries the
 * heap's tag is not this heap's: the free path reports it and aborts.
 */
#include "internal.h"

#define HDR(p) ((rci_large *)((char *)(p) - RCI_LARGE_HDR))

static void link_block(rci_memstate *m, rci_large *b) {
    b->prev = &m->large_head;
    b->next = m->large_head.next;
    b->next->prev = b;
    m->large_head.next = b;
}

static void unlink_block(rci_large *b) {
    b->prev->next = b->next;
    b->next->prev = b->prev;
}

void *rci_large_alloc(rc_heap *h, size_t n) {
    rci_large *b = rci_os_malloc(RCI_LARGE_HDR + n);
    if (!b)
        return NULL;
    b->size = n;
    b->tag = (uintptr_t)h ^ RCI_LARGE_MAGIC;
    link_block(&h->mem, b);
    h->mem.large_blocks++;
    h->mem.large_bytes += n;
    return b + 1;
}

rci_large *rci_large_header(rc_heap *h, const void *p, const rc_object *obj) {
    rci_large *b = HDR(p);
    if (RC_UNLIKELY(((uintptr_t)p & (RC_MEM_ALIGNMENT - 1)) != 0 ||
                    b->tag != ((uintptr_t)h ^ RCI_LARGE_MAGIC))) {
        if (obj)
            rci_object_fatal("freed on a heap that does not own it", obj);
        rci_fatal("block %p was not allocated by heap %p (another heap's block, "
                  "a pointer into the middle of a block, or not an rcgc pointer)",
                  p, (void *)h);
    }
    return b;
}

void rci_large_free(rc_heap *h, void *p, const rc_object *obj) {
    rci_large *b = rci_large_header(h, p, obj);
    unlink_block(b);
    b->tag = 0;   /* a second free of the same pointer is caught above */
    h->mem.large_blocks--;
    h->mem.large_bytes -= b->size;
    rci_os_free(b, RCI_LARGE_HDR + b->size);
}

void *rci_large_realloc(rc_heap *h, void *p, size_t n) {
    rci_large *b = rci_large_header(h, p, NULL);
    size_t old = b->size;
    unlink_block(b);
    rci_large *nb = rci_os_realloc(b, RCI_LARGE_HDR + old, RCI_LARGE_HDR + n);
    if (!nb) {
        link_block(&h->mem, b);
        return NULL;
    }
    nb->size = n;
    link_block(&h->mem, nb);
    h->mem.large_bytes += n - old;
    return nb + 1;
}

void rci_large_free_all(rc_heap *h) {
    rci_large *head = &h->mem.large_head, *b = head->next;
    while (b != head) {
        rci_large *next = b->next;
        rci_os_free(b, RCI_LARGE_HDR + b->size);
        b = next;
    }
    head->next = head->prev = head;
    h->mem.large_blocks = h->mem.large_bytes = 0;
}
