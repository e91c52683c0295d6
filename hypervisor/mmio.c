/* MMIO trap dispatch: the zone's virtual GIC, virtio-mmio console window(s). */
#include "hypervisor/mmio.h"
#include "arch/sysreg.h"
#include "hypervisor/vgic_v2.h"
#include "hypervisor/vgic_v3.h"
#include "hypervisor/zone.h"

static bool in_window(uint64_t ipa, uint64_t base, uint64_t size)
{
    return base && ipa >= base && ipa - base < size;
}

#define SCTLR_M (1ULL << 0)
#define SCTLR_C (1ULL << 2)

/* The driver about to touch its rings runs with its MMU or data cache off (SCTLR_EL1 of the
 * trapping vCPU): its ring and buffer accesses are non-cacheable, so ours get cache maintenance
 * (guest_mem.h: gmem_sync). Said once each time it changes. Under the console lock. */
static void note_guest_caching(struct zone *z)
{
    uint64_t sctlr = read_sysreg(sctlr_el1);
    bool uncached = (sctlr & (SCTLR_M | SCTLR_C)) != (SCTLR_M | SCTLR_C);
    if (uncached == z->mem.uncached)
        return;
    z->mem.uncached = uncached;
    zone_log(z, uncached ? "console driver runs with MMU or data cache off: rings accessed with "
                           "cache maintenance"
                         : "console driver runs with caches on again");
}

static bool console_access(struct vcpu *v, struct zone *z, uint64_t off,
                           const struct mmio_access *a, uint64_t *val)
{
    uint32_t v32 = (uint32_t)*val;
    if (a->width == 8)
        return false; /* virtio-mmio registers are at most 32 bits wide */
    spin_lock(&z->con_lock);
    z->con_vcpu = v->idx;
    note_guest_caching(z);
    bool ok = a->write ? vmmio_write(&z->con.mmio, (uint32_t)off, a->width, v32)
                       : vmmio_read(&z->con.mmio, (uint32_t)off, a->width, &v32);
    spin_unlock(&z->con_lock);
    if (!a->write)
        *val = v32;
    return ok;
}

static bool uart_access(struct zone *z, uint64_t off, const struct mmio_access *a, uint64_t *val)
{
    uint32_t v32 = (uint32_t)*val;
    spin_lock(&z->con_lock);
    bool ok = vpl011_access(&z->vuart, (uint32_t)off, a->width, a->write, &v32);
    spin_unlock(&z->con_lock);
    if (!a->write)
        *val = v32;
    return ok;
}

bool mmio_emulate(struct vcpu *v, const struct mmio_access *a, uint64_t *val)
{
    struct zone *z = v->zone;
    const struct zone_config *c = z->cfg;
    uint64_t ipa = a->ipa;
    if (in_window(ipa, c->virtio_ipa, VIRTIO_MMIO_WINDOW))
        return console_access(v, z, ipa - c->virtio_ipa, a, val);
    if (in_window(ipa, c->vpl011_ipa, VPL011_SIZE))
        return uart_access(z, ipa - c->vpl011_ipa, a, val);
    if (platform.gic.version == 2)
        return in_window(ipa, platform.vgicd_ipa, VGIC_V2_DIST_SIZE) &&
               vgic_v2_dist_access(&z->vgic, v->idx, ipa - platform.vgicd_ipa, a->width, a->write,
                                   val);
    if (in_window(ipa, platform.vgicd_ipa, VGIC_DIST_SIZE))
        return vgic_v3_dist_access(&z->vgic, v->idx, ipa - platform.vgicd_ipa, a->width, a->write,
                                   val);
    if (in_window(ipa, platform.vgicr_ipa, (uint64_t)VGIC_REDIST_FRAME * z->nvcpus))
        return vgic_v3_redist_access(&z->vgic, v->idx, ipa - platform.vgicr_ipa, a->width, a->write,
                                     val);
    return false;
}
