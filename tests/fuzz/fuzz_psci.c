/*
 * libFuzzer target: the argument side of guest PSCI (hypervisor/psci_args.c) for any x0-x3.
 *
 * Invariants: the function id is w0 whatever the upper half of x0 holds; an SMC64 call keeps its
 * arguments whole and an SMC32 call keeps exactly their low 32 bits; exactly the functions the
 * hypervisor implements are reported supported, and all of them are fast calls of the standard
 * secure service range (SMCCC 1.1: owner 4); an MPIDR names a vCPU by Aff3..Aff0 alone, so the
 * match is an equivalence that ignores bits 24-31 and 40-63.
 */
#include "arch/psci_call.h"
#include "hypervisor/psci_args.h"
#include "tests/fuzz/fuzz.h"

#define AFF_MASK 0xff00ffffffULL

static const uint32_t implemented[] = {
    PSCI_VERSION,           PSCI_CPU_OFF,          PSCI_CPU_ON,     PSCI_CPU_ON_32,
    PSCI_AFFINITY_INFO,     PSCI_AFFINITY_INFO_32, PSCI_SYSTEM_OFF, PSCI_SYSTEM_RESET,
    PSCI_MIGRATE_INFO_TYPE, PSCI_FEATURES,
};

static bool is_implemented(uint32_t fid)
{
    for (size_t i = 0; i < sizeof(implemented) / sizeof(implemented[0]); i++)
        if (implemented[i] == fid)
            return true;
    return false;
}

static void check_args(uint64_t x0, uint64_t x1, uint64_t x2, uint64_t x3)
{
    struct psci_args a = psci_args_decode(x0, x1, x2, x3);
    FZ_CHECK(a.fid == (uint32_t)x0);
    if (a.fid & (1u << 30)) {
        FZ_CHECK(a.a1 == x1 && a.a2 == x2 && a.a3 == x3);
    } else {
        FZ_CHECK(a.a1 == (uint32_t)x1 && a.a2 == (uint32_t)x2 && a.a3 == (uint32_t)x3);
    }
}

static void check_fid(uint32_t fid)
{
    bool s = psci_fid_supported(fid);
    FZ_CHECK(s == is_implemented(fid));
    if (s)
        FZ_CHECK((fid & 0x80000000u) && ((fid >> 24) & 0x3f) == 4);
}

static void check_mpidr(uint64_t v, uint64_t m, uint64_t noise)
{
    bool match = psci_mpidr_match(v, m);
    FZ_CHECK(match == (((v ^ m) & AFF_MASK) == 0));
    FZ_CHECK(match == psci_mpidr_match(m, v));
    FZ_CHECK(psci_mpidr_match(v, v));
    FZ_CHECK(match == psci_mpidr_match(v, m ^ (noise & ~AFF_MASK)));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct fz f = {data, size};
    do {
        uint64_t x0 = fz_u64(&f), x1 = fz_u64(&f), x2 = fz_u64(&f), x3 = fz_u64(&f);
        check_args(x0, x1, x2, x3);
        check_fid((uint32_t)x0);
        check_fid((uint32_t)x1); /* PSCI_FEATURES asks about the function id in w1 */
        check_mpidr(x1, x2, x3);
    } while (fz_more(&f));
    return 0;
}
