#!/usr/bin/env bash
# mk-sdcard.sh <sdcard.img> <kernel> <firmware dir> <config.txt> [hypervisor|uboot]
#
# The Raspberry Pi 4 SD card image (make PLATFORM=rpi4 sdcard): an MBR partition table and one
# bootable FAT32 partition (scripts/mk-uboot.sh fat: sfdisk and mtools on plain files, no root,
# no loop device) holding
#   start4.elf, fixup4.dat     the Pi 4 GPU firmware, from Debian's raspi-firmware (the _cd, _db
#                              and _x variants are left out: config.txt asks for none of them)
#   bcm2711-rpi-*.dtb          the board device trees (Pi 4 B, Pi 400, CM4 on its IO board),
#                              from Debian's arm64 kernel package
#   hvcon.bin                  <kernel>: the hypervisor, a raw arm64 Image
#   config.txt                 <config.txt> plus the kernel= line
# and, in uboot mode,
#   u-boot.bin                 Debian's u-boot-rpi, rpi_arm64 (the firmware's kernel=)
#   boot.scr                   scripts/boot-rpi4.cmd (mkimage -T script): loads hvcon.bin and
#                              boots it with booti and the firmware's device tree
# <firmware dir> is what scripts/fetch-rpi-firmware.sh made. The image is padded to a power of two
# (QEMU's SD card wants that; a real card just has free space after the partition).
set -euo pipefail

log() { echo "mk-sdcard: $*" >&2; }
usage() {
    echo "usage: $0 <sdcard.img> <kernel> <firmware dir> <config.txt> [hypervisor|uboot]" >&2
    exit 2
}
[ $# -eq 4 ] || [ $# -eq 5 ] || usage
IMG=$1 KERNEL=$2 FW=$3 CONFIG_TXT=$4 MODE=${5:-hypervisor}
HERE=$(cd "$(dirname "$0")" && pwd)
case $MODE in hypervisor|uboot) ;; *) usage ;; esac
[ -f "$KERNEL" ] || { log "no kernel: $KERNEL"; exit 1; }
# An arm64 Image has "ARM\x64" at offset 56.
[ "$(od -An -tx1 -j56 -N4 "$KERNEL" | tr -d ' \n')" = 41524d64 ] ||
    { log "$KERNEL is not an arm64 Image (no ARM\\x64 magic at offset 56)"; exit 1; }

mkdir -p "$(dirname "$IMG")"
STAGE=$IMG.files
rm -rf "$STAGE"
mkdir -p "$STAGE"
cp "$FW"/root/usr/lib/raspi-firmware/{start4.elf,fixup4.dat} "$STAGE/"
cp "$FW"/dtb/bcm2711-rpi-*.dtb "$STAGE/"
cp "$KERNEL" "$STAGE/hvcon.bin"
cp "$CONFIG_TXT" "$STAGE/config.txt"
if [ "$MODE" = uboot ]; then
    cp "$FW"/root/usr/lib/u-boot/rpi_arm64/u-boot.bin "$STAGE/u-boot.bin"
    mkimage -A arm64 -O linux -T script -C none -n "hvcon rpi4 boot script" \
        -d "$HERE/boot-rpi4.cmd" "$STAGE/boot.scr" > /dev/null
    kernel=u-boot.bin
    what="U-Boot (rpi_arm64), which runs boot.scr, which boots hvcon.bin"
else
    kernel=hvcon.bin
    what="the hypervisor"
fi
printf '# What the firmware starts: %s.\nkernel=%s\n' "$what" "$kernel" >> "$STAGE/config.txt"

"$HERE/mk-uboot.sh" fat "$IMG" HVCON "$STAGE"/*
rm -rf "$STAGE"
# QEMU takes only SD card images whose size is a power of two: pad the image (sparse) up to one.
size=$(stat -c %s "$IMG") p2=1048576
while [ $p2 -lt "$size" ]; do p2=$(( p2 * 2 )); done
truncate -s $p2 "$IMG"
log "$IMG: $(( p2 / 1048576 )) MiB, the firmware starts $kernel"
