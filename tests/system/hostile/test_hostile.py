"""A hostile zone must not hurt the hypervisor or its neighbours.

The `linux` configuration runs two Debian zones (linux0, linux1) beside the bare-metal test
guest (zone 2, guest2). guest2 is told to misbehave (`hostile ...` commands, see
tests/guests/testguest/hostile.c):

  1. publish 17 kinds of malformed virtqueues: each must put only guest2's console into
     DEVICE_NEEDS_RESET, with one `[hv] zone 2 (guest2): virtio-console: ...` line, and the
     guest's reset recovery must bring the console back;
  2. touch 9 IPAs outside its RAM that correspond to sensitive physical addresses, and make
     5 accesses at its virtio window that cannot be emulated: each must be a synchronous
     external abort injected into guest2, with one `abort injected` line; 23 of them in a
     few milliseconds run into the log rate limit (burst 20, then 10/s), which must account
     for every line it holds back;
  3. spin for 3 s with all of DAIF masked, while both Linux zones answer commands.

The tests run in file order on one machine; the last one accounts for every hypervisor log
line of the whole run.
"""
import os
import re
import time

RATE_BURST = 20
RATE_INTERVAL = 0.1  # seconds per token after the burst

# (class, what the hypervisor's log line must say) in the order `hostile ring all` runs them.
RING_CLASSES = [
    ("head-range", r"head index out of range"),
    ("next-range", r"next index out of range"),
    ("loop", r"descriptor loop"),
    ("avail-ahead", r"avail\.idx ahead"),
    ("buf-range", r"buffer outside zone RAM"),
    ("buf-end", r"buffer outside zone RAM"),
    ("buf-wrap", r"buffer outside zone RAM"),
    ("indirect", r"indirect descriptor"),
    ("tx-writable", r"buffer direction wrong"),
    ("rx-readonly", r"buffer direction wrong"),
    ("align-desc", r"misaligned ring address"),
    ("align-avail", r"misaligned ring address"),
    ("align-used", r"misaligned ring address"),
    ("ring-range", r"ring outside zone RAM"),
    ("num-zero", r"QueueNum is zero"),
    ("num-not-pow2", r"QueueNum is not a power of two"),
    ("num-too-big", r"QueueNum above QueueNumMax"),
]
SETUP_CLASSES = {"align-desc", "align-avail", "align-used", "ring-range", "num-zero",
                 "num-not-pow2", "num-too-big"}

VIRTIO = 0x0A000000
SENSITIVE_IPAS = [0x44000000, 0x4C000000, 0x50000000, 0x60000000, 0x70000000, 0x09000000,
                  0x08080000, 0x08010000, 0x080C0000]
# (guest command, address, is a write) in the order `hostile addrs` performs them.
ADDR_ACCESSES = [(op, a, op == "poke") for a in SENSITIVE_IPAS for op in ("peek", "poke")] + [
    ("ldp", VIRTIO, False),
    ("ldr-post", VIRTIO, False),
    ("stp", VIRTIO + 0xF0, True),
    ("str-pre", VIRTIO + 0xF0, True),
    ("ldr64", VIRTIO, False),
]
UNDECODABLE = {"ldp", "ldr-post", "stp", "str-pre"}

HV_ZONE_LINE = re.compile(r"^\[hv\] zone (\d+) \(([^)]*)\): (.*)$", re.M)
SUPPRESSED = re.compile(r" \[(\d+) similar lines suppressed\]$")

# Filled in as the steps run: the faults guest2 was made to cause, in order, each a
# (description, regex its log line must match).
expected_faults = []
state = {}


def ring_fault(cls, text):
    return (f"ring {cls}", re.compile(r"^virtio-console: " + text + r"[^;]*; device needs reset$"))


def access_fault(op, addr, write):
    kind = "write" if write else "read"
    if op in UNDECODABLE:
        rx = rf"^abort injected: {kind} access to IPA 0x{addr:x} at pc 0x[0-9a-f]+: "
    else:
        width = 8 if op == "ldr64" else 4
        rx = rf"^abort injected: {width}-byte {kind} at unmapped IPA 0x{addr:x}, pc 0x[0-9a-f]+$"
    return (f"{op} 0x{addr:x}", re.compile(rx))


def guest2_lines(machine, start=0, end=None):
    """[hv] log lines about guest2 printed in [start, end) of the transcript."""
    return [m.group(3) for m in HV_ZONE_LINE.finditer(machine.text(start, end))
            if m.group(1) == "2"]


def check_esr(line, addr, write):
    m = re.search(r"abort caught \(esr=0x([0-9a-f]+), far=0x([0-9a-f]+)\)", line)
    assert m, f"no abort caught: {line!r}"
    esr, far = int(m.group(1), 16), int(m.group(2), 16)
    assert esr >> 26 == 0x25, f"not a data abort from the current EL: {line!r}"
    assert esr & 0x3F == 0x10, f"not a synchronous external abort (DFSC): {line!r}"
    assert bool(esr & (1 << 6)) == write, f"WnR wrong: {line!r}"
    assert far == addr, f"FAR 0x{far:x} != 0x{addr:x}: {line!r}"


def test_boot_both_linux_shells_and_guest2(machine):
    machine.expect(rb"linux zone shell ready \(zone=linux0 tty=/dev/hvc0\)", timeout=300)
    machine.expect(rb"linux0:/# ", timeout=120)
    machine.focus_id = 0
    assert machine.linux_echo("linux0", 1) < 10
    # linux1 booted in the background: its shell appears in the replay.
    machine.focus(1, "linux1")
    machine.expect(rb"linux zone shell ready \(zone=linux1 tty=/dev/hvc0\)", timeout=300)
    machine.expect(rb"linux1:/# ", timeout=120)
    assert machine.linux_echo("linux1", 2) < 10
    machine.focus(2, "guest2")
    machine.expect(rb"guest2> ")
    out = machine.guest_cmd("hello-before")
    assert "guest2: hello-before" in out
    assert guest2_lines(machine) == [], "guest2 caused log lines before doing anything hostile"


def test_ring_all_recovers_each_class(machine):
    start = machine.offset()
    machine.send("hostile ring all\r")
    machine.expect(rb"hostile ring rx-readonly: armed, press a key\r*\n")
    # The RX defect is only found when the device has input to deliver.
    machine.send("k")
    machine.expect(rb"hostile ring all: \d+ of \d+ recovered\r*\n", timeout=120)
    machine.expect(rb"guest2> ")
    out = machine.text(start)
    for cls, text in RING_CLASSES:
        expected_faults.append(ring_fault(cls, text))

    results = re.findall(r"^hostile ring (\S+): (recovered|not recovered.*)$", out, re.M)
    assert results == [(cls, "recovered") for cls, _ in RING_CLASSES], results
    assert f"hostile ring all: {len(RING_CLASSES)} of {len(RING_CLASSES)} recovered" in out
    # The device flagged each defect itself (DEVICE_NEEDS_RESET) with a config interrupt.
    for cls, status, isr in re.findall(
            r"^hostile ring (\S+): device status=0x([0-9a-f]+) isr=0x([0-9a-f]+)", out, re.M):
        assert int(status, 16) & 0x40, f"{cls}: DEVICE_NEEDS_RESET not set (status {status})"
        assert int(isr, 16) & 0x2, f"{cls}: no configuration-change interrupt (isr {isr})"
        if cls not in SETUP_CLASSES:
            assert int(status, 16) & 0x4, f"{cls}: DRIVER_OK lost before the reset"
    # The held key survived the reset and reached the new ring (then the guest dropped it).
    assert re.search(r"^hostile ring rx-readonly: .* discarded=1$", out, re.M), out
    # The driver saw every reset request; the hypervisor logged each fault exactly once,
    # in order (17 < burst: nothing may be suppressed).
    assert len(re.findall(r"^device needs reset$", out, re.M)) == len(RING_CLASSES)
    logged = guest2_lines(machine, start)
    assert len(logged) == len(RING_CLASSES), logged
    for line, (what, rx) in zip(logged, expected_faults):
        assert rx.search(line), f"{what}: unexpected log line {line!r}"
    assert "hello-after-ring" in machine.guest_cmd("hello-after-ring")


def test_addrs_abort_and_rate_limit(machine):
    # Let the token bucket refill completely (20 tokens at 10/s), so the burst is exact.
    time.sleep(RATE_BURST * RATE_INTERVAL + 0.5)
    start = machine.offset()
    out = machine.guest_cmd("hostile addrs")
    probes = re.findall(r"^hostile (\S+) 0x([0-9a-f]+): (.*)$", out, re.M)
    assert [(op, int(a, 16)) for op, a, _ in probes] == [(op, a) for op, a, _ in ADDR_ACCESSES]
    for (op, addr, write), (_, _, result) in zip(ADDR_ACCESSES, probes):
        assert result.startswith("abort caught"), \
            f"isolation: {op} at IPA 0x{addr:x} was not aborted: {result}"
        check_esr(result, addr, write)
        expected_faults.append(access_fault(op, addr, write))
    m = re.search(r"^hostile addrs: (\d+) accesses, (\d+) aborted, (\d+) not aborted, (\d+) us$",
                  out, re.M)
    assert m and int(m.group(1)) == int(m.group(2)) == len(ADDR_ACCESSES), out
    burst_s = int(m.group(4)) / 1e6
    addrs_end = machine.offset()

    # One more fault after a pause: its log line reports what the limiter held back.
    time.sleep(5 * RATE_INTERVAL)
    out = machine.guest_cmd("hostile peek 50000000")
    check_esr(out.strip().splitlines()[-1], 0x50000000, False)
    expected_faults.append(access_fault("peek", 0x50000000, False))

    during = guest2_lines(machine, start, addrs_end)
    held = sum(int(SUPPRESSED.search(l).group(1)) for l in during if SUPPRESSED.search(l))
    final = guest2_lines(machine, addrs_end)
    assert len(final) == 1, final
    m = SUPPRESSED.search(final[0])
    reported = int(m.group(1)) if m else 0
    # Every fault is either logged or counted; counts are reported on the next logged line.
    assert len(during) + held + reported == len(ADDR_ACCESSES), (during, final)
    # A full bucket lets exactly the burst through without loss...
    assert len(during) >= RATE_BURST, during
    assert all(not SUPPRESSED.search(l) for l in during[:RATE_BURST]), during
    # ...and after it at most one line per interval (plus one for the refill phase).
    assert len(during) <= RATE_BURST + 1 + int(burst_s / RATE_INTERVAL), (burst_s, during)
    if burst_s < RATE_INTERVAL:
        assert reported + held >= len(ADDR_ACCESSES) - RATE_BURST - 1, (burst_s, during, final)
        assert held + reported > 0, \
            f"no '[N similar lines suppressed]' note after a {burst_s}s burst"
    state["addrs_burst_s"] = burst_s
    assert "hello-after-addrs" in machine.guest_cmd("hello-after-addrs")


def test_masked_spin_does_not_stall_other_zones(machine):
    spin_ms = int(os.environ.get("HOSTILE_SPIN_MS", "3000"))
    machine.send(f"hostile spin {spin_ms}\r")
    machine.expect(rf"hostile spin {spin_ms}\r*\n".encode())
    t_spin = time.monotonic()  # the guest flushes this line, then masks DAIF and spins
    machine.focus(0, "linux0")
    lat0 = machine.linux_echo("linux0", 3)
    machine.focus(1, "linux1")
    lat1 = machine.linux_echo("linux1", 4)
    t_both = time.monotonic() - t_spin
    state["spin"] = (lat0, lat1, t_both)
    assert lat0 < 2.0 and lat1 < 2.0, f"Linux zones slow while guest2 spins: {lat0}, {lat1}"
    assert t_both < spin_ms / 1000, \
        f"both Linux zones answered only {t_both:.2f}s after the spin began"
    machine.focus(2, "guest2")
    machine.expect(rb"hostile spin done\r*\n", timeout=30)
    machine.expect(rb"guest2> ")
    assert "guest2: hello-after-spin" in machine.guest_cmd("hello-after-spin")


def test_everyone_still_works_and_log_accounting(machine):
    assert "guest2: final-echo" in machine.guest_cmd("final-echo")
    out = machine.guest_cmd("info")
    m = re.search(r"resets=(\d+)", out)
    assert m and int(m.group(1)) == len(RING_CLASSES), out
    machine.focus(0, "linux0")
    assert machine.linux_echo("linux0", 5) < 5
    machine.focus(1, "linux1")
    assert machine.linux_echo("linux1", 6) < 5
    machine.send(b"\x1cl")
    machine.expect(rb"\n\[hv\] [ *]  2 guest2 +running[^\n]*\n")
    listing = machine.text(machine.offset() - 2000)
    for name in ("linux0", "linux1", "guest2"):
        assert re.search(rf"\[hv\] [ *] +\d+ {name} +running", listing), listing

    text = machine.text()
    assert "PANIC" not in text
    zone_lines = HV_ZONE_LINE.findall(text)
    others = [l for l in zone_lines if l[0] != "2" or l[1] != "guest2"]
    assert others == [], f"hypervisor fault lines naming another zone: {others}"

    # Walk the whole run's guest2 lines against the faults caused, in order: a line with
    # "[N similar lines suppressed]" stands for itself plus the N faults before it.
    lines = guest2_lines(machine)
    i = 0
    for line in lines:
        m = SUPPRESSED.search(line)
        if m:
            i += int(m.group(1))
            line = line[:m.start()]
        assert i < len(expected_faults), f"more log lines than faults: {line!r}"
        what, rx = expected_faults[i]
        assert rx.search(line), f"log line for {what} expected, got {line!r}"
        i += 1
    assert i == len(expected_faults), \
        f"{len(expected_faults)} faults caused, {i} accounted for by {len(lines)} lines"
    print(f"\n{len(expected_faults)} faults, {len(lines)} log lines; addrs burst "
          f"{state.get('addrs_burst_s')}s; spin latencies {state.get('spin')}")
