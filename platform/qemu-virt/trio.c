/* Configuration "trio": three test-guest zones, zone0 and zone1 on a CPU each, zone2 on two
 * (multiplexer load tests, hostile-zone tests; zone2's second vCPU is off until it races
 * CPU_ON at it), zone0 and zone1 with data ports. */
#include "hypervisor/config.h"
#include "platform/qemu-virt/board.h"

DECLARE_BLOB(testguest);
DECLARE_BLOB(zone0_dtb);
DECLARE_BLOB(zone1_dtb);
DECLARE_BLOB(zone2_dtb);

#define HISTORY_SIZE 16384

static uint8_t history0[HISTORY_SIZE], history1[HISTORY_SIZE], history2[HISTORY_SIZE];
static uint8_t tx_ring[BOARD_TX_RING_SIZE];

/* Data ports (tests/system/test_ports.py): zone0's link0 is wired to zone1's link0, and each of
 * the two has a log port. */
#include "platform/zone/ports-pair.inc.c"

static const struct zone_config zone_list[] = {
    TESTGUEST_ZONE_PORTS("zone0", 0, 0, BLOB(zone0_dtb), history0, ports0),
    TESTGUEST_ZONE_PORTS("zone1", 1, 1, BLOB(zone1_dtb), history1, ports1),
    TESTGUEST_ZONE2("zone2", 2, 3, 2, BLOB(zone2_dtb), history2),
};

const struct platform_config platform = {
    .name = BOARD_NAME " (trio)",
    BOARD_PLATFORM_FIELDS,
    BOARD_CONSOLE_FIELDS(tx_ring),
    .ncpus = 4,
    .zones = zone_list,
    .nzones = ARRAY_SIZE(zone_list),
    .focus = 0,
};
