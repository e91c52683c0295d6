#!/usr/bin/python3
"""Smoke test of the test guest on plain QEMU (no hypervisor).

Usage: /usr/bin/python3 smoke_plain_qemu.py <path/to/testguest.bin> [-v]

Boots the guest on QEMU's virt machine with a version-2 virtio-mmio console on stdio and
a DTB carrying /chosen/zone-name, then checks: greeting, prompt, echo, backspace, CR/LF
handling, long and over-long lines, flood (pattern and CRC verified here), bench, size,
emerg, help and a 64 KiB paste echoed back in full.

QEMU's stdin is a pipe and its stdout a regular file, not a pty: QEMU's virtconsole
silently drops output whenever its chardev would block (it only throttles non-console
ports), and a pty's small buffer makes that happen as soon as the reader lags during a
flood. A file never blocks, and without a tty the guest's bytes arrive unmodified, so
the checks below compare exact bytes ("\r\n" included).
"""

import os
import re
import subprocess
import sys
import tempfile
import threading
import time
import zlib

ZONE = "smoke-zone"
PROMPT = ZONE.encode() + b"> "
LINE_MAX = 4096  # SHELL_LINE_MAX in shell.h
TIMEOUT_LONG = 300  # seconds for flood, bench and paste
QEMU = "qemu-system-aarch64"
QEMU_ARGS = [
    "-M", "virt,gic-version=3", "-cpu", "cortex-a57", "-m", "256M",
    "-display", "none", "-monitor", "none", "-serial", "none", "-nic", "none",
    "-global", "virtio-mmio.force-legacy=false",
    "-device", "virtio-serial-device",
    "-chardev", "stdio,id=c0", "-device", "virtconsole,chardev=c0",
]
VERBOSE = "-v" in sys.argv


def pattern(n):
    """The flood pattern: '\\n' at i % 64 == 63, else 'A' + ((i % 64) + (i // 64)) % 26."""
    line_count = (n + 63) // 64
    lines = []
    for line in range(line_count):
        row = bytes(65 + (col + line) % 26 for col in range(63)) + b"\n"
        lines.append(row)
    return b"".join(lines)[:n]


def make_dtb(tmp, qemu_args=QEMU_ARGS):
    """QEMU's own DTB for this machine, plus /chosen/zone-name."""
    dtb = os.path.join(tmp, "virt.dtb")
    subprocess.run([QEMU] + qemu_args + ["-machine", "dumpdtb=" + dtb],
                   check=True, stdin=subprocess.DEVNULL, capture_output=True)
    dts = subprocess.run(["dtc", "-q", "-I", "dtb", "-O", "dts", dtb], check=True,
                         capture_output=True, text=True).stdout
    dts, count = re.subn(r"(\n\s*chosen \{)", r'\1\n\t\tzone-name = "%s";' % ZONE, dts, 1)
    if count != 1:
        raise RuntimeError("no /chosen node in QEMU's DTB")
    out = os.path.join(tmp, "zone.dtb")
    subprocess.run(["dtc", "-q", "-I", "dts", "-O", "dtb", "-o", out], input=dts,
                   check=True, text=True)
    return out


class Guest:
    """QEMU with stdin on a pipe we write and stdout in a file we follow."""

    def __init__(self, binary, dtb, tmp, qemu_args=QEMU_ARGS):
        args = qemu_args + ["-dtb", dtb, "-kernel", binary]
        out_path = os.path.join(tmp, "console.out")
        rfd, self.wfd = os.pipe()
        with open(out_path, "wb") as out, open(os.path.join(tmp, "qemu.err"), "wb") as err:
            self.proc = subprocess.Popen([QEMU] + args, stdin=rfd, stdout=out, stderr=err)
        os.close(rfd)
        self.out = open(out_path, "rb")
        self.err_path = os.path.join(tmp, "qemu.err")
        self.buf = bytearray()

    def _fill(self, deadline):
        data = self.out.read(1 << 20)
        if data:
            if VERBOSE:
                sys.stdout.write(data.decode("latin-1"))
                sys.stdout.flush()
            self.buf += data
            return
        if self.proc.poll() is not None:
            with open(self.err_path, "rb") as f:
                err = f.read()[-300:]
            raise RuntimeError("QEMU exited (%s): %r; output tail: %r" %
                               (self.proc.returncode, err, bytes(self.buf[-300:])))
        if time.monotonic() > deadline:
            raise TimeoutError("timed out; unmatched output tail: %r" % bytes(self.buf[-300:]))
        time.sleep(0.002)

    def _take(self, end):
        out = bytes(self.buf[:end])
        del self.buf[:end]
        return out

    def read_until(self, marker, timeout=30):
        """Everything up to and including marker (consumed)."""
        deadline = time.monotonic() + timeout
        start = 0
        while True:
            pos = self.buf.find(marker, start)
            if pos >= 0:
                return self._take(pos + len(marker))
            start = max(0, len(self.buf) - len(marker))
            self._fill(deadline)

    def read_regex(self, regex, timeout=30, max_match=200):
        """Everything up to the end of the first match of regex (consumed), and the match."""
        deadline = time.monotonic() + timeout
        rx = re.compile(regex)
        start = 0
        while True:
            m = rx.search(self.buf, start)
            if m:
                out = self._take(m.end())
                return out, rx.match(out, m.start())  # match object on the returned bytes
            start = max(0, len(self.buf) - max_match)
            self._fill(deadline)

    def send(self, data):
        os.write(self.wfd, data)  # blocks while the guest holds input back: flow control

    def command(self, line, timeout=30):
        """Sends a line, returns the output between the echoed line and the next prompt."""
        self.send(line.encode() + b"\r")
        out = self.read_until(PROMPT, timeout)
        echo = line.encode() + b"\r\n"
        check(out.startswith(echo), "echo of %r: got %r" % (line, out[:200]))
        return out[len(echo):-len(PROMPT)]

    def close(self):
        os.close(self.wfd)
        self.proc.kill()
        self.proc.wait()
        self.out.close()


def check(cond, what):
    if not cond:
        raise AssertionError(what)


def said(text):
    """What the shell prints for a line it does not know."""
    return ZONE.encode() + b": " + text + b"\r\n"


def test_boot(g):
    out = g.read_until(PROMPT, timeout=60)
    check(out == b"hello from " + ZONE.encode() + b"\r\n" + PROMPT, "greeting: %r" % out)


def test_line_editing(g):
    check(g.command("hello world") == said(b"hello world"), "unknown command")
    # backspace (DEL and BS) erases with "\b \b"; other control bytes are ignored
    g.send(b"abx\x7fc\x08d\x01\r")
    out = g.read_until(PROMPT)
    check(out == b"abx\b \bc\b \bd\r\n" + said(b"abd") + PROMPT, "backspace: %r" % out)
    check(g.command("") == b"", "empty line")
    # CR LF and LF CR are one line end each; CR CR is two
    g.send(b"x1\r\ny2\n\rz3\r\r")
    expect = (b"x1\r\n" + said(b"x1") + PROMPT + b"y2\r\n" + said(b"y2") + PROMPT +
              b"z3\r\n" + said(b"z3") + PROMPT + b"\r\n" + PROMPT)
    out = g.read_until(said(b"z3") + PROMPT + b"\r\n" + PROMPT)
    check(out == expect, "CR/LF handling: %r" % out)


def test_long_lines(g):
    line = "".join(chr(33 + i % 90) for i in range(1500))
    check(g.command(line) == said(line.encode()), "1500-char line")
    line = "".join(chr(48 + i % 10) for i in range(LINE_MAX + 900))
    g.send(line.encode() + b"\r")
    kept = line[:LINE_MAX].encode()
    out = g.read_until(PROMPT)
    check(out == kept + b"\r\n" + said(kept) + PROMPT,
          "over-long line truncation: %r" % out[-200:])


def check_pattern_block(body, n, what):
    """body = pattern bytes, plus "\r\n" unless the pattern ended with its own '\n'."""
    pat = pattern(n)
    tail = b"" if pat.endswith(b"\n") else b"\r\n"
    check(len(body) == n + len(tail), "%s: got %d bytes, want %d" % (what, len(body), n + len(tail)))
    check(body == pat + tail, "%s: pattern mismatch" % what)
    return zlib.crc32(pat)


def test_flood(g, n):
    g.send(b"flood %d\r" % n)
    g.read_until(b"flood %d\r\n" % n)
    out, m = g.read_regex(rb"crc32=([0-9a-f]{8}) bytes=(\d+)\r\n", timeout=TIMEOUT_LONG)
    crc = check_pattern_block(out[:m.start()], n, "flood %d" % n)
    check(int(m.group(1), 16) == crc, "flood %d: guest crc %s, host %08x" % (n, m.group(1), crc))
    check(int(m.group(2)) == n, "flood %d: bytes=%s" % (n, m.group(2)))
    check(g.read_until(PROMPT) == PROMPT, "prompt after flood")


def test_bench(g, n):
    g.send(b"bench %d\r" % n)
    g.read_until(b"bench %d\r\n" % n)
    out, m = g.read_regex(rb"bench bytes=(\d+) ticks=(\d+) freq=(\d+)\r\n", timeout=TIMEOUT_LONG)
    check_pattern_block(out[:m.start()], n, "bench %d" % n)
    check(int(m.group(1)) == n and int(m.group(3)) > 0, "bench line %r" % m.group(0))
    secs = int(m.group(2)) / int(m.group(3))
    print("  bench: %d bytes in %.3f s guest time (%.0f KiB/s)" %
          (n, secs, n / 1024 / secs if secs else 0))
    check(g.read_until(PROMPT) == PROMPT, "prompt after bench")


def test_misc_commands(g):
    # QEMU's virtio-serial does not offer VIRTIO_CONSOLE_F_SIZE
    check(g.command("size") == b"cols=0 rows=0\r\n", "size")
    check(g.command("emerg hi") == b"hi\r\n", "emerg")
    check(b"flood N" in g.command("help"), "help lists flood")
    check(g.command("flood abc").startswith(b"usage: flood"), "flood usage")
    check(g.command("flood") .startswith(b"usage: flood"), "flood without N")


def test_paste(g, total=64 * 1024, width=76):
    """A paste far larger than the posted RX buffers, sent as one burst."""
    lines, size = [], 0
    while size < total:
        n = len(lines)
        lines.append(("%05d:" % n + "".join(chr(97 + (n + i) % 26) for i in range(width)))[:width])
        size += width + 1
    data = "".join(l + "\r" for l in lines).encode()
    expect = b"".join(l.encode() + b"\r\n" + said(l.encode()) + PROMPT for l in lines)
    # Written from a thread: the pipe fills up while the guest holds input back.
    t = threading.Thread(target=g.send, args=(data,), daemon=True)
    start = time.monotonic()
    t.start()
    # the whole last response (it carries the unique line number) marks the end
    out = g.read_until(said(lines[-1].encode()) + PROMPT, timeout=TIMEOUT_LONG)
    t.join(10)
    first_diff = next((i for i, (a, b) in enumerate(zip(out, expect)) if a != b),
                      min(len(out), len(expect)))
    check(out == expect, "paste: first difference at byte %d" % first_diff)
    print("  paste: %d bytes in %d lines echoed in %.2f s" %
          (len(data), len(lines), time.monotonic() - start))


def main():
    if len(sys.argv) < 2:
        sys.exit(__doc__)
    binary = os.path.abspath(sys.argv[1])
    with tempfile.TemporaryDirectory() as tmp:
        g = Guest(binary, make_dtb(tmp), tmp)
        steps = [
            ("boot", lambda: test_boot(g)),
            ("line editing", lambda: test_line_editing(g)),
            ("long lines", lambda: test_long_lines(g)),
            ("misc commands", lambda: test_misc_commands(g)),
            ("flood 0", lambda: test_flood(g, 0)),
            ("flood 64", lambda: test_flood(g, 64)),
            ("flood 100000", lambda: test_flood(g, 100000)),
            ("flood 16 MiB", lambda: test_flood(g, 16 << 20)),
            ("bench 1000000", lambda: test_bench(g, 1000000)),
            ("paste 64 KiB", lambda: test_paste(g)),
            ("still alive", lambda: check(g.command("x") == said(b"x"), "x")),
        ]
        try:
            for name, fn in steps:
                fn()
                print("ok   %s" % name)
        except Exception as e:  # report and fail
            print("FAIL %s: %s" % (name, e))
            sys.exit(1)
        finally:
            g.close()
    print("all smoke tests passed")


if __name__ == "__main__":
    main()
