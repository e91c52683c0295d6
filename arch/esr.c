/* ESR_EL2 / HPFAR_EL2 decoding for trapped data aborts and system register accesses. */
#include "arch/esr.h"

#define ISS_ISV (1u << 24)
#define ISS_SAS_SHIFT 22
#define ISS_SSE (1u << 21)
#define ISS_SRT_SHIFT 16
#define ISS_SF (1u << 15)
#define ISS_S1PTW (1u << 7)
#define ISS_WNR (1u << 6)
#define ISS_DFSC_MASK 0x3f

static bool dfsc_emulatable(uint32_t dfsc)
{
    /* Translation fault (0b0001xx) or access flag fault (0b0010xx) at any level. */
    return (dfsc & 0x3c) == 0x04 || (dfsc & 0x3c) == 0x08;
}

enum dabt_result esr_decode_dabt(uint64_t esr, uint64_t hpfar, uint64_t far,
                                 struct mmio_access *out)
{
    uint32_t iss = (uint32_t)ESR_ISS(esr);
    /* HPFAR_EL2.FIPA holds IPA[51:12] in bits [43:4]; the page offset comes from FAR_EL2. */
    out->ipa = (((hpfar >> 4) & 0xffffffffffULL) << 12) | (far & 0xfff);
    out->write = (iss & ISS_WNR) != 0;
    if (iss & ISS_S1PTW)
        return DABT_S1PTW;
    if (!dfsc_emulatable(iss & ISS_DFSC_MASK))
        return DABT_NOT_STAGE2;
    if (!(iss & ISS_ISV))
        return DABT_NO_ISV;
    out->width = (uint8_t)(1u << ((iss >> ISS_SAS_SHIFT) & 3));
    out->sign = (iss & ISS_SSE) != 0;
    out->reg = (uint8_t)((iss >> ISS_SRT_SHIFT) & 0x1f);
    out->reg64 = (iss & ISS_SF) != 0;
    return DABT_OK;
}

const char *dabt_result_str(enum dabt_result r)
{
    switch (r) {
    case DABT_OK:
        return "ok";
    case DABT_NO_ISV:
        return "no instruction syndrome (pair, writeback or SIMD access)";
    case DABT_S1PTW:
        return "fault on stage-1 page-table walk";
    case DABT_NOT_STAGE2:
        return "not a stage-2 translation fault";
    }
    return "unknown";
}

uint64_t mmio_load_extend(const struct mmio_access *a, uint64_t raw)
{
    unsigned bits = a->width * 8u;
    if (bits < 64)
        raw &= (1ULL << bits) - 1;
    if (a->sign && bits < 64 && (raw >> (bits - 1)) & 1)
        raw |= ~0ULL << bits;
    if (!a->reg64)
        raw &= 0xffffffffULL; /* a W destination clears the upper half */
    return raw;
}

void esr_decode_sysreg(uint64_t esr, struct sysreg_access *out)
{
    uint32_t iss = (uint32_t)ESR_ISS(esr);
    out->op0 = (uint8_t)((iss >> 20) & 3);
    out->op2 = (uint8_t)((iss >> 17) & 7);
    out->op1 = (uint8_t)((iss >> 14) & 7);
    out->crn = (uint8_t)((iss >> 10) & 0xf);
    out->reg = (uint8_t)((iss >> 5) & 0x1f);
    out->crm = (uint8_t)((iss >> 1) & 0xf);
    out->read = (iss & 1) != 0;
}

bool spsr_from_el0(uint64_t spsr)
{
    return (spsr & SPSR_M_AARCH32) || (spsr & SPSR_M_MASK) == 0;
}

uint64_t el1_sync_vector_offset(uint64_t spsr)
{
    if (spsr & SPSR_M_AARCH32)
        return 0x600;
    switch (spsr & SPSR_M_MASK) {
    case 0x4: /* EL1t */
        return 0x000;
    case 0x5: /* EL1h */
        return 0x200;
    default: /* EL0t */
        return 0x400;
    }
}
