"""The `tradelens` command as a user runs it: init, ingest, their output, errors and exit codes."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from case_warehouse import case_warehouse_fixture  # noqa: F401  (the case_warehouse fixture)
from conftest import CONFORMANCE_CASE, ingest_one, tradelens, write_jsonl

from analytics.context import Tradelens
from analytics.warehouse import current_revision, head_revision, migrate

WIDE = {"COLUMNS": "250"}  # rich tables fold at 80 columns when not on a terminal


def bar(symbol: str, ts: str, price: float) -> dict:
    return {"symbol": symbol, "ts": ts, "open": price, "high": price, "low": price,
            "close": price, "volume": 1}  # fmt: skip


def trade(decision_id: str, **fields) -> dict:
    return {
        "decision_id": decision_id, "ts": "2025-03-04T10:00:00Z", "symbol": "ALPHA",
        "direction": "buy", "entry_score": 1.0, "components": {"flow": 1.0},
        "entry_ts": "2025-03-04T10:00:01Z", "entry_price": 50.0, "qty": 1.0, **fields,
    }  # fmt: skip


def counts(warehouse: Path) -> dict[str, int]:
    lens = Tradelens(warehouse)
    with lens.session(read_only=True):
        return {
            t: lens.rows(f"SELECT count(*) AS n FROM raw.{t}")[0]["n"]
            for t in ("files", "prices", "decisions", "rejects")
        }


def test_init_creates_the_warehouse(tmp_path: Path) -> None:
    path = tmp_path / "new" / "tradelens.duckdb"
    result = tradelens("init", warehouse=path)
    assert result.returncode == 0, result.stderr
    assert path.is_file()
    assert current_revision(path) == head_revision()
    assert f"schema revision {head_revision()}" in result.stdout


def test_ingest_reports_counts_and_a_second_run_changes_nothing(
    warehouse: Path, tmp_path: Path
) -> None:
    path = write_jsonl(
        tmp_path / "trades.jsonl",
        [trade("t1"), trade("t2", direction="sell"), trade("t1"), trade("x", entry_price=-1.0)],
    )
    first = tradelens("ingest", "trades", str(path), "--format", "json", warehouse=warehouse)
    assert first.returncode == 0, first.stderr
    [report] = json.loads(first.stdout)
    assert {k: report[k] for k in ("file", "rows", "accepted", "rejected", "duplicates")} == {
        "file": str(path), "rows": 4, "accepted": 2, "rejected": 1, "duplicates": 1,
    }  # fmt: skip
    assert report["note"].startswith("row 4: field entry_price")
    assert "raw.rejects" in first.stderr
    stored = counts(warehouse)
    assert stored == {"files": 1, "prices": 0, "decisions": 2, "rejects": 1}

    again = tradelens("ingest", "trades", str(path), warehouse=warehouse, env=WIDE)
    assert again.returncode == 0, again.stderr
    header = next(line for line in again.stdout.splitlines() if "accepted" in line)
    assert all(word in header for word in ("rows", "rejected", "duplicates", "corrections"))
    assert "already ingested" in again.stdout
    assert counts(warehouse) == stored


def test_unreadable_files_fail_in_one_line_each_and_lose_nothing(
    warehouse: Path, tmp_path: Path
) -> None:
    early = [bar("ALPHA", f"2025-03-04T10:0{m}:00Z", 50.0) for m in (0, 5)]
    ingest_one(Tradelens(warehouse), "prices", write_jsonl(tmp_path / "early.jsonl", early),
               interval="5m")  # fmt: skip
    folder = tmp_path / "folder.csv"
    folder.mkdir()
    unknown = tmp_path / "bars.xlsx"
    unknown.write_text("not a spreadsheet")
    garbage = tmp_path / "bars.parquet"
    garbage.write_bytes(b"this is no parquet file" * 20)
    missing = tmp_path / "nowhere.jsonl"
    good = write_jsonl(tmp_path / "good.jsonl", [bar("ALPHA", "2025-03-04T10:10:00Z", 51.0)])
    bad_files = [missing, folder, unknown, garbage]

    result = tradelens(
        "ingest", "prices", *map(str, [*bad_files, good]), "--interval", "5m",
        warehouse=warehouse,
    )  # fmt: skip
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    errors = result.stderr.strip().splitlines()
    assert len(errors) == len(bad_files)
    for line, path in zip(errors, bad_files, strict=True):
        assert line.startswith(f"Error: {path}: ")
    assert counts(warehouse) == {"files": 2, "prices": 3, "decisions": 0, "rejects": 0}


def test_bad_interval_is_refused_before_any_work(tmp_path: Path) -> None:
    path = tmp_path / "w.duckdb"
    bars = write_jsonl(tmp_path / "b.jsonl", [bar("ALPHA", "2025-03-04T10:00:00Z", 1.0)])
    result = tradelens("ingest", "prices", str(bars), "--interval", "5 minutes", warehouse=path)
    assert result.returncode == 1
    [line] = result.stderr.strip().splitlines()
    assert line.startswith("Error: --interval '5 minutes'")
    assert not path.exists()


def test_a_command_upgrades_an_older_warehouse(tmp_path: Path) -> None:
    path = tmp_path / "old.duckdb"
    migrate(path, "0001")
    bars = write_jsonl(tmp_path / "b.jsonl", [bar("ALPHA", "2025-03-04T10:00:00Z", 1.0)])
    result = tradelens("ingest", "prices", str(bars), "--interval", "1h", warehouse=path)
    assert result.returncode == 0, result.stderr
    assert current_revision(path) == head_revision()
    assert counts(path)["prices"] == 1


@pytest.mark.slow
def test_conformance_case_puts_four_rows_in_rejects(tmp_path: Path) -> None:
    path = tmp_path / "case1.duckdb"
    assert tradelens("init", warehouse=path).returncode == 0
    inputs = {
        "prices": [CONFORMANCE_CASE / "prices.csv", "--bar-time", "open", "--interval", "5m"],
        "trades": [CONFORMANCE_CASE / "trades.jsonl"],
        "blocked": [CONFORMANCE_CASE / "blocked.jsonl"],
    }
    reports = {}
    for kind, args in inputs.items():
        result = tradelens("ingest", kind, *map(str, args), "--format", "json", warehouse=path)
        assert result.returncode == 0, result.stderr
        [reports[kind]] = json.loads(result.stdout)
    for kind, args in inputs.items():
        lines = [ln for ln in Path(args[0]).read_text().splitlines() if ln.strip()]
        data_rows = len(lines) - (1 if kind == "prices" else 0)  # the CSV header
        report = reports[kind]
        assert report["rows"] == data_rows
        assert report["accepted"] + report["rejected"] + report["duplicates"] == data_rows
    lens = Tradelens(path)
    with lens.session(read_only=True):
        assert lens.sql("SELECT count(*) FROM raw.rejects")[1] == [(4,)]
        files = {Path(f).name for (f,) in lens.sql("SELECT file FROM raw.rejects")[1]}
    # the four invalid records are in the bot's decision log (conformance/README.md)
    assert files <= {"trades.jsonl", "blocked.jsonl"}


def test_state_of_a_version_that_does_not_exist_leaves_the_bots_file_alone(
    case_warehouse: Path, tmp_path: Path
) -> None:
    out = tmp_path / "learned_state.json"
    out.write_text('{"run_id": 1}\n')
    result = tradelens("state", "--version", "999", "--out", str(out), warehouse=case_warehouse)
    assert result.returncode == 1
    assert result.stderr.strip().splitlines() == [
        "Error: version 999 is not a published run: `tradelens versions` lists them"
    ]
    assert out.read_text() == '{"run_id": 1}\n'


def test_state_file_gets_the_mode_of_any_new_file(case_warehouse: Path, tmp_path: Path) -> None:
    """A bot running as another user must be able to read it: 0666 less the umask, not 0600."""
    out, plain = tmp_path / "learned_state.json", tmp_path / "plain.txt"
    result = tradelens("state", "--out", str(out), warehouse=case_warehouse)
    assert result.returncode == 0, result.stderr
    plain.write_text("x")  # what the same umask gives any file this process creates
    assert out.stat().st_mode & 0o777 == plain.stat().st_mode & 0o777
    assert out.stat().st_mode & 0o044  # group and others read under the usual 022 umask
    assert json.loads(out.read_text())["run_id"] == 2


def test_debug_shows_the_traceback_before_or_after_the_command(case_warehouse: Path) -> None:
    command = ["state", "--version", "999"]
    for args in (["--debug", *command], [*command, "--debug"]):
        result = tradelens(*args, warehouse=case_warehouse)
        assert result.returncode == 1
        assert "Traceback" in result.stderr and "TradelensError" in result.stderr
    plain = tradelens("state", "--version", "999", warehouse=case_warehouse)
    assert "Traceback" not in plain.stderr and plain.stderr.count("\n") == 1
