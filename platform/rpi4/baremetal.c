/* Configuration "baremetal": platform/zone/baremetal.inc.c on this board. */
#include "hypervisor/config.h"
#include "platform/rpi4/board.h"

#include "platform/zone/baremetal.inc.c"
