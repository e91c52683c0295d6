#!/bin/sh
# /init of the Linux zone guest initramfs (packed by scripts/mk-linux-guest.sh).
#
# - mounts proc, sysfs, devtmpfs (+ devpts)
# - sets the hostname from "zone=<name>" on the kernel command line
# - loads the modules listed in /etc/initramfs-modules (dependency order)
# - runs a respawning interactive shell on /dev/hvc0 (virtio console) and,
#   if no /dev/hvc0 appears within hvc_wait seconds, a fallback shell on the
#   kernel console (e.g. ttyAMA0, the emulated PL011)
#
# Kernel command line knobs: zone=<name>  hvc_wait=<seconds> (default 15)
#
# Note on signals: a non-interactive sh runs "cmd &" with SIGINT/SIGQUIT
# ignored, and an ignored signal stays ignored across exec, so a shell
# started that way could never Ctrl-C its children.  Hence the hvc0 loop
# runs in the foreground of PID 1, and the fallback loop is detached with
# start-stop-daemon (which forks from a foreground command) instead of "&".

PATH=/sbin:/bin:/usr/sbin:/usr/bin
HOME=/root
export PATH HOME

# shell_loop <tty name>: respawn an interactive shell with <tty> as its
# controlling terminal (so job control and Ctrl-C work).  setsid makes the
# inner sh a session leader; its first open of the tty makes it the ctty.
shell_loop() {
    while :; do
        setsid sh -c '
            exec </dev/$1 >/dev/$1 2>&1
            set -- $(stty size 2>/dev/null)
            [ "${1:-0}" = 0 ] && stty rows 24 cols 80 2>/dev/null
            cd /
            echo
            echo "linux zone shell ready (zone=$ZONE tty=$(tty))"
            exec sh -i' shell "$1"
        sleep 1
    done
}

# Re-entry point used for the detached fallback console loop.
if [ "$1" = --zone-shell-loop ] && [ -n "$2" ]; then
    shell_loop "$2"
fi

/bin/busybox --install -s

mount -t proc -o nosuid,nodev,noexec proc /proc
mount -t sysfs -o nosuid,nodev,noexec sysfs /sys
mount -t devtmpfs -o nosuid,mode=0755 devtmpfs /dev
mkdir -p /dev/pts
mount -t devpts -o nosuid,noexec,gid=5,mode=0620,ptmxmode=0666 devpts /dev/pts

msg() { echo "init: $*" >/dev/console 2>/dev/null; }

zone=
hvc_wait=15
for arg in $(cat /proc/cmdline); do
    case "$arg" in
        zone=*)     zone=${arg#zone=} ;;
        hvc_wait=*) hvc_wait=${arg#hvc_wait=} ;;
    esac
done
case "$hvc_wait" in ''|*[!0-9]*) hvc_wait=15 ;; esac
hostname "${zone:-linux}"
ZONE=${zone:-linux}
PS1='\h:\w# '
export ZONE PS1

# Modules, one path (relative to /lib/modules) per line, dependencies first.
if [ -f /etc/initramfs-modules ]; then
    while read -r mod; do
        case "$mod" in ''|'#'*) continue ;; esac
        insmod "/lib/modules/$mod" || msg "insmod $mod failed"
    done </etc/initramfs-modules
fi

start_fallback_shell() {
    # Fallback shell on the kernel console (the zone's emulated PL011) when no virtio console
    # showed up in time: the hypervisor then routes keyboard input to the PL011.  The last
    # entry of console/active is the one /dev/console refers to.
    active=$(cat /sys/class/tty/console/active 2>/dev/null)
    cons=${active##* }
    if [ -n "$cons" ] && [ "$cons" != hvc0 ] && [ -c "/dev/$cons" ]; then
        start-stop-daemon -S -b -m -p "/run/zone-shell-$cons.pid" \
            -x /bin/sh -- /init --zone-shell-loop "$cons" ||
            msg "cannot start fallback shell on /dev/$cons"
    fi
}

# Wait for the virtio console (a missing one is reported, then we keep
# polling slowly in case it shows up later).
i=0
limit=$((hvc_wait * 10))
while [ ! -c /dev/hvc0 ]; do
    if [ "$i" -lt "$limit" ]; then
        i=$((i + 1))
        usleep 100000
    else
        if [ "$i" -eq "$limit" ]; then
            msg "no /dev/hvc0 after ${hvc_wait}s (virtio console missing?); still waiting"
            start_fallback_shell
            i=$((i + 1))
        fi
        sleep 5
    fi
done

# Named virtio ports as /dev/virtio-ports/<name>, as udev's rule does on full systems. A port's
# name arrives in a control message after the port itself, so wait (at most 3 s) until every
# port of every multiport console device (virtio device 3 with feature bit 1) is there and
# named, the count steady for 0.3 s.
name_ports() {
    mkdir -p /dev/virtio-ports
    for f in /sys/class/virtio-ports/vport*/name; do
        [ -r "$f" ] || continue
        name=$(cat "$f")
        dev=${f%/name}
        dev=${dev##*/}
        [ -n "$name" ] && [ -c "/dev/$dev" ] && ln -sfn "../$dev" "/dev/virtio-ports/$name"
    done
}
multiport=0
for d in /sys/bus/virtio/devices/virtio*; do
    [ "$(cat "$d/device" 2>/dev/null)" = 0x0003 ] || continue
    case "$(cat "$d/features" 2>/dev/null)" in ?1*) multiport=1 ;; esac
done
if [ "$multiport" = 1 ]; then
    i=0 last=-1 steady=0
    while [ "$i" -lt 30 ]; do
        n=0 named=0
        for f in /sys/class/virtio-ports/vport*/name; do
            [ -r "$f" ] || continue
            n=$((n + 1))
            [ -n "$(cat "$f")" ] && named=$((named + 1))
        done
        if [ "$n" -gt 0 ] && [ "$named" = "$n" ] && [ "$n" = "$last" ]; then
            steady=$((steady + 1))
            [ "$steady" -ge 3 ] && break
        else
            steady=0
        fi
        last=$n
        i=$((i + 1))
        usleep 100000
    done
    name_ports
    [ "$i" -lt 30 ] || msg "virtio ports: not all named after 3 s ($named of $n)"
fi

# PID 1 stays here forever; waiting on the foreground shell also reaps
# orphaned processes.
shell_loop hvc0
