"""Ingest input files into the raw schema: one file, one transaction (SPEC §2)."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import duckdb

from analytics.errors import InputFileError, first_line
from analytics.files import input_file_id
from analytics.ingest.staging import release_staged, stage_file
from analytics.warehouse import Warehouse, load_sql

DECISION_KIND = {"trades": "executed", "blocked": "blocked"}
_INTERVAL = re.compile(r"^\s*(\d+)\s*([mhd])\s*$")
_UNIT_SEC = {"m": 60, "h": 3600, "d": 86400}
WORK_TABLES = ("parsed_rows", "classified_rows")


@dataclass(frozen=True)
class IngestReport:
    path: str
    kind: str
    rows: int = 0
    accepted: int = 0
    rejected: int = 0
    duplicates: int = 0
    corrections: int = 0
    already_ingested: bool = False
    first_reject: str | None = None

    @property
    def note(self) -> str:
        """The line a person reads beside the counts.

        A file without rows (0 bytes, blank lines only, a CSV header only, a Parquet file
        without rows) is loaded as empty, not refused, whatever its format: a bot that starts a
        new log file before writing to it should not fail a cron job or have the file
        quarantined by the service. It is recorded like any file, so ingesting it again says
        "already ingested" (as does any empty file: the content is what identifies a file)."""
        if self.already_ingested:
            return "already ingested: nothing changed"
        if self.rows == 0:
            return "empty file: nothing to load"
        return self.first_reject or ""


def parse_interval(text: str | None) -> int | None:
    """'5m', '60m', '1h', '1d' → seconds; None → infer per symbol."""
    if text is None:
        return None
    match = _INTERVAL.match(text)
    if not match or int(match.group(1)) == 0:
        raise InputFileError(f"--interval {text!r}: use an integer and m, h or d, e.g. 5m or 1h")
    return int(match.group(1)) * _UNIT_SEC[match.group(2)]


def ingest_file(
    warehouse: Warehouse,
    path: Path,
    kind: str,
    *,
    bar_time: str = "open",
    interval: str | None = None,
    on_stage: Callable[[str], None] = lambda stage: None,
) -> IngestReport:
    """Load one file: all its good rows or none; bad rows go to raw.rejects."""
    interval_sec = parse_interval(interval) if kind == "prices" else None
    on_stage("hashing")
    fid = input_file_id(path)
    if warehouse.one("SELECT 1 FROM raw.files WHERE file_id = ? AND kind = ?", [fid, kind]):
        return IngestReport(path=str(path), kind=kind, already_ingested=True)
    try:
        with warehouse.transaction():
            warehouse.script(load_sql("ingest/macros"))
            on_stage("reading")
            staged = stage_file(warehouse, path, kind)
            on_stage("validating")
            if kind == "prices":
                counts = _load_prices(warehouse, fid, interval_sec, bar_time)
            else:
                counts = _load_decisions(warehouse, fid, DECISION_KIND[kind])
            on_stage("writing")
            rejected, first_reject = _store_rejects(warehouse, path, fid, kind)
            report = IngestReport(
                path=str(path), kind=kind, rows=staged.rows, rejected=rejected,
                first_reject=first_reject, **counts,
            )  # fmt: skip
            _record_file(warehouse, report, fid, staged.format, bar_time, interval)
    except duckdb.Error as exc:
        # Whatever the database refused, the file is not loaded: say so in one line, naming it.
        raise InputFileError(f"{path}: not ingested: {first_line(exc)}") from exc
    finally:
        _release_work_tables(warehouse)
    return report


def _record_file(
    warehouse: Warehouse,
    report: IngestReport,
    fid: str,
    file_format: str,
    bar_time: str,
    interval: str | None,
) -> None:
    options = {"bar_time": bar_time, "interval": interval} if report.kind == "prices" else {}
    warehouse.execute(
        "INSERT INTO raw.files VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, current_localtimestamp())",
        [
            fid, report.kind, report.path, file_format, json.dumps(options), report.rows,
            report.accepted, report.rejected, report.duplicates, report.corrections,
        ],
    )  # fmt: skip


def _release_work_tables(warehouse: Warehouse) -> None:
    """Free what one file's ingest held in memory."""
    release_staged(warehouse)
    for table in WORK_TABLES:
        warehouse.execute(f"DROP TABLE IF EXISTS {table}")


def _load_prices(
    warehouse: Warehouse, fid: str, interval_sec: int | None, bar_time: str
) -> dict[str, int]:
    warehouse.temp_table("parsed_rows", load_sql("ingest/parse_prices"))
    warehouse.temp_table(
        "classified_rows",
        load_sql("ingest/classify_prices"),
        {"interval_sec": interval_sec, "bar_time": bar_time},
    )
    warehouse.script(load_sql("ingest/store_prices"), {"file_id": fid})
    return _disposition_counts(warehouse)


def _load_decisions(warehouse: Warehouse, fid: str, kind: str) -> dict[str, int]:
    warehouse.temp_table("parsed_rows", load_sql("ingest/parse_decisions"), {"kind": kind})
    warehouse.temp_table("classified_rows", load_sql("ingest/classify_decisions"))
    warehouse.script(load_sql("ingest/store_decisions"), {"file_id": fid})
    return _disposition_counts(warehouse)


def _disposition_counts(warehouse: Warehouse) -> dict[str, int]:
    rows = dict(warehouse.con.execute(load_sql("ingest/dispositions")).fetchall())
    return {
        "accepted": rows.get("new", 0) + rows.get("correction", 0),
        "duplicates": rows.get("duplicate", 0),
        "corrections": rows.get("correction", 0),
    }


def _store_rejects(warehouse: Warehouse, path: Path, fid: str, kind: str) -> tuple[int, str | None]:
    warehouse.execute(
        load_sql("ingest/store_rejects"), {"file": str(path), "file_id": fid, "kind": kind}
    )
    return warehouse.one(load_sql("ingest/reject_summary"))
