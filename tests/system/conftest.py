"""Fixtures for the system tests: a fresh QEMU per test, killed and checked for PANIC at teardown.

The console machinery and helpers live in hvsys.py (a uniquely named module, so that test files
can import it whatever other conftest.py files exist below this directory).
"""

import os
from pathlib import Path

import pytest

from hvsys import ROOT, Console, target_build


def pytest_configure(config):
    config.addinivalue_line("markers", "every_target: run on every target in the module's TARGETS")
    config.addinivalue_line("markers", "first_target: run on the module's first target only")


def pytest_generate_tests(metafunc):
    """A test module that sets TARGETS = ("virt-gicv3", "virt-gicv2", "rpi4") runs its tests
    marked every_target on each (the target fixture, session-scoped so that each image is built
    and shared once): QEMU virt with GICv3 and with GICv2, and the Raspberry Pi 4 on QEMU's
    raspi4b. Its other tests, and those marked first_target, run on the first target only."""
    targets = getattr(metafunc.module, "TARGETS", None)
    if targets and "target" in metafunc.fixturenames:
        one = metafunc.definition.get_closest_marker("first_target")
        if one or not metafunc.definition.get_closest_marker("every_target"):
            targets = targets[:1]
        metafunc.parametrize("target", targets, ids=list(targets), scope="session")


@pytest.fixture(scope="session")
def target():
    """Where the system tests run: QEMU virt with GICv3 unless the module asks for more."""
    return "virt-gicv3"


@pytest.fixture(scope="session")
def hv_build(target):
    """The baremetal configuration on the target, (re)built once per session (make is
    incremental): (image, QEMU argv without -kernel). SYSTEST_HV_BIN=<path> tests that image
    instead on virt with GICv3, without building."""
    image, argv = target_build(target, "baremetal")
    other = os.environ.get("SYSTEST_HV_BIN")
    if other and target == "virt-gicv3":
        assert Path(other).is_file(), other
        image = Path(other).resolve()
    k = argv.index("-kernel")
    return image, argv[:k] + argv[k + 2:]


@pytest.fixture(scope="session")
def hv_image(hv_build):
    """build/baremetal/hypervisor.bin (or the target's), built once per session."""
    return hv_build[0]


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
def hv(make_console, hv_build):
    """A booted hypervisor: zone0 focused and at its prompt."""
    image, argv = hv_build
    con = make_console(argv + ["-kernel", str(image)], "hv")
    con.boot()
    return con
