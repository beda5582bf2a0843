"""Ingest input files into the raw schema: one file, one transaction (SPEC §2)."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import duckdb

from analytics.errors import InputFileError
from analytics.files import input_file_id
from analytics.ingest.staging import release_staged, stage_file
from analytics.warehouse import fetch_one, load_sql

KINDS = ("prices", "trades", "blocked")
DECISION_KIND = {"trades": "executed", "blocked": "blocked"}
_INTERVAL = re.compile(r"^\s*(\d+)\s*([mhd])\s*$")
_UNIT_SEC = {"m": 60, "h": 3600, "d": 86400}
WORK_TABLES = ("parsed_prices", "classified_prices", "parsed_decisions", "classified_decisions")


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

    def as_dict(self) -> dict:
        return self.__dict__.copy()


def parse_interval(text: str | None) -> int | None:
    """'5m', '60m', '1h', '1d' → seconds; None → infer per symbol."""
    if text is None:
        return None
    match = _INTERVAL.match(text)
    if not match or int(match.group(1)) == 0:
        raise InputFileError(f"--interval {text!r}: use an integer and m, h or d, e.g. 5m or 1h")
    return int(match.group(1)) * _UNIT_SEC[match.group(2)]


def ingest_file(
    con: duckdb.DuckDBPyConnection,
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
    seen = fetch_one(
        con, "SELECT ingested_at FROM raw.files WHERE file_id = ? AND kind = ?", [fid, kind]
    )
    if seen:
        return IngestReport(path=str(path), kind=kind, already_ingested=True)
    con.execute("BEGIN TRANSACTION")
    try:
        _ensure_macros(con)
        on_stage("reading")
        staged = stage_file(con, path, kind, fid)
        on_stage("validating")
        if kind == "prices":
            counts = _load_prices(con, fid, interval_sec, bar_time)
        else:
            counts = _load_decisions(con, fid, DECISION_KIND[kind])
        on_stage("writing")
        rejected, first_reject = _store_rejects(con, path, fid, kind)
        options = {"bar_time": bar_time, "interval": interval} if kind == "prices" else {}
        report = IngestReport(
            path=str(path),
            kind=kind,
            rows=staged.rows,
            rejected=rejected,
            first_reject=first_reject,
            **counts,
        )
        con.execute(
            """
            INSERT INTO raw.files VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, current_localtimestamp())
            """,
            [
                fid, kind, str(path), staged.format, json.dumps(options), report.rows,
                report.accepted, report.rejected, report.duplicates, report.corrections,
            ],
        )  # fmt: skip
        con.execute("COMMIT")
    except duckdb.Error as exc:
        # Whatever the database refused, the file is not loaded: say so in one line, naming it.
        con.execute("ROLLBACK")
        first_line = next(iter(str(exc).strip().splitlines()), type(exc).__name__)
        raise InputFileError(f"{path}: not ingested: {first_line}") from exc
    except BaseException:
        con.execute("ROLLBACK")
        raise
    finally:
        _release_work_tables(con)
    return report


def _release_work_tables(con: duckdb.DuckDBPyConnection) -> None:
    """Free what one file's ingest held in memory."""
    release_staged(con)
    for table in WORK_TABLES:
        con.execute(f"DROP TABLE IF EXISTS {table}")


def _ensure_macros(con: duckdb.DuckDBPyConnection) -> None:
    con.execute(load_sql("ingest/macros"))


def _load_prices(
    con: duckdb.DuckDBPyConnection, fid: str, interval_sec: int | None, bar_time: str
) -> dict[str, int]:
    con.execute(f"CREATE OR REPLACE TEMP TABLE parsed_prices AS {load_sql('ingest/parse_prices')}")
    con.execute(
        f"CREATE OR REPLACE TEMP TABLE classified_prices AS {load_sql('ingest/classify_prices')}",
        {"interval_sec": interval_sec, "bar_time": bar_time},
    )
    con.execute(
        """
        UPDATE parsed_prices AS p
        SET reject_field = 'ts',
            reject_reason = 'cannot infer the bar interval of ' || p.symbol
                || ' from a single bar: pass --interval'
        FROM classified_prices AS c
        WHERE c.row_number = p.row_number AND c.disposition = 'unknown_interval'
        """
    )
    con.execute(
        """
        DELETE FROM raw.prices AS p
        USING classified_prices AS c
        WHERE c.disposition = 'correction' AND p.symbol = c.symbol AND p.ts = c.ts
        """
    )
    con.execute(
        """
        INSERT INTO raw.prices
        SELECT symbol, ts, open, high, low, close, volume, interval_sec, available_at, $file_id
        FROM classified_prices
        WHERE disposition IN ('new', 'correction')
        ORDER BY symbol, available_at
        """,
        {"file_id": fid},
    )
    return _disposition_counts(con, "classified_prices")


def _load_decisions(con: duckdb.DuckDBPyConnection, fid: str, kind: str) -> dict[str, int]:
    con.execute(
        f"CREATE OR REPLACE TEMP TABLE parsed_decisions AS {load_sql('ingest/parse_decisions')}",
        {"kind": kind},
    )
    con.execute(
        "CREATE OR REPLACE TEMP TABLE classified_decisions AS "
        + load_sql("ingest/classify_decisions")
    )
    con.execute(
        """
        UPDATE parsed_decisions AS p
        SET reject_field = 'decision_id',
            reject_reason = 'duplicate decision_id ' || c.decision_id || ' with different content'
        FROM classified_decisions AS c
        WHERE c.row_number = p.row_number AND c.disposition = 'conflict'
        """
    )
    con.execute(
        """
        INSERT INTO raw.decisions
        SELECT
            decision_id, kind, ts, symbol, direction, entry_score, components, notional,
            entry_ts, entry_price, exit_ts, exit_price, qty, fees, pnl, reason, price,
            content_hash, $file_id, row_number,
            (SELECT coalesce(max(decision_key), -1) FROM raw.decisions)
                + CAST(row_number() OVER (ORDER BY row_number) AS INTEGER) AS decision_key
        FROM classified_decisions
        WHERE disposition = 'new'
        ORDER BY row_number
        """,
        {"file_id": fid},
    )
    return _disposition_counts(con, "classified_decisions")


def _disposition_counts(con: duckdb.DuckDBPyConnection, table: str) -> dict[str, int]:
    rows = dict(con.execute(f"SELECT disposition, count(*) FROM {table} GROUP BY ALL").fetchall())
    return {
        "accepted": rows.get("new", 0) + rows.get("correction", 0),
        "duplicates": rows.get("duplicate", 0),
        "corrections": rows.get("correction", 0),
    }


def _store_rejects(
    con: duckdb.DuckDBPyConnection, path: Path, fid: str, kind: str
) -> tuple[int, str | None]:
    parsed = "parsed_prices" if kind == "prices" else "parsed_decisions"
    con.execute(
        f"""
        INSERT INTO raw.rejects
        SELECT $file, $file_id, $kind, p.row_number, p.reject_field, p.reject_reason, s.record,
               current_localtimestamp()
        FROM {parsed} AS p
        JOIN staged AS s USING (row_number)
        WHERE p.reject_reason IS NOT NULL
        ORDER BY p.row_number
        """,
        {"file": str(path), "file_id": fid, "kind": kind},
    )
    count, first = fetch_one(
        con,
        f"""
        SELECT count(*), arg_min('row ' || row_number || ': field ' || reject_field || ': '
                                 || reject_reason, row_number)
        FROM {parsed}
        WHERE reject_reason IS NOT NULL
        """,
    )
    return count, first
