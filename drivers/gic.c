/* One switch between the GIC drivers (drivers/gic.h). */
#include "drivers/gic.h"
#include "arch/asm.h"
#include "drivers/gicv2.h"
#include "drivers/gicv3.h"

static uint32_t version;
static uint64_t mpidr_of[MAX_CPUS]; /* GICv3 SGIs are addressed by affinity */

void gic_init(const struct gic_desc *d)
{
    version = d->version;
    if (version == 2)
        gicv2_init_dist(d->gicd, d->gicc, d->gich);
    else
        gicv3_init_dist(d->gicd, d->gicr);
}

uint32_t gic_version(void)
{
    return version;
}

void gic_init_cpu(uint32_t cpu, uint64_t mpidr)
{
    if (cpu < MAX_CPUS)
        mpidr_of[cpu] = mpidr;
    if (version == 2)
        gicv2_init_cpu(cpu);
    else
        gicv3_init_cpu(cpu, mpidr);
}

void gic_enable_spi(uint32_t intid, uint32_t cpu)
{
    if (version == 2)
        gicv2_enable_spi(intid, cpu);
    else
        gicv3_enable_spi(intid, cpu < MAX_CPUS ? mpidr_of[cpu] : 0);
}

void gic_enable_ppi(uint32_t cpu, uint32_t intid)
{
    if (version == 2)
        gicv2_enable_ppi(cpu, intid);
    else
        gicv3_enable_ppi(cpu, intid);
}

void gic_set_ppi_priority(uint32_t cpu, uint32_t intid, uint8_t prio)
{
    if (version == 2)
        gicv2_set_ppi_priority(cpu, intid, prio);
    else
        gicv3_set_ppi_priority(cpu, intid, prio);
}

uint32_t gic_ack(void)
{
    return version == 2 ? gicv2_ack() : gicv3_ack();
}

uint32_t gic_iar_intid(uint32_t iar)
{
    /* GICv2 puts an SGI's source CPU above the INTID. */
    return version == 2 ? iar & 0x3ffu : iar;
}

void gic_eoi(uint32_t iar)
{
    if (version == 2)
        gicv2_eoi(iar);
    else
        gicv3_eoi(iar);
}

void gic_send_sgi(uint32_t cpu, uint32_t sgi)
{
    if (version == 2)
        gicv2_send_sgi(cpu, sgi);
    else
        gicv3_send_sgi(cpu < MAX_CPUS ? mpidr_of[cpu] : 0, sgi);
}

void gic_vcpu_off(void)
{
    if (version == 2)
        gicv2_vcpu_off();
    else
        gicv3_vcpu_off();
}

void gic_vcpu_reset(void)
{
    if (version == 2)
        gicv2_vcpu_reset();
    else
        gicv3_vcpu_reset();
}
