# U-Boot script for the Raspberry Pi 4 SD card (make PLATFORM=rpi4 sdcard SDCARD_BOOT=uboot;
# mkimage -T script makes boot.scr of it). Debian's u-boot-rpi (rpi_arm64) runs it through
# distro boot, with ${devtype} ${devnum}:${distro_bootpart} naming the partition and ${prefix}
# the folder it was found in. The hypervisor is a raw arm64 Image; booti hands it the device
# tree the Raspberry Pi firmware made and passed to U-Boot, which U-Boot's rpi board code keeps
# in ${fdt_addr} (${fdtcontroladdr} is the same blob on rpi_arm64: OF_BOARD).
echo "hvcon: loading ${prefix}hvcon.bin from ${devtype} ${devnum}:${distro_bootpart}, device tree at ${fdt_addr}"
load ${devtype} ${devnum}:${distro_bootpart} ${kernel_addr_r} ${prefix}hvcon.bin
booti ${kernel_addr_r} - ${fdt_addr}
