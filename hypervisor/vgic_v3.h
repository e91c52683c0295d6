/* GICv3 register front-end of the vGIC: the distributor and redistributor frames a zone sees,
 * and its SGIs through ICC_SGI1R_EL1. self is the index of the accessing vCPU. */
#ifndef HV_VGIC_V3_H
#define HV_VGIC_V3_H

#include "hypervisor/vgic.h"

#define VGIC_DIST_SIZE 0x10000
#define VGIC_REDIST_FRAME 0x20000 /* per vCPU: RD_base and SGI_base */

bool vgic_v3_dist_access(struct vgic *vg, uint32_t self, uint64_t off, uint32_t width, bool write,
                         uint64_t *val);
bool vgic_v3_redist_access(struct vgic *vg, uint32_t self, uint64_t off, uint32_t width, bool write,
                           uint64_t *val);
/* Trapped ICC_SGI1R_EL1 write: SGIs between a zone's vCPUs. */
void vgic_v3_send_sgi(struct vgic *vg, uint32_t self, uint64_t sgir);

#endif
