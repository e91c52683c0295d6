/*
 * Virtual GICv3 for a zone: trap-and-emulate distributor and redistributors, delivery through the
 * list registers of the physical CPU that runs the target vCPU. State is per zone and guarded by
 * one lock; a vCPU on another CPU is told to look with a kick SGI.
 */
#ifndef HV_VGIC_H
#define HV_VGIC_H

#include "arch/spinlock.h"
#include "hypervisor/config.h"

#define VGIC_NR_IRQS 128 /* SGIs/PPIs 0-31 banked per vCPU, SPIs 32-127 */
#define VGIC_NR_SPIS (VGIC_NR_IRQS - 32)
#define VGIC_DIST_SIZE 0x10000
#define VGIC_REDIST_FRAME 0x20000

struct vgic_irq {
    uint8_t prio;
    bool enabled;
    bool pending;
    bool level;
    bool edge;
    bool group1;
};

struct vgic_vcpu {
    struct vgic_irq priv[32];
    bool asleep; /* GICR_WAKER.ProcessorSleep */
};

struct vgic {
    uint32_t ctlr;
    uint32_t nvcpus;
    struct vgic_irq spi[VGIC_NR_SPIS];
    uint64_t irouter[VGIC_NR_SPIS];
    struct vgic_vcpu cpu[MAX_VCPUS];
    /* The pending flags again, as bitmaps (bit n: interrupt n of the bank), so that the flush on
     * every return to a guest looks only at pending interrupts instead of all VGIC_NR_IRQS. */
    uint32_t pend_priv[MAX_VCPUS];
    uint32_t pend_spi[VGIC_NR_SPIS / 32];
    /* Last: vgic_reset clears everything before it, under it. */
    spinlock_t lock;
};

struct vcpu;
struct zone;

void vgic_init(struct vgic *vg, uint32_t nvcpus);
/* Back to the state at boot, under the lock: another CPU may be injecting meanwhile. */
void vgic_reset(struct vgic *vg);
bool vgic_dist_access(struct vcpu *v, uint64_t off, uint32_t width, bool write, uint64_t *val);
bool vgic_redist_access(struct vcpu *v, uint64_t off, uint32_t width, bool write, uint64_t *val);
/* Trapped ICC_SGI1R_EL1 write: SGIs between a zone's vCPUs. */
void vgic_send_sgi(struct vcpu *v, uint64_t sgir);

/* Make an interrupt pending (edge) or set its line (level). intid < 32 needs target. */
void vgic_inject(struct zone *z, uint32_t intid, struct vcpu *target);
void vgic_set_level(struct zone *z, uint32_t intid, bool level);

/* On this CPU, before returning to the guest: move deliverable interrupts into list registers. */
void vgic_flush(struct vcpu *v);
/* The maintenance interrupt on this CPU: underflow (turned off; the next vgic_flush refills)
 * and deactivations the vGIC asked to hear of (the virtual timer's). */
void vgic_maintenance(void);

#endif
