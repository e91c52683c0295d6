/* Layout of the register frame built by the exception vectors (shared by start.S and C). */
#ifndef TESTGUEST_EXC_FRAME_H
#define TESTGUEST_EXC_FRAME_H

#define EXC_FRAME_X30 240
#define EXC_FRAME_ELR 248
#define EXC_FRAME_SPSR 256
#define EXC_FRAME_ESR 264
#define EXC_FRAME_FAR 272
#define EXC_FRAME_SIZE 288 /* multiple of 16: SP must stay 16-byte aligned */

/* Vector kinds passed to exc_dispatch (index of the vector table entry). */
#define EXC_KIND_CUR_SPX_SYNC 4
#define EXC_KIND_CUR_SPX_IRQ 5
#define EXC_KIND_CUR_SPX_SERROR 7

#ifndef __ASSEMBLER__
#include <stdint.h>

struct exc_frame {
    uint64_t x[31];
    uint64_t elr;
    uint64_t spsr;
    uint64_t esr;
    uint64_t far;
    uint64_t pad;
};

_Static_assert(sizeof(struct exc_frame) == EXC_FRAME_SIZE, "frame size");
_Static_assert(__builtin_offsetof(struct exc_frame, elr) == EXC_FRAME_ELR, "elr offset");
_Static_assert(__builtin_offsetof(struct exc_frame, spsr) == EXC_FRAME_SPSR, "spsr offset");
_Static_assert(__builtin_offsetof(struct exc_frame, far) == EXC_FRAME_FAR, "far offset");
#endif

#endif
