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

APTDIR=$CACHE/apt
mkdir -p "$APTDIR/state/lists/partial" "$APTDIR/cache/archives/partial" \
         "$APTDIR/etc/preferences.d" "$APTDIR/etc/apt.conf.d"
: > "$APTDIR/state/status"          # empty dpkg status: ignore host packages
SOURCES=$APTDIR/etc/sources.list

# --- generate sources.list from the host's apt sources -------------------
# Accepts deb822 *.sources files and one-line *.list files.
gen_sources() {
    local f
    local -a files=()
    for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list \
             /etc/apt/sources.list.d/*.sources; do
        [ -f "$f" ] && files+=("$f")
    done
    [ ${#files[@]} -gt 0 ] || { log "no apt sources found on host"; return 1; }
    awk '
    function flush(   i, j, n, u, s, nu, ns, opts) {
        if (types ~ /(^| )deb( |$)/ && uris != "" && suites != "" && enabled != "no") {
            opts = "arch=arm64"
            if (signed != "") opts = opts " signed-by=" signed
            nu = split(uris, u, " "); ns = split(suites, s, " ")
            for (i = 1; i <= nu; i++)
                for (j = 1; j <= ns; j++)
                    printf "deb [%s] %s %s %s\n", opts, u[i], s[j], comps
        }
        types = uris = suites = comps = signed = enabled = ""
    }
    FNR == 1 { flush(); deb822 = (FILENAME ~ /\.sources$/) }
    deb822 {
        if ($0 ~ /^[ \t]*#/) next
        if ($0 ~ /^[ \t]*$/) { flush(); next }
        if ($0 ~ /^[ \t]/) next          # continuation (e.g. inline key): ignore
        key = tolower($1); sub(/:$/, "", key)
        val = $0; sub(/^[^:]*:[ \t]*/, "", val)
        if (key == "types") types = val
        else if (key == "uris") uris = val
        else if (key == "suites") suites = val
        else if (key == "components") comps = val
        else if (key == "signed-by") signed = val
        else if (key == "enabled") enabled = tolower(val)
        next
    }
    !deb822 && $1 == "deb" {
        # one-line format: deb [opts] uri suite comps...; force arch=arm64
        line = $0; sub(/^[ \t]*deb[ \t]+/, "", line)
        opts = ""
        if (line ~ /^\[/) {
            opts = line; sub(/\].*/, "", opts); sub(/^\[/, "", opts)
            sub(/^\[[^]]*\][ \t]*/, "", line)
        }
        n = split(opts, o, " "); keep = "arch=arm64"
        for (i = 1; i <= n; i++) if (o[i] !~ /^arch=/) keep = keep " " o[i]
        printf "deb [%s] %s\n", keep, line
    }
    END { flush() }
    ' "${files[@]}"
}

if [ -n "${GUEST_APT_SOURCES:-}" ]; then
    # Explicit one-line sources.list to use instead of the host's sources.
    cp "$GUEST_APT_SOURCES" "$SOURCES"
else
    gen_sources > "$SOURCES.new"
    # Only Debian-archive sources can provide these packages; drop
    # third-party repositories (e.g. nodesource) that may not carry arm64.
    grep -E 'debian' "$SOURCES.new" > "$SOURCES" || cp "$SOURCES.new" "$SOURCES"
    rm -f "$SOURCES.new"
fi
[ -s "$SOURCES" ] || { log "generated sources list is empty"; exit 1; }
log "using sources:"; sed 's/^/  /' "$SOURCES" >&2

APT_OPTS=(
    -o "Dir::State=$APTDIR/state"
    -o "Dir::State::status=$APTDIR/state/status"
    -o "Dir::Cache=$APTDIR/cache"
    -o "Dir::Etc::sourcelist=$SOURCES"
    -o "Dir::Etc::sourceparts=-"
    -o "Dir::Etc::preferences=$APTDIR/etc/preferences"
    -o "Dir::Etc::preferencesparts=$APTDIR/etc/preferences.d"
    -o "APT::Architecture=arm64"
    -o "APT::Architectures=arm64"
    -o "APT::Get::List-Cleanup=0"
    -o "Acquire::Languages=none"
    -o "Debug::NoLocking=1"
)
if [ "$(id -u)" = 0 ]; then
    # Downloads go to directories the _apt sandbox user may not own.
    APT_OPTS+=(-o "APT::Sandbox::User=root")
fi

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
