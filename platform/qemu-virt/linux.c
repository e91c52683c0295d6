/* Configuration "linux" (the default): platform/zone/linux.inc.c on this board. */
#include "hypervisor/config.h"
#include "platform/qemu-virt/board.h"

#include "platform/zone/linux.inc.c"
