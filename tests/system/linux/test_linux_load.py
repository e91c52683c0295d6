"""The linux configuration under load, with and without the real-UART speed model.

Each build (plain, and UART_BAUD=115200: a PL011 that moves 11520 bytes/s with a 32-byte FIFO)
boots one machine for this module. What the issue asks of the multiplexer, where it applies to
Linux zones:
  - a 4 KiB burst to hvc0 from the focused zone returns within 5 ms of guest time;
  - keystroke echo in the focused zone stays under 50 ms while the two other zones flood
    (the median: this is host time on a 2-core machine running 4 vCPU threads, 3 of them busy, so
    any other load on the host delays single echoes by 100 ms or more; a zone starved by the
    floods would wait for seconds, which the 1 s bound on every echo catches);
  - the focused zone's sustained output arrives complete, and under the model at >= 90% of the
    modelled rate.
"""

import re
import time

import pytest

from hvlinux import build, prompt_re, start_machine

MODEL_RATE = 115200 / 10  # bytes per second at 8N1

# Shell helpers pasted into linux0: now() reads CLOCK_MONOTONIC ("now at N nsecs" in
# /proc/timer_list) with builtins only, so nothing forks inside a timed interval.
NOW = "now() { { read -r _l; read -r _l; read -r _a _b NOW _c; } </proc/timer_list; }"


@pytest.fixture(scope="module", params=["fast", "115200"])
def loaded(request, tmp_path_factory):
    image = build() if request.param == "fast" else build("UART_BAUD=115200")
    log = tmp_path_factory.mktemp("linux-load") / ("linux-%s.log" % request.param)
    m = start_machine(log, image)
    m.model = request.param != "fast"
    yield m
    m.close()
    crashes = m.crashes()
    assert not crashes, "crash in the log (%s)" % log


def burst_ns(m, target):
    # printf and echo are ash builtins: the write is the only thing timed.
    out = m.out("linux0", "now; t0=$NOW; echo \"$S\" >%s; now; echo burst ns=$((NOW - t0))"
                % target)
    return int(re.search(r"burst ns=(\d+)", out).group(1))


def test_burst_returns_at_once(loaded):
    """A 4 KiB burst to hvc0 returns without waiting for the UART (at 115200 that would take
    355 ms). The 5 ms bound of the issue is checked with the test guest (test_mux_load.py):
    here Linux's own cost of a 4 KiB tty write under TCG is already several ms and noisy
    (plain QEMU with its virtconsole takes 13-23 ms on this machine; a write to /dev/null 7-12
    ms), so the bound is that the write took a small part of the UART's time."""
    m = loaded
    m.out("linux0", NOW)
    m.out("linux0", "S=$(printf '%04095d' 0)")
    hvc = min(burst_ns(m, "/dev/hvc0") for _ in range(3))
    null = min(burst_ns(m, "/dev/null") for _ in range(3))
    print("4 KiB burst: hvc0 %.3f ms, /dev/null %.3f ms of guest time" % (hvc / 1e6, null / 1e6))
    assert hvc < 355e6 / 8, "the burst waited for the UART"


def test_sustained_flood_complete_at_line_rate(loaded):
    m = loaded
    n = 12000 if m.model else 60000
    expected = b"".join(b"%d\r\n" % i for i in range(1, n + 1))
    # Written with cat's large writes: a shell loop or seq on the tty would make the guest the
    # bottleneck (one write, one tty pass, one notify per line), not the console.
    m.out("linux0", "seq 1 %d >/tmp/seq" % n)
    start = m.mark()
    m.send(b"cat /tmp/seq\r")
    m.expect_exact(b"cat /tmp/seq\r\n")
    first = m.pos
    m.expect_exact(b"1\r\n", start=first)
    t0 = time.monotonic()
    m.expect_exact(b"\r\n%d\r\n" % n, timeout=120, start=first)
    t1 = time.monotonic()
    end = m.pos
    m.expect(prompt_re("linux0"))
    got = m.since(first, end)
    assert got == expected, "the flood did not arrive intact (%d of %d bytes)" % (
        len(got), len(expected))
    rate = (len(expected) - 3) / (t1 - t0)
    print("linux0 flood: %d bytes at %.0f bytes/s (host time)" % (len(expected), rate))
    if m.model:
        assert rate >= 0.9 * MODEL_RATE, "%.0f bytes/s, model %.0f" % (rate, MODEL_RATE)
    assert m.list_zones()["linux0"]["dropped"] == 0
    del start


def test_echo_while_others_flood(loaded):
    m = loaded
    m.focus(1)
    m.out("linux1", "(while :; do echo flood-from-linux1-$RANDOM; done) >/dev/hvc0 & true")
    m.focus(2)
    m.send(b"flood 1000000000\r")
    m.expect_exact(b"flood 1000000000\r\n")
    m.focus(0)
    m.out("linux0", "true")
    before = m.list_zones()
    lat = []
    for i in range(20):
        c = b"abcdefghijklmnopqrstuvwxyz"[i % 26:i % 26 + 1]
        mark = m.mark()
        t = time.monotonic()
        m.send(c)
        m.expect_exact(c, start=mark)
        lat.append(time.monotonic() - t)
        time.sleep(0.02)
    m.send(b"\x15")  # ^U: drop the typed line
    m.out("linux0", "true")
    after = m.list_zones()
    lat.sort()
    print("echo latency ms: median %.1f, p90 %.1f, max %.1f" % (
        lat[len(lat) // 2] * 1e3, lat[int(len(lat) * 0.9)] * 1e3, lat[-1] * 1e3))
    # Both other zones really were flooding meanwhile.
    for z in ("linux1", "guest2"):
        assert after[z]["out"] - before[z]["out"] > 10000, (z, before[z], after[z])
    assert lat[len(lat) // 2] < 0.050, "median echo %.1f ms" % (lat[len(lat) // 2] * 1e3)
    assert lat[-1] < 1.0, "an echo took %.0f ms: starved by the floods" % (lat[-1] * 1e3)
