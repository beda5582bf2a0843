"""tradelens benchmark suite: prints one table of figures and writes it as JSON.

    .venv/bin/python benchmarks/run.py                       # 1M decisions × 10M bars (slow)
    .venv/bin/python benchmarks/run.py --decisions 100000 --bars 1000000 --symbols 10

Stages, each in its own process so its peak memory (max RSS) is its own:
  generate   synthetic bars and decisions at the given scale (fixed seed), as Parquet
  ingest     `Tradelens.ingest` of the price file and the decision files: rows/s
  floor      a bare DuckDB query doing only the 2 × cells × decisions ASOF lookups and summing
             a P&L per cell: the floor of the timing grid's work on this engine
  timing     the timing-grid component alone (`Tradelens.run(only=...)`), full recompute,
             without the bootstrap of its recommendation
  full       every component, the reality check included (a full recompute: --full)
  incremental hourly cycles of 1% new decisions and one hour of new bars, the default
             (incremental) run: the first cycle after settings that stood still, and the
             median cycle under the configured policy (each cycle
             listed), with the rows it adds to history.* against the rows of one whole version
  unchanged  the same run again with nothing new: recorded `unchanged`, nothing published
  evaluate   the walk-forward evaluation with daily boundaries over the whole span: what the
             service's daily evaluation (SPEC §19, evaluation_guard) costs a cycle once a day
  pandas     the timing grid done the straightforward way: a pandas loop over a subset of
             decisions and cells, price_at by Series.asof; seconds per decision vs tradelens
  spark_timing, spark_full, spark_incremental, spark_evaluate
             `timing`, `full`, two `incremental` cycles and `evaluate` with engine = "spark"
             (the engine dimension: same work, same data), on local[2] or `--spark-master`;
             peak memory adds the Spark JVM's to the driver's. `--spark-master standalone`
             starts a real standalone master and one worker (2 cores, executor 6g, via a
             spark-defaults.conf in SPARK_CONF_DIR) from pyspark's `spark-class` for the
             Spark stages and stops them after
Figures are printed, never asserted: these machines are shared and noisy.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import resource
import socket
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import polars as pl

ROOT = Path(__file__).resolve().parents[1]
STAGES = (
    "generate", "ingest", "floor", "timing", "full", "incremental", "unchanged", "evaluate",
    "pandas", "spark_timing", "spark_full", "spark_incremental", "spark_evaluate",
)  # fmt: skip
SPARK_MASTER = "local[2]"
SPARK_INCREMENTAL_CYCLES = 2  # a Spark cycle pays the JVM's job overheads: two show it
PANDAS_SUBSET = 1_000  # decisions the per-decision pandas baseline replays
COMPONENT_NAMES = ("momentum", "flow", "iv_skew", "news", "dark_pool")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--decisions", type=int, default=1_000_000)
    parser.add_argument("--bars", type=int, default=10_000_000)
    parser.add_argument("--symbols", type=int, default=20)
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--dir", type=Path, default=ROOT / "benchmarks" / "results")
    parser.add_argument("--stages", default=",".join(STAGES))
    parser.add_argument("--spark-master", default=SPARK_MASTER,
                        help="Spark master URL, or 'standalone' to start one here")  # fmt: skip
    parser.add_argument("--stage", help=argparse.SUPPRESS)  # internal: run one stage here
    args = parser.parse_args()
    if args.stage:
        figures = STAGE_FUNCTIONS[args.stage](args)
        figures["peak_rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        if args.stage.startswith("spark"):  # the JVM is a child process of this stage
            jvm_mb = _children_peak_rss_mb()
            figures["notes"] += f"; driver {figures['peak_rss_mb']:,.0f} MB + JVM {jvm_mb:,.0f} MB"
            figures["peak_rss_mb"] += jvm_mb
        print(json.dumps(figures))
        return
    run_suite(args)


def _children_peak_rss_mb() -> float:
    """Peak RSS (VmHWM) of this process's live children: the Spark JVM, still running."""
    peak = 0.0
    for status in Path("/proc").glob("[0-9]*/status"):
        try:
            fields = dict(line.split(":", 1) for line in status.read_text().splitlines())
        except (OSError, ValueError):
            continue
        if fields.get("PPid", "").strip() == str(os.getpid()) and "VmHWM" in fields:
            peak = max(peak, int(fields["VmHWM"].split()[0]) / 1024)
    return peak


@contextlib.contextmanager
def standalone_spark(
    workdir: Path, cores: int = 2, memory: str = "8g", executor_memory: str = "6g"
):
    """A real Spark standalone master and one worker, started from pyspark's `spark-class`,
    stopped on exit; yields the master URL."""
    import pyspark

    spark_class = Path(pyspark.__file__).parent / "bin" / "spark-class"
    # Executors and the driver get Spark's defaults (1g each) unless told: the stages' sessions
    # read this spark-defaults.conf (SPARK_CONF_DIR), as a deployment's would.
    conf_dir = workdir / "spark-conf"
    conf_dir.mkdir(exist_ok=True)
    (conf_dir / "spark-defaults.conf").write_text(
        f"spark.executor.memory {executor_memory}\nspark.driver.memory 3g\n"
    )
    os.environ["SPARK_CONF_DIR"] = str(conf_dir)
    host, port = "127.0.0.1", _free_port()
    log = (workdir / "spark-standalone.log").open("w")
    started = []
    try:
        master = f"spark://{host}:{port}"
        started.append(subprocess.Popen(
            [str(spark_class), "org.apache.spark.deploy.master.Master", "--host", host,
             "--port", str(port), "--webui-port", str(_free_port())],
            stdout=log, stderr=subprocess.STDOUT))  # fmt: skip
        _wait_for_port(host, port)
        started.append(subprocess.Popen(
            [str(spark_class), "org.apache.spark.deploy.worker.Worker", "--cores", str(cores),
             "--memory", memory, "--webui-port", str(_free_port()), master],
            stdout=log, stderr=subprocess.STDOUT))  # fmt: skip
        time.sleep(5)  # the worker registers with the master
        yield master
    finally:
        for process in reversed(started):
            process.terminate()
            process.wait(timeout=30)
        log.close()


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _wait_for_port(host: str, port: int, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with contextlib.suppress(OSError), socket.create_connection((host, port), 1.0):
            return
        time.sleep(0.5)
    sys.exit(f"the Spark master on {host}:{port} did not start (see spark-standalone.log)")


def run_suite(args: argparse.Namespace) -> None:
    args.dir.mkdir(parents=True, exist_ok=True)
    results = {"scale": {"decisions": args.decisions, "bars": args.bars, "symbols": args.symbols}}
    stages = args.stages.split(",")
    with contextlib.ExitStack() as stack:
        master = args.spark_master
        if master == "standalone" and any(s.startswith("spark") for s in stages):
            master = stack.enter_context(standalone_spark(args.dir))
        results["scale"]["spark_master"] = master
        for stage in stages:
            cmd = [sys.executable, __file__, "--stage", stage, "--decisions",
                   str(args.decisions), "--bars", str(args.bars), "--symbols", str(args.symbols),
                   "--seed", str(args.seed), "--dir", str(args.dir),
                   "--spark-master", master]  # fmt: skip
            print(f"… {stage}", file=sys.stderr, flush=True)
            out = subprocess.run(cmd, capture_output=True, text=True, check=False)
            if out.returncode != 0:
                sys.exit(f"stage {stage} failed:\n{out.stderr[-2000:]}")
            results[stage] = json.loads(out.stdout.strip().splitlines()[-1])
    if "floor" in results and "timing" in results:
        results["timing"]["ratio_to_floor"] = (
            results["timing"]["seconds"] / results["floor"]["seconds"]
        )
        results["timing"]["cpu_ratio_to_floor"] = (
            results["timing"]["cpu_seconds"] / results["floor"]["cpu_seconds"]
        )
    for stage in ("incremental", "unchanged"):
        if "full" in results and stage in results:
            share = results[stage]["seconds"] / results["full"]["seconds"]
            results[stage]["share_of_full"] = share
            results[stage]["notes"] += f"; {share:.1%} of the full run"
    if "full" in results and "median_seconds" in results.get("incremental", {}):
        incremental = results["incremental"]
        share = incremental["median_seconds"] / results["full"]["seconds"]
        incremental["median_share_of_full"] = share
        incremental["notes"] += (
            f" (the median cycle: {incremental['median_seconds']:.2f}s = {share:.1%}; "
            f"{incremental['moved_cycles']} of {INCREMENTAL_CYCLES} cycles moved a setting)"
        )
    if "full" in results and "evaluate" in results:
        ratio = results["evaluate"]["seconds"] / results["full"]["seconds"]
        results["evaluate"]["ratio_to_full"] = ratio
        results["evaluate"]["notes"] += (
            f"; {ratio:.2f}x the full run (the service's daily evaluation: target <= 5x)"
        )
    if "floor" in results and "full" in results:
        results["full"]["ratio_to_floor"] = results["full"]["seconds"] / results["floor"]["seconds"]
    if "spark_full" in results and "spark_incremental" in results:
        spark = results["spark_incremental"]
        share = spark["seconds"] / results["spark_full"]["seconds"]
        spark["share_of_spark_full"] = share
        spark["notes"] += f"; {share:.1%} of the Spark full run"
    if "spark_full" in results and "spark_evaluate" in results:
        ratio = results["spark_evaluate"]["seconds"] / results["spark_full"]["seconds"]
        results["spark_evaluate"]["ratio_to_spark_full"] = ratio
        results["spark_evaluate"]["notes"] += f"; {ratio:.2f}x the Spark full run"
    for stage in ("timing", "full", "incremental", "evaluate"):
        if stage in results and f"spark_{stage}" in results:
            ratio = results[f"spark_{stage}"]["seconds"] / results[stage]["seconds"]
            results[f"spark_{stage}"]["vs_duckdb"] = ratio
            results[f"spark_{stage}"]["notes"] += f"; {ratio:.2f}x the DuckDB {stage} run"
    if "pandas" in results and "timing" in results:
        tradelens_ms = 1000 * results["timing"]["seconds"] / args.decisions
        results["pandas"]["speedup_vs_tradelens_timing"] = (
            results["pandas"]["per_decision_ms"] / tradelens_ms
        )
        results["pandas"]["notes"] += (
            f"; {results['pandas']['per_decision_ms']:.3f} ms/decision vs tradelens "
            f"{tradelens_ms:.4f}: {results['pandas']['speedup_vs_tradelens_timing']:,.0f}x"
        )
    (args.dir / "benchmark.json").write_text(json.dumps(results, indent=2))
    print_table(results)


def print_table(results: dict) -> None:
    from rich.console import Console
    from rich.table import Table

    scale = results["scale"]
    table = Table(
        title=f"tradelens benchmark: {scale['decisions']:,} decisions × {scale['bars']:,} bars, "
        f"{scale['symbols']} symbols"
    )
    columns = ("stage", "seconds", "CPU s", "rows/s", "ratio to floor", "peak RSS MB", "notes")
    for column in columns:
        table.add_column(column)
    for stage in STAGES:
        if stage not in results:
            continue
        r = results[stage]
        table.add_row(
            stage,
            f"{r['seconds']:.2f}",
            f"{r['cpu_seconds']:.1f}" if "cpu_seconds" in r else "",
            f"{r['rows_per_sec']:,.0f}" if "rows_per_sec" in r else "",
            _ratio_text(r),
            f"{r['peak_rss_mb']:,.0f}",
            r.get("notes", ""),
        )
    Console(width=160).print(table)


def _ratio_text(r: dict) -> str:
    """Wall-time ratio to the floor, and the CPU-time one when known (less noisy when shared)."""
    if "ratio_to_floor" not in r:
        return ""
    if "cpu_ratio_to_floor" not in r:
        return f"{r['ratio_to_floor']:.2f}"
    return f"{r['ratio_to_floor']:.2f} (CPU {r['cpu_ratio_to_floor']:.2f})"


def _paths(args) -> dict[str, Path]:
    return {
        "prices": args.dir / "prices.parquet",
        "trades": args.dir / "trades.parquet",
        "blocked": args.dir / "blocked.parquet",
        "warehouse": args.dir / "bench.duckdb",
    }


def stage_generate(args) -> dict:
    """Bars: a random walk per symbol on a 1-minute grid; decisions uniform over the span."""
    t0 = time.monotonic()
    rng = np.random.default_rng(args.seed)
    paths = _paths(args)
    per_symbol = args.bars // args.symbols
    start = np.datetime64("2024-01-01T00:00:00", "us")
    minutes = np.arange(per_symbol, dtype=np.int64)
    frames = []
    for s in range(args.symbols):
        steps = rng.normal(0, 0.0008, per_symbol)
        close = 100.0 * (1 + s) * np.exp(np.cumsum(steps))
        open_ = np.concatenate([[close[0]], close[:-1]])
        frames.append(
            pl.DataFrame(
                {
                    "symbol": f"SYM{s:03d}",
                    "ts": start + minutes * np.timedelta64(60, "s"),
                    "open": open_,
                    "high": np.maximum(open_, close) * 1.0005,
                    "low": np.minimum(open_, close) * 0.9995,
                    "close": close,
                    "volume": rng.integers(1, 1000, per_symbol).astype(float),
                }
            )
        )
    pl.concat(frames).write_parquet(paths["prices"], row_group_size=1_000_000)
    span_us = int(per_symbol) * 60_000_000
    trades, blocked = _decisions(rng, args.decisions, args.symbols, start, span_us, "b")
    trades.write_parquet(paths["trades"])
    blocked.write_parquet(paths["blocked"])
    return {"seconds": time.monotonic() - t0, "notes": "not part of tradelens' work"}


def _decisions(rng, n: int, symbols: int, start, span_us: int, prefix: str):
    """n decisions uniform over [start, start + span): executed when the score reaches 0.5."""
    ts = start + rng.integers(0, span_us, n).astype("timedelta64[us]")
    comps = rng.normal(0, 1, (n, len(COMPONENT_NAMES)))
    decisions = pl.DataFrame(
        {
            "decision_id": [f"{prefix}{i:08d}" for i in range(n)],
            "ts": ts,
            "symbol": [f"SYM{s:03d}" for s in rng.integers(0, symbols, n)],
            "direction": np.where(rng.random(n) < 0.5, "long", "short"),
            "entry_score": comps.sum(axis=1),
            "components": pl.Series(comps).arr.to_struct(list(COMPONENT_NAMES)),
        }
    )
    executed = decisions["entry_score"] >= 0.5
    trades = decisions.filter(executed).with_columns(
        entry_ts=pl.col("ts") + pl.duration(seconds=5),
        entry_price=pl.lit(100.0),
        exit_ts=pl.col("ts") + pl.duration(hours=2),
        exit_price=pl.lit(100.0) * (1 + pl.col("entry_score") * 0.001),
        qty=pl.lit(10.0),
        fees=pl.lit(0.5),
    )
    blocked = decisions.filter(~executed).with_columns(reason=pl.lit("score_below_threshold"))
    return trades, blocked


def _lens(args, **settings):
    from analytics.config import settings_from_mapping
    from analytics.context import Tradelens

    mapping = {"score_threshold": 0.5, "spark_master": args.spark_master} | settings
    return Tradelens(_paths(args)["warehouse"], settings_from_mapping(mapping))


def _ingest(lens, kind: str, path: Path, **options):
    batch = lens.ingest(kind, [path], **options)
    if batch.failures:
        sys.exit(f"ingest of {path} failed: {batch.failures[0]}")
    return batch.reports[0]


def stage_ingest(args) -> dict:
    paths = _paths(args)
    for leftover in (paths["warehouse"], paths["warehouse"].with_suffix(".duckdb.wal")):
        leftover.unlink(missing_ok=True)
    lens = _lens(args)
    with lens.session():
        t0 = time.monotonic()
        prices = _ingest(lens, "prices", paths["prices"], interval="1m")
        price_sec = time.monotonic() - t0
        t1 = time.monotonic()
        trades = _ingest(lens, "trades", paths["trades"])
        blocked = _ingest(lens, "blocked", paths["blocked"])
        decision_sec = time.monotonic() - t1
    return {
        "seconds": price_sec + decision_sec,
        "rows_per_sec": prices.accepted / price_sec,
        "notes": f"prices {prices.accepted:,} rows in {price_sec:.1f}s; decisions "
        f"{trades.accepted + blocked.accepted:,} in {decision_sec:.1f}s",
    }


FLOOR_SQL = """
WITH cells AS (
    SELECT d AS delay_min, h AS hold_min
    FROM unnest([0, 5, 15, 30]) AS a(d), unnest([60, 120, 240, 480]) AS b(h)
),
legs AS (
    SELECT x.symbol, x.direction, c.delay_min, c.hold_min,
           x.ts + to_minutes(c.delay_min) AS entry_t,
           x.ts + to_minutes(c.delay_min + c.hold_min) AS exit_t
    FROM raw.decisions AS x CROSS JOIN cells AS c
),
entry AS (
    SELECT l.*, b.close AS entry_px
    FROM legs AS l ASOF LEFT JOIN raw.prices AS b
        ON b.symbol = l.symbol AND b.available_at <= l.entry_t
),
both_legs AS (
    SELECT e.*, b.close AS exit_px
    FROM entry AS e ASOF LEFT JOIN raw.prices AS b
        ON b.symbol = e.symbol AND b.available_at <= e.exit_t
)
SELECT delay_min, hold_min, sum(direction * (exit_px / entry_px - 1) * 1000) AS pnl
FROM both_legs
GROUP BY ALL
"""


def stage_floor(args) -> dict:
    lens = _lens(args)
    t0, cpu0 = time.monotonic(), _cpu_seconds()
    cells = lens.sql(FLOOR_SQL)[1]
    seconds, cpu = time.monotonic() - t0, _cpu_seconds() - cpu0
    return {
        "seconds": seconds,
        "cpu_seconds": cpu,
        "notes": f"{len(cells)} cells, 2 ASOF lookups per cell × decision",
    }


def _cpu_seconds() -> float:
    """CPU time of this process (all threads): steadier than wall time on a shared machine."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def _all_components() -> tuple[str, ...]:
    from analytics.pipeline import COMPONENT_NAMES

    return COMPONENT_NAMES


def _run_components(
    args,
    only: tuple[str, ...],
    full: bool = True,
    significance: bool = True,
    engine: str = "duckdb",
) -> dict:
    lens = _lens(args, require_significance=significance, engine=engine)
    t0, cpu0 = time.monotonic(), _cpu_seconds()
    result = lens.run(trigger="benchmark", only=only, full=full)
    seconds, cpu = time.monotonic() - t0, _cpu_seconds() - cpu0
    [run] = lens.rows("SELECT watermark FROM runs WHERE run_id = ?", [result.run_id])
    reuse = json.loads(run["watermark"])
    parts = ", ".join(f"{c.name} {c.seconds:.1f}s" for c in result.components if c.attempts)
    replayed = f"{reuse.get('outcomes_replayed', 0):,} outcomes replayed, "
    replayed += f"{reuse.get('outcomes_reused', 0):,} reused"
    notes = f"{result.status}: {parts}; {replayed}"
    moved = [
        what for what, fact in (
            ("weights moved: weight grid re-scored", reuse.get("weight_statistics") not in
             (None, "updated", "full")),
            ("timing moved: every decision replayed at the new setting",
             reuse.get("moments_new_to_store", 0) and not reuse.get("full_recompute")),
        ) if fact
    ]  # fmt: skip
    if result.status == "unchanged":
        notes = f"unchanged: version {result.same_as} stays latest, nothing published"
    stored = reuse.get("rows_stored")
    if stored is not None and result.published:
        whole = sum(
            lens.rows(f"SELECT count(*) AS n FROM latest.{t}")[0]["n"]
            for t in ("counterfactuals", "timing_grid", "weight_grid", "sizing_grid",
                      "learned_state")
        )  # fmt: skip
        notes += f"; {stored:,} rows stored of a {whole:,}-row version ({stored / whole:.2%})"
    return {"seconds": seconds, "cpu_seconds": cpu, "notes": notes, "moved": ", ".join(moved)}


def stage_timing(args) -> dict:
    """The timing grid alone, without the significance test of its recommendation (a
    learning guard, measured with the rest in `full`)."""
    return _run_components(args, ("timing_grid",), significance=False)


def stage_full(args) -> dict:
    return _run_components(args, _all_components())


def stage_spark_timing(args) -> dict:
    return _run_components(args, ("timing_grid",), significance=False, engine="spark")


def stage_spark_full(args) -> dict:
    return _run_components(args, _all_components(), engine="spark")


def stage_spark_incremental(args) -> dict:
    """Hourly cycles as in `incremental`, with engine = "spark": the outcome store reused,
    the stored statistics updated by what changed, on Spark."""
    rng = np.random.default_rng(args.seed + 2)
    cycles = [_hourly_cycle(args, rng, "spark") for _ in range(SPARK_INCREMENTAL_CYCLES)]
    listed = "; ".join(f"cycle {i}: {c['seconds']:.2f}s" for i, c in enumerate(cycles, 1))
    return cycles[-1] | {"notes": f"{cycles[-1]['notes']}; {listed}", "cycles": cycles}


INCREMENTAL_CYCLES = 6  # hourly cycles measured; the first may follow a step of the full run


def stage_incremental(args) -> dict:
    """Hourly cycles, each after 1% new decisions over the last day and one new hour of bars:
    the default (incremental) run. A cycle after a run that moved the weights re-scores the
    whole weight grid (its cells moved), and one after a timing step replays every decision at
    the new setting: the figure is the first cycle after settings that stood still (what is
    new costs), the median cycle is what a service pays under the configured policy (one that
    moves at most cycles, such as bagged, pays for its steps), and every cycle is listed."""
    rng = np.random.default_rng(args.seed + 1)
    cycles = [_hourly_cycle(args, rng) for _ in range(INCREMENTAL_CYCLES)]
    steady = next((c for c in cycles if not c["moved"]), cycles[-1])
    steady |= {"median_seconds": float(np.median([c["seconds"] for c in cycles])),
               "moved_cycles": sum(1 for c in cycles if c["moved"])}  # fmt: skip
    listed = "; ".join(
        f"cycle {i}: {c['seconds']:.2f}s" + (f" ({c['moved']})" if c["moved"] else "")
        for i, c in enumerate(cycles, 1)
    )
    return steady | {"notes": f"{steady['notes']}; {listed}", "cycles": cycles}


def _hourly_cycle(args, rng, engine: str = "duckdb") -> dict:
    lens = _lens(args)
    new = _write_new_hour(args, rng, lens)
    with lens.session():
        t0 = time.monotonic()
        for kind, path in new.items():
            _ingest(lens, kind, path, interval="1m")
        ingest_sec = time.monotonic() - t0
    figures = _run_components(args, _all_components(), full=False, engine=engine)
    figures["notes"] = f"new inputs ingested in {ingest_sec:.1f}s; " + figures["notes"]
    return figures


def _write_new_hour(args, rng, lens) -> dict[str, Path]:
    """The next hour of bars of every symbol, and 1% new decisions over the last day."""
    last = pl.DataFrame(
        lens.rows(
            "SELECT symbol, max(ts) AS ts, arg_max(close, ts) AS close FROM raw.prices GROUP BY 1"
        )
    )
    minutes = np.arange(1, 61, dtype=np.int64)
    bars = []
    for row in last.iter_rows(named=True):
        close = row["close"] * np.exp(np.cumsum(rng.normal(0, 0.0008, 60)))
        open_ = np.concatenate([[row["close"]], close[:-1]])
        bars.append(
            pl.DataFrame(
                {
                    "symbol": row["symbol"],
                    "ts": np.datetime64(row["ts"], "us") + minutes * np.timedelta64(60, "s"),
                    "open": open_,
                    "high": np.maximum(open_, close) * 1.0005,
                    "low": np.minimum(open_, close) * 0.9995,
                    "close": close,
                    "volume": 100.0,
                }
            )
        )
    new = {k: args.dir / f"new_{k}.parquet" for k in ("prices", "trades", "blocked")}
    pl.concat(bars).write_parquet(new["prices"])
    day_start = np.datetime64(last["ts"].max(), "us") - np.timedelta64(1, "D")
    trades, blocked = _decisions(
        rng,
        max(1, args.decisions // 100),
        args.symbols,
        day_start,
        86_400_000_000,
        f"n{time.time_ns()}_",  # fresh ids each cycle
    )
    trades.write_parquet(new["trades"])
    blocked.write_parquet(new["blocked"])
    return new


def stage_unchanged(args) -> dict:
    """The default run again, nothing new since the incremental stage (SPEC §14)."""
    return _run_components(args, _all_components(), full=False)


def stage_evaluate(args, engine: str = "duckdb") -> dict:
    """SPEC §16 with daily boundaries (after the default 7 days of warm-up) over the whole
    span; the same settings as the runs."""
    lens = _lens(args, engine=engine)
    t0, cpu0 = time.monotonic(), _cpu_seconds()
    result = lens.evaluate()
    seconds, cpu = time.monotonic() - t0, _cpu_seconds() - cpu0
    per = 1000 * seconds / result.boundaries
    verdicts = "; ".join(
        f"{r['kind']} {r['gain_weighted_pnl']:+,.0f} ({r['verdict']})" for r in result.summary
        if r["policy"] == "learned"
    )  # fmt: skip
    notes = f"{result.boundaries} boundaries, {per:,.0f} ms each; learned − static: {verdicts}"
    return {"seconds": seconds, "cpu_seconds": cpu, "notes": notes}


def stage_spark_evaluate(args) -> dict:
    """The walk-forward with engine = "spark": what reads the bars runs on Spark."""
    return stage_evaluate(args, engine="spark")


def stage_pandas(args) -> dict:
    """Per decision, per cell, two `Series.asof` lookups and the §3/§4 rules, in Python."""
    import pandas as pd

    lens = _lens(args)
    with lens.warehouse() as warehouse:
        decisions = warehouse.frame(
            "SELECT decision_id, symbol, ts, direction, coalesce(notional, 1000.0) AS notional "
            "FROM raw.decisions ORDER BY decision_id LIMIT $n",
            {"n": PANDAS_SUBSET},
        ).to_pandas()
        bars = warehouse.frame(
            "SELECT symbol, available_at, close FROM raw.prices ORDER BY symbol, available_at"
        ).to_pandas()
    series = {s: g.set_index("available_at")["close"] for s, g in bars.groupby("symbol")}
    horizon = {s: g.index.max() for s, g in series.items()}
    staleness = pd.Timedelta(minutes=15)

    def price_at(symbol: str, t: pd.Timestamp) -> tuple[float | None, str]:
        closes = series.get(symbol)
        if closes is None or horizon[symbol] < t:
            return None, "pending"
        at = closes.index.asof(t)
        if pd.isna(at) or at < t - staleness:
            return None, "stale"
        return closes[at], "ok"

    t0 = time.monotonic()
    totals: dict[tuple[int, int], float] = {}
    for row in decisions.itertuples():
        for delay in (0, 5, 15, 30):
            entry_px, entry_status = price_at(row.symbol, row.ts + pd.Timedelta(minutes=delay))
            for hold in (60, 120, 240, 480):
                exit_t = row.ts + pd.Timedelta(minutes=delay + hold)
                exit_px, exit_status = price_at(row.symbol, exit_t)
                if entry_status == exit_status == "ok":
                    ret = row.direction * (exit_px / entry_px - 1)
                    totals[(delay, hold)] = totals.get((delay, hold), 0.0) + ret * row.notional
    seconds = time.monotonic() - t0
    return {
        "seconds": seconds,
        "per_decision_ms": 1000 * seconds / len(decisions),
        "notes": f"{len(decisions):,} decisions, {len(totals)} cells",
    }


STAGE_FUNCTIONS = {
    "generate": stage_generate,
    "ingest": stage_ingest,
    "floor": stage_floor,
    "timing": stage_timing,
    "full": stage_full,
    "incremental": stage_incremental,
    "unchanged": stage_unchanged,
    "evaluate": stage_evaluate,
    "pandas": stage_pandas,
    "spark_timing": stage_spark_timing,
    "spark_full": stage_spark_full,
    "spark_incremental": stage_spark_incremental,
    "spark_evaluate": stage_spark_evaluate,
}

if __name__ == "__main__":
    main()
