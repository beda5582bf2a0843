"""The Spark engine: same `latest` figures as DuckDB (1e-9 relative), and one-line errors for
what a user can get wrong (no pyspark, no Java, a master that does not answer).

Tests that start Spark (a JVM in local mode: slow) or need pyspark installed are marked `spark`
and skip without pyspark; skip them locally with `-m "not spark"`. CI runs them.
"""

from __future__ import annotations

import json
import math
import shutil
import tempfile
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from case_warehouse import build_case_warehouse
from conftest import ingest_one, tradelens, write_jsonl
from hypothesis import HealthCheck, given, settings
from test_evaluation import EVALUATE, load
from test_incremental import COMPARED, _assert_same, _run_sequence, batches  # noqa: F401
from test_property import cases, ingest_batch

from analytics.config import settings_from_mapping
from analytics.context import Tradelens
from analytics.learning.weights import WEIGHTS_MOVED
from analytics.sample_data import write_sample_data

LATEST = {  # table → the columns that identify a row
    "counterfactuals": ("decision_id",),
    "timing_grid": ("entry_delay_min", "hold_min", "population"),
    "weight_grid": ("component", "variation"),
    "sizing_grid": ("bucket", "multiplier"),
    "learned_state": ("kind", "name"),
    "timing_outcomes": ("decision_id", "entry_delay_min", "hold_min"),
}
IGNORED = {"run_id"}  # the only column allowed to differ between two warehouses


def latest_tables(path: Path) -> dict[str, dict[tuple, dict]]:
    lens = Tradelens(path)
    with lens.session(read_only=True):
        return {
            table: {
                tuple(row[k] for k in keys): row
                for row in lens.rows(f"SELECT * FROM latest.{table}")
            }
            for table, keys in LATEST.items()
        }


def assert_same_latest(spark: Path, duckdb: Path) -> None:
    got, want = latest_tables(spark), latest_tables(duckdb)
    for table in LATEST:
        assert got[table].keys() == want[table].keys(), table
        for key, row in want[table].items():
            for column, expected in row.items():
                if column not in IGNORED:
                    assert_close(got[table][key][column], expected, (table, key, column))


def assert_close(got, expected, label) -> None:
    if isinstance(expected, float) and isinstance(got, float):
        if math.isnan(expected):
            assert math.isnan(got), label
        else:
            assert got == pytest.approx(expected, rel=1e-9, abs=1e-12), label
    else:
        assert got == expected, label


@pytest.mark.spark
@pytest.mark.slow
def test_conformance_case_gives_the_same_latest_tables_on_both_engines(
    migrated_template: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    duckdb_path, spark_path = tmp_path / "duckdb.duckdb", tmp_path / "spark.duckdb"
    shutil.copy(migrated_template, duckdb_path)
    shutil.copy(migrated_template, spark_path)
    build_case_warehouse(duckdb_path)
    monkeypatch.setenv("TRADELENS_ENGINE", "spark")
    build_case_warehouse(spark_path)
    assert_same_latest(spark_path, duckdb_path)
    spark = Tradelens(spark_path)
    engines = spark.rows("SELECT DISTINCT engine FROM runs WHERE published")
    stored = spark.rows("SELECT count(*) AS n FROM latest.timing_outcomes")
    assert engines == [{"engine": "spark"}]
    duckdb = Tradelens(duckdb_path)
    assert duckdb.rows("SELECT count(*) AS n FROM latest.timing_outcomes") == stored


@pytest.mark.spark
@pytest.mark.slow
@settings(max_examples=4, deadline=None, suppress_health_check=list(HealthCheck))
@given(case=cases())
def test_random_markets_give_the_same_latest_tables_on_both_engines(
    migrated_template: Path, case
) -> None:
    market, log, config, stages = case
    config = config | {"min_samples": 1, "bootstrap_samples": 50}  # learning under test too
    with tempfile.TemporaryDirectory() as folder:
        folder = Path(folder)
        paths = {}
        for engine in ("duckdb", "spark"):
            paths[engine] = folder / f"{engine}.duckdb"
            shutil.copy(migrated_template, paths[engine])
            lens = Tradelens(paths[engine], settings_from_mapping(config | {"engine": engine}))
            with lens.session():
                for stage in stages:
                    (folder / f"{engine}_{stage}").mkdir()
                    ingest_batch(lens, folder / f"{engine}_{stage}", market, log, stage)
                    assert lens.run().published
        assert_same_latest(paths["spark"], paths["duckdb"])


@pytest.mark.spark
@pytest.mark.slow
def test_a_bar_weeks_before_its_lookup_is_found_across_time_partitions(
    migrated_template: Path, tmp_path: Path
) -> None:
    """Spark partitions the ASOF window by symbol and week; bars are sparse here (one every
    nine days) and staleness is unbounded, so most lookups take a bar from an earlier week."""
    start = datetime(2025, 1, 1, 9, 30)
    bars = [
        {"symbol": "A", "ts": (start + timedelta(days=9 * i)).isoformat(), "open": 10 + i,
         "high": 10 + i, "low": 10 + i, "close": 10 + i, "volume": 1}
        for i in range(8)
    ]  # fmt: skip
    decisions = [
        {"decision_id": f"d{i}", "ts": (start + timedelta(days=5 * i, hours=3)).isoformat(),
         "symbol": "A", "direction": "long", "entry_score": 0.0, "components": {},
         "reason": "score_below_threshold"}
        for i in range(12)
    ]  # fmt: skip
    config = {"max_staleness_min": 200_000, "holds_min": [60, 30_000], "default_hold_min": 30_000}
    outside = tmp_path / "bars_outside"  # bars Spark reads directly (spark_prices)
    runs = {
        "duckdb": {"engine": "duckdb"},
        "spark": {"engine": "spark", "spark_workdir": str(tmp_path / "work")},
        "spark_prices": {"engine": "spark", "spark_prices": str(outside)},
    }
    paths = {}
    for name, engine in runs.items():
        paths[name] = tmp_path / f"{name}.duckdb"
        shutil.copy(migrated_template, paths[name])
        lens = Tradelens(paths[name], settings_from_mapping(config | engine))
        with lens.session():
            if "spark_prices" not in engine:
                ingest_one(lens, "prices", write_jsonl(tmp_path / "b.jsonl", bars), interval="1m")
            ingest_one(lens, "blocked", write_jsonl(tmp_path / "blocked.jsonl", decisions))
            assert lens.run().published
        if name == "duckdb":
            with lens.warehouse() as wh:  # the bars a user keeps outside the warehouse
                wh.execute(
                    f"COPY (SELECT symbol, available_at, close FROM raw.prices) TO '{outside}' "
                    "(FORMAT parquet, PARTITION_BY (symbol))"
                )
    assert_same_latest(paths["spark"], paths["duckdb"])
    assert_same_latest(paths["spark_prices"], paths["duckdb"])
    assert list((tmp_path / "work").iterdir()) == []  # the run's exchange folder is removed
    d7 = Tradelens(paths["spark"]).rows(
        "SELECT entry_px, exit_px, status FROM latest.counterfactuals WHERE decision_id = 'd7'"
    )
    # d7 at day 35 12:30: the last bar known is day 27's (close 13), eight days (another week)
    # before; exit 30,000 min = 20 d 20 h later, day 56 08:30: day 54's bar (close 16), and
    # day 63's bar exists, so the exit is not pending
    assert d7 == [{"entry_px": 13.0, "exit_px": 16.0, "status": "ok"}]
    # a later decision: Spark reuses the store, except when its bars are not the warehouse's
    # (the store's validity test cannot see them)
    late = {**decisions[-1], "decision_id": "late", "ts": (start + timedelta(days=60)).isoformat()}
    for name in ("spark", "spark_prices"):
        lens = Tradelens(paths[name], settings_from_mapping(config | runs[name]))
        with lens.session():
            ingest_one(lens, "blocked", write_jsonl(tmp_path / "late.jsonl", [late]))
            result = lens.run()
            [run] = lens.rows("SELECT watermark FROM runs WHERE run_id = ?", [result.run_id])
        assert result.published
        assert json.loads(run["watermark"])["full_recompute"] == (name == "spark_prices")


@pytest.mark.spark
@pytest.mark.slow
def test_incremental_runs_on_spark_equal_full_recomputes_on_duckdb(
    batches,  # noqa: F811 (test_incremental's fixture, imported above)
    tmp_path: Path,
    migrated_template: Path,
) -> None:
    """Spark reuses the outcome store and updates the stored statistics by what changed, as
    DuckDB does: bars in slices, a second half of decisions, a late correction, and weights
    that step every run (unguarded), so the re-score of what flips runs on Spark too."""
    moving = {"score_threshold": 0.5, "min_samples": 5, "bootstrap_samples": 200,
              "require_significance": False}  # fmt: skip
    spark_wh, full_wh = tmp_path / "spark.duckdb", tmp_path / "full.duckdb"
    shutil.copy(migrated_template, spark_wh)
    shutil.copy(migrated_template, full_wh)
    spark_settings = settings_from_mapping(moving | {"engine": "spark"})
    spark = _run_sequence(spark_wh, batches, False, spark_settings)
    full = _run_sequence(full_wh, batches, True, settings_from_mapping(moving))
    for step, (inc, ful) in enumerate(zip(spark, full, strict=True)):
        for view in COMPARED:
            _assert_same(inc[view], ful[view], f"step {step}: {view}")
    marks = [s["watermark"] for s in spark]
    assert not any(m["full_recompute"] for m in marks[1:])
    assert all(m["outcomes_reused"] > 0 for m in marks[1:])
    assert WEIGHTS_MOVED in [m["weight_statistics"] for m in marks[1:]]
    assert 0 < marks[-1]["outcomes_replayed"] < marks[-1]["outcomes_reused"]  # the correction


EVALUATED = ("evaluation_steps", "evaluation_periods", "evaluation_summary")


@pytest.mark.spark
@pytest.mark.slow
def test_the_walk_forward_on_spark_publishes_what_duckdb_publishes(
    migrated_template: Path, tmp_path: Path
) -> None:
    """`tradelens evaluate` with engine = "spark": the outcomes, the horizons and each timing
    setting's replay run on Spark; every published row equals DuckDB's. The unguarded lane
    moves its timing off the grid, so settings are replayed on Spark mid-walk."""
    sample = write_sample_data(tmp_path / "inputs", seed=5, symbols=2, days=8, decisions=900)
    published = {}
    for engine in ("duckdb", "spark"):
        path = tmp_path / f"{engine}.duckdb"
        shutil.copy(migrated_template, path)
        lens = Tradelens(path, settings_from_mapping(EVALUATE | {"engine": engine}))
        load(lens, sample)
        lens.evaluate(policies=["unguarded"])
        with lens.session(read_only=True):
            published[engine] = {
                table: lens.rows(
                    f"SELECT * EXCLUDE (evaluation_id) FROM latest.{table} ORDER BY ALL"
                )
                for table in EVALUATED
            }
    steps = published["duckdb"]["evaluation_steps"]
    timing = {(r["policy"], r["after"]) for r in steps if r["kind"] == "timing"}
    assert len({after for policy, after in timing if policy == "unguarded"}) > 2, timing
    for table in EVALUATED:
        want, got = published["duckdb"][table], published["spark"][table]
        assert len(got) == len(want) > 0, table
        for i, (g, w) in enumerate(zip(got, want, strict=True)):
            assert g.keys() == w.keys(), table
            for column, expected in w.items():
                assert_close(g[column], expected, (table, i, column))


# --------------------------------------------------------------------------- user mistakes


def _published_before_and_after(warehouse: Path, env: dict, *args: str):
    prices = write_jsonl(
        warehouse.parent / "p.jsonl",
        [{"symbol": "A", "ts": "2025-01-06T10:00:00", "open": 1, "high": 1, "low": 1,
          "close": 1, "volume": 1}],
    )  # fmt: skip
    assert tradelens("ingest", "prices", str(prices), warehouse=warehouse).returncode == 0
    assert tradelens("run", warehouse=warehouse).returncode == 0
    failed = tradelens("run", *args, warehouse=warehouse, env={"TRADELENS_ENGINE": "spark"} | env)
    lens = Tradelens(warehouse)
    with lens.session(read_only=True):
        _, latest = lens.sql("SELECT run_id FROM latest.run")
        _, runs = lens.sql("SELECT run_id, engine, status FROM runs ORDER BY run_id")
    return failed, latest, runs


def _assert_one_line_and_nothing_published(failed, latest, runs, *words: str) -> None:
    assert failed.returncode == 1
    message = failed.stderr.strip()
    assert "\n" not in message and "Traceback" not in message, message
    for word in words:
        assert word in message, message
    assert latest == [(1,)]  # the DuckDB version before stays latest
    assert runs[1][1:] == ("spark", "failed")


def test_without_pyspark_the_error_says_how_to_install_it(warehouse, tmp_path):
    shadow = tmp_path / "shadow" / "pyspark"
    shadow.mkdir(parents=True)
    (shadow / "__init__.py").write_text("raise ImportError('No module named pyspark')\n")
    result = _published_before_and_after(warehouse, {"PYTHONPATH": str(shadow.parent)})
    _assert_one_line_and_nothing_published(*result, "pyspark", "tradelens[spark]")


@pytest.mark.spark
def test_without_java_the_error_names_the_runtime_to_install(warehouse):
    pytest.importorskip("pyspark")  # the Java check comes after pyspark is imported
    result = _published_before_and_after(warehouse, {"JAVA_HOME": "", "PATH": "/nonexistent"})
    _assert_one_line_and_nothing_published(*result, "Java", "openjdk-17-jre-headless")


@pytest.mark.spark
def test_an_unreachable_master_fails_fast_in_one_line(warehouse, tmp_path):
    pytest.importorskip("pyspark")  # the master is probed after pyspark and Java are found
    config = tmp_path / "spark.toml"
    config.write_text('spark_master = "spark://127.0.0.1:9"\n')
    result = _published_before_and_after(warehouse, {}, "--config", str(config))
    _assert_one_line_and_nothing_published(*result, "spark://127.0.0.1:9", "unreachable")
