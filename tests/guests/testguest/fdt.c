#include "fdt.h"

#include "util.h"

#define FDT_MAGIC 0xd00dfeedu
#define FDT_BEGIN_NODE 1u
#define FDT_END_NODE 2u
#define FDT_PROP 3u
#define FDT_NOP 4u
#define FDT_END 9u

#define FDT_HDR_SIZE 40u
#define FDT_MAX_SIZE (8u << 20) /* sanity cap on totalsize */
#define FDT_MAX_DEPTH 16
#define FDT_MAX_CELLS 2u /* addresses/sizes wider than 64 bits are not supported */

uint32_t fdt_read_be32(const uint8_t *p)
{
    return ((uint32_t)p[0] << 24) | ((uint32_t)p[1] << 16) | ((uint32_t)p[2] << 8) | p[3];
}

static uint32_t align4(uint32_t v)
{
    return (v + 3u) & ~3u;
}

int fdt_init(struct fdt *f, uintptr_t blob)
{
    const uint8_t *b = (const uint8_t *)blob;
    uint32_t total, off_struct, off_strings, size_strings, size_struct, version;

    if (!blob || (blob & 3) || fdt_read_be32(b) != FDT_MAGIC)
        return -1;
    total = fdt_read_be32(b + 4);
    off_struct = fdt_read_be32(b + 8);
    off_strings = fdt_read_be32(b + 12);
    version = fdt_read_be32(b + 20);
    size_strings = fdt_read_be32(b + 32);
    /* size_dt_struct only exists from version 17 on. */
    size_struct = version >= 17 ? fdt_read_be32(b + 36) : total - off_struct;
    if (total < FDT_HDR_SIZE || total > FDT_MAX_SIZE || version < 16)
        return -1;
    if ((off_struct & 3) || off_struct > total || size_struct > total - off_struct)
        return -1;
    if (off_strings > total || size_strings > total - off_strings)
        return -1;
    f->structs = b + off_struct;
    f->structs_size = size_struct & ~3u;
    f->strings = b + off_strings;
    f->strings_size = size_strings;
    return 0;
}

/* Token at off, or FDT_END if off is outside the structure block. */
static uint32_t token_at(const struct fdt *f, uint32_t off)
{
    if (off > f->structs_size || f->structs_size - off < 4)
        return FDT_END;
    return fdt_read_be32(f->structs + off);
}

/* Length of the NUL-terminated string at s within max bytes, or -1 if unterminated. */
static int32_t bounded_strlen(const uint8_t *s, uint32_t max)
{
    for (uint32_t i = 0; i < max; i++) {
        if (!s[i])
            return (int32_t)i;
    }
    return -1;
}

/* Offset just past the token at off (which must be BEGIN_NODE/PROP/NOP/END_NODE), 0 on error. */
static uint32_t token_skip(const struct fdt *f, uint32_t off)
{
    uint32_t tok = token_at(f, off);
    uint32_t avail = f->structs_size - off;

    if (tok == FDT_NOP || tok == FDT_END_NODE)
        return off + 4;
    if (tok == FDT_BEGIN_NODE) {
        int32_t n = bounded_strlen(f->structs + off + 4, avail - 4);
        return n < 0 ? 0 : off + 4 + align4((uint32_t)n + 1);
    }
    if (tok == FDT_PROP) {
        uint32_t len;

        if (avail < 12)
            return 0;
        len = fdt_read_be32(f->structs + off + 4);
        if (len > avail - 12)
            return 0;
        return off + 12 + align4(len);
    }
    return 0;
}

/* Name of the property at off, if its string offset is valid. */
static const char *prop_name(const struct fdt *f, uint32_t off)
{
    uint32_t nameoff = fdt_read_be32(f->structs + off + 8);

    if (nameoff >= f->strings_size)
        return 0;
    if (bounded_strlen(f->strings + nameoff, f->strings_size - nameoff) < 0)
        return 0;
    return (const char *)(f->strings + nameoff);
}

/* Scans the properties starting at off; returns the value of name or 0. */
static const uint8_t *find_prop(const struct fdt *f, uint32_t off, const char *name, uint32_t *len)
{
    for (;;) {
        uint32_t tok = token_at(f, off);
        uint32_t next;

        if (tok != FDT_PROP && tok != FDT_NOP)
            return 0; /* end of this node's properties */
        next = token_skip(f, off);
        if (!next)
            return 0;
        if (tok == FDT_PROP) {
            const char *pn = prop_name(f, off);

            if (pn && str_eq(pn, name)) {
                *len = fdt_read_be32(f->structs + off + 4);
                return f->structs + off + 12;
            }
        }
        off = next;
    }
}

const uint8_t *fdt_prop(const struct fdt *f, const struct fdt_node *n, const char *name,
                        uint32_t *len)
{
    return find_prop(f, n->props, name, len);
}

/* Reads a one-cell property such as #address-cells, keeping dflt if absent or malformed. */
static uint32_t cells_prop(const struct fdt *f, uint32_t props, const char *name, uint32_t dflt)
{
    uint32_t len;
    const uint8_t *p = find_prop(f, props, name, &len);

    return (p && len == 4) ? fdt_read_be32(p) : dflt;
}

int fdt_walk(const struct fdt *f, fdt_visit_fn fn, void *ctx)
{
    /* cells[d] = #address-cells/#size-cells declared by the node at depth d */
    uint32_t acells[FDT_MAX_DEPTH], scells[FDT_MAX_DEPTH];
    struct fdt_node node;
    uint32_t off = 0;
    int depth = -1;

    for (;;) {
        uint32_t tok = token_at(f, off);
        uint32_t next;

        if (tok == FDT_END)
            return depth == -1 ? 0 : -1;
        next = token_skip(f, off);
        if (!next)
            return -1;
        if (tok == FDT_END_NODE && --depth < -1)
            return -1;
        if (tok == FDT_BEGIN_NODE) {
            if (++depth >= FDT_MAX_DEPTH)
                return -1;
            node.props = next;
            node.depth = depth;
            node.name = (const char *)(f->structs + off + 4);
            /* Defaults from the devicetree spec when a parent omits the properties. */
            node.addr_cells = depth ? acells[depth - 1] : 2;
            node.size_cells = depth ? scells[depth - 1] : 1;
            acells[depth] = cells_prop(f, next, "#address-cells", 2);
            scells[depth] = cells_prop(f, next, "#size-cells", 1);
            if (fn(f, &node, ctx))
                return 0;
        }
        off = next;
    }
}

int fdt_is_compatible(const struct fdt *f, const struct fdt_node *n, const char *compat)
{
    uint32_t len, pos = 0;
    const uint8_t *p = fdt_prop(f, n, "compatible", &len);

    if (!p)
        return 0;
    while (pos < len) {
        int32_t sl = bounded_strlen(p + pos, len - pos);

        if (sl < 0)
            return 0;
        if (str_eq((const char *)(p + pos), compat))
            return 1;
        pos += (uint32_t)sl + 1;
    }
    return 0;
}

static uint64_t read_cells(const uint8_t *p, uint32_t cells)
{
    uint64_t v = 0;

    for (uint32_t i = 0; i < cells; i++)
        v = (v << 32) | fdt_read_be32(p + 4 * i);
    return v;
}

int fdt_reg(const struct fdt *f, const struct fdt_node *n, uint32_t idx, uint64_t *addr,
            uint64_t *size)
{
    uint32_t len, entry;
    const uint8_t *p = fdt_prop(f, n, "reg", &len);

    if (!p || n->addr_cells > FDT_MAX_CELLS || n->size_cells > FDT_MAX_CELLS || n->addr_cells == 0)
        return -1;
    entry = 4 * (n->addr_cells + n->size_cells);
    if (idx >= len / entry)
        return -1;
    p += idx * entry;
    *addr = read_cells(p, n->addr_cells);
    *size = read_cells(p + 4 * n->addr_cells, n->size_cells);
    return 0;
}
