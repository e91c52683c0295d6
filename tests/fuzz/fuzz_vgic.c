/*
 * libFuzzer target: the vGIC (hypervisor/vgic.c core, vgic_v3.c and vgic_v2.c register
 * front-ends) driven by a fuzzed stream of guest register accesses (GICv3 distributor and
 * redistributors, ICC_SGI1R_EL1, GICv2 distributor), device inputs (edges and level lines, at any
 * INTID and vCPU index), guest actions on the list registers (acknowledge, EOI) and the
 * hypervisor's own calls (flush on return to a vCPU, the maintenance interrupt, save when a vCPU
 * goes off, reset), over a fake list-register back-end per vCPU that behaves as a virtual CPU
 * interface does.
 *
 * Invariants, checked after every operation (abort when broken):
 *   - every list register the core says it uses holds an INTID below VGIC_NR_IRQS, each INTID at
 *     most once per vCPU, and that interrupt's in_lr names this vCPU;
 *   - every interrupt whose in_lr is set names a vCPU that exists and whose used list registers
 *     hold it;
 *   - SPI targets and every vCPU index handed to the host callbacks are in range;
 *   - list registers the core does not use are never left valid by it (after a flush, save or
 *     maintenance: an empty register stays empty until the core fills it);
 *   - after a flush, an interrupt that wants a list register and is deliverable to that vCPU is
 *     in one, or every list register is in use (nothing waits while there is room);
 *   - a second vGIC (another zone's) is never touched: its bytes stay as they were.
 */
#include "tests/fuzz/fuzz.h"

#include "hypervisor/vgic.h"
#include "hypervisor/vgic_lr.h"
#include "hypervisor/vgic_v2.h"
#include "hypervisor/vgic_v3.h"

#define NLR 4
#define NVCPUS 3

/* ---- one fake virtual CPU interface per vCPU; `cur` is the CPU the core runs on ---- */

static struct vgic_lr lrs[MAX_VCPUS][NLR];
static bool underflow[MAX_VCPUS];
static uint32_t cur;

static uint32_t fake_count(void)
{
    return NLR;
}

static void fake_read(uint32_t n, struct vgic_lr *lr)
{
    FZ_CHECK(n < NLR);
    *lr = lrs[cur][n];
}

static void fake_write(uint32_t n, const struct vgic_lr *lr)
{
    FZ_CHECK(n < NLR);
    FZ_CHECK(!lr->state || lr->intid < VGIC_NR_IRQS);
    lrs[cur][n] = *lr;
    if (!lr->state)
        lrs[cur][n].eoi = false;
}

static uint32_t fake_empty(void)
{
    uint32_t m = 0;
    for (uint32_t n = 0; n < NLR; n++)
        m |= (uint32_t)(!lrs[cur][n].state && !lrs[cur][n].eoi) << n;
    return m;
}

static uint32_t fake_eoied(void)
{
    uint32_t m = 0;
    for (uint32_t n = 0; n < NLR; n++)
        m |= (uint32_t)(!lrs[cur][n].state && lrs[cur][n].eoi) << n;
    return m;
}

static void fake_underflow(bool on)
{
    underflow[cur] = on;
}

static const struct vgic_lr_ops fake_ops = {
    .count = fake_count,
    .read = fake_read,
    .write = fake_write,
    .empty = fake_empty,
    .eoied = fake_eoied,
    .underflow = fake_underflow,
};

const struct vgic_lr_ops *vgic_lr = &fake_ops;

/* ---- host callbacks ---- */

static void host_kick(void *ctx, uint32_t vidx)
{
    FZ_CHECK(vidx < ((struct vgic *)ctx)->nvcpus);
}

static bool resample_line;

static bool host_resample(void *ctx, uint32_t vidx, uint32_t intid, bool line)
{
    FZ_CHECK(vidx < ((struct vgic *)ctx)->nvcpus);
    FZ_CHECK(intid < VGIC_NR_IRQS);
    return resample_line ? line : false;
}

static const struct vgic_host host = {.kick = host_kick, .resample = host_resample};

/* ---- the guest side of a virtual CPU interface ---- */

static void guest_ack(uint32_t v)
{
    int best = -1;
    for (int n = 0; n < NLR; n++)
        if (lrs[v][n].state == VLR_PENDING && (best < 0 || lrs[v][n].prio < lrs[v][best].prio))
            best = n;
    if (best >= 0)
        lrs[v][best].state = VLR_ACTIVE;
}

static void guest_eoi(uint32_t v, uint32_t n)
{
    n %= NLR;
    if (lrs[v][n].state & VLR_ACTIVE)
        lrs[v][n].state &= (uint8_t)~VLR_ACTIVE;
}

/* ---- invariants ---- */

static void check_lrs(struct vgic *vg, uint32_t v)
{
    const struct vgic_vcpu *c = &vg->cpu[v];
    FZ_CHECK(c->lr_used < (1u << NLR));
    for (uint32_t n = 0; n < NLR; n++) {
        if (!(c->lr_used & (1u << n))) {
            FZ_CHECK(!lrs[v][n].state); /* the core leaves nothing behind it does not track */
            continue;
        }
        uint32_t intid = c->lr_intid[n];
        FZ_CHECK(intid < VGIC_NR_IRQS);
        struct vgic_irq *s = vgic_irq(vg, v, intid);
        FZ_CHECK(s && s->in_lr == v + 1);
        for (uint32_t k = n + 1; k < NLR; k++)
            FZ_CHECK(!(c->lr_used & (1u << k)) || c->lr_intid[k] != intid);
    }
}

static bool lr_holds(const struct vgic *vg, uint32_t v, uint32_t intid)
{
    for (uint32_t n = 0; n < NLR; n++)
        if ((vg->cpu[v].lr_used & (1u << n)) && vg->cpu[v].lr_intid[n] == intid)
            return true;
    return false;
}

static void check_irq(struct vgic *vg, uint32_t v, uint32_t intid)
{
    struct vgic_irq *s = vgic_irq(vg, v, intid);
    FZ_CHECK(s);
    if (intid >= 32)
        FZ_CHECK(s->target < vg->nvcpus);
    if (s->in_lr) {
        FZ_CHECK(s->in_lr - 1u < vg->nvcpus);
        FZ_CHECK(lr_holds(vg, s->in_lr - 1u, intid));
    }
}

static void check_all(struct vgic *vg)
{
    for (uint32_t v = 0; v < vg->nvcpus; v++) {
        check_lrs(vg, v);
        for (uint32_t i = 0; i < 32; i++)
            check_irq(vg, v, i);
    }
    for (uint32_t i = 32; i < VGIC_NR_IRQS; i++)
        check_irq(vg, 0, i);
}

/* After a flush of v: what v could take and waits is in a list register, or none is free. */
static void check_flushed(struct vgic *vg, uint32_t v)
{
    if (vg->cpu[v].lr_used == (1u << NLR) - 1)
        return;
    for (uint32_t intid = 0; intid < VGIC_NR_IRQS; intid++) {
        struct vgic_irq *s = vgic_irq(vg, v, intid);
        uint32_t owner = intid < 32 ? v : s->target;
        bool pending = s->latch || (!s->edge && s->line);
        bool group_on = s->group1 ? vg->grp1 : vg->grp0;
        if (owner != v || s->in_lr || !s->enabled || !group_on)
            continue;
        FZ_CHECK(!pending && !s->active);
    }
}

/* ---- the operations ---- */

enum op {
    OP_V3_DIST,
    OP_V3_REDIST,
    OP_V3_SGI,
    OP_V2_DIST,
    OP_INJECT,
    OP_LEVEL,
    OP_FLUSH,
    OP_ACK,
    OP_EOI,
    OP_MAINT,
    OP_SAVE,
    OP_RESET,
    OP_RESAMPLE,
    OP_COUNT
};

static const uint32_t widths[] = {1, 2, 4, 8};

/* Offsets mostly where the registers are, sometimes anywhere. */
static uint64_t reg_offset(struct fz *f, uint64_t span)
{
    uint8_t how = fz_u8(f);
    uint64_t off = fz_u32(f);
    if (how & 1)
        off &= 0x0ffc; /* the banks and the first registers */
    return off % span;
}

static void flush(struct vgic *vg, uint32_t v)
{
    cur = v;
    vgic_flush(vg, v);
    check_flushed(vg, v);
}

static void reset(struct vgic *vg)
{
    for (uint32_t v = 0; v < vg->nvcpus; v++) {
        cur = v;
        vgic_save(vg, v); /* every vCPU off first, as zone.c does */
    }
    vgic_reset(vg);
}

static void step(struct vgic *vg, struct fz *f)
{
    uint8_t op = fz_u8(f) % OP_COUNT;
    uint32_t v = fz_u8(f) % vg->nvcpus;
    uint64_t val = 0;
    bool write;
    switch (op) {
    case OP_V3_DIST:
    case OP_V3_REDIST:
    case OP_V2_DIST: {
        uint64_t span = op == OP_V3_DIST   ? VGIC_DIST_SIZE
                        : op == OP_V2_DIST ? VGIC_V2_DIST_SIZE
                                           : (uint64_t)VGIC_REDIST_FRAME * (MAX_VCPUS + 1);
        uint64_t off = reg_offset(f, span);
        uint32_t width = widths[fz_u8(f) % 4];
        write = fz_u8(f) & 1;
        val = fz_u64(f);
        cur = v;
        if (op == OP_V3_DIST)
            vgic_v3_dist_access(vg, v, off, width, write, &val);
        else if (op == OP_V2_DIST)
            vgic_v2_dist_access(vg, v, off, width, write, &val);
        else
            vgic_v3_redist_access(vg, v, off, width, write, &val);
        break;
    }
    case OP_V3_SGI:
        vgic_v3_send_sgi(vg, v, fz_u64(f));
        break;
    case OP_INJECT:
        vgic_inject(vg, fz_u8(f), fz_u16(f) % 1100);
        break;
    case OP_LEVEL: {
        uint32_t vidx = fz_u8(f);
        uint32_t intid = fz_u16(f) % 1100;
        vgic_set_level(vg, vidx, intid, fz_u8(f) & 1);
        break;
    }
    case OP_FLUSH:
        flush(vg, v);
        break;
    case OP_ACK:
        guest_ack(v);
        break;
    case OP_EOI:
        guest_eoi(v, fz_u8(f));
        break;
    case OP_MAINT:
        cur = v;
        vgic_maintenance(vg, v);
        check_flushed(vg, v);
        break;
    case OP_SAVE:
        cur = v;
        vgic_save(vg, v);
        for (uint32_t n = 0; n < NLR; n++)
            FZ_CHECK(!lrs[v][n].state);
        break;
    case OP_RESET:
        reset(vg);
        break;
    case OP_RESAMPLE:
        resample_line = fz_u8(f) & 1;
        break;
    }
}

static struct vgic zone_a, zone_b;
static uint8_t snap_b[sizeof(struct vgic)];

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct fz f = {data, size};
    memset(lrs, 0, sizeof(lrs));
    memset(underflow, 0, sizeof(underflow));
    resample_line = true;
    vgic_init(&zone_a, NVCPUS, &host, &zone_a);
    vgic_init(&zone_b, 2, &host, &zone_b);
    memcpy(snap_b, &zone_b, sizeof(zone_b));
    for (uint32_t steps = 0; fz_more(&f) && steps < 4096; steps++) {
        step(&zone_a, &f);
        check_all(&zone_a);
        FZ_CHECK(!memcmp(snap_b, &zone_b, sizeof(zone_b)));
    }
    return 0;
}
