/* Virtual GICv3 distributor and redistributors (GICv3 architecture spec, chapter 12). */
#include "hypervisor/vgic.h"
#include "arch/cpu.h"
#include "arch/sysreg.h"
#include "drivers/gicv3.h"
#include "hypervisor/vtimer.h"
#include "hypervisor/zone.h"

#define GICD_CTLR_GRP1 (1u << 1)
#define GICD_CTLR_ARE (1u << 4)
#define GICD_CTLR_DS (1u << 6)
#define PIDR2_GICV3 0x3b
#define IIDR_VALUE 0x0000043b /* JEP106 ARM, as a generic implementer */

enum field {
    F_GROUP,
    F_ENABLE_SET,
    F_ENABLE_CLR,
    F_PEND_SET,
    F_PEND_CLR,
    F_ACTIVE,
    F_PRIO,
    F_CFG,
    F_RAZ,
};

static struct vgic_irq *irq_state(struct vgic *vg, uint32_t vidx, uint32_t intid)
{
    if (intid < 32)
        return &vg->cpu[vidx].priv[intid];
    if (intid < VGIC_NR_IRQS)
        return &vg->spi[intid - 32];
    return 0;
}

/* Every change of an interrupt's pending state goes through here (under vg->lock). */
static void set_pending(struct vgic *vg, uint32_t vidx, uint32_t intid, struct vgic_irq *s,
                        bool pending)
{
    uint32_t *word = intid < 32 ? &vg->pend_priv[vidx] : &vg->pend_spi[(intid - 32) / 32];
    uint32_t bit = 1u << (intid % 32);
    s->pending = pending;
    *word = pending ? *word | bit : *word & ~bit;
}

static void irq_reset(struct vgic_irq *s, uint32_t intid)
{
    memset(s, 0, sizeof(*s));
    s->edge = intid < 16; /* SGIs are always edge; PPIs and SPIs start level */
}

static void vgic_clear(struct vgic *vg, uint32_t nvcpus)
{
    memset(vg, 0, offsetof(struct vgic, lock));
    vg->nvcpus = nvcpus;
    for (uint32_t v = 0; v < nvcpus; v++) {
        vg->cpu[v].asleep = true;
        for (uint32_t i = 0; i < 32; i++)
            irq_reset(&vg->cpu[v].priv[i], i);
    }
    for (uint32_t i = 0; i < VGIC_NR_SPIS; i++)
        irq_reset(&vg->spi[i], i + 32);
}

void vgic_init(struct vgic *vg, uint32_t nvcpus)
{
    memset(&vg->lock, 0, sizeof(vg->lock));
    vgic_clear(vg, nvcpus);
}

void vgic_reset(struct vgic *vg)
{
    spin_lock(&vg->lock);
    vgic_clear(vg, vg->nvcpus);
    spin_unlock(&vg->lock);
}

static uint32_t field_get(const struct vgic_irq *s, enum field f)
{
    switch (f) {
    case F_GROUP:
        return s->group1;
    case F_ENABLE_SET:
    case F_ENABLE_CLR:
        return s->enabled;
    case F_PEND_SET:
    case F_PEND_CLR:
        return s->pending;
    case F_PRIO:
        return s->prio;
    case F_CFG:
        return s->edge ? 2 : 0;
    case F_ACTIVE:
    case F_RAZ:
        return 0;
    }
    return 0;
}

static void field_set(struct vgic *vg, uint32_t vidx, struct vgic_irq *s, uint32_t intid,
                      enum field f, uint32_t v)
{
    switch (f) {
    case F_GROUP:
        s->group1 = v & 1;
        break;
    case F_ENABLE_SET:
        if (v)
            s->enabled = true;
        break;
    case F_ENABLE_CLR:
        if (v)
            s->enabled = false;
        break;
    case F_PEND_SET:
        if (v)
            set_pending(vg, vidx, intid, s, true);
        break;
    case F_PEND_CLR:
        if (v)
            set_pending(vg, vidx, intid, s, false);
        break;
    case F_PRIO:
        s->prio = (uint8_t)v;
        break;
    case F_CFG:
        if (intid >= 16) /* SGI configuration is read-only */
            s->edge = (v >> 1) & 1;
        break;
    case F_ACTIVE:
    case F_RAZ:
        break;
    }
}

/* One register of a bank holding `bits` bits per interrupt, starting at interrupt `first`. */
static void bank_access(struct vgic *vg, uint32_t vidx, uint32_t first, uint32_t bits, enum field f,
                        uint32_t width, bool write, uint64_t *val)
{
    uint32_t n = width * 8 / bits;
    uint64_t mask = (1ULL << bits) - 1;
    uint64_t r = 0;
    for (uint32_t i = 0; i < n; i++) {
        struct vgic_irq *s = irq_state(vg, vidx, first + i);
        if (!s)
            continue; /* beyond the lines we implement: RAZ/WI */
        if (write)
            field_set(vg, vidx, s, first + i, f, (uint32_t)((*val >> (i * bits)) & mask));
        else
            r |= (uint64_t)field_get(s, f) << (i * bits);
    }
    if (!write)
        *val = r;
}

struct bank {
    uint32_t base, size, bits;
    enum field f;
};

/* Register banks common to GICD (SPIs) and the redistributor SGI frame (SGIs/PPIs). */
static const struct bank banks[] = {
    {0x0080, 0x80, 1, F_GROUP},    {0x0100, 0x80, 1, F_ENABLE_SET}, {0x0180, 0x80, 1, F_ENABLE_CLR},
    {0x0200, 0x80, 1, F_PEND_SET}, {0x0280, 0x80, 1, F_PEND_CLR},   {0x0300, 0x80, 1, F_ACTIVE},
    {0x0380, 0x80, 1, F_ACTIVE},   {0x0400, 0x400, 8, F_PRIO},      {0x0c00, 0x100, 2, F_CFG},
    {0x0d00, 0x80, 1, F_RAZ}, /* IGRPMODR: single security state */
};

enum bank_result { NOT_BANKED = -1, BANK_BAD = 0, BANK_OK = 1 };

/* Handle an access to a banked register, if off falls in one. */
static enum bank_result banked(struct vgic *vg, uint32_t vidx, uint64_t off, uint32_t width,
                               bool write, uint64_t *val, bool private_only)
{
    for (uint32_t b = 0; b < ARRAY_SIZE(banks); b++) {
        const struct bank *bk = &banks[b];
        if (off < bk->base || off >= bk->base + bk->size)
            continue;
        bool byte_ok = bk->bits == 8;
        if (!(width == 4 || (byte_ok && width == 1)) || !IS_ALIGNED(off, width))
            return BANK_BAD;
        uint32_t first = (uint32_t)((off - bk->base) * 8 / bk->bits);
        /* With affinity routing, interrupts 0-31 live in the redistributor, not the GICD. */
        if ((private_only && first >= 32) || (!private_only && first < 32)) {
            if (!write)
                *val = 0;
            return BANK_OK;
        }
        bank_access(vg, vidx, first, bk->bits, bk->f, width, write, val);
        return BANK_OK;
    }
    return NOT_BANKED;
}

static struct vcpu *spi_target(struct zone *z, uint32_t intid)
{
    uint64_t r = z->vgic.irouter[intid - 32];
    uint32_t aff0 = (uint32_t)(r & 0xff);
    /* IRM (1-of-N) and out-of-range targets go to vCPU 0, which always exists. */
    if ((r & (1ULL << 31)) || aff0 >= z->nvcpus || (r & 0xff00ffff00ULL))
        return &z->vcpu[0];
    return &z->vcpu[aff0];
}

static bool deliverable(struct vgic *vg, const struct vgic_irq *s)
{
    return s->pending && s->enabled && s->group1 && (vg->ctlr & GICD_CTLR_GRP1);
}

/* After the guest changed enables or pending bits: wake other vCPUs that now have work. */
static void kick_others(struct zone *z, struct vcpu *self)
{
    for (uint32_t v = 0; v < z->nvcpus; v++)
        if (&z->vcpu[v] != self && z->vcpu[v].power == VCPU_ON)
            vcpu_kick(&z->vcpu[v]);
}

static bool dist_reg(struct zone *z, uint64_t off, uint32_t width, bool write, uint64_t *val)
{
    struct vgic *vg = &z->vgic;
    if (off >= 0x6000 && off < 0x6000 + 8ULL * VGIC_NR_IRQS) {
        uint32_t intid = (uint32_t)((off - 0x6000) / 8);
        if (width == 8 ? !IS_ALIGNED(off, 8) : width != 4)
            return false;
        if (intid < 32) {
            if (!write)
                *val = 0;
            return true;
        }
        uint64_t *r = &vg->irouter[intid - 32];
        bool high = width == 4 && (off & 4);
        if (write)
            *r = width == 8 ? *val
                 : high     ? ((*r & 0xffffffffULL) | (*val << 32))
                            : ((*r & ~0xffffffffULL) | (*val & 0xffffffffULL));
        else
            *val = width == 8 ? *r : high ? *r >> 32 : *r & 0xffffffffULL;
        return true;
    }
    if (width != 4 || !IS_ALIGNED(off, 4))
        return false;
    switch (off) {
    case 0x0000: /* CTLR: only the group enables are writable; ARE and DS read as one */
        if (write)
            vg->ctlr = (uint32_t)*val & 3;
        else
            *val = vg->ctlr | GICD_CTLR_ARE | GICD_CTLR_DS;
        return true;
    case 0x0004: /* TYPER: lines, 10 ID bits, no LPIs, no security extension */
        if (!write)
            *val = (VGIC_NR_IRQS / 32 - 1) | (9u << 19) | ((vg->nvcpus - 1) << 5);
        return true;
    case 0x0008:
        if (!write)
            *val = IIDR_VALUE;
        return true;
    case 0xffe8:
        if (!write)
            *val = PIDR2_GICV3;
        return true;
    default:
        if (!write)
            *val = 0; /* reserved, ITARGETSR, SGIR, NSACR...: RAZ/WI under affinity routing */
        return true;
    }
}

bool vgic_dist_access(struct vcpu *v, uint64_t off, uint32_t width, bool write, uint64_t *val)
{
    struct zone *z = v->zone;
    spin_lock(&z->vgic.lock);
    enum bank_result r = banked(&z->vgic, v->idx, off, width, write, val, false);
    bool ok = r == NOT_BANKED ? dist_reg(z, off, width, write, val) : r == BANK_OK;
    spin_unlock(&z->vgic.lock);
    if (ok && write)
        kick_others(z, v);
    return ok;
}

static bool rd_frame(struct zone *z, uint32_t vidx, uint64_t off, uint32_t width, bool write,
                     uint64_t *val)
{
    struct vgic_vcpu *c = &z->vgic.cpu[vidx];
    if (off == 0x0008 || off == 0x000c) { /* TYPER, 64-bit or two 32-bit halves */
        uint64_t typer = ((uint64_t)vidx << 32) | ((uint64_t)vidx << 8) |
                         (vidx == z->nvcpus - 1 ? (1u << 4) : 0);
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
        if (!write)
            *val = IIDR_VALUE;
        return true;
    case 0xffe8:
        if (!write)
            *val = PIDR2_GICV3;
        return true;
    default:
        if (!write)
            *val = 0; /* CTLR (no LPIs), STATUSR, PROPBASER...: RAZ/WI */
        return true;
    }
}

bool vgic_redist_access(struct vcpu *v, uint64_t off, uint32_t width, bool write, uint64_t *val)
{
    struct zone *z = v->zone;
    uint32_t vidx = (uint32_t)(off / VGIC_REDIST_FRAME);
    uint64_t in = off % VGIC_REDIST_FRAME;
    if (vidx >= z->nvcpus)
        return false;
    spin_lock(&z->vgic.lock);
    bool ok;
    if (in >= 0x10000) {
        enum bank_result r = banked(&z->vgic, vidx, in - 0x10000, width, write, val, true);
        ok = r == BANK_OK;
        if (r == NOT_BANKED && width == 4 && IS_ALIGNED(in, 4)) {
            if (!write)
                *val = 0; /* NSACR and reserved SGI-frame registers */
            ok = true;
        }
    } else {
        ok = rd_frame(z, vidx, in, width, write, val);
    }
    spin_unlock(&z->vgic.lock);
    if (ok && write)
        kick_others(z, v);
    return ok;
}

void vgic_inject(struct zone *z, uint32_t intid, struct vcpu *target)
{
    spin_lock(&z->vgic.lock);
    if (intid >= 32)
        target = spi_target(z, intid);
    struct vgic_irq *s = irq_state(&z->vgic, target->idx, intid);
    if (s)
        set_pending(&z->vgic, target->idx, intid, s, true);
    spin_unlock(&z->vgic.lock);
    if (target->power == VCPU_ON)
        vcpu_kick(target);
}

static int32_t find_lr(uint32_t nlr, uint32_t intid, uint32_t empty)
{
    for (uint32_t i = 0; i < nlr; i++) {
        if (empty & (1u << i))
            continue;
        if ((gicv3_read_lr(i) & ICH_LR_VINTID_MASK) == intid)
            return (int32_t)i;
    }
    return -1;
}

/* Withdraw a level interrupt whose line dropped before the guest took it (only ours: list
 * registers of other CPUs are not reachable; they see status 0 and return IRQ_NONE once). */
static void retract_local_lr(struct vcpu *target, uint32_t intid)
{
    if (target->pcpu != cpu_id())
        return;
    uint32_t nlr = gicv3_num_lrs();
    int32_t i = find_lr(nlr, intid, gicv3_empty_lrs());
    if (i >= 0 && (gicv3_read_lr((uint32_t)i) & ICH_LR_STATE_MASK) == ICH_LR_PENDING)
        gicv3_write_lr((uint32_t)i, 0);
}

void vgic_set_level(struct zone *z, uint32_t intid, bool level)
{
    if (level) {
        vgic_inject(z, intid, 0);
        return;
    }
    spin_lock(&z->vgic.lock);
    struct vgic_irq *s = irq_state(&z->vgic, 0, intid);
    bool is_level = s && !s->edge;
    if (is_level)
        set_pending(&z->vgic, 0, intid, s, false);
    struct vcpu *target = intid >= 32 ? spi_target(z, intid) : &z->vcpu[0];
    if (is_level)
        retract_local_lr(target, intid);
    spin_unlock(&z->vgic.lock);
}

void vgic_send_sgi(struct vcpu *v, uint64_t sgir)
{
    struct zone *z = v->zone;
    uint32_t sgi = (uint32_t)(sgir >> 24) & 0xf;
    bool all_but_self = (sgir >> 40) & 1;
    uint32_t targets = (uint32_t)(sgir & 0xffff);
    uint32_t rs = (uint32_t)(sgir >> 44) & 0xf; /* the list names Aff0 = RS * 16 + bit */
    /* Our vMPIDRs have Aff1..3 = 0: a list for another cluster reaches nobody. */
    if (!all_but_self && (sgir & 0x00ff00ff00ff0000ULL))
        return;
    for (uint32_t t = 0; t < z->nvcpus; t++) {
        bool hit = all_but_self ? t != v->idx : t / 16 == rs && ((targets >> (t % 16)) & 1);
        if (!hit)
            continue;
        spin_lock(&z->vgic.lock);
        set_pending(&z->vgic, t, sgi, &z->vgic.cpu[t].priv[sgi], true);
        spin_unlock(&z->vgic.lock);
        if (z->vcpu[t].power == VCPU_ON)
            vcpu_kick(&z->vcpu[t]);
    }
}

/* Put one pending interrupt in a list register; false when all are busy. */
static bool place(uint32_t nlr, uint32_t intid, const struct vgic_irq *s)
{
    uint32_t empty = gicv3_empty_lrs();
    int32_t i = find_lr(nlr, intid, empty);
    if (i >= 0) {
        /* Already there: pending stays pending; active becomes active+pending. */
        uint64_t lr = gicv3_read_lr((uint32_t)i);
        gicv3_write_lr((uint32_t)i, lr | ICH_LR_PENDING);
        return true;
    }
    for (uint32_t n = 0; n < nlr; n++) {
        if (!(empty & (1u << n)))
            continue;
        uint64_t lr =
            ICH_LR_PENDING | ICH_LR_GROUP1 | ((uint64_t)s->prio << ICH_LR_PRIO_SHIFT) | intid;
        if (intid == GIC_VTIMER_PPI)
            lr |= ICH_LR_EOI; /* its deactivation unmasks the timer: vgic_maintenance */
        gicv3_write_lr(n, lr);
        return true;
    }
    return false;
}

/* Deliver what is pending for v, interrupt `base` + bit n for each bit n of `bits`: false when
 * some deliverable one found no free list register. */
static bool flush_bank(struct zone *z, struct vcpu *v, uint32_t nlr, uint32_t base, uint32_t bits)
{
    struct vgic *vg = &z->vgic;
    bool ok = true;
    for (; bits; bits &= bits - 1) {
        uint32_t intid = base + (uint32_t)__builtin_ctz(bits);
        struct vgic_irq *s = irq_state(vg, v->idx, intid);
        if (!deliverable(vg, s) || (intid >= 32 && spi_target(z, intid) != v))
            continue;
        if (place(nlr, intid, s))
            set_pending(vg, v->idx, intid, s, false);
        else
            ok = false;
    }
    return ok;
}

/* Without the lock: see vgic_flush. */
static bool any_pending(const struct vgic *vg, uint32_t vidx)
{
    uint32_t any = __atomic_load_n(&vg->pend_priv[vidx], __ATOMIC_RELAXED);
    for (uint32_t w = 0; w < ARRAY_SIZE(vg->pend_spi); w++)
        any |= __atomic_load_n(&vg->pend_spi[w], __ATOMIC_RELAXED);
    return any != 0;
}

void vgic_flush(struct vcpu *v)
{
    struct zone *z = v->zone;
    struct vgic *vg = &z->vgic;
    bool overflow = false;
    /* Nothing pending is the common case on this path (every exit). Read without the lock: an
     * interrupt made pending on another CPU after this look comes with a kick SGI, so this
     * vCPU exits again and looks again; one made pending on this CPU was set before. */
    if (any_pending(vg, v->idx)) {
        uint32_t nlr = gicv3_num_lrs();
        spin_lock(&vg->lock);
        overflow = !flush_bank(z, v, nlr, 0, vg->pend_priv[v->idx]);
        for (uint32_t w = 0; w < ARRAY_SIZE(vg->pend_spi); w++)
            if (!flush_bank(z, v, nlr, 32 + 32 * w, vg->pend_spi[w]))
                overflow = true;
        spin_unlock(&vg->lock);
    }
    /* More pending than list registers: ask for a maintenance interrupt when they drain. */
    gicv3_set_underflow_irq(overflow);
}

void vgic_maintenance(void)
{
    /* Underflow: off; vgic_flush sets it again while interrupts are left over. */
    gicv3_set_underflow_irq(false);
    /* EOI: list registers that asked to hear of their deactivation. Rewriting them ends the
     * condition (EISR reads a deactivated LR with ICH_LR_EOI set). */
    for (uint32_t eoi = gicv3_eoi_lrs(); eoi; eoi &= eoi - 1) {
        uint32_t n = (uint32_t)__builtin_ctz(eoi);
        uint32_t intid = (uint32_t)(gicv3_read_lr(n) & ICH_LR_VINTID_MASK);
        gicv3_write_lr(n, 0);
        if (intid == GIC_VTIMER_PPI)
            vtimer_deactivated();
    }
}
