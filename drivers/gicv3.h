/* Physical GICv3: distributor, redistributors, EL2 CPU interface and list registers. */
#ifndef DRIVERS_GICV3_H
#define DRIVERS_GICV3_H

#include "drivers/gic.h"

/* List register fields (ICH_LR<n>_EL2). */
#define ICH_LR_STATE_SHIFT 62
#define ICH_LR_PENDING (1ULL << 62)
#define ICH_LR_ACTIVE (2ULL << 62)
#define ICH_LR_STATE_MASK (3ULL << 62)
#define ICH_LR_HW (1ULL << 61)
#define ICH_LR_GROUP1 (1ULL << 60)
#define ICH_LR_EOI (1ULL << 41)
#define ICH_LR_PRIO_SHIFT 48
#define ICH_LR_PINTID_SHIFT 32
#define ICH_LR_VINTID_MASK 0xffffffffULL

#define ICH_HCR_EN (1ULL << 0)
#define ICH_HCR_UIE (1ULL << 1)

void gicv3_init_dist(uint64_t gicd_base, uint64_t gicr_base);
/* Wake this CPU's redistributor and enable its EL2 CPU interface. */
void gicv3_init_cpu(uint32_t cpu, uint64_t mpidr);
void gicv3_enable_spi(uint32_t intid, uint64_t target_mpidr);
void gicv3_enable_ppi(uint32_t cpu, uint32_t intid);
/* Priority of SGI/PPI intid on cpu (GIC_PRIO_*). */
void gicv3_set_ppi_priority(uint32_t cpu, uint32_t intid, uint8_t prio);
uint32_t gicv3_ack(void);
void gicv3_eoi(uint32_t intid);
void gicv3_send_sgi(uint64_t target_mpidr, uint32_t sgi);

uint32_t gicv3_num_lrs(void);
uint64_t gicv3_read_lr(uint32_t n);
void gicv3_write_lr(uint32_t n, uint64_t v);
uint32_t gicv3_empty_lrs(void); /* ICH_ELRSR_EL2: bit n set = LR n holds nothing */
/* ICH_EISR_EL2: bit n set = LR n had ICH_LR_EOI and was deactivated by the guest (this raises
 * the maintenance interrupt until the LR is rewritten). */
uint32_t gicv3_eoi_lrs(void);
void gicv3_set_underflow_irq(bool on);
/* Fresh virtual CPU interface for a vCPU about to start. */
void gicv3_vcpu_reset(void);
/* List registers empty and the virtual interface off. */
void gicv3_vcpu_off(void);

#endif
