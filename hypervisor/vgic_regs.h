/* The register banks every GIC distributor has at the same offsets (IGROUPR to ICFGR), shared by
 * the GICv3 distributor, the GICv3 redistributor's SGI frame and the GICv2 distributor. */
#ifndef HV_VGIC_REGS_H
#define HV_VGIC_REGS_H

#include "hypervisor/vgic.h"

enum vgic_bank_result { VGIC_NOT_BANKED = -1, VGIC_BANK_BAD = 0, VGIC_BANK_OK = 1 };

/* Under vg->lock: an access at off, if it falls in a bank, to the interrupts of vCPU vidx's view
 * from first_intid up to (not including) end_intid; the bank's other interrupts read as zero and
 * ignore writes. self is the accessing vCPU. */
enum vgic_bank_result vgic_bank_access(struct vgic *vg, uint32_t self, uint32_t vidx, uint64_t off,
                                       uint32_t width, bool write, uint64_t *val,
                                       uint32_t first_intid, uint32_t end_intid);

#endif
