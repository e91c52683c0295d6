/*
 * The physical interrupt controller as the hypervisor uses it, whichever version the board has
 * (GICv3: drivers/gicv3.c; GICv2 with the virtualization extensions: drivers/gicv2.c). The
 * platform describes it (struct gic_desc) and gic_init picks the driver once at boot.
 */
#ifndef DRIVERS_GIC_H
#define DRIVERS_GIC_H

#include <stdbool.h>
#include <stdint.h>

#define GIC_SPURIOUS 1020
#define GIC_MAINT_PPI 25
#define GIC_VTIMER_PPI 27

/* Priorities (numerically higher is less urgent; every interrupt starts at the default). LOW is
 * one step below it in the five bits a GIC-400 implements: with 0xc0, QEMU's GICv2 (7.2) did not
 * take the kick SGI on a CPU whose guest sat in WFI until some other interrupt came (Linux IPIs
 * took up to half a second); 0xb0 is taken at once there and on GICv3. */
#define GIC_PRIO_DEFAULT 0xa0
#define GIC_PRIO_LOW 0xb0

struct gic_desc {
    uint32_t version; /* 2 or 3 */
    uint64_t gicd;
    uint64_t gicr; /* GICv3: the first redistributor */
    uint64_t gicc; /* GICv2: CPU interface */
    uint64_t gich; /* GICv2: virtual interface control */
    uint64_t gicv; /* GICv2: virtual CPU interface, what a zone's GICC is mapped to */
};

void gic_init(const struct gic_desc *d);
/* This CPU's interface (cpu is our index, mpidr its affinity). */
void gic_init_cpu(uint32_t cpu, uint64_t mpidr);
void gic_enable_spi(uint32_t intid, uint32_t cpu);
void gic_enable_ppi(uint32_t cpu, uint32_t intid);
void gic_set_ppi_priority(uint32_t cpu, uint32_t intid, uint8_t prio);
/* The acknowledge as read (give it back to gic_eoi whole) and the INTID in it. */
uint32_t gic_ack(void);
uint32_t gic_iar_intid(uint32_t iar);
void gic_eoi(uint32_t iar);
void gic_send_sgi(uint32_t cpu, uint32_t sgi);
/* Fresh virtual CPU interface for a vCPU about to start (list registers empty). */
void gic_vcpu_reset(void);
/* No vCPU on this CPU any more: list registers empty, virtual interface off (no maintenance
 * interrupt until the next vCPU starts). */
void gic_vcpu_off(void);
uint32_t gic_version(void);

#endif
