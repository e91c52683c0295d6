"""A BREAK on the serial line is an out-of-band escape: the next key is a console command.

QEMU's stdio chardev cannot send a BREAK, so this test puts the UART on a telnet server socket,
where IAC BREAK (0xff 0xf3) becomes a BREAK on the emulated PL011 (DR bit 10).
"""

import select
import socket
import subprocess
import time

from hvsys import LIST_HEADER_RE, LIST_ROW_RE, QEMU, banner_re

IAC_BREAK = b"\xff\xf3"


class TelnetConsole:
    def __init__(self, image):
        sock = socket.socket()
        sock.bind(("127.0.0.1", 0))
        self.port = sock.getsockname()[1]
        sock.close()  # QEMU listens on it; the window for a clash is tiny and would fail loudly
        self.proc = subprocess.Popen(
            [QEMU, "-M", "virt,virtualization=on,gic-version=3", "-cpu", "cortex-a57", "-smp", "2",
             "-m", "2G", "-nodefaults", "-display", "none", "-monitor", "none",
             "-chardev", "socket,id=con,host=127.0.0.1,port=%d,server=on,wait=on,telnet=on"
             % self.port, "-serial", "chardev:con", "-kernel", str(image)],
            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        deadline = time.monotonic() + 10
        while True:
            try:
                self.sock = socket.create_connection(("127.0.0.1", self.port), timeout=1)
                break
            except OSError:
                assert time.monotonic() < deadline, "QEMU's telnet server did not come up"
                time.sleep(0.05)
        self.data = b""

    def expect(self, rx, timeout=20):
        deadline = time.monotonic() + timeout
        while True:
            m = rx.search(self.data)
            if m:
                return m
            left = deadline - time.monotonic()
            assert left > 0, "timeout waiting for %r; tail %r" % (rx.pattern, self.data[-500:])
            ready, _, _ = select.select([self.sock], [], [], min(left, 0.2))
            if ready:
                chunk = self.sock.recv(65536)
                assert chunk, "QEMU closed the connection"
                self.data += chunk

    def send(self, data):
        self.sock.sendall(data)

    def close(self):
        self.proc.kill()
        self.proc.wait()
        self.sock.close()


def test_break_is_an_escape(hv_image):
    import re
    con = TelnetConsole(hv_image)
    try:
        con.expect(re.compile(rb"hello from zone0\r\nzone0> "))
        # BREAK, then 'l': the zone list, as after Ctrl-\ l. Nothing reaches the zone.
        con.send(IAC_BREAK)
        time.sleep(0.2)
        con.send(b"l")
        con.expect(LIST_HEADER_RE)
        rows = [m.groups() for m in LIST_ROW_RE.finditer(con.data)]
        assert [r[2] for r in rows] == [b"zone0", b"zone1"]
        assert all(int(r[5]) == 0 for r in rows), "the BREAK or the 'l' reached a zone: %r" % rows
        # BREAK, then '1': focus moves; typing goes to zone1.
        con.send(IAC_BREAK)
        time.sleep(0.2)
        con.send(b"1")
        con.expect(banner_re(1))
        con.send(b"after-break\r")
        con.expect(re.compile(rb"zone1: after-break\r\n"))
        assert b"PANIC" not in con.data
    finally:
        con.close()
