/*
 * Raspberry Pi 4 Model B (BCM2711: 4x Cortex-A72, GIC-400, PL011 UART0 on GPIO14/15), and QEMU's
 * raspi4b machine (QEMU 9.0 and later). Addresses as the ARM cores see them in low-peripheral
 * mode (the firmware's default): Linux's bcm2711.dtsi, QEMU's hw/arm/bcm2838*.c.
 */
#ifndef PLATFORM_RPI4_BOARD_H
#define PLATFORM_RPI4_BOARD_H

#include "platform/zone/zone.h"

#define BOARD_NAME "rpi4"

/* RAM from 0; only the first GiB is used, so that a 1 GiB board works too (the firmware keeps
 * the GPU's share at the top of it, around 0x3b400000 with the default gpu_mem). */
#define BOARD_RAM_BASE 0x00000000ULL
#define BOARD_RAM_SIZE 0x40000000ULL
/* Peripherals at 0xfc000000 and up: the top GiB of the 32-bit space. */
#define BOARD_MMIO_BASE 0xc0000000ULL
#define BOARD_MMIO_SIZE 0x40000000ULL

/* PL011 UART0, VideoCore interrupt 57 = SPI 121; its clock is 48 MHz with the firmware's
 * defaults (init_uart_clock), from which the hypervisor sets 115200 8N1 itself. */
#define BOARD_UART_BASE 0xfe201000ULL
#define BOARD_UART_INTID 153
#define BOARD_UART_CLOCK 48000000u

/* GIC-400 (GICv2 with the virtualization extensions) at 0xff840000. */
#define BOARD_GIC                                                                                  \
    {                                                                                              \
        .version = 2, .gicd = 0xff841000ULL, .gicc = 0xff842000ULL, .gich = 0xff844000ULL,         \
        .gicv = 0xff846000ULL                                                                      \
    }

/* One cluster: MPIDR Aff0 = core. The firmware's (and QEMU's) boot stub parks cores 1-3 on a
 * spin table; there is no PSCI without TF-A. */
#define BOARD_MPIDRS                                                                               \
    {                                                                                              \
        0, 1, 2, 3                                                                                 \
    }
#define BOARD_RELEASE_ADDRS                                                                        \
    {                                                                                              \
        0xd8, 0xe0, 0xe8, 0xf0                                                                     \
    }

/* Zone RAM in 256 MiB slots from 64 MiB: the hypervisor and its images (loaded at 0x80000 by
 * the firmware or QEMU) stay below 64 MiB; three slots end at 832 MiB. */
#define ZONE_PA(n) (0x04000000ULL + (n)*0x10000000ULL)

/* board.c: UART0 on GPIO14/15, whatever the firmware did; power off by the watchdog. */
void rpi4_board_init(void);
void rpi4_power_off(void);

#define BOARD_PLATFORM_FIELDS                                                                      \
    .ram_base = BOARD_RAM_BASE, .ram_size = BOARD_RAM_SIZE, .mmio_base = BOARD_MMIO_BASE,          \
    .mmio_size = BOARD_MMIO_SIZE, .uart_base = BOARD_UART_BASE, .uart_intid = BOARD_UART_INTID,    \
    .uart_clock = BOARD_UART_CLOCK, .gic = BOARD_GIC, .mpidr = BOARD_MPIDRS,                       \
    .cpu_boot = CPU_BOOT_SPIN_TABLE, .cpu_release_addr = BOARD_RELEASE_ADDRS,                      \
    .board_init = rpi4_board_init, .power_off = rpi4_power_off, ZONE_VIEW_FIELDS

#endif
