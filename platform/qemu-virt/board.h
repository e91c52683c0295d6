/* QEMU "virt" machine (hw/arm/virt.c memory map), with virtualization=on, gic-version=3. */
#ifndef PLATFORM_QEMU_VIRT_BOARD_H
#define PLATFORM_QEMU_VIRT_BOARD_H

#define BOARD_NAME "qemu-virt"
#define BOARD_RAM_BASE 0x40000000ULL
#define BOARD_RAM_SIZE 0x80000000ULL /* run with -m 2G */
#define BOARD_UART_BASE 0x09000000ULL
#define BOARD_UART_INTID 33 /* SPI 1 */
#define BOARD_GICD_BASE 0x08000000ULL
#define BOARD_GICR_BASE 0x080a0000ULL
#define BOARD_MPIDRS {0, 1, 2, 3, 4, 5, 6, 7} /* affinity values, as PSCI CPU_ON wants */

/* What every zone sees: QEMU virt's own layout, so stock device trees and guests feel at home. */
#define ZONE_RAM_IPA 0x40000000ULL
#define ZONE_GICD_IPA 0x08000000ULL
#define ZONE_GICR_IPA 0x080a0000ULL
#define ZONE_VIRTIO_IPA 0x0a000000ULL
#define ZONE_VIRTIO_INTID 48 /* SPI 16 */
#define ZONE_PL011_IPA 0x09000000ULL
#define ZONE_PL011_INTID 33 /* SPI 1 */

/* Physical RAM for zones starts above the hypervisor and its embedded images. */
#define ZONE_PA(n) (0x50000000ULL + (n)*0x10000000ULL)

#endif
