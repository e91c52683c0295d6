#!/usr/bin/python3
"""Smoke test of the Linux guest Image + initramfs on plain QEMU (no hypervisor).

usage: /usr/bin/python3 tests/guests/linux/smoke_plain_qemu.py <Image> <initramfs.cpio.gz>

QEMU's own virtio console (virtio-serial-device over modern virtio-mmio) is
connected to this script's pty; the kernel log goes to ttyAMA0 (a file).
Checks: shell ready on hvc0 with the zone hostname, uname -a, /proc/interrupts,
stty size, controlling tty/job control/Ctrl-C, and a 64 KiB base64 paste
through `cat > /tmp/f` verified with md5sum.  Prints boot time to the shell.

Environment: QEMU (default qemu-system-aarch64),
KEEP_LOG=<path> to keep the ttyAMA0 kernel log, VERBOSE=1 to echo the console,
PASTE_CHUNK=<lines per write> (default 16).
"""
import base64
import hashlib
import os
import random
import re
import shutil
import sys
import tempfile
import time

import pexpect

ZONE = "z0"
PROMPT = re.compile(rb"(?:^|\n)" + ZONE.encode() + rb":[^\r\n#]*# ")
ANSI = re.compile(rb"\x1b\[[0-9;?]*[A-Za-z]")

passed = 0
failed = 0


def check(name, ok, detail=""):
    global passed, failed
    if ok:
        passed += 1
        print(f"PASS {name}" + (f": {detail}" if detail else ""))
    else:
        failed += 1
        print(f"FAIL {name}" + (f": {detail}" if detail else ""))
    sys.stdout.flush()


class Shell:
    def __init__(self, child):
        self.c = child
        self.n = 0

    def run(self, cmd, timeout=30):
        """Run cmd, return (rc, output-without-echo-and-escapes)."""
        self.n += 1
        tag = f"__RC{self.n}_"
        # The tag is split in the command line so the echoed command cannot
        # match the pattern; only the shell's output can.
        self.c.sendline(f"{cmd}; echo {tag[:4]}''{tag[4:]}$?__")
        self.c.expect(re.escape(tag).encode() + rb"(\d+)__", timeout=timeout)
        rc = int(self.c.match.group(1))
        out = ANSI.sub(b"", self.c.before).replace(b"\r", b"").decode("utf-8", "replace")
        # Drop the echoed command line (first line).
        out = out.split("\n", 1)[1] if "\n" in out else ""
        self.c.expect(PROMPT, timeout=timeout)
        return rc, out.strip("\n")


def main():
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    image, initrd = sys.argv[1], sys.argv[2]
    for f in (image, initrd):
        if not os.path.isfile(f):
            sys.exit(f"missing {f}")
    qemu = os.environ.get("QEMU", "qemu-system-aarch64")
    if not shutil.which(qemu):
        sys.exit(f"{qemu} not found")
    tmp = tempfile.mkdtemp(prefix="linux-smoke-")
    klog = os.path.join(tmp, "kernel.log")
    args = [
        "-M", "virt,gic-version=3", "-cpu", "cortex-a57", "-smp", "2", "-m", "512M",
        "-display", "none", "-monitor", "none",
        "-global", "virtio-mmio.force-legacy=false",
        "-device", "virtio-serial-device",
        # signal=off: without it QEMU's stdio chardev turns ^C into
        # SIGINT for QEMU itself instead of passing it to the guest.
        "-chardev", "stdio,id=c0,signal=off", "-device", "virtconsole,chardev=c0",
        "-serial", f"file:{klog}",
        "-kernel", image, "-initrd", initrd,
        "-append", f"console=ttyAMA0 earlycon=pl011,0x09000000 zone={ZONE}",
    ]
    print("+", qemu, " ".join(args))
    t0 = time.monotonic()
    child = pexpect.spawn(qemu, args, timeout=30, maxread=65536,
                          dimensions=(50, 132))
    if os.environ.get("VERBOSE"):
        child.logfile_read = sys.stdout.buffer
    try:
        child.expect(rb"linux zone shell ready \(zone=(\S+) tty=(\S+)\)", timeout=300)
        t_ready = time.monotonic() - t0
        zone, tty = child.match.group(1).decode(), child.match.group(2).decode()
        child.expect(PROMPT, timeout=30)
        t_prompt = time.monotonic() - t0
        check("shell ready on hvc0", tty == "/dev/hvc0" and zone == ZONE,
              f"zone={zone} tty={tty}")
        print(f"boot time: {t_ready:.2f}s to 'shell ready', {t_prompt:.2f}s to prompt")

        sh = Shell(child)
        rc, out = sh.run("hostname")
        check("hostname from zone=", rc == 0 and out == ZONE, out)

        rc, out = sh.run("uname -a")
        check("uname -a", rc == 0 and "aarch64" in out and "Linux" in out, out)

        rc, out = sh.run("cat /proc/interrupts")
        print(out)
        check("/proc/interrupts has virtio", rc == 0 and "virtio" in out)

        rc, out = sh.run("stty size")
        check("stty size", rc == 0 and re.fullmatch(r"\d+ \d+", out) is not None, out)

        # Wide lines from here on so ash's line editor never wraps our
        # commands (hvc has no window size; init defaults it to 24x80).
        sh.run("stty cols 250")

        rc, out = sh.run("tty")
        check("tty is /dev/hvc0", out == "/dev/hvc0", out)

        rc, out = sh.run("lsmod")
        check("modules loaded", "virtio_console" in out and "virtio_mmio" in out,
              " ".join(l.split()[0] for l in out.splitlines()[1:] if l.split()))

        # Job control + Ctrl-C: a foreground sleep must die on ^C.
        child.sendline("sleep 30")
        time.sleep(1)
        t = time.monotonic()
        child.sendcontrol("c")
        child.expect(PROMPT, timeout=10)
        dt = time.monotonic() - t
        check("Ctrl-C interrupts foreground job", dt < 5, f"{dt:.2f}s")
        rc, out = sh.run("sleep 100 & jobs; kill %1")
        check("job control (jobs)", "sleep 100" in out and "Running" in out, out)

        # 64 KiB paste through the tty into cat.
        raw = random.Random(1234).randbytes(64 * 1024)
        text = base64.encodebytes(raw)              # 76-column lines
        lines = text.decode().splitlines()
        child.sendline("cat > /tmp/f")
        # QEMU leaves OPOST on its stdio, so the guest's \r\n reaches us
        # as \r\r\n: match line ends as \r*\n throughout.
        child.expect(rb"cat > /tmp/f\r*\n")
        t = time.monotonic()
        # Lines per burst (~1.2 KiB by default); PASTE_CHUNK=2000 sends the
        # whole paste in one write, like a terminal paste.
        chunk = int(os.environ.get("PASTE_CHUNK", "16"))
        for i in range(0, len(lines), chunk):
            part = lines[i:i + chunk]
            child.send("\n".join(part) + "\n")
            # Drain the tty echo so neither direction's buffers fill up.
            child.expect(re.escape(part[-1].encode()) + rb"\r*\n", timeout=30)
        child.sendcontrol("d")
        child.expect(PROMPT, timeout=30)
        dt = time.monotonic() - t
        print(f"paste: {len(text)} bytes in {dt:.2f}s ({len(text) / dt / 1024:.1f} KiB/s)")
        rc, out = sh.run("md5sum /tmp/f; base64 -d /tmp/f | md5sum; wc -c </tmp/f")
        want_t = hashlib.md5(text).hexdigest()
        want_r = hashlib.md5(raw).hexdigest()
        got = out.split()
        check("paste md5 (base64 text)", len(got) >= 1 and got[0] == want_t,
              f"got {got[:1]} want {want_t}")
        check("paste md5 (decoded 64 KiB)", len(got) >= 3 and got[2] == want_r,
              f"got {got[2:3]} want {want_r}")

        # The shell must respawn after exit.
        child.sendline("exit")
        child.expect(rb"linux zone shell ready", timeout=30)
        child.expect(PROMPT, timeout=30)
        check("shell respawns after exit", True)
    except (pexpect.TIMEOUT, pexpect.EOF) as e:
        check("console interaction", False, type(e).__name__)
        print("---- last console output ----")
        print(ANSI.sub(b"", child.before or b"").decode("utf-8", "replace")[-2000:])
    finally:
        child.terminate(force=True)
        try:
            with open(klog, "rb") as f:
                log = f.read().decode("utf-8", "replace")
            m = re.search(r"\[\s*([\d.]+)\] Run /init", log)
            if m:
                print(f"kernel timestamp at 'Run /init': {m.group(1)}s")
            if failed:
                print("---- kernel log (tail) ----")
                print("\n".join(log.splitlines()[-40:]))
            if os.environ.get("KEEP_LOG"):
                shutil.copy(klog, os.environ["KEEP_LOG"])
        except OSError:
            pass
        shutil.rmtree(tmp, ignore_errors=True)

    print(f"{passed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
