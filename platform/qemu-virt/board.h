/* QEMU "virt" machine (hw/arm/virt.c memory map), with virtualization=on and gic-version=3, or
 * gic-version=2 when built with GIC=2 (GIC_VERSION, from the Makefile). */
#ifndef PLATFORM_QEMU_VIRT_BOARD_H
#define PLATFORM_QEMU_VIRT_BOARD_H

#include "platform/zone/zone.h"

#define BOARD_NAME "qemu-virt"
#define BOARD_RAM_BASE 0x40000000ULL
#define BOARD_RAM_SIZE 0x80000000ULL /* run with -m 2G */
#define BOARD_UART_BASE 0x09000000ULL
#define BOARD_UART_INTID 33 /* SPI 1 */
#ifndef GIC_VERSION
#define GIC_VERSION 3
#endif
#if GIC_VERSION == 2
/* GICv2 with the virtualization extensions: GICC, GICH and GICV beside the distributor. */
#define BOARD_GIC                                                                                  \
    {                                                                                              \
        .version = 2, .gicd = 0x08000000ULL, .gicc = 0x08010000ULL, .gich = 0x08030000ULL,         \
        .gicv = 0x08040000ULL                                                                      \
    }
#else
#define BOARD_GIC                                                                                  \
    {                                                                                              \
        .version = 3, .gicd = 0x08000000ULL, .gicr = 0x080a0000ULL                                 \
    }
#endif
#define BOARD_MPIDRS                                                                               \
    {                                                                                              \
        0, 1, 2, 3, 4, 5, 6, 7                                                                     \
    } /* affinity values, as PSCI CPU_ON wants */

/* Physical RAM for zones starts above the hypervisor and its embedded images. */
#define ZONE_PA(n) (0x50000000ULL + (n)*0x10000000ULL)

/* The low GiB is MMIO: GIC, UART, virtio. */
#define BOARD_MMIO_BASE 0x00000000ULL
#define BOARD_MMIO_SIZE 0x40000000ULL

/* The hardware half of every configuration's struct platform_config. CPUs come up through the
 * firmware's PSCI (QEMU's own, with virtualization=on). */
#define BOARD_PLATFORM_FIELDS                                                                      \
    .ram_base = BOARD_RAM_BASE, .ram_size = BOARD_RAM_SIZE, .mmio_base = BOARD_MMIO_BASE,          \
    .mmio_size = BOARD_MMIO_SIZE, .uart_base = BOARD_UART_BASE, .uart_intid = BOARD_UART_INTID,    \
    .gic = BOARD_GIC, .mpidr = BOARD_MPIDRS, .cpu_boot = CPU_BOOT_PSCI, ZONE_VIEW_FIELDS

#endif
