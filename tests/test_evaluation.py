"""SPEC §16, the walk-forward evaluation: its boundaries, no look-ahead (data cut at T gives the
same steps up to T and the same periods whose outcomes were known by T), one-line errors, and an
interrupted evaluation that leaves the previous one latest."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from datetime import datetime, timedelta
from pathlib import Path

import polars as pl
import pytest
from conftest import ingest_one, tradelens, write_jsonl

from analytics.config import settings_from_mapping
from analytics.context import Tradelens
from analytics.sample_data import write_sample_data

EVALUATE = {"score_threshold": 0.5, "min_samples": 10, "bootstrap_samples": 100,
            "half_life_days": 3, "evaluate_every": "1d", "evaluate_warmup_days": 2}  # fmt: skip
STEP_COLUMNS = ["boundary", "kind", "name", "before", "best", "after", "n", "significant",
                "applied", "p_value", "gain", "gain_lo", "gain_hi", "note"]  # fmt: skip


@pytest.fixture(scope="module")
def sample(tmp_path_factory: pytest.TempPathFactory):
    root = tmp_path_factory.mktemp("walk")
    return write_sample_data(root / "inputs", seed=5, symbols=2, days=8, decisions=900)


def load(lens: Tradelens, files) -> None:
    with lens.session():
        ingest_one(lens, "prices", files.prices, bar_time="open", interval="1m")
        ingest_one(lens, "trades", files.trades)
        ingest_one(lens, "blocked", files.blocked)


def test_boundaries_start_after_the_warm_up_at_midnight_and_end_by_the_last_bar(
    warehouse, tmp_path
):
    """Decisions from 2025-01-06 10:00, warm-up 2 days: t_0 = the first midnight at or after
    2025-01-08 10:00 = 2025-01-09; bars until 2025-01-11 12:00: boundaries the 9th, 10th, 11th."""
    t = datetime(2025, 1, 6, 10)
    bars = [{"symbol": "AAA", "ts": (t + timedelta(hours=h)).isoformat(), "open": 1, "high": 1,
             "low": 1, "close": 100.0 + h % 3, "volume": 1} for h in range(0, 123)]  # fmt: skip
    decisions = [{"decision_id": f"b{i}", "ts": (t + timedelta(hours=6 * i)).isoformat(),
                  "symbol": "AAA", "direction": "long", "entry_score": 0.0,
                  "components": {"a": 1.0}, "reason": "score_below_threshold"}
                 for i in range(18)]  # fmt: skip
    lens = Tradelens(warehouse, settings_from_mapping(EVALUATE | {"min_samples": 1}))
    with lens.session():
        ingest_one(lens, "prices", write_jsonl(tmp_path / "p.jsonl", bars), bar_time="close",
                   interval="1h")  # fmt: skip
        ingest_one(lens, "blocked", write_jsonl(tmp_path / "b.jsonl", decisions))
        result = lens.evaluate()
        boundaries = lens.rows("SELECT DISTINCT boundary FROM latest.evaluation_periods ORDER BY 1")
        row = lens.rows("SELECT * FROM evaluations")[0]
    assert [r["boundary"] for r in boundaries] == [datetime(2025, 1, d) for d in (9, 10, 11)]
    assert result.boundaries == 3 and row["status"] == "success"
    assert row["first_boundary"] == datetime(2025, 1, 9) and row["end_at"] is None


@pytest.mark.slow
def test_no_look_ahead_data_cut_at_t_gives_the_same_steps_and_known_periods(
    migrated_template, tmp_path, sample
):
    cut_at = datetime(2025, 1, 11)  # the 4th boundary (t_0 = 2025-01-08)
    full = Tradelens(tmp_path / "full.duckdb", settings_from_mapping(EVALUATE))
    cut = Tradelens(tmp_path / "cut.duckdb", settings_from_mapping(EVALUATE))
    for lens in (full, cut):
        lens.path.write_bytes(migrated_template.read_bytes())
    load(full, sample)
    load(cut, cut_files(sample, cut_at, tmp_path / "cut"))
    full.evaluate()
    cut.evaluate()

    def steps(lens):
        return pl.DataFrame(lens.rows(
            "SELECT * EXCLUDE (evaluation_id) FROM latest.evaluation_steps WHERE boundary <= ? "
            "ORDER BY boundary, kind, name", [cut_at]))  # fmt: skip

    assert steps(cut).height > 0
    assert steps(cut).equals(steps(full))
    # periods whose scored outcomes were all resolved in the cut data are scored the same
    known = cut.rows(
        "SELECT boundary FROM latest.evaluation_periods GROUP BY boundary "
        "HAVING max(n_unresolved) = 0 AND sum(n) > 0"
    )
    assert known, "no period was fully known by the cut"
    for r in known:
        query = ("SELECT * EXCLUDE (evaluation_id) FROM latest.evaluation_periods "
                 "WHERE boundary = ? ORDER BY kind, policy")  # fmt: skip
        assert cut.rows(query, [r["boundary"]]) == full.rows(query, [r["boundary"]])


def cut_files(files, cut_at: datetime, folder: Path):
    """The data as it was known at `cut_at`: decisions decided by then (a trade exiting later is
    open: no exit, no pnl), bars whose close was known by then (1-minute bars stamped at open)."""
    folder.mkdir()
    bars = pl.read_parquet(files.prices)
    known = pl.col("ts").dt.replace_time_zone(None) + pl.duration(minutes=1) <= cut_at
    bars = bars.filter(known)
    bars.write_parquet(folder / "prices.parquet")
    out = {}
    for kind, path in (("trades", files.trades), ("blocked", files.blocked)):
        kept = []
        for line in path.read_text().splitlines():
            record = json.loads(line)
            if _instant(record["ts"]) > cut_at:
                continue
            if "exit_ts" in record and _instant(record["exit_ts"]) > cut_at:
                for field in ("exit_ts", "exit_price", "pnl"):
                    record.pop(field, None)
            kept.append(record)
        out[kind] = write_jsonl(folder / f"{kind}.jsonl", kept)
    return type(files)(prices=folder / "prices.parquet", trades=out["trades"],
                       blocked=out["blocked"])  # fmt: skip


def _instant(value) -> datetime:
    """A logged time (ISO text, or epoch seconds / milliseconds as SPEC §2 reads them)."""
    if isinstance(value, int | float):
        seconds = value / 1000 if value > 1e11 else value
        return datetime(1970, 1, 1) + timedelta(seconds=seconds)
    return datetime.fromisoformat(value.replace("Z", "+00:00")).replace(tzinfo=None)


def test_nothing_to_evaluate_is_one_line_and_records_nothing(warehouse, tmp_path):
    empty = tradelens("evaluate", warehouse=warehouse)
    assert empty.returncode == 1
    assert empty.stderr.strip().splitlines() == [
        "Error: no decisions to evaluate: ingest the bot's trades and blocked trades first"
    ]
    t = datetime(2025, 1, 6, 10)
    lens = Tradelens(warehouse)
    with lens.session():
        bars = [{"symbol": "AAA", "ts": (t + timedelta(hours=h)).isoformat(), "open": 1,
                 "high": 1, "low": 1, "close": 100.0, "volume": 1} for h in range(30)]  # fmt: skip
        ingest_one(lens, "prices", write_jsonl(tmp_path / "p.jsonl", bars), bar_time="close",
                   interval="1h")  # fmt: skip
        decision = {"decision_id": "b", "ts": t.isoformat(), "symbol": "AAA", "direction": 1,
                    "entry_score": 0.0, "components": {}, "reason": "cooldown"}  # fmt: skip
        ingest_one(lens, "blocked", write_jsonl(tmp_path / "b.jsonl", [decision]))
    short = tradelens("evaluate", warehouse=warehouse)  # 30 hours of data, 7 days of warm-up
    assert short.returncode == 1
    [line] = short.stderr.strip().splitlines()
    assert line.startswith("Error: nothing to evaluate: the first boundary (2025-01-14T00:00:00Z")
    assert "use --start, --end or a shorter evaluate_warmup_days" in line
    bad_date = tradelens("evaluate", "--start", "2025-02-30", warehouse=warehouse)
    assert bad_date.stderr.strip().splitlines() == [
        "Error: --start '2025-02-30' is not a date: use YYYY-MM-DD"
    ]
    config = tmp_path / "bad.toml"
    config.write_text('evaluate_every = "1w"\n')
    bad_step = tradelens("evaluate", "--config", str(config), warehouse=warehouse)
    assert bad_step.stderr.strip().splitlines() == [
        f"Error: {config}: key 'evaluate_every' must be a whole number and m, h or d, e.g. 1d "
        "or 6h, not '1w'"
    ]
    assert lens.rows("SELECT count(*) AS n FROM evaluations") == [{"n": 0}]
    explicit = tradelens("evaluate", "--start", "2025-01-06", "--end", "2025-01-07",
                         warehouse=warehouse)  # fmt: skip
    assert explicit.returncode == 0, explicit.stderr
    assert "evaluation 1: 2 boundaries" in explicit.stdout


@pytest.mark.slow
def test_an_interrupted_evaluation_leaves_the_previous_one_latest(
    migrated_template, tmp_path, sample
):
    path = tmp_path / "w.duckdb"
    path.write_bytes(migrated_template.read_bytes())
    lens = Tradelens(path, settings_from_mapping(EVALUATE | {"evaluate_every": "2h"}))
    load(lens, sample)
    first = lens.evaluate()
    summary = lens.rows("SELECT * FROM latest.evaluation_summary ORDER BY ALL")
    config = tmp_path / "t.toml"
    config.write_text("".join(f"{k} = {json.dumps(v)}\n" for k, v in EVALUATE.items())
                      .replace('"1d"', '"2h"'))  # fmt: skip
    env = {**os.environ, "TRADELENS_WAREHOUSE": str(path)}
    for kill in (signal.SIGTERM, signal.SIGKILL):
        proc = subprocess.Popen([sys.executable, "-m", "analytics", "evaluate", "--config",
                                 str(config)], env=env, stdout=subprocess.DEVNULL,
                                stderr=subprocess.DEVNULL)  # fmt: skip
        time.sleep(max(first.seconds / 3, 1.0))
        assert proc.poll() is None, "the evaluation finished before it could be interrupted"
        proc.send_signal(kill)
        proc.wait(timeout=60)
        assert lens.rows("SELECT * FROM latest.evaluation_summary ORDER BY ALL") == summary
    statuses = [r["status"] for r in lens.rows("SELECT status FROM evaluations ORDER BY 1")]
    assert statuses.count("success") == 1 and len(statuses) == 3
    again = lens.evaluate()
    assert again.evaluation_id == 4
    final = [
        r["status"] for r in lens.rows("SELECT status FROM evaluations ORDER BY evaluation_id")
    ]
    assert final[0] == "success" and final[-1] == "success"
    assert "running" not in final  # the killed one is marked failed by the next evaluation


def test_the_walk_outside_the_write_window_stores_what_evaluate_stores(
    migrated_template, tmp_path, sample
):
    """The service's walk (read-only, then a short write) publishes the same rows as
    `evaluate`; one stopped mid-way is recorded `aborted` and leaves the previous latest."""
    path = tmp_path / "w.duckdb"
    path.write_bytes(migrated_template.read_bytes())
    lens = Tradelens(path, settings_from_mapping(EVALUATE))
    load(lens, sample)
    first = lens.evaluate()
    outside = lens.evaluate_outside_write_window(trigger="serve")
    assert outside.evaluation_id == first.evaluation_id + 1
    for table in ("evaluation_steps", "evaluation_periods", "evaluation_summary"):
        rows = [lens.rows(f"SELECT * EXCLUDE (evaluation_id) FROM history.{table} "
                          f"WHERE evaluation_id = {e} ORDER BY ALL")
                for e in (first.evaluation_id, outside.evaluation_id)]  # fmt: skip
        assert rows[0] == rows[1] and rows[0], table
    latest = lens.rows("SELECT * FROM latest.evaluation_summary ORDER BY ALL")
    boundaries = []
    with pytest.raises(KeyboardInterrupt):
        lens.evaluate_outside_write_window(
            trigger="serve",
            on_progress=lambda done, total: boundaries.append(done),
            should_stop=lambda: len(boundaries) >= 2,
        )
    assert lens.rows("SELECT * FROM latest.evaluation_summary ORDER BY ALL") == latest
    last = lens.rows("SELECT trigger, status, as_of, error FROM evaluations "
                     "ORDER BY evaluation_id DESC LIMIT 2")  # fmt: skip
    bar = lens.rows("SELECT max(available_at) AS t FROM raw.prices")[0]["t"]
    assert last[0] == {"trigger": "serve", "status": "aborted", "as_of": bar,
                       "error": "KeyboardInterrupt: stop requested"}  # fmt: skip
    assert (last[1]["trigger"], last[1]["status"], last[1]["as_of"]) == ("serve", "success", bar)


def test_the_daily_evaluation_is_due_on_a_new_day_of_data_and_not_again_after_a_failure(
    migrated_template, tmp_path, sample
):
    """SPEC §19: due with no evaluation; not on the day one finished (successful or failed),
    unless the settings differ; due again once a bar of the next UTC day arrives."""
    path = tmp_path / "w.duckdb"
    path.write_bytes(migrated_template.read_bytes())
    lens = Tradelens(path, settings_from_mapping(EVALUATE))
    load(lens, sample)
    assert lens.evaluation_due()
    lens.evaluate()  # by hand (trigger cli): not the service's daily one
    assert lens.evaluation_due()
    lens.evaluate_outside_write_window(trigger="serve")
    assert not lens.evaluation_due()
    assert Tradelens(path, settings_from_mapping(EVALUATE | {"min_samples": 11})).evaluation_due()
    with pytest.raises(KeyboardInterrupt):  # stopped mid-way: tried again next cycle
        lens.evaluate_outside_write_window(trigger="serve", should_stop=lambda: True)
    assert not lens.evaluation_due()  # the successful one of today still counts
    last_bar = lens.rows("SELECT max(available_at) AS t, any_value(symbol) AS symbol "
                         "FROM raw.prices")[0]  # fmt: skip
    next_day = datetime.combine(last_bar["t"].date() + timedelta(days=1), datetime.min.time())
    bar = {"symbol": last_bar["symbol"], "ts": next_day.isoformat(), "open": 1.0, "high": 1.0,
           "low": 1.0, "close": 1.0, "volume": 1.0}  # fmt: skip
    ingest_one(lens, "prices", write_jsonl(tmp_path / "p.jsonl", [bar]), bar_time="open",
               interval="1m")  # fmt: skip
    assert lens.evaluation_due()
    with lens.warehouse(write=True) as warehouse:  # a failed attempt on this day of data
        warehouse.execute(
            "INSERT INTO evaluations (evaluation_id, started_at, status, config, first_boundary, "
            "boundaries, trigger, as_of) SELECT max(evaluation_id) + 1, now(), 'failed', ?, "
            "min(first_boundary), 1, 'serve', (SELECT max(available_at) FROM raw.prices) "
            "FROM evaluations",
            [lens.settings.as_json()],
        )
    assert not lens.evaluation_due()
