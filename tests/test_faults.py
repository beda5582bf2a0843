"""SIGKILL at random moments of a full run, an incremental update and a prune: each leaves the
previous version whole (every history row, every value) and the kept statistics consistent with
it: after the kills, an incremental run publishes exactly what a full recompute does."""

from __future__ import annotations

import os
import random
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import polars as pl
import pytest
from conftest import ingest_one

from analytics.config import settings_from_mapping
from analytics.context import Tradelens
from analytics.sample_data import write_sample_data

SETTINGS = settings_from_mapping({"score_threshold": 0.5, "min_samples": 10})
VIEWS = {
    "counterfactuals": ["decision_id"],
    "timing_grid": ["entry_delay_min", "hold_min", "population"],
    "weight_grid": ["component", "variation"],
    "sizing_grid": ["bucket", "multiplier"],
    "learned_state": ["kind", "name"],
}


def snapshot(lens: Tradelens) -> dict[str, pl.DataFrame]:
    """Every row of every version in history, and of latest."""
    out = {}
    for view, keys in VIEWS.items():
        for schema in ("history", "latest"):
            columns, rows = lens.sql(f"SELECT * FROM {schema}.{view}")
            out[f"{schema}.{view}"] = pl.DataFrame(rows, schema=columns, orient="row").sort(
                ["run_id", *keys]
            )
    return out


def same(a: dict, b: dict) -> bool:
    return a.keys() == b.keys() and all(a[k].equals(b[k], null_equal=True) for k in a)


def kill_at_random(args: list[str], warehouse: Path, seconds: float, rng: random.Random) -> bool:
    """Start `tradelens ARGS` and SIGKILL it at a random moment of its expected `seconds`;
    False when it finished first (nothing to check then but that it finished cleanly)."""
    env = {**os.environ, "TRADELENS_WAREHOUSE": str(warehouse)}
    env.pop("TRADELENS_FAIL_COMPONENT", None)
    proc = subprocess.Popen([sys.executable, "-m", "analytics", *args], env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)  # fmt: skip
    time.sleep(rng.uniform(0.15, 0.95) * seconds)
    if proc.poll() is not None:
        return False
    proc.send_signal(signal.SIGKILL)
    assert proc.wait(timeout=30) == -signal.SIGKILL
    return True


@pytest.mark.slow
def test_sigkill_leaves_the_version_whole_and_the_statistics_consistent(warehouse, tmp_path):
    rng = random.Random(20261201)
    files = write_sample_data(tmp_path / "sample", symbols=3, days=24, decisions=12000)
    bars = pl.read_parquet(files.prices).sort("ts")
    cuts = [bars["ts"][int(bars.height * share)] for share in (0.8, 0.9)]
    bars.filter(pl.col("ts") < cuts[0]).write_parquet(tmp_path / "bars_1.parquet")
    bars.filter(pl.col("ts").is_between(*cuts, closed="left")).write_parquet(
        tmp_path / "bars_2.parquet"
    )
    bars.filter(pl.col("ts") >= cuts[1]).write_parquet(tmp_path / "bars_3.parquet")
    lens = Tradelens(warehouse, SETTINGS)
    with lens.session():
        ingest_one(lens, "prices", tmp_path / "bars_1.parquet")
        ingest_one(lens, "trades", files.trades)
        ingest_one(lens, "blocked", files.blocked)
        first = lens.run()
    assert first.published and first.seconds > 0.5, "too little work to be killed mid-way"
    killed = 0
    for attempt in range(3):  # a full recompute, killed at random moments
        whole = snapshot(lens)
        if kill_at_random(["run", "--full"], warehouse, first.seconds + 1.5, rng):
            killed += 1
            assert same(snapshot(lens), whole), f"full run killed (attempt {attempt})"
    with lens.session():
        ingest_one(lens, "prices", tmp_path / "bars_2.parquet")  # new bars resolve outcomes
    for attempt in range(3):  # the incremental update they start, killed
        whole = snapshot(lens)
        if kill_at_random(["run"], warehouse, first.seconds + 1.5, rng):
            killed += 1
            assert same(snapshot(lens), whole), f"incremental run killed (attempt {attempt})"
    with lens.session():
        for _ in range(3):  # more versions, so a prune has something to remove
            lens.run(full=True)
    for attempt in range(3):
        whole = snapshot(lens)
        done = not kill_at_random(["prune", "--keep", "2"], warehouse, 1.2, rng)
        after = snapshot(lens)
        if done:  # it finished before the kill: all of it happened, latest untouched
            assert all(after[f"latest.{v}"].equals(whole[f"latest.{v}"], null_equal=True)
                       for v in VIEWS)  # fmt: skip
            break
        assert same(after, whole), f"prune killed (attempt {attempt})"
    assert killed >= 4, "too few kills landed mid-way to mean anything"

    # the statistics kept through all that match the store: with new bars, an incremental run
    # publishes what a full recompute does
    with lens.session():
        ingest_one(lens, "prices", tmp_path / "bars_3.parquet")
    twin = tmp_path / "twin.duckdb"
    shutil.copy(warehouse, twin)
    incremental = lens.run()
    full = Tradelens(twin, SETTINGS).run(full=True)
    assert incremental.published and full.published
    mine, theirs = snapshot(lens), snapshot(Tradelens(twin, SETTINGS))
    for view in VIEWS:
        a = mine[f"latest.{view}"].drop("run_id")
        b = theirs[f"latest.{view}"].drop("run_id")
        assert a.equals(b, null_equal=True), view
