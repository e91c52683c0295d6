/*
 * Shared pieces of the libFuzzer targets (tests/fuzz/fuzz_*.c): a reader that turns the fuzzer's
 * bytes into operands, and FZ_CHECK for invariants.
 *
 * A broken invariant must abort(): libFuzzer then saves the input as a crash artifact, and the
 * sanitizers' reports end the same way. Assertions from assert.h would vanish under -DNDEBUG.
 */
#ifndef TESTS_FUZZ_FUZZ_H
#define TESTS_FUZZ_FUZZ_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define FZ_CHECK(cond)                                                                             \
    do {                                                                                           \
        if (!(cond)) {                                                                             \
            fprintf(stderr, "%s:%d: invariant broken: %s\n", __FILE__, __LINE__, #cond);           \
            abort();                                                                               \
        }                                                                                          \
    } while (0)

/* An exact-size heap block, so that ASan reports the first byte past it. */
static inline uint8_t *fz_alloc(size_t size)
{
    uint8_t *p = malloc(size);
    FZ_CHECK(p);
    return p;
}

/* The fuzzer's input, consumed from the front. An exhausted input reads as zeros, so every
 * operation is well defined however the input ends; callers loop on fz_more. */
struct fz {
    const uint8_t *p;
    size_t n;
};

static inline bool fz_more(const struct fz *f)
{
    return f->n > 0;
}

static inline uint8_t fz_u8(struct fz *f)
{
    if (!f->n)
        return 0;
    f->n--;
    return *f->p++;
}

static inline uint16_t fz_u16(struct fz *f)
{
    uint16_t lo = fz_u8(f);
    return (uint16_t)(lo | (uint16_t)fz_u8(f) << 8);
}

static inline uint32_t fz_u32(struct fz *f)
{
    uint32_t lo = fz_u16(f);
    return lo | (uint32_t)fz_u16(f) << 16;
}

static inline uint64_t fz_u64(struct fz *f)
{
    uint64_t lo = fz_u32(f);
    return lo | (uint64_t)fz_u32(f) << 32;
}

/* Up to max bytes into out; returns how many the input still had. */
static inline size_t fz_bytes(struct fz *f, uint8_t *out, size_t max)
{
    size_t n = f->n < max ? f->n : max;
    memcpy(out, f->p, n);
    f->p += n;
    f->n -= n;
    return n;
}

#endif
