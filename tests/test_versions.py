"""SPEC §17: a row equal in two consecutive versions is stored once, history still shows every
version whole, and retention removes old versions in one transaction, never latest."""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from conftest import ingest_one, tradelens, write_jsonl

from analytics.config import settings_from_mapping
from analytics.context import Tradelens
from analytics.errors import TradelensError

T0 = datetime(2025, 1, 6)
SETTINGS = {"objective": "weighted_pnl", "min_samples": 1, "require_significance": False}
TABLES = ("counterfactuals", "timing_grid", "weight_grid", "sizing_grid", "learned_state")


def bars(first: int, last: int, symbol: str = "AAA") -> list[dict]:
    return [{"symbol": symbol, "ts": (T0 + timedelta(minutes=5 * k)).isoformat(), "open": 1,
             "high": 1, "low": 1, "close": 100.0 + k % 7, "volume": 1}
            for k in range(first, last)]  # fmt: skip


def blocked(i: int, symbol: str) -> dict:
    return {"decision_id": f"{symbol}-{i}", "ts": (T0 + timedelta(minutes=5 * i)).isoformat(),
            "symbol": symbol, "direction": "long", "entry_score": 0.0,
            "components": {"a": 1.0}, "reason": "score_below_threshold"}  # fmt: skip


def grow(lens: Tradelens, tmp_path: Path, step: int) -> None:
    """Step 0: two symbols with five hours of 5-minute bars, ten blocked trades each in the
    first hour; later steps: another hour of bars of BBB, which resolves longer holds of the
    timing grid but no counterfactual (its hour was there from the start)."""
    if step == 0:
        for symbol in ("AAA", "BBB"):
            path = write_jsonl(tmp_path / f"bars-{symbol}.jsonl", bars(0, 60, symbol))
            ingest_one(lens, "prices", path, bar_time="close", interval="5m")
            decisions = [blocked(i, symbol) for i in range(10)]
            path = write_jsonl(tmp_path / f"blocked-{symbol}.jsonl", decisions)
            ingest_one(lens, "blocked", path)
        return
    path = write_jsonl(tmp_path / f"bars-{step}.jsonl", bars(60 + 12 * step, 72 + 12 * step, "BBB"))
    ingest_one(lens, "prices", path, bar_time="close", interval="5m")


def version_counts(lens: Tradelens, run_id: int) -> dict[str, int]:
    sql = "SELECT count(*) AS n FROM history.{} WHERE run_id = ?"
    return {t: lens.rows(sql.format(t), [run_id])[0]["n"] for t in TABLES}


def counts(lens: Tradelens, schema: str) -> dict[str, int]:
    return {t: lens.rows(f"SELECT count(*) AS n FROM {schema}.{t}")[0]["n"] for t in TABLES}


def test_unchanged_rows_are_stored_once_and_history_shows_every_version_whole(warehouse, tmp_path):
    lens = Tradelens(warehouse, settings_from_mapping(SETTINGS))
    versions = []
    with lens.session():
        for step in range(3):
            grow(lens, tmp_path, step)
            versions.append(lens.run().run_id)
            snapshot = {t: lens.rows(f"SELECT * EXCLUDE (run_id) FROM latest.{t} ORDER BY ALL")
                        for t in TABLES}  # fmt: skip
            if step == 0:
                first = snapshot
        stored = counts(lens, "versions")
        per_version = {v: version_counts(lens, v) for v in versions}
        again = {t: lens.rows(f"SELECT * EXCLUDE (run_id) FROM history.{t} WHERE run_id = ? "
                              "ORDER BY ALL", [versions[0]]) for t in TABLES}  # fmt: skip
        watermarks = [json.loads(r["watermark"]) for r in lens.rows(
            "SELECT watermark FROM runs ORDER BY run_id")]  # fmt: skip

    # every version is whole: 20 counterfactuals, the full grids, the learned rows
    assert all(per_version[v]["counterfactuals"] == 20 for v in versions)
    assert len({tuple(c.values()) for c in per_version.values()}) == 1
    assert again == first  # the first version, as it was, after two more were published
    # stored once: every blocked trade resolved in the first version (its hour of bars was
    # there), and later bars of BBB come after every lookup: 20 rows hold three versions, not 60
    assert stored["counterfactuals"] == 20
    # later versions write what changed (grid cells whose pending outcomes resolved), not all
    whole = sum(per_version[versions[0]].values())
    assert all(0 < w["rows_stored"] < whole for w in watermarks[1:])
    assert sum(stored.values()) < 3 * whole


def test_prune_keeps_the_newest_versions_and_never_latest(warehouse, tmp_path):
    lens = Tradelens(warehouse, settings_from_mapping(SETTINGS))
    with lens.session():
        versions = []
        for step in range(4):
            grow(lens, tmp_path, step)
            versions.append(lens.run().run_id)
        latest = {t: lens.rows(f"SELECT * FROM latest.{t} ORDER BY ALL") for t in TABLES}
        kept_before = {t: lens.rows(f"SELECT * FROM history.{t} WHERE run_id >= ? ORDER BY ALL",
                                    [versions[2]]) for t in TABLES}  # fmt: skip
        stored_before = counts(lens, "versions")
        report = lens.prune(2)
        stored_after = counts(lens, "versions")
        listed = lens.rows("SELECT DISTINCT run_id FROM history.counterfactuals ORDER BY 1")
        runs = lens.rows("SELECT run_id, pruned FROM runs ORDER BY run_id")
        kept_after = {t: lens.rows(f"SELECT * FROM history.{t} WHERE run_id >= ? ORDER BY ALL",
                                   [versions[2]]) for t in TABLES}  # fmt: skip
        assert {t: lens.rows(f"SELECT * FROM latest.{t} ORDER BY ALL") for t in TABLES} == latest
        again = lens.prune(2)

    assert report.kept == versions[2:] and report.removed_versions == versions[:2]
    assert [r["run_id"] for r in listed] == versions[2:]
    assert [r["pruned"] for r in runs] == [True, True, False, False]
    assert kept_after == kept_before  # the kept versions are whole
    removed = {t: stored_before[t] - stored_after[t] for t in TABLES}
    assert removed == report.removed_rows and sum(removed.values()) > 0
    assert again.removed_versions == [] and sum(again.removed_rows.values()) == 0


def test_keep_versions_prunes_after_every_run(warehouse, tmp_path):
    lens = Tradelens(warehouse, settings_from_mapping(SETTINGS | {"keep_versions": 1}))
    with lens.session():
        for step in range(3):
            grow(lens, tmp_path, step)
            lens.run()
        versions = lens.rows("SELECT DISTINCT run_id FROM history.learned_state")
        pruned = lens.rows("SELECT count(*) AS n FROM runs WHERE pruned")[0]["n"]
    assert versions == [{"run_id": 3}] and pruned == 2


@pytest.mark.parametrize("keep", ["0", "-3"])
def test_prune_keep_below_one_is_a_one_line_error(warehouse, keep):
    result = tradelens("prune", "--keep", keep, warehouse=warehouse)
    assert result.returncode == 1
    assert result.stderr.strip().splitlines() == [
        f"Error: --keep must be at least 1 (latest is never removed), not {keep}"
    ]


def test_prune_on_the_command_line_reports_what_it_removed(warehouse, tmp_path):
    lens = Tradelens(warehouse, settings_from_mapping(SETTINGS))
    with lens.session():
        for step in range(3):
            grow(lens, tmp_path, step)
            lens.run()
    result = tradelens("prune", "--keep", "1", warehouse=warehouse)
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("removed 2 versions (runs 1–2)")
    assert "kept 1 (runs 3–3)" in result.stdout
    with pytest.raises(TradelensError, match="at least 1"):
        lens.prune(0)
