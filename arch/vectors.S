/*
 * EL2 exception vectors. Every exception saves a struct trap_frame (arch/traps.h) on the CPU's
 * EL2 stack and calls C; returning restores the frame and erets, which is also how a vCPU is
 * first entered (arch_enter_frame).
 */
#include "arch/asm.h"

.macro save_frame
    sub     sp, sp, #TRAP_FRAME_SIZE
    stp     x0, x1, [sp, #16 * 0]
    stp     x2, x3, [sp, #16 * 1]
    stp     x4, x5, [sp, #16 * 2]
    stp     x6, x7, [sp, #16 * 3]
    stp     x8, x9, [sp, #16 * 4]
    stp     x10, x11, [sp, #16 * 5]
    stp     x12, x13, [sp, #16 * 6]
    stp     x14, x15, [sp, #16 * 7]
    stp     x16, x17, [sp, #16 * 8]
    stp     x18, x19, [sp, #16 * 9]
    stp     x20, x21, [sp, #16 * 10]
    stp     x22, x23, [sp, #16 * 11]
    stp     x24, x25, [sp, #16 * 12]
    stp     x26, x27, [sp, #16 * 13]
    stp     x28, x29, [sp, #16 * 14]
    mrs     x0, elr_el2
    mrs     x1, spsr_el2
    stp     x30, x0, [sp, #16 * 15]
    str     x1, [sp, #16 * 16]
.endm

.macro vector handler
    .balign 0x80
    save_frame
    mov     x0, sp
    bl      \handler
    b       restore_frame
.endm

    .text
    .balign 0x800
    .global el2_vectors
el2_vectors:
    vector  trap_el2_bad            /* current EL, SP0: sync */
    vector  trap_el2_bad            /* irq */
    vector  trap_el2_bad            /* fiq */
    vector  trap_el2_bad            /* serror */
    vector  trap_el2_sync           /* current EL, SPx: sync (a hypervisor bug) */
    vector  trap_el2_irq            /* irq while idle at EL2 */
    vector  trap_el2_bad
    vector  trap_el2_bad
    vector  trap_guest_sync         /* lower EL, AArch64 */
    vector  trap_guest_irq
    vector  trap_el2_bad
    vector  trap_guest_serror
    vector  trap_el2_bad            /* lower EL, AArch32: never enabled */
    vector  trap_el2_bad
    vector  trap_el2_bad
    vector  trap_el2_bad

    .global restore_frame
restore_frame:
    ldr     x1, [sp, #16 * 16]
    ldp     x30, x0, [sp, #16 * 15]
    msr     elr_el2, x0
    msr     spsr_el2, x1
    ldp     x0, x1, [sp, #16 * 0]
    ldp     x2, x3, [sp, #16 * 1]
    ldp     x4, x5, [sp, #16 * 2]
    ldp     x6, x7, [sp, #16 * 3]
    ldp     x8, x9, [sp, #16 * 4]
    ldp     x10, x11, [sp, #16 * 5]
    ldp     x12, x13, [sp, #16 * 6]
    ldp     x14, x15, [sp, #16 * 7]
    ldp     x16, x17, [sp, #16 * 8]
    ldp     x18, x19, [sp, #16 * 9]
    ldp     x20, x21, [sp, #16 * 10]
    ldp     x22, x23, [sp, #16 * 11]
    ldp     x24, x25, [sp, #16 * 12]
    ldp     x26, x27, [sp, #16 * 13]
    ldp     x28, x29, [sp, #16 * 14]
    add     sp, sp, #TRAP_FRAME_SIZE
    eret

    /* void arch_enter_frame(struct trap_frame *f): f sits at the top of this CPU's stack. */
    .global arch_enter_frame
arch_enter_frame:
    mov     sp, x0
    b       restore_frame

    /* void arch_reset_stack(void *top, void (*fn)(void)): drop every frame, continue in fn. */
    .global arch_reset_stack
arch_reset_stack:
    mov     sp, x0
    br      x1
