"""Zone power from inside a Linux zone (PSCI SYSTEM_OFF / SYSTEM_RESET) and from the escape key.

These change zone state, so they have a machine of their own (module fixture) and run in order:
power linux1 off, bring it back and reboot it three times, then restart linux0 with Ctrl-\\ r.
Each test copes with the state the previous one left (so each also runs on its own).
"""

import re
import time

from hvlinux import BOOT_TIMEOUT, ESC, banner_re


def _boot_line(m, zid, name, start=None):
    """Wait for "[hv] zone N (name): restarted (boot K)"; returns K."""
    rx = re.compile(rb"\[hv\] zone %d \(%s\): restarted \(boot (\d+)\)\r\n" % (zid, name.encode()))
    return int(m.expect(rx, BOOT_TIMEOUT, start=start).group(1))


def _check_fresh_linux(m, zone, ncpus, since):
    """A just-booted zone: the right CPUs, a working command, and an uptime no longer than the
    host time since the restart was asked for at `since` (time.monotonic(); guest time follows
    host time without -icount): a zone that did not restart has run for longer. A fixed bound
    would fail on a loaded host, where a boot alone can take a minute."""
    up = float(m.out(zone, "cat /proc/uptime").split()[0])
    elapsed = time.monotonic() - since
    assert up < elapsed + 2, "%s uptime %.2f s, %.2f s after its restart" % (zone, up, elapsed)
    assert m.out(zone, "nproc") == str(ncpus)
    assert m.out(zone, "echo $((6*7))-$(hostname)") == "42-%s" % zone
    assert m.out(zone, "tty") == "/dev/hvc0"


def _focus_running(m, zid, name):
    """Focus a zone, restarting it first if an earlier test (run out of order) left it off."""
    state, _ = m.focus(zid)
    if state != "running":
        m.send(ESC + b"r")
        _boot_line(m, zid, name)
        m.wait_linux_shell(name)


def _others_responsive(m, skip):
    if "linux0" not in skip:
        m.focus(0)
        assert m.out("linux0", "echo $((6*7))-$(hostname)") == "42-linux0"
    if "linux1" not in skip:
        m.focus(1)
        assert m.out("linux1", "echo $((6*7))-$(hostname)") == "42-linux1"
    if "guest2" not in skip:
        m.focus(2)
        m.guest2("still here %d" % m.rng.randrange(10**6))


def test_poweroff_linux1(machine):
    """`poweroff -f` in linux1 turns off only linux1; its input is then discarded, counted."""
    m = machine
    _focus_running(m, 1, "linux1")
    m.out("linux1", "true")
    start = m.mark()
    m.send(b"poweroff -f\r")
    m.expect_exact(b"[hv] zone 1 (linux1): PSCI SYSTEM_OFF: zone is off\r\n", BOOT_TIMEOUT)
    rows = m.list_zones()
    assert rows["linux1"]["state"] == "off", rows
    assert rows["linux0"]["state"] == "running" and rows["guest2"]["state"] == "running", rows
    assert not re.search(rb"\[hv\] zone [02]", m.since(start)), "other zones were touched"

    # Typing into the off zone: one "[hv]" line per focus, every byte counted as dropped.
    m.focus(1, rb"off")
    dropped = rows["linux1"]["dropped"]
    m.send(b"echo hi\r")
    m.expect_exact(b"[hv] linux1 is off: input discarded (counted in the zone list)\r\n")
    m.send(b"echo again\r")
    rows = m.list_zones()
    assert rows["linux1"]["dropped"] - dropped == len(b"echo hi\recho again\r"), rows
    assert m.since(start).count(b"input discarded") == 1
    _others_responsive(m, skip={"linux1"})
    m.focus(1, rb"off")  # still off
    m.focus(0)


def test_reboot_linux1_three_times(machine):
    """`reboot -f` restarts linux1 from its pristine images; three times in a row."""
    m = machine
    state, _ = m.focus(1)
    if state == "off":  # after test_poweroff_linux1: bring it back with Ctrl-\ r
        start = m.mark()
        m.send(ESC + b"r")
        m.expect_exact(b"[hv] restarting zone 1 (linux1)\r\n", start=start)
        boot = _boot_line(m, 1, "linux1", start=start)
        m.wait_linux_shell("linux1")
        assert m.list_zones()["linux1"]["state"] == "running"
    else:
        boot = None
    m.out("linux1", "dmesg -n 1")
    for i in range(3):
        start = m.mark()
        since = time.monotonic()
        m.send(b"reboot -f\r")
        m.expect_exact(b"[hv] zone 1 (linux1): PSCI SYSTEM_RESET: restarting zone\r\n",
                       BOOT_TIMEOUT, start=start)
        k = _boot_line(m, 1, "linux1")
        if boot is not None:
            assert k == boot + 1, "boot count %d after %d" % (k, boot)
        boot = k
        m.wait_linux_shell("linux1", start=start)
        m.out("linux1", "dmesg -n 1")
        _check_fresh_linux(m, "linux1", 1, since)
        assert m.list_zones()["linux1"]["state"] == "running"
    _others_responsive(m, skip={"linux1"})
    m.focus(0)


def test_escape_restart_linux0(machine):
    """Ctrl-\\ r on a running zone (linux0, 2 vCPUs) restarts it; the others carry on."""
    m = machine
    m.focus(0)
    m.out("linux0", "echo before > /tmp/mark")
    start = m.mark()
    since = time.monotonic()
    m.send(ESC + b"r")
    m.expect_exact(b"[hv] restarting zone 0 (linux0)\r\n", start=start)
    boot = _boot_line(m, 0, "linux0", start=start)
    assert boot >= 2
    m.wait_linux_shell("linux0", start=start)
    m.out("linux0", "dmesg -n 1")
    _check_fresh_linux(m, "linux0", 2, since)
    # pristine images: the tmpfs file from before is gone
    assert m.out("linux0", "cat /tmp/mark 2>&1 || true") != "before"
    timer = m.out("linux0", "grep arch_timer /proc/interrupts").split()
    assert int(timer[1]) > 0 and int(timer[2]) > 0, "timer on both CPUs: %r" % timer
    rows = m.list_zones()
    assert [rows[z]["state"] for z in ("linux0", "linux1", "guest2")] == ["running"] * 3, rows
    _others_responsive(m, skip={"linux0"})
    m.focus(0)
    assert m.out("linux0", "echo $((6*7))-$(hostname)") == "42-linux0"
    # The banner names the zone as running after the restart.
    m.send(ESC + b"0")
    m.expect(banner_re(0, rb"running"))


def test_restart_storm_during_reboot_linux0(machine):
    """Ctrl-\\ r five times, quickly, while linux0 (2 vCPUs) itself runs `reboot -f`: the zone
    comes back to a shell once the storm is over, and nothing is left latched: a later
    `poweroff -f` leaves it off (it does not reboot), and Ctrl-\\ r brings it back."""
    m = machine
    _focus_running(m, 0, "linux0")
    m.out("linux0", "dmesg -n 1")
    start = m.mark()
    since = time.monotonic()
    m.send(b"reboot -f\r")
    m.expect_exact(b"[hv] zone 0 (linux0): PSCI SYSTEM_RESET: restarting zone\r\n",
                   BOOT_TIMEOUT, start=start)
    m.send((ESC + b"r") * 5)
    # However many reloads that makes (the storm coalesces), the zone ends at a shell.
    m.wait_linux_shell("linux0", start=start)
    m.settle(2.0)
    rows = m.list_zones()
    assert rows["linux0"]["state"] == "running", rows
    m.out("linux0", "dmesg -n 1")
    _check_fresh_linux(m, "linux0", 2, since)
    # Nothing latched: powered off, it stays off.
    start = m.mark()
    m.send(b"poweroff -f\r")
    m.expect_exact(b"[hv] zone 0 (linux0): PSCI SYSTEM_OFF: zone is off\r\n", BOOT_TIMEOUT,
                   start=start)
    m.settle(3.0)
    assert m.list_zones()["linux0"]["state"] == "off"
    assert b"restarted (boot" not in m.since(start), "linux0 rebooted after poweroff"
    _others_responsive(m, skip={"linux0"})
    # And the console brings it back.
    m.focus(0, rb"off")
    start = m.mark()
    since = time.monotonic()
    m.send(ESC + b"r")
    _boot_line(m, 0, "linux0", start=start)
    m.wait_linux_shell("linux0", start=start)
    m.out("linux0", "dmesg -n 1")
    _check_fresh_linux(m, "linux0", 2, since)
    m.focus(0)
