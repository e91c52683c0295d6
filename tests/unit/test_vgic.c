/*
 * The vGIC core (hypervisor/vgic.c) and its GICv3 distributor front-end (vgic_v3.c), over a fake
 * list-register back-end that behaves as the architecture says a virtual CPU interface does:
 * the guest acknowledges the most urgent pending list register, and deactivating one that asked
 * for EOI leaves it empty with its EISR bit set (ELRSR stays clear), else it is just empty.
 * The defects of issue 7 item 4 each have a test here: list registers filled in INTID order,
 * level interrupts not pended again after EOI, list-register contents lost on CPU_OFF.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>

#include <cmocka.h>

#include "hypervisor/vgic.h"
#include "hypervisor/vgic_lr.h"
#include "hypervisor/vgic_v2.h"
#include "hypervisor/vgic_v3.h"

#define NLR 4
#define SPI0 64
#define GICD_ISENABLER 0x100
#define GICD_ISPENDR 0x200
#define GICD_IGROUPR 0x80
#define GICD_IPRIORITYR 0x400
#define GICD_ICFGR 0xc00
#define GICD_IROUTER 0x6000
#define GICD_CTLR 0x0
#define NO_IRQ 1023u

/* ---- the fake virtual CPU interface of "this CPU" ---- */

static struct vgic_lr lrs[NLR];
static bool underflow_on;

static uint32_t fake_count(void)
{
    return NLR;
}

static void fake_read(uint32_t n, struct vgic_lr *lr)
{
    *lr = lrs[n];
}

static void fake_write(uint32_t n, const struct vgic_lr *lr)
{
    lrs[n] = *lr;
    if (!lr->state)
        lrs[n].eoi = false; /* an empty write clears the whole register */
}

static uint32_t fake_empty(void)
{
    uint32_t m = 0;
    for (uint32_t n = 0; n < NLR; n++)
        m |= (uint32_t)(!lrs[n].state && !lrs[n].eoi) << n;
    return m;
}

static uint32_t fake_eoied(void)
{
    uint32_t m = 0;
    for (uint32_t n = 0; n < NLR; n++)
        m |= (uint32_t)(!lrs[n].state && lrs[n].eoi) << n;
    return m;
}

static void fake_underflow(bool on)
{
    underflow_on = on;
}

static const struct vgic_lr_ops fake_ops = {
    .count = fake_count,
    .read = fake_read,
    .write = fake_write,
    .empty = fake_empty,
    .eoied = fake_eoied,
    .underflow = fake_underflow,
};

/* The guest's ICC_IAR1_EL1: the most urgent pending list register becomes active. */
static uint32_t guest_ack(void)
{
    int best = -1;
    for (int n = 0; n < NLR; n++) {
        if (lrs[n].state != VLR_PENDING)
            continue;
        if (best < 0 || lrs[n].prio < lrs[best].prio)
            best = n;
    }
    if (best < 0)
        return NO_IRQ;
    lrs[best].state = VLR_ACTIVE;
    return lrs[best].intid;
}

/* The guest's EOI (with EOImode 0 also the deactivation). */
static void guest_eoi(uint32_t intid)
{
    for (int n = 0; n < NLR; n++) {
        if (lrs[n].state & VLR_ACTIVE && lrs[n].intid == intid) {
            lrs[n].state &= (uint8_t)~VLR_ACTIVE;
            return;
        }
    }
    fail_msg("EOI of %u, which no list register holds active", intid);
}

static uint32_t valid_lrs(void)
{
    uint32_t k = 0;
    for (int n = 0; n < NLR; n++)
        k += lrs[n].state != 0;
    return k;
}

/* ---- host callbacks ---- */

static uint32_t kicks[MAX_VCPUS];
static uint32_t resamples;
static bool resample_line = true; /* what the device says when asked */
static bool resample_ask_device;

static void host_kick(void *ctx, uint32_t vidx)
{
    (void)ctx;
    assert_true(vidx < MAX_VCPUS);
    kicks[vidx]++;
}

static bool host_resample(void *ctx, uint32_t vidx, uint32_t intid, bool line)
{
    (void)ctx;
    (void)vidx;
    (void)intid;
    resamples++;
    return resample_ask_device ? resample_line : line;
}

static const struct vgic_host host = {.kick = host_kick, .resample = host_resample};

const struct vgic_lr_ops *vgic_lr = &fake_ops;

static struct vgic vg;

static void dist_write(uint64_t off, uint32_t width, uint64_t v)
{
    assert_true(vgic_v3_dist_access(&vg, 0, off, width, true, &v));
}

static uint64_t dist_read(uint64_t off, uint32_t width)
{
    uint64_t v = 0;
    assert_true(vgic_v3_dist_access(&vg, 0, off, width, false, &v));
    return v;
}

/* SPI intid enabled, group 1, priority prio, edge or level, routed to vCPU target. */
static void spi_setup(uint32_t intid, uint8_t prio, bool edge, uint32_t target)
{
    uint32_t cfg = (uint32_t)dist_read(GICD_ICFGR + 4 * (intid / 16), 4);
    uint32_t bit = 2u << (2 * (intid % 16));
    dist_write(GICD_ICFGR + 4 * (intid / 16), 4, edge ? (cfg | bit) : (cfg & ~bit));
    dist_write(GICD_IGROUPR + 4 * (intid / 32), 4,
               dist_read(GICD_IGROUPR + 4 * (intid / 32), 4) | (1u << (intid % 32)));
    dist_write(GICD_IPRIORITYR + intid, 1, prio);
    dist_write(GICD_IROUTER + 8 * intid, 8, target);
    dist_write(GICD_ISENABLER + 4 * (intid / 32), 4, 1u << (intid % 32));
}

static int setup(void **state)
{
    (void)state;
    memset(lrs, 0, sizeof(lrs));
    memset(kicks, 0, sizeof(kicks));
    underflow_on = false;
    resamples = 0;
    resample_ask_device = false;
    resample_line = true;
    vgic_init(&vg, 2, &host, 0);
    dist_write(GICD_CTLR, 4, (1u << 4) | (1u << 1)); /* ARE, group 1 enabled */
    return 0;
}

/* The guest takes interrupts one at a time as long as any arrives, with the hypervisor running
 * the maintenance interrupt whenever underflow is asked for and at most one list register is
 * valid, as the hardware would. Returns how many were taken; their INTIDs in order[]. */
static uint32_t guest_take_all(uint32_t *order, uint32_t max)
{
    uint32_t k = 0;
    vgic_flush(&vg, 0);
    for (uint32_t guard = 0; guard < 1000; guard++) {
        uint32_t intid = guest_ack();
        if (intid == NO_IRQ)
            return k;
        if (k < max)
            order[k] = intid;
        k++;
        guest_eoi(intid);
        if (fake_eoied() || (underflow_on && valid_lrs() <= 1))
            vgic_maintenance(&vg, 0);
    }
    fail_msg("the guest never ran out of interrupts");
    return k;
}

/* 12 SPIs pending at once, each more urgent than the one before: the list registers get the
 * four most urgent, and refills keep the order, so the guest takes them most urgent first. The
 * old code filled by INTID and the guest took 67, 66, 65, 64, 70, ... */
static void test_priority_order_across_refills(void **state)
{
    (void)state;
    uint32_t order[16];
    for (uint32_t i = 0; i < 12; i++)
        spi_setup(SPI0 + i, (uint8_t)(0xf0 - 8 * i), true, 0);
    dist_write(GICD_ISPENDR + 4 * (SPI0 / 32), 4, 0xfffu);
    vgic_flush(&vg, 0);
    for (int n = 0; n < NLR; n++)
        assert_true(lrs[n].intid >= SPI0 + 8); /* the four most urgent */
    assert_true(underflow_on);
    assert_int_equal(guest_take_all(order, 16), 12);
    for (uint32_t i = 0; i < 12; i++)
        assert_int_equal(order[i], SPI0 + 11 - i);
    assert_false(underflow_on);
}

/* A more urgent interrupt arriving when every list register holds a less urgent pending one
 * evicts the least urgent, which stays pending and is delivered later. */
static void test_eviction_keeps_the_evicted_pending(void **state)
{
    (void)state;
    uint32_t order[8];
    for (uint32_t i = 0; i < 5; i++)
        spi_setup(SPI0 + i, (uint8_t)(0x80 + 8 * i), true, 0); /* SPI0 most urgent */
    for (uint32_t i = 1; i < 5; i++)
        vgic_inject(&vg, 0, SPI0 + i);
    vgic_flush(&vg, 0);
    assert_int_equal(valid_lrs(), 4);
    assert_false(underflow_on);
    vgic_inject(&vg, 0, SPI0);
    vgic_flush(&vg, 0);
    bool held0 = false, held4 = false;
    for (int n = 0; n < NLR; n++) {
        held0 |= lrs[n].state && lrs[n].intid == SPI0;
        held4 |= lrs[n].state && lrs[n].intid == SPI0 + 4;
    }
    assert_true(held0);
    assert_false(held4);
    assert_true(underflow_on);
    assert_int_equal(guest_take_all(order, 8), 5);
    for (uint32_t i = 0; i < 5; i++)
        assert_int_equal(order[i], SPI0 + i);
}

/* A level interrupt EOId while its line is still high is pending again at once (the old code
 * delivered it once per rising edge); once the line drops, it is not. */
static void test_level_pends_again_while_high(void **state)
{
    (void)state;
    spi_setup(SPI0, 0xa0, false, 0);
    vgic_set_level(&vg, 0, SPI0, true);
    for (int round = 0; round < 3; round++) {
        vgic_flush(&vg, 0);
        assert_int_equal(guest_ack(), SPI0);
        guest_eoi(SPI0);
        assert_true(fake_eoied() != 0); /* asked for EOI: the hypervisor hears of it */
        vgic_maintenance(&vg, 0);
        assert_int_equal(valid_lrs(), 1); /* back, pending */
    }
    assert_int_equal(resamples, 3);
    assert_int_equal(guest_ack(), SPI0);
    vgic_set_level(&vg, 0, SPI0, false); /* the guest acknowledged the device */
    guest_eoi(SPI0);
    vgic_maintenance(&vg, 0);
    assert_int_equal(valid_lrs(), 0);
    assert_int_equal(guest_ack(), NO_IRQ);
}

/* A level interrupt whose line drops before the guest takes it is withdrawn from its list
 * register. */
static void test_level_withdrawn_when_line_drops(void **state)
{
    (void)state;
    spi_setup(SPI0, 0xa0, false, 0);
    vgic_set_level(&vg, 0, SPI0, true);
    vgic_flush(&vg, 0);
    assert_int_equal(valid_lrs(), 1);
    vgic_set_level(&vg, 0, SPI0, false);
    vgic_flush(&vg, 0);
    assert_int_equal(valid_lrs(), 0);
    assert_int_equal(dist_read(GICD_ISPENDR + 4 * (SPI0 / 32), 4), 0);
}

/* The device decides at deactivation (the virtual timer re-arms and reports its line low). */
static void test_resample_lowers_the_line(void **state)
{
    (void)state;
    resample_ask_device = true;
    resample_line = false;
    spi_setup(SPI0, 0xa0, false, 0);
    vgic_set_level(&vg, 0, SPI0, true);
    vgic_flush(&vg, 0);
    assert_int_equal(guest_ack(), SPI0);
    guest_eoi(SPI0);
    vgic_maintenance(&vg, 0);
    assert_int_equal(resamples, 1);
    assert_int_equal(valid_lrs(), 0);
}

/* CPU_OFF with one interrupt active and others pending in list registers: nothing is lost. The
 * old code emptied the list registers and forgot them. */
static void test_save_keeps_pending_and_active(void **state)
{
    (void)state;
    spi_setup(SPI0, 0x80, true, 0);
    spi_setup(SPI0 + 1, 0x90, true, 0);
    spi_setup(SPI0 + 2, 0xa0, false, 0);
    vgic_inject(&vg, 0, SPI0);
    vgic_inject(&vg, 0, SPI0 + 1);
    vgic_set_level(&vg, 0, SPI0 + 2, true);
    vgic_flush(&vg, 0);
    assert_int_equal(guest_ack(), SPI0); /* active when the vCPU goes off */
    vgic_save(&vg, 0);
    assert_int_equal(valid_lrs(), 0);
    assert_int_equal(dist_read(0x300 + 4 * (SPI0 / 32), 4) & 7u, 1u); /* ISACTIVER */
    assert_int_equal(dist_read(GICD_ISPENDR + 4 * (SPI0 / 32), 4) & 7u, 6u);
    /* On again: all three back in list registers, the active one still active. */
    vgic_flush(&vg, 0);
    assert_int_equal(valid_lrs(), 3);
    guest_eoi(SPI0);
    uint32_t order[4];
    vgic_set_level(&vg, 0, SPI0 + 2, false);
    assert_int_equal(guest_take_all(order, 4), 1);
    assert_int_equal(order[0], SPI0 + 1);
}

/* An SPI routed to vCPU 1 kicks vCPU 1 and never lands in vCPU 0's list registers. */
static void test_routing(void **state)
{
    (void)state;
    spi_setup(SPI0, 0xa0, true, 1);
    uint32_t before = kicks[1];
    vgic_inject(&vg, 0, SPI0);
    assert_int_equal(kicks[1], before + 1);
    vgic_flush(&vg, 0);
    assert_int_equal(valid_lrs(), 0);
    /* Routed to a vCPU that does not exist: vCPU 0. */
    dist_write(GICD_IROUTER + 8 * SPI0, 8, 7);
    vgic_flush(&vg, 0);
    assert_int_equal(valid_lrs(), 1);
}

/* Out-of-range INTIDs and vCPU indexes are ignored. */
static void test_out_of_range(void **state)
{
    (void)state;
    vgic_inject(&vg, 0, VGIC_NR_IRQS);
    vgic_inject(&vg, 5, 3);
    vgic_set_level(&vg, 9, 20, true);
    vgic_set_level(&vg, 0, 5000, true);
    vgic_flush(&vg, 7);
    vgic_maintenance(&vg, 7);
    vgic_save(&vg, 7);
    vgic_flush(&vg, 0);
    assert_int_equal(valid_lrs(), 0);
    assert_null(vgic_irq(&vg, 2, 0));
    assert_null(vgic_irq(&vg, 0, VGIC_NR_IRQS));
}

/* A disabled pending edge interrupt stays pending (recalled from its list register) and is
 * delivered once enabled again. */
static void test_disable_recalls_but_keeps_pending(void **state)
{
    (void)state;
    spi_setup(SPI0, 0xa0, true, 0);
    vgic_inject(&vg, 0, SPI0);
    vgic_flush(&vg, 0);
    assert_int_equal(valid_lrs(), 1);
    dist_write(0x180 + 4 * (SPI0 / 32), 4, 1u << (SPI0 % 32)); /* ICENABLER */
    vgic_flush(&vg, 0);
    assert_int_equal(valid_lrs(), 0);
    assert_int_equal(guest_ack(), NO_IRQ);
    dist_write(GICD_ISENABLER + 4 * (SPI0 / 32), 4, 1u << (SPI0 % 32));
    uint32_t order[2];
    assert_int_equal(guest_take_all(order, 2), 1);
    assert_int_equal(order[0], SPI0);
}

/* Group 0 (a GICv2 guest's) is delivered under the group 0 enable, in a group 0 list register;
 * group 1 waits for its own enable. */
static void test_groups(void **state)
{
    (void)state;
    dist_write(GICD_CTLR, 4, 1u << 4);                /* both groups off */
    spi_setup(SPI0, 0xa0, true, 0);                   /* group 1 */
    dist_write(GICD_IGROUPR + 4 * (SPI0 / 32), 4, 0); /* now group 0 */
    spi_setup(SPI0 + 1, 0xa0, true, 0);               /* group 1 */
    vgic_inject(&vg, 0, SPI0);
    vgic_inject(&vg, 0, SPI0 + 1);
    vgic_flush(&vg, 0);
    assert_int_equal(valid_lrs(), 0);
    dist_write(GICD_CTLR, 4, (1u << 4) | 1u); /* group 0 on */
    vgic_flush(&vg, 0);
    assert_int_equal(valid_lrs(), 1);
    assert_int_equal(lrs[0].intid, SPI0);
    assert_false(lrs[0].group1);
    dist_write(GICD_CTLR, 4, (1u << 4) | 3u);
    vgic_flush(&vg, 0);
    assert_int_equal(valid_lrs(), 2);
    assert_true(lrs[1].group1);
}

/* ---- the GICv2 distributor front-end ---- */

static void v2_write(uint32_t self, uint64_t off, uint32_t width, uint64_t v)
{
    assert_true(vgic_v2_dist_access(&vg, self, off, width, true, &v));
}

static uint64_t v2_read(uint32_t self, uint64_t off, uint32_t width)
{
    uint64_t v = 0;
    assert_true(vgic_v2_dist_access(&vg, self, off, width, false, &v));
    return v;
}

/* ITARGETSR: SGIs and PPIs read as the accessing vCPU's own bit; an SPI's mask is cut to the
 * zone's vCPUs (2 here) and routes it to the lowest of them. */
static void test_v2_itargetsr(void **state)
{
    (void)state;
    v2_write(0, 0x000, 4, 1); /* group 0 on */
    assert_int_equal(v2_read(0, 0x800, 4), 0x01010101);
    assert_int_equal(v2_read(1, 0x81c, 4), 0x02020202);
    v2_write(0, 0x800 + SPI0, 1, 0xfe); /* vCPU 1 and CPUs the zone does not have */
    assert_int_equal(v2_read(0, 0x800 + SPI0, 1), 0x02);
    dist_write(GICD_ISENABLER + 4 * (SPI0 / 32), 4, 1u << (SPI0 % 32));
    uint32_t before = kicks[1];
    vgic_inject(&vg, 0, SPI0);
    assert_int_equal(kicks[1], before + 1);
    vgic_flush(&vg, 0);
    assert_int_equal(valid_lrs(), 0);                       /* vCPU 1's, not ours */
    assert_int_equal(v2_read(0, 0x004, 4) & 0xe0, 1u << 5); /* TYPER.CPUNumber: 2 CPUs */
    assert_false(vgic_v2_dist_access(&vg, 2, 0x0, 4, false, &(uint64_t){0})); /* no vCPU 2 */
}

/* GICD_SGIR: list, all-but-self and self filters, only ever the zone's own vCPUs. */
static void test_v2_sgir(void **state)
{
    (void)state;
    v2_write(0, 0x000, 4, 1);
    v2_write(0, 0x100, 4, 0xffff); /* SGIs enabled, group 0 */
    v2_write(1, 0x100, 4, 0xffff);
    v2_write(0, 0xf00, 4, (0xffu << 16) | 3); /* list: every CPU, vCPU 0 and 1 exist */
    assert_int_equal(v2_read(0, 0x200, 4) & 0xffff, 1u << 3);
    assert_int_equal(v2_read(1, 0x200, 4) & 0xffff, 1u << 3);
    v2_write(1, 0xf00, 4, (1u << 24) | 5); /* all but self: vCPU 0 */
    assert_int_equal(v2_read(0, 0x200, 4) & 0xffff, (1u << 3) | (1u << 5));
    assert_int_equal(v2_read(1, 0x200, 4) & 0xffff, 1u << 3);
    v2_write(1, 0xf00, 4, (2u << 24) | 7); /* self */
    assert_int_equal(v2_read(1, 0x200, 4) & 0xffff, (1u << 3) | (1u << 7));
    v2_write(0, 0xf00, 4, (3u << 24) | 9); /* reserved filter: nothing */
    assert_int_equal(v2_read(0, 0x200, 4) & (1u << 9), 0);
    vgic_flush(&vg, 0);
    assert_int_equal(valid_lrs(), 2);
    assert_false(lrs[0].group1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(test_priority_order_across_refills, setup),
        cmocka_unit_test_setup(test_eviction_keeps_the_evicted_pending, setup),
        cmocka_unit_test_setup(test_level_pends_again_while_high, setup),
        cmocka_unit_test_setup(test_level_withdrawn_when_line_drops, setup),
        cmocka_unit_test_setup(test_resample_lowers_the_line, setup),
        cmocka_unit_test_setup(test_save_keeps_pending_and_active, setup),
        cmocka_unit_test_setup(test_routing, setup),
        cmocka_unit_test_setup(test_out_of_range, setup),
        cmocka_unit_test_setup(test_disable_recalls_but_keeps_pending, setup),
        cmocka_unit_test_setup(test_groups, setup),
        cmocka_unit_test_setup(test_v2_itargetsr, setup),
        cmocka_unit_test_setup(test_v2_sgir, setup),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
