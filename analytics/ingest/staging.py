"""Read an input file (JSON Lines, CSV, Parquet) into the temp table `staged`: every field as text.

Rows keep their position in the file (`row_number`, 1-based: the line of a JSONL file, the data
row of a CSV or Parquet file) so that rejects can name it. The bulk path is Polars' and DuckDB's
readers; no Python object is made per row (only per line that is not JSON, to say why).

A file that lacks a field its kind requires in every row is refused as a whole: as a CSV or
Parquet column, or as a field of every JSONL record. A file with no rows at all (0 bytes, blank
lines, a header only, a Parquet file without rows) stages no rows: it is an empty file, loaded as
such whatever its format (see `analytics.ingest.IngestReport.note`).
"""

from __future__ import annotations

import contextlib
import json
from dataclasses import dataclass
from pathlib import Path

import duckdb
import polars as pl

from analytics.errors import InputFileError, first_line
from analytics.warehouse import Warehouse, load_sql

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
# Fields a file must have (a column of a CSV or Parquet file, a field of some JSONL record):
# without one, no row of it could load.
REQUIRED = {
    "prices": FIELDS["prices"],
    "trades": ("ts", "symbol", "direction", "entry_score", "components", "entry_ts",
               "entry_price", "qty"),
    "blocked": ("ts", "symbol", "direction", "entry_score", "components", "reason"),
}  # fmt: skip
_REQUIRED_ANYWHERE = tuple(dict.fromkeys(f for fields in REQUIRED.values() for f in fields))
_FORMAT_NAMES = {"jsonl": "JSON Lines", "csv": "CSV", "parquet": "Parquet"}
# json_type of a JSON value that is not an object, as a person says it (any other is a number)
_NOT_AN_OBJECT = {"ARRAY": "a JSON array", "VARCHAR": "a JSON string", "BOOLEAN": "a JSON boolean",
                  "NULL": "JSON null"}  # fmt: skip
_PEEK_BYTES = 1 << 16


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
    """Create temp view `staged(row_number, record, record_problem, <fields of kind> as VARCHAR)`.

    A view, not a table: a 10-million-row file is read as it is parsed, not copied as text
    first. `record` (the row as written, for rejects) is only computed for rejected rows;
    `record_problem` says why a row is no record at all (a JSONL line that is not a JSON
    object), else NULL. Needs the ingest macros (sql/ingest/macros.sql). Sources it reads stay
    registered until `release_staged`."""
    con = warehouse.con
    fmt = file_format(path)
    _check_content_matches(path, fmt)
    fields = FIELDS[kind]
    try:
        if fmt == "jsonl":
            _stage_jsonl(con, path, kind, fields)
        elif fmt == "csv":
            _stage_csv(con, path, kind, fields)
        else:
            _stage_parquet(con, path, kind, fields)
    except (pl.exceptions.PolarsError, duckdb.Error) as exc:
        raise InputFileError(f"{path}: cannot read as {fmt.upper()}: {first_line(exc)}") from None
    return StagedFile(format=fmt, rows=warehouse.value("SELECT count(*) FROM staged"))


def _check_content_matches(path: Path, fmt: str) -> None:
    """Refuse a file whose bytes say it is another format than its name does, naming that format."""
    actual = _sniffed_format(path)
    if actual not in (None, fmt):
        raise InputFileError(
            f"{path}: cannot read as {fmt.upper()}: the file looks like {_FORMAT_NAMES[actual]}: "
            f"name it .{actual}"
        )


def _sniffed_format(path: Path) -> str | None:
    """The format the file's first and last bytes show, where they show one: Parquet starts and
    ends with the magic bytes PAR1; JSON Lines has a JSON object as its first line."""
    try:
        with path.open("rb") as fh:
            head = fh.readline(_PEEK_BYTES)
            fh.seek(max(fh.seek(0, 2) - 4, 0))
            tail = fh.read()
    except OSError:
        return None  # not ours to explain: the reader says what is wrong
    if head.startswith(b"PAR1") and tail == b"PAR1":
        return "parquet"
    try:
        return "jsonl" if isinstance(json.loads(head.decode("utf-8-sig")), dict) else None
    except ValueError:  # not UTF-8, not JSON, or a first line longer than what was read
        return None


def _stage_jsonl(
    con: duckdb.DuckDBPyConnection, path: Path, kind: str, fields: tuple[str, ...]
) -> None:
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
    _check_record_fields(con, path, kind)
    con.register("staged_malformed", _malformed_lines(con))
    con.execute(
        f"""
        CREATE OR REPLACE TEMP VIEW staged AS
        WITH src AS (
            SELECT
                CAST(l.row_number AS BIGINT) AS row_number,
                l.line AS record,
                m.record_problem,
                CASE WHEN m.row_number IS NULL THEN CAST(l.line AS JSON) END AS j
            FROM staged_lines AS l
            LEFT JOIN staged_malformed AS m
                ON m.row_number = l.row_number
        )
        SELECT row_number, record, record_problem, {extract}
        FROM src
        """
    )


def _check_record_fields(con: duckdb.DuckDBPyConnection, path: Path, kind: str) -> None:
    """Refuse a JSONL file none of whose records has a value for a field the kind requires: one
    error for the file rather than a reject per record. A file without records passes."""
    fields = {"fields": list(_REQUIRED_ANYWHERE)}
    has_value = con.execute(load_sql("ingest/record_fields"), fields).fetchall()
    if has_value:
        present = [field for field, in_some_record in has_value if in_some_record]
        _refuse_missing(path, kind, present, "field", " in every record")


def _malformed_lines(con: duckdb.DuckDBPyConnection) -> pl.DataFrame:
    """`(row_number, record_problem)` of each line that is not a JSON object, saying why.

    Only these lines go through Python: DuckDB says that a line is not JSON, Python's parser
    says where and why."""
    rows = con.execute(load_sql("ingest/malformed_lines")).fetchall()
    return pl.DataFrame(
        {
            "row_number": [line_number for line_number, _, _ in rows],
            "record_problem": [_record_problem(*row) for row in rows],
        },
        schema={"row_number": pl.UInt32, "record_problem": pl.String},
    )


def _record_problem(line_number: int, line: str, json_type: str | None) -> str:
    if json_type is not None:
        what = _NOT_AN_OBJECT.get(json_type, "a JSON number")
        return f"line {line_number} is {what}, not an object"
    try:
        json.loads(line)
    except json.JSONDecodeError as exc:
        # Python's messages end in "at" where a position follows ("Invalid control character at")
        message = exc.msg.removesuffix(" at")
        return f"line {line_number} is not JSON: {message} at column {exc.colno}"
    except RecursionError:
        return f"line {line_number} is not JSON: nested too deeply"
    # Python reads what DuckDB refuses (a lone UTF-16 surrogate in a string, say).
    return f"line {line_number} is not JSON that DuckDB can read"


def _stage_csv(con: duckdb.DuckDBPyConnection, path: Path, kind: str, fields: tuple[str, ...]):
    frame = _read_csv(path, kind)
    select = ", ".join(f"{f}" if f in frame.columns else f"CAST(NULL AS VARCHAR) AS {f}"
                       for f in fields)  # fmt: skip
    con.register("staged_csv", frame)
    con.execute(
        f"""
        CREATE OR REPLACE TEMP VIEW staged AS
        SELECT
            CAST(row_number AS BIGINT) AS row_number,
            CAST(to_json(staged_csv) AS VARCHAR) AS record,
            CAST(NULL AS VARCHAR) AS record_problem,
            {select}
        FROM staged_csv
        """
    )


def _read_csv(path: Path, kind: str) -> pl.DataFrame:
    """The data rows as text, numbered, without the blank ones. A file without even a header
    (0 bytes, blank lines) is an empty file, not an error, as an empty JSONL file is."""
    if _is_blank(path):
        return pl.DataFrame(schema={"row_number": pl.UInt32})
    frame = pl.scan_csv(path, infer_schema=False).with_row_index("row_number", offset=1).collect()
    _check_columns(path, kind, frame.columns)
    return frame.filter(~pl.all_horizontal(pl.exclude("row_number").is_null()))


def _is_blank(path: Path) -> bool:
    """Whether the file holds only whitespace; reads no further than its first other byte."""
    with path.open("rb") as fh:
        return not any(chunk.strip() for chunk in iter(lambda: fh.read(_PEEK_BYTES), b""))


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
            CAST(NULL AS VARCHAR) AS record_problem,
            {select}
        FROM staged_parquet AS src
        """
    )


def release_staged(warehouse: Warehouse) -> None:
    """Drop the staged view and the frames it reads."""
    warehouse.execute("DROP VIEW IF EXISTS staged")
    warehouse.execute("DROP VIEW IF EXISTS staged_parquet")
    for name in ("staged_lines", "staged_malformed", "staged_csv"):
        with contextlib.suppress(duckdb.Error):
            warehouse.con.unregister(name)


def _check_columns(path: Path, kind: str, columns: list[str]) -> None:
    _refuse_missing(path, kind, columns, "column")


def _refuse_missing(path: Path, kind: str, present: list[str], noun: str, where: str = "") -> None:
    """Refuse the file if it lacks a field `kind` requires, guessing the kind it may be."""
    missing = [f for f in REQUIRED[kind] if f not in present]
    if not missing:
        return
    guess = next(
        (other for other, needed in REQUIRED.items()
         if other != kind and all(f in present for f in needed)),
        None,
    )  # fmt: skip
    raise InputFileError(
        f"{path}: missing {noun}{'s' if len(missing) > 1 else ''} "
        f"{', '.join(repr(f) for f in missing)}{where} "
        f"(a {kind} file needs {', '.join(REQUIRED[kind])})"
        + (f": is this a {guess} file?" if guess else "")
    )
