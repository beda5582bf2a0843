"""Read an input file (JSON Lines, CSV, Parquet) into the temp table `staged`: every field as text.

Rows keep their position in the file (`row_number`, 1-based: the line of a JSONL file, the data
row of a CSV or Parquet file) so that rejects can name it. The bulk path is Polars' and DuckDB's
readers; no Python object is made per row.
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass
from pathlib import Path

import duckdb
import polars as pl

from analytics.errors import InputFileError, first_line
from analytics.warehouse import Warehouse

FORMATS = {
    ".jsonl": "jsonl",
    ".ndjson": "jsonl",
    ".json": "jsonl",
    ".csv": "csv",
    ".parquet": "parquet",
}

_DECISION_FIELDS = (
    "decision_id", "ts", "symbol", "direction", "entry_score", "components", "notional",
    "entry_ts", "entry_price", "exit_ts", "exit_price", "qty", "fees", "pnl", "reason", "price",
)  # fmt: skip
# Both decision kinds stage every decision field (absent ones as NULL): one parser serves both.
FIELDS = {
    "prices": ("symbol", "ts", "open", "high", "low", "close", "volume"),
    "trades": _DECISION_FIELDS,
    "blocked": _DECISION_FIELDS,
}
# Columns a CSV or Parquet file must have: without one, no row of it could load.
REQUIRED = {
    "prices": FIELDS["prices"],
    "trades": ("ts", "symbol", "direction", "entry_score", "components", "entry_ts",
               "entry_price", "qty"),
    "blocked": ("ts", "symbol", "direction", "entry_score", "components", "reason"),
}  # fmt: skip


@dataclass(frozen=True)
class StagedFile:
    format: str  # jsonl | csv | parquet
    rows: int


def file_format(path: Path) -> str:
    fmt = FORMATS.get(path.suffix.lower())
    if fmt is None:
        raise InputFileError(
            f"{path}: unknown file type '{path.suffix}' (use .jsonl, .csv or .parquet)"
        )
    return fmt


def stage_file(warehouse: Warehouse, path: Path, kind: str) -> StagedFile:
    """Create temp view `staged(row_number, record, malformed, <fields of kind> as VARCHAR)`.

    A view, not a table: a 10-million-row file is read as it is parsed, not copied as text
    first. `record` (the row as written, for rejects) is only computed for rejected rows.
    Sources it reads stay registered until `release_staged`."""
    con = warehouse.con
    fmt = file_format(path)
    fields = FIELDS[kind]
    try:
        if fmt == "jsonl":
            _stage_jsonl(con, path, fields)
        elif fmt == "csv":
            _stage_csv(con, path, kind, fields)
        else:
            _stage_parquet(con, path, kind, fields)
    except (pl.exceptions.PolarsError, duckdb.Error) as exc:
        raise InputFileError(f"{path}: cannot read as {fmt.upper()}: {first_line(exc)}") from None
    return StagedFile(format=fmt, rows=warehouse.value("SELECT count(*) FROM staged"))


def _stage_jsonl(con: duckdb.DuckDBPyConnection, path: Path, fields: tuple[str, ...]) -> None:
    # One text row per line, split here rather than by a CSV reader with a stand-in separator:
    # a malformed line holding that character would fail the whole file instead of one row.
    try:
        text = path.read_bytes().decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise InputFileError(f"{path}: not UTF-8 text (bad byte at offset {exc.start})") from None
    lines = (
        pl.DataFrame({"line": text.split("\n")})
        .with_row_index("row_number", offset=1)
        .with_columns(pl.col("line").str.strip_suffix("\r"))
        .filter(pl.col("line").str.strip_chars() != "")
    )
    extract = ",\n".join(
        # A JSON string holding an object (components written as text) is accepted too.
        f"CASE WHEN json_type(j, '$.{f}') = 'VARCHAR' THEN j ->> '$.{f}' "
        f"WHEN json_type(j, '$.{f}') = 'NULL' THEN NULL "
        f"ELSE CAST(j -> '$.{f}' AS VARCHAR) END AS {f}"
        if f == "components"
        else f"j ->> '$.{f}' AS {f}"
        for f in fields
    )
    con.register("staged_lines", lines)
    con.execute(
        f"""
        CREATE OR REPLACE TEMP VIEW staged AS
        WITH src AS (
            SELECT
                CAST(row_number AS BIGINT) AS row_number,
                line AS record,
                CASE WHEN json_valid(line) AND json_type(CAST(line AS JSON)) = 'OBJECT'
                     THEN CAST(line AS JSON) END AS j
            FROM staged_lines
        )
        SELECT row_number, record, j IS NULL AS malformed, {extract}
        FROM src
        """
    )


def _stage_csv(con: duckdb.DuckDBPyConnection, path: Path, kind: str, fields: tuple[str, ...]):
    frame = pl.scan_csv(path, infer_schema=False).with_row_index("row_number", offset=1).collect()
    _check_columns(path, kind, frame.columns)
    frame = frame.filter(~pl.all_horizontal(pl.exclude("row_number").is_null()))
    select = ", ".join(f"{f}" if f in frame.columns else f"CAST(NULL AS VARCHAR) AS {f}"
                       for f in fields)  # fmt: skip
    con.register("staged_csv", frame)
    con.execute(
        f"""
        CREATE OR REPLACE TEMP VIEW staged AS
        SELECT
            CAST(row_number AS BIGINT) AS row_number,
            CAST(to_json(staged_csv) AS VARCHAR) AS record,
            false AS malformed,
            {select}
        FROM staged_csv
        """
    )


def _stage_parquet(con: duckdb.DuckDBPyConnection, path: Path, kind: str, fields):
    described = con.execute("DESCRIBE SELECT * FROM read_parquet(?)", [str(path)]).fetchall()
    types = {name: col_type for name, col_type, *_ in described}
    _check_columns(path, kind, list(types))

    def as_text(f: str) -> str:
        if f not in types:
            return f"CAST(NULL AS VARCHAR) AS {f}"
        if f == "components" and types[f].startswith("STRUCT"):
            # A STRUCT column has every component on every row: null fields are absent ones.
            return (
                f"CAST(to_json(map_from_entries(list_filter("
                f'map_entries(CAST(to_json("{f}") AS MAP(VARCHAR, JSON))), '
                f"lambda e: json_type(e.value) <> 'NULL'))) AS VARCHAR) AS {f}"
            )
        if f == "components" and not types[f].startswith("VARCHAR"):
            return f'CAST(to_json("{f}") AS VARCHAR) AS {f}'  # MAP column
        return f'CAST("{f}" AS VARCHAR) AS {f}'

    select = ", ".join(as_text(f) for f in fields)
    # A relation carries the path as a value, never spliced into SQL text.
    con.read_parquet(str(path), file_row_number=True).to_view("staged_parquet")
    con.execute(
        f"""
        CREATE OR REPLACE TEMP VIEW staged AS
        SELECT
            file_row_number + 1 AS row_number,
            CAST(to_json(src) AS VARCHAR) AS record,
            false AS malformed,
            {select}
        FROM staged_parquet AS src
        """
    )


def release_staged(warehouse: Warehouse) -> None:
    """Drop the staged view and the frames it reads."""
    warehouse.execute("DROP VIEW IF EXISTS staged")
    warehouse.execute("DROP VIEW IF EXISTS staged_parquet")
    for name in ("staged_lines", "staged_csv"):
        with contextlib.suppress(duckdb.Error):
            warehouse.con.unregister(name)


def _check_columns(path: Path, kind: str, columns: list[str]) -> None:
    missing = [c for c in REQUIRED[kind] if c not in columns]
    if missing:
        raise InputFileError(
            f"{path}: missing column{'s' if len(missing) > 1 else ''} "
            f"{', '.join(repr(c) for c in missing)} "
            f"(a {kind} file needs {', '.join(REQUIRED[kind])})"
        )
