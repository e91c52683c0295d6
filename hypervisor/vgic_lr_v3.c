/* List-register back-end for the GICv3 CPU interface (ICH_LR<n>_EL2, GICv3 spec 12.4). */
#include "drivers/gicv3.h"
#include "hypervisor/vgic_lr.h"

static void v3_read(uint32_t n, struct vgic_lr *lr)
{
    uint64_t r = gicv3_read_lr(n);
    lr->intid = (uint32_t)(r & ICH_LR_VINTID_MASK);
    lr->prio = (uint8_t)(r >> ICH_LR_PRIO_SHIFT);
    lr->state = (uint8_t)((r & ICH_LR_STATE_MASK) >> ICH_LR_STATE_SHIFT);
    lr->group1 = (r & ICH_LR_GROUP1) != 0;
    lr->eoi = (r & ICH_LR_EOI) != 0;
}

static void v3_write(uint32_t n, const struct vgic_lr *lr)
{
    uint64_t r = 0;
    if (lr->state)
        r = ((uint64_t)lr->state << ICH_LR_STATE_SHIFT) | (lr->group1 ? ICH_LR_GROUP1 : 0) |
            (lr->eoi ? ICH_LR_EOI : 0) | ((uint64_t)lr->prio << ICH_LR_PRIO_SHIFT) | lr->intid;
    gicv3_write_lr(n, r);
}

const struct vgic_lr_ops vgic_lr_v3 = {
    .count = gicv3_num_lrs,
    .read = v3_read,
    .write = v3_write,
    .empty = gicv3_empty_lrs,
    .eoied = gicv3_eoi_lrs,
    .underflow = gicv3_set_underflow_irq,
};
