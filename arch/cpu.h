/* Per-CPU identity and stacks. */
#ifndef ARCH_CPU_H
#define ARCH_CPU_H

#include "arch/asm.h"
#include "arch/sysreg.h"

/* Linear CPU index, kept in TPIDR_EL2 (unused otherwise in non-VHE EL2). */
static inline uint32_t cpu_id(void)
{
    return (uint32_t)read_sysreg(tpidr_el2);
}

void *cpu_stack_top(uint32_t cpu);

/* Physical address of the device tree the boot loader passed (x0 at entry), or 0. */
extern uint64_t boot_fdt_pa;

/* Entered from arch/head.S on every CPU, MMU off, with a stack. */
void cpu_main(uint64_t cpu) __attribute__((noreturn));

/* Implemented by hypervisor/main.c. */
void hv_primary_main(void) __attribute__((noreturn));
void hv_secondary_main(uint32_t cpu) __attribute__((noreturn));

/* Start another physical CPU: firmware PSCI, or its spin-table release address (platform). */
int64_t cpu_start(uint32_t cpu, uint64_t mpidr);

#endif
