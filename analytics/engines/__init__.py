"""Where a run's heavy SQL executes: DuckDB in the warehouse process, or Apache Spark.

Scenario and learning code talk to an `Engine`, never to a connection directly, with the SQL of
sql/ (DuckDB dialect, the one definition). Tables an engine creates are named like DuckDB temp
tables; the warehouse (`engine.con`) always holds the run log, the history and the store, and
`materialize` brings an engine table into it for publishing.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Protocol

import duckdb
import polars as pl

from analytics.config import Settings
from analytics.errors import TradelensError
from analytics.warehouse import temp_table

Params = Mapping[str, object] | None


class Engine(Protocol):
    name: str
    con: duckdb.DuckDBPyConnection  # the warehouse

    def create(self, name: str, sql: str, params: Params = None, *, view: bool = False) -> None:
        """Table (or view) `name` holding the result of `sql`."""

    def execute(self, sql: str, params: Params = None) -> None:
        """One statement (e.g. CREATE VIEW) on the engine."""

    def frame(self, sql: str, params: Params = None) -> pl.DataFrame:
        """A (small) query result on the driver."""

    def values(self, name: str, columns: str, rows: Sequence[tuple]) -> None:
        """Table `name` from rows, on the engine and in the warehouse."""

    def upload(self, name: str) -> None:
        """Make warehouse temp table `name` readable by the engine."""

    def materialize(self, name: str) -> None:
        """Make engine table `name` a temp table of the warehouse connection."""

    def share_inputs(self, settings: Settings) -> None:
        """Make the run's inputs (run_decisions, raw prices) readable by the engine."""

    def close(self) -> None: ...


class DuckDBEngine:
    """Everything stays in the warehouse connection: `upload` and `materialize` do nothing."""

    name = "duckdb"

    def __init__(self, con: duckdb.DuckDBPyConnection) -> None:
        self.con = con

    def create(self, name: str, sql: str, params: Params = None, *, view: bool = False) -> None:
        kind = "VIEW" if view else "TABLE"
        self.execute(f"CREATE OR REPLACE TEMP {kind} {name} AS {sql}", params)

    def execute(self, sql: str, params: Params = None) -> None:
        self.con.execute(sql, dict(params) if params else None)

    def frame(self, sql: str, params: Params = None) -> pl.DataFrame:
        return self.con.sql(sql, params=dict(params) if params else None).pl()

    def values(self, name: str, columns: str, rows: Sequence[tuple]) -> None:
        temp_table(self.con, name, columns, list(rows))

    def upload(self, name: str) -> None:
        pass

    def materialize(self, name: str) -> None:
        pass

    def share_inputs(self, settings: Settings) -> None:
        pass  # the SQL reads raw.* of the warehouse itself

    def close(self) -> None:
        pass


def open_engine(con: duckdb.DuckDBPyConnection, settings: Settings) -> Engine:
    """The engine `settings.engine` names, ready to run (Spark: session started, or a one-line
    error naming what is missing)."""
    if settings.engine == "duckdb":
        return DuckDBEngine(con)
    if settings.engine == "spark":
        from analytics.engines.spark import SparkEngine

        return SparkEngine(con, settings)
    raise TradelensError(f"unknown engine {settings.engine!r}: use duckdb or spark")
