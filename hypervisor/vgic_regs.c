/* Distributor register banks (GICv3 spec 12.9, GICv2 spec 4.3): bits-per-interrupt arrays. */
#include "hypervisor/vgic_regs.h"
#include "hypervisor/lib.h"

struct bank {
    uint32_t base, size, bits;
    enum vgic_field f;
};

static const struct bank banks[] = {
    {0x0080, 0x80, 1, VF_GROUP},      {0x0100, 0x80, 1, VF_ENABLE_SET},
    {0x0180, 0x80, 1, VF_ENABLE_CLR}, {0x0200, 0x80, 1, VF_PEND_SET},
    {0x0280, 0x80, 1, VF_PEND_CLR},   {0x0300, 0x80, 1, VF_ACTIVE_SET},
    {0x0380, 0x80, 1, VF_ACTIVE_CLR}, {0x0400, 0x400, 8, VF_PRIO},
    {0x0c00, 0x100, 2, VF_CFG},       {0x0d00, 0x80, 1, VF_RAZ}, /* IGRPMODR: one security state */
};

enum vgic_bank_result vgic_bank_access(struct vgic *vg, uint32_t self, uint32_t vidx, uint64_t off,
                                       uint32_t width, bool write, uint64_t *val,
                                       uint32_t first_intid, uint32_t end_intid)
{
    for (uint32_t b = 0; b < ARRAY_SIZE(banks); b++) {
        const struct bank *bk = &banks[b];
        if (off < bk->base || off >= bk->base + bk->size)
            continue;
        /* Word accesses everywhere; byte accesses to the priority bytes too. */
        if (!(width == 4 || (bk->bits == 8 && width == 1)) || !IS_ALIGNED(off, width))
            return VGIC_BANK_BAD;
        uint32_t first = (uint32_t)((off - bk->base) * 8 / bk->bits);
        uint32_t n = width * 8 / bk->bits;
        uint32_t mask = (uint32_t)((1ULL << bk->bits) - 1);
        uint64_t r = 0;
        for (uint32_t i = 0; i < n; i++) {
            uint32_t intid = first + i;
            if (intid < first_intid || intid >= end_intid)
                continue;
            if (write)
                vgic_field_write(vg, self, vidx, intid, bk->f,
                                 (uint32_t)(*val >> (i * bk->bits)) & mask);
            else
                r |= (uint64_t)vgic_field_read(vg, self, vidx, intid, bk->f) << (i * bk->bits);
        }
        if (!write)
            *val = r;
        return VGIC_BANK_OK;
    }
    return VGIC_NOT_BANKED;
}
