/* GICv3 driver for EL2: we own the physical interrupts and feed guests through list registers. */
#include "drivers/gicv3.h"
#include "arch/asm.h"
#include "arch/sysreg.h"

#define GICD_CTLR 0x0000
#define GICD_IGROUPR 0x0080
#define GICD_ISENABLER 0x0100
#define GICD_ICENABLER 0x0180
#define GICD_IPRIORITYR 0x0400
#define GICD_IROUTER 0x6000
#define GICD_TYPER 0x0004
#define GICD_CTLR_RWP (1u << 31)
#define GICD_CTLR_ARE (1u << 4)
#define GICD_CTLR_GRP1 (1u << 1)

#define GICR_FRAME 0x20000
#define GICR_TYPER 0x0008
#define GICR_WAKER 0x0014
#define GICR_SGI 0x10000
#define GICR_TYPER_LAST (1ULL << 4)
#define WAKER_PSLEEP (1u << 1)
#define WAKER_CASLEEP (1u << 2)

#define DEFAULT_PRIO GIC_PRIO_DEFAULT

static uint64_t gicd;
static uint64_t gicr;
static uint64_t rd_base[MAX_CPUS];

static inline uint32_t rd32(uint64_t a)
{
    return *(volatile uint32_t *)a;
}
static inline void wr32(uint64_t a, uint32_t v)
{
    *(volatile uint32_t *)a = v;
}
static inline uint64_t rd64(uint64_t a)
{
    return *(volatile uint64_t *)a;
}
static inline void wr64(uint64_t a, uint64_t v)
{
    *(volatile uint64_t *)a = v;
}

static void dist_wait_rwp(void)
{
    while (rd32(gicd + GICD_CTLR) & GICD_CTLR_RWP)
        ;
}

void gicv3_init_dist(uint64_t gicd_base, uint64_t gicr_base)
{
    gicd = gicd_base;
    gicr = gicr_base;
    wr32(gicd + GICD_CTLR, 0);
    dist_wait_rwp();
    uint32_t lines = ((rd32(gicd + GICD_TYPER) & 0x1f) + 1) * 32;
    for (uint32_t i = 32; i < lines; i += 32) {
        wr32(gicd + GICD_ICENABLER + i / 8, 0xffffffff);
        wr32(gicd + GICD_IGROUPR + i / 8, 0xffffffff);
    }
    for (uint32_t i = 32; i < lines; i += 4)
        wr32(gicd + GICD_IPRIORITYR + i, DEFAULT_PRIO * 0x01010101u);
    /* Single security state (QEMU virt, most EL2-entered boards): group 1, affinity routing. */
    wr32(gicd + GICD_CTLR, GICD_CTLR_ARE | GICD_CTLR_GRP1);
    dist_wait_rwp();
}

static uint64_t find_redist(uint64_t mpidr)
{
    uint64_t aff = (mpidr & 0xffffff) | ((mpidr >> 8) & 0xff000000ULL);
    for (uint64_t f = gicr;; f += GICR_FRAME) {
        uint64_t typer = rd64(f + GICR_TYPER);
        if ((typer >> 32) == aff)
            return f;
        if (typer & GICR_TYPER_LAST)
            return 0;
    }
}

void gicv3_init_cpu(uint32_t cpu, uint64_t mpidr)
{
    uint64_t rd = find_redist(mpidr);
    rd_base[cpu] = rd;
    if (rd) {
        wr32(rd + GICR_WAKER, rd32(rd + GICR_WAKER) & ~WAKER_PSLEEP);
        while (rd32(rd + GICR_WAKER) & WAKER_CASLEEP)
            ;
        wr32(rd + GICR_SGI + GICD_ICENABLER, 0xffffffff);
        wr32(rd + GICR_SGI + GICD_IGROUPR, 0xffffffff);
        for (uint32_t i = 0; i < 32; i += 4)
            wr32(rd + GICR_SGI + GICD_IPRIORITYR + i, DEFAULT_PRIO * 0x01010101u);
    }
    /* System register interface at EL2, and let EL1 use it too (virtual interface). */
    write_sysreg(ICC_SRE_EL2, read_sysreg(ICC_SRE_EL2) | 0x9);
    isb();
    write_sysreg(ICC_PMR_EL1, 0xff);
    write_sysreg(ICC_BPR1_EL1, 0);
    write_sysreg(ICC_CTLR_EL1, 0); /* EOImode 0: EOIR drops priority and deactivates */
    write_sysreg(ICC_IGRPEN1_EL1, 1);
    isb();
}

void gicv3_enable_spi(uint32_t intid, uint64_t target_mpidr)
{
    /* IROUTER uses MPIDR's own affinity layout (Aff3 at [39:32]). */
    wr64(gicd + GICD_IROUTER + 8ULL * intid, target_mpidr & 0xff00ffffffULL);
    wr32(gicd + GICD_ISENABLER + (intid / 32) * 4, 1u << (intid % 32));
}

void gicv3_enable_ppi(uint32_t cpu, uint32_t intid)
{
    if (rd_base[cpu])
        wr32(rd_base[cpu] + GICR_SGI + GICD_ISENABLER, 1u << intid);
}

void gicv3_set_ppi_priority(uint32_t cpu, uint32_t intid, uint8_t prio)
{
    if (!rd_base[cpu] || intid >= 32)
        return;
    /* IPRIORITYR is byte-accessible (GICv3 architecture, 12.9.x): one byte per interrupt. */
    *(volatile uint8_t *)(uintptr_t)(rd_base[cpu] + GICR_SGI + GICD_IPRIORITYR + intid) = prio;
}

uint32_t gicv3_ack(void)
{
    uint32_t v = (uint32_t)read_sysreg(ICC_IAR1_EL1) & 0xffffff;
    dsb(sy); /* device state the interrupt announces is read after the acknowledge */
    return v;
}

void gicv3_eoi(uint32_t intid)
{
    write_sysreg(ICC_EOIR1_EL1, intid);
    isb();
}

void gicv3_send_sgi(uint64_t target_mpidr, uint32_t sgi)
{
    uint64_t v = ((target_mpidr >> 32 & 0xff) << 48) | ((target_mpidr >> 16 & 0xff) << 32) |
                 ((target_mpidr >> 8 & 0xff) << 16) | ((uint64_t)(sgi & 0xf) << 24) |
                 (1ULL << (target_mpidr & 0xf));
    dsb(ish); /* what the target will read must be visible before the SGI arrives */
    write_sysreg(ICC_SGI1R_EL1, v);
    isb();
}

uint32_t gicv3_num_lrs(void)
{
    return (uint32_t)(read_sysreg(ICH_VTR_EL2) & 0x1f) + 1;
}

#define LR_CASE(n, crm, op2)                                                                       \
    case n:                                                                                        \
        if (write)                                                                                 \
            write_sysreg(S3_4_C12_##crm##_##op2, v);                                               \
        else                                                                                       \
            v = read_sysreg(S3_4_C12_##crm##_##op2);                                               \
        break

static uint64_t lr_access(uint32_t n, bool write, uint64_t v)
{
    switch (n) {
        LR_CASE(0, C12, 0);
        LR_CASE(1, C12, 1);
        LR_CASE(2, C12, 2);
        LR_CASE(3, C12, 3);
        LR_CASE(4, C12, 4);
        LR_CASE(5, C12, 5);
        LR_CASE(6, C12, 6);
        LR_CASE(7, C12, 7);
        LR_CASE(8, C13, 0);
        LR_CASE(9, C13, 1);
        LR_CASE(10, C13, 2);
        LR_CASE(11, C13, 3);
        LR_CASE(12, C13, 4);
        LR_CASE(13, C13, 5);
        LR_CASE(14, C13, 6);
        LR_CASE(15, C13, 7);
    }
    return v;
}

uint64_t gicv3_read_lr(uint32_t n)
{
    return lr_access(n, false, 0);
}

void gicv3_write_lr(uint32_t n, uint64_t v)
{
    lr_access(n, true, v);
}

uint32_t gicv3_eoi_lrs(void)
{
    return (uint32_t)read_sysreg(ICH_EISR_EL2);
}

uint32_t gicv3_empty_lrs(void)
{
    return (uint32_t)read_sysreg(ICH_ELRSR_EL2);
}

void gicv3_set_underflow_irq(bool on)
{
    uint64_t h = read_sysreg(ICH_HCR_EL2);
    h = on ? (h | ICH_HCR_UIE) : (h & ~ICH_HCR_UIE);
    write_sysreg(ICH_HCR_EL2, h);
}

void gicv3_vcpu_reset(void)
{
    uint32_t n = gicv3_num_lrs();
    for (uint32_t i = 0; i < n; i++)
        gicv3_write_lr(i, 0);
    write_sysreg(ICH_AP0R0_EL2, 0);
    write_sysreg(ICH_AP1R0_EL2, 0);
    write_sysreg(ICH_VMCR_EL2, 0);
    write_sysreg(ICH_HCR_EL2, ICH_HCR_EN);
    isb();
}

void gicv3_vcpu_off(void)
{
    gicv3_vcpu_reset();
    write_sysreg(ICH_HCR_EL2, 0);
    isb();
}
