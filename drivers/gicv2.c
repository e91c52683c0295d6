/* GICv2 driver for EL2 (GICv2 architecture spec, chapters 4 and 5): we own the physical
 * interrupts and feed guests through the GICH list registers; guests reach the virtual CPU
 * interface (GICV) directly, mapped at their GICC address by stage 2. */
#include "drivers/gicv2.h"
#include "arch/asm.h"
#include "arch/sysreg.h"

#define GICD_CTLR 0x000
#define GICD_TYPER 0x004
#define GICD_ISENABLER 0x100
#define GICD_ICENABLER 0x180
#define GICD_ICPENDR 0x280
#define GICD_IPRIORITYR 0x400
#define GICD_ITARGETSR 0x800
#define GICD_SGIR 0xf00
#define GICD_CTLR_ENABLE 3u /* both groups; a non-secure view has only bit 0, group 1 */

#define GICC_CTLR 0x000
#define GICC_PMR 0x004
#define GICC_BPR 0x008
#define GICC_IAR 0x00c
#define GICC_EOIR 0x010
#define GICC_CTLR_ENABLE 3u
#define GICC_IAR_INTID 0x3ffu

#define GICH_HCR 0x000
#define GICH_VTR 0x004
#define GICH_VMCR 0x008
#define GICH_EISR0 0x020
#define GICH_ELRSR0 0x030
#define GICH_APR 0x0f0
#define GICH_LR0 0x100
#define GICH_HCR_EN (1u << 0)
#define GICH_HCR_UIE (1u << 1)

#define DEFAULT_PRIO GIC_PRIO_DEFAULT

static uint64_t gicd, gicc, gich;
/* Each CPU's bit in ITARGETSR and GICD_SGIR, as the distributor numbers CPU interfaces (not
 * necessarily our CPU indexes: read from the banked ITARGETSR0 by each CPU). */
static uint8_t cpu_bit[MAX_CPUS];

static inline uint32_t rd32(uint64_t a)
{
    return *(volatile uint32_t *)a;
}
static inline void wr32(uint64_t a, uint32_t v)
{
    *(volatile uint32_t *)a = v;
}
static inline uint8_t rd8(uint64_t a)
{
    return *(volatile uint8_t *)a;
}
static inline void wr8(uint64_t a, uint8_t v)
{
    *(volatile uint8_t *)a = v;
}

void gicv2_init_dist(uint64_t gicd_base, uint64_t gicc_base, uint64_t gich_base)
{
    gicd = gicd_base;
    gicc = gicc_base;
    gich = gich_base;
    wr32(gicd + GICD_CTLR, 0);
    uint32_t lines = ((rd32(gicd + GICD_TYPER) & 0x1f) + 1) * 32;
    for (uint32_t i = 32; i < lines; i += 32) {
        wr32(gicd + GICD_ICENABLER + i / 8, 0xffffffff);
        wr32(gicd + GICD_ICPENDR + i / 8, 0xffffffff);
    }
    for (uint32_t i = 32; i < lines; i += 4)
        wr32(gicd + GICD_IPRIORITYR + i, DEFAULT_PRIO * 0x01010101u);
    /* Groups are left as the firmware set them: with security extensions, a non-secure EL2
     * cannot change them (the Raspberry Pi's stub makes everything group 1); without, all are
     * group 0 and signalled as IRQ. Either way the enables below cover them. */
    wr32(gicd + GICD_CTLR, GICD_CTLR_ENABLE);
}

void gicv2_init_cpu(uint32_t cpu)
{
    if (cpu < MAX_CPUS)
        cpu_bit[cpu] = rd8(gicd + GICD_ITARGETSR); /* SGI 0's target byte reads as "me" */
    wr32(gicd + GICD_ICENABLER, 0xffffffff);
    for (uint32_t i = 0; i < 32; i += 4)
        wr32(gicd + GICD_IPRIORITYR + i, DEFAULT_PRIO * 0x01010101u);
    wr32(gicc + GICC_PMR, 0xff);
    wr32(gicc + GICC_BPR, 0);
    wr32(gicc + GICC_CTLR, GICC_CTLR_ENABLE); /* EOImode 0: EOIR drops and deactivates */
    gicv2_vcpu_reset();
}

void gicv2_enable_spi(uint32_t intid, uint32_t cpu)
{
    wr8(gicd + GICD_ITARGETSR + intid, cpu < MAX_CPUS ? cpu_bit[cpu] : 1);
    wr32(gicd + GICD_ISENABLER + (intid / 32) * 4, 1u << (intid % 32));
}

void gicv2_enable_ppi(uint32_t cpu, uint32_t intid)
{
    (void)cpu; /* banked: the calling CPU's own */
    wr32(gicd + GICD_ISENABLER, 1u << intid);
}

void gicv2_set_ppi_priority(uint32_t cpu, uint32_t intid, uint8_t prio)
{
    (void)cpu;
    if (intid < 32)
        wr8(gicd + GICD_IPRIORITYR + intid, prio); /* byte-accessible, banked below 32 */
}

uint32_t gicv2_ack(void)
{
    uint32_t v = rd32(gicc + GICC_IAR);
    dsb(sy); /* device state the interrupt announces is read after the acknowledge */
    return v;
}

void gicv2_eoi(uint32_t iar)
{
    wr32(gicc + GICC_EOIR, iar);
}

void gicv2_send_sgi(uint32_t cpu, uint32_t sgi)
{
    dsb(ish); /* what the target will read must be visible before the SGI arrives */
    wr32(gicd + GICD_SGIR, ((uint32_t)(cpu < MAX_CPUS ? cpu_bit[cpu] : 0) << 16) | (sgi & 0xf));
}

uint32_t gicv2_num_lrs(void)
{
    return (rd32(gich + GICH_VTR) & 0x3f) + 1;
}

uint32_t gicv2_read_lr(uint32_t n)
{
    return rd32(gich + GICH_LR0 + 4 * n);
}

void gicv2_write_lr(uint32_t n, uint32_t v)
{
    wr32(gich + GICH_LR0 + 4 * n, v);
}

uint32_t gicv2_empty_lrs(void)
{
    return rd32(gich + GICH_ELRSR0);
}

uint32_t gicv2_eoi_lrs(void)
{
    return rd32(gich + GICH_EISR0);
}

void gicv2_set_underflow_irq(bool on)
{
    uint32_t h = rd32(gich + GICH_HCR);
    wr32(gich + GICH_HCR, on ? (h | GICH_HCR_UIE) : (h & ~GICH_HCR_UIE));
}

void gicv2_vcpu_reset(void)
{
    uint32_t n = gicv2_num_lrs();
    for (uint32_t i = 0; i < n; i++)
        gicv2_write_lr(i, 0);
    wr32(gich + GICH_APR, 0);
    wr32(gich + GICH_VMCR, 0);
    wr32(gich + GICH_HCR, GICH_HCR_EN);
}

void gicv2_vcpu_off(void)
{
    gicv2_vcpu_reset();
    wr32(gich + GICH_HCR, 0);
}
