"""Shared by the host-side collections (tests/unit, tests/fuzz): their binaries come from make.

`unit_build` and `fuzz_build` run `make -k unit-build` / `make -k fuzz-build` once per session
(-k: one binary that does not compile must not take the others down with it); `built` turns
such a run into the path of one binary, or into a failure that shows that binary's own errors;
`run_binary` runs one, failing the test (with the output so far) when it times out.
"""
import os
import subprocess

import pytest

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), ".."))
BUILD_TIMEOUT = 600


def _make(*targets):
    return subprocess.run(
        ["make", "--no-print-directory", *targets],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        timeout=BUILD_TIMEOUT,
    )


@pytest.fixture(scope="session")
def unit_build():
    return _make("-k", "unit-build")


@pytest.fixture(scope="session")
def fuzz_build():
    return _make("-k", "fuzz-build")


@pytest.fixture(scope="session")
def built():
    def binary(path, build, step):
        if build.returncode != 0:
            # Attribute the failure: rebuild just this binary and show its own errors.
            own = _make(os.path.relpath(path, ROOT))
            if own.returncode != 0:
                pytest.fail(f"building {os.path.basename(path)} failed:\n{own.stdout}",
                            pytrace=False)
        if not os.path.isfile(path):
            pytest.fail(f"{path} missing after make {step}:\n{build.stdout}", pytrace=False)
        return path

    return binary


@pytest.fixture(scope="session")
def run_binary():
    def run(name, args, timeout):
        try:
            return subprocess.run(
                args,
                cwd=ROOT,
                stdout=subprocess.PIPE,
                stderr=subprocess.STDOUT,
                text=True,
                errors="replace",
                timeout=timeout,
            )
        except subprocess.TimeoutExpired as e:
            out = e.stdout
            out = out.decode(errors="replace") if isinstance(out, bytes) else (out or "")
            pytest.fail(f"{name} timed out after {timeout}s:\n{out[-6000:]}", pytrace=False)

    return run
