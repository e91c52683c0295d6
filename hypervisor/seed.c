/* Random seeds for zones: ChaCha20 keyed from the boot device tree's seed. See seed.h. */
#include "hypervisor/seed.h"
#include "hypervisor/fdt.h"

static struct {
    bool have_key;
    uint32_t key[8];
} seed;

static uint32_t rotl(uint32_t v, int n)
{
    return (v << n) | (v >> (32 - n));
}

#define QR(a, b, c, d)                                                                             \
    do {                                                                                           \
        a += b, d = rotl(d ^ a, 16);                                                               \
        c += d, b = rotl(b ^ c, 12);                                                               \
        a += b, d = rotl(d ^ a, 8);                                                                \
        c += d, b = rotl(b ^ c, 7);                                                                \
    } while (0)

/* One ChaCha20 block (RFC 8439 section 2.3) of the key, 32-bit block counter and 96-bit nonce. */
static void chacha20_block(const uint32_t key[8], uint32_t counter, const uint32_t nonce[3],
                           uint8_t out[64])
{
    uint32_t in[16] = {0x61707865, 0x3320646e, 0x79622d32, 0x6b206574, key[0], key[1],
                       key[2],     key[3],     key[4],     key[5],     key[6], key[7],
                       counter,    nonce[0],   nonce[1],   nonce[2]};
    uint32_t x[16];
    memcpy(x, in, sizeof(x));
    for (int i = 0; i < 10; i++) {
        QR(x[0], x[4], x[8], x[12]);
        QR(x[1], x[5], x[9], x[13]);
        QR(x[2], x[6], x[10], x[14]);
        QR(x[3], x[7], x[11], x[15]);
        QR(x[0], x[5], x[10], x[15]);
        QR(x[1], x[6], x[11], x[12]);
        QR(x[2], x[7], x[8], x[13]);
        QR(x[3], x[4], x[9], x[14]);
    }
    for (int i = 0; i < 16; i++) {
        uint32_t v = x[i] + in[i];
        out[4 * i] = (uint8_t)v;
        out[4 * i + 1] = (uint8_t)(v >> 8);
        out[4 * i + 2] = (uint8_t)(v >> 16);
        out[4 * i + 3] = (uint8_t)(v >> 24);
    }
}

/* Fold seed bytes into the key (they are random already: xor keeps all of their entropy, up to
 * the key's 256 bits). */
static void absorb(const uint8_t *p, uint32_t len)
{
    for (uint32_t i = 0; i < len; i++)
        seed.key[i / 4 % 8] ^= (uint32_t)p[i] << (8 * (i % 4));
}

bool seed_init(uint64_t fdt_pa, uint64_t ram_base, uint64_t ram_size)
{
    struct fdt_prop p;
    uint8_t *fdt = (uint8_t *)fdt_pa;
    /* Only a tree inside RAM, which the EL2 identity map covers. */
    if (fdt_pa < ram_base || fdt_pa >= ram_base + ram_size)
        return false;
    uint64_t room = ram_base + ram_size - fdt_pa;
    uint32_t got = 0;
    if (fdt_chosen_prop(fdt, room, "rng-seed", &p)) {
        absorb(p.value, p.len);
        got += p.len;
    }
    if (fdt_chosen_prop(fdt, room, "kaslr-seed", &p)) {
        absorb(p.value, p.len);
        got += p.len;
    }
    /* Fewer than 16 random bytes is not worth calling a seed. */
    seed.have_key = got >= 16;
    return seed.have_key;
}

/* Fill one placeholder from the zone's stream, starting at block *ctr. */
static void fill(struct fdt_prop *p, const uint32_t nonce[3], uint32_t *ctr)
{
    for (uint32_t done = 0; done < p->len; done += 64) {
        uint8_t block[64];
        chacha20_block(seed.key, (*ctr)++, nonce, block);
        memcpy(p->value + done, block, MIN(64u, p->len - done));
        memset(block, 0, sizeof(block));
    }
}

bool seed_zone_dtb(uint8_t *dtb, uint64_t size, uint32_t zone_id, uint32_t boot)
{
    static const char *const names[] = {"rng-seed", "kaslr-seed"};
    const uint32_t nonce[3] = {0x7a6f6e65 /* "zone" */, zone_id, boot};
    uint32_t ctr = 0;
    bool wrote = false;
    for (uint32_t i = 0; i < ARRAY_SIZE(names); i++) {
        struct fdt_prop p;
        if (!fdt_chosen_prop(dtb, size, names[i], &p))
            continue;
        if (seed.have_key) {
            fill(&p, nonce, &ctr);
            wrote = true;
        } else {
            fdt_nop_prop(&p);
        }
    }
    return wrote;
}
