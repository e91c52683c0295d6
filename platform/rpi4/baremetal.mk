# Two bare-metal test-guest zones on cores 0 and 1 (raspi4b always has four cores; two idle).
QEMU_SMP := 4
include platform/zone/baremetal.mk
