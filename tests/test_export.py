"""`tradelens export`: a version's tables as Parquet or CSV with a manifest, swapped in whole, and
the JSON Lines logs of the old tools."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import polars as pl
import pytest
from case_warehouse import case_warehouse_fixture  # noqa: F401  (the case_warehouse fixture)
from click.testing import CliRunner
from conftest import tradelens
from polars.testing import assert_frame_equal

from analytics.cli import cli
from analytics.context import Tradelens
from analytics.errors import TradelensError
from analytics.outputs.export import staged_folder

# export file -> (warehouse table, key columns that order its rows)
TABLES = {
    "run": ("main.runs", ["run_id"]),
    "run_components": ("main.run_components", ["component"]),
    "counterfactuals": ("history.counterfactuals", ["decision_id"]),
    "timing_grid": ("history.timing_grid", ["entry_delay_min", "hold_min", "population"]),
    "timing_outcomes": ("latest.timing_outcomes", ["entry_delay_min", "hold_min", "decision_id"]),
    "weight_grid": ("history.weight_grid", ["component", "variation"]),
    "sizing_grid": ("history.sizing_grid", ["bucket", "multiplier"]),
    "learned_state": ("history.learned_state", ["kind", "name"]),
}
POLARS_TYPES = {
    "BIGINT": pl.Int64,
    "INTEGER": pl.Int32,
    "DOUBLE": pl.Float64,
    "VARCHAR": pl.String,
    "BOOLEAN": pl.Boolean,
    "TIMESTAMP": pl.Datetime("us"),
}
SPEC_COUNTERFACTUAL_COLUMNS = {
    "decision_id", "symbol", "ts", "direction", "reason", "entry_t", "entry_px", "exit_t",
    "exit_px", "ret", "pnl", "outcome", "status",
}  # fmt: skip


def warehouse_frame(warehouse: Path, table: str, run_id: int) -> pl.DataFrame:
    """The rows of one version as the warehouse holds them."""
    with Tradelens(warehouse).warehouse() as wh:
        if table == "latest.timing_outcomes":
            # the scenario cache's run_id is the run that computed each outcome; an export
            # stamps every row with the version it exports and keeps that as computed_run
            return wh.frame(
                f"SELECT CAST({run_id} AS BIGINT) AS run_id, run_id AS computed_run, "
                f"* EXCLUDE (run_id) FROM {table}"
            )
        return wh.frame(f"SELECT * FROM {table} WHERE run_id = {run_id}")


def newest_published(warehouse: Path) -> int:
    [row] = Tradelens(warehouse).rows("SELECT max(run_id) AS newest FROM runs WHERE published")
    return row["newest"]


@pytest.fixture(scope="module")
def cli_export(case_warehouse, tmp_path_factory) -> tuple[Path, Path]:
    """One real `tradelens export --to DIR --jsonl LOGS` (subprocesses are slow here)."""
    base = tmp_path_factory.mktemp("cli_export")
    out, logs = base / "export", base / "logs"
    logs.mkdir()
    (logs / "bot.log").write_text("kept\n")
    done = tradelens("export", "--to", str(out), "--jsonl", str(logs), warehouse=case_warehouse)
    assert done.returncode == 0, done.stderr
    return out, logs


def test_parquet_export_round_trips_every_table_of_the_latest_version(case_warehouse, cli_export):
    out = cli_export[0]
    latest = newest_published(case_warehouse)
    assert latest == 2
    assert sorted(p.name for p in out.iterdir()) == sorted(
        [f"{name}.parquet" for name in TABLES] + ["manifest.json"]
    )
    for name, (table, keys) in TABLES.items():
        exported = pl.read_parquet(out / f"{name}.parquet")
        expected = warehouse_frame(case_warehouse, table, latest)
        assert len(expected) > 0, table
        assert_frame_equal(
            exported.sort(keys), expected.sort(keys), check_exact=True
        )  # same columns, order, dtypes


def test_csv_export_round_trips_with_the_manifest_types(case_warehouse, tmp_path):
    out = tmp_path / "export"
    manifest = Tradelens(case_warehouse).export(out, file_format="csv")
    assert manifest == json.loads((out / "manifest.json").read_text())
    assert manifest["format"] == "csv" and manifest["run_id"] == 2
    for name, (table, keys) in TABLES.items():
        columns = manifest["tables"][name]["columns"]
        raw = pl.read_csv(out / f"{name}.csv", infer_schema=False)
        assert raw.columns == [c["name"] for c in columns]
        exported = raw.select(_parse_csv_column(c["name"], c["type"]) for c in columns)
        expected = warehouse_frame(case_warehouse, table, manifest["run_id"])
        assert_frame_equal(exported.sort(keys), expected.sort(keys), check_exact=True)


def _parse_csv_column(name: str, kind: str) -> pl.Expr:
    """The CSV convention: ISO-8601 UTC timestamps ending in Z, an empty field is null."""
    column = pl.col(name)
    if kind == "TIMESTAMP":
        return column.str.to_datetime("%Y-%m-%dT%H:%M:%S%.fZ", time_unit="us")
    if kind == "BOOLEAN":
        return column.replace_strict({"true": True, "false": False}, default=None,
                                     return_dtype=pl.Boolean)  # fmt: skip
    return column.cast(POLARS_TYPES[kind])


def test_version_option_exports_that_version_with_its_manifest(case_warehouse, tmp_path):
    out = tmp_path / "export"
    before = datetime.now(UTC)
    lens = Tradelens(case_warehouse)
    lens.export(out, version=1)
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["run_id"] == 1
    generated = datetime.fromisoformat(manifest["generated_at"].replace("Z", "+00:00"))
    assert before - timedelta(seconds=1) <= generated <= datetime.now(UTC)
    # per-decision timing outcomes exist for the newest version only
    assert set(manifest["omitted"]) == {"timing_outcomes"}
    assert not (out / "timing_outcomes.parquet").exists()
    assert set(manifest["tables"]) == set(TABLES) - {"timing_outcomes"}
    with lens.session(read_only=True):
        for name, (table, _) in TABLES.items():
            if name == "timing_outcomes":
                continue
            entry = manifest["tables"][name]
            frame = pl.read_parquet(out / entry["file"])
            assert frame["run_id"].unique().to_list() == [1]
            [(count,)] = lens.sql(f"SELECT count(*) FROM {table} WHERE run_id = 1")[1]
            assert entry["rows"] == len(frame) == count
            schema, bare = table.split(".")
            _, described = lens.sql(
                "SELECT column_name, data_type FROM information_schema.columns "
                "WHERE table_schema = $schema AND table_name = $bare ORDER BY ordinal_position",
                {"schema": schema, "bare": bare},
            )
            assert [(c["name"], c["type"]) for c in entry["columns"]] == described


def test_unknown_version_and_missing_target_are_errors(case_warehouse, tmp_path):
    missing = tradelens("export", "--to", str(tmp_path / "x"), "--version", "99",
                        warehouse=case_warehouse)  # fmt: skip
    assert missing.returncode == 1
    assert "version 99 is not a published run" in missing.stderr
    assert not (tmp_path / "x").exists()
    assert list(tmp_path.iterdir()) == []  # no temp folder left behind
    neither = CliRunner().invoke(cli, ["--warehouse", str(case_warehouse), "export"])
    assert neither.exit_code == 2
    assert "--to" in neither.output and "--jsonl" in neither.output


def test_a_new_export_replaces_the_old_one_whole(case_warehouse, tmp_path):
    lens = Tradelens(case_warehouse)
    target = tmp_path / "dash"
    lens.export(target, version=1)
    old_files = {p.name: p.read_bytes() for p in target.iterdir()}
    with staged_folder(target) as staging:
        (staging / "manifest.json").write_text('{"run_id": 2}')
        (staging / "partial.parquet").write_bytes(b"half")
        assert staging.parent == target.parent  # same filesystem: the rename is atomic
        # until the swap a reader sees the previous export, complete and untouched
        assert {p.name: p.read_bytes() for p in target.iterdir()} == old_files
    assert sorted(p.name for p in target.iterdir()) == ["manifest.json", "partial.parquet"]
    assert list(tmp_path.iterdir()) == [target]  # no temp or old folder left

    lens.export(target)  # the real thing: version 2 replaces the stand-in
    manifest = json.loads((target / "manifest.json").read_text())
    assert manifest["run_id"] == 2
    assert sorted(p.name for p in target.iterdir()) == sorted(
        [t["file"] for t in manifest["tables"].values()] + ["manifest.json"]
    )
    assert list(tmp_path.iterdir()) == [target]


def test_a_failed_export_leaves_the_previous_one(case_warehouse, tmp_path):
    target = tmp_path / "dash"
    Tradelens(case_warehouse).export(target, version=1)
    old_files = {p.name: p.read_bytes() for p in target.iterdir()}
    with pytest.raises(RuntimeError), staged_folder(target) as staging:
        (staging / "manifest.json").write_text("{}")
        raise RuntimeError("disk full")
    assert {p.name: p.read_bytes() for p in target.iterdir()} == old_files
    assert list(tmp_path.iterdir()) == [target]


def test_export_never_replaces_a_folder_of_other_files(case_warehouse, tmp_path):
    target = tmp_path / "home"
    target.mkdir()
    (target / "notes.txt").write_text("mine")
    with pytest.raises(TradelensError, match="not a tradelens export"):
        Tradelens(case_warehouse).export(target)
    assert (target / "notes.txt").read_text() == "mine"


def test_jsonl_logs_for_the_old_tools(case_warehouse, cli_export):
    logs = cli_export[1]
    assert sorted(p.name for p in logs.iterdir()) == [
        "bot.log", "comprehensive_learning.jsonl", "counterfactual_results.jsonl",
    ]  # fmt: skip
    lens = Tradelens(case_warehouse)
    with lens.session(read_only=True), lens.warehouse() as wh:
        published = [r["run_id"] for r in lens.rows("SELECT run_id FROM runs WHERE published "
                                                    "ORDER BY run_id")]  # fmt: skip
        _, blocked = lens.sql(
            "SELECT run_id, count(*) FILTER (WHERE status = 'ok' AND pnl > 0), "
            "count(*) FILTER (WHERE status = 'ok' AND pnl < 0) "
            "FROM history.counterfactuals GROUP BY run_id"
        )
        _, weights = lens.sql(
            "SELECT run_id, name, before, after FROM history.learned_state WHERE kind = 'weight'"
        )
        latest = wh.frame("SELECT * FROM latest.counterfactuals ORDER BY decision_id")

    learning = [json.loads(line) for line in (logs / "comprehensive_learning.jsonl").open()]
    assert [line["run_id"] for line in learning] == published == [1, 2]
    by_run = {line["run_id"]: line for line in learning}
    for run_id, missed, avoided in blocked:
        assert by_run[run_id]["counterfactuals"]["missed_opportunities"] == missed > 0
        assert by_run[run_id]["counterfactuals"]["avoided_losses"] == avoided > 0
    for run_id, name, before, after in weights:
        assert by_run[run_id]["weights"][name]["before"] == before
        assert by_run[run_id]["weights"][name]["after"] == after
    for line in learning:
        assert line["status"] == "success" and line["objective"] == "sharpe"
        assert set(line["timing"]) == {"entry_delay_min", "hold_min"}
        assert set(line["multipliers"]) == {"0", "1", "2", "3"}

    results = [json.loads(line) for line in (logs / "counterfactual_results.jsonl").open()]
    assert len(results) == len(latest)
    assert set(results[0]) >= SPEC_COUNTERFACTUAL_COLUMNS
    first = min(results, key=lambda r: r["decision_id"])
    row = latest.row(0, named=True)
    assert first["decision_id"] == row["decision_id"] and first["run_id"] == 2
    assert first["pnl"] == row["pnl"] and first["outcome"] == row["outcome"]
    assert first["ts"] == row["ts"].strftime("%Y-%m-%dT%H:%M:%S.%fZ")
