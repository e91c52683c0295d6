/* Trap frame and exception entry points shared by arch/ and hypervisor/. */
#ifndef ARCH_TRAPS_H
#define ARCH_TRAPS_H

#include <stdbool.h>
#include <stdint.h>

struct trap_frame {
    uint64_t x[31];
    uint64_t elr;
    uint64_t spsr;
    uint64_t pad;
};

_Static_assert(sizeof(struct trap_frame) == 272, "matches TRAP_FRAME_SIZE in arch/asm.h");

/* Guest register n; x31 is XZR in the load/store encodings we decode. */
static inline uint64_t frame_reg(const struct trap_frame *f, unsigned n)
{
    return n == 31 ? 0 : f->x[n];
}

static inline void frame_set_reg(struct trap_frame *f, unsigned n, uint64_t v)
{
    if (n != 31)
        f->x[n] = v;
}

void arch_enter_frame(struct trap_frame *f) __attribute__((noreturn));
void arch_reset_stack(void *top, void (*fn)(void)) __attribute__((noreturn));

/* Abort or undefined-instruction exceptions delivered to the guest's EL1. */
void inject_data_abort(struct trap_frame *f, uint64_t far, bool write);
void inject_insn_abort(struct trap_frame *f, uint64_t far);
void inject_undef(struct trap_frame *f);

#endif
