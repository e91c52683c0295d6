#include "gic.h"

#include "arch.h"
#include "mmio.h"

/* Distributor (GICD) */
#define GICD_CTLR 0x0000
#define GICD_TYPER 0x0004
#define GICD_IGROUPR 0x0080
#define GICD_ISENABLER 0x0100
#define GICD_ICENABLER 0x0180
#define GICD_ISPENDR 0x0200
#define GICD_ICPENDR 0x0280
#define GICD_IPRIORITYR 0x0400
#define GICD_ICFGR 0x0c00
#define GICD_IROUTER 0x6000

#define GICD_CTLR_ENABLE_GRP1 (1u << 1)
#define GICD_CTLR_ARE (1u << 4)
#define GICD_CTLR_RWP (1u << 31)

/* Redistributor (GICR), RD_base frame */
#define GICR_TYPER 0x0008
#define GICR_WAKER 0x0014
#define GICR_WAKER_PROCESSOR_SLEEP (1u << 1)
#define GICR_WAKER_CHILDREN_ASLEEP (1u << 2)
/* Redistributor SGI_base frame: the SGI/PPI banks, laid out as in the distributor */
#define GICR_SGI_BASE 0x10000

/* GICv2 CPU interface (GICC) and distributor extras */
#define GICC_CTLR 0x0000
#define GICC_PMR 0x0004
#define GICC_BPR 0x0008
#define GICC_IAR 0x000c
#define GICC_EOIR 0x0010
#define GICD_ITARGETSR 0x0800
#define GICV2_ENABLE_GRP0 1u

#define ICC_SRE_SRE 1u
#define INTID_SPURIOUS_FIRST 1020
#define INTID_SPURIOUS_LAST 1023
#define SPI_PRIORITY 0xa0 /* anything below the 0xff PMR is delivered */
#define POLL_LIMIT 1000000
#define MAX_HANDLERS 40 /* the console, and up to 32 for `hostile lr` */

struct irq_slot {
    uint32_t intid;
    irq_handler_fn fn;
};

static struct gic_info gic;
static struct irq_slot handlers[MAX_HANDLERS];

const struct gic_info *gic_get_info(void)
{
    return &gic;
}

static int is_v2(void)
{
    return gic.version == 2;
}

/* Waits for a distributor register write (CTLR, ICENABLER) to take effect (GICv3 only: a GICv2
 * distributor takes writes at once). */
static int gicd_wait_rwp(void)
{
    if (is_v2())
        return 0;
    for (int i = 0; i < POLL_LIMIT; i++) {
        if (!(mmio_read32(gic.gicd + GICD_CTLR) & GICD_CTLR_RWP))
            return 0;
    }
    return -1;
}

/* Marks this CPU's redistributor awake; interrupts are not forwarded while it sleeps. */
static int gicr_wake(void)
{
    uintptr_t waker = gic.gicr + GICR_WAKER;

    mmio_write32(waker, mmio_read32(waker) & ~GICR_WAKER_PROCESSOR_SLEEP);
    for (int i = 0; i < POLL_LIMIT; i++) {
        if (!(mmio_read32(waker) & GICR_WAKER_CHILDREN_ASLEEP))
            return 0;
    }
    return -1;
}

/* Group 1, unmasked priority, no preemption, delivered via system registers. */
static int cpu_interface_init(void)
{
    write_icc_sre_el1(read_icc_sre_el1() | ICC_SRE_SRE);
    isb();
    if (!(read_icc_sre_el1() & ICC_SRE_SRE))
        return -1; /* no system register interface: not a usable GICv3 */
    write_icc_pmr_el1(0xff);
    write_icc_bpr1_el1(0);
    write_icc_igrpen1_el1(1);
    isb();
    return 0;
}

/* GICv2: group 0 (what a GICv2 without security extensions signals as IRQ), everything on. */
static int gicv2_init(void)
{
    uint32_t typer = mmio_read32(gic.gicd + GICD_TYPER);

    gic.lines = 32 * ((typer & 0x1f) + 1);
    if (gic.lines > INTID_SPURIOUS_FIRST)
        gic.lines = INTID_SPURIOUS_FIRST;
    mmio_write32(gic.gicr + GICC_PMR, 0xff);
    mmio_write32(gic.gicr + GICC_BPR, 0);
    mmio_write32(gic.gicr + GICC_CTLR, GICV2_ENABLE_GRP0);
    mmio_write32(gic.gicd + GICD_CTLR, GICV2_ENABLE_GRP0);
    return 0;
}

int gic_init(int version, uint64_t gicd, uint64_t gicr)
{
    uint32_t typer;

    gic.gicd = gicd;
    gic.gicr = gicr;
    gic.version = version;
    if (version == 2)
        return gicv2_init();
    if (cpu_interface_init())
        return -1;
    typer = mmio_read32(gicd + GICD_TYPER);
    gic.lines = 32 * ((typer & 0x1f) + 1);
    if (gic.lines > INTID_SPURIOUS_FIRST)
        gic.lines = INTID_SPURIOUS_FIRST;
    /* Single security state (DS=1): affinity routing on, group 1 forwarding on. */
    mmio_write32(gicd + GICD_CTLR, GICD_CTLR_ARE | GICD_CTLR_ENABLE_GRP1);
    if (gicd_wait_rwp())
        return -1;
    gic.gicr_typer = mmio_read64(gicr + GICR_TYPER);
    return gicr_wake();
}

/* GICv3 only: a GICv2 guest keeps its interrupts in group 0. */
static void set_group1(uint32_t intid)
{
    if (is_v2())
        return;
    uintptr_t reg = gic.gicd + GICD_IGROUPR + 4 * (intid / 32);

    mmio_write32(reg, mmio_read32(reg) | (1u << (intid % 32)));
}

/* IPRIORITYR holds four 8-bit fields; update ours with a 32-bit read-modify-write. */
static void set_priority(uint32_t intid, uint8_t prio)
{
    uintptr_t reg = gic.gicd + GICD_IPRIORITYR + 4 * (intid / 4);
    uint32_t shift = 8 * (intid % 4);
    uint32_t v = mmio_read32(reg);

    v = (v & ~(0xffu << shift)) | ((uint32_t)prio << shift);
    mmio_write32(reg, v);
}

/* ICFGR: two bits per INTID, the upper one selects edge (1) or level (0). */
static void set_trigger(uint32_t intid, int edge)
{
    uintptr_t reg = gic.gicd + GICD_ICFGR + 4 * (intid / 16);
    uint32_t bit = 2u << (2 * (intid % 16));
    uint32_t v = mmio_read32(reg);

    mmio_write32(reg, edge ? (v | bit) : (v & ~bit));
}

static int add_handler(uint32_t intid, irq_handler_fn fn)
{
    for (unsigned i = 0; i < MAX_HANDLERS; i++) {
        if (!handlers[i].fn || handlers[i].intid == intid) {
            handlers[i].intid = intid;
            handlers[i].fn = fn;
            return 0;
        }
    }
    return -1;
}

int gic_enable_spi(uint32_t intid, int edge, irq_handler_fn fn)
{
    uint32_t bit = 1u << (intid % 32);

    if (intid < 32 || intid >= gic.lines || add_handler(intid, fn))
        return -1;
    /* Configuration registers may only be changed while the interrupt is disabled. */
    mmio_write32(gic.gicd + GICD_ICENABLER + 4 * (intid / 32), bit);
    if (gicd_wait_rwp())
        return -1;
    set_group1(intid);
    set_priority(intid, SPI_PRIORITY);
    set_trigger(intid, edge);
    if (is_v2())
        mmio_write32(gic.gicd + GICD_ITARGETSR + (intid & ~3u),
                     (mmio_read32(gic.gicd + GICD_ITARGETSR + (intid & ~3u)) &
                      ~(0xffu << (8 * (intid % 4)))) |
                         (1u << (8 * (intid % 4)))); /* CPU 0 */
    else
        mmio_write64(gic.gicd + GICD_IROUTER + 8 * (uintptr_t)intid, 0); /* affinity 0.0.0.0 */
    mmio_write32(gic.gicd + GICD_ISENABLER + 4 * (intid / 32), bit);
    return 0;
}

int gic_set_spi_priority(uint32_t intid, uint8_t prio)
{
    if (intid < 32 || intid >= gic.lines)
        return -1;
    set_priority(intid, prio);
    return 0;
}

irq_handler_fn gic_set_handler(uint32_t intid, irq_handler_fn fn)
{
    for (unsigned i = 0; i < MAX_HANDLERS; i++) {
        if (handlers[i].fn && handlers[i].intid == intid) {
            irq_handler_fn old = handlers[i].fn;
            handlers[i].fn = fn;
            return old;
        }
    }
    return 0;
}

int gic_set_pending_spis(uint32_t first, uint32_t n)
{
    if (first < 32 || n > 32 || first + n > gic.lines)
        return -1;
    /* One write per 32-bit register: all of them pending in as few steps as possible. */
    for (uint32_t w = first / 32; w <= (first + n - 1) / 32; w++) {
        uint32_t bits = 0;
        for (uint32_t i = first; i < first + n; i++)
            if (i / 32 == w)
                bits |= 1u << (i % 32);
        mmio_write32(gic.gicd + GICD_ISPENDR + 4 * w, bits);
    }
    return 0;
}

static void dispatch(uint32_t intid)
{
    for (unsigned i = 0; i < MAX_HANDLERS; i++) {
        if (handlers[i].fn && handlers[i].intid == intid) {
            handlers[i].fn(intid);
            return;
        }
    }
}

void gic_handle_irq(void)
{
    uint64_t iar = is_v2() ? mmio_read32(gic.gicr + GICC_IAR) : read_icc_iar1_el1();
    uint32_t intid = (uint32_t)(iar & (is_v2() ? 0x3ffu : 0xffffffu));

    if (intid >= INTID_SPURIOUS_FIRST && intid <= INTID_SPURIOUS_LAST)
        return; /* nothing to acknowledge */
    dispatch(intid);
    if (is_v2())
        mmio_write32(gic.gicr + GICC_EOIR, (uint32_t)iar);
    else
        write_icc_eoir1_el1(iar);
}

int gic_enable_ppi(uint32_t intid, irq_handler_fn fn)
{
    if (!gic.gicr || intid < 16 || intid > 31 || add_handler(intid, fn))
        return -1;
    return gic_ppi_wake(intid, 1);
}

int gic_ppi_wake(uint32_t intid, int on)
{
    /* The SGI/PPI banks: in the redistributor's SGI frame (GICv3), or the distributor's first
     * words, banked per CPU (GICv2). */
    uint64_t bank = is_v2() ? gic.gicd : gic.gicr + GICR_SGI_BASE;
    uint32_t bit = 1u << intid;
    uintptr_t prio = bank + GICD_IPRIORITYR + 4 * (intid / 4);
    uint32_t shift = 8 * (intid % 4);

    if (!gic.gicr || intid < 16 || intid > 31)
        return -1;
    if (!on) {
        mmio_write32(bank + GICD_ICENABLER, bit);
        mmio_write32(bank + GICD_ICPENDR, bit);
        return 0;
    }
    if (!is_v2())
        mmio_write32(bank + GICD_IGROUPR, mmio_read32(bank + GICD_IGROUPR) | bit);
    mmio_write32(prio, (mmio_read32(prio) & ~(0xffu << shift)) | ((uint32_t)SPI_PRIORITY << shift));
    mmio_write32(bank + GICD_ISENABLER, bit);
    return 0;
}
