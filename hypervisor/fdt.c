/* Flattened device tree: /chosen properties, found and patched in place. See fdt.h. */
#include "hypervisor/fdt.h"

#define FDT_MAGIC 0xd00dfeedu
#define FDT_BEGIN_NODE 1u
#define FDT_END_NODE 2u
#define FDT_PROP 3u
#define FDT_NOP 4u
#define FDT_END 9u
#define FDT_HEADER_SIZE 40u

static uint32_t be32(const uint8_t *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static void put_be32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)(v >> 24);
    p[1] = (uint8_t)(v >> 16);
    p[2] = (uint8_t)(v >> 8);
    p[3] = (uint8_t)v;
}

uint32_t fdt_check(const uint8_t *fdt, uint64_t size)
{
    if (!fdt || size < FDT_HEADER_SIZE || ((uintptr_t)fdt & 3) || be32(fdt) != FDT_MAGIC)
        return 0;
    uint32_t total = be32(fdt + 4), off_struct = be32(fdt + 8), off_strings = be32(fdt + 12);
    uint32_t version = be32(fdt + 20), size_strings = be32(fdt + 32), size_struct = be32(fdt + 36);
    if (version < 17 || total > size || total < FDT_HEADER_SIZE || (off_struct & 3) ||
        off_struct > total || size_struct > total - off_struct || off_strings > total ||
        size_strings > total - off_strings)
        return 0;
    return total;
}

/* The string at `off` of the strings block equals `name` (and ends inside the block). */
static bool string_is(const uint8_t *fdt, uint32_t off, const char *name)
{
    uint32_t base = be32(fdt + 12), size = be32(fdt + 32);
    uint32_t n = (uint32_t)strlen(name);
    if (off > size || n + 1 > size - off)
        return false;
    return memcmp(fdt + base + off, name, n + 1) == 0;
}

bool fdt_chosen_prop(uint8_t *fdt, uint64_t size, const char *name, struct fdt_prop *out)
{
    if (!fdt_check(fdt, size))
        return false;
    uint8_t *p = fdt + be32(fdt + 8);
    uint8_t *end = p + be32(fdt + 36);
    uint32_t depth = 0;
    bool in_chosen = false;
    while (end - p >= 4) {
        uint32_t tok = be32(p);
        p += 4;
        switch (tok) {
        case FDT_BEGIN_NODE: {
            /* The name, NUL-terminated, padded to 4 bytes. */
            const uint8_t *s = p;
            while (p < end && *p)
                p++;
            if (p == end)
                return false;
            in_chosen = depth == 1 && p - s == 6 && memcmp(s, "chosen", 6) == 0;
            depth++;
            p = (uint8_t *)ALIGN_UP((uintptr_t)(p + 1), 4);
            break;
        }
        case FDT_END_NODE:
            if (depth == 0)
                return false;
            depth--;
            in_chosen = false; /* /chosen has no interesting subnodes: its end ends the search */
            break;
        case FDT_PROP: {
            if (end - p < 8)
                return false;
            uint32_t len = be32(p), nameoff = be32(p + 4);
            uint8_t *value = p + 8;
            if (len > (uint64_t)(end - value))
                return false;
            if (in_chosen && depth == 2 && string_is(fdt, nameoff, name)) {
                out->value = value;
                out->len = len;
                out->token = p - 4;
                return true;
            }
            p = (uint8_t *)ALIGN_UP((uintptr_t)(value + len), 4);
            break;
        }
        case FDT_NOP:
            break;
        default: /* FDT_END or garbage */
            return false;
        }
    }
    return false;
}

void fdt_nop_prop(const struct fdt_prop *p)
{
    uint8_t *end = (uint8_t *)ALIGN_UP((uintptr_t)(p->value + p->len), 4);
    for (uint8_t *t = p->token; t < end; t += 4)
        put_be32(t, FDT_NOP);
}
