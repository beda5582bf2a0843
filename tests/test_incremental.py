"""Incremental recompute (issue 7): reusing stored outcomes gives exactly what a full recompute
gives, after a sequence of ingests that adds bars, decisions and a late correction."""

from __future__ import annotations

import json
import math
import shutil
from pathlib import Path

import polars as pl
import pytest
from conftest import ingest_one

from analytics.config import settings_from_mapping
from analytics.context import Tradelens
from analytics.sample_data import write_sample_data

SETTINGS = settings_from_mapping(
    {"score_threshold": 0.5, "min_samples": 5, "bootstrap_samples": 200}
)
COMPARED = {
    "latest.counterfactuals": ["decision_id"],
    "latest.timing_grid": ["entry_delay_min", "hold_min", "population"],
    "latest.timing_outcomes": ["decision_id", "entry_delay_min", "hold_min"],
    "latest.weight_grid": ["component", "variation"],
    "latest.sizing_grid": ["bucket", "multiplier"],
    "latest.learned_state": ["kind", "name"],
}


@pytest.fixture(scope="module")
def batches(tmp_path_factory: pytest.TempPathFactory) -> list[list[tuple[str, Path]]]:
    """Input files in arrival order: bars in three slices, decisions in two, then a file that
    corrects three bars from the first day."""
    root = tmp_path_factory.mktemp("incremental")
    files = write_sample_data(root / "sample", seed=3, symbols=2, days=4, decisions=400)
    bars = pl.read_parquet(files.prices).sort("symbol", "ts")
    cut1, cut2 = bars["ts"].quantile(0.5), bars["ts"].quantile(0.8)
    slices = [
        bars.filter(pl.col("ts") < cut1),
        bars.filter((pl.col("ts") >= cut1) & (pl.col("ts") < cut2)),
        bars.filter(pl.col("ts") >= cut2),
    ]
    first_day = bars.filter(pl.col("ts") < bars["ts"].min() + pl.duration(hours=20))
    correction = first_day.sample(3, seed=1).with_columns(pl.col("close") * 1.01)
    paths = []
    for i, frame in enumerate([*slices, correction]):
        path = root / f"bars_{i}.parquet"
        frame.write_parquet(path)
        paths.append(path)
    trades = files.trades.read_text().splitlines(keepends=True)
    blocked = files.blocked.read_text().splitlines(keepends=True)
    halves = []
    for name, lines in (("trades", trades), ("blocked", blocked)):
        first, second = root / f"{name}_0.jsonl", root / f"{name}_1.jsonl"
        first.write_text("".join(lines[: len(lines) // 2]))
        second.write_text("".join(lines[len(lines) // 2 :]))
        halves.append((name, first, second))
    (t_name, t0, t1), (b_name, b0, b1) = halves
    return [
        [("prices", paths[0]), (t_name, t0), (b_name, b0)],
        [("prices", paths[1])],
        [(t_name, t1), (b_name, b1), ("prices", paths[2])],
        [("prices", paths[3])],
    ]


def _run_sequence(path: Path, batches, full: bool) -> list[dict]:
    snapshots = []
    lens = Tradelens(path, SETTINGS)
    with lens.session():
        for batch in batches:
            for kind, file in batch:
                ingest_one(lens, kind, file, interval="1m")
            result = lens.run(full=full)
            assert result.status == "success", result.error
            snapshots.append(_latest(lens))
            [run] = lens.rows("SELECT watermark FROM runs WHERE run_id = ?", [result.run_id])
            snapshots[-1]["watermark"] = json.loads(run["watermark"])
    return snapshots


def _latest(lens: Tradelens) -> dict[str, pl.DataFrame]:
    with lens.warehouse() as wh:
        return {
            view: wh.frame(f"SELECT * EXCLUDE (run_id) FROM {view}").sort(keys)
            for view, keys in COMPARED.items()
        }


def _assert_same(a: pl.DataFrame, b: pl.DataFrame, view: str) -> None:
    assert a.columns == b.columns and a.height == b.height, view
    for column in a.columns:
        for x, y in zip(a[column].to_list(), b[column].to_list(), strict=True):
            if isinstance(x, float) and isinstance(y, float):
                assert math.isclose(x, y, rel_tol=1e-9, abs_tol=1e-12), (view, column, x, y)
            else:
                assert x == y, (view, column, x, y)


@pytest.mark.slow
def test_incremental_runs_equal_full_runs(batches, tmp_path: Path, migrated_template: Path):
    incremental_wh, full_wh = tmp_path / "inc.duckdb", tmp_path / "full.duckdb"
    shutil.copy(migrated_template, incremental_wh)
    shutil.copy(migrated_template, full_wh)
    incremental = _run_sequence(incremental_wh, batches, full=False)
    full = _run_sequence(full_wh, batches, full=True)
    for step, (inc, ful) in enumerate(zip(incremental, full, strict=True)):
        for view in COMPARED:
            _assert_same(inc[view], ful[view], f"step {step}: {view}")
    # the incremental runs did reuse work, and the full ones did not
    assert all(s["watermark"]["full_recompute"] for s in full)
    assert not any(s["watermark"]["full_recompute"] for s in incremental[1:])
    assert all(s["watermark"]["outcomes_reused"] > 0 for s in incremental[1:])
    # the late correction of three first-day bars replays only what they touch
    last = incremental[-1]["watermark"]
    assert 0 < last["outcomes_replayed"] < last["outcomes_reused"]


def test_config_change_recomputes_everything(batches, warehouse: Path):
    lens = Tradelens(warehouse, SETTINGS)
    with lens.session():
        for kind, file in batches[0]:
            ingest_one(lens, kind, file, interval="1m")
        lens.run()
        again = lens.run()
    fees = Tradelens(warehouse, settings_from_mapping({**_mapping(SETTINGS), "fee_bps": 5.0})).run()
    marks = {
        r["run_id"]: json.loads(r["watermark"])
        for r in lens.rows("SELECT run_id, watermark FROM runs")
    }
    assert marks[again.run_id]["outcomes_replayed"] < marks[again.run_id]["outcomes_reused"]
    assert marks[fees.run_id]["full_recompute"] is True
    assert marks[fees.run_id]["outcomes_reused"] == 0


def _mapping(settings) -> dict:
    return {"score_threshold": 0.5, "min_samples": 5, "bootstrap_samples": 200}
