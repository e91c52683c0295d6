/* GICv2 distributor (GICv2 architecture spec, 4.3) over the vGIC core: the shared banks, plus
 * ITARGETSR (limited to the zone's own vCPUs) and GICD_SGIR. */
#include "hypervisor/vgic_v2.h"
#include "hypervisor/lib.h"
#include "hypervisor/vgic_regs.h"

#define GICD_CTLR 0x000
#define GICD_TYPER 0x004
#define GICD_IIDR 0x008
#define GICD_ITARGETSR 0x800
#define GICD_ITARGETSR_END 0xc00
#define GICD_SGIR 0xf00
#define GICD_PIDR2 0xfe8
#define IIDR_VALUE 0x0000043b /* JEP106 ARM, as a generic implementer */
#define PIDR2_GICV2 0x20      /* ArchRev 2 */

#define SGIR_FILTER_LIST 0
#define SGIR_FILTER_OTHERS 1
#define SGIR_FILTER_SELF 2

static uint32_t all_vcpus(const struct vgic *vg)
{
    return (1u << vg->nvcpus) - 1;
}

/* One ITARGETSR byte. SGIs and PPIs read as the accessing vCPU's own bit; an SPI keeps the
 * mask the guest wrote, cut to the zone's vCPUs, and goes to the lowest of them (an empty mask
 * leaves the routing as it was). */
static uint8_t targets_byte(struct vgic *vg, uint32_t self, uint32_t intid, bool write, uint8_t v)
{
    if (intid < 32)
        return (uint8_t)(1u << self);
    if (intid >= VGIC_NR_IRQS)
        return 0;
    uint8_t *t = &vg->itargetsr[intid - 32];
    if (write) {
        *t = (uint8_t)(v & all_vcpus(vg));
        if (*t)
            vgic_route_spi(vg, intid, (uint32_t)__builtin_ctz(*t));
    }
    return *t;
}

static bool targets_access(struct vgic *vg, uint32_t self, uint64_t off, uint32_t width, bool write,
                           uint64_t *val)
{
    if (!(width == 1 || width == 4) || !IS_ALIGNED(off, width))
        return false;
    uint32_t first = (uint32_t)(off - GICD_ITARGETSR);
    uint64_t r = 0;
    for (uint32_t i = 0; i < width; i++) {
        uint8_t b = targets_byte(vg, self, first + i, write, (uint8_t)(*val >> (8 * i)));
        r |= (uint64_t)b << (8 * i);
    }
    if (!write)
        *val = r;
    return true;
}

/* The vCPUs a GICD_SGIR write names. */
static uint32_t sgi_targets(const struct vgic *vg, uint32_t self, uint32_t v)
{
    switch ((v >> 24) & 3) {
    case SGIR_FILTER_LIST:
        return ((v >> 16) & 0xff) & all_vcpus(vg);
    case SGIR_FILTER_OTHERS:
        return all_vcpus(vg) & ~(1u << self);
    case SGIR_FILTER_SELF:
        return 1u << self;
    default:
        return 0; /* reserved */
    }
}

static bool dist_reg(struct vgic *vg, uint32_t self, uint64_t off, bool write, uint64_t *val,
                     uint32_t *sgis)
{
    switch (off) {
    case GICD_CTLR: /* the two group enables */
        if (write) {
            vg->gicd_ctlr = (uint32_t)*val & 3;
            vgic_set_groups(vg, (*val & 1) != 0, (*val & 2) != 0);
        } else {
            *val = vg->gicd_ctlr;
        }
        return true;
    case GICD_TYPER: /* lines, CPU count, no security extensions */
        if (!write)
            *val = (VGIC_NR_IRQS / 32 - 1) | ((vg->nvcpus - 1) << 5);
        return true;
    case GICD_IIDR:
        if (!write)
            *val = IIDR_VALUE;
        return true;
    case GICD_SGIR:
        if (write)
            *sgis = sgi_targets(vg, self, (uint32_t)*val);
        else
            *val = 0; /* write-only */
        return true;
    case GICD_PIDR2:
        if (!write)
            *val = PIDR2_GICV2;
        return true;
    default:
        if (!write)
            *val = 0; /* reserved, CPENDSGIR/SPENDSGIR (SGIs pend as one): RAZ/WI */
        return true;
    }
}

bool vgic_v2_dist_access(struct vgic *vg, uint32_t self, uint64_t off, uint32_t width, bool write,
                         uint64_t *val)
{
    uint32_t sgis = 0;
    bool ok;
    if (self >= vg->nvcpus || off >= VGIC_V2_DIST_SIZE)
        return false;
    spin_lock(&vg->lock);
    if (off >= GICD_ITARGETSR && off < GICD_ITARGETSR_END) {
        ok = targets_access(vg, self, off, width, write, val);
    } else {
        /* Interrupts 0-31 are the accessing vCPU's own (banked). */
        enum vgic_bank_result r =
            vgic_bank_access(vg, self, self, off, width, write, val, 0, VGIC_NR_IRQS);
        if (r != VGIC_NOT_BANKED)
            ok = r == VGIC_BANK_OK;
        else
            ok = width == 4 && IS_ALIGNED(off, 4) && dist_reg(vg, self, off, write, val, &sgis);
    }
    spin_unlock(&vg->lock);
    /* Injected outside the lock, which vgic_inject takes. */
    for (uint32_t m = sgis; m; m &= m - 1)
        vgic_inject(vg, (uint32_t)__builtin_ctz(m), (uint32_t)*val & 0xf);
    return ok;
}
