/*
 * The data ports of a configuration's first two zones (the `linux` and `trio` configurations):
 * the first zone's link0 is wired to the second's link0, and each has a log port whose ring the
 * console shows (Ctrl-\ g). The zones name ports0 and ports1 in ZONE_PORTS.
 */
#include "hypervisor/port_link.h"

#define LOG_SIZE 4096
static struct link link01 = {.name = "link01"};
static uint8_t log0[LOG_SIZE], log1[LOG_SIZE];
static const struct port_cfg ports0[] = {
    PORT_LINK_END("link0", link01, 0),
    PORT_LOG_RING("log", log0),
};
static const struct port_cfg ports1[] = {
    PORT_LINK_END("link0", link01, 1),
    PORT_LOG_RING("log", log1),
};
