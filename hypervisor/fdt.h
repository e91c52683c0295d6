/*
 * Just enough of the flattened device tree format (devicetree specification v0.4, chapter 5) to
 * read and overwrite, in place, properties of /chosen: the boot device tree's random seed, and
 * the seed placeholders of a zone's device tree. Every offset is checked against the blob's
 * header and the caller's size, so a malformed tree yields "not found", never a stray access.
 */
#ifndef HV_FDT_H
#define HV_FDT_H

#include "hypervisor/lib.h"

struct fdt_prop {
    uint8_t *value; /* inside the blob */
    uint32_t len;
    uint8_t *token; /* the property's FDT_PROP token, for fdt_nop_prop */
};

/* Header checks: magic, version, blocks inside `size` (the room the blob may occupy).
 * Returns the blob's total size, or 0 if it is not a usable tree. */
uint32_t fdt_check(const uint8_t *fdt, uint64_t size);
/* Property `name` of /chosen; false when the tree or the property is absent or malformed. */
bool fdt_chosen_prop(uint8_t *fdt, uint64_t size, const char *name, struct fdt_prop *out);
/* Overwrite the property (token, header, value) with FDT_NOP tokens: parsers skip it. */
void fdt_nop_prop(const struct fdt_prop *p);

#endif
