/*
 * The pure part of guest PSCI (hypervisor/psci.c): which calls exist and what their arguments
 * are, apart from the zone state they act on, so the host tests and fuzzers can check it.
 */
#ifndef HV_PSCI_ARGS_H
#define HV_PSCI_ARGS_H

#include "hypervisor/lib.h"

struct psci_args {
    uint32_t fid;
    uint64_t a1, a2, a3;
};

/* The call in x0-x3: the function id is w0; an SMC32/HVC32 call (function id bit 30 clear)
 * passes its arguments in the low 32 bits of x1-x3, whatever the upper halves hold (SMCCC 1.1,
 * 2.6). */
struct psci_args psci_args_decode(uint64_t x0, uint64_t x1, uint64_t x2, uint64_t x3);
/* Does a guest get this PSCI function (PSCI_FEATURES)? */
bool psci_fid_supported(uint32_t fid);
/* Does an MPIDR argument name the vCPU with this virtual MPIDR? Only the affinity fields
 * Aff3..Aff0 count: bits 24-31 (MT, U) and 40-63 are not part of the address. */
bool psci_mpidr_match(uint64_t vmpidr, uint64_t mpidr);

#endif
