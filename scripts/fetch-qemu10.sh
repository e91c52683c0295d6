#!/usr/bin/env bash
# fetch-qemu10.sh [dir]      (default: build/qemu10)
#
# A QEMU with the raspi4b machine (QEMU 9.0 and later) for a Debian 12 host, whose own
# qemu-system-arm (7.2) lacks it: Debian's bookworm-backports qemu-system-arm (10.0.x, built for
# Debian 12), downloaded and unpacked under <dir>, never installed into /usr:
#
#   <dir>/debs/                 the .debs: qemu-system-arm, qemu-system-common, qemu-system-data
#                               from backports, plus whatever else they need that the host lacks
#                               or has too old (apt plans that against a copy of the host's dpkg
#                               status)
#   <dir>/root/                 the packages unpacked with dpkg-deb -x
#   <dir>/qemu-system-aarch64   a wrapper that runs root/usr/bin/qemu-system-aarch64 with
#                               root's libraries first on LD_LIBRARY_PATH, root's modules
#                               (QEMU_MODULE_DIR) and root's data directory (-L: firmware, DTBs,
#                               keymaps; without it QEMU 10 would read Debian 12's 7.2 files)
#
# The host's apt configuration is never touched: a private apt state lives in <dir>/apt (see
# apt-private.sh), with a sources list made from the host's Debian sources plus the same
# mirrors' <codename>-backports suite.
#
# Idempotent: if the wrapper is there, nothing is fetched. FORCE=1 fetches and unpacks anew.
# QEMU10_SUITE=<suite> takes qemu-system-arm from that suite instead of <codename>-backports.
# QEMU10_HOST_STATUS=<file> plans against that dpkg status instead of /var/lib/dpkg/status (to
# see what a machine with fewer packages would get).
set -euo pipefail

DIR=${1:-build/qemu10}
mkdir -p "$DIR"
DIR=$(cd "$DIR" && pwd)
WRAPPER=$DIR/qemu-system-aarch64
CORE=(qemu-system-arm qemu-system-common qemu-system-data)

log() { echo "fetch-qemu10: $*" >&2; }

if [ "${FORCE:-0}" != 1 ] && [ -x "$WRAPPER" ] &&
   [ -x "$DIR/root/usr/bin/qemu-system-aarch64" ]; then
    log "already present: $WRAPPER ($(cat "$DIR/version" 2>/dev/null || echo '?'))"
    exit 0
fi

command -v apt-get >/dev/null || { log "apt-get not found"; exit 1; }
. "$(dirname "$0")/apt-private.sh"

ARCH=$(dpkg --print-architecture)
CODENAME=$(. /etc/os-release && echo "${VERSION_CODENAME:-}")
[ -n "$CODENAME" ] ||
    { log "cannot tell the Debian release (VERSION_CODENAME in /etc/os-release)"; exit 1; }
SUITE=${QEMU10_SUITE:-$CODENAME-backports}

APTDIR=$DIR/apt
mkdir -p "$APTDIR/etc"
SOURCES=$APTDIR/etc/sources.list
# The host's Debian sources, and for every one of <codename> the same mirror's backports suite.
apt_private_sources "$ARCH" | grep -E 'debian' > "$SOURCES.new" || true
awk -v codename="$CODENAME" -v suite="$SUITE" '
    { print }
    {
        # deb [opts] uri suite components...
        line = $0; sub(/^deb[ \t]+\[[^]]*\][ \t]*/, "", line)
        n = split(line, f, /[ \t]+/)
        if (n >= 2 && f[2] == codename) {
            sub("[ \t]" codename "([ \t]|$)", " " suite " ")
            sub(/[ \t]+$/, "")
            print
        }
    }' "$SOURCES.new" | sort -u > "$SOURCES"
rm -f "$SOURCES.new"
grep -q "[[:space:]]$SUITE[[:space:]]" "$SOURCES" ||
    { log "no Debian $CODENAME source on this host to take $SUITE from"; exit 1; }
log "using sources:"; sed 's/^/  /' "$SOURCES" >&2

# apt plans against a copy of the host's dpkg status: it asks for only what the host lacks.
apt_private_init "$APTDIR" "$ARCH" "$SOURCES" "${QEMU10_HOST_STATUS:-/var/lib/dpkg/status}"

log "apt-get update (private state in $APTDIR)"
apt-get "${APT_OPTS[@]}" -q update >&2

# What installing qemu-system-arm from backports would install or upgrade: "Inst name [old] (ver ...".
PLAN=$(apt-get "${APT_OPTS[@]}" -s -q install --no-install-recommends -t "$SUITE" \
           "${CORE[@]/%//$SUITE}" 2>&1) ||
    { log "apt cannot plan qemu-system-arm from $SUITE:"; echo "$PLAN" >&2; exit 1; }
declare -A SPEC=()
while read -r name ver; do
    SPEC[$name]="$name=$ver"
done < <(echo "$PLAN" | sed -n 's/^Inst \([^ ]*\) \(\[[^]]*\] \)\?(\([^ ]*\) .*/\1 \3/p')
for p in "${CORE[@]}"; do            # also when the host already has them at that version
    [ -n "${SPEC[$p]:-}" ] || SPEC[$p]="$p/$SUITE"
done
log "downloading: ${SPEC[*]}"

rm -rf "$DIR/debs" "$DIR/root.new"
mkdir -p "$DIR/debs"
( cd "$DIR/debs" && apt-get "${APT_OPTS[@]}" -q download "${SPEC[@]}" >&2 )

mkdir -p "$DIR/root.new"
for deb in "$DIR"/debs/*.deb; do
    dpkg-deb -x "$deb" "$DIR/root.new"
done
rm -rf "$DIR/root"
mv "$DIR/root.new" "$DIR/root"
ROOT=$DIR/root
BIN=$ROOT/usr/bin/qemu-system-aarch64
[ -x "$BIN" ] || { log "no usr/bin/qemu-system-aarch64 in the unpacked packages"; exit 1; }

MODDIR=$(echo "$ROOT"/usr/lib/*/qemu)
[ -d "$MODDIR" ] || { log "no module directory usr/lib/<multiarch>/qemu unpacked"; exit 1; }
MULTIARCH=$(basename "$(dirname "$MODDIR")")

# The libraries: the host's, except those unpacked here (newer than the host's or missing there).
LIBPATH=$ROOT/usr/lib/$MULTIARCH:$ROOT/lib/$MULTIARCH
missing=$(LD_LIBRARY_PATH=$LIBPATH ldd "$BIN" | grep 'not found' || true)
[ -z "$missing" ] || { log "$BIN still lacks libraries:"; echo "$missing" >&2; exit 1; }
private=$(LD_LIBRARY_PATH=$LIBPATH ldd "$BIN" | awk -v root="$ROOT" 'index($0, root) { printf "%s ", $1 }')
log "libraries from $DIR/root: ${private:-none (the host has them all)}"

cat > "$WRAPPER.new" <<EOF
#!/bin/sh
# QEMU $(dpkg-deb -f "$DIR"/debs/qemu-system-arm_*.deb Version) from Debian $SUITE, unpacked by
# scripts/fetch-qemu10.sh (not installed): its own libraries, modules and data files first.
root=\$(dirname "\$(readlink -f "\$0")")/root
LD_LIBRARY_PATH=\$root/usr/lib/$MULTIARCH:\$root/lib/$MULTIARCH\${LD_LIBRARY_PATH:+:\$LD_LIBRARY_PATH}
QEMU_MODULE_DIR=\$root/usr/lib/$MULTIARCH/qemu
export LD_LIBRARY_PATH QEMU_MODULE_DIR
exec "\$root/usr/bin/qemu-system-aarch64" -L "\$root/usr/share/qemu" "\$@"
EOF
chmod +x "$WRAPPER.new"

version=$("$WRAPPER.new" --version | head -n1)
"$WRAPPER.new" -M help | grep -qw raspi4b || { log "$version has no raspi4b machine"; exit 1; }
echo "$version" > "$DIR/version"
mv "$WRAPPER.new" "$WRAPPER"
log "$WRAPPER: $version, $(du -sh "$DIR/debs" | cut -f1) of .debs"
