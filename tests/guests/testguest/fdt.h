/*
 * Small flattened-device-tree reader. Everything is bounds-checked against the blob's
 * header, and all multi-byte values are read bytewise: the blob is parsed with the MMU
 * off (Device memory, where unaligned accesses fault) and may come from anyone.
 */
#ifndef TESTGUEST_FDT_H
#define TESTGUEST_FDT_H

#include <stdint.h>

struct fdt {
    const uint8_t *structs; /* structure block */
    uint32_t structs_size;
    const uint8_t *strings; /* strings block */
    uint32_t strings_size;
};

struct fdt_node {
    uint32_t props;      /* offset (in the structure block) of the node's first property */
    int depth;           /* 0 for the root */
    const char *name;    /* unit name, NUL-terminated inside the blob */
    uint32_t addr_cells; /* parent's #address-cells: how to read this node's reg */
    uint32_t size_cells; /* parent's #size-cells */
};

/* Visitor: return nonzero to stop the walk. */
typedef int (*fdt_visit_fn)(const struct fdt *f, const struct fdt_node *n, void *ctx);

int fdt_init(struct fdt *f, uintptr_t blob);
/* Depth-first walk over all nodes; returns -1 if the blob is malformed. */
int fdt_walk(const struct fdt *f, fdt_visit_fn fn, void *ctx);
const uint8_t *fdt_prop(const struct fdt *f, const struct fdt_node *n, const char *name,
                        uint32_t *len);
/* 1 if the node's compatible string list contains compat exactly. */
int fdt_is_compatible(const struct fdt *f, const struct fdt_node *n, const char *compat);
/* Entry idx of the node's reg property, decoded with the parent's cell counts. */
int fdt_reg(const struct fdt *f, const struct fdt_node *n, uint32_t idx, uint64_t *addr,
            uint64_t *size);
uint32_t fdt_read_be32(const uint8_t *p);

#endif
