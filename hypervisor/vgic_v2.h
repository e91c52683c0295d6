/* GICv2 register front-end of the vGIC: the distributor a zone sees (its CPU interface is the
 * physical GICV frame, mapped by stage 2). self is the index of the accessing vCPU. */
#ifndef HV_VGIC_V2_H
#define HV_VGIC_V2_H

#include "hypervisor/vgic.h"

#define VGIC_V2_DIST_SIZE 0x1000
#define VGIC_V2_CPU_SIZE 0x2000 /* GICC as Linux maps it, GICC_DIR included */

bool vgic_v2_dist_access(struct vgic *vg, uint32_t self, uint64_t off, uint32_t width, bool write,
                         uint64_t *val);

#endif
