/*
 * What every zone sees, whatever the board: QEMU virt's own layout (RAM at 1 GiB, the GIC at
 * 0x08000000, a PL011 at 0x09000000, virtio-mmio at 0x0a000000), so stock device trees and guests
 * feel at home. The zone device trees in this folder describe it; a board includes this file
 * from its board.h and supplies ZONE_PA(n), where zone slot n's RAM lies, and GIC_VERSION.
 */
#ifndef PLATFORM_ZONE_ZONE_H
#define PLATFORM_ZONE_ZONE_H

#define ZONE_RAM_IPA 0x40000000ULL
#define ZONE_GICD_IPA 0x08000000ULL
#define ZONE_GICR_IPA 0x080a0000ULL /* GICv3 zones */
#define ZONE_GICC_IPA 0x08010000ULL /* GICv2 zones: mapped to GICV */
#define ZONE_VIRTIO_IPA 0x0a000000ULL
#define ZONE_VIRTIO_INTID 48         /* SPI 16 */
#define ZONE_PORTS_IPA 0x0a000200ULL /* the multiport device: the next virtio-mmio slot */
#define ZONE_PORTS_INTID 49          /* SPI 17 */
#define ZONE_PL011_IPA 0x09000000ULL
#define ZONE_PL011_INTID 33 /* SPI 1 */

/* The platform_config fields that say where zones find their virtual GIC. */
#define ZONE_VIEW_FIELDS                                                                           \
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

/* One CPU and data ports (ZONE_PORTS below): the test guest drives them (`ports`, `port ...`).
 * Its device tree needs the multiport node too (platform/zone/ports.dtsi). */
#define TESTGUEST_ZONE_PORTS(zname, cpu, n, dtbblob, hist, portlist)                               \
    {                                                                                              \
        .ncpus = 1, .cpus = {cpu}, ZONE_PORTS(portlist),                                           \
        TESTGUEST_ZONE_FIELDS(zname, n, hist, dtbblob)                                             \
    }

/* Two vCPUs: the test guest runs on the first; `hostile cpuon race` starts the second. */
#define TESTGUEST_ZONE2(zname, cpu0, cpu1, n, dtbblob, hist)                                       \
    {                                                                                              \
        .ncpus = 2, .cpus = {cpu0, cpu1}, TESTGUEST_ZONE_FIELDS(zname, n, hist, dtbblob)           \
    }

/* A zone's data ports (hypervisor/virtio_multiport.h) on the multiport device. */
#define ZONE_PORTS(list)                                                                           \
    .ports_ipa = ZONE_PORTS_IPA, .ports_intid = ZONE_PORTS_INTID, .ports = list,                   \
    .nports = ARRAY_SIZE(list)
#define PORT_LINK_END(pname, lnk, e)                                                               \
    {                                                                                              \
        .name = pname, .kind = PORT_LINK, .link = &lnk, .end = e                                   \
    }
#define PORT_LOG_RING(pname, ring)                                                                 \
    {                                                                                              \
        .name = pname, .kind = PORT_LOG, .log = ring, .log_size = sizeof(ring)                     \
    }

/* A Linux zone: 256 MiB, the kernel 2 MiB in (Image placement rule), the initramfs at 64 MiB
 * (INITRD_START in the zone device trees), the device tree at 128 MiB; the emulated PL011 for
 * early output; its data ports. The vCPUs' physical CPUs come last. */
#define LINUX_RAM 0x10000000ULL
#define LINUX_ZONE(zname, n, dtbblob, hist, portlist, ...)                                         \
    {                                                                                              \
        .name = zname, .ncpus = sizeof((uint8_t[]){__VA_ARGS__}), .cpus = {__VA_ARGS__},           \
        .ram_ipa = ZONE_RAM_IPA, .ram_pa = ZONE_PA(n), .ram_size = LINUX_RAM,                      \
        .kernel = BLOB(linux_image), .kernel_offset = 0x200000, .dtb = dtbblob,                    \
        .dtb_offset = 0x08000000, .initrd = BLOB(linux_initrd), .initrd_offset = 0x04000000,       \
        .virtio_ipa = ZONE_VIRTIO_IPA, .virtio_intid = ZONE_VIRTIO_INTID,                          \
        .vpl011_ipa = ZONE_PL011_IPA, .vpl011_intid = ZONE_PL011_INTID, .cols = 120, .rows = 40,   \
        .history = hist, .history_size = sizeof(hist), ZONE_PORTS(portlist),                       \
    }

#endif
