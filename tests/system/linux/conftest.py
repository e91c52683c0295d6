"""Fixtures for the Linux-zone system tests: one booted machine per test module.

Each module shares a single QEMU (booting two Debian zones takes a while under TCG); tests that
change zone state are ordered last in their module, and the power tests have a module (so a
machine) of their own. The machine is powered off / killed at teardown, and the whole log is
checked for a hypervisor PANIC (and for a guest kernel panic or oops).
"""

import pytest

from hvlinux import start_machine
from hvsys import target_build


@pytest.fixture(scope="session")
def linux_build(target):
    """The linux configuration on the target, built once per session (make is incremental):
    (image, QEMU argv)."""
    return target_build(target, "linux")


@pytest.fixture(scope="module")
def machine(linux_build, target, tmp_path_factory, request):
    """A booted machine: all three zones at their shells, linux0 focused."""
    name = request.module.__name__.rsplit(".", 1)[-1]
    log = tmp_path_factory.mktemp("linux-zones") / ("%s-%s.log" % (name, target))
    m = start_machine(log, argv=linux_build[1])
    yield m
    m.close()
    crashes = m.crashes()
    assert not crashes, "crash in the log (%s):\n%s" % (
        log, "\n---\n".join(c.decode("latin-1") for c in crashes))
