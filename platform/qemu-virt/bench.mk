# make bench: one test-guest zone with the console, plus the EL2 direct-write reference loop.
QEMU_SMP := 1
ZONE_DTS := baremetal-zone0
BENCH_DIRECT_BYTES := 1048576
BLOBS := testguest=$(BUILD)/testguest/testguest.bin \
         zone0_dtb=$(CFG_BUILD)/baremetal-zone0.dtb
