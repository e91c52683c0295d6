# Three bare-metal test-guest zones on CPUs 0, 1 and 2 (and 3, zone2's second vCPU): the
# multiplexer under load, with two zones flooding in the background while a person types into
# the third. zone0 and zone1 have data ports: a link between them and a log port each.
QEMU_SMP := 4
ZONE_DTS := trio-zone0 trio-zone1 trio-zone2
BLOBS := testguest=$(BUILD)/testguest/testguest.bin \
         zone0_dtb=$(CFG_BUILD)/trio-zone0.dtb \
         zone1_dtb=$(CFG_BUILD)/trio-zone1.dtb \
         zone2_dtb=$(CFG_BUILD)/trio-zone2.dtb
