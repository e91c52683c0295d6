/* A zone's RAM as the device model sees it: one IPA range backed by host-addressable memory. */
#ifndef HV_GUEST_MEM_H
#define HV_GUEST_MEM_H

#include "hypervisor/lib.h"

struct guest_mem {
    uint64_t ipa_base;
    uint64_t size;
    uint8_t *hva; /* EL2 address of ipa_base (identity-mapped PA on target, malloc in tests) */
};

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
