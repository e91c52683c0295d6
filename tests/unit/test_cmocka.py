"""Run every cmocka unit-test binary (build/unit/test_*) as one pytest test each.

The list comes from the sources (tests/unit/test_*.c), so a test whose binary is missing or does
not build fails instead of silently disappearing. `make unit-build` runs once per session.
"""
import glob
import os
import subprocess

import pytest

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
UNIT_DIR = os.path.join(ROOT, "tests", "unit")
BIN_DIR = os.path.join(ROOT, "build", "unit")
NAMES = sorted(
    os.path.splitext(os.path.basename(p))[0] for p in glob.glob(os.path.join(UNIT_DIR, "test_*.c"))
)
TIMEOUT = 300


def _make(*targets):
    return subprocess.run(
        ["make", "--no-print-directory", *targets],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        timeout=TIMEOUT,
    )


@pytest.fixture(scope="session")
def unit_build():
    # -k: one test file that does not compile must not take the other binaries down with it.
    return _make("-k", "unit-build")


def test_sources_found():
    assert NAMES, "no tests/unit/test_*.c found"


@pytest.mark.parametrize("name", NAMES)
def test_cmocka(name, unit_build):
    binary = os.path.join(BIN_DIR, name)
    if unit_build.returncode != 0:
        # Attribute the failure: rebuild just this binary and show its own errors.
        own = _make(os.path.relpath(binary, ROOT))
        if own.returncode != 0:
            pytest.fail(f"building {name} failed:\n{own.stdout}", pytrace=False)
    if not os.path.isfile(binary):
        pytest.fail(f"{binary} missing after make unit-build:\n{unit_build.stdout}", pytrace=False)
    try:
        run = subprocess.run(
            [binary],
            cwd=ROOT,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            errors="replace",
            timeout=TIMEOUT,
        )
    except subprocess.TimeoutExpired as e:
        out = e.stdout.decode(errors="replace") if isinstance(e.stdout, bytes) else (e.stdout or "")
        pytest.fail(f"{name} timed out after {TIMEOUT}s:\n{out}", pytrace=False)
    if run.returncode != 0:
        pytest.fail(f"{name} exited with status {run.returncode}:\n{run.stdout}", pytrace=False)
