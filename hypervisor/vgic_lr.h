/*
 * List-register back-ends: the vGIC core's view of the virtual CPU interface of the CPU it runs
 * on. GICv3 has ICH_LR<n>_EL2 (vgic_lr_v3.c); GICv2 has GICH_LR<n> (a memory-mapped frame). The
 * core only ever touches the list registers of the CPU it runs on, for the vCPU that CPU runs.
 */
#ifndef HV_VGIC_LR_H
#define HV_VGIC_LR_H

#include <stdbool.h>
#include <stdint.h>

#define VLR_PENDING 1u
#define VLR_ACTIVE 2u

struct vgic_lr {
    uint32_t intid;
    uint8_t prio;
    uint8_t state; /* VLR_PENDING | VLR_ACTIVE; 0: empty */
    bool group1;
    bool eoi; /* ask for the EOI maintenance interrupt when the guest deactivates it */
};

struct vgic_lr_ops {
    uint32_t (*count)(void);
    void (*read)(uint32_t n, struct vgic_lr *lr);
    void (*write)(uint32_t n, const struct vgic_lr *lr);
    /* Bit n: list register n holds nothing and did not ask for EOI (ICH_ELRSR_EL2). */
    uint32_t (*empty)(void);
    /* Bit n: list register n asked for EOI and the guest deactivated it (ICH_EISR_EL2). */
    uint32_t (*eoied)(void);
    /* The underflow maintenance interrupt: at most one list register still valid. */
    void (*underflow)(bool on);
};

/* The back-end for this machine's GIC, set once at boot (main.c) before any vCPU runs. */
extern const struct vgic_lr_ops *vgic_lr;

extern const struct vgic_lr_ops vgic_lr_v3;
extern const struct vgic_lr_ops vgic_lr_v2;

#endif
