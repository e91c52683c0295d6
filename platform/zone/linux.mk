# The "linux" configuration's zones, on any board: two Linux zones (2 + 1 vCPUs) and the
# bare-metal test guest, on four CPUs (platform/zone/linux.inc.c). A board's linux.mk includes this.
ZONE_DTS := linux-zone0 linux-zone1 linux-zone2
LINUX_INITRD := $(BUILD)/linux-guest/initramfs.cpio.gz
DTS_DEPS := $(LINUX_INITRD)
DTS_DEFS = -DINITRD_START=0x44000000 -DINITRD_SIZE=$$(stat -c %s $(LINUX_INITRD))
BLOBS := linux_image=$(BUILD)/linux-guest/Image \
         linux_initrd=$(LINUX_INITRD) \
         testguest=$(BUILD)/testguest/testguest.bin \
         linux0_dtb=$(CFG_BUILD)/linux-zone0.dtb \
         linux1_dtb=$(CFG_BUILD)/linux-zone1.dtb \
         guest2_dtb=$(CFG_BUILD)/linux-zone2.dtb
