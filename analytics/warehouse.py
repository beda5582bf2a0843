"""The DuckDB warehouse: connections, schema migrations, SQL loaded from sql/ by name."""

from __future__ import annotations

import functools
import os
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import duckdb

from analytics.errors import TradelensError, WarehouseError

_PACKAGE_DIR = Path(__file__).resolve().parent
LOCK_RETRY_SEC = 30.0
# DuckDB's own default is 80% of the machine; a cap makes big joins and sorts spill to disk
# instead, so a million-decision run stays within a few GiB beside the bot and the analysts.
MEMORY_LIMIT_ENV = "TRADELENS_MEMORY_LIMIT"
DEFAULT_MEMORY_LIMIT = "3GB"


def _resource_dir(name: str) -> Path:
    """sql/ and migrations/ sit at the project root; a wheel carries them as _sql/_migrations."""
    for candidate in (_PACKAGE_DIR.parent / name, _PACKAGE_DIR / f"_{name}"):
        if candidate.is_dir():
            return candidate
    raise WarehouseError(f"tradelens installation is incomplete: no {name}/ folder found")


@functools.cache
def load_sql(name: str) -> str:
    """The text of sql/<name>.sql, e.g. load_sql('scenarios/timing_grid')."""
    path = _resource_dir("sql") / f"{name}.sql"
    return path.read_text()


def _alembic_config(path: Path):
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(_resource_dir("migrations")))
    cfg.set_main_option("sqlalchemy.url", f"duckdb:///{path}")
    return cfg


@functools.cache
def head_revision() -> str:
    from alembic.script import ScriptDirectory

    script = ScriptDirectory(str(_resource_dir("migrations")))
    return script.get_current_head()


def migrate(path: Path, revision: str = "head") -> None:
    """Upgrade (or, with a revision below the current one, downgrade) the warehouse schema."""
    from alembic import command

    path.parent.mkdir(parents=True, exist_ok=True)
    cfg = _alembic_config(path)
    current = current_revision(path)
    if revision == "base" or (revision != "head" and current and revision < current):
        command.downgrade(cfg, revision)
    else:
        command.upgrade(cfg, revision)


def current_revision(path: Path) -> str | None:
    """The alembic revision stored in the file, None for an empty or missing warehouse."""
    if not path.exists():
        return None
    with _open(path, read_only=True) as con:
        found = fetch_one(
            con,
            "SELECT count(*) FROM information_schema.tables WHERE table_name = 'alembic_version'",
        )[0]
        if not found:
            return None
        row = fetch_one(con, "SELECT version_num FROM alembic_version")
        return row[0] if row else None


def init_warehouse(path: Path) -> str:
    """Create the file if needed and bring its schema to head; returns the revision."""
    migrate(path, "head")
    return head_revision()


@contextmanager
def connect(
    path: Path, *, read_only: bool = False, create: bool = False
) -> Iterator[duckdb.DuckDBPyConnection]:
    """A connection to a warehouse at the current schema revision.

    Writers upgrade an older schema in place (and create the file when `create`); readers
    are told in one line how to upgrade, since a read-only connection cannot migrate.
    """
    if not path.exists() and not create:
        raise WarehouseError(f"no warehouse at {path}: run `tradelens init` first")
    revision = current_revision(path) if path.exists() else None
    if revision != head_revision():
        if read_only:
            raise WarehouseError(
                f"warehouse {path} is at schema revision {revision or 'none'}, "
                f"this tradelens needs {head_revision()}: run `tradelens init` to upgrade"
            )
        init_warehouse(path)
    with _open(path, read_only=read_only) as con:
        yield con


@contextmanager
def _open(path: Path, *, read_only: bool) -> Iterator[duckdb.DuckDBPyConnection]:
    con = _connect_with_retry(path, read_only)
    try:
        con.execute("SET TimeZone = 'UTC'")
        _set_memory_limit(con)
        yield con
    finally:
        con.close()


def _set_memory_limit(con: duckdb.DuckDBPyConnection) -> None:
    limit = os.environ.get(MEMORY_LIMIT_ENV) or DEFAULT_MEMORY_LIMIT
    try:
        con.execute("SET memory_limit = $limit", {"limit": limit})
    except duckdb.Error:
        con.close()
        raise WarehouseError(
            f"{MEMORY_LIMIT_ENV}={limit!r} is not a memory size (use e.g. 3GB or 500MB)"
        ) from None


def _connect_with_retry(path: Path, read_only: bool) -> duckdb.DuckDBPyConnection:
    """DuckDB lets one process write a file; others wait briefly for a cycle to finish."""
    deadline = time.monotonic() + LOCK_RETRY_SEC
    delay = 0.05
    while True:
        try:
            return duckdb.connect(str(path), read_only=read_only)
        except duckdb.IOException as exc:
            if "lock" not in str(exc).lower():
                raise WarehouseError(f"cannot open warehouse {path}: {exc}") from None
            if time.monotonic() > deadline:
                raise WarehouseError(
                    f"warehouse {path} is busy (another process is writing) and stayed busy "
                    f"for {LOCK_RETRY_SEC:.0f}s; try again shortly"
                ) from None
            time.sleep(delay)
            delay = min(delay * 2, 1.0)


def execute_script(con: duckdb.DuckDBPyConnection, sql: str, params: dict | None = None) -> None:
    """Run a multi-statement sql/ file; each statement gets the named parameters it uses."""
    params = params or {}
    for statement in duckdb.extract_statements(sql):
        used = {name: params[name] for name in statement.named_parameters}
        con.execute(statement.query, used).fetchall()


@contextmanager
def unordered(con: duckdb.DuckDBPyConnection) -> Iterator[None]:
    """Let DuckDB write a large result in any row order (faster and leaner than keeping the
    order rows were produced in): for tables that are only joined and aggregated, never read
    back in insertion order."""
    con.execute("SET preserve_insertion_order = false")
    try:
        yield
    finally:
        con.execute("RESET preserve_insertion_order")


def temp_table(con: duckdb.DuckDBPyConnection, name: str, columns: str, rows: list) -> None:
    """(Re)create a small temp table, e.g. the cells of a grid, from Python rows."""
    con.execute(f"CREATE OR REPLACE TEMP TABLE {name} ({columns})")
    if rows:
        placeholders = ", ".join("?" * len(rows[0]))
        con.executemany(f"INSERT INTO {name} VALUES ({placeholders})", [list(r) for r in rows])


def fetch_one(con: duckdb.DuckDBPyConnection, sql: str, params=None) -> tuple | None:
    """The first row, or None. Fetches everything: DuckDB 2 keeps a half-read result open."""
    rows = con.execute(sql, params or []).fetchall()
    return rows[0] if rows else None


def query_rows(con: duckdb.DuckDBPyConnection, sql: str, params=None) -> list[dict]:
    """Rows as dicts: for small result sets such as run logs and summaries."""
    cur = con.execute(sql, params or [])
    names = [d[0] for d in cur.description]
    return [dict(zip(names, row, strict=True)) for row in cur.fetchall()]


def published_version(con: duckdb.DuckDBPyConnection, version: int | None) -> int:
    """`version` if it is a published run, else the newest published run; errors otherwise."""
    if version is None:
        newest = query_rows(con, "SELECT max(run_id) AS run_id FROM runs WHERE published")
        if newest[0]["run_id"] is None:
            raise TradelensError("no published version yet: run `tradelens run` first")
        return newest[0]["run_id"]
    found = query_rows(con, "SELECT published FROM runs WHERE run_id = ?", [version])
    if not found or not found[0]["published"]:
        raise TradelensError(
            f"version {version} is not a published run: `tradelens versions` lists them"
        )
    return version
