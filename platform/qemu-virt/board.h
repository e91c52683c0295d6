/* QEMU "virt" machine (hw/arm/virt.c memory map), with virtualization=on and gic-version=3, or
 * gic-version=2 when built with GIC=2 (GIC_VERSION, from the Makefile). */
#ifndef PLATFORM_QEMU_VIRT_BOARD_H
#define PLATFORM_QEMU_VIRT_BOARD_H

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

/* What every zone sees: QEMU virt's own layout, so stock device trees and guests feel at home. */
#define ZONE_RAM_IPA 0x40000000ULL
#define ZONE_GICD_IPA 0x08000000ULL
#define ZONE_GICR_IPA 0x080a0000ULL /* GICv3 zones */
#define ZONE_GICC_IPA 0x08010000ULL /* GICv2 zones: mapped to GICV */
#define ZONE_VIRTIO_IPA 0x0a000000ULL
#define ZONE_VIRTIO_INTID 48 /* SPI 16 */
#define ZONE_PL011_IPA 0x09000000ULL
#define ZONE_PL011_INTID 33 /* SPI 1 */

/* Physical RAM for zones starts above the hypervisor and its embedded images. */
#define ZONE_PA(n) (0x50000000ULL + (n)*0x10000000ULL)

/* The hardware half of every configuration's struct platform_config. */
#define BOARD_PLATFORM_FIELDS                                                                      \
    .ram_base = BOARD_RAM_BASE, .ram_size = BOARD_RAM_SIZE, .uart_base = BOARD_UART_BASE,          \
    .uart_intid = BOARD_UART_INTID, .gic = BOARD_GIC, .mpidr = BOARD_MPIDRS,                       \
    .vgicd_ipa = ZONE_GICD_IPA, .vgicr_ipa = ZONE_GICR_IPA, .vgicc_ipa = ZONE_GICC_IPA

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
/* A test-guest zone's fields, but for its CPUs. The device tree blob comes last: BLOB()
 * expands to an initializer with a comma in it. */
#define TESTGUEST_ZONE_FIELDS(zname, n, hist, ...)                                                 \
    .name = zname, .ram_ipa = ZONE_RAM_IPA, .ram_pa = ZONE_PA(n), .ram_size = TESTGUEST_RAM,       \
    .kernel = BLOB(testguest), .kernel_offset = 0, .dtb = __VA_ARGS__,                             \
    .dtb_offset = TESTGUEST_RAM - 0x200000, .virtio_ipa = ZONE_VIRTIO_IPA,                         \
    .virtio_intid = ZONE_VIRTIO_INTID, .cols = 100, .rows = 30, .history = hist,                   \
    .history_size = sizeof(hist)

#define TESTGUEST_ZONE(zname, cpu, n, dtbblob, hist)                                               \
    {                                                                                              \
        .ncpus = 1, .cpus = {cpu}, TESTGUEST_ZONE_FIELDS(zname, n, hist, dtbblob)                  \
    }

/* Two vCPUs: the test guest runs on the first; `hostile cpuon race` starts the second. */
#define TESTGUEST_ZONE2(zname, cpu0, cpu1, n, dtbblob, hist)                                       \
    {                                                                                              \
        .ncpus = 2, .cpus = {cpu0, cpu1}, TESTGUEST_ZONE_FIELDS(zname, n, hist, dtbblob)           \
    }

#endif
