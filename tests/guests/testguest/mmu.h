/*
 * EL1 stage-1 identity map. Built with the MMU off (so entries can be rewritten freely,
 * no break-before-make), then enabled once. Guest RAM must be Normal write-back
 * cacheable because the hypervisor reads and writes the virtqueues through cacheable
 * mappings; a non-cacheable guest view would not be coherent with it.
 */
#ifndef TESTGUEST_MMU_H
#define TESTGUEST_MMU_H

#include <stdint.h>

enum mmu_attr { MMU_DEVICE, MMU_NORMAL };

/* Default layout: 0-1 GiB Device-nGnRnE, 1-4 GiB Normal WB inner-shareable, rest unmapped. */
void mmu_build_default(void);
/* Overrides the attributes of [pa, pa+size) at 2 MiB granularity (before mmu_enable only). */
int mmu_map(uint64_t pa, uint64_t size, enum mmu_attr attr);
void mmu_enable(void);
/* Data cache on or off (SCTLR_EL1.C), the MMU staying on: with it off, every data access is
 * non-cacheable, as for a driver running before its MMU is on. */
void mmu_data_cache(int on);

#endif
