/*
 * Entry at EL2 with the MMU off, from QEMU's -kernel loader or U-Boot's booti, at an address we
 * do not know in advance. The image is linked at 0 as a PIE: we apply our own R_AARCH64_RELATIVE
 * relocations against the load address, then run with an identity map (see arch/mmu.c).
 */
#include "arch/asm.h"

    .section .text.head, "ax"
    .global _start
_start:
    /* arm64 Linux Image header (Documentation/arch/arm64/booting.rst). */
    b       primary_entry
    .long   0
    .quad   0                       /* text_offset */
    .quad   __image_size            /* effective image size incl. bss and stacks */
    .quad   0xa                     /* little endian, 4K pages, may be placed anywhere */
    .quad   0
    .quad   0
    .quad   0
    .ascii  "ARM\x64"
    .long   0

primary_entry:
    msr     daifset, #0xf
    mrs     x9, CurrentEL
    cmp     x9, #(2 << 2)
    b.ne    not_el2
    mov     x20, x0                 /* the boot loader's device tree (booting.rst: x0) */
    adr     x19, _start
    /* Relocate: for each RELA entry of type RELATIVE, *(base+off) = base+addend. */
    adrp    x1, __rela_start
    add     x1, x1, :lo12:__rela_start
    adrp    x2, __rela_end
    add     x2, x2, :lo12:__rela_end
1:  cmp     x1, x2
    b.hs    2f
    ldp     x3, x4, [x1], #16
    ldr     x5, [x1], #8
    cmp     w4, #R_AARCH64_RELATIVE
    b.ne    1b
    add     x5, x5, x19
    str     x5, [x19, x3]
    b       1b
2:  /* Clear bss. */
    adrp    x1, __bss_start
    add     x1, x1, :lo12:__bss_start
    adrp    x2, __bss_end
    add     x2, x2, :lo12:__bss_end
3:  cmp     x1, x2
    b.hs    4f
    str     xzr, [x1], #8
    b       3b
4:  adrp    x1, boot_fdt_pa
    str     x20, [x1, :lo12:boot_fdt_pa]
    mov     x0, #0
    b       cpu_common_entry

    /* PSCI CPU_ON lands here with x0 = our CPU index (the context id we passed). */
    .global secondary_entry
secondary_entry:
    msr     daifset, #0xf
    b       cpu_common_entry

    /* A spin table's release lands here with nothing in x0: our index is MPIDR_EL1.Aff0. */
    .global spin_table_entry
spin_table_entry:
    msr     daifset, #0xf
    mrs     x0, mpidr_el1
    and     x0, x0, #0xff
    cmp     x0, #MAX_CPUS
    b.hs    not_el2
    b       cpu_common_entry

cpu_common_entry:
    /* sp = __stacks + (cpu + 1) * STACK_SIZE */
    adrp    x1, __stacks
    add     x1, x1, :lo12:__stacks
    add     x2, x0, #1
    mov     x3, #STACK_SIZE
    madd    x1, x2, x3, x1
    mov     sp, x1
    adrp    x1, el2_vectors
    add     x1, x1, :lo12:el2_vectors
    msr     vbar_el2, x1
    isb
    bl      cpu_main
not_el2:
    wfe
    b       not_el2
