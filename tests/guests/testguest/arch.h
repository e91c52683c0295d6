/* AArch64 helpers: system registers, barriers, interrupt masking. */
#ifndef TESTGUEST_ARCH_H
#define TESTGUEST_ARCH_H

#include <stdint.h>

/* One read/write accessor pair per system register we use; keeps asm out of the C code. */
#define SYSREG_RW(name)                                                                            \
    static inline uint64_t read_##name(void)                                                       \
    {                                                                                              \
        uint64_t v;                                                                                \
        __asm__ volatile("mrs %0, " #name : "=r"(v) : : "memory");                                 \
        return v;                                                                                  \
    }                                                                                              \
    static inline void write_##name(uint64_t v)                                                    \
    {                                                                                              \
        __asm__ volatile("msr " #name ", %0" : : "r"(v) : "memory");                               \
    }

#define SYSREG_RO(name)                                                                            \
    static inline uint64_t read_##name(void)                                                       \
    {                                                                                              \
        uint64_t v;                                                                                \
        __asm__ volatile("mrs %0, " #name : "=r"(v) : : "memory");                                 \
        return v;                                                                                  \
    }

SYSREG_RW(sctlr_el1)
SYSREG_RW(tcr_el1)
SYSREG_RW(mair_el1)
SYSREG_RW(ttbr0_el1)
SYSREG_RO(id_aa64mmfr0_el1)
SYSREG_RO(ctr_el0)
SYSREG_RO(cntvct_el0)
SYSREG_RO(cntfrq_el0)
SYSREG_RW(cntv_cval_el0)
SYSREG_RW(cntv_ctl_el0)
SYSREG_RW(icc_sre_el1)
SYSREG_RW(icc_pmr_el1)
SYSREG_RW(icc_bpr1_el1)
SYSREG_RW(icc_igrpen1_el1)
SYSREG_RO(icc_iar1_el1)

/* EOIR is write-only; a read accessor would not assemble. */
static inline void write_icc_eoir1_el1(uint64_t v)
{
    __asm__ volatile("msr icc_eoir1_el1, %0" : : "r"(v) : "memory");
}

static inline void isb(void)
{
    __asm__ volatile("isb" : : : "memory");
}

static inline void dsb_sy(void)
{
    __asm__ volatile("dsb sy" : : : "memory");
}

/* Orders normal-memory stores (ring contents) before a following device store (notify). */
static inline void dsb_st(void)
{
    __asm__ volatile("dsb st" : : : "memory");
}

static inline void dsb_ish(void)
{
    __asm__ volatile("dsb ish" : : : "memory");
}

static inline void dmb_ishst(void)
{
    __asm__ volatile("dmb ishst" : : : "memory");
}

static inline void dmb_ishld(void)
{
    __asm__ volatile("dmb ishld" : : : "memory");
}

static inline void wfi(void)
{
    __asm__ volatile("wfi" : : : "memory");
}

static inline void cpu_relax(void)
{
    __asm__ volatile("yield" : : : "memory");
}

static inline void irq_mask(void)
{
    __asm__ volatile("msr daifset, #2" : : : "memory");
}

/* The isb makes the unmask take effect before the next instruction, so a pending IRQ is
 * taken right here rather than after a later re-mask. */
static inline void irq_unmask(void)
{
    __asm__ volatile("msr daifclr, #2\n\tisb" : : : "memory");
}

static inline void serror_unmask(void)
{
    __asm__ volatile("msr daifclr, #4" : : : "memory");
}

static inline uint64_t counter_read(void)
{
    isb(); /* CNTVCT reads may otherwise be hoisted across the measured code */
    return read_cntvct_el0();
}

_Noreturn void halt(void);

#endif
