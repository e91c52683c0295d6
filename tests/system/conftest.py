"""Fixtures for the system tests: a fresh QEMU per test, killed and checked for PANIC at teardown.

The console machinery and helpers live in hvsys.py (a uniquely named module, so that test files
can import it whatever other conftest.py files exist below this directory).
"""

import os
import subprocess
from pathlib import Path

import pytest

from hvsys import HV_BIN, ROOT, Console, qemu_argv


def _ensure_image():
    proc = subprocess.run(["make", "CONFIG=baremetal"], cwd=str(ROOT), stdout=subprocess.PIPE,
                          stderr=subprocess.STDOUT)
    assert proc.returncode == 0, "make CONFIG=baremetal failed:\n" + proc.stdout.decode(
        "latin-1", "replace")
    assert HV_BIN.is_file()
    return HV_BIN


@pytest.fixture(scope="session")
def hv_image():
    """build/baremetal/hypervisor.bin, (re)built once per session (make is incremental).

    SYSTEST_HV_BIN=<path> tests that image instead, without building."""
    other = os.environ.get("SYSTEST_HV_BIN")
    if other:
        assert Path(other).is_file(), other
        return Path(other).resolve()
    return _ensure_image()


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
def hv(make_console, hv_image):
    """A booted hypervisor: zone0 focused and at its prompt."""
    con = make_console(qemu_argv("-kernel", str(hv_image)), "hv")
    con.boot()
    return con
