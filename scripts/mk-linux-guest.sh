#!/usr/bin/env bash
# mk-linux-guest.sh <cache dir> <out dir>
#
# From the .debs fetched by scripts/fetch-guest-debs.sh into <cache dir>,
# produce (without root, nothing built from source):
#   <out dir>/Image              uncompressed arm64 kernel Image
#   <out dir>/initramfs.cpio.gz  busybox + virtio_mmio/virtio_console modules
#                                + tests/guests/linux/init.sh as /init
#   <out dir>/kernel-release     the kernel release string (uname -r)
#
# Outputs are left alone when newer than all inputs (FORCE=1 rebuilds).
set -euo pipefail

[ $# -eq 2 ] || { echo "usage: $0 <cache dir> <out dir>" >&2; exit 2; }
CACHE=$1
OUT=$2
HERE=$(cd "$(dirname "$0")" && pwd)
TOP=$(cd "$HERE/.." && pwd)
INIT=$TOP/tests/guests/linux/init.sh
PY=${PYTHON:-python3}
MODULES=${GUEST_MODULES:-virtio_mmio,virtio_console}

log() { echo "mk-linux-guest: $*" >&2; }

shopt -s nullglob
kdebs=("$CACHE"/linux-image-*-arm64_*_arm64.deb)
bdebs=("$CACHE"/busybox-static_*_arm64.deb)
shopt -u nullglob
[ ${#kdebs[@]} -ge 1 ] && [ ${#bdebs[@]} -ge 1 ] ||
    { log "missing .debs in $CACHE (run scripts/fetch-guest-debs.sh $CACHE)"; exit 1; }
# Several versions in the cache: take the newest.
KDEB=$(printf '%s\n' "${kdebs[@]}" | sort -V | tail -n1)
BDEB=$(printf '%s\n' "${bdebs[@]}" | sort -V | tail -n1)

mkdir -p "$OUT"
if [ "${FORCE:-0}" != 1 ] && [ -f "$OUT/Image" ] && [ -f "$OUT/initramfs.cpio.gz" ]; then
    stale=0
    for f in "$KDEB" "$BDEB" "$INIT" "$HERE/mk-initramfs.py" "$0"; do
        if [ "$f" -nt "$OUT/initramfs.cpio.gz" ] || [ "$f" -nt "$OUT/Image" ]; then
            stale=1
        fi
    done
    if [ $stale = 0 ]; then
        log "up to date: $OUT/Image $OUT/initramfs.cpio.gz"
        exit 0
    fi
fi

WORK=$(mktemp -d "${TMPDIR:-/tmp}/mk-linux-guest.XXXXXX")
trap 'rm -rf "$WORK"' EXIT

log "extracting $(basename "$KDEB")"
dpkg-deb -x "$KDEB" "$WORK/k"
log "extracting $(basename "$BDEB")"
dpkg-deb -x "$BDEB" "$WORK/b"

vmlinuz=("$WORK"/k/boot/vmlinuz-*)
[ -f "${vmlinuz[0]}" ] || { log "no /boot/vmlinuz-* in $KDEB"; exit 1; }
KVER=${vmlinuz[0]##*/vmlinuz-}
log "kernel release $KVER"

# Debian's arm64 vmlinuz has been a gzip'd Image, a plain Image, or an EFI
# zboot image depending on the release: accept all three.
"$PY" - "${vmlinuz[0]}" "$OUT/Image.tmp" <<'EOF'
import gzip, lzma, shutil, subprocess, sys, struct
src, dst = sys.argv[1], sys.argv[2]
data = open(src, "rb").read()

def is_image(d):
    return len(d) > 64 and d[0x38:0x3C] == b"ARM\x64"

if is_image(data):
    kind = "plain arm64 Image"
elif data[:2] == b"\x1f\x8b":
    kind, data = "gzip", gzip.decompress(data)
elif data[:2] == b"MZ" and data[4:8] == b"zimg":
    off, size = struct.unpack_from("<II", data, 8)
    comp = data[0x18:0x20].rstrip(b"\0").decode()
    payload = data[off:off + size]
    kind = "EFI zboot (%s)" % comp
    if comp == "gzip":
        data = gzip.decompress(payload)
    elif comp in ("xz", "lzma"):
        data = lzma.decompress(payload)
    elif comp == "zstd" or comp == "zstd22":
        data = subprocess.run(["zstd", "-dc"], input=payload,
                              stdout=subprocess.PIPE, check=True).stdout
    else:
        sys.exit("unsupported zboot compression " + comp)
else:
    sys.exit("unknown kernel image format in " + src)
if not is_image(data):
    sys.exit("decompressed kernel is not an arm64 Image")
open(dst, "wb").write(data)
print("mk-linux-guest: vmlinuz is %s -> Image %d bytes" % (kind, len(data)),
      file=sys.stderr)
EOF
mv "$OUT/Image.tmp" "$OUT/Image"

"$PY" "$HERE/mk-initramfs.py" --kroot "$WORK/k" --kver "$KVER" \
    --busybox "$WORK/b/bin/busybox" --init "$INIT" --modules "$MODULES" \
    --out "$OUT/initramfs.cpio.gz"

echo "$KVER" > "$OUT/kernel-release"
ls -l "$OUT/Image" "$OUT/initramfs.cpio.gz" >&2
