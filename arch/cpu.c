/* CPU bring-up: EL2 MMU on every CPU, secondaries through firmware PSCI CPU_ON or a spin table. */
#include "arch/cpu.h"
#include "arch/mmu.h"
#include "arch/psci_call.h"
#include "hypervisor/config.h"

extern uint8_t __stacks[];
extern uint8_t __image_start[];
extern const uint8_t secondary_entry[];
extern const uint8_t spin_table_entry[];

uint64_t boot_fdt_pa; /* stored by arch/head.S after clearing bss */

void *cpu_stack_top(uint32_t cpu)
{
    return __stacks + (uint64_t)(cpu + 1) * STACK_SIZE;
}

void cpu_main(uint64_t cpu)
{
    write_sysreg(tpidr_el2, cpu);
    if (cpu == 0)
        mmu_build_el2(platform.ram_base, platform.ram_size, platform.mmio_base, platform.mmio_size);
    mmu_enable_el2();
    if (cpu == 0)
        hv_primary_main();
    hv_secondary_main((uint32_t)cpu);
}

/*
 * Spin table (Documentation/arch/arm64/booting.rst): the CPU waits in WFE for a non-zero entry
 * at its release address, read with its MMU and caches off. Our write is cleaned to the point of
 * coherency before the event. It enters with no argument, so spin_table_entry derives its CPU
 * index from MPIDR_EL1.Aff0 (a board using this method numbers its CPUs so).
 */
static int64_t spin_table_release(uint64_t release_addr, uint64_t entry)
{
    volatile uint64_t *p = (volatile uint64_t *)release_addr;
    if (!release_addr)
        return -1;
    *p = entry;
    dcache_clean_range((const void *)p, sizeof(*p));
    __asm__ volatile("sev" ::: "memory");
    return 0;
}

int64_t cpu_start(uint32_t cpu, uint64_t mpidr)
{
    /* Identity-mapped: the runtime address of an entry is its physical address. */
    if (platform.cpu_boot == CPU_BOOT_SPIN_TABLE)
        return cpu < ARRAY_SIZE(platform.cpu_release_addr)
                   ? spin_table_release(platform.cpu_release_addr[cpu], (uint64_t)spin_table_entry)
                   : -1;
    return psci_fw_cpu_on(mpidr, (uint64_t)secondary_entry, cpu);
}
