/* A zone's RAM as the device model sees it: one IPA range backed by host-addressable memory. */
#ifndef HV_GUEST_MEM_H
#define HV_GUEST_MEM_H

#include "hypervisor/lib.h"
#ifndef HOST_TEST
#include "arch/mmu.h"
#endif

struct guest_mem {
    uint64_t ipa_base;
    uint64_t size;
    uint8_t *hva; /* EL2 address of ipa_base (identity-mapped PA on target, malloc in tests) */
    /* The guest accesses its RAM non-cacheably (its MMU or data cache is off, as when a driver
     * runs before the MMU is on): EL2's cacheable view of rings and buffers must then be cleaned
     * and invalidated to the point of coherency around every access (gmem_sync). Set from the
     * accessing vCPU's SCTLR_EL1 at each trap to the console's registers (mmio.c). */
    bool uncached;
};

#ifdef HOST_TEST
extern uint64_t gmem_test_syncs; /* unit tests: gmem_sync calls that did maintenance */
#endif

/*
 * Around an EL2 access to guest memory the guest reads or writes: before reading what the guest
 * wrote (and before writing, so that no stale line is written back around our bytes), and after
 * writing what the guest will read. Nothing to do for a guest with its caches on: the zone's
 * device tree marks the console dma-coherent and EL2 maps its RAM with the same attributes.
 */
static inline void gmem_sync(const struct guest_mem *m, const volatile void *p, uint64_t len)
{
    if (!m->uncached || !len)
        return;
#ifdef HOST_TEST
    (void)p;
    gmem_test_syncs++;
#else
    dcache_clean_range((const void *)p, len);
#endif
}

/*
 * Translate [ipa, ipa+len) to an EL2 pointer, or NULL when any byte lies outside the zone's RAM
 * or the range wraps. len 0 is refused too: a zero-length buffer is never useful to the device.
 */
static inline uint8_t *gmem_translate(const struct guest_mem *m, uint64_t ipa, uint64_t len)
{
    if (len == 0 || ipa + len < ipa)
        return 0;
    if (ipa < m->ipa_base || ipa + len > m->ipa_base + m->size)
        return 0;
    return m->hva + (ipa - m->ipa_base);
}

#endif
