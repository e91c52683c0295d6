"""Helpers for the Linux-zone system tests (configuration "linux").

The machine: QEMU running build/linux/hypervisor.bin with zones linux0 (Debian Linux, 2 vCPUs,
focused at boot), linux1 (Debian Linux, 1 vCPU) and guest2 (the bare-metal test guest).

QEMU's serial port is its stdio, a pty made by pexpect. A reader thread drains the pty all the
time (so QEMU never blocks on a full pty while a test writes a large paste) and keeps:

  raw   the bytes as read from the pty (written to the log file as well)
  wire  the bytes the hypervisor wrote to the UART: QEMU leaves OPOST|ONLCR on its stdio, so the
        pty turns every '\\n' into "\\r\\n"; the reader undoes exactly that. A Linux zone's tty
        itself turns '\\n' into "\\r\\n", so in `wire` a shell line ends in "\\r\\n", exactly as
        the zone wrote it to its virtio console (and as the hypervisor counts it).

This module has a unique name so that it does not collide with helpers of other test folders.
"""

import os
import random
import re
import select
import subprocess
import threading
import time
from pathlib import Path

import pexpect

ROOT = Path(__file__).resolve().parents[3]
HV_BIN = ROOT / "build" / "linux" / "hypervisor.bin"

ESC = b"\x1c"  # Ctrl-\ (the Makefile's default ESCAPE)
ZONES = ["linux0", "linux1", "guest2"]
LINUX_ZONES = ["linux0", "linux1"]
HISTORY_RING = 65536  # history ring of each Linux zone in platform/qemu-virt/linux.c
CONSOLE_ROWS, CONSOLE_COLS = 40, 120  # the Linux zones' virtio console size (linux.c)
# busybox's line editor asks for the cursor position after each prompt
CPR_QUERY = b"\x1b[6n"

def qemu_argv(image=None):
    return [
        "qemu-system-aarch64", "-M", "virt,virtualization=on,gic-version=3",
        "-cpu", "cortex-a57", "-smp", "4", "-m", "2G", "-nodefaults", "-display", "none",
        "-monitor", "none", "-chardev", "stdio,id=con,signal=off", "-serial", "chardev:con",
        "-kernel", str(image or HV_BIN),
    ]


QEMU_ARGV = qemu_argv()

BOOT_TIMEOUT = 120
CMD_TIMEOUT = 60

LIST_HEADER_RE = re.compile(rb"\[hv\]\s+id\s+name\s+state\s+out\s+in\s+dropped\r\n")
LIST_ROW_RE = re.compile(rb"\[hv\] ([ *])\s*(\d+) (\S+)\s+(\S+)\s+(\d+)\s+(\d+)\s+(\d+)\r\n")

# Signs of a crash anywhere in the log: the hypervisor's own panic and a guest kernel's.
CRASH_MARKERS = [b"PANIC", b"Kernel panic", b"Internal error: Oops"]


def build(*make_args):
    """make CONFIG=linux [args]; returns the image (build/linux<suffix>/hypervisor.bin). A build
    with a suffix (UART_BAUD, GIC=2) makes only its own image, never the build/hypervisor.bin
    copy that the plain configuration's tests run."""
    baud = next((a.split("=", 1)[1] for a in make_args if a.startswith("UART_BAUD=")), "0")
    suffix = ("" if baud in ("", "0") else "-baud" + baud) + ("-gic2" if "GIC=2" in make_args else "")
    image = HV_BIN if not suffix else ROOT / "build" / ("linux" + suffix) / HV_BIN.name
    target = [] if not suffix else [str(image.relative_to(ROOT))]
    proc = subprocess.run(["make", "CONFIG=linux", *make_args, *target], cwd=str(ROOT),
                          stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    assert proc.returncode == 0, "make CONFIG=linux failed:\n" + proc.stdout.decode(
        "latin-1", "replace")[-5000:]
    assert image.is_file()
    return image


def zone_id(name):
    return ZONES.index(name)


def prompt_re(zone):
    """A busybox prompt `<zone>:<cwd># ` (the cursor query after it is optional)."""
    return re.compile(re.escape(zone.encode()) + rb":/[^\r\n#]*# ")


def banner_re(zid, state=rb"\w+"):
    return re.compile(rb"\[hv\] === zone %d: %s \((%s)\) === Ctrl-\\ h for help\r\n"
                      % (zid, ZONES[zid].encode(), state))


def ready_line(zone):
    return b"linux zone shell ready (zone=%s tty=/dev/hvc0)" % zone.encode()


def crlf_to_lf(data):
    return data.replace(b"\r\n", b"\n")


class Machine:
    """One QEMU running the linux configuration."""

    def __init__(self, log_path, image=None, argv=None):
        self.log_path = Path(log_path)
        self.log = open(self.log_path, "wb")
        argv = argv or qemu_argv(image)
        self.child = pexpect.spawn(argv[0], argv[1:], cwd=str(ROOT), encoding=None,
                                   echo=False, timeout=None)
        self.fd = self.child.child_fd
        self.raw = bytearray()
        self.wire = bytearray()
        self.pos = 0  # expect() cursor into wire
        self.eof = False
        self.cond = threading.Condition()
        self._held_cr = b""
        self.focused = 0
        self.typed = {z: 0 for z in ZONES}  # bytes typed into each zone by sh()/guest2()
        self.rng = random.Random()
        self._thread = threading.Thread(target=self._reader, daemon=True)
        self._thread.start()

    # ---- reading ------------------------------------------------------------------------

    def _decode(self, chunk, final=False):
        data = self._held_cr + chunk
        self._held_cr = b""
        if data.endswith(b"\r") and not final:
            self._held_cr, data = b"\r", data[:-1]  # may be the '\r' ONLCR put before '\n'
        return data.replace(b"\r\n", b"\n")

    def _reader(self):
        while True:
            try:
                ready, _, _ = select.select([self.fd], [], [], 0.2)
                if not ready:
                    continue
                chunk = os.read(self.fd, 65536)
            except (OSError, ValueError):
                chunk = b""
            with self.cond:
                if chunk:
                    self.raw += chunk
                    self.wire += self._decode(chunk)
                    try:
                        self.log.write(chunk)
                        self.log.flush()
                    except ValueError:
                        pass
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
                    tail = bytes(self.wire[max(self.pos, len(self.wire) - 2000):])
                    why = "QEMU exited" if self.eof else "timeout (%ss)" % timeout
                    raise AssertionError("%s waiting for %s; output after cursor (tail): %r"
                                         % (why, what, tail))
                self.cond.wait(min(left, 0.5))

    def expect(self, pat, timeout=CMD_TIMEOUT, start=None, move=True):
        """Wait for a regex in wire from `start` (default: the cursor); moves the cursor to the
        end of the match unless move=False. Returns the match (offsets are into wire)."""
        rx = pat if isinstance(pat, re.Pattern) else re.compile(pat)
        begin = self.pos if start is None else start
        m = self._wait(lambda: rx.search(self.wire, begin), timeout, repr(rx.pattern))
        if move:
            self.pos = m.end()
        return m

    def expect_exact(self, text, timeout=CMD_TIMEOUT, start=None, move=True):
        return self.expect(re.compile(re.escape(text)), timeout, start, move)

    def mark(self):
        with self.cond:
            return len(self.wire)

    def since(self, start, end=None):
        with self.cond:
            return bytes(self.wire[start:end])

    def settle(self, quiet=0.5, timeout=30):
        """Wait until the UART has been silent for `quiet` seconds; returns len(wire)."""
        deadline = time.monotonic() + timeout
        last = -1
        while True:
            with self.cond:
                n = len(self.wire) + len(self._held_cr)
            if n == last:
                return self.mark()
            assert time.monotonic() < deadline, "output did not settle within %ss" % timeout
            last = n
            time.sleep(quiet)

    # ---- writing ------------------------------------------------------------------------

    def send(self, data, timeout=CMD_TIMEOUT):
        if isinstance(data, str):
            data = data.encode("latin-1")
        deadline = time.monotonic() + timeout
        view = memoryview(data)
        while view:
            left = deadline - time.monotonic()
            assert left > 0, "could not write %d bytes to QEMU within %ss" % (len(view), timeout)
            _, ready, _ = select.select([], [self.fd], [], min(left, 0.5))
            if ready:
                n = os.write(self.fd, view[:4096])
                view = view[n:]

    # ---- lifetime -----------------------------------------------------------------------

    def close(self):
        """Power the machine off with Ctrl-\\ q (or kill QEMU) and close the log."""
        try:
            if self.child.isalive() and not self.eof:
                self.send(ESC + b"q", timeout=5)
                deadline = time.monotonic() + 10
                while self.child.isalive() and time.monotonic() < deadline:
                    time.sleep(0.1)
        except Exception:
            pass
        if self.child.isalive():
            self.child.terminate(force=True)
        self._thread.join(5)
        try:
            self.child.close(force=True)
        except Exception:
            pass
        with self.cond:
            self.log.close()

    def crashes(self):
        """Excerpts around any crash marker in the whole log."""
        found = []
        with self.cond:
            raw = bytes(self.raw)
        for marker in CRASH_MARKERS:
            i = raw.find(marker)
            if i >= 0:
                found.append(raw[max(0, i - 300):i + 500])
        return found

    # ---- multiplexer --------------------------------------------------------------------

    def focus(self, zid, state=rb"\w+"):
        """Ctrl-\\ <digit>; returns (state, offset in wire just after the banner line)."""
        self.send(ESC + str(zid).encode())
        m = self.expect(banner_re(zid, state))
        self.focused = zid
        return m.group(1).decode(), m.end()

    def list_zones(self):
        """Ctrl-\\ l, parsed: {name: dict(id, focused, state, out, inp, dropped)}."""
        self.send(ESC + b"l")
        self.expect(LIST_HEADER_RE)
        rows = {}
        for _ in ZONES:
            m = self.expect(LIST_ROW_RE)
            rows[m.group(3).decode()] = dict(
                id=int(m.group(2)), focused=m.group(1) == b"*", state=m.group(4).decode(),
                out=int(m.group(5)), inp=int(m.group(6)), dropped=int(m.group(7)))
        return rows

    # ---- zones --------------------------------------------------------------------------

    def wait_linux_shell(self, zone, start=None, timeout=BOOT_TIMEOUT):
        """Wait (from `start`) for the zone's /init line and the shell prompt after it."""
        m = self.expect_exact(ready_line(zone), timeout, start=start)
        self.expect(prompt_re(zone), timeout)
        return m

    def sh(self, zone, cmd, timeout=CMD_TIMEOUT):
        """Run a command in the focused Linux zone; returns (output, exit status).

        The output is framed by two markers the shell computes ($((n+1))), so that the echo of
        the typed line never matches them. Line ends are normalised to '\\n'."""
        assert self.focused == zone_id(zone), "zone %s is not focused" % zone
        n = self.rng.randrange(10**8, 10**9)
        line = "echo @$((%d+1))@; %s; echo @$((%d+2))@$?" % (n, cmd, n)
        self.send(line.encode() + b"\r")
        self.typed[zone] += len(line) + 1
        rx = re.compile(rb"@%d@\r\n(.*?)@%d@(\d+)\r\n" % (n + 1, n + 2), re.S)
        m = self.expect(rx, timeout)
        self.expect(prompt_re(zone), timeout)
        return crlf_to_lf(m.group(1)).decode("latin-1"), int(m.group(2))

    def out(self, zone, cmd, timeout=CMD_TIMEOUT):
        """sh() that must succeed; returns the output stripped."""
        text, status = self.sh(zone, cmd, timeout)
        assert status == 0, "%r in %s exited %d: %r" % (cmd, zone, status, text)
        return text.strip()

    def guest2(self, line, timeout=CMD_TIMEOUT):
        """Type a line into the (focused) test guest; it must echo it back."""
        assert self.focused == 2
        self.send(line.encode() + b"\r")
        self.typed["guest2"] += len(line) + 1
        self.expect_exact(b"guest2: %s\r\n" % line.encode(), timeout)
        self.expect_exact(b"guest2> ", timeout)

    def boot(self, quiet_kernel=True):
        """Wait until all three zones are at their shells; leaves linux0 focused.

        quiet_kernel: `dmesg -n 1` in both Linux zones, so that asynchronous kernel messages on
        the zone's PL011 console (e.g. "random: crng init done" a few seconds after boot) do not
        land in the middle of output that a test compares byte for byte. The kernel log itself
        is unaffected (tests read it with dmesg)."""
        self.expect(banner_re(0, rb"running"), BOOT_TIMEOUT)
        self.wait_linux_shell("linux0")
        # The other zones booted in the background: their /init line is in the replay, or
        # still to come.
        for zid in (1, 2):
            _, start = self.focus(zid)
            if zid == 2:
                self.expect_exact(b"hello from guest2\r\n", BOOT_TIMEOUT, start=start)
                self.expect_exact(b"guest2> ", BOOT_TIMEOUT)
            else:
                self.wait_linux_shell(ZONES[zid], start=start)
                if quiet_kernel:
                    self.out(ZONES[zid], "dmesg -n 1")
        self.focus(0)
        if quiet_kernel:
            self.out("linux0", "dmesg -n 1")
        self.out("linux0", "true")


def start_machine(log_path, image=None, argv=None):
    """A booted machine from image on QEMU virt with GICv3, or from a whole QEMU argv."""
    m = Machine(log_path, image, argv)
    try:
        m.boot()
    except BaseException:
        m.close()
        raise
    return m
