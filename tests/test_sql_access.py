"""`tradelens sql`: read-only SQL for analysts; every way to write is refused, nothing changes."""

from __future__ import annotations

import hashlib
import json
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner
from conftest import ingest_one, tradelens, write_jsonl

from analytics.cli import cli
from analytics.context import Tradelens
from analytics.errors import ReadOnlyError, TradelensError

BARS = [
    {"symbol": "ALPHA", "ts": "2025-03-04T10:00:00Z", "open": 50, "high": 51, "low": 49,
     "close": 50.5, "volume": 7},
    {"symbol": "BRAVO", "ts": "2025-03-04T10:00:00-05:00", "open": 9, "high": 9.5, "low": 8,
     "close": 9.25, "volume": 3},
]  # fmt: skip
QUERY = "SELECT symbol, close, ts FROM raw.prices ORDER BY symbol"


@pytest.fixture(scope="module")
def loaded(migrated_template: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A warehouse holding two bars, shared by this module's tests: they only read it."""
    folder = tmp_path_factory.mktemp("sql")
    warehouse = Path(shutil.copy(migrated_template, folder / "tradelens.duckdb"))
    lens = Tradelens(warehouse)
    ingest_one(lens, "prices", write_jsonl(folder / "bars.jsonl", BARS), interval="1h")
    return warehouse


def lens_sql(warehouse: Path, query: str, params: dict | None = None):
    """`Tradelens.sql` on its own read-only connection, as each `tradelens sql` opens one."""
    return Tradelens(warehouse).sql(query, params)


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_select_returns_columns_and_rows(loaded: Path) -> None:
    columns, rows = lens_sql(loaded, QUERY)
    assert columns == ["symbol", "close", "ts"]
    assert [(s, c, str(t)) for s, c, t in rows] == [
        ("ALPHA", 50.5, "2025-03-04 10:00:00"),
        ("BRAVO", 9.25, "2025-03-04 15:00:00"),
    ]


def test_reads_that_are_not_plain_selects(loaded: Path) -> None:
    # several statements: the last one's rows
    assert lens_sql(loaded, "SELECT 1; SELECT count(*) AS n FROM raw.prices") == (["n"], [(2,)])
    with_cte = "WITH b AS (SELECT close FROM raw.prices) SELECT max(close) AS top FROM b"
    assert lens_sql(loaded, with_cte) == (["top"], [(50.5,)])
    columns, rows = lens_sql(loaded, "PRAGMA table_info('raw.prices')")
    assert [r[columns.index("name")] for r in rows][:3] == ["symbol", "ts", "open"]
    assert lens_sql(loaded, "EXPLAIN SELECT * FROM raw.prices")[1]
    assert lens_sql(loaded, "EXPLAIN ANALYZE SELECT * FROM raw.prices")[1]
    assert lens_sql(loaded, "SELECT $n + 1 AS m", {"n": 41}) == (["m"], [(42,)])


WRITES = {
    "INSERT": "INSERT INTO raw.prices SELECT * FROM raw.prices",
    "UPDATE": "UPDATE raw.prices SET close = 0",
    "DELETE": "DELETE FROM raw.prices",
    "CREATE": "CREATE TABLE main.mine AS SELECT 1",
    "CREATE TEMP": "CREATE TEMP TABLE mine AS SELECT 1",
    "DROP": "DROP TABLE raw.prices",
    "COPY": "COPY (SELECT * FROM raw.prices) TO '{dir}/out.csv'",
    "COPY FROM": "COPY raw.prices FROM '{dir}/in.csv'",
    "ATTACH": "ATTACH '{dir}/other.duckdb' AS other",
    "write after a read": "SELECT 1; DELETE FROM raw.prices",
    "write inside EXPLAIN ANALYZE": "EXPLAIN ANALYZE COPY (SELECT 1) TO '{dir}/out.csv'",
    "EXPLAIN (ANALYZE), comment": "/* hi */ EXPLAIN (ANALYZE) COPY (SELECT 1) TO '{dir}/o.csv'",
    "PRAGMA that runs files": "PRAGMA import_database('{dir}')",
    "SET": "SET threads = 1",
    "CHECKPOINT": "CHECKPOINT",
    "EXPORT": "EXPORT DATABASE '{dir}/export'",
    "INSTALL": "INSTALL httpfs",
}


@pytest.mark.parametrize("statement", WRITES.values(), ids=WRITES.keys())
def test_writes_are_refused_and_change_nothing(
    loaded: Path, tmp_path: Path, statement: str
) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    before = digest(loaded)
    with pytest.raises(ReadOnlyError, match="read-only") as raised:
        lens_sql(loaded, statement.format(dir=outside))
    assert "\n" not in str(raised.value)
    assert digest(loaded) == before
    assert list(outside.iterdir()) == []
    assert lens_sql(loaded, "SELECT count(*), sum(close) FROM raw.prices")[1] == [(2, 59.75)]


def test_a_failing_query_is_one_line(loaded: Path) -> None:
    for bad in ("SELEC 1", "SELECT nope FROM raw.prices", "SELECT * FROM raw.nothing", ""):
        with pytest.raises(TradelensError) as raised:
            lens_sql(loaded, bad)
        assert "\n" not in str(raised.value)


# --- the command ---------------------------------------------------------------------------


def sql_command(warehouse: Path, *args: str) -> str:
    """`tradelens sql ...` in this process (the subprocess tests below cover the entry point)."""
    result = CliRunner().invoke(cli, ["--warehouse", str(warehouse), "sql", *args])
    assert result.exit_code == 0, result.output
    return result.stdout


def test_sql_command_json(loaded: Path) -> None:
    assert json.loads(sql_command(loaded, QUERY, "--format", "json")) == [
        {"symbol": "ALPHA", "close": 50.5, "ts": "2025-03-04T10:00:00Z"},
        {"symbol": "BRAVO", "close": 9.25, "ts": "2025-03-04T15:00:00Z"},
    ]


def test_sql_command_csv(loaded: Path) -> None:
    assert sql_command(loaded, QUERY, "--format", "csv").splitlines() == [
        "symbol,close,ts",
        "ALPHA,50.5,2025-03-04T10:00:00Z",
        "BRAVO,9.25,2025-03-04T15:00:00Z",
    ]


def test_sql_command_table(loaded: Path) -> None:
    lines = sql_command(loaded, "SELECT symbol, close FROM raw.prices ORDER BY 1").splitlines()
    header = next(line for line in lines if "symbol" in line)
    assert "close" in header
    body = [line for line in lines if "ALPHA" in line or "BRAVO" in line]
    assert len(body) == 2 and "50.5" in body[0] and "9.25" in body[1]


def test_sql_command_refuses_a_write_in_one_line(loaded: Path, tmp_path: Path) -> None:
    before = digest(loaded)
    target = tmp_path / "leak.csv"
    result = tradelens("sql", f"COPY raw.prices TO '{target}'", warehouse=loaded)
    assert result.returncode == 1
    [line] = result.stderr.strip().splitlines()
    assert line.startswith("Error: tradelens sql is read-only: a COPY statement is refused")
    assert not target.exists() and digest(loaded) == before


def test_sql_command_syntax_error_in_one_line(loaded: Path) -> None:
    result = tradelens("sql", "SELEC symbol FROM raw.prices", warehouse=loaded)
    assert result.returncode == 1
    [line] = result.stderr.strip().splitlines()
    assert line.startswith("Error: query failed:") and "syntax error" in line
    assert "Traceback" not in result.stderr


def test_sql_command_on_a_missing_warehouse(tmp_path: Path) -> None:
    missing = tmp_path / "nowhere" / "tradelens.duckdb"
    result = tradelens("sql", "SELECT 1", warehouse=missing)
    assert result.returncode == 1
    assert result.stderr.strip().splitlines() == [
        f"Error: no warehouse at {missing}: run `tradelens init` first"
    ]
    assert not missing.exists()
