#!/usr/bin/python3
"""make bench: console throughput through virtio + EL2 + PL011 versus EL2 writing the PL011 itself.

One QEMU run per clock mode; inside each run, the hypervisor first writes N pattern bytes straight
to the PL011 from EL2 (the reference), then the test guest floods the same N bytes through its
virtio console. Both are timed in guest time (generic counter), so their ratio is comparable even
on a noisy host. -icount shift=0 makes guest time deterministic but charges an MMIO exit as one
instruction, so plain TCG figures are printed beside it.
"""
import os
import re
import subprocess
import sys

import pexpect

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
N = 1048576


def build():
    subprocess.run(["make", "-s", "CONFIG=bench"], cwd=ROOT, check=True)


def qemu_cmd(icount):
    cmd = ("qemu-system-aarch64 -M virt,virtualization=on,gic-version=3 -cpu cortex-a57 -smp 1 "
           "-m 2G -nodefaults -display none -monitor none -chardev stdio,id=con,signal=off "
           "-serial chardev:con -kernel build/bench/hypervisor.bin")
    return cmd + (" -icount shift=0" if icount else "")


def rate(m):
    n, ticks, freq = (int(m.group(i)) for i in (1, 2, 3))
    return n / (ticks / freq)


def run(icount):
    c = pexpect.spawn(qemu_cmd(icount), cwd=ROOT, timeout=600, maxread=65536)
    try:
        c.expect(rb"bench direct bytes=(\d+) ticks=(\d+) freq=(\d+)")
        direct = rate(c.match)
        c.expect(b"zone0> ")
        c.send(b"bench %d\r" % N)
        c.expect(rb"bench bytes=(\d+) ticks=(\d+) freq=(\d+)")
        virtio = rate(c.match)
        c.send(b"\x1cq")
        c.expect(pexpect.EOF, timeout=30)
    finally:
        c.close(force=True)
    return direct, virtio


def main():
    build()
    print(f"console throughput, {N} bytes, guest time (bytes per guest second)")
    print(f"{'mode':<18}{'EL2 direct':>14}{'guest virtio':>14}{'virtio/direct':>15}")
    for icount in (True, False):
        direct, virtio = run(icount)
        mode = "icount shift=0" if icount else "plain TCG"
        print(f"{mode:<18}{direct:>14.0f}{virtio:>14.0f}{virtio / direct:>15.3f}")
    print()
    import bench_uart  # the trio under the 115200-baud speed model
    bench_uart.print_table(bench_uart.run_all())
    print()
    import bench_linux  # Linux under the hypervisor vs plain QEMU virtconsole
    bench_linux.print_table(bench_linux.run_all())
    print()
    import bench_link  # zone-to-zone link vs plain QEMU virtserialport
    bench_link.print_table(bench_link.run_all())
    return 0


if __name__ == "__main__":
    sys.exit(main())
