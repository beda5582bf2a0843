"""Where a run's heavy SQL executes: DuckDB in the warehouse process, or Apache Spark.

Scenario and learning code talk to an `Engine`, never to a connection, with the SQL of sql/
(DuckDB dialect, the one definition). An engine runs queries and materialises their results as
tables of the run; the warehouse side (planning, the run log, publishing) keeps the DuckDB
connection and reads an engine table through `to_warehouse`.
"""

from __future__ import annotations

import importlib.util
from typing import Protocol

import polars as pl

from analytics.config import Settings
from analytics.errors import TradelensError
from analytics.warehouse import Params, Warehouse, load_sql

SPARK_MODULES = ("pyspark", "sqlglot")
# Macros of sql/ every engine knows: DuckDB defines them per run, Spark's transpiler expands them.
MACRO_FILES = ("scenarios/macros", "learning/macros")


class Engine(Protocol):
    name: str

    def table(self, name: str, sql: str, params: Params = None, *, ordered: bool = True) -> None:
        """Table `name` of the run holding the result of query `sql`. `ordered=False` lets the
        engine write rows in any order (for big tables only joined and aggregated)."""

    def view(self, name: str, sql: str) -> None:
        """View `name` of the run over query `sql` (computed where it is read)."""

    def frame(self, sql: str, params: Params = None) -> pl.DataFrame:
        """A (small) query result on the driver."""

    def load(self, name: str, frame: pl.DataFrame) -> None:
        """Table `name` of the run from a (small) frame made on the driver."""

    def share(self, name: str) -> None:
        """Make warehouse relation `name` readable by the engine under the same name."""

    def to_warehouse(self, name: str) -> str:
        """The name under which the warehouse connection reads engine table `name`."""

    def close(self) -> None: ...


class DuckDBEngine:
    """The warehouse connection itself: tables of the run are its temp tables."""

    name = "duckdb"

    def __init__(self, warehouse: Warehouse) -> None:
        self._warehouse = warehouse
        for macros in MACRO_FILES:
            warehouse.script(load_sql(macros))

    def table(self, name: str, sql: str, params: Params = None, *, ordered: bool = True) -> None:
        if ordered:
            self._warehouse.temp_table(name, sql, params)
            return
        with self._warehouse.unordered():
            self._warehouse.temp_table(name, sql, params)

    def view(self, name: str, sql: str) -> None:
        self._warehouse.temp_view(name, sql)

    def frame(self, sql: str, params: Params = None) -> pl.DataFrame:
        return self._warehouse.frame(sql, params)

    def load(self, name: str, frame: pl.DataFrame) -> None:
        self._warehouse.load_frame(name, frame)

    def share(self, name: str) -> None:
        pass  # the engine is the warehouse connection: it reads the relation where it is

    def to_warehouse(self, name: str) -> str:
        return name

    def close(self) -> None:
        pass


def open_engine(warehouse: Warehouse, settings: Settings) -> Engine:
    """The engine `settings.engine` names, ready to run (Spark: session started, or a one-line
    error naming what is missing)."""
    if settings.engine == "duckdb":
        return DuckDBEngine(warehouse)
    if settings.engine == "spark":
        _check_spark_installed()
        from analytics.engines.spark import SparkEngine

        return SparkEngine(warehouse, settings)
    raise TradelensError(f"unknown engine {settings.engine!r}: use duckdb or spark")


def _check_spark_installed() -> None:
    """Before anything of Spark's is imported: a missing extra is one line, not a traceback."""
    missing = [m for m in SPARK_MODULES if importlib.util.find_spec(m) is None]
    if missing:
        raise TradelensError(
            f"engine 'spark' needs {' and '.join(missing)}, which "
            f"{'is' if len(missing) == 1 else 'are'} not installed: pip install 'tradelens[spark]'"
        )
