# Two bare-metal test-guest zones on CPUs 0 and 1.
QEMU_SMP := 2
ZONE_DTS := baremetal-zone0 baremetal-zone1
BLOBS := testguest=$(BUILD)/testguest/testguest.bin \
         zone0_dtb=$(CFG_BUILD)/baremetal-zone0.dtb \
         zone1_dtb=$(CFG_BUILD)/baremetal-zone1.dtb
