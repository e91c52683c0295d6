#!/usr/bin/env bash
# fetch-rpi-firmware.sh [dir] [kernel debs dir]     (defaults: build/rpi-firmware, build/debs)
#
# What a Raspberry Pi 4 SD card needs from Debian, downloaded and unpacked under <dir>, never
# installed on the host:
#
#   <dir>/debs/        raspi-firmware (non-free-firmware: start4.elf, fixup4.dat, ...) and
#                      u-boot-rpi (main: usr/lib/u-boot/rpi_arm64/u-boot.bin), about 5.2 MB
#   <dir>/root/        both unpacked with dpkg-deb -x
#   <dir>/dtb/         bcm2711-rpi-4-b.dtb, bcm2711-rpi-400.dtb, bcm2711-rpi-cm4-io.dtb: Debian
#                      ships the board device trees in the kernel package, not in
#                      raspi-firmware (whose kernel hook copies them from
#                      /usr/lib/linux-image-*/broadcom/); they are taken from the arm64
#                      linux-image .deb that scripts/fetch-guest-debs.sh keeps in <kernel debs dir>
#                      for the Linux zones (about 60 MB, fetched there if it is not yet)
#   <dir>/versions     the package versions
#
# Neither package ships Raspberry Pi device-tree overlays (overlays/*.dtbo, e.g. disable-bt.dtbo),
# and no Debian package does: they come with the Raspberry Pi kernel tree, which Debian does not
# package. See platform/rpi4/config.txt.
#
# The host's apt configuration is never touched: a private apt state lives in <dir>/apt (see
# apt-private.sh) with a sources list made from the host's Debian sources, restricted to arm64,
# with the non-free-firmware component added where it is missing (raspi-firmware is there).
# The package lists it downloads are about 9 MB.
#
# Idempotent: if everything is unpacked, nothing is fetched. FORCE=1 fetches and unpacks anew.
set -euo pipefail

DIR=${1:-build/rpi-firmware}
KDEBS=${2:-build/debs}
mkdir -p "$DIR"
DIR=$(cd "$DIR" && pwd)
HERE=$(cd "$(dirname "$0")" && pwd)
PKGS=(raspi-firmware u-boot-rpi)
NEED=(root/usr/lib/raspi-firmware/start4.elf root/usr/lib/raspi-firmware/fixup4.dat
      root/usr/lib/u-boot/rpi_arm64/u-boot.bin dtb/bcm2711-rpi-4-b.dtb)

log() { echo "fetch-rpi-firmware: $*" >&2; }

have_all() {
    local f
    for f in "${NEED[@]}"; do [ -f "$DIR/$f" ] || return 1; done
}

if [ "${FORCE:-0}" != 1 ] && have_all; then
    log "already present in $DIR ($(tr '\n' ' ' < "$DIR/versions" 2>/dev/null))"
    exit 0
fi

command -v apt-get >/dev/null || { log "apt-get not found"; exit 1; }
. "$HERE/apt-private.sh"

APTDIR=$DIR/apt
mkdir -p "$APTDIR/etc"
SOURCES=$APTDIR/etc/sources.list
# The host's Debian sources for arm64; the main archive's suites (not debian-security, which
# has no non-free-firmware of its own here) also get non-free-firmware.
apt_private_sources arm64 | grep -E 'debian' | awk '
    $0 !~ /debian-security/ && $0 !~ /[ \t]non-free-firmware([ \t]|$)/ { $0 = $0 " non-free-firmware" }
    { print }' | sort -u > "$SOURCES"
[ -s "$SOURCES" ] || { log "no Debian apt sources on this host"; exit 1; }
log "using sources:"; sed 's/^/  /' "$SOURCES" >&2

apt_private_init "$APTDIR" arm64 "$SOURCES"      # empty dpkg status: ignore host packages

log "apt-get update (private state in $APTDIR)"
apt-get "${APT_OPTS[@]}" -q update >&2

rm -rf "$DIR/debs" "$DIR/root.new" "$DIR/dtb.new"
mkdir -p "$DIR/debs" "$DIR/root.new" "$DIR/dtb.new"
log "apt-get download ${PKGS[*]}"
( cd "$DIR/debs" && apt-get "${APT_OPTS[@]}" -q download "${PKGS[@]/%/:arm64}" >&2 )
: > "$DIR/versions.new"
for deb in "$DIR"/debs/*.deb; do
    dpkg-deb -x "$deb" "$DIR/root.new"
    echo "$(dpkg-deb -f "$deb" Package) $(dpkg-deb -f "$deb" Version)" >> "$DIR/versions.new"
done

# The board device trees, from the kernel package the Linux zones use.
"$HERE/fetch-guest-debs.sh" "$KDEBS"
kdeb=$(ls -1 "$KDEBS"/linux-image-*-arm64_*_arm64.deb | sort -V | tail -n1)
dpkg-deb --fsys-tarfile "$kdeb" |
    tar -x -C "$DIR/dtb.new" --wildcards --no-anchored --transform 's,.*/,,' \
        '*/broadcom/bcm2711-rpi-*.dtb'
echo "$(dpkg-deb -f "$kdeb" Package) $(dpkg-deb -f "$kdeb" Version) (device trees)" >> "$DIR/versions.new"

rm -rf "$DIR/root" "$DIR/dtb"
mv "$DIR/root.new" "$DIR/root"
mv "$DIR/dtb.new" "$DIR/dtb"
mv "$DIR/versions.new" "$DIR/versions"
have_all || { log "the packages lack some of: ${NEED[*]}"; exit 1; }
log "$DIR: $(tr '\n' ' ' < "$DIR/versions")"
log "device trees: $(cd "$DIR/dtb" && echo *.dtb)"
