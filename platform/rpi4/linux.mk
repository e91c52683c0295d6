# Default configuration: two Linux zones (2 + 1 vCPUs) and the bare-metal test guest, on the
# four cores.
QEMU_SMP := 4
include platform/zone/linux.mk
