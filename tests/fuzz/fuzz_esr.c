/*
 * libFuzzer target: syndrome decoding (arch/esr.c) for any ESR_EL2, HPFAR_EL2, FAR_EL2 and SPSR.
 *
 * Each result is checked against the architecture's field layout (ARM ARM D17.2.37), written
 * here independently of the decoder: the IPA is FIPA:FAR[11:0] and below 2^52; a syndrome that
 * decodes names a width of 1, 2, 4 or 8 and a register 0-31; a load's value is zero- or
 * sign-extended from exactly its width and cut to 32 bits for a W register; a system register
 * syndrome re-encodes to its own ISS; a guest SPSR selects one of the four EL1 vectors, the
 * lower-EL ones exactly when it came from EL0.
 */
#include "arch/esr.h"
#include "tests/fuzz/fuzz.h"

#define BIT64(n) (1ULL << (n))
#define FIELD(v, lo, n) (((v) >> (lo)) & ((1ULL << (n)) - 1))

static uint64_t extend_model(const struct mmio_access *a, uint64_t raw)
{
    unsigned bits = a->width * 8u;
    uint64_t v = bits == 64 ? raw : raw & (BIT64(bits) - 1);
    if (a->sign && bits < 64 && (v & BIT64(bits - 1)))
        v |= ~(BIT64(bits) - 1);
    return a->reg64 ? v : (uint32_t)v;
}

static void check_dabt(uint64_t esr, uint64_t hpfar, uint64_t far, uint64_t raw)
{
    struct mmio_access a;
    memset(&a, 0xa5, sizeof(a));
    enum dabt_result r = esr_decode_dabt(esr, hpfar, far, &a);
    uint64_t iss = ESR_ISS(esr);
    uint64_t dfsc = FIELD(iss, 0, 6);
    FZ_CHECK(a.ipa == (FIELD(hpfar, 4, 40) << 12 | FIELD(far, 0, 12)));
    FZ_CHECK(a.ipa < BIT64(52));
    FZ_CHECK(a.write == (FIELD(iss, 6, 1) != 0));
    const char *what = dabt_result_str(r);
    FZ_CHECK(what && strcmp(what, "unknown") != 0);
    if (FIELD(iss, 7, 1)) {
        FZ_CHECK(r == DABT_S1PTW);
        return;
    }
    bool translation = dfsc >= 0x04 && dfsc <= 0x07, access_flag = dfsc >= 0x08 && dfsc <= 0x0b;
    if (!translation && !access_flag) {
        FZ_CHECK(r == DABT_NOT_STAGE2);
        return;
    }
    if (!FIELD(iss, 24, 1)) {
        FZ_CHECK(r == DABT_NO_ISV);
        return;
    }
    FZ_CHECK(r == DABT_OK);
    FZ_CHECK(a.width == 1u << FIELD(iss, 22, 2));
    FZ_CHECK(a.reg == FIELD(iss, 16, 5) && a.reg <= 31);
    FZ_CHECK(a.sign == (FIELD(iss, 21, 1) != 0));
    FZ_CHECK(a.reg64 == (FIELD(iss, 15, 1) != 0));
    FZ_CHECK(mmio_load_extend(&a, raw) == extend_model(&a, raw));
}

static void check_sysreg(uint64_t esr)
{
    struct sysreg_access s;
    memset(&s, 0xa5, sizeof(s));
    esr_decode_sysreg(esr, &s);
    uint64_t iss = ESR_ISS(esr);
    FZ_CHECK(s.op0 <= 3 && s.op1 <= 7 && s.op2 <= 7 && s.crn <= 15 && s.crm <= 15 && s.reg <= 31);
    uint64_t back = (uint64_t)s.op0 << 20 | (uint64_t)s.op2 << 17 | (uint64_t)s.op1 << 14 |
                    (uint64_t)s.crn << 10 | (uint64_t)s.reg << 5 | (uint64_t)s.crm << 1 | s.read;
    FZ_CHECK(back == FIELD(iss, 0, 22));
    FZ_CHECK(sysreg_enc(&s) == SYSREG_ENC((uint32_t)s.op0, s.op1, s.crn, s.crm, s.op2));
}

/* Only the states a trap from a zone can come from: AArch64 EL0t, EL1t, EL1h, or AArch32. */
static void check_spsr(uint64_t spsr)
{
    uint64_t m = spsr & SPSR_M_MASK;
    bool a32 = (spsr & SPSR_M_AARCH32) != 0;
    if (!a32 && m != 0 && m != 4 && m != 5)
        return;
    uint64_t off = el1_sync_vector_offset(spsr);
    bool el0 = spsr_from_el0(spsr);
    FZ_CHECK(el0 == (a32 || m == 0));
    FZ_CHECK(off == (a32 ? 0x600 : m == 0 ? 0x400 : m == 4 ? 0x000 : 0x200));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct fz f = {data, size};
    do {
        uint64_t esr = fz_u64(&f), hpfar = fz_u64(&f), far = fz_u64(&f);
        uint64_t spsr = fz_u64(&f), raw = fz_u64(&f);
        FZ_CHECK(esr_insn_len(esr) == ((esr & ESR_IL) ? 4u : 2u));
        check_dabt(esr, hpfar, far, raw);
        check_sysreg(esr);
        check_spsr(spsr);
    } while (fz_more(&f));
    return 0;
}
