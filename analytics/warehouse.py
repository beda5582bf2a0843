"""The DuckDB warehouse: opening it (schema check, migrations, the write lock), SQL loaded from
sql/ by name, and the small reads and writes the warehouse side does on an open file."""

from __future__ import annotations

import contextlib
import functools
import os
import re
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb
import polars as pl

from analytics.errors import TradelensError, WarehouseError, first_line

_PACKAGE_DIR = Path(__file__).resolve().parent
LOCK_RETRY_SEC = 30.0
# DuckDB's own default is 80% of the machine; a cap makes big joins and sorts spill to disk
# instead, so a million-decision run stays within a few GiB beside the bot and the analysts.
MEMORY_LIMIT_ENV = "TRADELENS_MEMORY_LIMIT"
DEFAULT_MEMORY_LIMIT = "3GB"
Params = Mapping[str, Any] | list | None
_IDENTIFIER = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)?$")
_READS = re.compile(r"^--\s*reads:\s*(.*)$", re.M)


def _resource_dir(name: str) -> Path:
    """sql/ and migrations/ sit at the project root; a wheel carries them as _sql/_migrations."""
    for candidate in (_PACKAGE_DIR.parent / name, _PACKAGE_DIR / f"_{name}"):
        if candidate.is_dir():
            return candidate
    raise WarehouseError(f"tradelens installation is incomplete: no {name}/ folder found")


def sql_dir() -> Path:
    return _resource_dir("sql")


@functools.cache
def load_sql(name: str) -> str:
    """The text of sql/<name>.sql, e.g. load_sql('scenarios/replay')."""
    return (sql_dir() / f"{name}.sql").read_text()


@functools.cache
def declared_reads(name: str) -> tuple[str, ...]:
    """What sql/<name>.sql says it reads, in its `-- reads: a, b` header line."""
    found = _READS.search(load_sql(name))
    if not found:
        return ()
    return tuple(t.strip() for t in found.group(1).split(",") if t.strip() and t.strip() != "-")


def identifier(name: str) -> str:
    """A table or view name for SQL text, from tradelens' own fixed names only: the one place
    where a name (never a value) enters a statement."""
    if not _IDENTIFIER.match(name):
        raise ValueError(f"not a plain SQL identifier: {name!r}")
    return name


# --- schema and migrations ------------------------------------------------------------------


def _alembic_config(path: Path):
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(_resource_dir("migrations")))
    cfg.set_main_option("sqlalchemy.url", f"duckdb:///{path}")
    return cfg


@functools.cache
def head_revision() -> str:
    """The newest migration's revision, from the file names (each migration's revision is its
    four-digit prefix; a test holds that equal to alembic's head). Importing alembic to ask
    costs 0.3 s, most of a run that finds nothing new, so only migrating imports it."""
    versions = _resource_dir("migrations") / "versions"
    return max(path.name[:4] for path in versions.glob("[0-9][0-9][0-9][0-9]_*.py"))


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
    with _connection(path, read_only=True) as con:
        return _revision_of(con)


def _revision_of(con: duckdb.DuckDBPyConnection) -> str | None:
    found = con.execute(
        "SELECT count(*) FROM information_schema.tables WHERE table_name = 'alembic_version'"
    ).fetchall()[0][0]
    if not found:
        return None
    rows = con.execute("SELECT version_num FROM alembic_version").fetchall()
    return rows[0][0] if rows else None


def init_warehouse(path: Path) -> str:
    """Create the file if needed and bring its schema to head; returns the revision."""
    migrate(path, "head")
    return head_revision()


# --- an open warehouse ----------------------------------------------------------------------


@dataclass
class Warehouse:
    """An open warehouse file: one DuckDB connection at the current schema revision.

    The warehouse side (ingest, planning a run, publishing, the run log, the outputs) reads
    and writes through it; scenario and learning code sees an engine instead."""

    con: duckdb.DuckDBPyConnection
    path: Path
    read_only: bool

    def rows(self, sql: str, params: Params = None) -> list[dict]:
        """Rows as dicts: for small results such as run logs and summaries."""
        cur = self.con.execute(sql, params or [])
        names = [d[0] for d in cur.description]
        return [dict(zip(names, row, strict=True)) for row in cur.fetchall()]

    def one(self, sql: str, params: Params = None) -> tuple | None:
        """The first row, or None. Fetches everything: DuckDB keeps a half-read result open."""
        rows = self.con.execute(sql, params or []).fetchall()
        return rows[0] if rows else None

    def value(self, sql: str, params: Params = None) -> Any:
        """The first column of the first row (None without rows)."""
        row = self.one(sql, params)
        return row[0] if row else None

    def frame(self, sql: str, params: Params = None) -> pl.DataFrame:
        return self.con.sql(sql, params=params or None).pl()

    def execute(self, sql: str, params: Params = None) -> None:
        self.con.execute(sql, params or None).fetchall()

    def script(self, sql: str, params: Mapping[str, Any] | None = None) -> None:
        """Run a multi-statement sql/ file; each statement gets the named parameters it uses."""
        params = params or {}
        for statement in duckdb.extract_statements(sql):
            used = {name: params[name] for name in statement.named_parameters}
            self.con.execute(statement.query, used).fetchall()

    def temp_table(self, name: str, sql: str, params: Params = None) -> None:
        """(Re)create temp table `name` holding the result of query `sql`."""
        self.execute(f"CREATE OR REPLACE TEMP TABLE {identifier(name)} AS {sql}", params)

    def temp_view(self, name: str, sql: str) -> None:
        """(Re)create temp view `name` over query `sql` (a view takes no parameters)."""
        self.execute(f"CREATE OR REPLACE TEMP VIEW {identifier(name)} AS {sql}")

    def drop_temporaries(self) -> None:
        """Drop the temp tables and views of this connection: a run's working relations, so
        the next command of a session (an evaluation after a Spark run, which left tables
        where DuckDB makes views) starts clean. After an interrupt the connection may refuse:
        its temporaries then go with it."""
        with contextlib.suppress(duckdb.Error):
            found = self.con.execute(
                "SELECT 'VIEW', view_name FROM duckdb_views() WHERE temporary AND NOT internal "
                "UNION ALL SELECT 'TABLE', table_name FROM duckdb_tables() WHERE temporary"
            ).fetchall()
            for kind, name in found:
                self.con.execute(f"DROP {kind} IF EXISTS temp.{identifier(name)}")

    def load_frame(self, name: str, frame: pl.DataFrame) -> None:
        """Temp table `name` holding a (small) frame made on the driver."""
        self.con.register("_frame_to_load", frame)
        try:
            self.temp_table(name, "SELECT * FROM _frame_to_load")
        finally:
            self.con.unregister("_frame_to_load")

    def has_table(self, name: str) -> bool:
        schema, _, table = name.rpartition(".")
        return bool(
            self.value(
                "SELECT count(*) FROM duckdb_tables() WHERE table_name = ? "
                "AND (schema_name = ? OR ? = '')",
                [table, schema, schema],
            )
        )

    @contextmanager
    def transaction(self) -> Iterator[None]:
        """One transaction: all of the block's writes, or none of them."""
        self.con.execute("BEGIN TRANSACTION")
        try:
            yield
        except BaseException:
            self.con.execute("ROLLBACK")
            raise
        self.con.execute("COMMIT")

    @contextmanager
    def unordered(self) -> Iterator[None]:
        """Let DuckDB write a large result in any row order (faster and leaner than keeping the
        order rows were produced in): for tables only joined and aggregated, never read back in
        insertion order."""
        self.con.execute("SET preserve_insertion_order = false")
        try:
            yield
        finally:
            self.con.execute("RESET preserve_insertion_order")

    def interrupt(self) -> None:
        """Cancel the running query (DuckDB rolls it back); callable from another thread."""
        self.con.interrupt()


@contextmanager
def open_warehouse(
    path: Path, *, read_only: bool = False, create: bool = False
) -> Iterator[Warehouse]:
    """The warehouse at `path`, at the current schema revision.

    Writers upgrade an older schema in place (and create the file when `create`); readers
    are told in one line how to upgrade, since a read-only connection cannot migrate.
    """
    if not path.exists() and not create:
        raise WarehouseError(f"no warehouse at {path}: run `tradelens init` first")
    revision = None
    if path.exists():  # the common case: at head, one connection (opening a big file costs)
        with _connection(path, read_only=read_only) as con:
            revision = _revision_of(con)
            if revision == head_revision():
                yield Warehouse(con, path, read_only)
                return
    if read_only:
        raise WarehouseError(
            f"warehouse {path} is at schema revision {revision or 'none'}, "
            f"this tradelens needs {head_revision()}: run `tradelens init` to upgrade"
        )
    init_warehouse(path)
    with _connection(path, read_only=read_only) as con:
        yield Warehouse(con, path, read_only)


@contextmanager
def _connection(path: Path, *, read_only: bool) -> Iterator[duckdb.DuckDBPyConnection]:
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
                raise WarehouseError(f"cannot open warehouse {path}: {first_line(exc)}") from None
            if time.monotonic() > deadline:
                raise WarehouseError(
                    f"warehouse {path} is busy (another process is writing) and stayed busy "
                    f"for {LOCK_RETRY_SEC:.0f}s; try again shortly"
                ) from None
            time.sleep(delay)
            delay = min(delay * 2, 1.0)


def published_version(warehouse: Warehouse, version: int | None) -> int:
    """`version` if it is a published run, else the newest published run; errors otherwise."""
    if version is None:
        newest = warehouse.value("SELECT max(run_id) FROM runs WHERE published")
        if newest is None:
            raise TradelensError("no published version yet: run `tradelens run` first")
        return newest
    if not warehouse.value("SELECT published FROM runs WHERE run_id = ?", [version]):
        raise TradelensError(
            f"version {version} is not a published run: `tradelens versions` lists them"
        )
    return version
