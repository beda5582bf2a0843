"""The conformance case as a warehouse with two published versions, built once per session
through the same public functions `tradelens ingest` and `tradelens run` call.

Tests of the outputs only read it (exports and reports open it read-only), so they share it.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from conftest import CONFORMANCE_CASE, ingest_one

from analytics.config import load_settings
from analytics.context import Tradelens

RUNS = 2
_BUILT: dict[Path, Path] = {}  # one build per session, whichever test module asks first


def build_case_warehouse(path: Path, runs: int = RUNS) -> Path:
    """Ingest case1 (5-minute bars stamped at their open) and publish `runs` versions."""
    lens = Tradelens(path, load_settings(CONFORMANCE_CASE / "tradelens.toml"))
    with lens.session():
        ingest_one(lens, "prices", CONFORMANCE_CASE / "prices.csv", bar_time="open",
                   interval="5m")  # fmt: skip
        ingest_one(lens, "trades", CONFORMANCE_CASE / "trades.jsonl")
        ingest_one(lens, "blocked", CONFORMANCE_CASE / "blocked.jsonl")
        for _ in range(runs):
            assert lens.run(full=True).published
        lens.evaluate()  # the walk-forward of SPEC §16, with the case's settings
    return path


@pytest.fixture(scope="session", name="case_warehouse")
def case_warehouse_fixture(
    migrated_template: Path, tmp_path_factory: pytest.TempPathFactory
) -> Path:
    """The conformance case after two runs; tests must not write to it."""
    session = tmp_path_factory.getbasetemp()
    if session not in _BUILT:
        path = tmp_path_factory.mktemp("case") / "tradelens.duckdb"
        shutil.copy(migrated_template, path)
        _BUILT[session] = build_case_warehouse(path)
    return _BUILT[session]
