/* Physical GICv2 (GIC-400 and QEMU's arm_gic) with the virtualization extensions: distributor
 * (GICD), CPU interface (GICC) and the hypervisor's virtual interface control (GICH). */
#ifndef DRIVERS_GICV2_H
#define DRIVERS_GICV2_H

#include "drivers/gic.h"

/* List register fields (GICH_LR<n>, GICv2 architecture spec 5.3.11). */
#define GICH_LR_VID_MASK 0x3ffu
#define GICH_LR_EOI (1u << 19) /* with HW=0: maintenance interrupt on deactivation */
#define GICH_LR_PRIO_SHIFT 23  /* 5 bits: the top of the 8-bit priority */
#define GICH_LR_STATE_SHIFT 28
#define GICH_LR_STATE_MASK (3u << 28)
#define GICH_LR_GROUP1 (1u << 30)
#define GICH_LR_HW (1u << 31)

/* Bases of the four frames; GICC and GICH in the view of the CPU that accesses them (banked). */
void gicv2_init_dist(uint64_t gicd_base, uint64_t gicc_base, uint64_t gich_base);
void gicv2_init_cpu(uint32_t cpu);
void gicv2_enable_spi(uint32_t intid, uint32_t cpu);
void gicv2_enable_ppi(uint32_t cpu, uint32_t intid);
void gicv2_set_ppi_priority(uint32_t cpu, uint32_t intid, uint8_t prio);
/* GICC_IAR as read: for an SGI it carries the source CPU, and gicv2_eoi wants it back whole. */
uint32_t gicv2_ack(void);
void gicv2_eoi(uint32_t iar);
void gicv2_send_sgi(uint32_t cpu, uint32_t sgi);

uint32_t gicv2_num_lrs(void);
uint32_t gicv2_read_lr(uint32_t n);
void gicv2_write_lr(uint32_t n, uint32_t v);
uint32_t gicv2_empty_lrs(void); /* GICH_ELRSR0 (at most 32 list registers; we use 16) */
uint32_t gicv2_eoi_lrs(void);   /* GICH_EISR0 */
void gicv2_set_underflow_irq(bool on);
void gicv2_vcpu_reset(void);
void gicv2_vcpu_off(void);

#endif
