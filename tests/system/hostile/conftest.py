"""Fixtures for the hostile-guest system test: one QEMU running the `linux` configuration.

The machine is booted once per module (booting two Debian zones is the slow part) and every
byte it prints is kept, so the tests can account for each hypervisor log line afterwards.

Environment:
  HOSTILE_HV_BIN   hypervisor image to boot (default: build/linux/hypervisor.bin, built with
                   `make CONFIG=linux` if missing)
  HOSTILE_LOG_DIR  where to keep the console transcript (default: a pytest temp directory)
  HOSTILE_SPIN_MS  how long guest2 spins with interrupts masked (default 3000); both Linux
                   zones must answer within that time
"""
import os
import re
import subprocess
import time

import pexpect
import pytest

REPO = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..", ".."))
DEFAULT_BIN = os.path.join(REPO, "build", "linux", "hypervisor.bin")
ESCAPE = b"\x1c"
BOOT_TIMEOUT = 300  # two Linux zones under TCG on a loaded 2-core host
CMD_TIMEOUT = 60

QEMU_ARGS = [
    "-M", "virt,virtualization=on,gic-version=3", "-cpu", "cortex-a57", "-smp", "4",
    "-m", "2G", "-nodefaults", "-display", "none", "-monitor", "none",
    "-chardev", "stdio,id=con,signal=off", "-serial", "chardev:con",
]

# The test guest's image is embedded raw in the hypervisor, so its strings are visible.
HOSTILE_MARKER = b"hostile ring %s: recovered"


def _image_has_hostile(path):
    with open(path, "rb") as f:
        return HOSTILE_MARKER in f.read()


@pytest.fixture(scope="session")
def hostile_hv_bin():
    path = os.environ.get("HOSTILE_HV_BIN")
    if path:
        if not os.path.exists(path):
            pytest.fail(f"HOSTILE_HV_BIN={path} does not exist")
    else:
        path = DEFAULT_BIN
        if not os.path.exists(path) or not _image_has_hostile(path):
            subprocess.run(["make", "CONFIG=linux"], cwd=REPO, check=True,
                           stdout=subprocess.DEVNULL)
    if not _image_has_hostile(path):
        pytest.fail(f"{path} embeds a test guest without the hostile commands; rebuild it "
                    "(make CONFIG=linux)")
    return path


class Transcript:
    """pexpect logfile sink that keeps everything QEMU printed (and mirrors it to a file)."""

    def __init__(self, path):
        self.data = bytearray()
        self.path = path
        self.file = open(path, "wb")

    def write(self, b):
        self.data += b
        self.file.write(b)

    def flush(self):
        self.file.flush()

    def close(self):
        self.file.close()


def normalise(raw):
    """Bytes as printed -> text lines (QEMU's stdio turns \\n into \\r\\n; drop all CRs)."""
    text = bytes(raw).decode("utf-8", "replace")
    return re.sub(r"\r+\n", "\n", text).replace("\r", "")


class Machine:
    """One QEMU with the hypervisor; helpers speak the escape-key protocol."""

    def __init__(self, binary, log_path):
        self.log = Transcript(log_path)
        self.log_path = log_path
        self.p = pexpect.spawn("qemu-system-aarch64", QEMU_ARGS + ["-kernel", binary],
                               timeout=CMD_TIMEOUT, encoding=None, maxread=65536,
                               searchwindowsize=None)
        self.p.logfile_read = self.log
        self.focus_id = None

    # -- raw access --
    def send(self, data):
        if isinstance(data, str):
            data = data.encode()
        self.p.send(data)

    def expect(self, pattern, timeout=CMD_TIMEOUT):
        if isinstance(pattern, str):
            pattern = pattern.encode()
        try:
            self.p.expect(pattern, timeout=timeout)
        except (pexpect.TIMEOUT, pexpect.EOF) as e:
            self.log.flush()
            tail = normalise(self.log.data[-3000:])
            raise AssertionError(f"waiting for {pattern!r}: {type(e).__name__}; transcript "
                                 f"{self.log_path}; last output:\n{tail}") from None
        return self.p.match

    def offset(self):
        """Position in the transcript, for slicing out what a step printed."""
        return len(self.log.data)

    def text(self, start=0, end=None):
        return normalise(self.log.data[start:end])

    # -- multiplexer --
    def focus(self, zone_id, name):
        self.send(ESCAPE + str(zone_id).encode())
        self.expect(rb"\[hv\] === zone %d: %s \(running\) ===[^\n]*\n" % (zone_id, name.encode()))
        self.focus_id = zone_id

    # -- test guest (focused) --
    def guest_cmd(self, cmd, prompt=b"guest2> ", timeout=CMD_TIMEOUT):
        """Runs one test-guest command; returns its output (text, CRs removed)."""
        self.send(cmd + "\r")
        self.expect(re.escape(cmd.encode()) + rb"\r*\n", timeout=timeout)
        start = self.offset() - len(self.p.buffer)
        self.expect(re.escape(prompt), timeout=timeout)
        return self.text(start, self.offset() - len(self.p.buffer) - len(prompt))

    # -- Linux zone (focused) --
    def linux_echo(self, zone, n, timeout=CMD_TIMEOUT):
        """Has the shell compute something; returns the seconds until the answer came back."""
        want = f"ok-{zone}-{1000 + n}"
        t0 = time.monotonic()
        self.send(f"echo ok-{zone}-$((1000 + {n}))\n")
        self.expect(re.escape(want.encode()) + rb"\r*\n", timeout=timeout)
        self.expect(re.escape(f"{zone}:/# ".encode()), timeout=timeout)
        return time.monotonic() - t0

    def close(self):
        if self.p.isalive():
            try:
                self.send(ESCAPE + b"q")
                self.p.expect(pexpect.EOF, timeout=10)
            except Exception:
                pass
        if self.p.isalive():
            self.p.terminate(force=True)  # only the QEMU this fixture started
        self.p.close(force=True)
        self.log.close()


@pytest.fixture(scope="module")
def machine(hostile_hv_bin, tmp_path_factory):
    log_dir = os.environ.get("HOSTILE_LOG_DIR") or str(tmp_path_factory.mktemp("hostile"))
    os.makedirs(log_dir, exist_ok=True)
    m = Machine(hostile_hv_bin, os.path.join(log_dir, "console.log"))
    yield m
    m.close()
    print(f"\nhostile test transcript: {m.log_path}")
