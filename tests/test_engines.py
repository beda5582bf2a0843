"""Choosing an engine: Spark without its extra is one line naming the pip command, before any of
Spark's modules is imported and before anything is computed."""

from __future__ import annotations

import importlib.util
import json
import subprocess
import sys
from pathlib import Path

from conftest import tradelens


def test_spark_without_its_extra_is_one_line_and_no_run_is_published(
    warehouse: Path, tmp_path: Path
) -> None:
    # A sitecustomize that hides both of the extra's modules, as on an install without
    # tradelens[spark]: the same message whether or not this venv has them.
    hide = tmp_path / "hide"
    hide.mkdir()
    (hide / "sitecustomize.py").write_text(
        "import importlib.util, sys\n"
        "hidden = ('pyspark', 'sqlglot')\n"
        "real = importlib.util.find_spec\n"
        "importlib.util.find_spec = lambda n, *a: None if n in hidden else real(n, *a)\n"
        "sys.modules.update(dict.fromkeys(hidden))\n"
    )
    result = tradelens(
        "run", warehouse=warehouse, env={"TRADELENS_ENGINE": "spark", "PYTHONPATH": str(hide)}
    )
    assert result.returncode == 1
    assert result.stderr.strip().splitlines() == [
        "Error: engine 'spark' needs pyspark and sqlglot, which are not installed: "
        "pip install 'tradelens[spark]'"
    ]
    runs = tradelens("sql", "select status, published from runs", "--format", "json",
                     warehouse=warehouse)  # fmt: skip
    assert json.loads(runs.stdout) == [{"status": "failed", "published": False}]


def test_the_spark_modules_are_not_imported_by_a_duckdb_run(warehouse: Path) -> None:
    code = (
        "import sys; from analytics import Tradelens; "
        f"Tradelens({str(warehouse)!r}).run(); "
        "print(sorted(m for m in ('pyspark', 'sqlglot') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
    assert importlib.util.find_spec("analytics.engines.spark") is not None
