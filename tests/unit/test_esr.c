/* ESR_EL2 / HPFAR_EL2 decoding (arch/esr.c). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "arch/esr.h"
#include "hypervisor/lib.h"

/* A data-abort syndrome, field by field (ARM ARM D17.2.37, ISS encoding for a data abort). */
struct dabt_iss {
    unsigned ec; /* 0 means EC_DABT_LOW */
    bool isv;
    unsigned sas; /* 0..3 */
    bool sse;
    unsigned srt; /* 0..31 */
    bool sf;
    bool s1ptw;
    bool wnr;
    unsigned dfsc;
};

static uint64_t dabt_esr(struct dabt_iss f)
{
    uint64_t iss = ((uint64_t)f.isv << 24) | ((uint64_t)f.sas << 22) | ((uint64_t)f.sse << 21) |
                   ((uint64_t)f.srt << 16) | ((uint64_t)f.sf << 15) | ((uint64_t)f.s1ptw << 7) |
                   ((uint64_t)f.wnr << 6) | f.dfsc;
    return ((uint64_t)(f.ec ? f.ec : EC_DABT_LOW) << 26) | ESR_IL | iss;
}

/* HPFAR_EL2 for an IPA: FIPA (bits [43:4]) = IPA[51:12]. */
static uint64_t hpfar_of(uint64_t ipa)
{
    return (ipa >> 12) << 4;
}

#define DFSC_TRANS_L2 0x06
#define DFSC_TRANS_L3 0x07

static void test_esr_field_macros(void **state)
{
    (void)state;
    uint64_t esr = dabt_esr(
        (struct dabt_iss){.isv = true, .sas = 2, .srt = 1, .wnr = true, .dfsc = DFSC_TRANS_L2});
    assert_int_equal(ESR_EC(esr), EC_DABT_LOW);
    assert_true(esr & ESR_IL);
    assert_int_equal(ESR_ISS(esr), esr & 0x1ffffff);
    assert_int_equal(ESR_EC(0xffffffffffffffffULL), 0x3f);
}

static void test_dabt_known_encodings(void **state)
{
    (void)state;
    struct mmio_access a;
    /* str w1, [x0] hitting an unmapped stage-2 level-2 entry */
    memset(&a, 0xcc, sizeof(a));
    assert_int_equal(esr_decode_dabt(0x93810046ULL, hpfar_of(0x0a000000), 0x0a000070, &a), DABT_OK);
    assert_int_equal(a.ipa, 0x0a000070);
    assert_int_equal(a.width, 4);
    assert_true(a.write);
    assert_int_equal(a.reg, 1);
    assert_false(a.sign);
    assert_false(a.reg64);
    /* ldr x0, [x1], level-3 translation fault */
    memset(&a, 0xcc, sizeof(a));
    assert_int_equal(esr_decode_dabt(0x93c08007ULL, hpfar_of(0x09000000), 0x09000018, &a), DABT_OK);
    assert_int_equal(a.ipa, 0x09000018);
    assert_int_equal(a.width, 8);
    assert_false(a.write);
    assert_int_equal(a.reg, 0);
    assert_false(a.sign);
    assert_true(a.reg64);
}

static void test_dabt_widths_loads_and_stores(void **state)
{
    (void)state;
    for (unsigned sas = 0; sas < 4; sas++)
        for (int wnr = 0; wnr < 2; wnr++) {
            struct mmio_access a;
            memset(&a, 0xcc, sizeof(a));
            uint64_t esr = dabt_esr((struct dabt_iss){.isv = true,
                                                      .sas = sas,
                                                      .srt = 3,
                                                      .sf = sas == 3,
                                                      .wnr = wnr,
                                                      .dfsc = DFSC_TRANS_L3});
            assert_int_equal(esr_decode_dabt(esr, hpfar_of(0x40001000), 0x40001008, &a), DABT_OK);
            assert_int_equal(a.width, 1u << sas);
            assert_int_equal(a.write, wnr);
            assert_int_equal(a.reg, 3);
            assert_false(a.sign);
            assert_int_equal(a.reg64, sas == 3);
            assert_int_equal(a.ipa, 0x40001008);
        }
}

static void test_dabt_srt_all_registers(void **state)
{
    (void)state;
    for (unsigned srt = 0; srt < 32; srt++) {
        struct mmio_access a;
        uint64_t esr = dabt_esr((struct dabt_iss){
            .isv = true, .sas = 2, .srt = srt, .wnr = true, .dfsc = DFSC_TRANS_L3});
        assert_int_equal(esr_decode_dabt(esr, 0, 0, &a), DABT_OK);
        assert_int_equal(a.reg, srt); /* 31 is XZR for a data abort transfer register */
        assert_int_equal(a.width, 4);
        assert_true(a.write);
    }
}

static void test_dabt_sse_and_sf(void **state)
{
    (void)state;
    struct mmio_access a;
    /* ldrsb w2, [...] */
    uint64_t esr = dabt_esr(
        (struct dabt_iss){.isv = true, .sas = 0, .sse = true, .srt = 2, .dfsc = DFSC_TRANS_L3});
    assert_int_equal(esr_decode_dabt(esr, 0, 0, &a), DABT_OK);
    assert_true(a.sign);
    assert_false(a.reg64);
    assert_int_equal(a.width, 1);
    /* ldrsw x9, [...] */
    esr = dabt_esr((struct dabt_iss){
        .isv = true, .sas = 2, .sse = true, .srt = 9, .sf = true, .dfsc = DFSC_TRANS_L3});
    assert_int_equal(esr_decode_dabt(esr, 0, 0, &a), DABT_OK);
    assert_true(a.sign);
    assert_true(a.reg64);
    assert_int_equal(a.width, 4);
    assert_int_equal(a.reg, 9);
    assert_false(a.write);
}

struct ext_case {
    uint8_t width;
    bool sign, reg64;
    uint64_t raw, expect;
};

static void test_mmio_load_extend(void **state)
{
    (void)state;
    static const struct ext_case cases[] = {
        /* ldrb w / ldrb (zero-extend, upper bits of raw ignored) */
        {1, false, false, 0x1234, 0x34},
        {1, false, true, 0xffffffffffffff80ULL, 0x80},
        /* ldrsb x / ldrsb w */
        {1, true, true, 0x80, 0xffffffffffffff80ULL},
        {1, true, true, 0x7f, 0x7f},
        {1, true, true, 0xabcd12ff, 0xffffffffffffffffULL},
        {1, true, false, 0x80, 0xffffff80ULL},
        {1, true, false, 0x7f, 0x7f},
        /* ldrh / ldrsh */
        {2, false, false, 0xffff8001ULL, 0x8001},
        {2, true, true, 0x8001, 0xffffffffffff8001ULL},
        {2, true, false, 0x8001, 0xffff8001ULL},
        {2, true, false, 0x12347fff, 0x7fff},
        /* ldr w: a W destination clears the upper half */
        {4, false, false, 0xdeadbeefcafef00dULL, 0xcafef00d},
        {4, false, false, 0xffffffffffffffffULL, 0xffffffffULL},
        /* ldrsw x */
        {4, true, true, 0x80000000ULL, 0xffffffff80000000ULL},
        {4, true, true, 0x7fffffffULL, 0x7fffffffULL},
        {4, true, true, 0x1234567880000001ULL, 0xffffffff80000001ULL},
        /* ldr x: untouched */
        {8, false, true, 0xdeadbeefcafef00dULL, 0xdeadbeefcafef00dULL},
        {8, true, true, 0x8000000000000000ULL, 0x8000000000000000ULL},
    };
    for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
        struct mmio_access a = {.ipa = 0,
                                .width = cases[i].width,
                                .write = false,
                                .reg = 0,
                                .sign = cases[i].sign,
                                .reg64 = cases[i].reg64};
        uint64_t got = mmio_load_extend(&a, cases[i].raw);
        if (got != cases[i].expect)
            fail_msg("case %zu: width %u sign %d reg64 %d raw %#llx: got %#llx want %#llx", i,
                     cases[i].width, cases[i].sign, cases[i].reg64,
                     (unsigned long long)cases[i].raw, (unsigned long long)got,
                     (unsigned long long)cases[i].expect);
    }
}

static void test_dabt_no_isv(void **state)
{
    (void)state;
    struct mmio_access a;
    /* ldp/stp or a writeback form: no instruction syndrome */
    uint64_t esr = dabt_esr((struct dabt_iss){.isv = false, .wnr = true, .dfsc = DFSC_TRANS_L3});
    assert_int_equal(esr_decode_dabt(esr, hpfar_of(0x09000000), 0x09000000, &a), DABT_NO_ISV);
    esr = dabt_esr((struct dabt_iss){.isv = false, .dfsc = 0x05});
    assert_int_equal(esr_decode_dabt(esr, 0, 0, &a), DABT_NO_ISV);
}

static void test_dabt_s1ptw(void **state)
{
    (void)state;
    struct mmio_access a;
    uint64_t esr =
        dabt_esr((struct dabt_iss){.isv = true, .sas = 3, .s1ptw = true, .dfsc = DFSC_TRANS_L3});
    assert_int_equal(esr_decode_dabt(esr, hpfar_of(0x50000000), 0x1000, &a), DABT_S1PTW);
    esr = dabt_esr((struct dabt_iss){.isv = false, .s1ptw = true, .dfsc = 0x0b});
    assert_int_equal(esr_decode_dabt(esr, 0, 0, &a), DABT_S1PTW);
}

static void test_dabt_fault_status_codes(void **state)
{
    (void)state;
    /* translation faults (0b0001LL) and access flag faults (0b0010LL) can be emulated */
    static const unsigned ok[] = {0x04, 0x05, 0x06, 0x07, 0x08, 0x09, 0x0a, 0x0b};
    /* address size, permission, external abort, alignment, TLB conflict... cannot */
    static const unsigned bad[] = {0x00, 0x01, 0x02, 0x03, 0x0c, 0x0d, 0x0e, 0x0f,
                                   0x10, 0x11, 0x14, 0x18, 0x21, 0x30, 0x34, 0x3f};
    struct mmio_access a;
    for (size_t i = 0; i < ARRAY_SIZE(ok); i++) {
        uint64_t esr = dabt_esr((struct dabt_iss){.isv = true, .sas = 2, .dfsc = ok[i]});
        assert_int_equal(esr_decode_dabt(esr, 0, 0, &a), DABT_OK);
    }
    for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
        uint64_t esr = dabt_esr((struct dabt_iss){.isv = true, .sas = 2, .dfsc = bad[i]});
        if (esr_decode_dabt(esr, 0, 0, &a) != DABT_NOT_STAGE2)
            fail_msg("DFSC %#x accepted as emulatable", bad[i]);
    }
}

static void test_dabt_ipa_assembly(void **state)
{
    (void)state;
    struct mmio_access a;
    uint64_t esr = dabt_esr((struct dabt_iss){.isv = true, .sas = 2, .dfsc = DFSC_TRANS_L3});
    /* the widest IPA (52 bits), with a kernel VA in FAR: only its page offset counts */
    uint64_t ipa = 0x000fedcba9876000ULL;
    uint64_t hpfar = hpfar_of(ipa);
    assert_int_equal(hpfar, 0x00000fedcba98760ULL); /* FIPA in [43:4] */
    assert_int_equal(esr_decode_dabt(esr, hpfar, 0xffff800012345abcULL, &a), DABT_OK);
    assert_int_equal(a.ipa, 0x000fedcba9876abcULL);
    /* HPFAR bit 63 (NS) and the low nibble are not part of the address */
    assert_int_equal(esr_decode_dabt(esr, hpfar | (1ULL << 63) | 0xf, 0xfff, &a), DABT_OK);
    assert_int_equal(a.ipa, 0x000fedcba9876fffULL);
    /* a low device address */
    assert_int_equal(esr_decode_dabt(esr, 0x90000, 0x00007fff12345018ULL, &a), DABT_OK);
    assert_int_equal(a.ipa, 0x09000018);
    /* page offset zero, IPA zero */
    assert_int_equal(esr_decode_dabt(esr, 0, 0x1000, &a), DABT_OK);
    assert_int_equal(a.ipa, 0);
}

static void test_dabt_result_str(void **state)
{
    (void)state;
    const enum dabt_result all[] = {DABT_OK, DABT_NO_ISV, DABT_S1PTW, DABT_NOT_STAGE2};
    for (size_t i = 0; i < ARRAY_SIZE(all); i++) {
        const char *s = dabt_result_str(all[i]);
        assert_non_null(s);
        assert_string_not_equal(s, "unknown");
        for (size_t j = 0; j < i; j++)
            assert_string_not_equal(s, dabt_result_str(all[j]));
    }
    assert_string_equal(dabt_result_str(DABT_OK), "ok");
    assert_string_equal(dabt_result_str((enum dabt_result)42), "unknown");
}

/* ---- system registers -------------------------------------------------------------------- */

static uint64_t sysreg_esr(unsigned op0, unsigned op1, unsigned crn, unsigned crm, unsigned op2,
                           unsigned rt, bool read)
{
    uint64_t iss = ((uint64_t)op0 << 20) | ((uint64_t)op2 << 17) | ((uint64_t)op1 << 14) |
                   ((uint64_t)crn << 10) | ((uint64_t)rt << 5) | ((uint64_t)crm << 1) | read;
    return ((uint64_t)EC_SYSREG << 26) | ESR_IL | iss;
}

static void test_sysreg_icc_sgi1r_write(void **state)
{
    (void)state;
    struct sysreg_access s;
    memset(&s, 0xcc, sizeof(s));
    /* msr icc_sgi1r_el1, x5 */
    uint64_t esr = sysreg_esr(3, 0, 12, 11, 5, 5, false);
    assert_int_equal(esr, 0x623a30b6ULL);
    assert_int_equal(ESR_EC(esr), EC_SYSREG);
    esr_decode_sysreg(esr, &s);
    assert_int_equal(s.op0, 3);
    assert_int_equal(s.op1, 0);
    assert_int_equal(s.crn, 12);
    assert_int_equal(s.crm, 11);
    assert_int_equal(s.op2, 5);
    assert_int_equal(s.reg, 5);
    assert_false(s.read);
    assert_int_equal(sysreg_enc(&s), SYSREG_ENC(3, 0, 12, 11, 5));
    assert_int_equal(sysreg_enc(&s), 0x30cb5);
}

static void test_sysreg_icc_sgi1r_read(void **state)
{
    (void)state;
    struct sysreg_access s;
    esr_decode_sysreg(sysreg_esr(3, 0, 12, 11, 5, 30, true), &s);
    assert_true(s.read);
    assert_int_equal(s.reg, 30);
    assert_int_equal(sysreg_enc(&s), 0x30cb5);
    /* XZR as the source of a write */
    esr_decode_sysreg(sysreg_esr(3, 0, 12, 11, 5, 31, false), &s);
    assert_false(s.read);
    assert_int_equal(s.reg, 31);
}

static void test_sysreg_fields_independent(void **state)
{
    (void)state;
    /* each field at its maximum with all others zero, so a shifted mask shows up */
    struct sysreg_access s;
    esr_decode_sysreg(sysreg_esr(3, 0, 0, 0, 0, 0, false), &s);
    assert_int_equal(s.op0, 3);
    assert_int_equal(s.op1 | s.crn | s.crm | s.op2 | s.reg | s.read, 0);
    esr_decode_sysreg(sysreg_esr(0, 7, 0, 0, 0, 0, false), &s);
    assert_int_equal(s.op1, 7);
    assert_int_equal(s.op0 | s.crn | s.crm | s.op2 | s.reg | s.read, 0);
    esr_decode_sysreg(sysreg_esr(0, 0, 15, 0, 0, 0, false), &s);
    assert_int_equal(s.crn, 15);
    assert_int_equal(s.op0 | s.op1 | s.crm | s.op2 | s.reg | s.read, 0);
    esr_decode_sysreg(sysreg_esr(0, 0, 0, 15, 0, 0, false), &s);
    assert_int_equal(s.crm, 15);
    assert_int_equal(s.op0 | s.op1 | s.crn | s.op2 | s.reg | s.read, 0);
    esr_decode_sysreg(sysreg_esr(0, 0, 0, 0, 7, 0, false), &s);
    assert_int_equal(s.op2, 7);
    assert_int_equal(s.op0 | s.op1 | s.crn | s.crm | s.reg | s.read, 0);
    esr_decode_sysreg(sysreg_esr(0, 0, 0, 0, 0, 31, false), &s);
    assert_int_equal(s.reg, 31);
    assert_int_equal(s.op0 | s.op1 | s.crn | s.crm | s.op2 | s.read, 0);
    esr_decode_sysreg(sysreg_esr(0, 0, 0, 0, 0, 0, true), &s);
    assert_true(s.read);
    assert_int_equal(s.op0 | s.op1 | s.crn | s.crm | s.op2 | s.reg, 0);
    /* CNTP_CTL_EL0 = S3_3_C14_C2_1 */
    esr_decode_sysreg(sysreg_esr(3, 3, 14, 2, 1, 7, true), &s);
    assert_int_equal(sysreg_enc(&s), SYSREG_ENC(3, 3, 14, 2, 1));
    assert_int_equal(sysreg_enc(&s), 0x33e21);
}

/* Stepping over a trapped instruction follows ESR.IL: 4 bytes, or 2 for a 16-bit T32 one. */
static void test_insn_len(void **state)
{
    (void)state;
    assert_int_equal(esr_insn_len(((uint64_t)EC_DABT_LOW << 26) | ESR_IL), 4);
    assert_int_equal(esr_insn_len((uint64_t)EC_DABT_LOW << 26), 2);
    assert_int_equal(esr_insn_len(((uint64_t)EC_WFX << 26) | ESR_IL | 1), 4);
    assert_int_equal(esr_insn_len(((uint64_t)EC_WFX << 26) | 1), 2);
}

/* The EL1 vector an injected synchronous exception goes to, from each source state. */
static void test_el1_vector_offset(void **state)
{
    (void)state;
    assert_int_equal(el1_sync_vector_offset(0x3c4), 0x000); /* EL1t */
    assert_int_equal(el1_sync_vector_offset(0x3c5), 0x200); /* EL1h */
    assert_int_equal(el1_sync_vector_offset(0x000), 0x400); /* EL0t, AArch64 */
    assert_int_equal(el1_sync_vector_offset(0x010), 0x600); /* AArch32 User */
    assert_int_equal(el1_sync_vector_offset(0x030), 0x600); /* AArch32 User, T32 */
    assert_true(spsr_from_el0(0x000));
    assert_true(spsr_from_el0(0x010));
    assert_true(spsr_from_el0(0x030));
    assert_false(spsr_from_el0(0x3c4));
    assert_false(spsr_from_el0(0x3c5));
}

#define T(f) cmocka_unit_test(f)

int main(void)
{
    const struct CMUnitTest tests[] = {
        T(test_esr_field_macros),
        T(test_dabt_known_encodings),
        T(test_dabt_widths_loads_and_stores),
        T(test_dabt_srt_all_registers),
        T(test_dabt_sse_and_sf),
        T(test_mmio_load_extend),
        T(test_dabt_no_isv),
        T(test_dabt_s1ptw),
        T(test_dabt_fault_status_codes),
        T(test_dabt_ipa_assembly),
        T(test_dabt_result_str),
        T(test_sysreg_icc_sgi1r_write),
        T(test_sysreg_icc_sgi1r_read),
        T(test_sysreg_fields_independent),
        T(test_insn_len),
        T(test_el1_vector_offset),
    };
    return cmocka_run_group_tests_name("esr", tests, NULL, NULL);
}
