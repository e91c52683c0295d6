/*
 * The virtual-interrupt core, shared by every GIC version: per-interrupt state with edge and
 * level semantics, routing, and delivery through the list registers of the CPU that runs the
 * target vCPU. Around it:
 *   - register front-ends (vgic_v3.c: GICv3 distributor, redistributors and ICC_SGI1R_EL1;
 *     vgic_v2.c: GICv2 distributor with ITARGETSR and GICD_SGIR; vgic_regs.c: the register
 *     banks every distributor shares), which call vgic_field_* and vgic_route_spi under the
 *     lock;
 *   - list-register back-ends (vgic_lr.h; vgic_lr_v3.c for ICH_LR<n>_EL2, vgic_lr_v2.c for
 *     GICH_LR<n>), chosen at boot.
 * The core knows nothing of zones: the host callbacks kick a vCPU and resample a line.
 *
 * An interrupt is pending when its latch is set (an edge, an SGI, GICD_ISPENDR) or, for a
 * level-sensitive one, while its line is high. Once in a list register the register carries it;
 * the core takes it back when the guest deactivates it (the list register drains), and a level
 * interrupt whose line is still high is then pending again. Deactivation of a level (or
 * line-driven) interrupt is heard through the EOI maintenance interrupt, so that re-pend does not
 * wait for an unrelated exit.
 *
 * Lock: vg->lock guards everything below it; no other lock is taken under it.
 */
#ifndef HV_VGIC_H
#define HV_VGIC_H

#include "arch/spinlock.h"
#include "hypervisor/config.h"

#define VGIC_NR_IRQS 128 /* SGIs/PPIs 0-31 banked per vCPU, SPIs 32-127 */
#define VGIC_NR_SPIS (VGIC_NR_IRQS - 32)
#define VGIC_MAX_LRS 16

struct vgic_irq {
    uint8_t prio;
    uint8_t target; /* SPIs: the vCPU index the front-end routes it to */
    uint8_t in_lr;  /* 1 + index of the vCPU whose list register holds it; 0: none */
    bool enabled;
    bool group1;
    bool edge;
    bool latch;  /* pending by an edge, an SGI or GICD_ISPENDR (not yet in a list register) */
    bool line;   /* the device's level input */
    bool active; /* active outside any list register (its vCPU went off while it was) */
    bool recall; /* in a list register that may no longer hold it pending: its owner looks */
    bool unpend; /* with recall: the guest cleared it pending (GICD_ICPENDR) */
};

struct vgic_vcpu {
    struct vgic_irq priv[32];
    bool asleep; /* GICR_WAKER.ProcessorSleep (GICv3 front-end) */
    bool underflow;
    uint16_t lr_used; /* list registers of its CPU that hold one of ours */
    uint8_t lr_intid[VGIC_MAX_LRS];
};

struct vgic_host {
    /* Have vCPU vidx look at its interrupts soon: nothing when it is off or runs on this CPU
     * (which returns to it through vgic_flush anyway). */
    void (*kick)(void *ctx, uint32_t vidx);
    /* The guest deactivated a line-driven interrupt on vidx (called on vidx's CPU, under the
     * lock, which the callee must not take): return the line's level now. The virtual timer
     * unmasks its output here and reports the line low. */
    bool (*resample)(void *ctx, uint32_t vidx, uint32_t intid, bool line);
};

struct vgic {
    bool grp0, grp1; /* the distributor's group enables */
    uint32_t nvcpus;
    struct vgic_irq spi[VGIC_NR_SPIS];
    struct vgic_vcpu cpu[MAX_VCPUS];
    uint64_t irouter[VGIC_NR_SPIS];  /* GICv3 front-end: the routing registers as written */
    uint8_t itargetsr[VGIC_NR_SPIS]; /* GICv2 front-end: the target masks as written */
    uint32_t gicd_ctlr;             /* front-end: the distributor's enables as written */
    /* Interrupts pending and not carried by a list register, as bitmaps (bit n: interrupt n of
     * the bank), so that the flush on every return to a guest looks only at those. */
    uint32_t want_priv[MAX_VCPUS];
    uint32_t want_spi[VGIC_NR_SPIS / 32];
    /* From here on survives vgic_reset. */
    const struct vgic_host *host;
    void *ctx;
    spinlock_t lock;
};

void vgic_init(struct vgic *vg, uint32_t nvcpus, const struct vgic_host *host, void *ctx);
/* Back to the state at boot, under the lock: another CPU may be injecting meanwhile. Every vCPU
 * must be off (its list registers given back by vgic_save). */
void vgic_reset(struct vgic *vg);

/* Make an interrupt pending (an edge); vidx names the vCPU for interrupts below 32. */
void vgic_inject(struct vgic *vg, uint32_t vidx, uint32_t intid);
/* Set a device's line. A level interrupt is pending while it is high; an edge one pends when it
 * goes high. */
void vgic_set_level(struct vgic *vg, uint32_t vidx, uint32_t intid, bool level);

/* On vidx's CPU, before returning to it: fold back what the list registers say, then fill them
 * with the highest-priority deliverable interrupts, evicting lower-priority pending ones;
 * interrupts left over ask for the underflow maintenance interrupt. */
void vgic_flush(struct vgic *vg, uint32_t vidx);
/* The maintenance interrupt on vidx's CPU: fold back and refill at once. */
void vgic_maintenance(struct vgic *vg, uint32_t vidx);
/* vidx is going off (CPU_OFF, a stop): its list registers go back to the core, pending stays
 * pending and active stays active, and this CPU's list registers are left empty. */
void vgic_save(struct vgic *vg, uint32_t vidx);
/* The maintenance interrupt with no vCPU of ours on this CPU: clear its conditions. */
void vgic_maintenance_idle(void);

/* ---- for register front-ends, under vg->lock ---- */

enum vgic_field {
    VF_GROUP,
    VF_ENABLE_SET,
    VF_ENABLE_CLR,
    VF_PEND_SET,
    VF_PEND_CLR,
    VF_ACTIVE_SET,
    VF_ACTIVE_CLR,
    VF_PRIO,
    VF_CFG,
    VF_RAZ,
};

/* Interrupt intid as seen by vCPU vidx (whose SGIs and PPIs), accessed from self's CPU (whose
 * list registers can be read). NULL beyond the implemented lines. */
struct vgic_irq *vgic_irq(struct vgic *vg, uint32_t vidx, uint32_t intid);
uint32_t vgic_field_read(struct vgic *vg, uint32_t self, uint32_t vidx, uint32_t intid,
                         enum vgic_field f);
void vgic_field_write(struct vgic *vg, uint32_t self, uint32_t vidx, uint32_t intid,
                      enum vgic_field f, uint32_t v);
void vgic_route_spi(struct vgic *vg, uint32_t intid, uint32_t target);
/* The distributor's group enables: group 0 is what a GICv2 guest uses (signalled as IRQ by its
 * virtual CPU interface unless it asks for FIQ), group 1 what a GICv3 Linux uses. */
void vgic_set_groups(struct vgic *vg, bool grp0, bool grp1);

#endif
