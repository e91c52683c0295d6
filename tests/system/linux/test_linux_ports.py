"""Named virtio ports between the Linux zones (issue 9): linux0's link0 is wired at EL2 to
linux1's link0, and each zone has a log port (platform/zone/linux.inc.c). In the guests they are
/dev/virtio-ports/link0 and /dev/virtio-ports/log, on a multiport device of their own; the
console stays on hvc0, a plain virtio console, whose size the zones keep reading from its
configuration space.

One machine for the module. The tests run in file order; the last one restarts linux1.
"""

import re
import time

import pytest

from hvlinux import CONSOLE_COLS, CONSOLE_ROWS, ESC, prompt_re

# The device and its links are the same code on every board; they run where their interrupt
# (SPI 17) is routed by each GIC: QEMU virt with GICv3 and GICv2, and the Raspberry Pi 4.
TARGETS = ("virt-gicv3", "virt-gicv2", "rpi4")
pytestmark = pytest.mark.every_target

LINK = "/dev/virtio-ports/link0"
LINK_BUF = 16384  # bytes per direction on a link (hypervisor/port_link.h)
MIB4 = 4 << 20

PORT_RE = re.compile(
    rb"\[hv\]\s+port (\d+) (\S+)\s+(link|log)\s+(.*?)\s+(open|closed)\s+tx\s+(\d+) rx\s+(\d+) "
    rb"waiting (\d+)\r\n")


def ports(m):
    """Ctrl-\\ l, the port lines: {(zone, port name): dict(kind, peer, open, tx, rx, waiting)}."""
    start = m.mark()
    m.list_zones()  # up to the last zone's row; the port lines come after their zone's row
    found = {}
    zone = None
    for line in m.since(start).split(b"\r\n"):
        z = re.match(rb"\[hv\] [ *]\s*\d+ (\S+) ", line)
        if z:
            zone = z.group(1).decode()
        p = PORT_RE.match(line + b"\r\n")
        if p:
            found[(zone, p.group(2).decode())] = dict(
                kind=p.group(3).decode(), peer=p.group(4).decode(), open=p.group(5) == b"open",
                tx=int(p.group(6)), rx=int(p.group(7)), waiting=int(p.group(8)))
    return found


def on(m, zone, cmd, timeout=60):
    """Run cmd in zone (focusing it); returns its output."""
    zid = int(zone[-1])
    if m.focused != zid:
        m.focus(zid)
    return m.out(zone, cmd, timeout)


def wait_size(m, zone, path, size, timeout=240):
    """Until the file has size bytes (polled in the guest), or fail."""
    polls = int(timeout / 0.2)
    out = on(m, zone, "n=0; while [ $(wc -c <%s) -lt %d ] && [ $n -lt %d ]; do usleep 200000; "
             "n=$((n+1)); done; wc -c <%s" % (path, size, polls, path), timeout + 30)
    assert int(out) == size, "%s in %s: %s bytes of %d" % (path, zone, out, size)


def md5(m, zone, path):
    return on(m, zone, "md5sum %s" % path, 120).split()[0]


def test_ports_named_and_console_unchanged(machine):
    """Both zones see their ports by name; hvc0 is still the console, with its size."""
    m = machine
    for zone, peer in (("linux0", "linux1"), ("linux1", "linux0")):
        names = on(m, zone, "ls /dev/virtio-ports").split()
        assert sorted(names) == ["link0", "log"], names
        # The ports are on the second virtio device (vport1pN); the console is vport0p0 = hvc0.
        assert on(m, zone, "readlink %s" % LINK) == "../vport1p0"
        assert on(m, zone, "cat /sys/class/virtio-ports/vport1p1/name") == "log"
        assert on(m, zone, "tty") == "/dev/hvc0"
        assert on(m, zone, "stty size") == "%d %d" % (CONSOLE_ROWS, CONSOLE_COLS)
        # The console device did not negotiate MULTIPORT (bit 1): Linux reads its size from it.
        feats = on(m, zone, "cat /sys/bus/virtio/devices/virtio0/features")
        assert feats[1] == "0", feats
        assert on(m, zone, "cat /sys/bus/virtio/devices/virtio1/features")[1] == "1"
    p = ports(m)
    assert p[("linux0", "link0")]["peer"] == "<-> linux1:link0"
    assert p[("linux1", "link0")]["peer"] == "<-> linux0:link0"
    assert p[("linux0", "log")]["kind"] == "log"
    m.focus(0)


def test_link_4mib_intact(machine):
    """4 MiB of random bytes written into linux0's end arrive whole in linux1."""
    m = machine
    on(m, "linux0", "head -c %d /dev/urandom >/tmp/src" % MIB4, 120)
    src = md5(m, "linux0", "/tmp/src")
    before = ports(m)
    on(m, "linux1", "rm -f /tmp/x; cat %s >/tmp/x & echo $! >/tmp/rpid" % LINK)
    t0 = time.monotonic()
    on(m, "linux0", "cat /tmp/src >%s" % LINK, 300)
    wait_size(m, "linux1", "/tmp/x", MIB4)
    print("4 MiB over the link in %.1f s of host time" % (time.monotonic() - t0))
    on(m, "linux1", "kill $(cat /tmp/rpid); wait")
    assert md5(m, "linux1", "/tmp/x") == src
    after = ports(m)
    assert after[("linux0", "link0")]["tx"] - before[("linux0", "link0")]["tx"] == MIB4
    assert after[("linux1", "link0")]["rx"] - before[("linux1", "link0")]["rx"] == MIB4
    assert after[("linux1", "link0")]["waiting"] == 0


def test_writer_blocks_while_reader_away(machine):
    """With nobody reading in linux1, linux0's writer blocks once the link's bounded buffer is
    full (EL2 takes no more than LINK_BUF bytes); when linux1 reads, both go on and every byte
    arrives."""
    m = machine
    src = md5(m, "linux0", "/tmp/src")
    before = ports(m)
    on(m, "linux0", "dd if=/tmp/src of=%s bs=4096 2>/tmp/dd.err & echo $! >/tmp/wpid" % LINK)
    time.sleep(3)
    # Still writing, and what EL2 took is exactly the link's buffer.
    on(m, "linux0", "kill -0 $(cat /tmp/wpid)")
    for _ in range(2):
        held = ports(m)
        assert held[("linux1", "link0")]["waiting"] == LINK_BUF, held[("linux1", "link0")]
        assert held[("linux0", "link0")]["tx"] - before[("linux0", "link0")]["tx"] == LINK_BUF
        time.sleep(1)
    assert held[("linux1", "link0")]["rx"] == before[("linux1", "link0")]["rx"]
    on(m, "linux1", "rm -f /tmp/x; cat %s >/tmp/x & echo $! >/tmp/rpid" % LINK)
    wait_size(m, "linux1", "/tmp/x", MIB4)
    # The writer finished once its last bytes were taken.
    on(m, "linux0", "wait; grep -c records /tmp/dd.err")
    on(m, "linux1", "kill $(cat /tmp/rpid); wait")
    assert md5(m, "linux1", "/tmp/x") == src
    assert ports(m)[("linux1", "link0")]["waiting"] == 0


def read_line(m, zone, expect):
    """A reader that opens the port, reads one line and closes it."""
    assert on(m, zone, "read -r l <%s; echo got:$l" % LINK, 30) == "got:" + expect


def test_close_and_reopen_both_ends(machine):
    """Each end opened and closed again and again, in both directions; a line written while
    the other end is closed waits for its next reader."""
    m = machine
    for writer, reader in (("linux0", "linux1"), ("linux1", "linux0")):
        for i in range(3):
            # Written with no reader: held at EL2 until the next open.
            on(m, writer, "echo %s-held-%d >%s" % (writer, i, LINK))
            read_line(m, reader, "%s-held-%d" % (writer, i))
        # A reader waiting first, then the writer opens.
        on(m, reader, "rm -f /tmp/r; (read -r l <%s; echo got:$l >/tmp/r) & true" % LINK)
        on(m, writer, "echo %s-live >%s" % (writer, LINK))
        assert on(m, reader, "n=0; while [ ! -s /tmp/r ] && [ $n -lt 50 ]; do usleep 100000; "
                  "n=$((n+1)); done; cat /tmp/r") == "got:%s-live" % writer
        # Several opens in a row by the writer, one reader for all of them.
        on(m, reader, "rm -f /tmp/r; cat %s >/tmp/r & echo $! >/tmp/rpid" % LINK)
        on(m, writer, "for i in 1 2 3; do echo w$i >%s; done" % LINK)
        wait_size(m, reader, "/tmp/r", 9, 30)
        assert on(m, reader, "kill $(cat /tmp/rpid); wait; cat /tmp/r").split() == \
            ["w1", "w2", "w3"]


def test_log_port_shown_by_escape_g(machine):
    """What a zone writes to its log port is kept at EL2 and shown by Ctrl-\\ g."""
    m = machine
    tok = "log-%x" % m.rng.getrandbits(48)
    on(m, "linux0", "echo %s >/dev/virtio-ports/log; echo second line >/dev/virtio-ports/log" % tok)
    start = m.mark()
    m.send(ESC + b"g")
    m.expect(re.compile(rb"\[hv\] --- linux0:log log: last \d+ of \d+ bytes written ---\r\n"),
             start=start)
    m.expect_exact(b"[hv]   %s\r\n[hv]   second line\r\n" % tok.encode())
    m.expect_exact(b"[hv] --- end of linux0:log ---\r\n")
    m.send(b"\r")
    m.expect(prompt_re("linux0"))
    assert ports(m)[("linux0", "log")]["tx"] >= len(tok) + 13


def test_reader_restart_keeps_link(machine):
    """linux1 restarts while linux0's writer is blocked on the link: the writer stays blocked
    (nothing lost), linux1's new boot reads every byte, and the link then works both ways."""
    m = machine
    n = MIB4
    src = md5(m, "linux0", "/tmp/src")
    # 4 KiB writes: Linux keeps at most a queue's worth (256 x 4 KiB) in flight, so the writer
    # is still blocked when the link is full.
    on(m, "linux0", "dd if=/tmp/src of=%s bs=4096 2>/dev/null & echo $! >/tmp/wpid" % LINK)
    time.sleep(2)
    m.focus(1)
    start = m.mark()
    m.send(ESC + b"r")
    m.expect_exact(b"[hv] restarting zone 1 (linux1)\r\n", start=start)
    m.wait_linux_shell("linux1", start=start)
    on(m, "linux1", "dmesg -n 1")
    on(m, "linux0", "kill -0 $(cat /tmp/wpid)")  # still blocked, not failed
    on(m, "linux1", "cat %s >/tmp/x & echo $! >/tmp/rpid" % LINK)
    wait_size(m, "linux1", "/tmp/x", n)
    on(m, "linux0", "wait")
    on(m, "linux1", "kill $(cat /tmp/rpid); wait")
    assert md5(m, "linux1", "/tmp/x") == src
    on(m, "linux1", "echo back-from-restart >%s" % LINK)
    read_line(m, "linux0", "back-from-restart")
    on(m, "linux0", "echo to-new-boot >%s" % LINK)
    read_line(m, "linux1", "to-new-boot")
    m.focus(0)
