"""Helpers for the system tests: the QEMU console and what the test guest prints.

Every test gets a fresh QEMU running build/baremetal/hypervisor.bin with the two test-guest zones
(zone0 focused at boot, zone1 in the background). QEMU's serial port is its stdio on a pty made by
pexpect; a reader thread drains the pty all the time, so QEMU never blocks on a full pty while a
test is busy writing (the 64 KiB paste would otherwise deadlock) and the full log is kept.

The pty's output processing (OPOST|ONLCR, left on by QEMU) turns every '\\n' the UART sent into
"\\r\\n". The reader undoes exactly that, so Console.wire holds the bytes the hypervisor wrote to
the UART, "\\r\\n" from the guest included, and tests can compare bytes exactly.
"""

import bisect
import os
import re
import select
import shlex
import subprocess
import termios
import threading
import time
import zlib
from pathlib import Path

import pexpect

ROOT = Path(__file__).resolve().parents[2]
HV_BIN = ROOT / "build" / "baremetal" / "hypervisor.bin"
UBOOT_BIN = Path("/usr/lib/u-boot/qemu_arm64/u-boot.bin")

ESC = b"\x1c"  # Ctrl-\ (the default ESCAPE of the Makefile)
ESC_NAME = b"Ctrl-\\"
ZONES = ["zone0", "zone1"]
HISTORY_RING = 16384  # per-zone history ring of the baremetal configuration
TAGLINE_MAX = 200  # tagged view: longer lines are cut into pieces of this size

QEMU = "qemu-system-aarch64"


def machine_args(gic=3):
    """QEMU virt as the baremetal configuration runs on it, with GICv3 or GICv2."""
    return [
        "-M", "virt,virtualization=on,gic-version=%d" % gic, "-cpu", "cortex-a57", "-smp", "2",
        "-m", "2G", "-nodefaults", "-display", "none", "-monitor", "none",
        "-chardev", "stdio,id=con,signal=off", "-serial", "chardev:con",
    ]


MACHINE_ARGS = machine_args(3)

BOOT_TIMEOUT = 30
CMD_TIMEOUT = 20
FLOOD_TIMEOUT = 90


def qemu_argv(*boot_args, gic=3):
    return [QEMU, *machine_args(gic), *boot_args]


# Where a system test can run a configuration: the Makefile arguments that select it.
TARGETS = {
    "virt-gicv3": ["GIC=3"],
    "virt-gicv2": ["GIC=2"],
    "rpi4": ["PLATFORM=rpi4"],
}


def build_dir(target, config):
    """The Makefile's CFG_BUILD for a configuration on a target."""
    if target == "rpi4":
        return ROOT / "build" / ("rpi4-" + config)
    return ROOT / "build" / (config + ("-gic2" if target == "virt-gicv2" else ""))


def target_build(target, config):
    """Build config for target (its image only: build/hypervisor.bin, the default
    configuration's copy, is left alone); returns (image, QEMU argv) as `make qemu-cmd` says."""
    make = ["make", "-s", "--no-print-directory", "CONFIG=" + config, *TARGETS[target]]
    image = build_dir(target, config) / "hypervisor.bin"
    proc = subprocess.run(make + [str(image.relative_to(ROOT))], cwd=str(ROOT),
                          stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    assert proc.returncode == 0, "%s failed:\n%s" % (" ".join(make), proc.stdout.decode(
        "latin-1", "replace")[-5000:])
    out = subprocess.run(make + ["qemu-cmd"], cwd=str(ROOT), check=True,
                         stdout=subprocess.PIPE).stdout.decode()
    return image, shlex.split(out.strip().splitlines()[-1])


# ---------------------------------------------------------------------------------------------
# What the test guest prints


def pattern(n):
    """The flood pattern: byte i is '\\n' if i % 64 == 63, else 'A' + ((i % 64) + (i // 64)) % 26."""
    rows = []
    for line in range((n + 63) // 64):
        rows.append(bytes(65 + (col + line) % 26 for col in range(63)) + b"\n")
    return b"".join(rows)[:n]


def crc_line(n):
    return b"crc32=%08x bytes=%d\r\n" % (zlib.crc32(pattern(n)), n)


def flood_output(n):
    """Everything `flood N` prints after the echoed command line, up to (not including) the prompt."""
    body = pattern(n)
    if n == 0 or not body.endswith(b"\n"):
        body += b"\r\n"
    return body + crc_line(n)


def prompt(zone):
    return zone.encode() + b"> "


def greeting(zone):
    return b"hello from %s\r\n" % zone.encode() + prompt(zone)


def banner_re(zone_id, state=b"running", zones=None):
    name = (zones or ZONES)[zone_id].encode()
    return re.compile(
        rb"\[hv\] === zone %d: %s \(%s\) === %s h for help\r\n"
        % (zone_id, name, state, re.escape(ESC_NAME)))


LIST_HEADER_RE = re.compile(rb"\[hv\]\s+id\s+name\s+state\s+out\s+in\s+dropped\r\n")
LIST_ROW_RE = re.compile(
    rb"\[hv\] ([ *])\s*(\d+) (\S+)\s+(\S+)\s+(\d+)\s+(\d+)\s+(\d+)\r\n")


# ---------------------------------------------------------------------------------------------
# The console


class Console:
    """A QEMU process on a pty with a reader thread and an expect() over the exact UART bytes."""

    def __init__(self, argv, log_path=None, zones=None):
        self.argv = argv
        self.log_path = log_path
        self.zones = list(zones or ZONES)  # the configuration's zone names, in id order
        self.child = pexpect.spawn(argv[0], argv[1:], cwd=str(ROOT), encoding=None, echo=False,
                                   timeout=None)
        self.fd = self.child.child_fd
        # Non-blocking: a write must never hang the test when the hypervisor stops reading.
        os.set_blocking(self.fd, False)
        self.raw = bytearray()  # as read from the pty
        self.wire = bytearray()  # as the UART sent it (pty ONLCR undone)
        self.pos = 0  # expect() cursor into wire
        self.arrival_t = []  # per chunk read: time.monotonic() when it was read ...
        self.arrival_len = []  # ... and len(wire) after it (see arrival())
        self.eof = False
        self.cond = threading.Condition()
        self._onlcr = None
        self._held_cr = b""
        self._thread = threading.Thread(target=self._reader, daemon=True)
        self._thread.start()

    # -- reading ----------------------------------------------------------------------------

    def _decode(self, chunk, final=False):
        if self._onlcr is None:
            try:
                # On Linux, TCGETS on the master reports the slave's settings, as QEMU set them.
                oflag = termios.tcgetattr(self.fd)[1]
                self._onlcr = bool(oflag & termios.OPOST) and bool(oflag & termios.ONLCR)
            except termios.error:
                self._onlcr = True
        if not self._onlcr:
            return chunk
        data = self._held_cr + chunk
        self._held_cr = b""
        if data.endswith(b"\r") and not final:
            self._held_cr, data = b"\r", data[:-1]  # might be the '\r' ONLCR put before a '\n'
        return data.replace(b"\r\n", b"\n")

    def _reader(self):
        while True:
            try:
                ready, _, _ = select.select([self.fd], [], [], 0.2)
                if not ready:
                    continue
                # Once QEMU has exited and everything is read, the pty master reports EIO.
                chunk = os.read(self.fd, 65536)
            except BlockingIOError:
                continue
            except (OSError, ValueError):
                chunk = b""
            with self.cond:
                if chunk:
                    self.raw += chunk
                    self.wire += self._decode(chunk)
                    self.arrival_t.append(time.monotonic())
                    self.arrival_len.append(len(self.wire))
                else:
                    self.wire += self._decode(b"", final=True)
                    self.eof = True
                self.cond.notify_all()
            if not chunk:
                return

    def _wait(self, done, timeout, what):
        deadline = time.monotonic() + timeout
        with self.cond:
            while True:
                result = done()
                if result is not None:
                    return result
                left = deadline - time.monotonic()
                if self.eof or left <= 0:
                    tail = bytes(self.wire[max(self.pos, len(self.wire) - 1500):])
                    why = "QEMU exited" if self.eof else "timeout (%ss)" % timeout
                    raise AssertionError("%s waiting for %s; output after cursor (tail): %r"
                                         % (why, what, tail))
                self.cond.wait(min(left, 0.5))

    def expect(self, pat, timeout=CMD_TIMEOUT, start=None, move=True):
        """Wait for a regex (bytes or compiled) in wire after `start` (default: the cursor).

        Returns the match; moves the cursor to its end unless move=False."""
        rx = pat if isinstance(pat, re.Pattern) else re.compile(pat)
        begin = self.pos if start is None else start

        def done():
            return rx.search(self.wire, begin)

        m = self._wait(done, timeout, repr(rx.pattern))
        if move:
            self.pos = m.end()
        return m

    def expect_exact(self, text, timeout=CMD_TIMEOUT, start=None, move=True):
        return self.expect(re.compile(re.escape(text)), timeout, start, move)

    def wait_len(self, n, timeout=CMD_TIMEOUT, idle=None):
        """Wait until wire holds at least n bytes; with idle, give up as soon as nothing has
        arrived for that many seconds."""
        if idle is None:
            self._wait(lambda: True if len(self.wire) >= n else None, timeout, "%d bytes" % n)
            return
        deadline = time.monotonic() + timeout
        last, since = -1, time.monotonic()
        while True:
            have = self.mark()
            if have >= n:
                return
            now = time.monotonic()
            if have != last:
                last, since = have, now
            if now - since > idle or now > deadline or self.eof:
                raise AssertionError("output stopped at %d of %d bytes (%s); last bytes: %r" % (
                    have, n, "QEMU exited" if self.eof else "idle %ss" % idle,
                    self.since(max(0, have - 300))))
            time.sleep(0.05)

    def settle(self, quiet=0.3, timeout=10):
        """Wait until the UART has been silent for `quiet` seconds; returns len(wire)."""
        deadline = time.monotonic() + timeout
        last = -1
        while True:
            with self.cond:
                n = len(self.wire) + len(self._held_cr)
            if n == last:
                return len(self.wire)
            if time.monotonic() > deadline:
                raise AssertionError("output did not settle within %ss" % timeout)
            last = n
            time.sleep(quiet)

    def arrival(self, offset):
        """time.monotonic() at which the reader got wire[offset] (None if not yet read)."""
        with self.cond:
            i = bisect.bisect_right(self.arrival_len, offset)
            return self.arrival_t[i] if i < len(self.arrival_t) else None

    def mark(self):
        with self.cond:
            return len(self.wire)

    def since(self, start, end=None):
        with self.cond:
            return bytes(self.wire[start:end])

    # -- writing ----------------------------------------------------------------------------

    def send(self, data, timeout=CMD_TIMEOUT):
        if isinstance(data, str):
            data = data.encode("latin-1")
        deadline = time.monotonic() + timeout
        view = memoryview(data)
        while view:
            left = deadline - time.monotonic()
            if left <= 0:
                raise AssertionError("could not write %d bytes to QEMU within %ss"
                                     % (len(view), timeout))
            _, ready, _ = select.select([], [self.fd], [], min(left, 0.5))
            if ready:
                try:
                    n = os.write(self.fd, view[:4096])
                except BlockingIOError:
                    time.sleep(0.01)
                    continue
                view = view[n:]

    # -- lifetime ---------------------------------------------------------------------------

    def wait_exit(self, timeout=20):
        """Wait for QEMU to exit on its own; returns its exit status."""
        deadline = time.monotonic() + timeout
        while self.child.isalive():
            if time.monotonic() > deadline:
                raise AssertionError("QEMU still running %ss later" % timeout)
            time.sleep(0.1)
        self._thread.join(5)
        return self.child.exitstatus

    def close(self):
        if self.child.isalive():
            self.child.terminate(force=True)
        self._thread.join(5)
        try:
            self.child.close(force=True)
        except Exception:
            pass
        if self.log_path:
            Path(self.log_path).write_bytes(bytes(self.wire))

    # -- hypervisor console helpers ----------------------------------------------------------

    def boot(self, timeout=BOOT_TIMEOUT, all_zones=True):
        """Wait for zone0's banner, greeting and prompt, and (all_zones) until every zone has
        printed its greeting and prompt (into its history: polled with the zone list).

        Sets boot_end: the wire offset after zone0's prompt, before any list output."""
        self.expect(banner_re(0, zones=self.zones), timeout)
        self.expect_exact(b"hello from zone0\r\n" + prompt("zone0"), timeout)
        self.boot_end = self.pos
        deadline = time.monotonic() + timeout
        while all_zones:
            rows = self.list_zones()
            if all(rows[z]["out"] >= len(greeting(z)) for z in self.zones):
                break
            assert time.monotonic() < deadline, "not every zone greeted: %r" % rows
            time.sleep(0.05)
        self.settle(0.1)
        self.pos = self.mark()
        return self.since(0, self.boot_end)

    def cmd(self, zone, line, timeout=CMD_TIMEOUT):
        """Type a line into the focused zone (named `zone`); returns what it printed between the
        echo of the line and its next prompt."""
        if isinstance(line, str):
            line = line.encode("latin-1")
        self.send(line + b"\r")
        self.expect_exact(line + b"\r\n", timeout)
        start = self.pos
        m = self.expect_exact(prompt(zone), timeout)
        return self.since(start, m.start())

    def focus(self, zone_id, how=None, state=b"running"):
        """Escape-command to focus a zone (default: the digit); returns the wire offset just after
        the banner, where the replay starts."""
        key = how if how is not None else str(zone_id).encode()
        self.send(ESC + key)
        return self.expect(banner_re(zone_id, state, self.zones)).end()

    def replay_after(self, start, expected=b"", quiet=0.3):
        """Everything printed from `start` until the UART goes quiet (a replay, nothing typed).
        Waits for at least len(expected) bytes first, so a loaded host cannot cut it short."""
        self.wait_len(start + len(expected), idle=5)
        end = self.settle(quiet)
        self.pos = end
        return self.since(start, end)

    def list_zones(self):
        """Ctrl-\\ l, parsed: {name: dict(id, focused, state, out, in, dropped)}."""
        self.send(ESC + b"l")
        self.expect(LIST_HEADER_RE)
        rows = {}
        for _ in self.zones:
            m = self.expect(LIST_ROW_RE)
            rows[m.group(3).decode()] = dict(
                id=int(m.group(2)), focused=m.group(1) == b"*", state=m.group(4).decode(),
                out=int(m.group(5)), inp=int(m.group(6)), dropped=int(m.group(7)))
        return rows


def booted(argv, log_path, zones):
    """A generator for fixtures: yields a booted Console (every zone greeted), closes it
    afterwards (the transcript stays at log_path), and fails on a hypervisor PANIC."""
    con = Console(argv, log_path, zones=zones)
    try:
        con.boot()
        yield con
    finally:
        con.close()
        print("transcript: %s" % con.log_path)
    at = con.wire.find(b"PANIC")
    assert at < 0, "hypervisor PANIC: %r" % bytes(con.wire[max(0, at - 200):at + 300])
