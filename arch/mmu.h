/* EL2 translation (identity map) and stage-2 tables for zones, both 4 KiB granule. */
#ifndef ARCH_MMU_H
#define ARCH_MMU_H

#include <stdbool.h>
#include <stdint.h>

/* Build the EL2 identity map in GiB blocks: the MMIO range device, RAM normal write-back.
 * Primary CPU only. */
void mmu_build_el2(uint64_t ram_base, uint64_t ram_size, uint64_t mmio_base, uint64_t mmio_size);
/* Turn on the EL2 MMU and caches with the shared tables (every CPU). */
void mmu_enable_el2(void);

struct stage2 {
    uint64_t *root; /* level-1 table: 39-bit IPA space */
    uint16_t vmid;
};

bool stage2_init(struct stage2 *s2, uint16_t vmid);
/* Map [ipa, ipa+size) to pa as normal RW memory; page aligned. false when out of tables. */
bool stage2_map(struct stage2 *s2, uint64_t ipa, uint64_t pa, uint64_t size);
/* The same for a device frame passed through (Device-nGnRE): GICv2's GICV. */
bool stage2_map_device(struct stage2 *s2, uint64_t ipa, uint64_t pa, uint64_t size);
uint64_t stage2_vttbr(const struct stage2 *s2);
uint64_t stage2_vtcr(void);

void dcache_clean_range(const void *addr, uint64_t len);
void icache_invalidate_all(void);

#endif
