/* Guest PSCI: CPU power inside a zone and whole-zone off/reset; other zones never notice. */
#include "hypervisor/psci.h"
#include "arch/psci_call.h"
#include "hypervisor/psci_args.h"
#include "hypervisor/zone.h"

static int64_t affinity_info(struct zone *z, uint64_t mpidr, uint64_t level)
{
    if (level != 0)
        return PSCI_INVALID_PARAMETERS;
    for (uint32_t i = 0; i < z->nvcpus; i++) {
        if (!psci_mpidr_match(z->vcpu[i].vmpidr, mpidr))
            continue;
        switch (z->vcpu[i].power) {
        case VCPU_ON:
            return 0;
        case VCPU_ON_PENDING:
            return 2;
        default:
            return 1;
        }
    }
    return PSCI_INVALID_PARAMETERS;
}

void psci_handle(struct vcpu *v, struct trap_frame *f)
{
    struct zone *z = v->zone;
    struct psci_args a = psci_args_decode(f->x[0], f->x[1], f->x[2], f->x[3]);
    uint64_t a1 = a.a1, a2 = a.a2, a3 = a.a3;
    int64_t ret = PSCI_NOT_SUPPORTED;
    switch (a.fid) {
    case PSCI_VERSION:
        ret = 0x10001; /* 1.1 */
        break;
    case PSCI_FEATURES:
        ret = psci_fid_supported((uint32_t)a1) ? 0 : PSCI_NOT_SUPPORTED;
        break;
    case PSCI_CPU_ON:
    case PSCI_CPU_ON_32:
        ret = vcpu_cpu_on(z, a1, a2, a3);
        break;
    case PSCI_CPU_OFF:
        vcpu_cpu_off(v);
    case PSCI_AFFINITY_INFO:
    case PSCI_AFFINITY_INFO_32:
        ret = affinity_info(z, a1, a2);
        break;
    case PSCI_MIGRATE_INFO_TYPE:
        ret = 2; /* no trusted OS that would need migrating */
        break;
    case PSCI_SYSTEM_OFF:
        zone_log(z, "PSCI SYSTEM_OFF: zone is off");
        zone_power_off(z);
        ret = 0;
        break;
    case PSCI_SYSTEM_RESET:
        zone_log(z, "PSCI SYSTEM_RESET: restarting zone");
        zone_restart(z);
        ret = 0;
        break;
    default:
        break; /* SMCCC: unknown function ids return NOT_SUPPORTED in x0 */
    }
    f->x[0] = (uint64_t)ret;
}
