"""Ingest of SPEC §2 inputs: formats, timestamps, directions, rejects, duplicates, corrections,
intervals, and one transaction per file. Every expected value is worked out by hand here."""

from __future__ import annotations

import csv
import json
import shutil
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import duckdb
import polars as pl
import pytest
from conftest import ingest_one, tradelens, write_csv, write_jsonl

from analytics.context import Tradelens
from analytics.errors import InputFileError
from analytics.ingest import parse_interval

BAR_FIELDS = ["symbol", "ts", "open", "high", "low", "close", "volume"]


# --- records -------------------------------------------------------------------------------


def bar(symbol: str, ts: Any, price: float, **fields: Any) -> dict[str, Any]:
    """A bar that opens and closes at `price`, one above and below it in between."""
    return {
        "symbol": symbol, "ts": ts, "open": price, "high": price + 1, "low": price - 1,
        "close": price, "volume": 10.0, **fields,
    }  # fmt: skip


def blocked_trade(decision_id: str | None, **fields: Any) -> dict[str, Any]:
    record = {
        "decision_id": decision_id,
        "ts": "2025-03-04T10:00:00Z",
        "symbol": "ALPHA",
        "direction": "long",
        "entry_score": 1.5,
        "components": {"flow": 0.5, "news": -1.0},
        "reason": "score_below_threshold",
        "price": 50.0,
        **fields,
    }
    return {k: v for k, v in record.items() if v is not None or k != "decision_id"}


def executed_trade(decision_id: str, **fields: Any) -> dict[str, Any]:
    return {
        "decision_id": decision_id,
        "ts": "2025-03-04T10:00:00Z",
        "symbol": "BRAVO",
        "direction": "short",
        "entry_score": 0.7,
        "components": {"momentum": 2.0},
        "entry_ts": "2025-03-04T10:00:05Z",
        "entry_price": 100.0,
        "qty": 2.0,
        "exit_ts": "2025-03-04T11:00:00Z",
        "exit_price": 99.0,
        **fields,
    }


def without(record: dict[str, Any], *fields: str) -> dict[str, Any]:
    return {k: v for k, v in record.items() if k not in fields}


# --- files ---------------------------------------------------------------------------------


def write_lines(path: Path, lines: list[str | dict]) -> Path:
    """A JSONL file of records and raw text lines (for malformed and blank lines)."""
    path.write_text("".join((json.dumps(x) if isinstance(x, dict) else x) + "\n" for x in lines))
    return path


def write_decisions_csv(path: Path, records: list[dict[str, Any]]) -> Path:
    """CSV with components as a JSON string column (quoted the way csv writers quote)."""
    columns = list(dict.fromkeys(k for r in records for k in r))
    with path.open("w", newline="") as fh:
        writer = csv.DictWriter(fh, columns)
        writer.writeheader()
        for r in records:
            writer.writerow({**r, "components": json.dumps(r["components"])})
    return path


def write_parquet(path: Path, records: list[dict[str, Any]], components: str = "json") -> Path:
    """Parquet with components as a JSON string, a MAP or a STRUCT column."""
    if components == "struct":
        pl.DataFrame(records).write_parquet(path)
        return path
    frame = pl.DataFrame(
        [{**r, "components": json.dumps(r["components"])} if "components" in r else r
         for r in records]
    )  # fmt: skip
    if components == "json":
        frame.write_parquet(path)
        return path
    with duckdb.connect() as con:
        con.register("src", frame)
        con.execute(
            "COPY (SELECT * REPLACE (CAST(CAST(components AS JSON) AS MAP(VARCHAR, DOUBLE))"
            f" AS components) FROM src) TO '{path}' (FORMAT parquet)"
        )
    return path


def parquet_type(path: Path, column: str) -> str:
    with duckdb.connect() as con:
        rows = con.execute("DESCRIBE SELECT * FROM read_parquet(?)", [str(path)]).fetchall()
    return {name: kind for name, kind, *_ in rows}[column]


# --- warehouse access ----------------------------------------------------------------------


@pytest.fixture
def lens(warehouse: Path) -> Iterator[Tradelens]:
    """One session per test, as one `tradelens ingest` holds (opening a file costs ~0.1 s)."""
    lens = Tradelens(warehouse)
    with lens.session():
        yield lens


def query(lens: Tradelens, sql: str, params: list | None = None) -> list[tuple]:
    return lens.sql(sql, params)[1]


def table_counts(lens: Tradelens) -> dict[str, int]:
    tables = ("raw.files", "raw.prices", "raw.decisions", "raw.rejects")
    return {t: query(lens, f"SELECT count(*) FROM {t}")[0][0] for t in tables}


def rejects(lens: Tradelens) -> list[tuple]:
    return query(
        lens, "SELECT file, kind, row_number, field, reason FROM raw.rejects ORDER BY 1, 3"
    )


def at(text: str) -> datetime:
    """A naive UTC timestamp written by hand: '2025-03-04 10:00:00'."""
    return datetime.fromisoformat(text)


# --- timestamps ----------------------------------------------------------------------------

# 1_700_000_000 s after 1970-01-01 is 2023-11-14 22:13:20 UTC (19675 days + 80000 s).
EPOCH = datetime(1970, 1, 1)
EPOCH_1_7E9 = at("2023-11-14 22:13:20")
TIMESTAMP_FORMS = {
    "iso_z": ("2025-03-04T10:20:30Z", at("2025-03-04 10:20:30")),
    "iso_utc_offset": ("2025-03-04T10:20:30+00:00", at("2025-03-04 10:20:30")),
    "iso_minus_5h": ("2025-03-04T10:20:30-05:00", at("2025-03-04 15:20:30")),
    "iso_plus_5h30_across_midnight": ("2025-03-04T02:00:00+05:30", at("2025-03-03 20:30:00")),
    "iso_no_offset_is_utc": ("2025-03-04T10:20:30", at("2025-03-04 10:20:30")),
    "iso_space_no_offset": ("2025-03-04 10:20:30", at("2025-03-04 10:20:30")),
    "iso_fraction": ("2025-03-04T10:20:30.250Z", at("2025-03-04 10:20:30.250000")),
    "iso_lowercase_t_z": ("2025-03-04t10:20:30z", at("2025-03-04 10:20:30")),
    "iso_lowercase_t_offset": ("2025-03-04t10:20:30+01:00", at("2025-03-04 09:20:30")),
    "epoch_sec": (1_700_000_000, EPOCH_1_7E9),
    "epoch_sec_fraction": (1_700_000_000.123456, at("2023-11-14 22:13:20.123456")),
    "epoch_ms": (1_700_000_000_123, at("2023-11-14 22:13:20.123000")),
    "epoch_sec_as_text": ("1700000000", EPOCH_1_7E9),
    # the boundary of SPEC §2: above 10^11 is milliseconds, 10^11 itself is seconds
    # 10^11 s = 1_157_407 days + 35_200 s after 1970-01-01
    "epoch_1e11_is_seconds": (100_000_000_000, EPOCH + timedelta(days=1_157_407, seconds=35_200)),
    "epoch_above_1e11_is_ms": (100_000_000_001, at("1973-03-03 09:46:40.001000")),
}  # fmt: skip


def test_every_timestamp_form_is_stored_as_utc(lens: Tradelens, tmp_path: Path) -> None:
    names = list(TIMESTAMP_FORMS)
    path = write_jsonl(
        tmp_path / "blocked.jsonl",
        [blocked_trade(name, ts=TIMESTAMP_FORMS[name][0]) for name in names],
    )
    report = ingest_one(lens, "blocked", path)
    assert (report.accepted, report.rejected) == (len(names), 0)
    stored = dict(query(lens, "SELECT decision_id, ts FROM raw.decisions"))
    assert stored == {name: TIMESTAMP_FORMS[name][1] for name in names}


def test_epoch_digits_in_csv_are_timestamps(lens: Tradelens, tmp_path: Path) -> None:
    path = write_csv(
        tmp_path / "bars.csv",
        BAR_FIELDS,
        [
            ["ALPHA", "1700000000", 10, 11, 9, 10, 5],
            ["BRAVO", "1700000000123", 10, 11, 9, 10, 5],
            ["CHARLIE", "1700000000.5", 10, 11, 9, 10, 5],
        ],
    )
    report = ingest_one(lens, "prices", path, interval="1m")
    assert report.accepted == 3
    stored = dict(query(lens, "SELECT symbol, ts FROM raw.prices"))
    assert stored == {
        "ALPHA": EPOCH_1_7E9,
        "BRAVO": at("2023-11-14 22:13:20.123000"),
        "CHARLIE": at("2023-11-14 22:13:20.500000"),
    }


def test_trade_entry_and_exit_times_use_the_same_rules(lens: Tradelens, tmp_path: Path) -> None:
    trade = executed_trade(
        "t1",
        ts="2025-03-04T05:00:00-05:00",
        entry_ts=1_741_082_405,  # 2025-03-04 10:00:05 UTC = 20151 days + 36005 s
        exit_ts=1_741_086_000_500,  # 2025-03-04 11:00:00.5 UTC
    )
    ingest_one(lens, "trades", write_jsonl(tmp_path / "t.jsonl", [trade]))
    assert query(lens, "SELECT ts, entry_ts, exit_ts FROM raw.decisions") == [
        (at("2025-03-04 10:00:00"), at("2025-03-04 10:00:05"), at("2025-03-04 11:00:00.500000"))
    ]


# --- directions ----------------------------------------------------------------------------

DIRECTIONS = {
    "long": 1, "short": -1, "buy": 1, "sell": -1, "bullish": 1, "bearish": -1,
    1: 1, -1: -1, "1": 1, "-1": -1, "LONG": 1, " Sell ": -1,
}  # fmt: skip


def test_direction_synonyms(lens: Tradelens, tmp_path: Path) -> None:
    records = [blocked_trade(f"d{i}", direction=d) for i, d in enumerate(DIRECTIONS)]
    report = ingest_one(lens, "blocked", write_jsonl(tmp_path / "b.jsonl", records))
    assert report.rejected == 0
    stored = dict(query(lens, "SELECT decision_id, direction FROM raw.decisions"))
    assert stored == {f"d{i}": sign for i, sign in enumerate(DIRECTIONS.values())}


# --- formats -------------------------------------------------------------------------------

BARS = [
    bar("ALPHA", "2025-03-04T10:00:00Z", 50.0),
    bar("ALPHA", "2025-03-04T10:05:00Z", 50.5),
    bar("BRAVO", "2025-03-04T10:00:00Z", 100.25, volume=0.0),
]
STORED_BARS = [  # symbol, ts, open, high, low, close, volume, interval_sec, available_at
    ("ALPHA", at("2025-03-04 10:00"), 50.0, 51.0, 49.0, 50.0, 10.0, 300, at("2025-03-04 10:05")),
    ("ALPHA", at("2025-03-04 10:05"), 50.5, 51.5, 49.5, 50.5, 10.0, 300, at("2025-03-04 10:10")),
    ("BRAVO", at("2025-03-04 10:00"), 100.25, 101.25, 99.25, 100.25, 0.0, 300,
     at("2025-03-04 10:05")),
]  # fmt: skip
STORED_BAR_COLUMNS = "symbol, ts, open, high, low, close, volume, interval_sec, available_at"


@pytest.mark.parametrize("fmt", ["jsonl", "csv", "parquet"])
def test_price_bars_in_each_format(lens: Tradelens, tmp_path: Path, fmt: str) -> None:
    path = tmp_path / f"bars.{fmt}"
    extra = {"exchange": "X"}  # extra columns are ignored
    records = [{**b, **extra} for b in BARS]
    if fmt == "jsonl":
        write_jsonl(path, records)
    elif fmt == "csv":
        write_csv(path, [*BAR_FIELDS, "exchange"], [list(r.values()) for r in records])
    else:
        write_parquet(path, records)
    report = ingest_one(lens, "prices", path, interval="5m")
    assert (report.rows, report.accepted, report.rejected) == (3, 3, 0)
    stored = query(lens, f"SELECT {STORED_BAR_COLUMNS} FROM raw.prices ORDER BY 1, 2")
    assert stored == STORED_BARS
    assert query(lens, "SELECT format, rows_read, accepted FROM raw.files") == [(fmt, 3, 3)]


def test_parquet_native_timestamp_columns(lens: Tradelens, tmp_path: Path) -> None:
    naive = pl.DataFrame(
        {"symbol": ["ALPHA"], "ts": [datetime(2025, 3, 4, 10, 0)], "open": [1.0], "high": [1.0],
         "low": [1.0], "close": [1.0], "volume": [1.0]}
    )  # fmt: skip
    zoned = naive.with_columns(
        symbol=pl.lit("BRAVO"),
        ts=pl.col("ts").dt.replace_time_zone("America/New_York"),  # 10:00 EST = 15:00 UTC
    )
    naive.write_parquet(tmp_path / "a.parquet")
    zoned.write_parquet(tmp_path / "b.parquet")
    ingest_one(lens, "prices", tmp_path / "a.parquet", interval="1h")
    ingest_one(lens, "prices", tmp_path / "b.parquet", interval="1h")
    assert dict(query(lens, "SELECT symbol, ts FROM raw.prices")) == {
        "ALPHA": at("2025-03-04 10:00:00"),
        "BRAVO": at("2025-03-04 15:00:00"),
    }


DECISION_COLUMNS = (
    "decision_id, kind, ts, symbol, direction, entry_score, components, notional, entry_ts, "
    "entry_price, exit_ts, exit_price, qty, fees, pnl, reason, price"
)
TRADES = [
    executed_trade("t1", components={"momentum": 2.0, "flow": -0.5}, notional=750.0, fees=0.25),
    executed_trade("t2", direction="buy", components={}, pnl=3.5),
]
STORED_TRADES = [
    ("t1", "executed", at("2025-03-04 10:00:00"), "BRAVO", -1, 0.7, {"flow": -0.5, "momentum": 2.0},
     750.0, at("2025-03-04 10:00:05"), 100.0, at("2025-03-04 11:00:00"), 99.0, 2.0, 0.25, None,
     None, None),
    ("t2", "executed", at("2025-03-04 10:00:00"), "BRAVO", 1, 0.7, {}, None,
     at("2025-03-04 10:00:05"), 100.0, at("2025-03-04 11:00:00"), 99.0, 2.0, 0.0, 3.5, None, None),
]  # fmt: skip
BLOCKED = [
    blocked_trade("b1"),
    blocked_trade("b2", direction="bearish", components={"iv_skew": 3}, price=None),
]
STORED_BLOCKED = [
    ("b1", "blocked", at("2025-03-04 10:00:00"), "ALPHA", 1, 1.5, {"flow": 0.5, "news": -1.0},
     None, None, None, None, None, None, None, None, "score_below_threshold", 50.0),
    ("b2", "blocked", at("2025-03-04 10:00:00"), "ALPHA", -1, 1.5, {"iv_skew": 3.0},
     None, None, None, None, None, None, None, None, "score_below_threshold", None),
]  # fmt: skip


def write_decisions(path: Path, records: list[dict], fmt: str) -> Path:
    if fmt == "jsonl":
        return write_jsonl(path.with_suffix(".jsonl"), records)
    if fmt == "csv":
        return write_decisions_csv(path.with_suffix(".csv"), records)
    return write_parquet(path.with_suffix(".parquet"), records, components=fmt.split("-")[1])


DECISION_FORMATS = ["jsonl", "csv", "parquet-json", "parquet-map", "parquet-struct"]


@pytest.mark.parametrize("fmt", DECISION_FORMATS)
@pytest.mark.parametrize(
    ("kind", "records", "expected"),
    [("trades", TRADES, STORED_TRADES), ("blocked", BLOCKED, STORED_BLOCKED)],
    ids=["trades", "blocked"],
)
def test_decisions_in_each_format(
    lens: Tradelens, tmp_path: Path, fmt: str, kind: str, records: list, expected: list
) -> None:
    path = write_decisions(tmp_path / kind, records, fmt)
    report = ingest_one(lens, kind, path)
    assert (report.accepted, report.rejected) == (2, 0)
    assert query(lens, f"SELECT {DECISION_COLUMNS} FROM raw.decisions ORDER BY 1") == expected


@pytest.mark.parametrize("components", ["map", "struct"])
def test_parquet_components_column_types(tmp_path: Path, components: str) -> None:
    """The helper really writes the column type the format test claims to cover."""
    path = write_parquet(tmp_path / "b.parquet", BLOCKED, components=components)
    assert parquet_type(path, "components").startswith(components.upper())


def test_parquet_struct_components_absent_on_some_rows(lens: Tradelens, tmp_path: Path) -> None:
    """A STRUCT column has every component on every row; a null field is an absent component."""
    records = [
        blocked_trade("b1", components={"flow": 1.0, "news": 2.0}),
        blocked_trade("b2", components={"flow": 3.0}),
    ]
    path = write_parquet(tmp_path / "b.parquet", records, components="struct")
    assert ingest_one(lens, "blocked", path).rejected == 0
    assert query(lens, "SELECT decision_id, components FROM raw.decisions ORDER BY 1") == [
        ("b1", {"flow": 1.0, "news": 2.0}),
        ("b2", {"flow": 3.0}),
    ]


# --- rejects -------------------------------------------------------------------------------


@pytest.mark.parametrize("kind", ["blocked", "trades"])
def test_an_empty_component_name_is_a_rejected_row(lens: Tradelens, tmp_path: Path, kind) -> None:
    """A component must have a name: "" (or only spaces) cannot be weighted or reported."""
    make = blocked_trade if kind == "blocked" else executed_trade
    lines = [
        make("ok1", components={"flow": 0.5}),
        make("bad2", components={"": 0.5}),
        make("bad3", components={"flow": 0.1, "  ": 0.2}),
        make("ok4", components={}),
    ]
    path = write_lines(tmp_path / f"{kind}.jsonl", lines)
    report = ingest_one(lens, kind, path)
    assert (report.accepted, report.rejected) == (2, 2)
    assert [(row, field) for _, _, row, field, _ in rejects(lens)] == [
        (2, "components"),
        (3, "components"),
    ]
    assert all("a component name is empty" in r[4] for r in rejects(lens))
    assert report.first_reject.startswith("row 2: field components")
    ids = [r[0] for r in query(lens, "SELECT decision_id FROM raw.decisions ORDER BY 1")]
    assert ids == ["ok1", "ok4"]


def test_blocked_rejects_name_file_line_and_field(lens: Tradelens, tmp_path: Path) -> None:
    lines = [
        blocked_trade("b1"),  # 1
        without(blocked_trade("x2"), "symbol"),  # 2
        blocked_trade("x3", ts="yesterday"),  # 3
        blocked_trade("x4", entry_score="high"),  # 4
        blocked_trade("x5", direction="sideways"),  # 5
        blocked_trade("x6", components=[1, 2]),  # 6
        blocked_trade("x7", components={"flow": "up"}),  # 7
        '{"decision_id": "x8", "ts": ',  # 8: malformed JSON
        blocked_trade("b2"),  # 9
        blocked_trade("x10", price=-3.0),  # 10
        blocked_trade("b1", entry_score=9.0),  # 11: b1 again, other content
        without(blocked_trade("x12"), "components"),  # 12
        without(blocked_trade("x13"), "reason"),  # 13
        blocked_trade("b2"),  # 14: b2 again, same content
        "",  # 15: blank line, not a record
        blocked_trade("b3", components="not json"),  # 16
        blocked_trade("x17", notional=0),  # 17
        blocked_trade("b4", components={}),  # 18
        "[1, 2]",  # 19: JSON but not an object
    ]
    path = write_lines(tmp_path / "blocked.jsonl", lines)
    report = ingest_one(lens, "blocked", path)
    expected = [
        (2, "symbol", "missing"),
        (3, "ts", "unparseable timestamp"),
        (4, "entry_score", "not a number"),
        (5, "direction", "unknown direction 'sideways': use long, short,"),
        (6, "components", "not a JSON object of numbers"),
        (7, "components", "not a JSON object of numbers"),
        (8, "record", "line 8 is not JSON: Expecting value at column 29"),  # the end of line 8
        (10, "price", "positive"),
        (11, "decision_id", "duplicate decision_id b1"),
        (12, "components", "missing"),
        (13, "reason", "missing"),
        (16, "components", "not a JSON object of numbers"),
        (17, "notional", "positive"),
        (19, "record", "line 19 is a JSON array, not an object"),
    ]
    stored_rejects = rejects(lens)
    assert [(row, field) for _, _, row, field, _ in stored_rejects] == [
        (row, field) for row, field, _ in expected
    ]
    for (file, kind, _, _, reason), (_, _, why) in zip(stored_rejects, expected, strict=True):
        assert (file, kind) == (str(path), "blocked")
        assert why in reason
    assert (report.rows, report.accepted, report.rejected, report.duplicates) == (18, 3, 14, 1)
    assert report.first_reject.startswith("row 2: field symbol")
    ids = [r[0] for r in query(lens, "SELECT decision_id FROM raw.decisions ORDER BY 1")]
    assert ids == ["b1", "b2", "b4"]
    # the b1 kept is the first one, not the conflicting row 11
    assert query(lens, "SELECT entry_score FROM raw.decisions WHERE decision_id = 'b1'") == [(1.5,)]


def test_odd_lines_are_rejected_one_by_one(lens: Tradelens, tmp_path: Path) -> None:
    """A byte order mark, Windows line ends, a raw control character, numbers out of range."""
    lines = [
        json.dumps(blocked_trade("b1")),  # 1
        '{"decision_id": "x2", "reason": "tab\x1fbed"}',  # 2: unescaped control character
        json.dumps(blocked_trade("x3", ts="99999999999999999999")),  # 3: past year 294247
        json.dumps(blocked_trade("x4", components={"flow": float("nan")})),  # 4: NaN
        json.dumps(blocked_trade("x5", components={"flow": 12345.0})).replace("12345.0", "1e400"),
        json.dumps(blocked_trade("b6")),  # 6
    ]
    path = tmp_path / "blocked.jsonl"
    path.write_text("\ufeff" + "\r\n".join(lines) + "\r\n")
    report = ingest_one(lens, "blocked", path)
    found = [(row, field) for _, _, row, field, _ in rejects(lens)]
    assert [row for row, _ in found] == [2, 3, 4, 5]
    assert found[0] == (2, "record") and found[1] == (3, "ts") and found[3] == (5, "components")
    assert found[2][1] in ("components", "record")  # NaN: no JSON number, however read
    assert (report.accepted, report.rejected) == (2, 4)
    assert query(lens, "SELECT decision_id FROM raw.decisions ORDER BY 1") == [("b1",), ("b6",)]


def test_trade_rejects(lens: Tradelens, tmp_path: Path) -> None:
    lines = [
        executed_trade("t1"),  # 1
        executed_trade("x2", entry_price=0),  # 2
        executed_trade("x3", entry_price=-5.0),  # 3
        executed_trade("x4", qty="two"),  # 4
        without(executed_trade("x5"), "entry_ts"),  # 5
        executed_trade("x6", exit_ts="soon"),  # 6
        executed_trade("x7", exit_price=-1),  # 7
        executed_trade("x8", fees="abc"),  # 8
        executed_trade("x9", pnl="lots"),  # 9
        executed_trade("t10", exit_ts=None, exit_price=None),  # 10: an open trade is fine
        executed_trade("x11", direction=0),  # 11
        executed_trade("x12", ts=""),  # 12
    ]
    path = write_lines(tmp_path / "trades.jsonl", lines)
    report = ingest_one(lens, "trades", path)
    assert [(row, field) for _, _, row, field, _ in rejects(lens)] == [
        (2, "entry_price"), (3, "entry_price"), (4, "qty"), (5, "entry_ts"), (6, "exit_ts"),
        (7, "exit_price"), (8, "fees"), (9, "pnl"), (11, "direction"), (12, "ts"),
    ]  # fmt: skip
    assert (report.accepted, report.rejected) == (2, 10)
    assert query(lens, "SELECT decision_id, exit_ts FROM raw.decisions ORDER BY 1") == [
        ("t1", at("2025-03-04 11:00:00")),
        ("t10", None),
    ]


def test_price_rejects(lens: Tradelens, tmp_path: Path) -> None:
    lines = [
        bar("ALPHA", "2025-03-04T10:00:00Z", 50.0),  # 1
        bar("ALPHA", "2025-03-04T10:05:00Z", 50.0, close=0.0),  # 2
        bar("ALPHA", "2025-03-04T10:10:00Z", 50.0, open=-1.0),  # 3
        bar("ALPHA", "2025-03-04T10:15:00Z", 50.0, high="abc"),  # 4
        bar("ALPHA", "2025-03-04T10:20:00Z", 50.0, volume=-5),  # 5
        without(bar("ALPHA", "x", 50.0), "ts"),  # 6
        bar("", "2025-03-04T10:25:00Z", 50.0),  # 7
        "{not json}",  # 8
        bar("ALPHA", "2025-13-01T00:00:00Z", 50.0),  # 9
        bar("ALPHA", "2025-03-04T10:05:00Z", 51.0),  # 10
    ]
    path = write_lines(tmp_path / "bars.jsonl", lines)
    report = ingest_one(lens, "prices", path, interval="5m")
    assert [(row, field) for _, _, row, field, _ in rejects(lens)] == [
        (2, "close"), (3, "open"), (4, "high"), (5, "volume"), (6, "ts"), (7, "symbol"),
        (8, "record"), (9, "ts"),
    ]  # fmt: skip
    assert (report.accepted, report.rejected) == (2, 8)
    assert query(lens, "SELECT ts, close FROM raw.prices ORDER BY ts") == [
        (at("2025-03-04 10:00:00"), 50.0),
        (at("2025-03-04 10:05:00"), 51.0),
    ]


def test_csv_row_numbers_are_data_rows(lens: Tradelens, tmp_path: Path) -> None:
    path = write_csv(
        tmp_path / "bars.csv",
        BAR_FIELDS,
        [
            ["ALPHA", "2025-03-04T10:00:00Z", 1, 1, 1, 1, 1],
            ["ALPHA", "2025-03-04T10:05:00Z", 1, 1, 1, "-2", 1],  # data row 2 (file line 3)
            ["ALPHA", "2025-03-04T10:10:00Z", 1, 1, 1, 1, 1],
            ["ALPHA", "noon", 1, 1, 1, 1, 1],  # data row 4
            ["ALPHA", "2025-03-04T10:15:00Z", 1, 1, 1, 1, None],  # data row 5: empty volume
        ],
    )
    report = ingest_one(lens, "prices", path, interval="5m")
    assert [(row, field) for _, _, row, field, _ in rejects(lens)] == [
        (2, "close"), (4, "ts"), (5, "volume"),
    ]  # fmt: skip
    assert (report.rows, report.accepted, report.rejected) == (5, 2, 3)


def test_csv_decision_rejects(lens: Tradelens, tmp_path: Path) -> None:
    records = [
        blocked_trade("b1"),
        blocked_trade("x2", direction="up"),
        blocked_trade("b3", components={"a": 1}),
    ]
    path = write_decisions_csv(tmp_path / "blocked.csv", records)
    # a components cell that is not JSON, written by hand on data row 4
    path.write_text(path.read_text() + "x4,2025-03-04T10:00:00Z,ALPHA,long,1,{oops},r,1\n")
    ingest_one(lens, "blocked", path)
    assert [(row, field) for _, _, row, field, _ in rejects(lens)] == [
        (2, "direction"), (4, "components"),
    ]  # fmt: skip


def test_parquet_row_numbers(lens: Tradelens, tmp_path: Path) -> None:
    records = [blocked_trade("b1"), blocked_trade("b2"), blocked_trade("x3", ts="never")]
    path = write_parquet(tmp_path / "b.parquet", records)
    report = ingest_one(lens, "blocked", path)
    assert [(row, field) for _, _, row, field, _ in rejects(lens)] == [(3, "ts")]
    assert report.accepted == 2


# --- duplicates and idempotence --------------------------------------------------------------


def test_reingesting_a_file_changes_nothing(lens: Tradelens, tmp_path: Path) -> None:
    path = write_lines(tmp_path / "b.jsonl", [blocked_trade("b1"), blocked_trade("x", ts="?")])
    first = ingest_one(lens, "blocked", path)
    before = table_counts(lens)
    again = ingest_one(lens, "blocked", path)
    assert (first.accepted, first.rejected, first.already_ingested) == (1, 1, False)
    assert again.already_ingested
    assert (again.accepted, again.rejected, again.duplicates) == (0, 0, 0)
    assert table_counts(lens) == before == {
        "raw.files": 1, "raw.prices": 0, "raw.decisions": 1, "raw.rejects": 1,
    }  # fmt: skip
    # the same bytes under another name are the same file
    copy = shutil.copy(path, tmp_path / "copy.jsonl")
    assert ingest_one(lens, "blocked", Path(copy)).already_ingested
    assert table_counts(lens) == before


def test_same_decision_in_another_file_is_a_duplicate(lens: Tradelens, tmp_path: Path) -> None:
    first = [blocked_trade("b1"), blocked_trade("b2")]
    ingest_one(lens, "blocked", write_jsonl(tmp_path / "a.jsonl", first))
    report = ingest_one(
        lens,
        "blocked",
        write_jsonl(tmp_path / "b.jsonl", [blocked_trade("b2"), blocked_trade("b3")]),
    )
    assert (report.accepted, report.duplicates, report.rejected) == (1, 1, 0)
    ids = query(lens, "SELECT decision_id, count(*) FROM raw.decisions GROUP BY 1 ORDER BY 1")
    assert ids == [("b1", 1), ("b2", 1), ("b3", 1)]


def test_same_id_other_content_against_stored_is_rejected(lens: Tradelens, tmp_path: Path) -> None:
    ingest_one(lens, "blocked", write_jsonl(tmp_path / "a.jsonl", [blocked_trade("b1")]))
    later = write_jsonl(
        tmp_path / "b.jsonl", [blocked_trade("b2"), blocked_trade("b1", symbol="BRAVO")]
    )
    report = ingest_one(lens, "blocked", later)
    assert (report.accepted, report.rejected) == (1, 1)
    assert [(f, row, field) for f, _, row, field, _ in rejects(lens)] == [
        (str(later), 2, "decision_id")
    ]
    assert query(lens, "SELECT symbol FROM raw.decisions WHERE decision_id = 'b1'") == [("ALPHA",)]


def test_ids_across_kinds_are_one_namespace(lens: Tradelens, tmp_path: Path) -> None:
    ingest_one(lens, "trades", write_jsonl(tmp_path / "t.jsonl", [executed_trade("d1")]))
    report = ingest_one(lens, "blocked", write_jsonl(tmp_path / "b.jsonl", [blocked_trade("d1")]))
    assert report.rejected == 1
    assert query(lens, "SELECT kind FROM raw.decisions") == [("executed",)]


def test_decisions_without_id_get_a_stable_hash_id(lens: Tradelens, tmp_path: Path) -> None:
    anonymous = blocked_trade(None)
    other = blocked_trade(None, entry_score=2.5)
    first = ingest_one(
        lens, "blocked", write_jsonl(tmp_path / "a.jsonl", [anonymous, other, anonymous])
    )
    second = ingest_one(
        lens, "blocked", write_jsonl(tmp_path / "b.jsonl", [anonymous, blocked_trade("b9")])
    )
    assert (first.accepted, first.duplicates) == (2, 1)
    assert (second.accepted, second.duplicates) == (1, 1)
    ids = [r[0] for r in query(lens, "SELECT decision_id FROM raw.decisions ORDER BY 1")]
    assert len(ids) == 3 and "b9" in ids
    hashed = [i for i in ids if i != "b9"]
    assert all(i.startswith("h") and len(i) == 21 for i in hashed)
    assert hashed[0] != hashed[1]


# --- price bars: corrections and intervals ---------------------------------------------------


def test_price_corrections_and_duplicates(lens: Tradelens, tmp_path: Path) -> None:
    ingest_one(
        lens,
        "prices",
        write_jsonl(
            tmp_path / "a.jsonl",
            [bar("ALPHA", f"2025-03-04T10:{m:02d}:00Z", 50.0 + m) for m in (0, 5, 10)],
        ),
        interval="5m",
    )
    report = ingest_one(
        lens,
        "prices",
        write_jsonl(
            tmp_path / "b.jsonl",
            [
                bar("ALPHA", "2025-03-04T10:05:00Z", 60.0),  # correction of 55.0
                bar("ALPHA", "2025-03-04T10:10:00Z", 60.0),  # identical: duplicate
                bar("ALPHA", "2025-03-04T10:15:00Z", 65.0),  # new
            ],
        ),
        interval="5m",
    )
    assert (report.accepted, report.corrections, report.duplicates) == (2, 1, 1)
    assert query(lens, "SELECT ts, close, high FROM raw.prices ORDER BY ts") == [
        (at("2025-03-04 10:00:00"), 50.0, 51.0),
        (at("2025-03-04 10:05:00"), 60.0, 61.0),
        (at("2025-03-04 10:10:00"), 60.0, 61.0),
        (at("2025-03-04 10:15:00"), 65.0, 66.0),
    ]
    stored_files = query(lens, "SELECT path, corrections, duplicates FROM raw.files")
    assert sorted((Path(f).name, c, d) for f, c, d in stored_files) == [
        ("a.jsonl", 0, 0), ("b.jsonl", 1, 1),
    ]  # fmt: skip


def test_last_bar_of_a_file_wins_for_the_same_moment(lens: Tradelens, tmp_path: Path) -> None:
    path = write_jsonl(
        tmp_path / "a.jsonl",
        [bar("ALPHA", "2025-03-04T10:00:00Z", 50.0), bar("ALPHA", "2025-03-04T10:00:00Z", 52.0)],
    )
    report = ingest_one(lens, "prices", path, interval="5m")
    assert (report.accepted, report.duplicates) == (1, 1)
    assert query(lens, "SELECT close FROM raw.prices") == [(52.0,)]


@pytest.mark.parametrize(
    ("bar_time", "available_at"),
    [
        ("open", ["2025-03-04 10:05:00", "2025-03-04 10:10:00", "2025-03-04 16:15:00"]),
        ("close", ["2025-03-04 10:00:00", "2025-03-04 10:05:00", "2025-03-04 16:10:00"]),
    ],
)
def test_available_at_by_bar_time(
    lens: Tradelens, tmp_path: Path, bar_time: str, available_at: list[str]
) -> None:
    """ts + interval for bar opens, ts for bar closes; a 6-hour gap never delays a bar."""
    stamps = ["2025-03-04T10:00:00Z", "2025-03-04T10:05:00Z", "2025-03-04T16:10:00Z"]
    path = write_jsonl(tmp_path / "a.jsonl", [bar("ALPHA", ts, 50.0) for ts in stamps])
    ingest_one(lens, "prices", path, bar_time=bar_time, interval="5m")
    stored = query(lens, "SELECT available_at, interval_sec FROM raw.prices ORDER BY ts")
    assert stored == [(at(t), 300) for t in available_at]


def test_interval_inferred_per_symbol_as_most_common_gap(lens: Tradelens, tmp_path: Path) -> None:
    minutes = {
        "ALPHA": [0, 5, 10, 15, 375, 380],  # gaps 5, 5, 5, 360, 5 → 5 min
        "BRAVO": [0, 60, 120],  # hourly
        "CHARLIE": [0, 5, 15, 25, 35],  # gaps 5, 10, 10, 10 → 10 min
    }
    base = datetime(2025, 3, 4, 10, 0)
    records = [
        bar(symbol, (base + timedelta(minutes=m)).isoformat(), 50.0)
        for symbol, offsets in minutes.items()
        for m in reversed(offsets)  # file order does not matter
    ]
    ingest_one(lens, "prices", write_jsonl(tmp_path / "a.jsonl", records))
    stored = query(lens, "SELECT DISTINCT symbol, interval_sec FROM raw.prices ORDER BY 1")
    assert stored == [("ALPHA", 300), ("BRAVO", 3600), ("CHARLIE", 600)]
    [(last_alpha,)] = query(lens, "SELECT max(available_at) FROM raw.prices WHERE symbol = 'ALPHA'")
    assert last_alpha == base + timedelta(minutes=385)


def test_a_lone_bar_needs_an_interval_unless_the_symbol_has_one(
    lens: Tradelens, tmp_path: Path
) -> None:
    hourly = [
        bar("ALPHA", "2025-03-04T10:00:00Z", 50.0),
        bar("ALPHA", "2025-03-04T11:00:00Z", 51.0),
    ]
    ingest_one(lens, "prices", write_jsonl(tmp_path / "a.jsonl", hourly))
    lone_bars = [
        bar("ALPHA", "2025-03-04T12:00:00Z", 52.0),
        bar("BRAVO", "2025-03-04T12:00:00Z", 9.0),
    ]
    report = ingest_one(lens, "prices", write_jsonl(tmp_path / "b.jsonl", lone_bars))
    assert (report.accepted, report.rejected) == (1, 1)
    [(row, field, reason)] = query(lens, "SELECT row_number, field, reason FROM raw.rejects")
    assert (row, field) == (2, "ts") and "--interval" in reason
    assert query(lens, "SELECT available_at FROM raw.prices WHERE ts = '2025-03-04 12:00'") == [
        (at("2025-03-04 13:00:00"),)
    ]


@pytest.mark.parametrize(
    ("text", "seconds"),
    [("1m", 60), ("5m", 300), ("60m", 3600), ("1h", 3600), ("1d", 86400), (None, None)],
)
def test_parse_interval(text: str | None, seconds: int | None) -> None:
    assert parse_interval(text) == seconds


@pytest.mark.parametrize("text", ["5", "5x", "0m", "m", "1.5h", "-5m"])
def test_bad_interval_is_an_input_error(text: str) -> None:
    with pytest.raises(InputFileError, match="--interval"):
        parse_interval(text)


def test_interval_option_sets_available_at(lens: Tradelens, tmp_path: Path) -> None:
    path = write_jsonl(tmp_path / "a.jsonl", [bar("ALPHA", "2025-03-04T00:00:00Z", 50.0)])
    ingest_one(lens, "prices", path, interval="1d")
    assert query(lens, "SELECT interval_sec, available_at FROM raw.prices") == [
        (86400, at("2025-03-05 00:00:00"))
    ]


# --- files that cannot be read, and one transaction per file -------------------------------


def unreadable_files(tmp_path: Path) -> dict[str, Path]:
    folder = tmp_path / "folder.jsonl"
    folder.mkdir()
    (tmp_path / "bars.txt").write_text("symbol,ts\n")
    (tmp_path / "garbage.parquet").write_bytes(b"PAR1" + b"\x00not parquet at all" * 50 + b"PAR1")
    write_csv(tmp_path / "no_close.csv", [f for f in BAR_FIELDS if f != "close"],
              [["ALPHA", "2025-03-04T10:00:00Z", 1, 1, 1, 1]])  # fmt: skip
    (tmp_path / "latin1.jsonl").write_bytes(
        json.dumps(bar("ZÜRICH", "x", 5.0), ensure_ascii=False).encode("latin-1")
    )
    return {
        "missing": tmp_path / "nowhere.jsonl",
        "folder": folder,
        "unknown extension": tmp_path / "bars.txt",
        "garbage parquet": tmp_path / "garbage.parquet",
        "missing column": tmp_path / "no_close.csv",
        "not utf-8": tmp_path / "latin1.jsonl",
    }


@pytest.mark.parametrize(
    ("case", "message"),
    [
        ("missing", "not found"),
        ("folder", "folder"),
        ("unknown extension", "unknown file type"),
        ("garbage parquet", "cannot read as PARQUET"),
        ("missing column", "missing column 'close'"),
        ("not utf-8", "not UTF-8"),
    ],
)
def test_unreadable_file_is_one_line_error_and_loses_nothing(
    lens: Tradelens, tmp_path: Path, case: str, message: str
) -> None:
    ingest_one(lens, "prices", write_jsonl(tmp_path / "good.jsonl", BARS), interval="5m")
    before = table_counts(lens)
    path = unreadable_files(tmp_path)[case]
    batch = lens.ingest("prices", [path])
    assert batch.reports == []
    [text] = batch.failures
    assert str(path) in text and message in text and "\n" not in text
    assert table_counts(lens) == before == {
        "raw.files": 1, "raw.prices": 3, "raw.decisions": 0, "raw.rejects": 0,
    }  # fmt: skip


def test_a_file_interrupted_midway_leaves_nothing(lens: Tradelens, tmp_path: Path) -> None:
    """Stopped after its bars were written (a correction deleted and re-inserted one), the file
    leaves no trace: no bar, no reject, no record of the file; then it loads in full."""
    ingest_one(lens, "prices", write_jsonl(tmp_path / "a.jsonl", BARS), interval="5m")
    corrections = write_lines(
        tmp_path / "b.jsonl",
        [bar("ALPHA", "2025-03-04T10:00:00Z", 70.0), bar("CHARLIE", "2025-03-04T10:00:00Z", 5.0),
         bar("ALPHA", "soon", 1.0)],
    )  # fmt: skip

    def interrupt(path: Path, stage: str) -> None:
        if (path, stage) == (corrections, "writing"):
            raise KeyboardInterrupt

    def stored_bars() -> list[tuple]:
        return query(lens, f"SELECT {STORED_BAR_COLUMNS} FROM raw.prices ORDER BY 1, 2")

    counts = table_counts(lens)
    with pytest.raises(KeyboardInterrupt):
        ingest_one(lens, "prices", corrections, interval="5m", on_stage=interrupt)
    assert stored_bars() == STORED_BARS
    assert table_counts(lens) == counts
    # the connection goes on, and the same file now loads in full
    report = ingest_one(lens, "prices", corrections, interval="5m")
    assert (report.accepted, report.corrections, report.rejected) == (2, 1, 1)
    assert table_counts(lens) == {**counts, "raw.files": 2, "raw.prices": 4, "raw.rejects": 1}
    assert [(b[0], b[5]) for b in stored_bars()] == [
        ("ALPHA", 70.0), ("ALPHA", 50.5), ("BRAVO", 100.25), ("CHARLIE", 5.0),
    ]  # fmt: skip


def test_a_database_error_midway_is_one_line_and_stores_nothing(
    lens: Tradelens, tmp_path: Path
) -> None:
    """An interval no timestamp can take: DuckDB refuses after parsing; the file is rolled back."""
    ingest_one(lens, "prices", write_jsonl(tmp_path / "a.jsonl", BARS), interval="5m")
    counts = table_counts(lens)
    later = write_jsonl(tmp_path / "b.jsonl", [bar("ALPHA", "2025-03-04T11:00:00Z", 5.0),
                                               bar("ALPHA", "later", 5.0)])  # fmt: skip
    batch = lens.ingest("prices", [later], interval="99999999999d")
    assert batch.reports == []
    [text] = batch.failures
    assert "not ingested" in text
    assert text.startswith(f"{later}: ") and "\n" not in text
    assert table_counts(lens) == counts
    assert query(lens, f"SELECT {STORED_BAR_COLUMNS} FROM raw.prices ORDER BY 1, 2") == STORED_BARS


def test_each_new_decision_gets_the_next_integer_key(lens: Tradelens, tmp_path: Path) -> None:
    first = write_jsonl(tmp_path / "b.jsonl", [blocked_trade("z"), blocked_trade("a")])
    second = write_jsonl(
        tmp_path / "t.jsonl",
        [
            executed_trade("m"),
            executed_trade("bad", symbol=""),  # rejected
            executed_trade("a", qty=3.0),  # a known id with other content: rejected
            executed_trade("z2"),
            executed_trade("m"),  # a duplicate
        ],
    )
    ingest_one(lens, "blocked", first)
    ingest_one(lens, "trades", second)
    ingest_one(lens, "blocked", first)  # a file seen before adds nothing

    keys = query(lens, "SELECT decision_id, decision_key FROM raw.decisions ORDER BY 2")
    assert keys == [("z", 0), ("a", 1), ("m", 2), ("z2", 3)]  # loading order, rows in file order


# --- lines that are not records --------------------------------------------------------------

# Each line as written and its reject reason, worked out by hand (columns count characters of
# the line from 1: where Python's JSON parser stops).
NOT_RECORDS = [
    ('{"decision_id": "x2", "ts": ', "line 2 is not JSON: Expecting value at column 29"),
    ('{"symbol": "ALPHA" "ts": 1}', "line 3 is not JSON: Expecting ',' delimiter at column 20"),
    ("{'symbol': 'ALPHA'}",
     "line 4 is not JSON: Expecting property name enclosed in double quotes at column 2"),
    ('{"reason": "tab\x1fbed"}', "line 5 is not JSON: Invalid control character at column 16"),
    ('{"a": 1} {"b": 2}', "line 6 is not JSON: Extra data at column 10"),
    ('{"reason": "open', "line 7 is not JSON: Unterminated string starting at column 12"),
    ("[1, 2]", "line 8 is a JSON array, not an object"),
    ('"a text"', "line 9 is a JSON string, not an object"),
    ("42.5", "line 10 is a JSON number, not an object"),
    ("true", "line 11 is a JSON boolean, not an object"),
    ("null", "line 12 is JSON null, not an object"),
]  # fmt: skip


def test_a_line_that_is_no_record_says_why(lens: Tradelens, tmp_path: Path) -> None:
    path = write_lines(
        tmp_path / "blocked.jsonl", [blocked_trade("b1"), *(line for line, _ in NOT_RECORDS)]
    )
    report = ingest_one(lens, "blocked", path)
    assert (report.accepted, report.rejected) == (1, len(NOT_RECORDS))
    assert [(row, field, reason) for _, _, row, field, reason in rejects(lens)] == [
        (row, "record", reason) for row, (_, reason) in enumerate(NOT_RECORDS, start=2)
    ]
    assert report.first_reject == (
        "row 2: field record: line 2 is not JSON: Expecting value at column 29"
    )
    # the reject keeps the line as written
    assert query(lens, "SELECT record FROM raw.rejects WHERE row_number = 8") == [("[1, 2]",)]


def test_price_lines_that_are_no_record_say_why_too(lens: Tradelens, tmp_path: Path) -> None:
    lines = [bar("ALPHA", "2025-03-04T10:00:00Z", 50.0), "{not json}", "[]"]
    ingest_one(lens, "prices", write_lines(tmp_path / "bars.jsonl", lines), interval="5m")
    assert [(row, field, reason) for _, _, row, field, reason in rejects(lens)] == [
        (2, "record", "line 2 is not JSON: Expecting property name enclosed in double quotes"
                      " at column 2"),
        (3, "record", "line 3 is a JSON array, not an object"),
    ]  # fmt: skip


# --- directions a bot did not mean -----------------------------------------------------------

ACCEPTED_DIRECTIONS = "use long, short, buy, sell, bullish, bearish, 1 or -1"


@pytest.mark.parametrize("fmt", ["jsonl", "csv"])
def test_an_unknown_direction_lists_the_accepted_ones(
    lens: Tradelens, tmp_path: Path, fmt: str
) -> None:
    records = [
        blocked_trade("b1", direction="up"),
        blocked_trade("b2", direction=0),
        blocked_trade("b3", direction="flat"),
        blocked_trade("b4", direction="buy"),
    ]
    ingest_one(lens, "blocked", write_decisions(tmp_path / "blocked", records, fmt))
    assert [(row, field, reason) for _, _, row, field, reason in rejects(lens)] == [
        (1, "direction", f"unknown direction 'up': {ACCEPTED_DIRECTIONS}"),
        (2, "direction", f"unknown direction '0': {ACCEPTED_DIRECTIONS}"),
        (3, "direction", f"unknown direction 'flat': {ACCEPTED_DIRECTIONS}"),
    ]


# --- a file named for another format ---------------------------------------------------------


@pytest.mark.parametrize(
    ("content", "name", "message"),
    [
        ("parquet", "bars.csv",
         "cannot read as CSV: the file looks like Parquet: name it .parquet"),
        ("parquet", "bars.jsonl",
         "cannot read as JSONL: the file looks like Parquet: name it .parquet"),
        ("jsonl", "bars.csv", "cannot read as CSV: the file looks like JSON Lines: name it .jsonl"),
        ("jsonl", "bars.parquet",
         "cannot read as PARQUET: the file looks like JSON Lines: name it .jsonl"),
    ],
)  # fmt: skip
def test_a_file_named_for_another_format_says_which_it_looks_like(
    lens: Tradelens, tmp_path: Path, content: str, name: str, message: str
) -> None:
    if content == "parquet":
        source = write_parquet(tmp_path / "source.parquet", BARS)
    else:
        source = write_jsonl(tmp_path / "source.jsonl", BARS)
    path = tmp_path / name
    path.write_bytes(source.read_bytes())
    batch = lens.ingest("prices", [path], interval="5m")
    assert (batch.reports, batch.failures) == ([], [f"{path}: {message}"])
    assert table_counts(lens) == {
        "raw.files": 0, "raw.prices": 0, "raw.decisions": 0, "raw.rejects": 0,
    }  # fmt: skip


# --- empty files -----------------------------------------------------------------------------

# An empty file is ingested with no rows and a note, whatever its format, rather than refused: a
# bot may create its log before it writes to it, and a cron job or the service's inbox should
# not fail on that (the service would quarantine it). It is recorded like any file, so a second
# ingest says "already ingested".
HEADERS = {"prices": BAR_FIELDS, "blocked": ["ts", "symbol", "direction", "entry_score",
                                             "components", "reason"]}  # fmt: skip


def write_empty_file(tmp_path: Path, case: str, kind: str) -> Path:
    fmt, content = case.split("-", 1)
    path = tmp_path / f"empty.{fmt}"
    if content == "0-bytes":
        path.write_bytes(b"")
    elif content == "blank-lines":
        path.write_text("\n  \n\r\n")
    elif content == "header-only":
        path.write_text(",".join(HEADERS[kind]) + "\n")
    else:  # a Parquet file with its columns and no rows
        pl.DataFrame(schema={c: pl.String for c in HEADERS[kind]}).write_parquet(path)
    return path


@pytest.mark.parametrize("kind", ["prices", "blocked"])
@pytest.mark.parametrize(
    "case",
    ["jsonl-0-bytes", "csv-0-bytes", "jsonl-blank-lines", "csv-blank-lines", "csv-header-only",
     "parquet-no-rows"],
)  # fmt: skip
def test_an_empty_file_loads_nothing_and_says_so(
    lens: Tradelens, tmp_path: Path, case: str, kind: str
) -> None:
    path = write_empty_file(tmp_path, case, kind)
    report = ingest_one(lens, kind, path)
    assert (report.rows, report.accepted, report.rejected, report.already_ingested) == (
        0, 0, 0, False,
    )  # fmt: skip
    assert report.note == "empty file: nothing to load"
    assert query(lens, "SELECT format, rows_read, accepted FROM raw.files") == [
        (case.split("-")[0], 0, 0)
    ]
    again = ingest_one(lens, kind, path)
    assert again.already_ingested
    assert again.note == "already ingested: nothing changed"
    assert table_counts(lens) == {
        "raw.files": 1, "raw.prices": 0, "raw.decisions": 0, "raw.rejects": 0,
    }  # fmt: skip


def test_every_empty_file_is_the_same_content(lens: Tradelens, tmp_path: Path) -> None:
    """A file is known by its content: a second empty file, of any name, is already ingested."""
    ingest_one(lens, "blocked", write_empty_file(tmp_path, "jsonl-0-bytes", "blocked"))
    assert ingest_one(
        lens, "blocked", write_empty_file(tmp_path, "csv-0-bytes", "blocked")
    ).already_ingested


def test_a_file_with_rows_notes_its_first_reject(lens: Tradelens, tmp_path: Path) -> None:
    clean = ingest_one(lens, "blocked", write_jsonl(tmp_path / "a.jsonl", [blocked_trade("b1")]))
    assert clean.note == ""
    bad = write_jsonl(tmp_path / "b.jsonl", [blocked_trade("b2"), blocked_trade("b3", ts="?")])
    assert ingest_one(lens, "blocked", bad).note == "row 2: field ts: unparseable timestamp ?"


# --- a file of another kind ------------------------------------------------------------------

BLOCKED_NEEDS = "a blocked file needs ts, symbol, direction, entry_score, components, reason"
TRADES_NEEDS = (
    "a trades file needs ts, symbol, direction, entry_score, components, entry_ts, entry_price, qty"
)
PRICES_NEEDS = "a prices file needs symbol, ts, open, high, low, close, volume"
OTHER_KIND = {
    # (file of this kind, ingested as): the one-line refusal after the path
    ("trades", "blocked"): f"missing field 'reason' in every record ({BLOCKED_NEEDS}): "
                           "is this a trades file?",
    ("blocked", "trades"): "missing fields 'entry_ts', 'entry_price', 'qty' in every record "
                           f"({TRADES_NEEDS}): is this a blocked file?",
    ("prices", "trades"): "missing fields 'direction', 'entry_score', 'components', 'entry_ts', "
                          f"'entry_price', 'qty' in every record ({TRADES_NEEDS}): "
                          "is this a prices file?",
    ("blocked", "prices"): "missing fields 'open', 'high', 'low', 'close', 'volume' in every "
                           f"record ({PRICES_NEEDS}): is this a blocked file?",
}  # fmt: skip
RECORDS_OF = {
    "trades": [executed_trade("t1"), executed_trade("t2", qty=5.0)],
    "blocked": [blocked_trade("b1"), blocked_trade("b2", price=None)],
    "prices": BARS,
}


def assert_refused(lens: Tradelens, kind: str, path: Path, message: str) -> None:
    """The file is refused in one line, and leaves nothing behind: no rows, no rejects."""
    batch = lens.ingest(kind, [path], interval="5m" if kind == "prices" else None)
    assert (batch.reports, batch.failures) == ([], [f"{path}: {message}"])
    assert table_counts(lens) == {
        "raw.files": 0, "raw.prices": 0, "raw.decisions": 0, "raw.rejects": 0,
    }  # fmt: skip


@pytest.mark.parametrize(("written", "ingested_as"), list(OTHER_KIND))
def test_a_jsonl_file_of_another_kind_is_refused_as_a_whole(
    lens: Tradelens, tmp_path: Path, written: str, ingested_as: str
) -> None:
    path = write_jsonl(tmp_path / f"{written}.jsonl", RECORDS_OF[written])
    assert_refused(lens, ingested_as, path, OTHER_KIND[written, ingested_as])


@pytest.mark.parametrize("fmt", ["csv", "parquet-json"])
def test_a_csv_or_parquet_file_of_another_kind_names_the_kind_too(
    lens: Tradelens, tmp_path: Path, fmt: str
) -> None:
    path = write_decisions(tmp_path / "trades", RECORDS_OF["trades"], fmt)
    assert_refused(
        lens, "blocked", path, f"missing column 'reason' ({BLOCKED_NEEDS}): is this a trades file?"
    )


def test_a_field_without_a_value_in_any_record_is_missing(lens: Tradelens, tmp_path: Path) -> None:
    """A log writing every field of every kind, `reason` null or blank in each trade."""
    records = [executed_trade("t1", reason=None), executed_trade("t2", reason=" ")]
    path = write_jsonl(tmp_path / "trades.jsonl", records)
    assert_refused(lens, "blocked", path, OTHER_KIND["trades", "blocked"])


def test_lines_that_are_no_record_do_not_count(lens: Tradelens, tmp_path: Path) -> None:
    """A line that is not a JSON object has no field: the records still decide."""
    path = write_lines(tmp_path / "trades.jsonl", [executed_trade("t1"), '{"reason": "x"', "[]"])
    assert_refused(lens, "blocked", path, OTHER_KIND["trades", "blocked"])


def test_a_field_no_record_has_refuses_the_file_without_a_guess(
    lens: Tradelens, tmp_path: Path
) -> None:
    path = write_jsonl(
        tmp_path / "b.jsonl", [without(blocked_trade(f"b{i}"), "ts") for i in (1, 2)]
    )
    assert_refused(lens, "blocked", path, f"missing field 'ts' in every record ({BLOCKED_NEEDS})")


def test_a_field_some_records_have_is_a_reject_where_missing(
    lens: Tradelens, tmp_path: Path
) -> None:
    records = [executed_trade("t1"), blocked_trade("b2"), executed_trade("t3")]
    report = ingest_one(lens, "blocked", write_jsonl(tmp_path / "mixed.jsonl", records))
    assert (report.accepted, report.rejected) == (1, 2)
    assert [(row, field, reason) for _, _, row, field, reason in rejects(lens)] == [
        (1, "reason", "missing"), (3, "reason", "missing"),
    ]  # fmt: skip


def test_a_file_without_records_is_rejected_line_by_line(lens: Tradelens, tmp_path: Path) -> None:
    """No record at all: nothing to say about fields, each line says what it is instead."""
    path = write_lines(tmp_path / "blocked.jsonl", ["[1]", "oops"])
    report = ingest_one(lens, "blocked", path)
    assert (report.rows, report.rejected) == (2, 2)
    assert [(row, reason) for _, _, row, _, reason in rejects(lens)] == [
        (1, "line 1 is a JSON array, not an object"),
        (2, "line 2 is not JSON: Expecting value at column 1"),
    ]


def test_the_command_refuses_a_file_of_another_kind_in_one_line(
    warehouse: Path, tmp_path: Path
) -> None:
    path = write_jsonl(tmp_path / "trades.jsonl", RECORDS_OF["trades"])
    result = tradelens("ingest", "blocked", str(path), warehouse=warehouse)
    assert (result.returncode, result.stdout) == (1, "")
    assert result.stderr == f"Error: {path}: {OTHER_KIND['trades', 'blocked']}\n"
