/* Exception syndrome decoding (ARM ARM D17.2.37 ESR_ELx), pure so the host tests can run it. */
#ifndef ARCH_ESR_H
#define ARCH_ESR_H

#include <stdbool.h>
#include <stdint.h>

#define ESR_EC(esr) (((esr) >> 26) & 0x3f)
#define ESR_IL (1ULL << 25)
#define ESR_ISS(esr) ((esr)&0x1ffffff)

enum esr_ec {
    EC_UNKNOWN = 0x00,
    EC_WFX = 0x01,
    EC_FP = 0x07,
    EC_HVC64 = 0x16,
    EC_SMC64 = 0x17,
    EC_SYSREG = 0x18,
    EC_IABT_LOW = 0x20,
    EC_IABT_CUR = 0x21,
    EC_DABT_LOW = 0x24,
    EC_DABT_CUR = 0x25,
};

enum dabt_result {
    DABT_OK = 0,
    DABT_NO_ISV,     /* no syndrome: pair, writeback, SIMD... cannot be emulated */
    DABT_S1PTW,      /* the fault hit the guest's own page-table walk */
    DABT_NOT_STAGE2, /* not a translation/access-flag fault we could emulate */
};

struct mmio_access {
    uint64_t ipa;
    uint8_t width; /* bytes: 1, 2, 4, 8 */
    bool write;
    uint8_t reg; /* SRT: transfer register, 31 = XZR */
    bool sign;   /* SSE: sign-extend the loaded value */
    bool reg64;  /* SF: destination is an X register */
};

/* Bytes of the trapped instruction, to step over it: 4, or 2 for a 16-bit T32 one (ESR.IL). */
static inline uint64_t esr_insn_len(uint64_t esr)
{
    return (esr & ESR_IL) ? 4 : 2;
}

/* SPSR fields of the state an exception came from. */
#define SPSR_M_AARCH32 (1ULL << 4)
#define SPSR_M_MASK 0xfULL
/* Did the exception come from EL0 (AArch64 EL0t, or AArch32, which under an AArch64 EL1 can only
 * be EL0)? */
bool spsr_from_el0(uint64_t spsr);
/* VBAR_EL1 offset of a synchronous exception taken to EL1 from that state: current EL with
 * SP_EL0 0x000, with SP_EL1 0x200, lower EL in AArch64 0x400, lower EL in AArch32 0x600. */
uint64_t el1_sync_vector_offset(uint64_t spsr);

enum dabt_result esr_decode_dabt(uint64_t esr, uint64_t hpfar, uint64_t far,
                                 struct mmio_access *out);
const char *dabt_result_str(enum dabt_result r);

/* Value a load writes to the destination register, after sign or zero extension. */
uint64_t mmio_load_extend(const struct mmio_access *a, uint64_t raw);

/* Trapped MSR/MRS (EC 0x18): the register encoding and direction. */
struct sysreg_access {
    uint8_t op0, op1, crn, crm, op2;
    uint8_t reg;
    bool read;
};

void esr_decode_sysreg(uint64_t esr, struct sysreg_access *out);

#define SYSREG_ENC(op0, op1, crn, crm, op2)                                                        \
    (((op0) << 16) | ((op1) << 12) | ((crn) << 8) | ((crm) << 4) | (op2))
static inline uint32_t sysreg_enc(const struct sysreg_access *s)
{
    return SYSREG_ENC((uint32_t)s->op0, s->op1, s->crn, s->crm, s->op2);
}

#endif
