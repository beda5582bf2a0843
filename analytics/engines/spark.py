"""The Spark engine: the SQL of sql/, transpiled (analytics/engines/spark_sql.py), on a cluster
or in local mode. Data moves between the warehouse and Spark as Parquet in a work folder:
decisions and price bars partitioned by symbol (the unit the ASOF replay partitions on), results
back as Parquet files the warehouse reads. Nothing goes through pandas.
"""

from __future__ import annotations

import itertools
import os
import shutil
import socket
import tempfile
import uuid
from collections.abc import Sequence
from pathlib import Path
from urllib.parse import urlparse

import duckdb
import polars as pl

from analytics.config import Settings
from analytics.engines import Params
from analytics.engines.spark_sql import to_spark, to_spark_steps
from analytics.errors import TradelensError
from analytics.warehouse import fetch_one, temp_table

MASTER_PROBE_SEC = 5.0
# Spark settings that make its SQL mean what DuckDB's means: UTC wall times, lenient map and
# array access (a missing component is NULL, not an error), partition values kept as strings.
SESSION_CONF = {
    "spark.sql.session.timeZone": "UTC",
    "spark.sql.ansi.enabled": "false",
    "spark.sql.sources.partitionColumnTypeInference.enabled": "false",
    "spark.sql.parquet.inferTimestampNTZ.enabled": "true",
    "spark.ui.enabled": "false",
    "spark.ui.showConsoleProgress": "false",
}
# In local mode the machine is the cluster: a few shuffle partitions per core, not Spark's 200.
LOCAL_CONF = {"spark.sql.shuffle.partitions": "8", "spark.driver.memory": "3g"}


class SparkEngine:
    name = "spark"

    def __init__(self, con: duckdb.DuckDBPyConnection, settings: Settings) -> None:
        self.con = con
        self.settings = settings
        self.spark = start_session(settings.spark_master)
        # A folder of this run's own: Spark caches file listings, so a path is never rewritten
        # while a session (the service's, a test's) may still remember it.
        base = Path(settings.spark_workdir or tempfile.gettempdir())
        self.workdir = base / f"tradelens-spark-{uuid.uuid4().hex[:12]}"
        self.workdir.mkdir(parents=True)
        self._uploads = itertools.count()

    def create(self, name: str, sql: str, params: Params = None, *, view: bool = False) -> None:
        *shared, (_, query) = to_spark_steps(sql, params)
        for cte, cte_query in shared:
            self.spark.sql(cte_query).localCheckpoint(eager=True).createOrReplaceTempView(cte)
        frame = self.spark.sql(query)
        if not view:  # a table: computed once, lineage cut (like a DuckDB temp table)
            frame = frame.localCheckpoint(eager=True)
        frame.createOrReplaceTempView(name)

    def execute(self, sql: str, params: Params = None) -> None:
        self.spark.sql(to_spark(sql, params))

    def frame(self, sql: str, params: Params = None) -> pl.DataFrame:
        return pl.from_arrow(self.spark.sql(to_spark(sql, params)).toArrow())

    def values(self, name: str, columns: str, rows: Sequence[tuple]) -> None:
        temp_table(self.con, name, columns, list(rows))
        self.upload(name)

    def upload(self, name: str) -> None:
        path = self.workdir / "upload" / f"{name}-{next(self._uploads)}.parquet"
        path.parent.mkdir(parents=True, exist_ok=True)
        self.con.execute(f"COPY {name} TO '{path}' (FORMAT parquet)")
        self.spark.read.parquet(str(path)).createOrReplaceTempView(name)

    def materialize(self, name: str) -> None:
        path = self.workdir / "results" / name
        self.spark.table(name).write.mode("overwrite").parquet(str(path))
        self.con.execute(
            f"CREATE OR REPLACE TEMP TABLE {name} AS SELECT * FROM read_parquet('{path}/*.parquet')"
        )

    def share_inputs(self, settings: Settings) -> None:
        """run_decisions and raw prices as Parquet partitioned by symbol; prices from
        `spark_prices` when the user keeps them outside the warehouse."""
        decisions = self.workdir / "inputs" / "run_decisions"
        _copy_partitioned(self.con, "run_decisions", decisions)
        self.spark.read.parquet(str(decisions)).createOrReplaceTempView("run_decisions")
        prices = settings.spark_prices
        if not prices:
            prices = str(self.workdir / "inputs" / "prices")
            _copy_partitioned(self.con, "raw.prices", prices, "symbol, available_at, close")
        self.spark.read.parquet(prices).createOrReplaceTempView("raw__prices")

    def close(self) -> None:
        shutil.rmtree(self.workdir, ignore_errors=True)


def _copy_partitioned(
    con: duckdb.DuckDBPyConnection, table: str, path: Path | str, columns: str = "*"
) -> None:
    Path(path).mkdir(parents=True, exist_ok=True)
    if fetch_one(con, f"SELECT count(*) FROM {table}")[0] == 0:
        # no partition to write: one empty file still tells Spark the columns
        con.execute(f"COPY (SELECT {columns} FROM {table}) TO '{path}/empty.parquet'")
        return
    con.execute(
        f"COPY (SELECT {columns} FROM {table}) TO '{path}' (FORMAT parquet, PARTITION_BY (symbol))"
    )


def start_session(master: str):
    """A SparkSession on `master`, or a one-line TradelensError naming what is missing."""
    try:
        from pyspark.sql import SparkSession
    except ImportError:
        raise TradelensError(
            "engine 'spark' needs pyspark, which is not installed: pip install 'tradelens[spark]'"
        ) from None
    if not _java_available():
        raise TradelensError(
            "engine 'spark' needs a Java runtime (17 or newer) and none was found: install one "
            "(Debian/Ubuntu: apt-get install openjdk-17-jre-headless) or set JAVA_HOME"
        )
    _probe_master(master)
    builder = SparkSession.builder.appName("tradelens").master(master)
    conf = SESSION_CONF | (LOCAL_CONF if master.startswith("local") else {})
    for key, value in conf.items():
        builder = builder.config(key, value)
    try:
        session = builder.getOrCreate()
    except Exception as exc:  # the JVM's own words, on one line
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise TradelensError(f"Spark session on {master!r} could not start: {first}") from None
    session.sparkContext.setLogLevel("ERROR")
    return session


def _java_available() -> bool:
    home = os.environ.get("JAVA_HOME")
    if home and (Path(home) / "bin" / "java").exists():
        return True
    return shutil.which("java") is not None


def _probe_master(master: str) -> None:
    """A standalone master (spark://host:port) that does not answer fails now, in one line,
    instead of after Spark's own minute of retries."""
    if not master.startswith("spark://"):
        return
    for address in master.removeprefix("spark://").split(","):
        url = urlparse(f"spark://{address}")
        try:
            with socket.create_connection((url.hostname, url.port or 7077), MASTER_PROBE_SEC):
                return
        except OSError:
            continue
    raise TradelensError(
        f"Spark master {master} is unreachable (no answer within {MASTER_PROBE_SEC:.0f} s): "
        "check spark_master, or use local[*]"
    )
