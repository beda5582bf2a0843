"""Shared fixtures: real DuckDB warehouses built by the migrations, and small input files."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from collections.abc import Iterable
from pathlib import Path

import pytest

from analytics.context import Tradelens
from analytics.ingest import IngestReport
from analytics.warehouse import init_warehouse

FIXTURES = Path(__file__).resolve().parent / "fixtures"
CONFORMANCE = FIXTURES / "conformance"
CONFORMANCE_CASE = CONFORMANCE / "case1"


@pytest.fixture(scope="session")
def migrated_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One warehouse built by the migrations; tests get copies of it (migrating is slow-ish)."""
    path = tmp_path_factory.mktemp("template") / "tradelens.duckdb"
    init_warehouse(path)
    return path


@pytest.fixture
def warehouse(migrated_template: Path, tmp_path: Path) -> Path:
    """A fresh, empty, fully migrated warehouse file of this test's own."""
    path = tmp_path / "tradelens.duckdb"
    shutil.copy(migrated_template, path)
    return path


def ingest_one(lens: Tradelens, kind: str, path: Path, **options) -> IngestReport:
    """Ingest one file through the entry object; the file must not be refused."""
    batch = lens.ingest(kind, [path], **options)
    assert not batch.failures, batch.failures
    return batch.reports[0]


def write_jsonl(path: Path, records: Iterable[dict]) -> Path:
    path.write_text("".join(json.dumps(r) + "\n" for r in records))
    return path


def write_csv(path: Path, header: list[str], rows: Iterable[Iterable]) -> Path:
    lines = [",".join(header)] + [",".join("" if v is None else str(v) for v in r) for r in rows]
    path.write_text("\n".join(lines) + "\n")
    return path


def tradelens(
    *args: str, warehouse: Path | None = None, cwd: Path | None = None, env: dict | None = None
) -> subprocess.CompletedProcess:
    """Run the real `tradelens` command in a subprocess, as a user would."""
    import os

    full_env = {**os.environ, **(env or {})}
    if warehouse is not None:
        full_env["TRADELENS_WAREHOUSE"] = str(warehouse)
    return subprocess.run(
        [sys.executable, "-m", "analytics", *args],
        capture_output=True,
        text=True,
        cwd=cwd,
        env=full_env,
        timeout=600,
    )
