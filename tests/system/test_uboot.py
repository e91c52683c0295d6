"""Booting the hypervisor through U-Boot (Debian's u-boot-qemu, qemu_arm64); see UBOOT.md."""

import pytest

from hvsys import ESC, UBOOT_BIN, crc_line, greeting, pattern, qemu_argv

LOAD_ADDR = 0x44000000

pytestmark = pytest.mark.skipif(not UBOOT_BIN.is_file(),
                                reason="%s missing (apt-get install u-boot-qemu)" % UBOOT_BIN)


def check_running(con):
    """The hypervisor came up under U-Boot: both zones answer, a flood arrives intact, q quits."""
    con.boot()
    assert con.cmd("zone0", "echo-under-uboot") == b"zone0: echo-under-uboot\r\n"
    start = con.focus(1)
    assert con.replay_after(start, greeting("zone1")) == greeting("zone1")
    assert con.cmd("zone1", "flood 10000") == b"".join(
        [pattern(10000), b"\r\n", crc_line(10000)])
    con.focus(0)
    con.send(ESC + b"q")
    con.expect(rb"\[hv\] powering off\r\n")
    assert con.wait_exit() == 0


def test_uboot_booti_from_prompt(make_console, hv_image):
    con = make_console(qemu_argv(
        "-bios", str(UBOOT_BIN),
        "-device", "loader,file=%s,addr=0x%x,force-raw=on" % (hv_image, LOAD_ADDR)), "uboot")
    con.expect(rb"U-Boot 20\d\d", timeout=30)
    con.expect_exact(b"Hit any key to stop autoboot", timeout=30)
    con.send(b" ")
    con.expect_exact(b"=> ")
    con.send(b"booti 0x%x - ${fdtcontroladdr}\r" % LOAD_ADDR)
    con.expect_exact(b"Starting kernel ...")
    check_running(con)


def test_uboot_autoboot_qfw(make_console, hv_image):
    """With -kernel next to -bios, U-Boot's default bootcmd (bootcmd_qfw) loads the image from
    QEMU's fw_cfg and boots it with booti after the 2 s autoboot delay: no typing at all."""
    con = make_console(qemu_argv("-bios", str(UBOOT_BIN), "-kernel", str(hv_image)), "uboot")
    con.expect_exact(b"Hit any key to stop autoboot", timeout=30)
    con.expect_exact(b"Starting kernel ...", timeout=30)
    check_running(con)
