/* PSCI 1.1 for guests (DEN0022), over trapped HVC and SMC. */
#ifndef HV_PSCI_H
#define HV_PSCI_H

#include "arch/traps.h"

struct vcpu;

void psci_handle(struct vcpu *v, struct trap_frame *f);

#endif
