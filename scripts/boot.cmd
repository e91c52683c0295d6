# U-Boot script (mkimage -T script makes boot.scr of it): boot the hvcon hypervisor FIT image.
# U-Boot's distro boot (bootcmd, run distro_bootcmd) runs boot.scr from the first partition it
# finds it on, with ${devtype} ${devnum}:${distro_bootpart} naming that partition and ${prefix}
# the folder ("/" or "/boot/"); hvcon.itb is loaded from the same place.
echo "hvcon: loading ${prefix}hvcon.itb from ${devtype} ${devnum}:${distro_bootpart}"
load ${devtype} ${devnum}:${distro_bootpart} ${kernel_addr_r} ${prefix}hvcon.itb
# Configuration "hvcon" by name: with FIT_BEST_MATCH, U-Boot looks for a configuration whose
# compatible matches its own device tree instead of taking the default one. No FDT in the FIT:
# the hypervisor gets U-Boot's own (the board's) device tree.
bootm ${kernel_addr_r}#hvcon - ${fdtcontroladdr}
