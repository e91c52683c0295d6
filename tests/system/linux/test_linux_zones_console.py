"""Linux zones on the virtio console: shells, routing, interrupts, console size, paste, and a
1 MiB background writer while a person types in the other zone.

All tests share one machine (module fixture); none changes zone power state. Each test starts by
focusing the zone it needs and synchronising with a command, so they also run on their own. The
line-writer test comes last: when it finds the bug it looks for, linux1's kernel has disabled its
virtio console interrupt for the rest of the machine's life.
"""

import base64
import hashlib
import os
import time

import pytest

from hvlinux import (CONSOLE_COLS, CONSOLE_ROWS, CPR_QUERY, ESC, HISTORY_RING, banner_re,
                     crlf_to_lf, prompt_re)

# Every test here runs on QEMU virt with GICv3 and with GICv2, and on the Raspberry Pi 4 (QEMU
# raspi4b): conftest.py, target.
TARGETS = ("virt-gicv3", "virt-gicv2", "rpi4")
pytestmark = pytest.mark.every_target


def test_shells_on_hvc0(machine):
    """Both Linux zones reach a busybox shell on /dev/hvc0; the test guest answers too."""
    # boot() saw each zone's "/init" line naming hvc0; now ask the shells themselves.
    for zid, zone in ((0, "linux0"), (1, "linux1")):
        machine.focus(zid)
        assert machine.out(zone, "tty") == "/dev/hvc0"
        # hvc0 is the virtio console; the emulated PL011 is the kernel console next to it.
        consoles = machine.out(zone, "cat /sys/class/tty/console/active")
        assert "ttyAMA0" in consoles.split(), consoles
    machine.focus(2)
    machine.guest2("hello from the test")
    machine.focus(0)


def test_commands_and_isolation(machine):
    """Output of a command arrives intact in the right zone, and only there."""
    m = machine
    m.focus(0)
    assert m.out("linux0", "echo $((6*7))-$(hostname)") == "42-linux0"
    tok0 = "T0K%x" % m.rng.getrandbits(64)
    assert m.out("linux0", "echo %s" % tok0) == tok0

    _, start1 = m.focus(1)
    assert m.out("linux1", "echo $((6*7))-$(hostname)") == "42-linux1"
    tok1 = "T1K%x" % m.rng.getrandbits(64)
    assert m.out("linux1", "echo %s" % tok1) == tok1
    seen_in_1 = m.since(start1)  # linux1's replay, the commands and their output
    assert tok0.encode() not in seen_in_1

    _, start0 = m.focus(0)
    m.out("linux0", "true")
    assert tok1.encode() not in m.since(start0)

    # Output a zone makes while in the background lands in its history, not on the screen:
    # start a delayed echo in linux0 and switch to linux1 in the same write.
    n = m.rng.randrange(10**8, 10**9)
    bg = b"BG-%d" % (n + 1)
    m.send(b"(sleep 1; echo BG-$((%d+1))) &\r" % n + ESC + b"1")
    start1 = m.expect(banner_re(1)).end()
    m.focused = 1
    assert m.out("linux1", "sleep 2; echo done") == "done"
    assert bg not in m.since(start1), "linux0's background output showed while linux1 had focus"
    _, replay0 = m.focus(0)
    m.expect_exact(bg + b"\r\n", start=replay0)  # in the replay
    m.out("linux0", "wait")  # reap the job (and let ash report it)

    # And the test guest only sees its own lines.
    _, start2 = m.focus(2)
    m.guest2("tok-%s" % tok0)
    assert tok1.encode() not in m.since(start2)
    m.focus(0)


def _interrupts(m, zone):
    text = m.out(zone, "cat /proc/interrupts")
    lines = text.splitlines()
    ncpu = len(lines[0].split())
    counts = {}
    for line in lines[1:]:
        fields = line.split()
        if len(fields) > ncpu + 1 and fields[0].endswith(":"):
            counts[fields[-1]] = [int(x) for x in fields[1:1 + ncpu]]
    return ncpu, counts, text


def test_interrupts_and_cpus(machine):
    """linux0's virtual timer ticks on both CPUs and its virtio console interrupt counts."""
    m = machine
    m.focus(1)
    assert m.out("linux1", "nproc") == "1"
    m.focus(0)
    assert m.out("linux0", "nproc") == "2"
    ncpu, first, text = _interrupts(m, "linux0")
    assert ncpu == 2, text
    assert "arch_timer" in first and "virtio0" in first, text
    assert all(c > 0 for c in first["arch_timer"]), text
    assert sum(first["virtio0"]) > 0, text
    deadline = time.monotonic() + 20
    while True:
        time.sleep(1)
        _, later, text2 = _interrupts(m, "linux0")
        timer_up = all(b > a for a, b in zip(first["arch_timer"], later["arch_timer"]))
        virtio_up = sum(later["virtio0"]) > sum(first["virtio0"])
        if timer_up and virtio_up:
            break
        assert time.monotonic() < deadline, "counters did not increase:\n%s\n---\n%s" % (
            text, text2)


def test_console_size(machine):
    """`stty size` on hvc0 reports the virtio console size from the config space."""
    expected = "%d %d" % (CONSOLE_ROWS, CONSOLE_COLS)
    for zid, zone in ((0, "linux0"), (1, "linux1")):
        machine.focus(zid)
        assert machine.out(zone, "stty size") == expected
    machine.focus(0)


def test_paste_64k(machine):
    """A 64 KiB paste into `cat > file` arrives byte for byte (md5), echo included."""
    m = machine
    m.focus(0)
    m.out("linux0", "rm -f /tmp/p")
    # 64 KiB of base64 text: 851 lines of 76 characters and one of 8, each ending in '\n'.
    lines = [base64.b64encode(os.urandom(57)) for _ in range(851)]
    lines.append(base64.b64encode(os.urandom(6)))
    text = b"".join(l + b"\n" for l in lines)
    assert len(text) == 64 * 1024
    typed = [l + b"\r" for l in lines]  # Enter sends CR; the tty (ICRNL) makes it LF

    before = m.list_zones()["linux0"]
    m.send(b"cat > /tmp/p\r")
    m.expect_exact(b"cat > /tmp/p\r\n")
    time.sleep(0.5)  # let cat start (the shell restores the canonical tty mode first)
    echo_start = m.pos
    chunk, sent = [], 0
    for i, line in enumerate(typed):
        chunk.append(line)
        if sum(map(len, chunk)) >= 2048 or i == len(typed) - 1:
            data = b"".join(chunk)
            m.send(data)
            sent += len(data)
            # the tty echoes each line; wait for the last one, like a person watching the paste
            m.expect_exact(lines[i] + b"\r\n", timeout=120)
            chunk = []
    echo = m.since(echo_start, m.pos)
    m.send(b"\x04")  # Ctrl-D: end of file for cat
    m.expect(prompt_re("linux0"))
    after = m.list_zones()["linux0"]
    assert after["inp"] - before["inp"] == len(b"cat > /tmp/p\r") + sent + 1, (before, after)
    assert crlf_to_lf(echo) == text, "the echo of the paste differs from the paste"
    want = hashlib.md5(text).hexdigest()
    got = m.out("linux0", "md5sum /tmp/p")
    size = m.out("linux0", "wc -c < /tmp/p")
    assert (got.split()[0], int(size)) == (want, len(text))


SEQ_COUNT = 200000
SEQ_PIECES = 20  # the writer runs seq in pieces with pauses, so that it lasts a while

# The writer, defined as a shell function in linux1. `stty -opost` for the duration: with
# output post-processing on, the tty hands every line to hvc0 as two writes (the text, then
# "\r\n"), i.e. ~400000 virtio notifications for this output, which trips Linux's spurious-IRQ
# detector (see test_console_irq_survives_line_writes). Without it, `cat` passes 4 KiB writes.
WRITER_FN = ("bw() { stty -opost; usleep 300000; for i in $(seq 0 %d); do "
             "seq $((i*%d+1)) $((i*%d+%d)); usleep 400000; done | cat; stty opost; }"
             % (SEQ_PIECES - 1, SEQ_COUNT // SEQ_PIECES, SEQ_COUNT // SEQ_PIECES,
                SEQ_COUNT // SEQ_PIECES))


def _seq_bytes(count, eol=b"\n"):
    return b"".join(b"%d%s" % (i, eol) for i in range(1, count + 1))


def _first_diff(a, b):
    for i, (x, y) in enumerate(zip(a, b)):
        if x != y:
            return i
    return min(len(a), len(b))


def _same(got, want, what):
    if got == want:
        return
    i = _first_diff(got, want)
    raise AssertionError("%s: %d bytes, expected %d; first difference at %d: got %r, expected %r"
                         % (what, len(got), len(want), i, got[max(0, i - 40):i + 80],
                            want[max(0, i - 40):i + 80]))


def test_background_writer_while_typing(machine):
    """linux1 writes ~1.2 MiB (seq 1 200000) in the background while a person types in
    linux0: nothing typed is lost, linux0's output is intact, and on switching back linux1's
    replay is the exact last 64 KiB of what it wrote, with an exact count of dropped bytes."""
    m = machine
    m.focus(1)
    m.out("linux1", WRITER_FN)
    n = m.rng.randrange(10**8, 10**9)
    end_marker = b"@%d@" % (n + 1)
    cmd = b"bw; echo @$((%d+1))@" % n
    # Everything linux1 writes from the Enter on: the newline of the line editor, the seq
    # output (raw: '\n' line ends), the end marker and the next prompt (with busybox's cursor
    # position query).
    expected = (b"\r\n" + _seq_bytes(SEQ_COUNT) + end_marker + b"\r\n" + b"linux1:/# "
                + CPR_QUERY)
    total_len = len(expected)
    assert total_len > 1024 * 1024 + HISTORY_RING

    # Type the line without Enter and wait for its echo, so that the zone is quiet.
    m.send(cmd)
    m.expect_exact(cmd)
    time.sleep(0.3)
    rows0 = m.list_zones()
    list_end = m.pos
    # Enter and the switch to linux0 in one write; seq starts writing 0.3 s later.
    m.send(b"\r" + ESC + b"0")
    banner = m.expect(banner_re(0, rb"running"))
    m.focused = 0
    live = m.since(list_end, banner.start())  # linux1 bytes that went out before the switch
    assert expected.startswith(live), "unexpected live output of linux1: %r" % live

    # A person types in linux0 while linux1 writes.
    typing_start = m.list_zones()
    typed_start = m.typed["linux0"]
    checks = []
    for i in range(6):
        tok = "%x" % m.rng.getrandbits(200)
        checks.append(("echo %s" % tok, tok))
    checks.append(("echo $((6*7))-$(hostname)", "42-linux0"))
    long_tok = "x%x" % m.rng.getrandbits(320)
    checks.append(("echo %s | wc -c" % long_tok, str(len(long_tok) + 1)))
    checks.append(("printf '%%s\\n' %s | md5sum | cut -c1-32" % long_tok,
                   hashlib.md5(long_tok.encode() + b"\n").hexdigest()))
    for cmd_text, want in checks:
        got = m.out("linux0", cmd_text)
        assert got == want, "linux0: %r gave %r" % (cmd_text, got)
    typing_end = m.list_zones()
    got_in = typing_end["linux0"]["inp"] - typing_start["linux0"]["inp"]
    typed = m.typed["linux0"] - typed_start
    assert got_in == typed, "linux0 received %d of %d bytes typed" % (got_in, typed)
    out_a, out_b = typing_start["linux1"]["out"], typing_end["linux1"]["out"]
    final_out = rows0["linux1"]["out"] + total_len
    assert out_a < out_b < final_out, \
        "linux1's writer was not running all the time linux0 was typed into " \
        "(linux1 out %d -> %d, final %d)" % (out_a, out_b, final_out)

    # Wait for the writer to finish (linux1's byte count stops growing).
    deadline = time.monotonic() + 240
    last = None
    while True:
        rows = m.list_zones()
        out = rows["linux1"]["out"]
        if out == last and out >= final_out:
            break
        assert time.monotonic() < deadline, "linux1 did not finish writing: %r" % rows
        last = out
        time.sleep(1)
    written = rows["linux1"]["out"] - rows0["linux1"]["out"]
    background = total_len - len(live)  # what went into linux1's history ring
    listed_drop = rows["linux1"]["dropped"] - rows0["linux1"]["dropped"]

    # Switch back: banner, the dropped count, the replay, then live.
    m.send(ESC + b"1")
    banner1 = m.expect(banner_re(1, rb"running"))
    m.focused = 1
    drop = m.expect(rb"\[hv\] linux1: (\d+) bytes of history were dropped "
                    rb"\(ring is (\d+) bytes\)\r\n")
    k, ring = int(drop.group(1)), int(drop.group(2))
    assert drop.start() == banner1.end(), \
        "not right after the banner: %r" % m.since(banner1.end(), drop.end())
    replay_start = m.pos
    m.expect_exact(end_marker + b"\r\nlinux1:/# " + CPR_QUERY, timeout=120)
    time.sleep(1)
    replay = m.since(replay_start)
    m.pos = m.mark()

    # What linux1 wrote, as counted by the hypervisor, is exactly what seq & co. wrote (no
    # kernel message sneaked in: it would make the comparisons below meaningless).
    assert written == total_len, "linux1 wrote %d bytes, expected %d" % (written, total_len)
    assert ring == HISTORY_RING
    assert k > 0
    # The replay is the ring's tail from its first line boundary on: the partial line the
    # overrun cut is given up too and counted as dropped.
    assert HISTORY_RING - 200 < len(replay) <= HISTORY_RING, \
        "replayed %d bytes, ring is %d" % (len(replay), ring)
    assert expected[-len(replay) - 1:-len(replay)] == b"\n", "replay not at a line boundary"
    _same(replay, expected[-len(replay):], "linux1's replay vs. the tail of its output")
    assert k == background - len(replay), \
        "dropped count %d, but linux1 wrote %d bytes in the background and %d were replayed" % (
            k, background, len(replay))
    # Before the switch the list counted the overwritten bytes; the switch adds the cut line.
    assert k - listed_drop == HISTORY_RING - len(replay), \
        "zone list said %d dropped, the banner %d, replay %d" % (listed_drop, k, len(replay))

    # Live again after the replay.
    assert m.out("linux1", "echo $((6*7))-$(hostname)") == "42-linux1"
    rows = m.list_zones()
    assert rows["linux1"]["dropped"] - rows0["linux1"]["dropped"] == k
    m.focus(0)
    assert m.out("linux0", "echo ok") == "ok"


def test_console_irq_survives_line_writes(machine):
    """A program writing many lines to hvc0 (`seq 1 200000 > /dev/hvc0`, 200000 line-buffered
    writes; the tty makes each two hvc writes) must not make linux1's kernel give up on its
    virtio console interrupt ("irq N: nobody cared" ... "Disabling IRQ #N").

    What happens: the virtio console completes TX buffers inside the notify trap and raises a
    used-buffer interrupt for each; Linux's hvc path has already reaped the buffer by polling
    (__send_to_port spins on virtqueue_get_buf with interrupts masked), so each of those
    interrupts finds no work and counts as unhandled; after 99900 of 100000 in a burst, Linux
    disables the IRQ and the console falls back to polling."""
    m = machine
    m.focus(1)
    m.out("linux1", "true")
    before = m.list_zones()["linux1"]["out"]
    # Write in the background (focus on linux0), as fast as the zone can.
    m.send(b"seq 1 %d > /dev/hvc0\r" % SEQ_COUNT + ESC + b"0")
    m.expect(banner_re(0, rb"running"))
    m.focused = 0
    deadline = time.monotonic() + 240
    last = None
    while True:
        time.sleep(2)
        out = m.list_zones()["linux1"]["out"]
        if out == last and out - before > len(_seq_bytes(SEQ_COUNT, b"\r\n")):
            break
        assert time.monotonic() < deadline, "linux1's writer did not finish"
        last = out
    m.focus(1)
    m.out("linux1", "true")  # input still works (by polling, if the IRQ is gone)
    log = m.out("linux1", "dmesg | grep -B1 -A3 -e 'nobody cared' -e 'Disabling IRQ' || true")
    irqs = m.out("linux1", "grep virtio0 /proc/interrupts")
    m.focus(0)
    assert "nobody cared" not in log and "Disabling IRQ" not in log, \
        "linux1 disabled its virtio console interrupt (/proc/interrupts: %s):\n%s" % (irqs, log)
