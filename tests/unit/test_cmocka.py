"""Run every cmocka unit-test binary (build/unit/test_*) as one pytest test each.

The list comes from the sources (tests/unit/test_*.c), so a test whose binary is missing or does
not build fails instead of silently disappearing. `make -k unit-build` runs once per session
(tests/conftest.py).
"""
import glob
import os

import pytest

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
UNIT_DIR = os.path.join(ROOT, "tests", "unit")
BIN_DIR = os.path.join(ROOT, "build", "unit")
NAMES = sorted(
    os.path.splitext(os.path.basename(p))[0] for p in glob.glob(os.path.join(UNIT_DIR, "test_*.c"))
)
TIMEOUT = 300


def test_sources_found():
    assert NAMES, "no tests/unit/test_*.c found"


@pytest.mark.parametrize("name", NAMES)
def test_cmocka(name, unit_build, built, run_binary):
    binary = built(os.path.join(BIN_DIR, name), unit_build, "unit-build")
    run = run_binary(name, [binary], TIMEOUT)
    if run.returncode != 0:
        pytest.fail(f"{name} exited with status {run.returncode}:\n{run.stdout}", pytrace=False)
