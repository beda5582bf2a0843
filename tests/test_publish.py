"""Versions (SPEC §10): every run is logged, every version stays in history, latest is the newest
published one, and a failed, aborted or killed run never shows half of itself."""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from conftest import ingest_one, tradelens, write_jsonl

from analytics.config import settings_from_mapping
from analytics.context import Tradelens
from analytics.pipeline import FAULT_ENV, RunAborted

T0 = datetime(2025, 1, 6)
SETTINGS = settings_from_mapping({"objective": "weighted_pnl", "min_samples": 1,
                                  "require_significance": False})  # fmt: skip
# Versioned outputs: a copy per version in history.*. latest.timing_outcomes is not one of
# them: it reads the scenario store, which always matches the newest published version.
VERSIONED = ("counterfactuals", "timing_grid", "weight_grid", "sizing_grid", "learned_state")
LATEST = (*VERSIONED, "timing_outcomes", "run")


def bars(first: int, last: int) -> list[dict]:
    return [{"symbol": "AAA", "ts": (T0 + timedelta(minutes=5 * k)).isoformat(), "open": 1,
             "high": 1, "low": 1, "close": 100.0 + k, "volume": 1}
            for k in range(first, last)]  # fmt: skip


def decisions() -> tuple[list[dict], list[dict]]:
    common = {"ts": (T0 + timedelta(minutes=30)).isoformat(), "symbol": "AAA",
              "direction": "long", "entry_score": 1.0, "components": {"a": 1.0}}  # fmt: skip
    trades = [common | {"decision_id": "e1", "entry_ts": common["ts"], "entry_price": 106.0,
                        "qty": 1.0, "exit_ts": (T0 + timedelta(hours=2)).isoformat(),
                        "exit_price": 110.0}]  # fmt: skip
    blocked = [common | {"decision_id": "b1", "reason": "score_below_threshold"}]
    return trades, blocked


def ingest(lens: Tradelens, path: Path, kind: str, records: list[dict]) -> None:
    write_jsonl(path, records)
    assert ingest_one(lens, kind, path, bar_time="close", interval="5m").rejected == 0


def one(lens: Tradelens, query: str, params: list | None = None) -> tuple:
    """The single row of a read-only query."""
    [row] = lens.sql(query, params)[1]
    return row


def snapshot(lens: Tradelens) -> dict[str, tuple]:
    """Row count and an order-free checksum of the values of every latest.* view."""
    return {
        view: one(lens, f"SELECT count(*), bit_xor(hash(v)) FROM latest.{view} AS v")
        for view in LATEST
    }


def history_rows(lens: Tradelens, run_id: int) -> dict[str, int]:
    return {
        table: one(lens, f"SELECT count(*) FROM history.{table} WHERE run_id = ?", [run_id])[0]
        for table in VERSIONED
    }


def test_history_keeps_every_version_and_latest_shows_the_newest(warehouse, tmp_path):
    trades, blocked = decisions()
    lens = Tradelens(warehouse, SETTINGS)
    with lens.session():
        ingest(lens, tmp_path / "p1.jsonl", "prices", bars(0, 13))  # to 01:00: b1's exit pending
        ingest(lens, tmp_path / "t.jsonl", "trades", trades)
        ingest(lens, tmp_path / "b.jsonl", "blocked", blocked)
        first = lens.run()
        ingest(lens, tmp_path / "p2.jsonl", "prices", bars(13, 40))
        second = lens.run()
        assert (first.status, second.status) == ("success", "success")
        per_version = {r: history_rows(lens, r) for r in (first.run_id, second.run_id)}
        latest_ids = {
            view: {r[0] for r in lens.sql(f"SELECT run_id FROM latest.{view}")[1]}
            for view in (*VERSIONED, "run")
        }
        cf = lens.rows("SELECT run_id, status, pnl FROM history.counterfactuals ORDER BY 1")

    for run_id, counts in per_version.items():
        assert all(counts.values()), (run_id, counts)  # every table holds every version
    assert per_version[first.run_id] == per_version[second.run_id]
    assert all(ids == {second.run_id} for ids in latest_ids.values()), latest_ids
    assert [(r["run_id"], r["status"]) for r in cf] == [(first.run_id, "pending"),
                                                         (second.run_id, "ok")]  # fmt: skip
    assert cf[1]["pnl"] == pytest.approx((118 / 106 - 1) * 1000)  # 00:30 → 01:30


def test_failed_component_is_carried_forward_and_recorded(warehouse, tmp_path, monkeypatch):
    trades, blocked = decisions()
    lens = Tradelens(warehouse, SETTINGS)
    with lens.session():
        ingest(lens, tmp_path / "p.jsonl", "prices", bars(0, 40))
        ingest(lens, tmp_path / "t.jsonl", "trades", trades)
        ingest(lens, tmp_path / "b.jsonl", "blocked", blocked)
        good = lens.run()
        before = {v: lens.rows(f"SELECT * EXCLUDE (run_id) FROM latest.{v} ORDER BY ALL")
                  for v in ("counterfactuals", "weight_grid")}  # fmt: skip
        weights_before = lens.rows("SELECT * FROM latest.learned_state WHERE kind='weight'")

        ingest(lens, tmp_path / "p2.jsonl", "prices", bars(40, 44))  # new inputs: a run computes
        monkeypatch.setenv(FAULT_ENV, "counterfactuals")
        partial = lens.run()
        monkeypatch.delenv(FAULT_ENV)
        after = {v: lens.rows(f"SELECT * EXCLUDE (run_id) FROM latest.{v} ORDER BY ALL")
                 for v in ("counterfactuals", "weight_grid")}  # fmt: skip
        weights_after = lens.rows("SELECT * FROM latest.learned_state WHERE kind='weight'")
        components = {r["component"]: r for r in lens.rows(
            "SELECT * FROM run_components WHERE run_id = ?", [partial.run_id])}  # fmt: skip
        run = lens.rows("SELECT * FROM runs WHERE run_id = ?", [partial.run_id])[0]

        with pytest.raises(RunAborted):
            lens.run(should_stop=lambda: True)
        aborted = lens.rows("SELECT * FROM runs ORDER BY run_id DESC LIMIT 1")[0]
        latest_run = one(lens, "SELECT run_id FROM latest.run")[0]

    assert partial.status == "partial" and partial.published
    assert (run["status"], run["published"]) == ("partial", True)
    assert "counterfactuals: RuntimeError: fault injected" in run["error"]
    failed = components["counterfactuals"]
    assert (failed["status"], failed["attempts"], failed["carried_from"]) == (
        "failed",
        3,
        good.run_id,
    )
    # the weight grid needs this run's counterfactuals: it is carried forward too
    weights = components["weight_grid"]
    assert (weights["status"], weights["carried_from"]) == ("failed", good.run_id)
    assert weights["error"] == "needs counterfactuals, which failed"
    # the shared replay of outcomes is the fifth component; it ran, as did the other grids
    assert set(components) == {"scenario_outcomes", "counterfactuals", "timing_grid",
                               "weight_grid", "sizing_grid"}  # fmt: skip
    assert components["scenario_outcomes"]["status"] == "ok"
    assert components["timing_grid"]["status"] == components["sizing_grid"]["status"] == "ok"
    assert after == before  # the previous output, whole, under the new run_id
    assert [w["before"] for w in weights_after] == [w["after"] for w in weights_before]
    assert [w["after"] for w in weights_after] == [w["after"] for w in weights_before]
    assert not any(w["applied"] for w in weights_after)
    # a stop request ends the run unpublished ('aborted' where the pipeline tells it apart)
    assert aborted["status"] in ("aborted", "failed") and aborted["published"] is False
    assert "stop requested" in aborted["error"]
    assert latest_run == partial.run_id

    listed = tradelens("versions", "--format", "json", warehouse=warehouse)
    assert listed.returncode == 0, listed.stderr
    runs = json.loads(listed.stdout)
    assert [(r["run_id"], r["status"], r["published"]) for r in runs] == [
        (aborted["run_id"], aborted["status"], False),
        (partial.run_id, "partial", True),
        (good.run_id, "success", True),
    ]
    assert runs[1]["counterfactuals"] == runs[2]["counterfactuals"] == 1
    assert "counterfactuals: failed" in runs[1]["not_ok"]
    assert {r["engine"] for r in runs} == {"duckdb"}
