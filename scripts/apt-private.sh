# apt-private.sh: sourced by the fetch scripts (bash). A private apt state under a directory of
# build/, so that Debian packages can be downloaded without touching the host's apt
# configuration, lists or dpkg database.
#
#   apt_private_sources ARCH          print a one-line sources.list made from the host's apt
#                                     sources (same mirrors, suites, components and Signed-By
#                                     keyrings; deb822 *.sources and one-line *.list files),
#                                     every line restricted to ARCH
#   apt_private_init DIR ARCH SOURCES [STATUS]
#                                     make the private state in DIR for ARCH with the sources
#                                     list SOURCES and set the array APT_OPTS for apt-get and
#                                     apt-cache. The dpkg status apt sees is empty (no package
#                                     installed), or a copy of STATUS (e.g. /var/lib/dpkg/status,
#                                     so that apt plans against what the host has)

apt_private_sources() {
    local arch=$1 f
    local -a files=()
    for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list \
             /etc/apt/sources.list.d/*.sources; do
        [ -f "$f" ] && files+=("$f")
    done
    [ ${#files[@]} -gt 0 ] || { echo "apt-private: no apt sources found on host" >&2; return 1; }
    awk -v arch="$arch" '
    function flush(   i, j, n, u, s, nu, ns, opts) {
        if (types ~ /(^| )deb( |$)/ && uris != "" && suites != "" && enabled != "no") {
            opts = "arch=" arch
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
        # one-line format: deb [opts] uri suite comps...; force arch=ARCH
        line = $0; sub(/^[ \t]*deb[ \t]+/, "", line)
        opts = ""
        if (line ~ /^\[/) {
            opts = line; sub(/\].*/, "", opts); sub(/^\[/, "", opts)
            sub(/^\[[^]]*\][ \t]*/, "", line)
        }
        n = split(opts, o, " "); keep = "arch=" arch
        for (i = 1; i <= n; i++) if (o[i] !~ /^arch=/) keep = keep " " o[i]
        printf "deb [%s] %s\n", keep, line
    }
    END { flush() }
    ' "${files[@]}"
}

apt_private_init() {
    local dir=$1 arch=$2 sources=$3 status=${4:-}
    mkdir -p "$dir/state/lists/partial" "$dir/cache/archives/partial" \
             "$dir/etc/preferences.d" "$dir/etc/apt.conf.d"
    if [ -n "$status" ]; then
        cp "$status" "$dir/state/status"
    else
        : > "$dir/state/status"
    fi
    APT_OPTS=(
        -o "Dir::State=$dir/state"
        -o "Dir::State::status=$dir/state/status"
        -o "Dir::Cache=$dir/cache"
        -o "Dir::Etc::sourcelist=$sources"
        -o "Dir::Etc::sourceparts=-"
        -o "Dir::Etc::preferences=$dir/etc/preferences"
        -o "Dir::Etc::preferencesparts=$dir/etc/preferences.d"
        -o "APT::Architecture=$arch"
        -o "APT::Architectures=$arch"
        -o "APT::Get::List-Cleanup=0"
        -o "Acquire::Languages=none"
        -o "Debug::NoLocking=1"
    )
    if [ "$(id -u)" = 0 ]; then
        # Downloads go to directories the _apt sandbox user may not own.
        APT_OPTS+=(-o "APT::Sandbox::User=root")
    fi
}
