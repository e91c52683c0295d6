/* The "baremetal" configuration, on any board: two test-guest zones, each on its own CPU. A
 * board's baremetal.c includes its board.h, then this. */
DECLARE_BLOB(testguest);
DECLARE_BLOB(zone0_dtb);
DECLARE_BLOB(zone1_dtb);

#define HISTORY_SIZE 16384

static uint8_t history0[HISTORY_SIZE], history1[HISTORY_SIZE];

static const struct zone_config zone_list[] = {
    TESTGUEST_ZONE("zone0", 0, 0, BLOB(zone0_dtb), history0),
    TESTGUEST_ZONE("zone1", 1, 1, BLOB(zone1_dtb), history1),
};

static uint8_t tx_ring[BOARD_TX_RING_SIZE];

const struct platform_config platform = {
    .name = BOARD_NAME " (baremetal)",
    BOARD_PLATFORM_FIELDS,
    BOARD_CONSOLE_FIELDS(tx_ring),
    .ncpus = 2,
    .zones = zone_list,
    .nzones = ARRAY_SIZE(zone_list),
    .focus = 0,
};
