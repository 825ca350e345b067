/*
 * hash.c - hashing helpers shared by the built-in types.
 *
 * Numbers hash the way Python's do (modulo the Mersenne prime 2^61 - 1), so
 * that equal ints and floats hash alike and can share dict keys.  Byte
 * strings use a 64-bit multiply-mix over 8-byte words with a final
 * avalanche; -1 is never returned because -1 means "error".
 */
#include "types.h"
#include <math.h>

#define MODULUS_BITS 61
#define MODULUS (((uint64_t)1 << MODULUS_BITS) - 1)

static int64_t not_minus_one(int64_t h) { return h == -1 ? -2 : h; }

int64_t rci_hash_i64(int64_t v) {
    uint64_t a = v < 0 ? (uint64_t)0 - (uint64_t)v : (uint64_t)v;
    uint64_t r = a % MODULUS;
    int64_t h = v < 0 ? -(int64_t)r : (int64_t)r;
    return not_minus_one(h);
}

/* Python's hash for floats: the value reduced modulo 2^61 - 1, computed from
 * the mantissa 28 bits at a time; integral values equal the int hash. */
int64_t rci_hash_double(double v) {
    if (isinf(v))
        return v > 0 ? 314159 : -314159;
    if (isnan(v))
        return 0;   /* CPython 3.10+ hashes NaN by identity; we use 0 */
    int e;
    double m = frexp(v, &e);
    int sign = 1;
    if (m < 0) {
        sign = -1;
        m = -m;
    }
    uint64_t x = 0;
    while (m) {
        x = ((x << 28) & MODULUS) | x >> (MODULUS_BITS - 28);
        m *= 268435456.0;   /* 2**28 */
        e -= 28;
        uint64_t y = (uint64_t)m;
        m -= (double)y;
        x += y;
        if (x >= MODULUS)
            x -= MODULUS;
    }
    e = e >= 0 ? e % MODULUS_BITS : MODULUS_BITS - 1 - ((-1 - e) % MODULUS_BITS);
    x = ((x << e) & MODULUS) | x >> (MODULUS_BITS - e);
    return not_minus_one((int64_t)x * sign);
}

static uint64_t mix(uint64_t h) {
    h ^= h >> 33;
    h *= 0xff51afd7ed558ccdULL;
    h ^= h >> 33;
    h *= 0xc4ceb9fe1a85ec53ULL;
    h ^= h >> 33;
    return h;
}

int64_t rci_hash_bytes(const void *data, size_t n) {
    const unsigned char *p = data;
    uint64_t h = 0x9E3779B97F4A7C15ULL ^ (n * 0xC2B2AE3D27D4EB4FULL);
    while (n >= 8) {
        uint64_t w;
        memcpy(&w, p, 8);
        h = (h ^ mix(w)) * 0x9E3779B97F4A7C15ULL;
        h = (h << 29) | (h >> 35);
        p += 8;
        n -= 8;
    }
    uint64_t tail = 0;
    for (size_t i = 0; i < n; i++)
        tail |= (uint64_t)p[i] << (8 * i);
    h = mix(h ^ tail ^ (uint64_t)n);
    return not_minus_one((int64_t)h);
}

int64_t rci_hash_pointer(const void *p) {
    /* rotate away the always-zero alignment bits, as CPython does */
    uintptr_t y = (uintptr_t)p;
    y = (y >> 4) | (y << (8 * sizeof y - 4));
    return not_minus_one((int64_t)y);
}
