# Two bare-metal test-guest zones on CPUs 0 and 1.
QEMU_SMP := 2
include platform/zone/baremetal.mk
