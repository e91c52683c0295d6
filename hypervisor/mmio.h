/* Trapped guest MMIO: route a decoded access to the emulated device that owns the IPA. */
#ifndef HV_MMIO_H
#define HV_MMIO_H

#include "arch/esr.h"

struct vcpu;

/* false: no device there, or the device refuses this width/offset (inject an abort). */
bool mmio_emulate(struct vcpu *v, const struct mmio_access *a, uint64_t *val);

#endif
