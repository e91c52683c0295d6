/* The virtual-interrupt core (vgic.h): state, pending, routing, and the list registers. */
#include "hypervisor/vgic.h"
#include "hypervisor/lib.h"
#include "hypervisor/vgic_lr.h"

struct vgic_irq *vgic_irq(struct vgic *vg, uint32_t vidx, uint32_t intid)
{
    if (intid < 32)
        return vidx < vg->nvcpus ? &vg->cpu[vidx].priv[intid] : 0;
    if (intid < VGIC_NR_IRQS)
        return &vg->spi[intid - 32];
    return 0;
}

static bool pending(const struct vgic_irq *s)
{
    return s->latch || (!s->edge && s->line);
}

static bool deliverable(const struct vgic *vg, const struct vgic_irq *s)
{
    return s->enabled && (s->group1 ? vg->grp1 : vg->grp0);
}

/* The vCPU that would take it: its own for SGIs/PPIs, the routed one for SPIs. */
static uint32_t owner_of(const struct vgic_irq *s, uint32_t vidx, uint32_t intid)
{
    return intid < 32 ? vidx : s->target;
}

/* Every change of state that may change whether an interrupt waits for a list register ends
 * here (under the lock): the bitmap follows, and the vCPU that should take it is told. True
 * while it waits for a list register. */
static bool update(struct vgic *vg, uint32_t vidx, uint32_t intid, struct vgic_irq *s)
{
    uint32_t *word = intid < 32 ? &vg->want_priv[vidx] : &vg->want_spi[(intid - 32) / 32];
    uint32_t bit = 1u << (intid % 32);
    /* In a list register already, only a fresh edge has something to add to it. Active and
     * not in one (its vCPU went off while it was): it needs one back, for the guest's EOI. */
    bool want = (pending(s) || s->active) && (!s->in_lr || s->latch);
    bool was = (*word & bit) != 0;
    *word = want ? *word | bit : *word & ~bit;
    if (want && !was && deliverable(vg, s))
        vg->host->kick(vg->ctx, owner_of(s, vidx, intid));
    return want;
}

/* Its list register may no longer hold it pending: the owner looks on its next flush. */
static void recall(struct vgic *vg, struct vgic_irq *s, bool unpend)
{
    if (!s->in_lr)
        return;
    s->recall = true;
    s->unpend = s->unpend || unpend;
    vg->host->kick(vg->ctx, s->in_lr - 1u);
}

static void irq_reset(struct vgic_irq *s, uint32_t intid)
{
    memset(s, 0, sizeof(*s));
    s->edge = intid < 16; /* SGIs are always edge; PPIs and SPIs start level */
}

static void vgic_clear(struct vgic *vg, uint32_t nvcpus)
{
    memset(vg, 0, offsetof(struct vgic, host));
    vg->nvcpus = nvcpus;
    for (uint32_t v = 0; v < nvcpus; v++) {
        vg->cpu[v].asleep = true;
        for (uint32_t i = 0; i < 32; i++)
            irq_reset(&vg->cpu[v].priv[i], i);
    }
    for (uint32_t i = 0; i < VGIC_NR_SPIS; i++)
        irq_reset(&vg->spi[i], i + 32);
}

void vgic_init(struct vgic *vg, uint32_t nvcpus, const struct vgic_host *host, void *ctx)
{
    memset(&vg->lock, 0, sizeof(vg->lock));
    vg->host = host;
    vg->ctx = ctx;
    vgic_clear(vg, nvcpus > MAX_VCPUS ? MAX_VCPUS : nvcpus);
}

void vgic_reset(struct vgic *vg)
{
    spin_lock(&vg->lock);
    vgic_clear(vg, vg->nvcpus);
    spin_unlock(&vg->lock);
}

/* ---- inputs ---- */

void vgic_inject(struct vgic *vg, uint32_t vidx, uint32_t intid)
{
    spin_lock(&vg->lock);
    struct vgic_irq *s = vgic_irq(vg, vidx, intid);
    if (s) {
        s->latch = true;
        update(vg, vidx, intid, s);
    }
    spin_unlock(&vg->lock);
}

void vgic_set_level(struct vgic *vg, uint32_t vidx, uint32_t intid, bool level)
{
    spin_lock(&vg->lock);
    struct vgic_irq *s = vgic_irq(vg, vidx, intid);
    if (s && s->line != level) {
        s->line = level;
        if (level && s->edge)
            s->latch = true; /* an edge-configured line pends on its rising edge */
        if (!level && !s->edge)
            recall(vg, s, false); /* withdrawn if the guest has not taken it yet */
        update(vg, vidx, intid, s);
    }
    spin_unlock(&vg->lock);
}

/* ---- the list registers of this CPU, for vidx ---- */

static struct vgic_irq *lr_irq(struct vgic *vg, uint32_t vidx, uint32_t n)
{
    return vgic_irq(vg, vidx, vg->cpu[vidx].lr_intid[n]);
}

/* List register n no longer holds s: it is the core's again. */
static void lr_release(struct vgic *vg, uint32_t vidx, uint32_t n, struct vgic_irq *s)
{
    static const struct vgic_lr empty;
    vgic_lr->write(n, &empty);
    vg->cpu[vidx].lr_used &= (uint16_t) ~(1u << n);
    s->in_lr = 0;
    s->recall = s->unpend = false;
}

/* The guest deactivated what list register n held. */
static void lr_drained(struct vgic *vg, uint32_t vidx, uint32_t n, bool eoi)
{
    uint32_t intid = vg->cpu[vidx].lr_intid[n];
    struct vgic_irq *s = lr_irq(vg, vidx, n);
    lr_release(vg, vidx, n, s);
    s->active = false;
    if (eoi)
        s->line = vg->host->resample(vg->ctx, vidx, intid, s->line);
    update(vg, vidx, intid, s);
}

/* A recalled list register: take back what is only pending; for an active one, drop the
 * pending part if the guest cleared it. */
static void lr_recalled(struct vgic *vg, uint32_t vidx, uint32_t n, struct vgic_irq *s)
{
    uint32_t intid = vg->cpu[vidx].lr_intid[n];
    struct vgic_lr lr;
    vgic_lr->read(n, &lr);
    bool unpend = s->unpend;
    if (lr.state == VLR_PENDING) {
        lr_release(vg, vidx, n, s);
        /* An edge not cleared by the guest is still pending (disabled, say, not forgotten). */
        if (s->edge && !unpend)
            s->latch = true;
    } else {
        s->recall = s->unpend = false;
        if (unpend && (lr.state & VLR_PENDING)) {
            lr.state = VLR_ACTIVE;
            vgic_lr->write(n, &lr);
        }
    }
    update(vg, vidx, intid, s);
}

/* Bring the core up to date with what the guest did to its list registers. */
static void sync(struct vgic *vg, uint32_t vidx)
{
    struct vgic_vcpu *c = &vg->cpu[vidx];
    if (!c->lr_used)
        return;
    uint32_t eoied = vgic_lr->eoied() & c->lr_used;
    uint32_t done = (vgic_lr->empty() | eoied) & c->lr_used;
    for (uint32_t m = done; m; m &= m - 1) {
        uint32_t n = (uint32_t)__builtin_ctz(m);
        lr_drained(vg, vidx, n, (eoied >> n) & 1);
    }
    for (uint32_t m = c->lr_used; m; m &= m - 1) {
        uint32_t n = (uint32_t)__builtin_ctz(m);
        struct vgic_irq *s = lr_irq(vg, vidx, n);
        if (s->recall)
            lr_recalled(vg, vidx, n, s);
    }
}

static struct vgic_lr lr_for(uint32_t intid, const struct vgic_irq *s)
{
    struct vgic_lr lr = {
        .intid = intid,
        .prio = s->prio,
        .state = (uint8_t)((pending(s) ? VLR_PENDING : 0) | (s->active ? VLR_ACTIVE : 0)),
        .group1 = s->group1,
        /* Line-driven: hear of the deactivation, to pend it again if the line is still high
         * (and to let the device re-arm its line: the virtual timer). */
        .eoi = !s->edge || s->line,
    };
    return lr;
}

static void lr_place(struct vgic *vg, uint32_t vidx, uint32_t n, uint32_t intid, struct vgic_irq *s)
{
    struct vgic_lr lr = lr_for(intid, s);
    vgic_lr->write(n, &lr);
    vg->cpu[vidx].lr_used |= (uint16_t)(1u << n);
    vg->cpu[vidx].lr_intid[n] = (uint8_t)intid;
    s->in_lr = (uint8_t)(vidx + 1);
    s->latch = false; /* the list register carries it now */
    s->active = false;
    update(vg, vidx, intid, s);
}

/* A fresh edge for an interrupt its list register already holds: pending (again). */
static void lr_merge(struct vgic *vg, uint32_t vidx, uint32_t intid, struct vgic_irq *s)
{
    struct vgic_vcpu *c = &vg->cpu[vidx];
    for (uint32_t m = c->lr_used; m; m &= m - 1) {
        uint32_t n = (uint32_t)__builtin_ctz(m);
        if (c->lr_intid[n] != intid)
            continue;
        struct vgic_lr lr;
        vgic_lr->read(n, &lr);
        lr.state |= VLR_PENDING;
        vgic_lr->write(n, &lr);
        break;
    }
    s->latch = false;
    update(vg, vidx, intid, s);
}

/* The list register holding the lowest-priority interrupt that is only pending, if its
 * priority is lower than prio (a larger value): it gives way. -1 if none. */
static int32_t lr_victim(struct vgic *vg, uint32_t vidx, uint8_t prio)
{
    struct vgic_vcpu *c = &vg->cpu[vidx];
    int32_t best = -1;
    uint32_t worst = prio;
    for (uint32_t m = c->lr_used; m; m &= m - 1) {
        uint32_t n = (uint32_t)__builtin_ctz(m);
        struct vgic_lr lr;
        vgic_lr->read(n, &lr);
        /* The core's priority, not the list register's: GICv2 keeps only its top five bits. */
        uint8_t prio_n = lr_irq(vg, vidx, n)->prio;
        if (lr.state == VLR_PENDING && prio_n > worst) {
            worst = prio_n;
            best = (int32_t)n;
        }
    }
    return best;
}

static void lr_evict(struct vgic *vg, uint32_t vidx, uint32_t n)
{
    uint32_t intid = vg->cpu[vidx].lr_intid[n];
    struct vgic_irq *s = lr_irq(vg, vidx, n);
    lr_release(vg, vidx, n, s);
    if (s->edge)
        s->latch = true; /* still pending, back in the queue */
    update(vg, vidx, intid, s);
}

/* Wants of vidx that it can take: deliverable, its own, not in another vCPU's list register. */
static bool candidate(struct vgic *vg, uint32_t vidx, uint32_t intid, struct vgic_irq **out)
{
    struct vgic_irq *s = vgic_irq(vg, vidx, intid);
    /* An active one goes back whatever its enable: deactivation does not depend on it. */
    if (!s || !(deliverable(vg, s) || s->active) || owner_of(s, vidx, intid) != vidx)
        return false;
    if (s->in_lr && s->in_lr != vidx + 1)
        return false; /* it comes back to the core when that vCPU deactivates it */
    *out = s;
    return true;
}

/* The best candidate: highest priority (lowest value), then lowest INTID. */
static bool best_candidate(struct vgic *vg, uint32_t vidx, uint32_t *out_intid,
                           struct vgic_irq **out)
{
    uint32_t best_prio = 0x100;
    uint32_t words[1 + VGIC_NR_SPIS / 32];
    words[0] = vg->want_priv[vidx];
    for (uint32_t w = 0; w < VGIC_NR_SPIS / 32; w++)
        words[1 + w] = vg->want_spi[w];
    for (uint32_t w = 0; w < ARRAY_SIZE(words); w++) {
        for (uint32_t m = words[w]; m; m &= m - 1) {
            uint32_t intid = 32 * w + (uint32_t)__builtin_ctz(m);
            struct vgic_irq *s;
            if (candidate(vg, vidx, intid, &s) && s->prio < best_prio) {
                best_prio = s->prio;
                *out_intid = intid;
                *out = s;
            }
        }
    }
    return best_prio < 0x100;
}

/* Fill the list registers in priority order. False when some candidate found no room. The loop
 * places, merges or evicts once per round and each round removes a want, so it ends within
 * (list registers + wants) rounds. */
static bool fill(struct vgic *vg, uint32_t vidx, uint32_t nlr)
{
    uint32_t all = nlr >= 32 ? ~0u : (1u << nlr) - 1;
    uint32_t intid;
    struct vgic_irq *s;
    while (best_candidate(vg, vidx, &intid, &s)) {
        if (s->in_lr) {
            lr_merge(vg, vidx, intid, s);
            continue;
        }
        uint32_t free = all & ~(uint32_t)vg->cpu[vidx].lr_used;
        int32_t n = free ? __builtin_ctz(free) : lr_victim(vg, vidx, s->prio);
        if (n < 0)
            return false;
        if (!free)
            lr_evict(vg, vidx, (uint32_t)n);
        lr_place(vg, vidx, (uint32_t)n, intid, s);
    }
    return true;
}

/* Without the lock: anything for vidx to look at? See vgic_flush. */
static bool any_work(const struct vgic *vg, uint32_t vidx)
{
    uint32_t any = __atomic_load_n(&vg->want_priv[vidx], __ATOMIC_RELAXED);
    for (uint32_t w = 0; w < ARRAY_SIZE(vg->want_spi); w++)
        any |= __atomic_load_n(&vg->want_spi[w], __ATOMIC_RELAXED);
    return any || vg->cpu[vidx].lr_used;
}

static void set_underflow(struct vgic_vcpu *c, bool on)
{
    if (c->underflow != on)
        vgic_lr->underflow(on);
    c->underflow = on;
}

void vgic_flush(struct vgic *vg, uint32_t vidx)
{
    if (vidx >= vg->nvcpus)
        return;
    struct vgic_vcpu *c = &vg->cpu[vidx];
    /* Nothing pending and no list register in use is the common case on this path (every
     * exit). Read without the lock: an interrupt made pending on another CPU after this look
     * comes with a kick SGI, so this vCPU exits again and looks again; one made pending on this
     * CPU was set before. lr_used is only changed on this CPU. */
    if (!any_work(vg, vidx)) {
        set_underflow(c, false);
        return;
    }
    uint32_t nlr = vgic_lr->count();
    if (nlr > VGIC_MAX_LRS)
        nlr = VGIC_MAX_LRS;
    spin_lock(&vg->lock);
    sync(vg, vidx);
    bool room = fill(vg, vidx, nlr);
    spin_unlock(&vg->lock);
    /* More to deliver than list registers: the underflow maintenance interrupt says when they
     * have drained, and vgic_maintenance refills them. */
    set_underflow(c, !room);
}

void vgic_maintenance(struct vgic *vg, uint32_t vidx)
{
    if (vidx >= vg->nvcpus)
        return;
    /* The interrupt is level-sensitive and stays asserted while its condition holds: underflow
     * goes off here (the flush sets it again while interrupts are left over) and the
     * deactivations it reports are folded back, which ends them. */
    set_underflow(&vg->cpu[vidx], false);
    vgic_flush(vg, vidx);
}

void vgic_maintenance_idle(void)
{
    static const struct vgic_lr empty;
    vgic_lr->underflow(false);
    for (uint32_t m = vgic_lr->eoied(); m; m &= m - 1)
        vgic_lr->write((uint32_t)__builtin_ctz(m), &empty);
}

void vgic_save(struct vgic *vg, uint32_t vidx)
{
    if (vidx >= vg->nvcpus)
        return;
    struct vgic_vcpu *c = &vg->cpu[vidx];
    spin_lock(&vg->lock);
    sync(vg, vidx);
    for (uint32_t m = c->lr_used; m; m &= m - 1) {
        uint32_t n = (uint32_t)__builtin_ctz(m);
        uint32_t intid = c->lr_intid[n];
        struct vgic_irq *s = lr_irq(vg, vidx, n);
        struct vgic_lr lr;
        vgic_lr->read(n, &lr);
        lr_release(vg, vidx, n, s);
        /* As the redistributor keeps them when a CPU powers down: a level one stays pending
         * through its line, if still high. */
        if ((lr.state & VLR_PENDING) && s->edge)
            s->latch = true;
        s->active = (lr.state & VLR_ACTIVE) != 0;
        update(vg, vidx, intid, s);
    }
    set_underflow(c, false);
    spin_unlock(&vg->lock);
}

/* ---- register front-ends ---- */

/* The list register of self's CPU that holds intid for self, or -1. */
static int32_t local_lr(struct vgic *vg, uint32_t self, const struct vgic_irq *s, uint32_t intid)
{
    if (self >= vg->nvcpus || s->in_lr != self + 1)
        return -1;
    struct vgic_vcpu *c = &vg->cpu[self];
    for (uint32_t m = c->lr_used; m; m &= m - 1) {
        uint32_t n = (uint32_t)__builtin_ctz(m);
        if (c->lr_intid[n] == intid)
            return (int32_t)n;
    }
    return -1;
}

/* Pending and active as the guest should see them: a list register on another CPU cannot be
 * read, and counts as pending (it holds the interrupt pending or active). */
static uint32_t lr_state_seen(struct vgic *vg, uint32_t self, const struct vgic_irq *s,
                              uint32_t intid)
{
    if (!s->in_lr)
        return 0;
    int32_t n = local_lr(vg, self, s, intid);
    if (n < 0)
        return VLR_PENDING;
    struct vgic_lr lr;
    vgic_lr->read((uint32_t)n, &lr);
    return lr.state;
}

uint32_t vgic_field_read(struct vgic *vg, uint32_t self, uint32_t vidx, uint32_t intid,
                         enum vgic_field f)
{
    struct vgic_irq *s = vgic_irq(vg, vidx, intid);
    if (!s)
        return 0;
    switch (f) {
    case VF_GROUP:
        return s->group1;
    case VF_ENABLE_SET:
    case VF_ENABLE_CLR:
        return s->enabled;
    case VF_PEND_SET:
    case VF_PEND_CLR:
        return pending(s) || (lr_state_seen(vg, self, s, intid) & VLR_PENDING);
    case VF_ACTIVE_SET:
    case VF_ACTIVE_CLR:
        return s->active || (lr_state_seen(vg, self, s, intid) & VLR_ACTIVE) != 0;
    case VF_PRIO:
        return s->prio;
    case VF_CFG:
        return s->edge ? 2 : 0;
    case VF_RAZ:
        return 0;
    }
    return 0;
}

/* GICD_ICACTIVER: the guest deactivates it itself (Linux does at CPU bring-up). */
static void clear_active(struct vgic *vg, uint32_t self, struct vgic_irq *s, uint32_t intid)
{
    s->active = false;
    int32_t n = local_lr(vg, self, s, intid);
    if (n < 0)
        return; /* in another CPU's list register: deactivated there by its guest in time */
    struct vgic_lr lr;
    vgic_lr->read((uint32_t)n, &lr);
    lr.state &= (uint8_t)~VLR_ACTIVE;
    vgic_lr->write((uint32_t)n, &lr);
}

void vgic_field_write(struct vgic *vg, uint32_t self, uint32_t vidx, uint32_t intid,
                      enum vgic_field f, uint32_t v)
{
    struct vgic_irq *s = vgic_irq(vg, vidx, intid);
    if (!s || (!v && f != VF_GROUP && f != VF_PRIO && f != VF_CFG))
        return; /* a zero bit in a set/clear register changes nothing */
    switch (f) {
    case VF_GROUP:
        s->group1 = v & 1;
        if (!s->group1)
            recall(vg, s, false);
        break;
    case VF_ENABLE_SET:
        s->enabled = true;
        break;
    case VF_ENABLE_CLR:
        s->enabled = false;
        recall(vg, s, false);
        break;
    case VF_PEND_SET:
        s->latch = true;
        break;
    case VF_PEND_CLR:
        s->latch = false;
        recall(vg, s, true);
        break;
    case VF_ACTIVE_SET:
        if (!s->in_lr)
            s->active = true;
        break;
    case VF_ACTIVE_CLR:
        clear_active(vg, self, s, intid);
        break;
    case VF_PRIO:
        s->prio = (uint8_t)v;
        break;
    case VF_CFG:
        if (intid >= 16) /* SGI configuration is read-only */
            s->edge = (v >> 1) & 1;
        break;
    case VF_RAZ:
        break;
    }
    /* A newly enabled, grouped, pended or reconfigured interrupt may now be wanted, by a vCPU
     * that did not hear of it while it could not take it. */
    if (update(vg, vidx, intid, s) && deliverable(vg, s))
        vg->host->kick(vg->ctx, owner_of(s, vidx, intid));
}

void vgic_route_spi(struct vgic *vg, uint32_t intid, uint32_t target)
{
    struct vgic_irq *s = vgic_irq(vg, 0, intid);
    if (!s || intid < 32)
        return;
    s->target = (uint8_t)(target < vg->nvcpus ? target : 0);
    /* Re-announce to the new owner if it is waiting: the bit stays, the kick is new. */
    uint32_t bit = 1u << (intid % 32);
    if ((vg->want_spi[(intid - 32) / 32] & bit) && deliverable(vg, s))
        vg->host->kick(vg->ctx, s->target);
}

void vgic_set_groups(struct vgic *vg, bool grp0, bool grp1)
{
    bool more = (grp0 && !vg->grp0) || (grp1 && !vg->grp1);
    vg->grp0 = grp0;
    vg->grp1 = grp1;
    if (more)
        for (uint32_t v = 0; v < vg->nvcpus; v++)
            vg->host->kick(vg->ctx, v);
}
