"""Fixtures for the system tests: a fresh QEMU per test, killed and checked for PANIC at teardown.

The console machinery and helpers live in hvsys.py (a uniquely named module, so that test files
can import it whatever other conftest.py files exist below this directory).
"""

import os
import subprocess
from pathlib import Path

import pytest

from hvsys import ROOT, Console, gic_suffix, qemu_argv


def pytest_generate_tests(metafunc):
    """A test module that sets GICS = (3, 2) runs every test on QEMU virt with GICv3 and with
    GICv2 (the gic fixture, session-scoped so that each image is built and shared once)."""
    gics = getattr(metafunc.module, "GICS", None)
    if gics and "gic" in metafunc.fixturenames:
        metafunc.parametrize("gic", gics, ids=["gicv%d" % g for g in gics], scope="session")


@pytest.fixture(scope="session")
def gic():
    """The GIC version of QEMU virt and of the build: 3 unless the module asks for both."""
    return 3


def _ensure_image(gic):
    # The image itself, not `all`: build/hypervisor.bin is the default configuration's copy.
    image = ROOT / "build" / ("baremetal" + gic_suffix(gic)) / "hypervisor.bin"
    args = ["make", "CONFIG=baremetal", "GIC=%d" % gic, str(image.relative_to(ROOT))]
    proc = subprocess.run(args, cwd=str(ROOT), stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    assert proc.returncode == 0, "%s failed:\n%s" % (" ".join(args), proc.stdout.decode(
        "latin-1", "replace"))
    assert image.is_file()
    return image


@pytest.fixture(scope="session")
def hv_image(gic):
    """build/baremetal/hypervisor.bin (build/baremetal-gic2/ for GICv2), (re)built once per
    session (make is incremental).

    SYSTEST_HV_BIN=<path> tests that image instead, without building (GICv3 only)."""
    other = os.environ.get("SYSTEST_HV_BIN")
    if other and gic == 3:
        assert Path(other).is_file(), other
        return Path(other).resolve()
    return _ensure_image(gic)


def assert_no_panic(con):
    assert b"PANIC" not in con.wire, "hypervisor PANIC: %r" % bytes(
        con.wire[max(0, con.wire.find(b"PANIC") - 200):con.wire.find(b"PANIC") + 300])


@pytest.fixture
def make_console(hv_image, tmp_path):
    """Factory for Consoles; every one is killed at teardown and checked for a PANIC."""
    consoles = []

    def make(argv, name="qemu"):
        con = Console(argv, tmp_path / ("%s-%d.log" % (name, len(consoles))))
        consoles.append(con)
        return con

    yield make
    for con in consoles:
        con.close()
    for con in consoles:
        assert_no_panic(con)


@pytest.fixture
def hv(make_console, hv_image, gic):
    """A booted hypervisor: zone0 focused and at its prompt."""
    con = make_console(qemu_argv("-kernel", str(hv_image), gic=gic), "hv")
    con.boot()
    return con
