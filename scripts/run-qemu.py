#!/usr/bin/python3
"""Run QEMU with its console on this terminal, and stop it when the terminal hangs up.

    run-qemu.py qemu-system-aarch64 ARGS...

Used by the Makefile's run, run-uboot, run-uboot-disk and debug recipes. QEMU inherits stdin,
stdout, stderr, the process group and the terminal exactly as if it were started directly (it
still puts the terminal in raw mode itself; Ctrl-\\ q still quits), and this script exits as QEMU
did.

Why it exists: when a terminal hangs up (window closed, tmux session killed, ssh connection
dropped), the kernel sends SIGHUP only to the terminal's session leader; the foreground process
group gets its SIGHUP only once that leader has exited. Run as `tmux new 'make run'`, the session
leader is make, and GNU make, on SIGHUP, waits for its children to die before dying itself,
without passing the signal on (it assumes the terminal signalled the whole foreground group, as
Ctrl-C does). QEMU gets no signal at all: its `-chardev stdio` reads EOF from the hung-up
terminal and just stops reading, its writes fail with EIO and are dropped. So QEMU ran forever
and make waited for it forever.

So this script watches for the hang-up itself, without reading the terminal (a poll for
POLLHUP, and tcgetattr() failing with EIO, checked every second, as a fallback), and on hang-up or SIGHUP sends SIGHUP
to QEMU (which QEMU treats as a request to quit), then SIGKILL if it is still there 3 s later.
SIGINT, SIGQUIT and SIGTERM sent to this script are passed on to QEMU. Signals that were ignored
when it started (nohup) stay ignored, and then a hang-up stops nothing.

Exit status: QEMU's (or death by the same signal as QEMU's); if this script stopped QEMU because
of a hang-up or a signal, it then dies of that signal itself, as a program that got it would.
"""

import errno
import os
import resource
import select
import signal
import subprocess
import sys
import termios
import time

KILL_AFTER = 3.0  # seconds from the hang-up to SIGKILL
RECHECK = 1.0  # seconds between tcgetattr() checks of the terminal
FORWARD = (signal.SIGHUP, signal.SIGINT, signal.SIGQUIT, signal.SIGTERM)


def hung_up(fd):
    """True if the terminal on fd has hung up (a hung-up tty fails tcgetattr with EIO)."""
    try:
        termios.tcgetattr(fd)
    except termios.error as e:
        return e.args[0] == errno.EIO
    return False


def die_of(sig):
    """Terminate by signal sig, with its default action; exit 128+sig if it does not kill."""
    sys.stdout.flush()
    sys.stderr.flush()
    try:
        resource.setrlimit(resource.RLIMIT_CORE, (0, 0))  # QEMU dumped core, not this script
    except (ValueError, OSError):
        pass
    if sig != signal.SIGKILL and sig != signal.SIGSTOP:
        signal.signal(sig, signal.SIG_DFL)
    signal.pthread_sigmask(signal.SIG_UNBLOCK, [sig])
    os.kill(os.getpid(), sig)
    os._exit(128 + sig)


def main(argv):
    if not argv:
        sys.stderr.write("usage: run-qemu.py qemu-system-... [ARGS...]\n")
        return 2

    pending = []
    wake_r, wake_w = os.pipe()  # close-on-exec: QEMU does not inherit them
    os.set_blocking(wake_r, False)
    os.set_blocking(wake_w, False)
    signal.set_wakeup_fd(wake_w)
    forwarded = [s for s in FORWARD if signal.getsignal(s) != signal.SIG_IGN]
    for s in forwarded:
        signal.signal(s, lambda sig, frame: pending.append(sig))
    signal.signal(signal.SIGCHLD, lambda sig, frame: None)  # wakes the poll when QEMU exits

    # Terminals to watch: QEMU's stdio ones, unless hang-up is ignored (nohup).
    ttys = []
    if signal.SIGHUP in forwarded:
        ttys = [fd for fd in (0, 1) if os.isatty(fd)]

    try:
        qemu = subprocess.Popen(argv, close_fds=False)  # restores SIGPIPE and SIGXFSZ
    except OSError as e:
        sys.stderr.write("run-qemu.py: %s: %s\n" % (argv[0], e.strerror))
        return 127

    poller = select.poll()
    poller.register(wake_r, select.POLLIN)
    for fd in ttys:
        poller.register(fd, 0)  # no events asked for: only POLLHUP/POLLERR, nothing is read
    stop_sig = None  # the signal this script stopped QEMU with (or passed on)
    kill_at = None
    next_check = time.monotonic() + RECHECK
    hangup = False

    while True:
        status = qemu.poll()
        if status is not None:
            break
        try:
            while os.read(wake_r, 512):
                pass
        except BlockingIOError:
            pass
        now = time.monotonic()
        if ttys and now >= next_check:
            next_check = now + RECHECK
            hangup = hangup or any(hung_up(fd) for fd in ttys)
        events = [signal.SIGHUP] if hangup else []
        hangup = False
        while pending:
            events.append(pending.pop(0))
        for sig in events:
            if sig == signal.SIGHUP:
                for fd in ttys:
                    poller.unregister(fd)  # a hung-up tty reports POLLHUP for ever
                ttys = []
                if kill_at is None:
                    kill_at = now + KILL_AFTER
            if stop_sig is None:
                stop_sig = sig
            try:
                qemu.send_signal(sig)
            except ProcessLookupError:
                pass
        if kill_at is not None and now >= kill_at:
            qemu.kill()
            kill_at = now + 3600
        timeout = next_check - now if ttys else 3600.0
        if kill_at is not None:
            timeout = min(timeout, kill_at - now)
        for fd, revents in poller.poll(max(0, int(timeout * 1000)) + 1):
            if fd not in ttys:
                continue
            if revents & (select.POLLHUP | select.POLLERR):
                hangup = True
            elif revents & select.POLLNVAL:
                poller.unregister(fd)
                ttys.remove(fd)

    if stop_sig is not None:
        die_of(stop_sig)
    if status < 0:
        die_of(-status)
    return status


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
