"""The Raspberry Pi 4 SD card (make PLATFORM=rpi4 sdcard; README "Raspberry Pi 4").

1. The image builds, in both boot modes, and holds what a Pi 4 needs: checked with sfdisk and
   mtools (mdir, mtype) on the image file, as a person would check a card.
2. On QEMU raspi4b (QEMU 9.0 or later: the host's, or build/qemu10), Debian's U-Boot for
   rpi_arm64 with the card as its SD card finds boot.scr on it with no key pressed, and the script
   loads hvcon.bin from the card and starts it with booti and the firmware's device tree. QEMU does
   not run the GPU firmware (start4.elf): it loads u-boot.bin itself (-kernel, as the firmware's
   kernel= would) and hands it the board's device tree (-dtb).
3. The same with the real rpi4 hypervisor on the card, once the rpi4 platform builds it.

Until then the card holds a stand-in kernel: the qemu-virt baremetal hypervisor, an arm64 Image
(SDCARD_KERNEL=...). The first run fetches Debian's raspi-firmware and u-boot-rpi (about 5 MB, and
9 MB of package lists) into build/rpi-firmware, and the arm64 kernel package (60 MB, which the
Linux zones use anyway) into build/debs.
"""

import json
import re
import shutil
import subprocess

import pytest

from hvsys import QEMU, ROOT

FW = ROOT / "build" / "rpi-firmware"
UBOOT_RPI = FW / "root" / "usr" / "lib" / "u-boot" / "rpi_arm64" / "u-boot.bin"
DTB = FW / "dtb" / "bcm2711-rpi-4-b.dtb"
QEMU10 = ROOT / "build" / "qemu10" / "qemu-system-aarch64"
PART_OFFSET = 1 << 20  # the FAT32 partition starts at sector 2048

FIRMWARE_FILES = ["start4.elf", "fixup4.dat", "bcm2711-rpi-4-b.dtb", "bcm2711-rpi-400.dtb",
                  "bcm2711-rpi-cm4-io.dtb", "config.txt", "hvcon.bin"]
UBOOT_FILES = ["u-boot.bin", "boot.scr"]
CONFIG_LINES = ["arm_64bit=1", "enable_uart=1", "dtoverlay=disable-bt", "core_freq=500",
                "core_freq_min=500"]


def run(args, **kw):
    proc = subprocess.run(args, cwd=str(ROOT), stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                          **kw)
    assert proc.returncode == 0, "%s failed:\n%s" % (" ".join(map(str, args)), proc.stdout.decode(
        "latin-1", "replace")[-3000:])
    return proc.stdout.decode("latin-1", "replace")


def make_sdcard(img, kernel, boot):
    run(["make", "PLATFORM=rpi4", "sdcard", "SDCARD_KERNEL=%s" % kernel, "SDCARD_BOOT=%s" % boot,
         "SDCARD_IMG=%s" % img])
    assert img.is_file()
    return img


def fat(img):
    return "%s@@%d" % (img, PART_OFFSET)


def listing(img):
    """{name: size} of the partition's root, from mdir."""
    out = run(["mdir", "-a", "-i", fat(img), "::/"])
    files = {}
    for line in out.splitlines():
        # Short name, extension, size, date, time, then the long name if there is one.
        m = re.match(r"^(\S+)\s+(\S*)\s+(\d+)\s+\S+\s+\S+(?:\s+(\S+))?\s*$", line)
        if m and not line.startswith(" "):
            name = m.group(4) or (m.group(1) + ("." + m.group(2) if m.group(2) else ""))
            files[name] = int(m.group(3))
    return files


@pytest.fixture(scope="module")
def stand_in(hv_image):
    """The kernel to put on the card: the qemu-virt baremetal hypervisor (an arm64 Image)."""
    return hv_image


@pytest.fixture(scope="module", params=["hypervisor", "uboot"])
def card(request, stand_in, tmp_path_factory):
    img = tmp_path_factory.mktemp("sdcard-" + request.param) / "sdcard.img"
    return request.param, make_sdcard(img, stand_in, request.param), stand_in


def test_sdcard_partition_table(card):
    _, img, _ = card
    size = img.stat().st_size
    assert size & (size - 1) == 0, "QEMU wants a power-of-two SD card, got %d bytes" % size
    table = json.loads(run(["/usr/sbin/sfdisk", "--json", str(img)]))["partitiontable"]
    assert table["label"] == "dos"
    (part,) = table["partitions"]
    assert part["start"] == PART_OFFSET // 512
    assert part["type"] == "c" and part.get("bootable")
    assert part["size"] * 512 >= 64 << 20  # FAT32 needs 65525 clusters
    info = run(["minfo", "-i", fat(img), "::"])
    assert 'disk type="FAT32' in info, info
    assert "hidden sectors: %d" % (PART_OFFSET // 512) in info, info


def test_sdcard_contents(card):
    boot, img, kernel = card
    files = listing(img)
    expected = FIRMWARE_FILES + (UBOOT_FILES if boot == "uboot" else [])
    missing = [f for f in expected if f not in files]
    assert not missing, "not on the card: %s (it has %s)" % (missing, sorted(files))
    assert not set(files) - set(expected), "unexpected files: %s" % (set(files) - set(expected))
    fwdir = FW / "root" / "usr" / "lib" / "raspi-firmware"
    for name in ("start4.elf", "fixup4.dat"):
        assert files[name] == (fwdir / name).stat().st_size > 0, name
    assert files["hvcon.bin"] == kernel.stat().st_size
    if boot == "uboot":
        assert files["u-boot.bin"] == UBOOT_RPI.stat().st_size

    config = run(["mtype", "-i", fat(img), "::/config.txt"]).replace("\r\n", "\n")
    lines = [line.strip() for line in config.splitlines()]
    for want in CONFIG_LINES:
        assert want in lines, "config.txt lacks %r:\n%s" % (want, config)
    kernel_lines = [line for line in lines if line.startswith("kernel=")]
    assert kernel_lines == ["kernel=" + ("u-boot.bin" if boot == "uboot" else "hvcon.bin")]
    # The kernel= line must count for every board, i.e. stand in an [all] section.
    sections = [line for line in lines if line.startswith("[")]
    assert sections and sections[-1] == "[all]"
    assert config.index(sections[-1]) < config.index(kernel_lines[0])

    if boot == "uboot":
        script = run(["mtype", "-i", fat(img), "::/boot.scr"])
        assert "load ${devtype} ${devnum}:${distro_bootpart} ${kernel_addr_r} ${prefix}hvcon.bin" \
            in script
        assert "booti ${kernel_addr_r} - ${fdt_addr}" in script


def raspi4b_qemu():
    """A QEMU with the raspi4b machine, or None."""
    for q in (shutil.which(QEMU), QEMU10):
        if q and subprocess.run([str(q), "-M", "help"], stdout=subprocess.PIPE,
                                stderr=subprocess.DEVNULL).stdout.split().count(b"raspi4b"):
            return str(q)
    return None


def start_uboot_rpi(make_console, qemu, img, name):
    """QEMU raspi4b running U-Boot rpi_arm64 with img as its SD card. With Debian's (upstream)
    device tree U-Boot prints its first lines on the PL011 (serial 0) and the rest on the mini
    UART (serial 1, stdout-path serial1), so both go to the console (a mux chardev)."""
    argv = [qemu, "-M", "raspi4b", "-nodefaults", "-display", "none", "-monitor", "none",
            "-kernel", str(UBOOT_RPI), "-dtb", str(DTB),
            "-drive", "file=%s,if=sd,format=raw" % img,
            "-chardev", "stdio,id=con,mux=on,signal=off",
            "-serial", "chardev:con", "-serial", "chardev:con"]
    return make_console(argv, name)


def expect_uboot_runs_card(con, kernel_size):
    con.expect(rb"U-Boot 20\d\d\.\d\d", timeout=30)
    con.expect_exact(b"RPI 4 Model B", timeout=30)
    con.expect_exact(b"Hit any key to stop autoboot", timeout=30)
    con.expect_exact(b"Scanning mmc 0:1...", timeout=30)
    con.expect_exact(b"Found U-Boot script /boot.scr", timeout=30)
    con.expect(rb"## Executing script at [0-9a-f]+", timeout=30)
    m = con.expect(rb"hvcon: loading /hvcon.bin from mmc 0:1, device tree at ([0-9a-f]+)\r\n",
                   timeout=30)
    fdt = int(m.group(1), 16)
    assert fdt != 0, "U-Boot has no ${fdt_addr} from the firmware"
    # 34 MB (the linux configuration) take about 45 s on QEMU's SD card.
    con.expect_exact(b"%d bytes read in " % kernel_size, timeout=120)
    con.expect_exact(b"## Flattened Device Tree blob at %08x" % fdt, timeout=30)
    con.expect_exact(b"Starting kernel ...", timeout=30)


@pytest.fixture(scope="module")
def qemu_raspi4b():
    qemu = raspi4b_qemu()
    if qemu is None:
        pytest.skip("no QEMU with the raspi4b machine (make qemu10)")
    return qemu


def test_sdcard_uboot_on_raspi4b(make_console, qemu_raspi4b, stand_in, tmp_path):
    """U-Boot runs boot.scr from the card, which loads hvcon.bin (the stand-in) and boots it."""
    img = make_sdcard(tmp_path / "sdcard.img", stand_in, "uboot")
    con = start_uboot_rpi(make_console, qemu_raspi4b, img, "sdcard-uboot")
    expect_uboot_runs_card(con, stand_in.stat().st_size)


def rpi4_hypervisor():
    for config in ("baremetal", "linux"):
        image = ROOT / "build" / ("rpi4-" + config) / "hypervisor.bin"
        if image.is_file():
            return config, image
    return None, None


def test_sdcard_uboot_boots_rpi4_hypervisor(make_console, qemu_raspi4b, tmp_path):
    """The whole chain with the real thing: U-Boot from the card boots the rpi4 hypervisor, which
    comes up on the PL011 and shows zone 0."""
    config, image = rpi4_hypervisor()
    if image is None:
        pytest.skip("no rpi4 hypervisor yet: build/rpi4-baremetal/hypervisor.bin and "
                    "build/rpi4-linux/hypervisor.bin are missing (make PLATFORM=rpi4)")
    img = make_sdcard(tmp_path / "sdcard.img", image, "uboot")
    con = start_uboot_rpi(make_console, qemu_raspi4b, img, "sdcard-rpi4-" + config)
    expect_uboot_runs_card(con, image.stat().st_size)
    con.expect(rb"\[hv\] hypervisor on rpi4", timeout=30)
    con.expect(rb"\[hv\] === zone 0: \S+ \(running\) ===", timeout=60)
