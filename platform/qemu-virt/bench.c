/* Configuration "bench": one test-guest zone, focused, for scripts/bench.py. */
#include "hypervisor/config.h"
#include "platform/qemu-virt/board.h"

DECLARE_BLOB(testguest);
DECLARE_BLOB(zone0_dtb);

#define RAM 0x04000000ULL

static uint8_t history0[16384];

static const struct zone_config zone_list[] = {
    {
        .name = "zone0",
        .ncpus = 1,
        .cpus = {0},
        .ram_ipa = ZONE_RAM_IPA,
        .ram_pa = ZONE_PA(0),
        .ram_size = RAM,
        .kernel = BLOB(testguest),
        .dtb = BLOB(zone0_dtb),
        .dtb_offset = RAM - 0x200000,
        .virtio_ipa = ZONE_VIRTIO_IPA,
        .virtio_intid = ZONE_VIRTIO_INTID,
        .cols = 100,
        .rows = 30,
        .history = history0,
        .history_size = sizeof(history0),
    },
};

const struct platform_config platform = {
    .name = BOARD_NAME " (bench)",
    .ram_base = BOARD_RAM_BASE,
    .ram_size = BOARD_RAM_SIZE,
    .uart_base = BOARD_UART_BASE,
    .uart_intid = BOARD_UART_INTID,
    .gicd_base = BOARD_GICD_BASE,
    .gicr_base = BOARD_GICR_BASE,
    .ncpus = 1,
    .mpidr = BOARD_MPIDRS,
    .vgicd_ipa = ZONE_GICD_IPA,
    .vgicr_ipa = ZONE_GICR_IPA,
    .zones = zone_list,
    .nzones = 1,
    .focus = 0,
};
