/*
 * The "linux" configuration, on any board: two unmodified Debian Linux zones and the bare-metal
 * test guest over four CPUs; every CPU runs exactly one zone's vCPU. A board's linux.c includes
 * its board.h, then this.
 */
DECLARE_BLOB(linux_image);
DECLARE_BLOB(linux_initrd);
DECLARE_BLOB(testguest);
DECLARE_BLOB(linux0_dtb);
DECLARE_BLOB(linux1_dtb);
DECLARE_BLOB(guest2_dtb);

#define HISTORY_SIZE 65536

static uint8_t history0[HISTORY_SIZE], history1[HISTORY_SIZE], history2[16384];

/* Data ports: linux0's link0 is wired to linux1's link0 (/dev/virtio-ports/link0 in each), and
 * each Linux zone has a log port. */
#include "platform/zone/ports-pair.inc.c"

static const struct zone_config zone_list[] = {
    LINUX_ZONE("linux0", 0, BLOB(linux0_dtb), history0, ports0, 0, 1),
    LINUX_ZONE("linux1", 1, BLOB(linux1_dtb), history1, ports1, 2),
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
