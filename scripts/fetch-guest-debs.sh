#!/usr/bin/env bash
# fetch-guest-debs.sh <cache dir>
#
# Download the Debian arm64 packages needed to assemble the Linux guest:
#   - linux-image-<abi>-arm64   (the real kernel package that the
#                                linux-image-arm64 meta package depends on)
#   - busybox-static
#
# The host's apt configuration is never touched: a private apt state/cache
# lives under <cache dir>/apt, and a sources list is generated from the
# host's own sources (same mirrors, suites, components and Signed-By
# keyrings), restricted to arm64.
#
# Idempotent: if the .debs are already in <cache dir>, nothing is fetched.
# Set FORCE=1 to refresh anyway.  Works as root and as a normal user.
# GUEST_APT_SOURCES=<file>: use this one-line-format sources.list instead.
set -euo pipefail

usage() { echo "usage: $0 <cache dir>" >&2; exit 2; }
[ $# -eq 1 ] || usage

CACHE=$1
mkdir -p "$CACHE"
CACHE=$(cd "$CACHE" && pwd)

log() { echo "fetch-guest-debs: $*" >&2; }

have_debs() {
    compgen -G "$CACHE/linux-image-*-arm64_*_arm64.deb" >/dev/null &&
    compgen -G "$CACHE/busybox-static_*_arm64.deb" >/dev/null
}

if [ "${FORCE:-0}" != 1 ] && have_debs; then
    log "already present in $CACHE:"
    ( cd "$CACHE" && ls -1 linux-image-*-arm64_*_arm64.deb busybox-static_*_arm64.deb ) | sed 's/^/  /' >&2
    exit 0
fi

command -v apt-get >/dev/null || { log "apt-get not found"; exit 1; }

. "$(dirname "$0")/apt-private.sh"
APTDIR=$CACHE/apt
mkdir -p "$APTDIR/etc"
SOURCES=$APTDIR/etc/sources.list

if [ -n "${GUEST_APT_SOURCES:-}" ]; then
    # Explicit one-line sources.list to use instead of the host's sources.
    cp "$GUEST_APT_SOURCES" "$SOURCES"
else
    apt_private_sources arm64 > "$SOURCES.new"
    # Only Debian-archive sources can provide these packages; drop
    # third-party repositories (e.g. nodesource) that may not carry arm64.
    grep -E 'debian' "$SOURCES.new" > "$SOURCES" || cp "$SOURCES.new" "$SOURCES"
    rm -f "$SOURCES.new"
fi
[ -s "$SOURCES" ] || { log "generated sources list is empty"; exit 1; }
log "using sources:"; sed 's/^/  /' "$SOURCES" >&2

apt_private_init "$APTDIR" arm64 "$SOURCES"      # empty dpkg status: ignore host packages

log "apt-get update (private state in $APTDIR)"
apt-get "${APT_OPTS[@]}" -q update >&2

# linux-image-arm64 (meta) -> Depends: linux-image-<abi>-arm64 (= ver)
KPKG=$(apt-cache "${APT_OPTS[@]}" depends linux-image-arm64 |
       awk '$1 ~ /Depends:/ && $2 ~ /^linux-image-[0-9].*-arm64$/ { print $2; exit }')
[ -n "$KPKG" ] || { log "cannot resolve linux-image-arm64 dependency"; exit 1; }
log "linux-image-arm64 -> $KPKG"

cd "$CACHE"
# Remove stale versions of the same packages before downloading new ones.
if [ "${FORCE:-0}" = 1 ]; then
    rm -f linux-image-*-arm64_*_arm64.deb busybox-static_*_arm64.deb
fi
log "apt-get download $KPKG busybox-static"
apt-get "${APT_OPTS[@]}" -q download "$KPKG:arm64" "busybox-static:arm64" >&2

have_debs || { log "download did not produce the expected .debs"; exit 1; }
ls -1 linux-image-*-arm64_*_arm64.deb busybox-static_*_arm64.deb | sed 's/^/  /' >&2
