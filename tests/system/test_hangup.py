"""System tests: hang-up of the terminal stops QEMU started by `make run`.

Each case starts QEMU the way a person does, as the session leader of a fresh pty with that pty
as its controlling terminal (what `tmux new 'make run'` does), waits for the hypervisor's banner
while draining the pty, then hangs the terminal up and checks that every QEMU process of that
session is gone within a few seconds. Processes are found through the session id of the spawned
leader (/proc/<pid>/stat), so QEMUs of tests running in parallel are never looked at.

Launchers:
  make     the Makefile's run recipe: `make run CONFIG=baremetal` with its build prerequisites
           marked done (-o all -o deps-check) and QEMU_ARGS pointing at the image under test
           (hv_image: build/baremetal/hypervisor.bin, or SYSTEST_HV_BIN), so nothing is rebuilt.
           make is the session leader here, which is the case that used to leave QEMU running:
           the kernel sends SIGHUP only to the session leader, and make waits for its children
           without passing the signal on.
  wrapper  scripts/run-qemu.py directly.
Hang-ups:
  close    the pty master is closed (terminal window closed, tmux session killed).
  sighup   SIGHUP to the terminal's foreground process group, the pty staying open.
"""

import errno
import os
import pty
import select
import shlex
import signal
import time

import pytest

from hvsys import BOOT_TIMEOUT, ESC, MACHINE_ARGS, QEMU, ROOT, prompt

WRAPPER = ROOT / "scripts" / "run-qemu.py"
BANNER = b"[hv] === zone 0"
GONE_TIMEOUT = 8  # seconds from the hang-up until no process of the session may be left


def launcher_argv(launcher, image):
    qemu_args = MACHINE_ARGS + ["-kernel", str(image)]
    if launcher == "make":
        return ["make", "-s", "--no-print-directory", "-o", "all", "-o", "deps-check", "run",
                "CONFIG=baremetal", "QEMU_ARGS=" + shlex.join(qemu_args)]
    return [str(WRAPPER), QEMU] + qemu_args


def spawn(argv):
    """Start argv as the leader of a new session whose controlling terminal is a fresh pty.

    Returns (pid, master fd). The child gets default signal dispositions and no make
    environment of an enclosing `make test`."""
    env = {k: v for k, v in os.environ.items()
           if k not in ("MAKEFLAGS", "MFLAGS", "GNUMAKEFLAGS", "MAKELEVEL", "MAKEOVERRIDES")}
    pid, fd = pty.fork()
    if pid == 0:
        try:
            for sig in (signal.SIGHUP, signal.SIGINT, signal.SIGQUIT, signal.SIGTERM,
                        signal.SIGPIPE, signal.SIGXFSZ, signal.SIGCHLD):
                signal.signal(sig, signal.SIG_DFL)
            signal.pthread_sigmask(signal.SIG_SETMASK, [])
            os.chdir(str(ROOT))
            os.execvpe(argv[0], argv, env)
        finally:
            os._exit(127)
    return pid, fd


def proc_stat(pid):
    """(comm, state, session, starttime) of a process, or None if it does not exist."""
    try:
        with open("/proc/%d/stat" % pid, "rb") as f:
            data = f.read().decode("latin-1")
    except OSError:
        return None
    comm = data[data.index("(") + 1:data.rindex(")")]
    rest = data[data.rindex(")") + 2:].split()
    return comm, rest[0], int(rest[3]), int(rest[19])


def session_procs(sid):
    """{pid: (comm, starttime)} of the live (not zombie) processes in session sid."""
    procs = {}
    for name in os.listdir("/proc"):
        if not name.isdigit():
            continue
        st = proc_stat(int(name))
        if st and st[2] == sid and st[1] not in ("Z", "X"):
            procs[int(name)] = (st[0], st[3])
    return procs


def alive(pid, starttime):
    st = proc_stat(pid)
    return st is not None and st[3] == starttime and st[1] not in ("Z", "X")


def drain(fd, timeout):
    """Read what the pty has within timeout; b"" once the slave side is gone (EIO)."""
    ready, _, _ = select.select([fd], [], [], timeout)
    if not ready:
        return None
    try:
        return os.read(fd, 65536)
    except OSError as e:
        if e.errno == errno.EIO:
            return b""
        raise


def read_until(fd, what, timeout):
    out = bytearray()
    deadline = time.monotonic() + timeout
    while what not in out:
        left = deadline - time.monotonic()
        assert left > 0, "timeout (%ss) waiting for %r; output: %r" % (timeout, what, bytes(out[-1500:]))
        chunk = drain(fd, min(left, 0.2))
        assert chunk != b"", "exited before %r; output: %r" % (what, bytes(out[-1500:]))
        if chunk:
            out += chunk
    return bytes(out)


def reap(pid, timeout):
    """Wait for our child pid; returns its wait status, or None if it is still running."""
    deadline = time.monotonic() + timeout
    while True:
        done, status = os.waitpid(pid, os.WNOHANG)
        if done:
            return status
        if time.monotonic() > deadline:
            return None
        time.sleep(0.02)


class Run:
    """One spawned session; at exit, anything left of it is killed and the leader reaped."""

    def __init__(self, argv):
        self.pid, self.fd = spawn(argv)
        self.status = None

    def __enter__(self):
        return self

    def close_master(self):
        if self.fd is not None:
            os.close(self.fd)
            self.fd = None

    def __exit__(self, *exc):
        for pid in session_procs(self.pid):
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        self.close_master()
        if self.status is None:
            self.status = reap(self.pid, 10)


@pytest.mark.parametrize("hangup", ["close", "sighup"])
@pytest.mark.parametrize("launcher", ["make", "wrapper"])
def test_hangup_stops_qemu(hv_image, launcher, hangup):
    with Run(launcher_argv(launcher, hv_image)) as run:
        read_until(run.fd, BANNER, BOOT_TIMEOUT)
        procs = session_procs(run.pid)
        qemus = {pid: start for pid, (comm, start) in procs.items()
                 if comm.startswith("qemu-system")}
        assert qemus, "no QEMU in the session: %r" % procs

        if hangup == "close":
            run.close_master()
        else:
            os.killpg(run.pid, signal.SIGHUP)

        t0 = time.monotonic()
        while True:
            if run.fd is not None:
                drain(run.fd, 0.05)  # QEMU must never block on a full pty
            else:
                time.sleep(0.05)
            left_qemus = [pid for pid, start in qemus.items() if alive(pid, start)]
            left = session_procs(run.pid)
            if not left_qemus and not left:
                break
            assert time.monotonic() - t0 < GONE_TIMEOUT, (
                "%ss after the hang-up, still running: QEMU %r, session %r"
                % (GONE_TIMEOUT, left_qemus, left))

        run.status = reap(run.pid, 5)
        assert run.status is not None, "session leader not reaped"
        # Ended as by the hang-up: the leader (make, or the wrapper) died of SIGHUP.
        assert os.WIFSIGNALED(run.status) and os.WTERMSIG(run.status) == signal.SIGHUP, (
            "leader wait status %#x" % run.status)


@pytest.mark.parametrize("launcher", ["make", "wrapper"])
def test_quit_exit_status(hv_image, launcher):
    """Through the wrapper the console is as before: typed lines reach the zone, Ctrl-\\ q powers
    off and the run ends with QEMU's exit status 0."""
    with Run(launcher_argv(launcher, hv_image)) as run:
        read_until(run.fd, prompt("zone0"), BOOT_TIMEOUT)
        os.write(run.fd, b"ping\r")
        read_until(run.fd, b"zone0: ping", BOOT_TIMEOUT)
        os.write(run.fd, ESC + b"q")
        deadline = time.monotonic() + 20
        while run.status is None:
            assert time.monotonic() < deadline, "QEMU did not exit after Ctrl-\\ q"
            drain(run.fd, 0.05)
            run.status = reap(run.pid, 0)
        assert os.WIFEXITED(run.status) and os.WEXITSTATUS(run.status) == 0, (
            "wait status %#x" % run.status)


def test_wrapper_keeps_qemu_exit_status():
    """QEMU's own failure status comes through the wrapper unchanged."""
    with Run([str(WRAPPER), QEMU, "-no-such-option"]) as run:
        deadline = time.monotonic() + 20
        while run.status is None:
            assert time.monotonic() < deadline, "QEMU did not exit"
            drain(run.fd, 0.05)
            run.status = reap(run.pid, 0)
        assert os.WIFEXITED(run.status) and os.WEXITSTATUS(run.status) == 1, (
            "wait status %#x" % run.status)
