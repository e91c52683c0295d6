"""Data ports of the multiport virtio console (hypervisor/virtio_multiport.c), driven by the test
guest (tests/guests/testguest/vports.c, `ports`, `port ...`, `hostile ctl`) in the `trio`
configuration: zone0's link0 is wired to zone1's link0, zone0 and zone1 have a log port each,
zone2 has no multiport device.

One machine for the whole module (the tests run in order and leave the ports as they found
them: both link ends open at the end of each test, receive buffers of 4 KiB):

  - the handshake completes: every port listed with its name, the host side open;
  - text written on one end arrives at the other, both ways, and only while the reader has the
    port open (closing and reopening loses nothing);
  - 256 KiB arrive intact (crc32), streaming, and with backpressure: while the reader reads
    nothing, the writer is held back with the link's ring full, and nothing is lost;
  - the zone list shows each zone's ports; Ctrl-\\ g shows the focused zone's log port;
  - `hostile ctl`: every refused control message gets its own hypervisor line, a control
    receive buffer too short for a message is a ring fault, and the device, the link and the
    other zones go on; a flood of them is rate-limited;
  - a receive buffer never comes back empty (Linux's read() would take it for end of file);
  - a restarted zone does the handshake again and the link goes on.

The last test runs the same driver on plain QEMU against QEMU's own virtio-serial device (no
hypervisor), so that what the others find can be laid at the hypervisor's door, not the
driver's.
"""

import re
import sys
import time
import zlib

import pytest

from hvsys import ESC, ROOT, booted, greeting, pattern, target_build

sys.path.insert(0, str(ROOT / "tests" / "guests" / "testguest"))
import smoke_plain_qemu as plain  # noqa: E402  (the test guest on plain QEMU)

ZONES = ["zone0", "zone1", "zone2"]
BULK = 262144
LINK_RING = 16384  # LINK_BUF in hypervisor/port_link.h: bytes per direction

PORTS_ROW_RE = re.compile(rb"  +(\d+) (\S+) +(open|closed) +(open|closed) +(\d+) +(\d+)\r\n")
PORTS_HEAD_RE = re.compile(rb"ports: base=0x(\w+) intid=(\d+) max_nr_ports=(\d+) resets=(\d+) "
                           rb"irqs=\d+ ctl-in=\d+ ctl-out=\d+ odd=(\d+) rx-empty=(\d+)\r\n")
LIST_PORT_RE = re.compile(rb"\[hv\]\s+port (\d+) (\S+)\s+(link|log)\s+(.*?)\s+(open|closed)\s+"
                          rb"tx\s+(\d+) rx\s+(\d+) waiting (\d+)\r\n")
LIST_ZONE_RE = re.compile(rb"\[hv\] [ *]\s*(\d+) (\S+)\s+\S+\s+\d+\s+\d+\s+\d+\r\n")
READ_TEXT_RE = re.compile(rb'port read (\S+): bytes=(\d+) "(.*)"\r\n')
CRC_RE = rb"port %s (\S+): crc32=([0-9a-f]{8}) bytes=(\d+) ticks=(\d+)\r\n"
REFUSED = rb"\[hv\] zone %d \(%s\): virtio ports: control message \(port (\d+)\) refused: ([^\r]*)\r\n"


# Every test here runs on QEMU virt with GICv3 and with GICv2 (conftest.py: target); the
# cross-check against QEMU's own device, which does not involve the hypervisor, on the first.
TARGETS = ("virt-gicv3", "virt-gicv2")
pytestmark = pytest.mark.every_target


@pytest.fixture(scope="module")
def trio(target, tmp_path_factory):
    argv = target_build(target, "trio")[1]
    for con in booted(argv, tmp_path_factory.mktemp("ports") / "trio.log", ZONES):
        con.focused = 0
        yield con


def at(con, zone):
    """Focus zone (unless it is) and wait until its replay is over."""
    if con.focused != zone:
        con.replay_after(con.focus(zone))
        con.focused = zone
    return ZONES[zone]


def run(con, zone, line, timeout=20):
    return con.cmd(at(con, zone), line, timeout)


def start(con, zone, line):
    """Type a command that will wait (a transfer): returns once it is echoed."""
    at(con, zone)
    con.send(line.encode() + b"\r")
    con.expect_exact(line.encode() + b"\r\n")


def ports(con, zone):
    """`ports`, parsed: (head match, {name: dict(id, host, guest, read, written)})."""
    out = run(con, zone, "ports")
    head = PORTS_HEAD_RE.search(out)
    assert head, out
    rows = {}
    for m in PORTS_ROW_RE.finditer(out):
        rows[m.group(2).decode()] = dict(id=int(m.group(1)), host=m.group(3).decode(),
                                         guest=m.group(4).decode(), read=int(m.group(5)),
                                         written=int(m.group(6)))
    return head, rows


def zone_list(con):
    """Ctrl-\\ l, with each zone's port lines: {zone: {port name: dict(kind, peer, guest, tx,
    rx, waiting)}}."""
    con.send(ESC + b"l")
    con.expect(rb"\[hv\]\s+id\s+name\s+state\s+out\s+in\s+dropped\r\n")
    start_at = con.pos
    con.expect(rb"\[hv\] [ *]\s*2 zone2 [^\r]*\r\n")
    text = con.since(start_at, con.pos)
    zones, cur = {}, None
    for line in text.split(b"\r\n"):
        z = LIST_ZONE_RE.match(line + b"\r\n")
        p = LIST_PORT_RE.match(line + b"\r\n")
        if z:
            cur = zones.setdefault(z.group(2).decode(), {})
        elif p:
            cur[p.group(2).decode()] = dict(
                kind=p.group(3).decode(), peer=p.group(4).decode(), guest=p.group(5).decode(),
                tx=int(p.group(6)), rx=int(p.group(7)), waiting=int(p.group(8)))
    return zones


def read_text(con, zone, port="link0"):
    m = READ_TEXT_RE.search(run(con, zone, "port read " + port))
    assert m, "no result from port read"
    return m.group(3)


def crc_result(con, what, start=None, port="link0", timeout=60):
    m = con.expect(CRC_RE % what.encode(), timeout=timeout, start=start)
    assert m.group(1) == port.encode()
    return int(m.group(2), 16), int(m.group(3)), int(m.group(4))


def freq(con, zone):
    return int(re.search(rb"freq=(\d+)", run(con, zone, "now")).group(1))


def wait_ring_full(con, timeout=10):
    """Until zone0's writes fill the link's ring towards zone1."""
    deadline = time.monotonic() + timeout
    while zone_list(con)["zone1"]["link0"]["waiting"] < LINK_RING:
        assert time.monotonic() < deadline, "the ring did not fill"
        time.sleep(0.1)


def open_both(con):
    for z in (0, 1):
        if ports(con, z)[1]["link0"]["guest"] != "open":
            assert run(con, z, "port open link0") == b"port link0: open\r\n"


def test_handshake_names_every_port(trio):
    con = trio
    for z in (0, 1):
        head, rows = ports(con, z)
        assert (head.group(1), int(head.group(2)), int(head.group(3))) == (b"a000200", 49, 2)
        assert rows == {
            "link0": dict(id=0, host="open", guest="closed", read=0, written=0),
            "log": dict(id=1, host="open", guest="closed", read=0, written=0),
        }, rows
    # A zone without the device behaves as before.
    assert run(con, 2, "ports") == b"ports: no multiport device\r\n"
    assert run(con, 2, "port open link0") == b"ports: no multiport device\r\n"
    assert run(con, 2, "after") == b"zone2: after\r\n"


def test_zone_list_shows_ports(trio):
    con = trio
    zones = zone_list(con)
    assert zones["zone2"] == {}
    for me, peer in (("zone0", "zone1"), ("zone1", "zone0")):
        assert zones[me]["link0"]["kind"] == "link" and zones[me]["log"]["kind"] == "log"
        assert zones[me]["link0"]["peer"] == "<-> %s:link0" % peer
        assert zones[me]["link0"]["guest"] == "closed"


def test_text_both_ways(trio):
    con = trio
    open_both(con)
    assert run(con, 0, "port write link0 hello from zone0") == b"port write link0: bytes=16\r\n"
    assert read_text(con, 1) == b"hello from zone0"
    assert run(con, 1, "port write link0 and back from zone1") == b"port write link0: bytes=19\r\n"
    assert read_text(con, 0) == b"and back from zone1"
    assert read_text(con, 0) == b""  # nothing more
    rows = ports(con, 1)[1]
    assert rows["link0"]["read"] == 16 and rows["link0"]["written"] == 19, rows


def test_closed_reader_gets_bytes_once_it_opens(trio):
    con = trio
    open_both(con)
    assert run(con, 1, "port close link0") == b"port link0: closed\r\n"
    assert run(con, 0, "port write link0 sent-while-closed") == b"port write link0: bytes=17\r\n"
    zones = zone_list(con)
    assert zones["zone1"]["link0"]["guest"] == "closed"
    assert zones["zone1"]["link0"]["waiting"] == 17, zones
    assert read_text(con, 1) == b""  # closed: the device keeps them
    assert run(con, 1, "port open link0") == b"port link0: open\r\n"
    assert read_text(con, 1) == b"sent-while-closed"
    # Closed and reopened twice more, a message each time: none lost, none repeated.
    for i in range(2):
        run(con, 1, "port close link0")
        run(con, 0, "port write link0 <%d>" % i)
        run(con, 1, "port open link0")
    assert read_text(con, 1) == b"<0><1>"


def test_bulk_streaming(trio):
    """The reader waits for 256 KiB, then the writer sends them: the rate of a link."""
    con = trio
    open_both(con)
    hz = freq(con, 0)
    start(con, 1, "port read link0 %d" % BULK)
    out = run(con, 0, "port flood link0 %d" % BULK, timeout=60)
    m = re.search(CRC_RE % b"flood", out)
    crc, n, ticks = int(m.group(2), 16), int(m.group(3)), int(m.group(4))
    assert (crc, n) == (zlib.crc32(pattern(BULK)), BULK)
    mark = con.mark()
    at(con, 1)  # the reader's result is in its replay
    rcrc, rn, _ = crc_result(con, "read", start=mark)
    assert (rcrc, rn) == (crc, BULK)
    print("\n256 KiB zone0 -> zone1: %.1f ms of guest time, %.1f MB/s"
          % (ticks * 1e3 / hz, BULK / (ticks / hz) / 1e6))


def test_bulk_with_backpressure_loses_nothing(trio):
    """The writer sends 256 KiB while the reader reads nothing: the link's ring fills and the
    writer waits (its transmit chain not completed) until the reader reads them all."""
    con = trio
    open_both(con)
    zones = zone_list(con)
    tx_before, rx_before = zones["zone0"]["link0"]["tx"], zones["zone1"]["link0"]["rx"]
    before = ports(con, 0)[1]["link0"]["written"]
    mark = con.mark()
    start(con, 0, "port flood link0 %d" % BULK)
    wait_ring_full(con)
    time.sleep(1)  # a second later: still held back, nothing moved
    zones = zone_list(con)
    assert b"port flood link0:" not in con.since(mark), "the writer was not held back"
    assert zones["zone1"]["link0"]["waiting"] == LINK_RING, zones
    # Taken from the writer: what the reader's buffers hold, and the full ring.
    assert zones["zone0"]["link0"]["tx"] - tx_before == \
        zones["zone1"]["link0"]["rx"] - rx_before + LINK_RING, zones
    out = run(con, 1, "port read link0 %d" % BULK, timeout=60)
    m = re.search(CRC_RE % b"read", out)
    assert m, out
    assert (int(m.group(2), 16), int(m.group(3))) == (zlib.crc32(pattern(BULK)), BULK)
    at(con, 0)  # the writer's result is in its replay
    m = re.search(CRC_RE % b"flood", con.since(mark))
    assert m and int(m.group(2), 16) == zlib.crc32(pattern(BULK)), con.since(mark)[-500:]
    assert ports(con, 0)[1]["link0"]["written"] - before == BULK
    assert zone_list(con)["zone1"]["link0"]["waiting"] == 0


def test_log_port_shown_by_ctrl_g(trio):
    con = trio
    assert run(con, 0, "port write log zone0 writes to its log") == \
        b"port write log: bytes=23\r\n"
    con.send(ESC + b"g")
    con.expect_exact(b"[hv] --- zone0:log log: last 23 of 23 bytes written ---\r\n")
    con.expect_exact(b"[hv]   zone0 writes to its log\r\n")
    con.expect_exact(b"[hv] --- end of zone0:log ---\r\n")
    at(con, 2)
    con.send(ESC + b"g")
    con.expect_exact(b"[hv] zone2 has no log port\r\n")
    assert zone_list(con)["zone0"]["log"]["peer"] == "23 bytes kept"


# What `hostile ctl` sends that the device must refuse, in order: (port, reason).
HOSTILE_REFUSED = [
    (0, "control message shorter than 8 bytes"),
    (0, "control message with an unknown event"),
    (0, "control message only a device sends"),
    (0, "control message value not 0 or 1"),
    (65537, "control message for a port beyond max_nr_ports"),
    (4294967295, "DEVICE_READY again"),
    (0, "PORT_READY again"),
    (0, "PORT_OPEN(1) for a port already open"),
    (0, "PORT_OPEN(0) for a port already closed"),
    (0, "PORT_OPEN(1) for a port already open"),  # after the one cut in 3 descriptors
    (0, "PORT_OPEN(0) for a port already closed"),  # after the one with 16 more bytes
    (0, "port control message before DEVICE_READY"),
    (0, "PORT_READY for a port not added"),
    (0, "PORT_OPEN for a port not ready"),
    (0, "control receive buffer too short: port name cut"),  # link0; "log" fits in 4 bytes
    (0, "control message after DEVICE_READY(0)"),
    (4294967295, "DEVICE_READY again"),
]


def test_hostile_control_messages_are_refused_and_the_device_goes_on(trio):
    con = trio
    open_both(con)
    mark = con.mark()
    out = run(con, 0, "hostile ctl", timeout=60)
    assert b"hostile ctl: done, 2 ports, resets=1\r\n" in out, out
    assert b"did not" not in out and b"failed" not in out, out
    got = [(int(m.group(1)), m.group(2).decode())
           for m in re.finditer(REFUSED % (0, b"zone0"), con.since(mark))]
    assert got == HOSTILE_REFUSED
    assert con.since(mark).count(b"virtio ports: control receive buffer smaller than a control "
                                 b"message; device needs reset") == 1
    assert b"suppressed" not in con.since(mark)
    # The device was set up again: names back, link0 open again, and it carries bytes.
    head, rows = ports(con, 0)
    assert int(head.group(4)) == 1 and rows["link0"]["guest"] == "open", rows
    assert set(rows) == {"link0", "log"}
    run(con, 0, "port write link0 after hostile ctl")
    assert read_text(con, 1) == b"after hostile ctl"
    run(con, 1, "port write link0 zone1 still talks to zone0")
    assert read_text(con, 0) == b"zone1 still talks to zone0"
    assert run(con, 2, "zone2-fine") == b"zone2: zone2-fine\r\n"


def test_hostile_control_flood_is_rate_limited(trio):
    con = trio
    mark = con.mark()
    out = run(con, 0, "hostile ctl flood 500", timeout=60)
    assert out.endswith(b"hostile ctl flood: 501 unknown events sent\r\n"), out[-300:]
    lines = re.findall(REFUSED % (0, b"zone0"), con.since(mark))
    suppressed = [int(k) for k in re.findall(rb"\[(\d+) similar lines suppressed\]",
                                             con.since(mark))]
    # A burst (at most 20 lines), then one every 100 ms, the rest counted, none uncounted.
    assert 10 <= len(lines) <= 30 and suppressed, (len(lines), suppressed)
    assert len(lines) + sum(suppressed) == 501
    run(con, 0, "port write link0 after the flood")
    assert read_text(con, 1) == b"after the flood"


def test_receive_buffers_never_come_back_empty(trio):
    """Receive buffers of 4016 bytes, a full ring, and the reader opens: the device fills four
    (16064 bytes plus 4 x 64 for the chains: 16320 of its 16384-byte budget) and must not take a
    fifth it has no budget left to fill: completed with no byte, it would read as end of file
    to Linux."""
    con = trio
    n = 20000
    run(con, 1, "port close link0")
    assert run(con, 1, "ports bufs 4016") == b"ports: receive buffers of 4016 bytes\r\n"
    mark = con.mark()
    start(con, 0, "port flood link0 %d" % n)  # fills the ring, then waits for the reader
    wait_ring_full(con)
    run(con, 1, "port open link0")
    out = run(con, 1, "port read link0 %d" % n, timeout=30)
    m = re.search(CRC_RE % b"read", out)
    assert m and int(m.group(2), 16) == zlib.crc32(pattern(n)), out
    head = ports(con, 1)[0]
    empty = int(head.group(6))
    assert run(con, 1, "ports bufs 4096") == b"ports: receive buffers of 4096 bytes\r\n"
    at(con, 0)
    assert re.search(CRC_RE % b"flood", con.since(mark))
    assert empty == 0, "%d receive buffers came back with no byte in them" % empty


def test_restarted_zone_handshakes_again(trio):
    con = trio
    open_both(con)
    at(con, 1)
    con.send(ESC + b"r")
    con.expect(rb"\[hv\] restarting zone 1 \(zone1\)\r\n")
    con.expect_exact(greeting("zone1"), timeout=30)
    rows = ports(con, 1)[1]
    assert rows["link0"]["guest"] == "closed" and rows["link0"]["host"] == "open", rows
    run(con, 0, "port write link0 to the new boot")
    assert read_text(con, 1) == b""
    run(con, 1, "port open link0")
    assert read_text(con, 1) == b"to the new boot"
    run(con, 1, "port write link0 new boot here")
    assert read_text(con, 0) == b"new boot here"


@pytest.mark.first_target
def test_driver_agrees_with_qemus_virtio_serial(trio, tmp_path):
    """The test guest on plain QEMU with two virtio-serial devices: the console (virtconsole) on
    one, on the other QEMU's own multiport device with a single port, qport (number 1 of 31, into
    a file). The driver must find it, do the handshake with it (QEMU announces only the ports it
    has), write to it, and bring it back after `hostile ctl`."""
    out_file = tmp_path / "qport.out"
    head = plain.QEMU_ARGS[:plain.QEMU_ARGS.index("-device")]
    # The console's device must come first in the device tree (the lower address: QEMU fills
    # its virtio-mmio slots from the top), and a port goes to the first bus unless told.
    args = head + [
        "-device", "virtio-serial-device", "-device", "virtio-serial-device",
        "-chardev", "stdio,id=c0", "-device", "virtconsole,chardev=c0,bus=virtio-serial-bus.1",
        "-chardev", "file,id=qp,path=%s" % out_file,
        "-device", "virtserialport,chardev=qp,name=qport,nr=1,bus=virtio-serial-bus.0",
    ]
    binary = str(ROOT / "build" / "testguest" / "testguest.bin")  # built with trio
    g = plain.Guest(binary, plain.make_dtb(str(tmp_path), args), str(tmp_path), args)
    try:
        assert g.read_until(plain.PROMPT, 30).endswith(b"hello from smoke-zone\r\nsmoke-zone> ")
        out = g.command("ports")
        head_m, rows = PORTS_HEAD_RE.search(out), list(PORTS_ROW_RE.finditer(out))
        assert head_m and int(head_m.group(3)) == 31, out
        assert [(int(m.group(1)), m.group(2), m.group(3)) for m in rows] == \
            [(1, b"qport", b"open")], out
        assert g.command("port open qport") == b"port qport: open\r\n"
        assert g.command("port write qport hello qemu") == b"port write qport: bytes=10\r\n"
        out = g.command("port flood qport 100000", 60)
        assert re.search(CRC_RE % b"flood", out), out
        out = g.command("hostile ctl", 60)
        assert out.endswith(b"hostile ctl: done, 16 ports, resets=0\r\n"), out
        assert b"did not" not in out, out
        assert g.command("port write qport !") == b"port write qport: bytes=1\r\n"
    finally:
        g.proc.kill()
        g.proc.wait()
    assert out_file.read_bytes() == b"hello qemu" + pattern(100000) + b"!"
