#!/usr/bin/env bash
# mk-uboot.sh: what U-Boot boots the hypervisor from.
#
#   mk-uboot.sh image <hypervisor.bin> <load address> <out dir>
#       <out dir>/hvcon.its and hvcon.itb: a FIT image (mkimage -f) holding the hypervisor as an
#       arm64 "linux" kernel, uncompressed, loaded and entered at <load address> (U-Boot's bootm
#       copies it there), crc32-checked; its one configuration, "hvcon", has no FDT, so that
#       bootm hands the hypervisor U-Boot's own device tree (scripts/boot.cmd passes
#       ${fdtcontroladdr}).
#       <out dir>/boot.scr: scripts/boot.cmd made into a U-Boot script image (mkimage -T script).
#   mk-uboot.sh disk <out dir>
#       <out dir>/uboot-disk.img: a disk image with an MBR partition table and one FAT32
#       partition (bootable, from 1 MiB) holding hvcon.itb and boot.scr from <out dir>. Made
#       with sfdisk and mtools on plain files: no root, no loop device. U-Boot's distro boot
#       finds boot.scr on it (a FAT file system on the whole disk, with no table, works too).
#   mk-uboot.sh fat <disk image> <label> <file or folder>...
#       the same kind of disk image holding those files and folders (folders whole, with what
#       is in them) in the partition's root (scripts/mk-sdcard.sh makes the Raspberry Pi 4 card
#       with it).
set -euo pipefail
PATH=$PATH:/usr/sbin:/sbin           # sfdisk, for users whose PATH lacks them

log() { echo "mk-uboot: $*" >&2; }
usage() {
    echo "usage: $0 image <hypervisor.bin> <load address> <out dir> | disk <out dir>" >&2
    echo "       $0 fat <disk image> <label> <file or folder>..." >&2
    exit 2
}

image() {
    local hv=$1 load=$2 out=$3
    mkdir -p "$out"
    cat > "$out/hvcon.its" <<ITS
/dts-v1/;

/ {
	description = "hvcon hypervisor";
	#address-cells = <1>;

	images {
		hypervisor {
			description = "hvcon hypervisor ($hv)";
			data = /incbin/("$(realpath "$hv")");
			type = "kernel";
			arch = "arm64";
			os = "linux";
			compression = "none";
			load = <$load>;
			entry = <$load>;
			hash-1 {
				algo = "crc32";
			};
		};
	};

	configurations {
		default = "hvcon";
		hvcon {
			description = "hvcon hypervisor with U-Boot's own device tree";
			kernel = "hypervisor";
		};
	};
};
ITS
    mkimage -f "$out/hvcon.its" "$out/hvcon.itb.new" > /dev/null
    mv "$out/hvcon.itb.new" "$out/hvcon.itb"
    mkimage -A arm64 -O linux -T script -C none -n "hvcon boot script" \
        -d "$(dirname "$0")/boot.cmd" "$out/boot.scr.new" > /dev/null
    mv "$out/boot.scr.new" "$out/boot.scr"
}

disk() {
    local out=$1
    fat "$out/uboot-disk.img" HVCON "$out/hvcon.itb" "$out/boot.scr"
}

# fat <image> <label> <file or folder>...: an MBR disk image with one bootable FAT32 partition
# (type 0x0c, from 1 MiB) holding the files and folders (folders copied whole) in its root.
fat() {
    local img=$1 label=$2; shift 2
    local part=$img.part need mib
    # The partition: the files plus 16 MiB, and at least 64 MiB (FAT32 needs 65525 clusters).
    need=$(du -s -b -L "$@" | awk '{ n += $1 } END { print n }')
    mib=$(( need / 1048576 + 16 ))
    [ $mib -ge 64 ] || mib=64
    rm -f "$part" "$img.new"
    truncate -s ${mib}M "$part"
    mformat -i "$part" -F -H 2048 -v "$label" ::   # -H: the sectors before the partition
    mcopy -s -i "$part" "$@" ::
    truncate -s $(( mib + 1 ))M "$img.new"
    echo 'start=2048, type=c, bootable' | sfdisk -q "$img.new"
    dd if="$part" of="$img.new" bs=1M seek=1 conv=notrunc,sparse status=none
    rm -f "$part"
    mv "$img.new" "$img"
    log "$img: ${mib} MiB FAT32 partition holding $(for f in "$@"; do basename "$f"; done | tr '\n' ' ')"
}

[ $# -ge 1 ] || usage
case $1 in
    image) [ $# -eq 4 ] || usage; image "$2" "$3" "$4" ;;
    disk) [ $# -eq 2 ] || usage; disk "$2" ;;
    fat) [ $# -ge 4 ] || usage; shift; fat "$@" ;;
    *) usage ;;
esac
