"""Booting the hypervisor through U-Boot (Debian's u-boot-qemu, qemu_arm64); see UBOOT.md."""

import subprocess

import pytest

from hvsys import ESC, ROOT, UBOOT_BIN, crc_line, greeting, pattern, qemu_argv

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


def start_uboot(make_console, *boot_args):
    """QEMU with U-Boot as its firmware, at U-Boot's autoboot countdown."""
    con = make_console(qemu_argv("-bios", str(UBOOT_BIN), *boot_args), "uboot")
    con.expect(rb"U-Boot 20\d\d", timeout=30)
    con.expect_exact(b"Hit any key to stop autoboot", timeout=30)
    return con


def test_uboot_booti_from_prompt(make_console, hv_image):
    con = start_uboot(make_console, "-device",
                      "loader,file=%s,addr=0x%x,force-raw=on" % (hv_image, LOAD_ADDR))
    con.send(b" ")
    con.expect_exact(b"=> ")
    con.send(b"booti 0x%x - ${fdtcontroladdr}\r" % LOAD_ADDR)
    con.expect_exact(b"Starting kernel ...")
    check_running(con)


def test_uboot_autoboot_qfw(make_console, hv_image):
    """With -kernel next to -bios, U-Boot's default bootcmd (bootcmd_qfw) loads the image from
    QEMU's fw_cfg and boots it with booti after the 2 s autoboot delay: no typing at all."""
    con = start_uboot(make_console, "-kernel", str(hv_image))
    con.expect_exact(b"Starting kernel ...", timeout=30)
    check_running(con)


def test_uboot_disk_distro_boot(make_console, hv_image, tmp_path):
    """From a disk, as on a board: no -kernel, no loader device, no key pressed. The disk is what
    `make uboot-disk` makes (scripts/mk-uboot.sh: an MBR, one FAT32 partition with the FIT image
    hvcon.itb and boot.scr), on virtio-blk; U-Boot's default bootcmd (distro boot) finds boot.scr
    on virtio 0:1, which loads hvcon.itb from there and boots it with bootm."""
    mk = str(ROOT / "scripts" / "mk-uboot.sh")
    for args in (["image", str(hv_image), "0x%x" % LOAD_ADDR, str(tmp_path)],
                 ["disk", str(tmp_path)]):
        proc = subprocess.run([mk, *args], stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        assert proc.returncode == 0, proc.stdout.decode("latin-1", "replace")
    con = start_uboot(make_console,
                      "-drive", "if=none,file=%s,format=raw,id=hd" % (tmp_path / "uboot-disk.img"),
                      "-device", "virtio-blk-device,drive=hd")
    for text in (b"Found U-Boot script /boot.scr",
                 b"hvcon: loading /hvcon.itb from virtio 0:1\r\n",
                 b"Using 'hvcon' configuration", b"Load Address: 0x%08x" % LOAD_ADDR,
                 b"Verifying Hash Integrity ... crc32+ OK", b"Starting kernel ..."):
        con.expect_exact(text, timeout=30)
    check_running(con)
