"""System tests of the multiplexer under load: the `trio` configuration (three test-guest zones,
zone0 focused at boot, 16 KiB history each) under QEMU with -smp 4 (zone2 has a second vCPU, off).

Every test runs against two builds of the same configuration:
  fast     `make CONFIG=trio`: QEMU's PL011 as it is (it takes bytes as fast as the hypervisor
           writes them);
  115200   `make CONFIG=trio UART_BAUD=115200`: the driver models a real 115200-baud UART
           (11520 bytes/s, 32-byte FIFO, drivers/pl011.h).
Each build is made once per session (SYSTEST_TRIO_BIN_fast / SYSTEST_TRIO_BIN_115200 name an
image to test instead, without building); each test boots its own QEMU. The QEMU command line
is the Makefile's (`make CONFIG=trio qemu-cmd`, -smp 4).

Guest time is the test guest's own counter (`bench` reports ticks and the counter frequency).
Most tests run QEMU without -icount, so its virtual clock follows the host's, and host wall time
is a fair measure of what arrives on the serial line too. (a) and (b) compare guest times and run
under -icount shift=0 (fixture trio_icount): one host thread, one instruction clock, so the
figures do not depend on how this 2-core host schedules QEMU's threads, and QEMU's own cost of
emulating its PL011 (a host write() per byte) is not counted as the hypervisor's. Figures are
printed (pytest -s shows them).
"""

import functools
import os
import random
import re
import shlex
import subprocess
import time
import zlib
from pathlib import Path

import pytest

from hvsys import (ESC, ROOT, banner_re, booted, flood_output, greeting, pattern,
                   prompt)

ZONES = ["zone0", "zone1", "zone2"]
HISTORY_RING = 16384
UART_RATE = 11520  # bytes/s of the 115200-baud model (10 bits a byte)
BUILDS = ("fast", "115200")
MAKE_ARGS = {"fast": ["CONFIG=trio"], "115200": ["CONFIG=trio", "UART_BAUD=115200"]}
IMAGE = {"fast": "build/trio/hypervisor.bin", "115200": "build/trio-baud115200/hypervisor.bin"}

MiB = 1 << 20
BENCH_RE = re.compile(rb"bench bytes=(\d+) ticks=(\d+) freq=(\d+)\r\n")
LIST_TIMEOUT = 1.0  # Ctrl-\ l must be answered within this, under load
ECHO_LIMIT = 0.050  # keystroke echo, seconds
DEAF_NOTE_RE = re.compile(
    rb"\[hv\] zone0 has taken no input for 2000 ms: discarding its keys \(counted in the zone "
    rb"list\) until it reads again\r\n")
READS_AGAIN_RE = re.compile(rb"\[hv\] zone0 reads input again\r\n")


# ---------------------------------------------------------------------------------------------
# Builds and machines


class Build:
    def __init__(self, name, image, argv):
        self.name = name
        self.image = image
        self.argv = argv  # the QEMU command line, -kernel pointing at image
        self.model = name != "fast"


def _make(args):
    proc = subprocess.run(["make", "-s", *args], cwd=str(ROOT), stdout=subprocess.PIPE,
                          stderr=subprocess.STDOUT)
    out = proc.stdout.decode("latin-1", "replace")
    assert proc.returncode == 0, "make %s failed:\n%s" % (" ".join(args), out)
    return out


@pytest.fixture(scope="session")
def trio_build(request):
    """One build of the trio configuration, made once per session (incremental make)."""
    name = request.param
    other = os.environ.get("SYSTEST_TRIO_BIN_%s" % name)
    if other:
        image = Path(other).resolve()
        assert image.is_file(), other
    else:
        # The image target itself, so that build/hypervisor.bin (the `all` copy) is left alone.
        _make(MAKE_ARGS[name] + [IMAGE[name]])
        image = ROOT / IMAGE[name]
        assert image.is_file(), image
    argv = shlex.split(_make(MAKE_ARGS[name] + ["qemu-cmd"]).strip().splitlines()[-1])
    assert "-smp" in argv and argv[argv.index("-smp") + 1] == "4", argv
    argv[argv.index("-kernel") + 1] = str(image)
    return Build(name, image, argv)


def per_build():
    """Parametrize a test over both builds (the trio_build fixture, indirectly)."""
    return pytest.mark.parametrize("trio_build", [pytest.param(b, id=b) for b in BUILDS],
                                   indirect=True)


def booted_trio(build, tmp_path, extra_args=()):
    """A booted trio machine: zone0 focused at its prompt, every zone greeted."""
    for con in booted(build.argv + list(extra_args), tmp_path / ("trio-%s.log" % build.name),
                      ZONES):
        con.build = build
        yield con


@pytest.fixture
def trio(trio_build, tmp_path):
    yield from booted_trio(trio_build, tmp_path)


@pytest.fixture
def trio_icount(trio_build, tmp_path):
    """The same under -icount shift=0: one host thread runs every vCPU on one instruction clock,
    so guest time no longer depends on how the host schedules QEMU's threads."""
    yield from booted_trio(trio_build, tmp_path, ["-icount", "shift=0"])


# ---------------------------------------------------------------------------------------------
# Helpers


@functools.lru_cache(maxsize=2)
def pattern_full(n):
    """pattern(n) for large n, built fast: the pattern repeats every 64 * 26 bytes."""
    period = pattern(64 * 26)
    full = (period * (n // len(period) + 1))[:n]
    assert full[:100000] == pattern(min(n, 100000))
    return full


@functools.lru_cache(maxsize=None)
def pattern_crc(n):
    """zlib.crc32(pattern(n)), computed once."""
    return zlib.crc32(pattern_full(n))


def ms(ticks, freq):
    return ticks * 1000.0 / freq


def wait_rows(con, done, timeout, what, interval=0.1):
    """Poll the zone list until done(rows) is true; returns those rows."""
    deadline = time.monotonic() + timeout
    while True:
        rows = con.list_zones()
        if done(rows):
            return rows
        if time.monotonic() > deadline:
            raise AssertionError("timeout (%ss) waiting for %s; zone list: %r"
                                 % (timeout, what, rows))
        time.sleep(interval)


def last_bench(data, n):
    """The `bench` result line a replay ends with: (ticks, freq)."""
    m = None
    for m in BENCH_RE.finditer(data):
        pass
    assert m is not None and int(m.group(1)) == n, "no bench result at the end of %r" % data[-300:]
    return int(m.group(2)), int(m.group(3))


def echo_times(con, zone, count, gap=0.03, duration=None, typed=None):
    """Type letters one at a time into the focused zone (at its prompt, printing nothing else):
    `count` of them, or (duration) as many as fit in that many seconds, up to `count`. Returns
    (time written, time its echo was read from the pty) for each. Ends the line and checks the
    zone answered it; with `typed` (a bytearray), appends to it and leaves the line open."""
    end_line = typed is None
    typed = bytearray() if typed is None else typed
    assert len(typed) + count < 4096  # the test guest's line length
    times = []
    end = time.monotonic() + duration if duration else None
    for i in range(count):
        c = b"abcdefghijklmnopqrstuvwxyz"[i % 26:i % 26 + 1]
        start = con.mark()
        t0 = time.monotonic()
        con.send(c)
        m = con.expect_exact(c, timeout=10, start=start)
        times.append((t0, con.arrival(m.start())))
        typed += c
        if end and time.monotonic() >= end:
            break
        time.sleep(gap)
    if end_line:
        assert con.cmd(zone, b"") == b"%s: %s\r\n" % (zone.encode(), typed)
    return times


def echo_latencies(con, zone, count, gap=0.03):
    return [t1 - t0 for t0, t1 in echo_times(con, zone, count, gap)]


def counter_freq(con, zone):
    """The guest counter's frequency, as `bench 0` in the focused zone reports it."""
    m = BENCH_RE.search(con.cmd(zone, "bench 0"))
    assert m, "bench 0 gave no result"
    return int(m.group(3))


def percentile(values, p):
    s = sorted(values)
    return s[min(len(s) - 1, int(round(p / 100.0 * (len(s) - 1))))]


def fmt_ms(values):
    return "[" + " ".join("%.1f" % (v * 1000) for v in values) + "] ms"


# ---------------------------------------------------------------------------------------------
# ---------------------------------------------------------------------------------------------
# (a) a background zone is not slowed by the focused zone's flood
#
# Under -icount shift=0 (trio_icount): without it, guest time follows host time, and this host
# (2 cores for 3 vCPUs, QEMU's I/O and this test) spreads the same bench by 2x. With it, every
# vCPU runs in one host thread on one instruction clock, so whatever any CPU executes counts in
# zone1's guest time: the flood is compared with a control that keeps zone0's CPU as busy
# without printing a byte.
#   115200  zone0 waits for its stalled chains asleep (`txwait irq`), as a guest with interrupts
#           would; the control is zone0 idle at its prompt.
#   fast    QEMU's PL011 takes every byte at once, so a flooding zone0 never waits and keeps its
#           CPU busy; the control is zone0 spinning with interrupts masked (`hostile spin`).
# A first background bench runs some 20% faster than every later one whatever zone0 does, so
# one uncounted run comes first; then control and flood alternate (two or three rounds), best of
# each.


@per_build()
def test_background_bench_not_slowed_by_focused_flood(trio_icount):
    con, build = trio_icount, trio_icount.build
    n = MiB
    # Far longer than zone1's bench and than the moment zone0 spends in the background while
    # zone1 is given its command; cut short by restarting zone0 once the bench is done.
    flood_n = 100000000
    spin_ms = 60000
    bench_out = len(b"bench %d\r\n" % n) + n + len(b"bench bytes=%d ticks=1 freq=1\r\n" % n)
    control = "idle" if build.model else "spin"

    for z in (2, 1):  # see their greetings now, so that their histories are empty
        start = con.focus(z)
        assert con.replay_after(start, greeting("zone%d" % z)) == greeting("zone%d" % z)
    con.focus(0)

    def restart_zone0():
        con.send(ESC + b"r")
        con.expect(rb"\[hv\] restarting zone 0 \(zone0\)\r\n")
        con.expect_exact(greeting("zone0"), timeout=60)

    def run(load):
        """zone1 benches in the background while zone0 is focused and idle, spinning or
        flooding. Ends with zone1's history replayed and zone0 focused; returns ticks, freq."""
        rows = con.list_zones()
        out1, out0 = rows["zone1"]["out"], rows["zone0"]["out"]
        if load == "flood":
            if build.model:
                assert con.cmd("zone0", "txwait irq") == b"txwait irq\r\n"
            con.send(b"flood %d\r" % flood_n)
            con.expect_exact(b"flood %d\r\n" % flood_n)
            con.wait_len(con.pos + 256)  # zone0 is flooding, focused
        elif load == "spin":
            con.send(b"hostile spin %d\r" % spin_ms)
            con.expect_exact(b"hostile spin %d\r\n" % spin_ms)
        # zone1 gets the command, zone0 the focus back: both in one write.
        con.send(ESC + b"1" + b"bench %d\r" % n + ESC + b"0")
        con.expect(banner_re(0, zones=ZONES))
        rows = wait_rows(con, lambda r: r["zone1"]["out"] >= out1 + bench_out, 120,
                         "zone1's bench")
        if load == "flood":
            flood_total = len(b"flood %d\r\n" % flood_n) + len(flood_output(flood_n))
            assert rows["zone0"]["out"] < out0 + flood_total, \
                "zone0's flood ended before zone1's bench did: make it longer"
        if load != "idle":
            if load == "spin":
                assert b"hostile spin done" not in con.since(0), "the spin ended too soon"
            restart_zone0()  # stop the load: zone0 greets again, and idles
        start = con.focus(1)
        ticks, freq = last_bench(con.replay_after(start), n)
        assert con.since(start).endswith(prompt("zone1"))
        con.focus(0)
        return ticks, freq

    warm = run(control)
    ctl, loaded = [], []
    for i in range(3):  # a third round only when the first two leave it in doubt
        ctl.append(run(control))
        loaded.append(run("flood"))
        if i == 1 and min(t for t, _ in loaded) <= min(t for t, _ in ctl):
            break
    freq = ctl[0][1]
    best_ctl = min(t for t, _ in ctl)
    best_loaded = min(t for t, _ in loaded)
    print("\n[%s] zone1 bench %d in the background (-icount): warm-up %.2f ms; zone0 %s %s ms, "
          "zone0 flooding %s ms; best %.2f vs %.2f ms, ratio %.3f" % (
              build.name, n, ms(*warm), control, [round(ms(t, f), 2) for t, f in ctl],
              [round(ms(t, f), 2) for t, f in loaded], ms(best_ctl, freq),
              ms(best_loaded, freq), best_loaded / best_ctl))
    assert best_loaded <= 1.1 * best_ctl, (
        "zone1's background bench took %.2f ms while zone0 flooded, %.2f ms while it was %s "
        "(best of %d each; ratio %.3f > 1.1)" % (
            ms(best_loaded, freq), ms(best_ctl, freq), control, len(ctl),
            best_loaded / best_ctl))


# ---------------------------------------------------------------------------------------------
# (b) a 4 KiB burst from the focused zone returns at once
#
# Under -icount shift=0, so that guest time counts what the hypervisor executes. Without it, in
# the fast build, guest time is host time and counts QEMU's emulation of its PL011: a host
# write() per byte, ~4.6 us, ~19 ms per 4 KiB on the CPU that takes the UART interrupt (zone0's:
# 16-23 ms measured), where a real UART's FIFO takes a byte per bus write.


@per_build()
def test_focused_4k_burst_returns_within_5ms(trio_icount):
    con, build = trio_icount, trio_icount.build
    results = []
    for _ in range(3):
        out = con.cmd("zone0", "bench 4096")
        m = BENCH_RE.search(out)
        assert m and int(m.group(1)) == 4096, out[-200:]
        assert out == pattern(4096) + m.group(0)
        results.append(ms(int(m.group(2)), int(m.group(3))))
        con.settle(0.2)
    print("\n[%s] bench 4096 in the focused zone (-icount): %s ms" % (
        build.name, ", ".join("%.2f" % r for r in results)))
    assert max(results) < 5, "a 4 KiB burst took %s ms of guest time (limit 5 ms)" % ", ".join(
        "%.2f" % r for r in results)


# ---------------------------------------------------------------------------------------------
# (c) keystroke echo while two background zones flood


@per_build()
def test_echo_while_two_background_zones_flood(trio):
    con, build = trio, trio.build
    # Endless for this test: a background zone prints some 50 MB/s into its history.
    n = 4000000000
    quiet = echo_latencies(con, "zone0", 10)  # for comparison only
    start = con.focus(1)
    con.replay_after(start, greeting("zone1"))
    con.send(b"flood %d\r" % n + ESC + b"2")
    con.expect(banner_re(2, zones=ZONES))
    con.send(b"flood %d\r" % n + ESC + b"0")
    con.expect(banner_re(0, zones=ZONES))
    con.settle(0.2)
    before = con.list_zones()
    t0 = time.monotonic()
    lat = echo_latencies(con, "zone0", 20)
    after = con.list_zones()
    t1 = time.monotonic()
    # Both really were flooding, all the time.
    for z in ("zone1", "zone2"):
        grew = after[z]["out"] - before[z]["out"]
        assert grew > 4 * HISTORY_RING, "%s printed only %d bytes meanwhile" % (z, grew)
        assert after[z]["out"] < before[z]["out"] + n, "%s's flood ended during the test" % z
    p90 = percentile(lat, 90)
    print("\n[%s] echo with zone1+zone2 flooding (%.1f + %.1f MB/s): max %.1f ms, p90 %.1f ms, "
          "median %.1f ms %s; without floods max %.1f ms; load %.2f" % (
              build.name, (after["zone1"]["out"] - before["zone1"]["out"]) / (t1 - t0) / 1e6,
              (after["zone2"]["out"] - before["zone2"]["out"]) / (t1 - t0) / 1e6,
              max(lat) * 1000, p90 * 1000, percentile(lat, 50) * 1000, fmt_ms(lat),
              max(quiet) * 1000, os.getloadavg()[0]))
    # The median: this is host time on 2 cores for 3 busy vCPUs, QEMU's I/O thread and this
    # test, so any other load on the host delays single keystrokes by tens of ms (p90 reached
    # 72 ms with one more QEMU running); a zone starved by the floods would wait for seconds,
    # which the bound on every echo catches.
    median = percentile(lat, 50)
    assert median < ECHO_LIMIT, "echo median %.1f ms (p90 %.1f ms) >= 50 ms: %s" % (
        median * 1000, p90 * 1000, fmt_ms(lat))
    assert max(lat) < 1.0, "an echo took %.0f ms: starved by the floods" % (max(lat) * 1000)
    # The floods run on into zone1's and zone2's histories until QEMU is killed at teardown.


# ---------------------------------------------------------------------------------------------
# (d) the focused zone's flood: complete, exact, at the UART's rate


@per_build()
def test_focused_flood_complete_at_uart_rate(trio):
    con, build = trio, trio.build
    n = 60000
    con.send(b"flood %d\r" % n)
    con.expect_exact(b"flood %d\r\n" % n)
    start = con.pos
    m = con.expect(rb"crc32=([0-9a-f]{8}) bytes=(\d+)\r\n", timeout=60)
    body = con.since(start, m.start())
    con.expect_exact(prompt("zone0"))
    assert int(m.group(2)) == n
    expected = pattern(n)
    if body[:n] != expected:
        bad = next((i for i in range(min(len(body), n)) if body[i] != expected[i]),
                   min(len(body), n))
        raise AssertionError("flood %d: %d bytes arrived, first difference at %d: %r vs %r"
                             % (n, len(body), bad, body[bad:bad + 40], expected[bad:bad + 40]))
    assert body + m.group(0) == flood_output(n)
    assert int(m.group(1), 16) == zlib.crc32(expected)
    assert con.since(start, con.pos) == flood_output(n) + prompt("zone0")
    t_first = con.arrival(start)
    t_crc = con.arrival(m.end() - 1)
    rate = n / (t_crc - t_first)
    print("\n[%s] flood %d focused: %.3f s from first byte to crc line, %.0f bytes/s%s" % (
        build.name, n, t_crc - t_first, rate,
        " (%.1f%% of %d)" % (100.0 * rate / UART_RATE, UART_RATE) if build.model else ""))
    if build.model:
        assert rate >= 0.9 * UART_RATE, "%.0f bytes/s < 90%% of %d" % (rate, UART_RATE)


# ---------------------------------------------------------------------------------------------
# (e) a deaf zone does not hold the keyboard


@per_build()
def test_deaf_zone_releases_keyboard(trio):
    con, build = trio, trio.build
    spin_ms = 25000
    rnd = random.Random(4321)
    paste = b"paste:" + bytes(rnd.randrange(0x20, 0x7f) for _ in range(10 * 1024 - 6))
    assert ESC not in paste and len(paste) == 10 * 1024

    con.send(b"hostile spin %d\r" % spin_ms)
    con.expect_exact(b"hostile spin %d\r\n" % spin_ms)
    t_spin = time.monotonic()  # the guest flushed the echo, masks interrupts and spins
    time.sleep(0.2)
    deaf_from = con.mark()
    con.send(paste, timeout=30)
    t_paste = time.monotonic()
    con.send(ESC + b"1")
    m = con.expect(banner_re(1, zones=ZONES), timeout=15)
    t_switch = con.arrival(m.end() - 1)
    print("\n[%s] paste written in %.2f s; zone1's banner %.2f s after the end of the paste"
          % (build.name, t_paste - t_spin - 0.2, t_switch - t_paste))
    assert t_switch - t_paste < 5, "the focus moved only %.2f s after the paste" % (
        t_switch - t_paste)
    notes = DEAF_NOTE_RE.findall(con.since(deaf_from))
    assert len(notes) == 1, "deaf note %d times: %r" % (len(notes), con.since(deaf_from)[-500:])
    con.replay_after(m.end(), greeting("zone1"))

    # zone1 works, and zone0's discarded keys are counted.
    assert con.cmd("zone1", "ping-during-spin") == b"zone1: ping-during-spin\r\n"
    rows = con.list_zones()
    assert rows["zone1"]["focused"]
    print("[%s] during the spin: zone0 in=%d dropped=%d" % (
        build.name, rows["zone0"]["inp"], rows["zone0"]["dropped"]))
    assert rows["zone0"]["dropped"] > 0
    # Every key of the paste was either handed to zone0 or discarded and counted.
    assert rows["zone0"]["inp"] + rows["zone0"]["dropped"] == len(b"hostile spin %d\r" % spin_ms) \
        + len(paste), rows["zone0"]
    assert time.monotonic() - t_spin < spin_ms / 1000.0, "the checks outlasted the spin"

    # After the spin zone0 reads again: its replay (or live output) says the spin is done, the
    # held part of the paste arrives as one line (cut at the shell's 4096 bytes), and a command
    # works.
    time.sleep(max(0.0, t_spin + spin_ms / 1000.0 + 0.5 - time.monotonic()))
    start = con.focus(0)
    held = paste[:4096]  # what the shell keeps of one line (SHELL_LINE_MAX); the rest is ignored
    expected = b"hostile spin done\r\n" + prompt("zone0") + held
    replay = con.replay_after(start, expected)
    assert replay == expected, "zone0 after the spin: %r ... %r" % (replay[:100], replay[-100:])
    assert con.cmd("zone0", b"") == b"zone0: " + held + b"\r\n"
    assert con.cmd("zone0", "after-spin") == b"zone0: after-spin\r\n"
    rows = con.list_zones()
    print("[%s] after the spin: zone0 in=%d dropped=%d" % (
        build.name, rows["zone0"]["inp"], rows["zone0"]["dropped"]))
    assert len(DEAF_NOTE_RE.findall(con.since(0))) == 1
    assert READS_AGAIN_RE.search(con.since(deaf_from)), \
        "no \"[hv] zone0 reads input again\" after zone0 read again"


# ---------------------------------------------------------------------------------------------
# (f) one 16 MiB transmit chain in a background zone


def check_chain_replay(con, replay, total, crc):
    """zone0's replay after a chain: a drop line (the ring kept the last 16 KiB), the end of the
    pattern from a line start on (16 MiB is whole lines), the done line, the prompt. Returns the
    chain's ticks."""
    m = re.search(rb"hostile bigchain done crc32=([0-9a-f]{8}) bytes=(\d+) ticks=(\d+)\r\n" +
                  re.escape(prompt("zone0")) + rb"$", replay)
    assert m, "zone0's replay does not end with the done line: %r" % replay[-300:]
    assert int(m.group(2)) == total, m.group(0)
    assert int(m.group(1), 16) == crc, "crc32 %s, expected %08x" % (m.group(1), crc)
    body = replay[:m.start()]
    d = re.match(rb"\[hv\] zone0: (\d+) bytes of history were dropped \(ring is %d bytes\)\r\n"
                 % HISTORY_RING, body)
    assert d, "no drop line before zone0's replay: %r" % body[:200]
    body = body[d.end():]
    assert 0 < len(body) <= HISTORY_RING and body.endswith(b"\n"), len(body)
    assert pattern_full(total).endswith(body), "the replay is not the end of the pattern"
    return int(m.group(3))


def max_unwatched(times, lo):
    """The longest stretch from `lo` on during which no keystroke was outstanding (written, its
    echo not yet read): an event at least that long anywhere in the typing was met by one."""
    gaps = [times[0][0] - lo]
    gaps += [times[k + 1][0] - times[k][1] for k in range(len(times) - 1)]
    return max(gaps)


@per_build()
def test_bigchain_background_keeps_console_live(trio):
    con, build = trio, trio.build
    total = 16 * MiB
    crc = pattern_crc(total)
    done_len = len(b"hostile bigchain done crc32=00000000 bytes=%d ticks=1\r\n" % total)
    start = con.focus(1)
    con.replay_after(start, greeting("zone1"))
    con.focus(0)
    con.settle()
    freq = counter_freq(con, "zone0")
    out0 = con.list_zones()["zone0"]["out"]

    # 1. The chain starts with zone0 focused (so it waits for the UART); once its header is out,
    # the focus moves to zone1 and the rest of the chain goes on in the background.
    con.send(b"hostile bigchain\r")
    m = con.expect_exact(b"hostile bigchain\r\nhostile bigchain: 16 x 1048576 bytes\r\n")
    t_header = con.arrival(m.end() - 1)
    con.send(ESC + b"1")
    con.expect(banner_re(1, zones=ZONES))
    t_banner = con.arrival(con.pos - 1)
    t0 = time.monotonic()
    rows = con.list_zones()
    t_list = con.arrival(con.pos - 1) - t0
    assert sorted(rows) == ZONES and rows["zone1"]["focused"], rows
    lat = echo_latencies(con, "zone1", 5, gap=0.002)
    wait_rows(con, lambda r: r["zone0"]["out"] - out0 >= total + done_len, 120,
              "zone0's chain", interval=0.3)
    start = con.focus(0)
    ticks = check_chain_replay(con, con.replay_after(start, b"x" * 200), total, crc)
    rows = con.list_zones()
    print("\n[%s] 1: chain used %.3f s after its notify (guest time); zone1 focused %.3f s after "
          "the header; list in %.0f ms; zone1 echo %s; zone0 out +%d" % (
              build.name, ticks / freq, t_banner - t_header, t_list * 1000, fmt_ms(lat),
              rows["zone0"]["out"] - out0))
    assert t_list < LIST_TIMEOUT, "Ctrl-\\ l took %.2f s" % t_list
    assert rows["zone0"]["out"] - out0 >= total, rows
    assert con.cmd("zone0", "after-chain") == b"zone0: after-chain\r\n"
    slow1 = max(lat)

    # 2. The same chain with zone1 focused from the start, so that keystrokes can be timed
    # while the chain is being processed (it takes a tenth of a second or so, far less than
    # zone0 spends filling and checksumming its 16 MiB first): zone1 is typed into without a
    # pause from before zone0 notifies the chain until it has printed its done line, then the
    # zone list (it must answer within a second) says whether it has.
    out0 = con.list_zones()["zone0"]["out"]
    con.send(b"hostile bigchain\r" + ESC + b"1")
    con.expect(banner_re(1, zones=ZONES))
    t0 = time.monotonic()
    rows = con.list_zones()
    t_lo = con.arrival(con.pos - 1)
    list_times = [t_lo - t0]
    header_len = len(b"hostile bigchain\r\nhostile bigchain: 16 x 1048576 bytes\r\n")
    # zone0's echo and header go out together, when it notifies the chain.
    assert rows["zone0"]["out"] - out0 < header_len, \
        "zone0 notified its chain too early: %r" % rows["zone0"]
    times = []
    typed = bytearray()
    deadline = time.monotonic() + 60
    while True:
        if len(typed) > 2000:
            assert con.cmd("zone1", b"") == b"zone1: %s\r\n" % typed
            typed = bytearray()
        times += echo_times(con, "zone1", 1900, gap=0.001, duration=2.0, typed=typed)
        t_hi = time.monotonic()
        rows = con.list_zones()
        list_times.append(con.arrival(con.pos - 1) - t_hi)
        if rows["zone0"]["out"] - out0 >= header_len + total + done_len:
            break
        assert time.monotonic() < deadline, "zone0's chain did not finish: %r" % rows["zone0"]
    assert con.cmd("zone1", b"") == b"zone1: %s\r\n" % typed
    start = con.focus(0)
    ticks = check_chain_replay(con, con.replay_after(start, b"x" * 200), total, crc)
    chain_s = ticks / freq
    lat = [b - a for a, b in times]
    unwatched = max_unwatched(times, t_lo)
    slow = [(round(a - t_lo, 3), round((b - a) * 1000, 1)) for a, b in times if b - a > 0.02]
    print("[%s] 2: chain used %.3f s after its notify; %d keystrokes over %.2f s, never more "
          "than %.1f ms without one outstanding: echo max %.1f ms, p90 %.1f ms, median %.1f ms; "
          "over 20 ms (s after start, ms): %s; lists answered in %s" % (
              build.name, chain_s, len(times), t_hi - t_lo, unwatched * 1000, max(lat) * 1000,
              percentile(lat, 90) * 1000, percentile(lat, 50) * 1000, slow,
              fmt_ms(list_times)))
    assert max(list_times) < LIST_TIMEOUT, "Ctrl-\\ l took up to %.2f s" % max(list_times)
    assert con.cmd("zone0", "after-chain-2") == b"zone0: after-chain-2\r\n"
    assert max(lat) < ECHO_LIMIT and slow1 < ECHO_LIMIT, (
        "zone1's echo took up to %.1f ms while zone0's chain ran (%.3f s); echoes over 20 ms "
        "(s after typing began, ms): %s; right after the switch in part 1: %.1f ms" % (
            max(lat) * 1000, chain_s, slow, slow1 * 1000))
    # The typing watched the chain: some keystroke was outstanding in every stretch of its
    # length (else a stall of the console during the chain could have gone unseen).
    assert unwatched < chain_s, "%.1f ms without a keystroke outstanding, the chain took " \
        "%.1f ms: the chain may have gone unwatched" % (unwatched * 1000, chain_s * 1000)
