/*
 * Entry point, arm64 Image header and EL1 exception vectors of the test guest.
 *
 * Boot contract: entered at EL1h, MMU off, DAIF masked, x0 = FDT physical address.
 * Linked at 0x40000000 (where the hypervisor loads it) but runs from any 4 KiB-aligned
 * address: it applies its own R_AARCH64_RELATIVE relocations before touching data.
 */

#include "exc_frame.h"

#define SCTLR_EL1_MMU_OFF_HI 0x30d0    /* 0x30d00800: RES1 bits only (MMU, caches, */
#define SCTLR_EL1_MMU_OFF_LO 0x0800    /* alignment check off, little endian) */
#define TESTGUEST_LINK_ADDR 0x40000000 /* keep in sync with linker.ld */
#define R_AARCH64_RELATIVE 1027
#define STACK_SIZE (16 * 1024)

    .section .text.head, "ax"
    .global _start
_start:
    /* arm64 Image header (Documentation/arch/arm64/booting.rst layout). */
    b       entry                       /* code0 */
    .long   0                           /* code1 */
    .quad   0                           /* text_offset: load at start of RAM */
    .quad   __image_end - _start        /* image_size incl. bss (PC-relative: no reloc) */
    .quad   0x2                         /* flags: little endian, 4K pages */
    .quad   0                           /* res2 */
    .quad   0                           /* res3 */
    .quad   0                           /* res4 */
    .ascii  "ARM\x64"                   /* magic */
    .long   0                           /* res5 */

/*
 * Only PC-relative addressing until the relocations are applied: the image may run at
 * an address other than its link address (plain QEMU loads it at RAM base + 2 MiB).
 */
entry:
    mov     x19, x0                     /* keep the FDT address across the setup below */
    msr     daifset, #0xf
    msr     spsel, #1

    /* Known SCTLR state; we do not trust whatever the loader left behind. */
    mov     x0, #SCTLR_EL1_MMU_OFF_LO
    movk    x0, #SCTLR_EL1_MMU_OFF_HI, lsl #16
    msr     sctlr_el1, x0
    isb

    /* Vectors (2 KiB) and page tables (4 KiB) rely on the image being page aligned. */
    adr     x20, _start
    tst     x20, #0xfff
    b.ne    bad_load_address
    mov     x1, #TESTGUEST_LINK_ADDR
    sub     x21, x20, x1                /* relocation delta: runtime - link address */

    adr     x0, exception_vectors
    msr     vbar_el1, x0

    /*
     * Clean+invalidate the whole image to the point of coherency. Until the MMU is on we
     * write memory non-cacheably (relocations, bss, stack, page tables, probe results);
     * stale lines the loader may have left in the caches must not shadow or later
     * overwrite those writes.
     */
    mov     x0, x20
    adrp    x1, __image_end
    add     x1, x1, :lo12:__image_end
    mrs     x2, ctr_el0
    ubfx    x2, x2, #16, #4             /* DminLine: log2(words) */
    mov     x3, #4
    lsl     x3, x3, x2                  /* smallest D-cache line in bytes */
1:  dc      civac, x0
    add     x0, x0, x3
    cmp     x0, x1
    b.lo    1b
    dsb     sy

    /* Apply R_AARCH64_RELATIVE relocations (the build rejects any other kind). */
    adrp    x0, __rela_start
    add     x0, x0, :lo12:__rela_start
    adrp    x1, __rela_end
    add     x1, x1, :lo12:__rela_end
2:  cmp     x0, x1
    b.hs    3f
    ldp     x2, x3, [x0], #16           /* r_offset, r_info */
    ldr     x4, [x0], #8                /* r_addend */
    cmp     w3, #R_AARCH64_RELATIVE
    b.ne    2b
    add     x4, x4, x21
    str     x4, [x2, x21]
    b       2b
3:
    /* Zero bss (64-byte aligned bounds from the linker script). */
    adrp    x0, __bss_start
    add     x0, x0, :lo12:__bss_start
    adrp    x1, __bss_end
    add     x1, x1, :lo12:__bss_end
4:  cmp     x0, x1
    b.hs    5f
    stp     xzr, xzr, [x0], #16
    b       4b
5:
    adrp    x0, stack_top
    add     x0, x0, :lo12:stack_top
    mov     sp, x0

    mov     x0, x19
    bl      boot_main                   /* does not return */
    b       park

bad_load_address:                       /* cannot print yet: just park the CPU */
park:
    wfi
    b       park

/*
 * Second vCPU's entry for `hostile cpuon race` (PSCI CPU_ON): MMU and caches off, x0 = the
 * context id, here the address of a start counter in its own cache line (the caller cleans and
 * invalidates it around the race). Counts itself in, then powers itself off again.
 */
#define PSCI_CPU_OFF_HI 0x8400
#define PSCI_CPU_OFF_LO 0x0002
    .global secondary_count_and_off
secondary_count_and_off:
    msr     daifset, #0xf
    ldr     w1, [x0]
    add     w1, w1, #1
    str     w1, [x0]
    dsb     sy
    mov     x0, #PSCI_CPU_OFF_LO
    movk    x0, #PSCI_CPU_OFF_HI, lsl #16
    hvc     #0
    b       park                        /* CPU_OFF does not return */

/*
 * Exception vectors: 16 entries of 128 bytes. Each saves x0/x1, records which vector
 * fired and joins the common path, which builds a struct exc_frame on the stack and
 * calls exc_dispatch(frame, kind). The C side may rewrite elr/spsr in the frame.
 */
    .macro VENTRY kind
    .balign 128
    sub     sp, sp, #EXC_FRAME_SIZE
    stp     x0, x1, [sp, #0]
    mov     x1, #\kind
    b       exc_common
    .endm

    .section .text.vectors, "ax"
    .balign 2048
    .global exception_vectors
exception_vectors:
    VENTRY  0       /* current EL, SP_EL0: sync */
    VENTRY  1       /* irq */
    VENTRY  2       /* fiq */
    VENTRY  3       /* serror */
    VENTRY  4       /* current EL, SP_ELx: sync */
    VENTRY  5       /* irq */
    VENTRY  6       /* fiq */
    VENTRY  7       /* serror */
    VENTRY  8       /* lower EL, AArch64 */
    VENTRY  9
    VENTRY  10
    VENTRY  11
    VENTRY  12      /* lower EL, AArch32 */
    VENTRY  13
    VENTRY  14
    VENTRY  15

exc_common:
    stp     x2, x3, [sp, #16]
    stp     x4, x5, [sp, #32]
    stp     x6, x7, [sp, #48]
    stp     x8, x9, [sp, #64]
    stp     x10, x11, [sp, #80]
    stp     x12, x13, [sp, #96]
    stp     x14, x15, [sp, #112]
    stp     x16, x17, [sp, #128]
    stp     x18, x19, [sp, #144]
    stp     x20, x21, [sp, #160]
    stp     x22, x23, [sp, #176]
    stp     x24, x25, [sp, #192]
    stp     x26, x27, [sp, #208]
    stp     x28, x29, [sp, #224]
    mrs     x2, elr_el1
    mrs     x3, spsr_el1
    stp     x30, x2, [sp, #EXC_FRAME_X30]
    mrs     x4, esr_el1
    stp     x3, x4, [sp, #EXC_FRAME_SPSR]
    mrs     x5, far_el1
    str     x5, [sp, #EXC_FRAME_FAR]

    mov     x0, sp
    bl      exc_dispatch

    ldp     x30, x2, [sp, #EXC_FRAME_X30]
    ldr     x3, [sp, #EXC_FRAME_SPSR]
    msr     elr_el1, x2
    msr     spsr_el1, x3
    ldp     x0, x1, [sp, #0]
    ldp     x2, x3, [sp, #16]
    ldp     x4, x5, [sp, #32]
    ldp     x6, x7, [sp, #48]
    ldp     x8, x9, [sp, #64]
    ldp     x10, x11, [sp, #80]
    ldp     x12, x13, [sp, #96]
    ldp     x14, x15, [sp, #112]
    ldp     x16, x17, [sp, #128]
    ldp     x18, x19, [sp, #144]
    ldp     x20, x21, [sp, #160]
    ldp     x22, x23, [sp, #176]
    ldp     x24, x25, [sp, #192]
    ldp     x26, x27, [sp, #208]
    ldp     x28, x29, [sp, #224]
    add     sp, sp, #EXC_FRAME_SIZE
    eret

    .section .bss.stack, "aw", %nobits
    .balign 16
stack_bottom:
    .skip   STACK_SIZE
    .global stack_top
stack_top:
