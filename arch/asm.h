/* Constants shared by assembly and C. */
#ifndef ARCH_ASM_H
#define ARCH_ASM_H

#define STACK_SIZE 0x4000
#define MAX_CPUS 8
#define R_AARCH64_RELATIVE 1027
#define TRAP_FRAME_SIZE 272

#endif
