/* Guest PSCI: function ids and argument decoding (see psci_args.h). */
#include "hypervisor/psci_args.h"
#include "arch/psci_call.h"

#define PSCI_AFF_MASK 0xff00ffffffULL /* Aff3 [39:32], Aff2..Aff0 [23:0] */
#define SMCCC_64 (1u << 30)

struct psci_args psci_args_decode(uint64_t x0, uint64_t x1, uint64_t x2, uint64_t x3)
{
    struct psci_args a = {(uint32_t)x0, x1, x2, x3};
    if (!(a.fid & SMCCC_64)) {
        a.a1 = (uint32_t)x1;
        a.a2 = (uint32_t)x2;
        a.a3 = (uint32_t)x3;
    }
    return a;
}

bool psci_fid_supported(uint32_t fid)
{
    switch (fid) {
    case PSCI_VERSION:
    case PSCI_CPU_OFF:
    case PSCI_CPU_ON:
    case PSCI_CPU_ON_32:
    case PSCI_AFFINITY_INFO:
    case PSCI_AFFINITY_INFO_32:
    case PSCI_MIGRATE_INFO_TYPE:
    case PSCI_SYSTEM_OFF:
    case PSCI_SYSTEM_RESET:
    case PSCI_FEATURES:
        return true;
    default:
        return false;
    }
}

bool psci_mpidr_match(uint64_t vmpidr, uint64_t mpidr)
{
    return (vmpidr & PSCI_AFF_MASK) == (mpidr & PSCI_AFF_MASK);
}
