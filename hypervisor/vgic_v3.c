/* GICv3 distributor, redistributors and SGI generation (GICv3 architecture spec, chapter 12),
 * over the vGIC core. Affinity routing is always on, with one security state. */
#include "hypervisor/vgic_v3.h"
#include "hypervisor/lib.h"
#include "hypervisor/vgic_regs.h"

#define GICD_CTLR_GRP0 (1u << 0)
#define GICD_CTLR_GRP1 (1u << 1)
#define GICD_CTLR_ARE (1u << 4)
#define GICD_CTLR_DS (1u << 6)
#define PIDR2_GICV3 0x3b
#define IIDR_VALUE 0x0000043b /* JEP106 ARM, as a generic implementer */
#define GICD_IROUTER 0x6000
#define IROUTER_IRM (1ULL << 31)

/* A read-only register: reads give v, writes are ignored. */
static bool id_reg(uint32_t v, bool write, uint64_t *val)
{
    if (!write)
        *val = v;
    return true;
}

/* Our vMPIDRs are Aff0 = vCPU index, other levels 0. IRM (1-of-N) and targets that name no
 * vCPU go to vCPU 0, which always exists. */
static uint32_t irouter_target(const struct vgic *vg, uint64_t r)
{
    uint32_t aff0 = (uint32_t)(r & 0xff);
    if ((r & IROUTER_IRM) || aff0 >= vg->nvcpus || (r & 0xff00ffff00ULL))
        return 0;
    return aff0;
}

static bool irouter_access(struct vgic *vg, uint64_t off, uint32_t width, bool write, uint64_t *val)
{
    uint32_t intid = (uint32_t)((off - GICD_IROUTER) / 8);
    if (width == 8 ? !IS_ALIGNED(off, 8) : width != 4 || !IS_ALIGNED(off, 4))
        return false;
    if (intid < 32) {
        if (!write)
            *val = 0; /* SGIs and PPIs are not routed */
        return true;
    }
    uint64_t *r = &vg->irouter[intid - 32];
    bool high = width == 4 && (off & 4);
    if (!write) {
        *val = width == 8 ? *r : high ? *r >> 32 : *r & 0xffffffffULL;
        return true;
    }
    *r = width == 8 ? *val
         : high     ? ((*r & 0xffffffffULL) | (*val << 32))
                    : ((*r & ~0xffffffffULL) | (*val & 0xffffffffULL));
    vgic_route_spi(vg, intid, irouter_target(vg, *r));
    return true;
}

static bool dist_reg(struct vgic *vg, uint64_t off, uint32_t width, bool write, uint64_t *val)
{
    if (off >= GICD_IROUTER && off < GICD_IROUTER + 8ULL * VGIC_NR_IRQS)
        return irouter_access(vg, off, width, write, val);
    if (width != 4 || !IS_ALIGNED(off, 4))
        return false;
    switch (off) {
    case 0x0000: /* CTLR: the two group enables; ARE and DS read as one */
        if (write) {
            vg->gicd_ctlr = (uint32_t)*val & 3;
            vgic_set_groups(vg, (*val & GICD_CTLR_GRP0) != 0, (*val & GICD_CTLR_GRP1) != 0);
        } else {
            *val = vg->gicd_ctlr | GICD_CTLR_ARE | GICD_CTLR_DS;
        }
        return true;
    case 0x0004: /* TYPER: lines, 10 ID bits, no LPIs, no security extension */
        if (!write)
            *val = (VGIC_NR_IRQS / 32 - 1) | (9u << 19) | ((vg->nvcpus - 1) << 5);
        return true;
    case 0x0008:
        return id_reg(IIDR_VALUE, write, val);
    case 0xffe8:
        return id_reg(PIDR2_GICV3, write, val);
    default:
        /* reserved, ITARGETSR, SGIR, NSACR...: RAZ/WI under affinity routing */
        return id_reg(0, write, val);
    }
}

bool vgic_v3_dist_access(struct vgic *vg, uint32_t self, uint64_t off, uint32_t width, bool write,
                         uint64_t *val)
{
    spin_lock(&vg->lock);
    /* With affinity routing, interrupts 0-31 live in the redistributors, not here. */
    enum vgic_bank_result r =
        vgic_bank_access(vg, self, self, off, width, write, val, 32, VGIC_NR_IRQS);
    bool ok = r == VGIC_NOT_BANKED ? dist_reg(vg, off, width, write, val) : r == VGIC_BANK_OK;
    spin_unlock(&vg->lock);
    return ok;
}

static bool rd_typer(const struct vgic *vg, uint32_t vidx, uint64_t off, uint32_t width, bool write,
                     uint64_t *val)
{
    uint64_t typer = ((uint64_t)vidx << 32) | ((uint64_t)vidx << 8) |
                     (vidx == vg->nvcpus - 1 ? (1u << 4) : 0); /* Last */
    if (write)
        return true;
    if (width == 8 && off == 0x0008)
        *val = typer;
    else if (width == 4)
        *val = off == 0x0008 ? typer & 0xffffffffULL : typer >> 32;
    else
        return false;
    return true;
}

static bool rd_frame(struct vgic *vg, uint32_t vidx, uint64_t off, uint32_t width, bool write,
                     uint64_t *val)
{
    struct vgic_vcpu *c = &vg->cpu[vidx];
    if (off == 0x0008 || off == 0x000c) /* TYPER, 64-bit or two 32-bit halves */
        return rd_typer(vg, vidx, off, width, write, val);
    if (width != 4 || !IS_ALIGNED(off, 4))
        return false;
    switch (off) {
    case 0x0014: /* WAKER: ChildrenAsleep follows ProcessorSleep at once */
        if (write)
            c->asleep = (*val >> 1) & 1;
        else
            *val = c->asleep ? 6 : 0;
        return true;
    case 0x0004:
        return id_reg(IIDR_VALUE, write, val);
    case 0xffe8:
        return id_reg(PIDR2_GICV3, write, val);
    default:
        return id_reg(0, write, val); /* CTLR (no LPIs), STATUSR, PROPBASER...: RAZ/WI */
    }
}

bool vgic_v3_redist_access(struct vgic *vg, uint32_t self, uint64_t off, uint32_t width, bool write,
                           uint64_t *val)
{
    uint32_t vidx = (uint32_t)(off / VGIC_REDIST_FRAME);
    uint64_t in = off % VGIC_REDIST_FRAME;
    if (vidx >= vg->nvcpus)
        return false;
    spin_lock(&vg->lock);
    bool ok;
    if (in >= 0x10000) { /* SGI_base: the banks, for this vCPU's SGIs and PPIs only */
        enum vgic_bank_result r =
            vgic_bank_access(vg, self, vidx, in - 0x10000, width, write, val, 0, 32);
        ok = r == VGIC_BANK_OK;
        if (r == VGIC_NOT_BANKED && width == 4 && IS_ALIGNED(in, 4)) {
            if (!write)
                *val = 0; /* NSACR and reserved SGI-frame registers */
            ok = true;
        }
    } else {
        ok = rd_frame(vg, vidx, in, width, write, val);
    }
    spin_unlock(&vg->lock);
    return ok;
}

void vgic_v3_send_sgi(struct vgic *vg, uint32_t self, uint64_t sgir)
{
    uint32_t sgi = (uint32_t)(sgir >> 24) & 0xf;
    bool all_but_self = (sgir >> 40) & 1;
    uint32_t targets = (uint32_t)(sgir & 0xffff);
    uint32_t rs = (uint32_t)(sgir >> 44) & 0xf; /* the list names Aff0 = RS * 16 + bit */
    /* Our vMPIDRs have Aff1..3 = 0: a list for another cluster reaches nobody. */
    if (!all_but_self && (sgir & 0x00ff00ff00ff0000ULL))
        return;
    for (uint32_t t = 0; t < vg->nvcpus; t++) {
        bool hit = all_but_self ? t != self : t / 16 == rs && ((targets >> (t % 16)) & 1);
        if (hit)
            vgic_inject(vg, t, sgi);
    }
}
