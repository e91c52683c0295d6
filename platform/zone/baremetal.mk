# The "baremetal" configuration's zones, on any board: two bare-metal test-guest zones on CPUs
# 0 and 1 (platform/zone/baremetal.inc.c). A board's baremetal.mk includes this.
ZONE_DTS := baremetal-zone0 baremetal-zone1
BLOBS := testguest=$(BUILD)/testguest/testguest.bin \
         zone0_dtb=$(CFG_BUILD)/baremetal-zone0.dtb \
         zone1_dtb=$(CFG_BUILD)/baremetal-zone1.dtb
