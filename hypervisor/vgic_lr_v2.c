/* List-register back-end for the GICv2 virtual interface control (GICH_LR<n>, GICv2 spec 5.3). */
#include "drivers/gicv2.h"
#include "hypervisor/vgic_lr.h"

static void v2_read(uint32_t n, struct vgic_lr *lr)
{
    uint32_t r = gicv2_read_lr(n);
    lr->intid = r & GICH_LR_VID_MASK;
    lr->prio = (uint8_t)(((r >> GICH_LR_PRIO_SHIFT) & 0x1f) << 3);
    lr->state = (uint8_t)((r & GICH_LR_STATE_MASK) >> GICH_LR_STATE_SHIFT);
    lr->group1 = (r & GICH_LR_GROUP1) != 0;
    lr->eoi = (r & GICH_LR_EOI) != 0;
}

static void v2_write(uint32_t n, const struct vgic_lr *lr)
{
    uint32_t r = 0;
    /* Five priority bits, the top ones: the core's comparisons stay right, since it compares
     * the 8-bit values the guest wrote and the list register only orders what it holds. An
     * SGI's source CPU field (bits 12:10) stays 0: every SGI reads as sent by vCPU 0. */
    if (lr->state)
        r = ((uint32_t)lr->state << GICH_LR_STATE_SHIFT) | (lr->group1 ? GICH_LR_GROUP1 : 0) |
            (lr->eoi ? GICH_LR_EOI : 0) | ((uint32_t)(lr->prio >> 3) << GICH_LR_PRIO_SHIFT) |
            (lr->intid & GICH_LR_VID_MASK);
    gicv2_write_lr(n, r);
}

const struct vgic_lr_ops vgic_lr_v2 = {
    .count = gicv2_num_lrs,
    .read = v2_read,
    .write = v2_write,
    .empty = gicv2_empty_lrs,
    .eoied = gicv2_eoi_lrs,
    .underflow = gicv2_set_underflow_irq,
};
