"""SPEC §18: learning per day of data. A unit that steps moves r = 1 − (1 − learning_rate)^(Δ /
learning_period) of the way, Δ = the data time (greatest bar available_at) since its last
evaluation; a run whose data time did not move does not evaluate it. Checked here on runs every
six hours of bars: every published step against r computed by hand from the bars each run saw,
and the compounding that makes four quarter-day steps one day's step."""

from __future__ import annotations

from datetime import timedelta
from itertools import pairwise

import polars as pl
import pytest
from conftest import ingest_one

from analytics.config import settings_from_mapping
from analytics.context import Tradelens
from analytics.sample_data import write_sample_data

# every picked best steps (unguarded), from 10 outcomes up; a step per day of data
SETTINGS = {"score_threshold": 0.5, "min_samples": 10, "learning_policy": "unguarded",
            "objective": "weighted_pnl", "learning_rate": 0.2, "learning_period": "1d"}  # fmt: skip


def _rate(hours: float) -> float:
    return 1 - (1 - 0.2) ** (hours / 24)


@pytest.fixture(scope="module")
def quarter_day_runs(tmp_path_factory: pytest.TempPathFactory):
    """All decisions at once, then bars six hours at a time with a run after each chunk; the
    learned state of each run and the greatest available_at of the bars it saw."""
    root = tmp_path_factory.mktemp("period")
    files = write_sample_data(root / "inputs", seed=3, symbols=2, days=6, decisions=1200)
    bars = pl.read_parquet(files.prices).sort("ts")
    start = bars["ts"].min() + timedelta(days=2)
    lens = Tradelens(root / "w.duckdb", settings_from_mapping(SETTINGS))
    runs = []
    with lens.session():
        ingest_one(lens, "trades", files.trades)
        ingest_one(lens, "blocked", files.blocked)
        for i, cut in enumerate(start + timedelta(hours=6 * j) for j in range(8)):
            chunk = bars.filter(pl.col("ts") < cut) if i == 0 else bars.filter(
                (pl.col("ts") >= cut - timedelta(hours=6)) & (pl.col("ts") < cut))  # fmt: skip
            chunk.write_parquet(root / f"bars_{i}.parquet")
            ingest_one(lens, "prices", root / f"bars_{i}.parquet", bar_time="open",
                       interval="1m")  # fmt: skip
            result = lens.run()
            with lens.warehouse() as wh:
                as_of = wh.value("SELECT max(available_at) FROM raw.prices")
                state = wh.frame("SELECT * FROM latest.learned_state")
            runs.append((result.run_id, as_of, state))
    return runs


def test_every_step_moves_by_the_data_time_since_the_units_last_evaluation(quarter_day_runs):
    last_as_of: dict[str, object] = {}
    checked, quarter_days = 0, 0
    for run_id, as_of, state in quarter_day_runs:
        for row in state.iter_rows(named=True):
            kind = row["kind"]
            if row["applied"]:
                hours = 24.0 if kind not in last_as_of else (
                    (as_of - last_as_of[kind]).total_seconds() / 3600)  # fmt: skip
                r = _rate(hours)
                if kind == "weight":  # W·(1 + r·v), v = best/W − 1
                    expected = row["before"] * (1 + r * (row["best"] / row["before"] - 1))
                else:
                    expected = row["before"] + r * (row["best"] - row["before"])
                assert row["after"] == pytest.approx(expected, rel=1e-12), (run_id, row)
                checked += 1
                quarter_days += hours == pytest.approx(6)
            elif row["note"].startswith(("no new evidence", "no new data time")):
                assert row["after"] == row["before"]
        skipped = pl.col("note").str.starts_with("no new")  # evidence or data time unchanged
        for kind in set(state.filter(~skipped)["kind"]):
            last_as_of[kind] = as_of  # evaluated this run: Δ counts from here
    assert checked >= 10 and quarter_days >= 5  # steps six hours of data after the last one
    hours = [(b[1] - a[1]).total_seconds() / 3600 for a, b in pairwise(quarter_day_runs)]
    assert all(h == pytest.approx(6) for h in hours)  # six hours of data between runs


def test_four_quarter_day_steps_are_one_days_step():
    """(1 − r(6 h))^4 = (1 − 0.2)^(4·6/24) = 0.8: toward a fixed best, four steps a day leave
    the same share of the way as one step a day."""
    assert (1 - _rate(6)) ** 4 == pytest.approx(1 - 0.2, rel=1e-14)
    assert _rate(24) == pytest.approx(0.2, rel=1e-14)


def test_a_run_without_new_data_time_does_not_evaluate(tmp_path):
    """New decisions but no new bars: evidence moved, data time did not: nothing decided."""
    files = write_sample_data(tmp_path / "inputs", seed=4, symbols=2, days=4, decisions=600)
    lens = Tradelens(tmp_path / "w.duckdb", settings_from_mapping(SETTINGS))
    with lens.session():
        ingest_one(lens, "prices", files.prices, bar_time="open", interval="1m")
        ingest_one(lens, "blocked", files.blocked)
        first = lens.run()
        ingest_one(lens, "trades", files.trades)  # new evidence, same bars
        second = lens.run()
        with lens.warehouse() as wh:
            state = wh.rows("SELECT * FROM latest.learned_state")
    assert first.published and second.published
    for row in state:
        if row["kind"] == "multiplier":  # first seen with the trades: never evaluated, Δ = 1d
            if row["applied"]:
                assert row["after"] == pytest.approx(row["before"] + 0.2 * (row["best"] - 1.0))
            continue
        assert row["note"] == f"no new data time since run {first.run_id}", row
        assert (row["after"], row["applied"], row["p_value"]) == (row["before"], False, None)
    assert {r["kind"] for r in state} == {"weight", "multiplier", "timing"}
