# Default configuration: two Linux zones (2 + 1 vCPUs) and the bare-metal test guest, -smp 4.
QEMU_SMP := 4
include platform/zone/linux.mk
