"""The conformance cases (tests/fixtures/conformance: copies of the shared cases), run as a user
would: `tradelens init/ingest/run/evaluate` in a fresh warehouse, then every published figure
compared with the expected files computed by an independent implementation of the SPEC."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from conftest import CONFORMANCE

TRADELENS = Path(sys.executable).parent / "tradelens"


def check(case: str, tmp_path: Path) -> subprocess.CompletedProcess:
    env = {"TMPDIR": str(tmp_path), "PATH": str(TRADELENS.parent)}
    return subprocess.run(
        [sys.executable, str(CONFORMANCE / "compare_case.py"), str(CONFORMANCE / case),
         str(TRADELENS)],
        capture_output=True, text=True, env=env, timeout=900,
    )  # fmt: skip


@pytest.mark.slow
def test_case1_every_figure_of_spec_sections_5_to_9(tmp_path: Path):
    result = check("case1", tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.count(": ok") == 5, result.stdout


@pytest.mark.slow
def test_case2_significance_recency_and_walk_forward(tmp_path: Path):
    result = check("case2", tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.count(": ok") == 9, result.stdout  # case1's parts, then §13 and §16
