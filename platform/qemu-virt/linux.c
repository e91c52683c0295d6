/*
 * Configuration "linux" (the default): two unmodified Debian Linux zones and the bare-metal
 * test guest. The hypervisor owns no CPU: every CPU runs exactly one zone's vCPU.
 */
#include "hypervisor/config.h"
#include "platform/qemu-virt/board.h"

DECLARE_BLOB(linux_image);
DECLARE_BLOB(linux_initrd);
DECLARE_BLOB(testguest);
DECLARE_BLOB(linux0_dtb);
DECLARE_BLOB(linux1_dtb);
DECLARE_BLOB(guest2_dtb);

#define LINUX_RAM 0x10000000ULL /* 256 MiB */
#define HISTORY_SIZE 65536

static uint8_t history0[HISTORY_SIZE], history1[HISTORY_SIZE], history2[16384];

/* Kernel 2 MiB in (Image placement rule), initramfs at 64 MiB (see linux.mk), DTB at 128 MiB. */
#define LINUX_ZONE(zname, n, dtbblob, hist, ...)                                                   \
    {                                                                                              \
        .name = zname, .ncpus = sizeof((uint8_t[]){__VA_ARGS__}), .cpus = {__VA_ARGS__},           \
        .ram_ipa = ZONE_RAM_IPA, .ram_pa = ZONE_PA(n), .ram_size = LINUX_RAM,                      \
        .kernel = BLOB(linux_image), .kernel_offset = 0x200000, .dtb = dtbblob,                    \
        .dtb_offset = 0x08000000, .initrd = BLOB(linux_initrd), .initrd_offset = 0x04000000,       \
        .virtio_ipa = ZONE_VIRTIO_IPA, .virtio_intid = ZONE_VIRTIO_INTID,                          \
        .vpl011_ipa = ZONE_PL011_IPA, .vpl011_intid = ZONE_PL011_INTID, .cols = 120, .rows = 40,   \
        .history = hist, .history_size = HISTORY_SIZE,                                             \
    }

static const struct zone_config zone_list[] = {
    LINUX_ZONE("linux0", 0, BLOB(linux0_dtb), history0, 0, 1),
    LINUX_ZONE("linux1", 1, BLOB(linux1_dtb), history1, 2),
    TESTGUEST_ZONE("guest2", 3, 2, BLOB(guest2_dtb), history2),
};

static uint8_t tx_ring[BOARD_TX_RING_SIZE];

const struct platform_config platform = {
    .name = BOARD_NAME " (linux)",
    BOARD_PLATFORM_FIELDS,
    BOARD_CONSOLE_FIELDS(tx_ring),
    .ncpus = 4,
    .zones = zone_list,
    .nzones = ARRAY_SIZE(zone_list),
    .focus = 0,
};
