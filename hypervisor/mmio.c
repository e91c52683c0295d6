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

/* A write that hands rings to the device or tells it to look at them. */
static bool ring_use(uint64_t off, const struct mmio_access *a)
{
    return a->write && (off == VMMIO_QUEUE_READY || off == VMMIO_QUEUE_NOTIFY);
}

/* The driver runs with its MMU or data cache off (SCTLR_EL1 of the trapping vCPU): its ring and
 * buffer accesses are non-cacheable, so ours get cache maintenance (guest_mem.h: gmem_sync). Said
 * when it uses rings so (probing registers before the MMU is on, as the test guest does, is
 * not worth a line), and said again when it no longer does. Under the console lock. */
static void note_guest_caching(struct zone *z, uint64_t off, const struct mmio_access *a)
{
    uint64_t sctlr = read_sysreg(sctlr_el1);
    z->mem.uncached = (sctlr & (SCTLR_M | SCTLR_C)) != (SCTLR_M | SCTLR_C);
    if (z->mem.uncached && !z->uncached_said && ring_use(off, a)) {
        z->uncached_said = true;
        zone_log(z, "console driver uses its rings with MMU or data cache off: accessed with "
                    "cache maintenance");
    } else if (!z->mem.uncached && z->uncached_said) {
        z->uncached_said = false;
        zone_log(z, "console driver runs with caches on again");
    }
}

static bool console_access(struct vcpu *v, struct zone *z, uint64_t off,
                           const struct mmio_access *a, uint64_t *val)
{
    uint32_t v32 = (uint32_t)*val;
    if (a->width == 8)
        return false; /* virtio-mmio registers are at most 32 bits wide */
    spin_lock(&z->con_lock);
    z->con_vcpu = v->idx;
    note_guest_caching(z, off, a);
    bool ok = a->write ? vmmio_write(&z->con.mmio, (uint32_t)off, a->width, v32)
                       : vmmio_read(&z->con.mmio, (uint32_t)off, a->width, &v32);
    spin_unlock(&z->con_lock);
    if (!a->write)
        *val = v32;
    return ok;
}

static bool ports_access(struct vcpu *v, struct zone *z, uint64_t off, const struct mmio_access *a,
                         uint64_t *val)
{
    uint32_t v32 = (uint32_t)*val;
    if (a->width == 8)
        return false;
    spin_lock(&z->ports_lock);
    z->ports_vcpu = v->idx;
    /* The same view of the guest's caching as the console's (said there, not here). */
    uint64_t sctlr = read_sysreg(sctlr_el1);
    z->mem.uncached = (sctlr & (SCTLR_M | SCTLR_C)) != (SCTLR_M | SCTLR_C);
    bool ok = a->write ? vmmio_write(&z->ports.mmio, (uint32_t)off, a->width, v32)
                       : vmmio_read(&z->ports.mmio, (uint32_t)off, a->width, &v32);
    spin_unlock(&z->ports_lock);
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
    if (c->nports && in_window(ipa, c->ports_ipa, VIRTIO_MMIO_WINDOW))
        return ports_access(v, z, ipa - c->ports_ipa, a, val);
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
