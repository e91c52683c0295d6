/* CPU bring-up: EL2 MMU on every CPU, secondaries through firmware PSCI CPU_ON. */
#include "arch/cpu.h"
#include "arch/mmu.h"
#include "arch/psci_call.h"
#include "hypervisor/config.h"

extern uint8_t __stacks[];
extern uint8_t __image_start[];
extern const uint8_t secondary_entry[];

uint64_t boot_fdt_pa; /* stored by arch/head.S after clearing bss */

void *cpu_stack_top(uint32_t cpu)
{
    return __stacks + (uint64_t)(cpu + 1) * STACK_SIZE;
}

void cpu_main(uint64_t cpu)
{
    write_sysreg(tpidr_el2, cpu);
    if (cpu == 0)
        mmu_build_el2(platform.ram_base, platform.ram_size);
    mmu_enable_el2();
    if (cpu == 0)
        hv_primary_main();
    hv_secondary_main((uint32_t)cpu);
}

int64_t cpu_start(uint32_t cpu, uint64_t mpidr)
{
    /* Identity-mapped: the runtime address of secondary_entry is its physical address. */
    return psci_fw_cpu_on(mpidr, (uint64_t)secondary_entry, cpu);
}
