#!/usr/bin/python3
"""Zone-to-zone link benchmark: linux0:link0 -> linux1:link0 at EL2 versus plain QEMU's
virtserialport to the host.

usage: /usr/bin/python3 scripts/bench_link.py [--icount-only]
       (env: BENCH_HV_BIN=<other hypervisor.bin>, BENCH_LINK_RTT=<round trips, default 200>,
        QEMU=<binary>, VERBOSE=1 to copy the console to stdout)

The same Debian kernel and busybox initramfs (build/linux-guest/) runs in two setups, each booted
once per clock mode (-icount shift=0, then plain TCG), as in scripts/bench_linux.py:

  hypervisor  build/linux/hypervisor.bin, -smp 4: zone linux0 (2 vCPUs) writes its
              /dev/virtio-ports/link0, a port of its multiport virtio console device that the
              hypervisor wires at EL2 to linux1's link0 (platform/zone/linux.inc.c): a 16 KiB
              ring per direction (LINK_BUF, hypervisor/port_link.h), backpressure both ways.
              The other end is a whole guest: linux1 (1 vCPU) reads it.
  plain       the kernel booted directly by QEMU, -smp 2, -m 256M, with a second
              virtio-serial-device whose virtserialport `link0` is a `pipe` chardev on two FIFOs
              with enlarged buffers (bench_linux.fifo_pair); a thread of this script is the other
              end. The initramfs names it /dev/virtio-ports/link0 too (QEMU's virtio-serial is a
              multiport device).

In each run, in the writer's guest time (CLOCK_MONOTONIC; the interrupt of the writer's port
device and its shell pinned to CPU 0, as bench_linux.py does for the console):

  throughput  `cat` of a 4 MiB file of random bytes (in /tmp, tmpfs) into
              /dev/virtio-ports/link0. The reader is started first: under the hypervisor
              `dd bs=64k iflag=fullblock` of link0 into /tmp in linux1, on plain QEMU the host
              thread; when it has all 4 MiB it writes one byte back, which the writer reads on
              the same open port. Delivered: guest time from before cat starts until that byte
              is read; bytes per guest second. The copy is checked (md5sum in linux1 against
              linux0's; md5 on the host). Also printed, the write side alone: until cat has
              exited. Busybox cat sends with sendfile(), so the driver queues 64 KiB chains
              (splice) and returns as soon as they are queued: the device offers 256
              descriptors and no indirect ones, so when cat exits under the hypervisor up to
              16 chains (1 MiB) may still wait for the link; QEMU takes each chain in the notify
              exit itself. (Not `head -c` as the reader: busybox's copies byte by byte through
              stdio and was the bottleneck: 380 ms of guest time under -icount for the 4 MiB,
              against 25 ms with dd.) Under -icount two floods per run, under plain TCG three;
              the fastest counts.
  round trip  N one-byte messages, each sent when the previous one's echo came back: the shell
              writes 1 byte to link0 (printf) and reads 1 byte from it (read -n 1), both
              builtins. Guest time from the write() syscall's entry to the read()'s return, by
              ftrace (sys_enter_write, sys_exit_read), median. The echo: under the hypervisor
              linux1's `cat` relay (read(), write() back on its link0, whose bytes cross the
              link's other direction); on plain QEMU the host thread writing the byte back into
              the chardev. So "EL2 link + a guest relay" against "QEMU virtserialport + host
              echo".

Guest time: -icount shift=0 counts the instructions of every vCPU of the machine (under the
hypervisor linux1's reader and relay too, the host's reader/echo on plain QEMU not at all), and
charges an exit to QEMU (a virtio notify on plain QEMU, with QEMU's whole copy of the chain) as
one instruction whereas the hypervisor's EL2 work (two copies: into the link's ring and out of
it) is charged instruction by instruction; when every vCPU is idle (waiting for the host's echo)
guest time follows host time. So under -icount plain QEMU's device work is free and the
hypervisor's is not: the gap is at its widest there. Without -icount guest time is host time, so
those figures depend on host speed and load. Both are printed; compare ratios within one run.

run_all() returns the figures as a dict (see its docstring) for scripts/bench.py.
"""
import hashlib
import os
import select
import shutil
import statistics
import sys
import tempfile
import threading
import time

import bench_linux as bl

N_BYTES = 4 << 20
N_RTT = int(os.environ.get("BENCH_LINK_RTT", "200"))
# Floods per run, the fastest counts: as bench_linux.TP_RUNS under -icount; under plain TCG
# (guest time is host time) three, a flood takes a second or less there.
TP_RUNS = {"icount": 2, "tcg": 3}
WARMUP = 3  # round trips before tracing starts (the first opens and wakes everything up)

# After bench_linux.COMMON_SH. LDEV: the virtio device (virtioN) of the link0 port.
LINK_SH = r"""
P=/dev/virtio-ports/link0
LDEV=$(d=$(readlink /sys/class/virtio-ports/$(readlink $P | sed 's,.*/,,')/device); echo ${d##*/})
md5() { md5sum <$1 | cut -d' ' -f1; }
ldata() {
    head -c NBYTES /dev/urandom >/tmp/ld
    echo "LINK""_DATA dev=$LDEV md5=$(md5 /tmp/ld) end"
}
lwrite() {
    exec 3<>$P
    i0=$(irq_count $LDEV)
    now; t0=$NOW
    cat /tmp/ld >&3
    now; t1=$NOW
    read -r -n 1 -u 3 ack
    now; t2=$NOW
    i1=$(irq_count $LDEV)
    exec 3>&-
    echo "LINK""_TP ns=$((t2 - t0)) write_ns=$((t1 - t0)) ack=$ack irqs=$((i1 - i0)) end"
}
lread() {
    exec 4<>$P
    echo "LINK""_OPEN"
    dd bs=65536 count=NBLOCKS iflag=fullblock of=/tmp/lx <&4 2>/dev/null
    printf k >&4
    exec 4>&-
    echo "LINK""_READ bytes=$(wc -c </tmp/lx) md5=$(md5 /tmp/lx) end"
}
lrelay() { cat 0<>$P 1>&0 & echo "LINK""_RELAY pid=$! end"; }
rtloop() { i=0; while [ $i -lt $1 ]; do printf x >&3; read -r -n 1 -u 3 c; i=$((i + 1)); done; }
lrtt() {
    exec 3<>$P
    rtloop WARMUP
    trace_start "syscalls/sys_enter_write=common_pid==$$" \
        "syscalls/sys_exit_read=common_pid==$$ && ret==1"
    rtloop $1
    echo 0 >$T/tracing_on
    exec 3>&-
    echo "LINK""_RTT n=$i end"
}
""".replace("NBYTES", str(N_BYTES)).replace("NBLOCKS", str(N_BYTES // 65536)).replace(
    "WARMUP", str(WARMUP))


class HostPort:
    """The host end of plain QEMU's link0: a `pipe` chardev on two FIFOs, served by a thread
    that either reads a given count of bytes (sink) or writes every byte straight back (echo)."""

    def __init__(self):
        self.tmp = tempfile.mkdtemp(prefix="bench-link-")
        self.path = os.path.join(self.tmp, "link")
        self.rfd, self.wfd = bl.fifo_pair(self.path)
        self.thread = None
        self.stop_ev = threading.Event()

    def qemu_args(self):
        return ["-device", "virtio-serial-device,id=vs1",
                "-chardev", "pipe,id=link,path=" + self.path,
                "-device", "virtserialport,bus=vs1.0,chardev=link,name=link0"]

    def _serve(self, handle):
        while not self.stop_ev.is_set():
            r, _, _ = select.select([self.rfd], [], [], 0.2)
            if not r:
                continue
            try:
                data = os.read(self.rfd, 1 << 20)
            except BlockingIOError:
                continue
            if handle(data):
                return

    def _start(self, handle):
        self.stop()
        self.stop_ev.clear()
        self.thread = threading.Thread(target=self._serve, args=(handle,), daemon=True)
        self.thread.start()

    def sink(self, n):
        """Read n bytes from now on, then write one byte back (the writer's acknowledgement);
        wait_sink() gives (count, md5)."""
        self.got = 0
        self.md5 = hashlib.md5()

        def handle(data):
            self.got += len(data)
            self.md5.update(data)
            if self.got >= n:
                os.write(self.wfd, b"k")
                return True
            return False
        self._start(handle)

    def wait_sink(self, timeout):
        self.thread.join(timeout)
        self.stop()
        return self.got, self.md5.hexdigest()

    def echo(self):
        def handle(data):
            os.write(self.wfd, data)
        self._start(handle)

    def stop(self):
        if self.thread is not None:
            self.stop_ev.set()
            self.thread.join(5)
            self.thread = None

    def close(self):
        self.stop()
        os.close(self.rfd)
        os.close(self.wfd)
        shutil.rmtree(self.tmp, ignore_errors=True)


def focus(con, zid, zone):
    """Ctrl-\\ <zid>: the multiplexer's focus to that zone (its prompt becomes con.prompt)."""
    con.send(b"\x1c%d" % zid)
    con.expect(rb"=== zone %d: %s " % (zid, zone.encode()), timeout=30)
    con.prompt = bl.prompt_re(zone)


def zone_list(con):
    """Ctrl-\\ l, the multiplexer's zone list with each port's counters, as text (for a
    failure's report)."""
    con.send(b"\x1cl")
    out = bytearray()
    end = time.monotonic() + 3
    while time.monotonic() < end:
        try:
            out += con.read_some(end)
        except bl.BenchError:
            break
    return bl.ANSI.sub(b"", bytes(out)).decode("utf-8", "replace")


def load_link_script(con, writer):
    """Paste the functions, pin; in the writer, make the data: returns its md5."""
    bl.paste_script(con, LINK_SH)
    con.sendline("ldata" if writer else 'echo "LINK""_DATA dev=$LDEV md5=- end"')
    m = con.expect(rb"LINK_DATA dev=(virtio\d+) md5=([0-9a-f]{32}|-) end", timeout=120)
    con.expect(con.prompt)
    bl.pin(con, m.group(1).decode())
    return m.group(2).decode()


def write_link(con):
    con.sendline("lwrite")
    m = con.expect(rb"LINK_TP ns=(\d+) write_ns=(\d+) ack=k irqs=(\d+) end", timeout=120)
    con.expect(con.prompt)
    ns, write_ns, irqs = (int(m.group(i)) for i in (1, 2, 3))
    return {"guest_ns": ns, "bytes_per_s": N_BYTES / (ns / 1e9), "write_ns": write_ns,
            "write_bytes_per_s": N_BYTES / (write_ns / 1e9), "link_irqs": irqs}


def check_copy(what, nbytes, md5, want):
    if nbytes != N_BYTES or md5 != want:
        raise bl.BenchError("%s: %d bytes, md5 %s, written %d bytes, md5 %s"
                            % (what, nbytes, md5, N_BYTES, want))


def parse_rtt(text, ids):
    """Round trips in ns from a raw trace: each write() entry to the next read() return."""
    out = []
    start = None
    for ts, ev in bl.trace_events(text, ids):
        if ev == "sys_enter_write" and start is None:
            start = ts
        elif ev == "sys_exit_read" and start is not None:
            out.append(ts - start)
            start = None
    return out


def measure_rtt(con):
    con.sendline("lrtt %d" % N_RTT)
    m = con.expect(rb"LINK_RTT n=(\d+) end", timeout=600)
    con.expect(con.prompt)
    if int(m.group(1)) != N_RTT:
        raise bl.BenchError("round trips: %s of %d" % (m.group(1).decode(), N_RTT))
    ids, text = bl.read_trace(con)
    rtt = parse_rtt(text, ids)
    if len(rtt) != N_RTT:
        raise bl.BenchError("trace: %d round trips found, %d made" % (len(rtt), N_RTT))
    us = [t / 1000 for t in rtt]
    return {"rtts": N_RTT, "rtt_us": statistics.median(us), "rtt_us_min": min(us),
            "rtt_us_max": max(us), "rtt_us_mean": statistics.fmean(us)}


def best(tps):
    res = dict(min(tps, key=lambda r: r["guest_ns"]))
    res["tp_guest_ns_all"] = [r["guest_ns"] for r in tps]
    return res


def measure_hypervisor(icount):
    con = bl.Console("hypervisor", icount)
    try:
        t0 = time.monotonic()
        bl.wait_boot(con, "hypervisor")
        md5 = load_link_script(con, True)
        focus(con, 1, "linux1")
        con.sync("SYNC1")
        load_link_script(con, False)
        tps = []
        for _ in range(TP_RUNS["icount" if icount else "tcg"]):
            con.sendline("lread")  # in linux1: the port is open once LINK_OPEN is out
            con.expect(rb"LINK_OPEN\r*\n", timeout=60)
            focus(con, 0, "linux0")
            try:
                tps.append(write_link(con))
                focus(con, 1, "linux1")
                m = con.expect(rb"LINK_READ bytes=(\d+) md5=([0-9a-f]{32}) end", timeout=120)
                con.expect(con.prompt)
                check_copy("linux1 read", int(m.group(1)), m.group(2).decode(), md5)
            except bl.BenchError as e:
                raise bl.BenchError("%s\nflood %d; the zone list (ports: bytes each guest wrote "
                                    "and was given, bytes waiting on the link): %s"
                                    % (e, len(tps), zone_list(con))) from e
        con.sendline("lrelay")
        con.expect(rb"LINK_RELAY pid=\d+ end")
        con.expect(con.prompt)
        focus(con, 0, "linux0")
        con.sync("SYNC2")
        res = best(tps)
        res.update(measure_rtt(con))
        res["run_wall_s"] = time.monotonic() - t0
        return res
    finally:
        con.close()


def measure_plain(icount):
    port = HostPort()
    con = None
    try:
        con = bl.Console("plain", icount, port.qemu_args())
        t0 = time.monotonic()
        bl.wait_boot(con, "plain")
        md5 = load_link_script(con, True)
        tps = []
        for _ in range(TP_RUNS["icount" if icount else "tcg"]):
            port.sink(N_BYTES)
            tps.append(write_link(con))
            check_copy("host read", *port.wait_sink(60), md5)
        port.echo()
        res = best(tps)
        res.update(measure_rtt(con))
        res["run_wall_s"] = time.monotonic() - t0
        return res
    finally:
        if con is not None:
            con.close()
        port.close()


RATIO_KEYS = ("bytes_per_s", "write_bytes_per_s", "link_irqs", "rtt_us")


def run_all(modes=("icount", "tcg")):
    """Boot each setup once per clock mode and measure.

    Returns {mode: {"hypervisor": r, "plain": r, "ratio": {k: hypervisor/plain}}} with mode in
    "icount" and "tcg"; r has, for the fastest flood: guest_ns and bytes_per_s (delivered, guest
    time), write_ns and write_bytes_per_s (until cat exited), link_irqs (the writer's port device
    interrupts meanwhile); all floods: tp_guest_ns_all; round trips: rtts, rtt_us (median, guest
    time), rtt_us_min/_max/_mean; run_wall_s (host seconds).
    """
    measure = {"hypervisor": measure_hypervisor, "plain": measure_plain}
    return bl.compare(lambda setup, icount: measure[setup](icount), RATIO_KEYS, modes)


def print_table(results, out=sys.stdout):
    bl.print_comparison(results, [
        "Zone-to-zone link: linux0:link0 -> linux1:link0 at EL2 (hypervisor) vs plain QEMU "
        "virtserialport -> host FIFO (plain)",
        f"throughput: {N_BYTES} random bytes cat'ed into /dev/virtio-ports/link0, per guest "
        f"second: delivered (until the reader's 1-byte ack), and until cat exited; md5 checked; "
        f"best of {TP_RUNS['icount']} (icount) / {TP_RUNS['tcg']} (TCG)",
        f"round trip: {N_RTT} 1-byte messages, write() entry -> read() of the echo returned "
        f"(guest us, ftrace, median, min, max); echo by linux1's cat (hypervisor), by the host "
        f"(plain)",
    ], [("delivered/s", "bytes_per_s", 13, ".0f", ".3f"),
        ("cat exit/s", "write_bytes_per_s", 13, ".0f", ".3f"),
        ("port irqs", "link_irqs", 11, "d", ".2f"),
        ("rtt us", "rtt_us", 9, ".1f", ".2f"),
        ("min", "rtt_us_min", 9, ".1f", None),
        ("max", "rtt_us_max", 9, ".1f", None)], out)


def main():
    return bl.cli(run_all, print_table)


if __name__ == "__main__":
    sys.exit(main())
