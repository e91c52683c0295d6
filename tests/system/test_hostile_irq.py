"""Hostile interrupt load: a zone makes more interrupts pending at once than the hypervisor has
list registers (`hostile lr N`, tests/guests/testguest/hostile.c). QEMU's cortex-a57 has 4 list
registers, so 5 or more need the overflow path: the maintenance interrupt when the list registers
drain, and a refill from the pending state.

The `trio` configuration (three test-guest zones, one per CPU; zone0 on CPU 0, which also takes
the UART interrupt). For each zone in turn: every interrupt is taken exactly once, the other
zones go on answering, and the zone can still be restarted from the console.
"""

import re
import shlex
import subprocess

import pytest

from hvsys import ESC, ROOT, booted, greeting

ZONES = ["zone0", "zone1", "zone2"]
LR_RE = re.compile(rb"hostile lr (\d+): (\d+) of (\d+) taken, (\d+) more than once, \d+ us\r\n")


@pytest.fixture(scope="module")
def trio_argv():
    subprocess.run(["make", "-s", "CONFIG=trio", "build/trio/hypervisor.bin"], cwd=str(ROOT),
                   check=True, stdout=subprocess.DEVNULL)
    out = subprocess.run(["make", "-s", "CONFIG=trio", "qemu-cmd"], cwd=str(ROOT), check=True,
                         stdout=subprocess.PIPE).stdout.decode()
    return shlex.split(out.strip().splitlines()[-1])


@pytest.fixture
def trio(trio_argv, tmp_path):
    yield from booted(trio_argv, tmp_path / "trio.log", ZONES)


@pytest.mark.parametrize("zone", [0, 1])
@pytest.mark.parametrize("n", [5, 32])
def test_more_pending_than_list_registers(trio, zone, n):
    con = trio
    name = "zone%d" % zone
    if zone:
        con.replay_after(con.focus(zone), greeting(name))
    out = con.cmd(name, "hostile lr %d" % n, timeout=30)
    m = LR_RE.search(out)
    assert m, "no result from hostile lr: %r" % out
    assert (int(m.group(1)), int(m.group(2)), int(m.group(3)), int(m.group(4))) == (n, n, n, 0), \
        m.group(0)
    # The other zones and the console go on.
    for other in range(len(ZONES)):
        if other == zone:
            continue
        o = "zone%d" % other
        con.focus(other)
        con.settle(0.3)
        assert con.cmd(o, "after-lr") == b"%s: after-lr\r\n" % o.encode()
    # The zone can be restarted from the console, and works again.
    con.focus(zone)
    con.settle(0.3)
    con.send(ESC + b"r")
    con.expect(rb"\[hv\] restarting zone %d \(%s\)\r\n" % (zone, name.encode()))
    con.expect_exact(greeting(name), timeout=30)
    assert con.cmd(name, "after-restart") == b"%s: after-restart\r\n" % name.encode()
    out = con.cmd(name, "hostile lr %d" % n, timeout=30)
    m = LR_RE.search(out)
    assert m and int(m.group(2)) == n and int(m.group(4)) == 0, out
    rows = con.list_zones()
    assert all(rows[z]["state"] == "running" for z in ZONES), rows


TIMER_RE = re.compile(rb"hostile timer: (\d+) ticks in (\d+) ms \(period 1 ms\)\r\n")


@pytest.mark.parametrize("zone", [0, 1])
def test_timer_handler_rewriting_only_cval_keeps_ticking(trio, zone):
    """A virtual-timer handler that only writes CVAL (never CNTV_CTL) goes on ticking: the
    hypervisor's own mask of the timer output must not stay behind after the tick."""
    con = trio
    name = "zone%d" % zone
    if zone:
        con.replay_after(con.focus(zone), greeting(name))
    out = con.cmd(name, "hostile timer 200", timeout=30)
    m = TIMER_RE.search(out)
    assert m, "no result from hostile timer: %r" % out
    ticks = int(m.group(1))
    print("\n%s: %d ticks of 1 ms in 200 ms" % (name, ticks))
    # 200 expected; TCG on a loaded host may merge a few.
    assert ticks >= 100, m.group(0)
    assert con.cmd(name, "after-timer") == b"%s: after-timer\r\n" % name.encode()
