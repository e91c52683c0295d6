/* Configuration "bench": one test-guest zone, focused, for scripts/bench.py. */
#include "hypervisor/config.h"
#include "platform/qemu-virt/board.h"

DECLARE_BLOB(testguest);
DECLARE_BLOB(zone0_dtb);

static uint8_t history0[16384];

static const struct zone_config zone_list[] = {
    TESTGUEST_ZONE("zone0", 0, 0, BLOB(zone0_dtb), history0),
};

static uint8_t tx_ring[BOARD_TX_RING_SIZE];

const struct platform_config platform = {
    .name = BOARD_NAME " (bench)",
    BOARD_PLATFORM_FIELDS,
    BOARD_CONSOLE_FIELDS(tx_ring),
    .ncpus = 1,
    .zones = zone_list,
    .nzones = 1,
    .focus = 0,
};
