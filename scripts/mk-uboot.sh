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
set -euo pipefail
PATH=$PATH:/usr/sbin:/sbin           # sfdisk, for users whose PATH lacks them

log() { echo "mk-uboot: $*" >&2; }
usage() {
    echo "usage: $0 image <hypervisor.bin> <load address> <out dir> | disk <out dir>" >&2
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
    local out=$1 img=$1/uboot-disk.img part=$1/uboot-disk.part
    local files=("$out/hvcon.itb" "$out/boot.scr") f need=0 mib
    # The partition: the files plus 16 MiB, and at least 64 MiB (FAT32 needs 65525 clusters).
    for f in "${files[@]}"; do need=$(( need + $(stat -c %s "$f") )); done
    mib=$(( need / 1048576 + 16 ))
    [ $mib -ge 64 ] || mib=64
    rm -f "$part" "$img.new"
    truncate -s ${mib}M "$part"
    mformat -i "$part" -F -v HVCON ::
    mcopy -i "$part" "${files[@]}" ::
    truncate -s $(( mib + 1 ))M "$img.new"
    echo 'start=2048, type=c, bootable' | sfdisk -q "$img.new"
    dd if="$part" of="$img.new" bs=1M seek=1 conv=notrunc,sparse status=none
    rm -f "$part"
    mv "$img.new" "$img"
    log "$img: ${mib} MiB FAT32 partition holding hvcon.itb, boot.scr"
}

[ $# -ge 1 ] || usage
case $1 in
    image) [ $# -eq 4 ] || usage; image "$2" "$3" "$4" ;;
    disk) [ $# -eq 2 ] || usage; disk "$2" ;;
    *) usage ;;
esac
