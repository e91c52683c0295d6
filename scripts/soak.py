#!/usr/bin/python3
"""Soak: 100 restarts of linux0 under load, then every zone must answer and every count add up.

`make soak` (not part of `make test`) runs this on the default `linux` configuration
(build/linux/hypervisor.bin): linux0 (2 vCPUs, focused), linux1 and guest2 (the bare-metal test
guest). While linux0 is restarted RESTARTS times, cycling through
  - Ctrl-\\ r (the multiplexer's restart key), with a few keys typed at once (held for the new
    boot, lifecycle.h),
  - `reboot -f` inside the zone (PSCI SYSTEM_RESET),
  - `poweroff -f` inside the zone (PSCI SYSTEM_OFF), then Ctrl-\\ r from the console,
linux1 floods its console with `cat /proc/cpuinfo` in a loop and guest2 runs `flood N` again
each time it finishes, both in the background (into their history rings); every PASTE_EVERY
restarts an 8 KiB paste goes into linux0's `cat | wc -c`, which must count all of it.

At the end:
  - every zone answers: a shell echo in linux0 and linux1 (after its flood is stopped), a line
    echoed by guest2;
  - the transcript holds no unexpected fault: no hypervisor fault/abort/panic line and no guest
    kernel panic/Oops/BUG;
  - the zone list adds up: each zone's `in` equals the bytes typed into it, and its `dropped`
    is explained: the history drops the hypervisor said on each focus ("N bytes of history were
    dropped"), plus what its history ring overwrote since it was last shown (no more than it
    printed since, leaving at most the ring's size unshown).
Prints one summary line; exit status 0 when everything held.

Usage: /usr/bin/python3 scripts/soak.py [--restarts N] [--log PATH]
"""

import argparse
import re
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests" / "system" / "linux"))

import hvlinux  # noqa: E402
from hvlinux import ESC, ZONES, prompt_re, start_machine  # noqa: E402

HISTORY = {"linux0": hvlinux.HISTORY_RING, "linux1": hvlinux.HISTORY_RING, "guest2": 16384}
GUEST_FLOOD = 20_000_000  # bytes per `flood` in guest2
PASTE_EVERY = 5
PASTE = b"".join(b"paste %04d " % i + b"x" * 52 + b"\r" for i in range(128))  # 8 KiB
HELD_KEYS = b": held\r"  # typed right after Ctrl-\ r: lands while linux0 restarts
# Lines that would mean something went wrong: the hypervisor's fault reports and guest crashes.
FAULT_RE = re.compile(rb"^.*(?:\[hv\].*(?:fault|abort|panic|needs reset|unhandled)|PANIC|"
                      rb"Kernel panic|Internal error|Oops|BUG:|Unable to handle).*$",
                      re.IGNORECASE | re.MULTILINE)
NOTE_RE = re.compile(rb"\[hv\] (\S+): (\d+) bytes of history were dropped")


class Soak:
    def __init__(self, log):
        self.m = start_machine(log)
        self.left_at = {}  # zone -> its `out` when it last lost the focus
        self.guest_out = None

    def rows(self):
        return self.m.list_zones()

    def leave(self, zid):
        """Focus another zone; remember what the zone had printed when it was left (all of it
        shown then, or held unsent in its ring: it waits while focused)."""
        name = ZONES[self.m.focused]
        self.left_at[name] = self.rows()[name]["out"]
        self.m.focus(zid)

    def type_raw(self, zone, data):
        self.m.send(data)
        self.m.typed[zone] += len(data)

    # ---- load ------------------------------------------------------------------------------

    def start_load(self):
        m = self.m
        self.leave(1)
        self.type_raw("linux1", b"while [ ! -e /tmp/stop ]; do cat /proc/cpuinfo; done &\r")
        m.expect(prompt_re("linux1"))
        self.leave(2)
        self.guest_flood()
        self.leave(0)

    def guest_flood(self):
        self.type_raw("guest2", b"flood %d\r" % GUEST_FLOOD)
        self.m.expect_exact(b"flood %d\r\n" % GUEST_FLOOD)

    def rearm_guest(self, rows):
        """guest2's flood is over when its output stopped growing: check it and start another."""
        out = rows["guest2"]["out"]
        if out != self.guest_out:
            self.guest_out = out
            return
        m = self.m
        self.leave(2)
        m.expect_exact(b"bytes=%d\r\nguest2> " % GUEST_FLOOD)
        self.guest_flood()
        self.leave(0)
        self.guest_out = None

    # ---- linux0 ----------------------------------------------------------------------------

    def restart(self, i):
        m = self.m
        start = m.mark()
        kind = ("escape", "reboot", "poweroff")[i % 3]
        if kind == "escape":
            m.send(ESC + b"r")
            self.type_raw("linux0", HELD_KEYS)
            m.expect_exact(b"[hv] restarting zone 0 (linux0)\r\n", start=start)
        elif kind == "reboot":
            self.type_raw("linux0", b"reboot -f\r")
            m.expect_exact(b"[hv] zone 0 (linux0): PSCI SYSTEM_RESET: restarting zone\r\n",
                           hvlinux.BOOT_TIMEOUT, start=start)
        else:
            self.type_raw("linux0", b"poweroff -f\r")
            m.expect_exact(b"[hv] zone 0 (linux0): PSCI SYSTEM_OFF: zone is off\r\n",
                           hvlinux.BOOT_TIMEOUT, start=start)
            start = m.mark()
            m.send(ESC + b"r")
            m.expect_exact(b"[hv] restarting zone 0 (linux0)\r\n", start=start)
        m.wait_linux_shell("linux0", start=start)
        m.out("linux0", "true")
        return kind

    def paste(self):
        m = self.m
        self.type_raw("linux0", b"cat | wc -c\r")
        m.expect_exact(b"cat | wc -c\r\n")
        self.type_raw("linux0", PASTE + b"\x04")
        got = m.expect(rb"\r\n(\d+)\r\n", hvlinux.BOOT_TIMEOUT)
        m.expect(prompt_re("linux0"))
        assert int(got.group(1)) == len(PASTE), "paste: wc -c %s of %d" % (
            got.group(1), len(PASTE))

    # ---- the end ---------------------------------------------------------------------------

    def check_counts(self, rows):
        """Each zone: in == typed; dropped == the notes said + what its ring overwrote since it
        lost the focus. Of what it printed since, plus what was still unsent then (at most the
        ring), all but at most the ring is overwritten: since - ring <= unsaid <= since + ring."""
        notes = {z: 0 for z in ZONES}
        for name, n in NOTE_RE.findall(bytes(self.m.wire)):
            notes[name.decode()] += int(n)
        problems = []
        for z in ZONES:
            r = rows[z]
            if r["inp"] != self.m.typed[z]:
                problems.append("%s: in %d, typed %d" % (z, r["inp"], self.m.typed[z]))
            unsaid = r["dropped"] - notes[z]
            since = r["out"] - self.left_at.get(z, r["out"])
            if r["focused"]:
                ok = unsaid == 0
            else:
                ok = max(0, since - HISTORY[z]) <= unsaid <= since + HISTORY[z]
            if not ok:
                problems.append("%s: dropped %d, said %d, printed %d since shown" % (
                    z, r["dropped"], notes[z], since))
        return notes, problems

    def answers(self):
        m = self.m
        assert m.out("linux0", "echo $((6*7))-$(hostname)") == "42-linux0"
        m.focus(1)
        self.type_raw("linux1", b"touch /tmp/stop\r")
        m.expect(prompt_re("linux1"), hvlinux.BOOT_TIMEOUT)
        m.settle(1.0, timeout=120)
        assert m.out("linux1", "echo $((6*7))-$(hostname)") == "42-linux1"
        m.focus(2)
        m.expect_exact(b"bytes=%d\r\nguest2> " % GUEST_FLOOD, 600)
        m.guest2("soak answer")
        m.focus(0)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--restarts", type=int, default=100)
    ap.add_argument("--log", default=str(ROOT / "build" / "soak.log"))
    args = ap.parse_args()
    t0 = time.monotonic()
    s = Soak(args.log)
    m = s.m
    kinds = {"escape": 0, "reboot": 0, "poweroff": 0}
    pastes = 0
    failure = None
    done = 0
    try:
        s.start_load()
        for i in range(args.restarts):
            kinds[s.restart(i)] += 1
            done += 1
            if (i + 1) % PASTE_EVERY == 0:
                s.paste()
                pastes += 1
            s.rearm_guest(s.rows())
            print("restart %d/%d (%s) at %.0f s" % (i + 1, args.restarts, ("escape", "reboot",
                  "poweroff")[i % 3], time.monotonic() - t0), flush=True)
        before = s.rows()  # counts before the final checks move the focus
        typed = dict(m.typed)
        notes, problems = s.check_counts(before)
        s.answers()
    except AssertionError as e:
        failure = str(e)[:2000]
        before, notes, problems, typed = None, {}, [], {}
    faults = [f.decode("latin-1").strip() for f in FAULT_RE.findall(bytes(m.raw))]
    m.close()
    minutes = (time.monotonic() - t0) / 60
    counts = "; ".join("%s in %d typed %d out %d dropped %d (said %d)" % (
        z, before[z]["inp"], typed[z], before[z]["out"], before[z]["dropped"], notes[z])
        for z in ZONES) if before else "n/a"
    ok = failure is None and not problems and not faults
    print("soak: %s: %d/%d restarts (%d Ctrl-\\ r, %d reboot -f, %d poweroff -f + Ctrl-\\ r), "
          "%d pastes, %.1f min; %s; faults %d%s" % (
              "PASS" if ok else "FAIL", done, args.restarts, kinds["escape"], kinds["reboot"],
              kinds["poweroff"], pastes, minutes, counts, len(faults),
              "" if ok else "; " + "; ".join(([failure] if failure else []) + problems
                                             + faults[:10])))
    print("transcript: %s" % args.log)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
