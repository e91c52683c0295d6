/* Configuration "baremetal": two test-guest zones, each on its own CPU. */
#include "hypervisor/config.h"
#include "platform/qemu-virt/board.h"

DECLARE_BLOB(testguest);
DECLARE_BLOB(zone0_dtb);
DECLARE_BLOB(zone1_dtb);

#define TESTGUEST_RAM 0x04000000ULL /* 64 MiB */
#define HISTORY_SIZE 16384

static uint8_t history0[HISTORY_SIZE], history1[HISTORY_SIZE];

#define TESTGUEST_ZONE(zname, cpu, n, dtbblob, hist)                                                   \
    {                                                                                              \
        .name = zname, .ncpus = 1, .cpus = {cpu}, .ram_ipa = ZONE_RAM_IPA, .ram_pa = ZONE_PA(n),   \
        .ram_size = TESTGUEST_RAM, .kernel = BLOB(testguest), .kernel_offset = 0,                  \
        .dtb = dtbblob, .dtb_offset = TESTGUEST_RAM - 0x200000, .virtio_ipa = ZONE_VIRTIO_IPA,         \
        .virtio_intid = ZONE_VIRTIO_INTID, .cols = 100, .rows = 30, .history = hist,               \
        .history_size = HISTORY_SIZE,                                                              \
    }

static const struct zone_config zone_list[] = {
    TESTGUEST_ZONE("zone0", 0, 0, BLOB(zone0_dtb), history0),
    TESTGUEST_ZONE("zone1", 1, 1, BLOB(zone1_dtb), history1),
};

const struct platform_config platform = {
    .name = BOARD_NAME " (baremetal)",
    .ram_base = BOARD_RAM_BASE,
    .ram_size = BOARD_RAM_SIZE,
    .uart_base = BOARD_UART_BASE,
    .uart_intid = BOARD_UART_INTID,
    .gicd_base = BOARD_GICD_BASE,
    .gicr_base = BOARD_GICR_BASE,
    .ncpus = 2,
    .mpidr = BOARD_MPIDRS,
    .vgicd_ipa = ZONE_GICD_IPA,
    .vgicr_ipa = ZONE_GICR_IPA,
    .zones = zone_list,
    .nzones = ARRAY_SIZE(zone_list),
    .focus = 0,
};
