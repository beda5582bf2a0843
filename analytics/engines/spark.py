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
from pathlib import Path
from urllib.parse import urlparse

import polars as pl

from analytics.config import Settings
from analytics.engines.spark_sql import to_spark, to_spark_steps
from analytics.errors import TradelensError, first_line
from analytics.warehouse import Params, Warehouse, identifier

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


# The big relations a run shares with Spark go as Parquet partitioned by symbol (the unit the
# ASOF replay partitions on), with the columns Spark reads; the others as one file.
PARTITIONED = {"run_decisions": "*", "raw.prices": "symbol, available_at, close"}


class SparkEngine:
    name = "spark"

    def __init__(self, warehouse: Warehouse, settings: Settings) -> None:
        self._warehouse = warehouse
        self._spark_prices = settings.spark_prices
        self.spark = start_session(settings.spark_master)
        # A folder of this run's own: Spark caches file listings, so a path is never rewritten
        # while a session (the service's, a test's) may still remember it.
        base = Path(settings.spark_workdir or tempfile.gettempdir())
        self.workdir = base / f"tradelens-spark-{uuid.uuid4().hex[:12]}"
        self.workdir.mkdir(parents=True)
        self._shares = itertools.count()

    def table(self, name: str, sql: str, params: Params = None, *, ordered: bool = True) -> None:
        *shared, (_, query) = to_spark_steps(sql, params)
        for cte, cte_query in shared:
            self.spark.sql(cte_query).localCheckpoint(eager=True).createOrReplaceTempView(cte)
        # computed once, lineage cut (like a DuckDB temp table)
        self.spark.sql(query).localCheckpoint(eager=True).createOrReplaceTempView(name)

    def view(self, name: str, sql: str) -> None:
        self.spark.sql(to_spark(sql)).createOrReplaceTempView(name)

    def frame(self, sql: str, params: Params = None) -> pl.DataFrame:
        return pl.from_arrow(self.spark.sql(to_spark(sql, params)).toArrow())

    def load(self, name: str, frame: pl.DataFrame) -> None:
        path = self.workdir / "loaded" / f"{name}-{next(self._shares)}.parquet"
        path.parent.mkdir(parents=True, exist_ok=True)
        frame.write_parquet(path)
        self.spark.read.parquet(str(path)).createOrReplaceTempView(name)

    def to_warehouse(self, name: str) -> str:
        path = self.workdir / "results" / name
        self.spark.table(name).write.mode("overwrite").parquet(str(path))
        self._warehouse.temp_table(
            name, "SELECT * FROM read_parquet($files)", {"files": str(path / "*.parquet")}
        )
        return name

    def close(self) -> None:
        shutil.rmtree(self.workdir, ignore_errors=True)

    def share(self, name: str) -> None:
        """A warehouse relation as a Spark view of the same name (`raw.prices` as raw__prices,
        the spelling the transpiler gives schema-qualified names); bars come from
        `spark_prices` instead when the user keeps them outside the warehouse. Each share is
        a fresh path: Spark caches file listings."""
        view = name.replace(".", "__")
        if name == "raw.prices" and self._spark_prices:
            path = self._spark_prices
        else:
            path = str(self.workdir / "shared" / f"{view}-{next(self._shares)}")
            _copy(self._warehouse, name, Path(path), PARTITIONED.get(name))
        self.spark.read.parquet(path).createOrReplaceTempView(view)


def _copy(warehouse: Warehouse, table: str, path: Path, partitioned: str | None) -> None:
    """Relation `table` as Parquet under `path`: partitioned by symbol with the columns
    `partitioned`, else all of it in one file."""
    path.mkdir(parents=True, exist_ok=True)
    query = f"SELECT {partitioned or '*'} FROM {identifier(table)}"
    if partitioned is None or warehouse.value(f"SELECT count(*) FROM {identifier(table)}") == 0:
        # (no partition to write: one file, empty or not, still tells Spark the columns)
        warehouse.execute(
            f"COPY ({query}) TO $file (FORMAT parquet)", {"file": str(path / "0.parquet")}
        )
        return
    warehouse.execute(
        f"COPY ({query}) TO $path (FORMAT parquet, PARTITION_BY (symbol), OVERWRITE_OR_IGNORE)",
        {"path": str(path)},
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
        message = f"Spark session on {master!r} could not start: {first_line(exc)}"
        raise TradelensError(message) from None
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
