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

/* The hardware half of every configuration's struct platform_config. */
#define BOARD_PLATFORM_FIELDS                                                                      \
    .ram_base = BOARD_RAM_BASE, .ram_size = BOARD_RAM_SIZE, .uart_base = BOARD_UART_BASE,          \
    .uart_intid = BOARD_UART_INTID, .gicd_base = BOARD_GICD_BASE, .gicr_base = BOARD_GICR_BASE,    \
    .mpidr = BOARD_MPIDRS, .vgicd_ipa = ZONE_GICD_IPA, .vgicr_ipa = ZONE_GICR_IPA

/*
 * The console: the EL2 transmit ring every byte to the UART passes through (at least 16 KiB),
 * and how long the multiplexer keeps the keyboard held back for a focused zone whose input is
 * full and that reads nothing (after that it reads on: escape commands work, that zone's keys
 * are discarded and counted). Both can be changed per build: make TX_RING=... INPUT_DEAF_MS=...
 */
#ifndef BOARD_TX_RING_SIZE
#define BOARD_TX_RING_SIZE 16384
#endif
#ifndef BOARD_INPUT_DEAF_MS
#define BOARD_INPUT_DEAF_MS 2000
#endif
#define BOARD_CONSOLE_FIELDS(ring)                                                                 \
    .tx_ring = ring, .tx_ring_size = sizeof(ring), .input_deaf_ms = BOARD_INPUT_DEAF_MS

/* A zone running the bare-metal test guest (tests/guests/testguest): one CPU, 64 MiB. */
#define TESTGUEST_RAM 0x04000000ULL
#define TESTGUEST_ZONE(zname, cpu, n, dtbblob, hist)                                               \
    {                                                                                              \
        .name = zname, .ncpus = 1, .cpus = {cpu}, .ram_ipa = ZONE_RAM_IPA, .ram_pa = ZONE_PA(n),   \
        .ram_size = TESTGUEST_RAM, .kernel = BLOB(testguest), .kernel_offset = 0,                  \
        .dtb = dtbblob, .dtb_offset = TESTGUEST_RAM - 0x200000, .virtio_ipa = ZONE_VIRTIO_IPA,     \
        .virtio_intid = ZONE_VIRTIO_INTID, .cols = 100, .rows = 30, .history = hist,               \
        .history_size = sizeof(hist),                                                              \
    }

#endif
