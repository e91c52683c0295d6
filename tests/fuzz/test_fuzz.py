"""Replay each libFuzzer target's committed corpus, then fuzz it briefly: one pytest test each.

The targets come from the sources (tests/fuzz/fuzz_*.c), so one whose binary is missing or does
not build fails instead of silently disappearing. `make test` builds them (fuzz-build) before
pytest runs; otherwise `make -k fuzz-build` runs once per session (tests/conftest.py).

FUZZ_TEST_TIME (seconds, default 20) sets how long each target fuzzes after the replay. What it
finds goes to a temporary directory and is thrown away (`make fuzz` is the way to grow the
corpus); a crash is kept as build/fuzz/crash-<target>-<hash> and named in the failure.
"""
import glob
import os

import pytest

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
FUZZ_DIR = os.path.join(ROOT, "tests", "fuzz")
BIN_DIR = os.path.join(ROOT, "build", "fuzz")
NAMES = sorted(
    os.path.splitext(os.path.basename(p))[0] for p in glob.glob(os.path.join(FUZZ_DIR, "fuzz_*.c"))
)
FUZZ_TIME = int(os.environ.get("FUZZ_TEST_TIME", "20"))


def test_sources_found():
    assert NAMES, "no tests/fuzz/fuzz_*.c found"


@pytest.mark.parametrize("name", NAMES)
def test_fuzz(name, fuzz_build, built, run_binary, tmp_path):
    binary = built(os.path.join(BIN_DIR, name), fuzz_build, "fuzz-build")
    corpus = os.path.join(FUZZ_DIR, "corpus", name)
    assert os.path.isdir(corpus) and os.listdir(corpus), f"no committed corpus in {corpus}"
    crash = os.path.join(BIN_DIR, f"crash-{name}-")
    common = ["-timeout=10", "-print_final_stats=1", f"-artifact_prefix={crash}"]
    # Every committed input, once: a regression in what the corpus covers fails here.
    replay = run_binary(name, [binary, "-runs=0", *common, corpus], 600)
    if replay.returncode != 0:
        pytest.fail(f"{name}: replaying {corpus} failed:\n{replay.stdout[-6000:]}", pytrace=False)
    # Then new inputs for a while, written to a scratch directory (the corpus stays read only).
    found = tmp_path / "found"
    found.mkdir()
    fuzz = run_binary(name, [binary, f"-max_total_time={FUZZ_TIME}", *common, str(found), corpus],
                FUZZ_TIME + 600)
    if fuzz.returncode != 0:
        pytest.fail(f"{name}: fuzzing for {FUZZ_TIME}s failed:\n{fuzz.stdout[-6000:]}",
                    pytrace=False)
