/* Calls from EL2 to the platform firmware's PSCI (SMC conduit; QEMU provides it). */
#ifndef ARCH_PSCI_CALL_H
#define ARCH_PSCI_CALL_H

#include <stdint.h>

#define PSCI_VERSION 0x84000000u
#define PSCI_CPU_SUSPEND 0xc4000001u
#define PSCI_CPU_OFF 0x84000002u
#define PSCI_CPU_ON 0xc4000003u
#define PSCI_CPU_ON_32 0x84000003u
#define PSCI_AFFINITY_INFO 0xc4000004u
#define PSCI_AFFINITY_INFO_32 0x84000004u
#define PSCI_MIGRATE_INFO_TYPE 0x84000006u
#define PSCI_SYSTEM_OFF 0x84000008u
#define PSCI_SYSTEM_RESET 0x84000009u
#define PSCI_FEATURES 0x8400000au
#define SMCCC_VERSION 0x80000000u

#define PSCI_SUCCESS 0
#define PSCI_NOT_SUPPORTED (-1)
#define PSCI_INVALID_PARAMETERS (-2)
#define PSCI_DENIED (-3)
#define PSCI_ALREADY_ON (-4)
#define PSCI_ON_PENDING (-5)

int64_t smc_call(uint64_t fid, uint64_t a1, uint64_t a2, uint64_t a3);
int64_t psci_fw_cpu_on(uint64_t mpidr, uint64_t entry, uint64_t ctx);
void psci_fw_system_off(void);

#endif
