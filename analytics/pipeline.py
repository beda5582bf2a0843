"""One recompute: a run in the run log, its components, and the atomic publication of a version.

Each component computes into temp tables of the run's connection; nothing is visible to readers
until `_publish` inserts every history row and flips `runs.published` in one transaction. A run
killed before that commit leaves no trace in history (DuckDB drops the uncommitted transaction),
and its `running` row is marked interrupted by the next run.
"""

from __future__ import annotations

import contextlib
import json
import os
import time
from collections.abc import Callable
from dataclasses import dataclass, field

import duckdb
import polars as pl

from analytics.config import Settings
from analytics.engines import Engine, open_engine
from analytics.learning.sizing import compute_sizing_grid, learn_multipliers
from analytics.learning.state import StateBefore, now_utc, state_before
from analytics.learning.timing import learn_timing
from analytics.learning.weights import components_seen, compute_weight_grid, learn_weights
from analytics.metrics import METRIC_COLUMNS
from analytics.scenarios.counterfactuals import compute_counterfactuals
from analytics.scenarios.prices import prepare_run_inputs
from analytics.scenarios.store import (
    StoreStats,
    compute_run_outcomes,
    run_cells,
    save_outcome_store,
)
from analytics.scenarios.timing import compute_timing_grid
from analytics.warehouse import fetch_one, load_sql

COMPONENTS = ("counterfactuals", "timing_grid", "weight_grid", "sizing_grid")
LEARNED_KIND = {"timing_grid": "timing", "weight_grid": "weight", "sizing_grid": "multiplier"}
# Tables each component publishes; learned_state rows come from the three grids.
PUBLISHES = {
    "counterfactuals": ("counterfactuals",),
    "timing_grid": ("timing_grid",),
    "weight_grid": ("weight_grid",),
    "sizing_grid": ("sizing_grid",),
}
DEPENDS_ON = {"weight_grid": ("counterfactuals",)}
# A component's output: a small frame, or the name of a temp table of the run's connection
# (large outputs such as per-decision outcomes never leave DuckDB).
Output = pl.DataFrame | str
RETRY_ATTEMPTS = 3
RETRY_BASE_DELAY_SEC = 0.5
FAULT_ENV = "TRADELENS_FAIL_COMPONENT"  # drill: make a component raise, to see self-healing


@dataclass
class ComponentResult:
    name: str
    status: str = "ok"  # ok | failed | carried | skipped
    attempts: int = 0
    seconds: float = 0.0
    rows: int | None = None
    carried_from: int | None = None
    error: str | None = None


@dataclass
class RunResult:
    run_id: int
    status: str  # success | partial | failed
    published: bool
    components: list[ComponentResult] = field(default_factory=list)
    seconds: float = 0.0
    error: str | None = None


@dataclass
class RunContext:
    """What every component of one run reads: settings, the state it starts from, and the
    scenario outcomes shared by counterfactuals and the timing grid (computed once)."""

    engine: Engine
    settings: Settings
    before: StateBefore
    full: bool = False
    outcome_stats: StoreStats | None = None

    def ensure_outcomes(self) -> None:
        if self.outcome_stats is None:
            current = (self.before.entry_delay_min, self.before.hold_min)
            cells = run_cells(self.settings, current)
            self.outcome_stats = compute_run_outcomes(
                self.engine, self.settings, cells, full=self.full
            )


class RunAborted(Exception):
    """Raised by a stop request between components: the run is abandoned, nothing published."""


def run_cycle(
    con: duckdb.DuckDBPyConnection,
    settings: Settings,
    *,
    trigger: str = "run",
    only: tuple[str, ...] = COMPONENTS,
    on_step: Callable[[str], None] = lambda step: None,
    should_stop: Callable[[], bool] = lambda: False,
    full: bool = False,
) -> RunResult:
    """Compute the components in `only` (the others are carried forward) and publish.

    Scenario outcomes still valid in the store are reused; `full` recomputes every one. The
    heavy SQL runs on `settings.engine`; the run log, history and store stay in `con`."""
    started = time.monotonic()
    _mark_interrupted_runs(con)
    run_id = _start_run(con, settings, trigger)
    engine = None
    try:
        on_step(f"starting {settings.engine}")
        engine = open_engine(con, settings)
        on_step("preparing inputs")
        prepare_run_inputs(engine, settings)
        before = state_before(con, settings, components_seen(con))
        ctx = RunContext(engine, settings, before, full)
        outputs: dict[str, Output] = {}
        results: dict[str, ComponentResult] = {}
        for name in COMPONENTS:
            if should_stop():
                raise RunAborted("stop requested")
            if name not in only:
                results[name] = ComponentResult(name, status="skipped")
                continue
            on_step(name.replace("_", " "))
            results[name] = _run_component(name, con, ctx, outputs, results, should_stop)
        on_step("publishing")
        if should_stop():
            raise RunAborted("stop requested")
        if ctx.outcome_stats is not None:
            engine.materialize("run_replayed")  # the store is written from it
        result = _publish(con, run_id, ctx, outputs, results, started)
    except BaseException as exc:
        _fail_run(con, run_id, exc)
        raise
    finally:
        if engine is not None:
            engine.close()
    return result


def _run_component(
    name: str,
    con: duckdb.DuckDBPyConnection,
    ctx: RunContext,
    outputs: dict[str, Output],
    results: dict[str, ComponentResult],
    should_stop: Callable[[], bool] = lambda: False,
) -> ComponentResult:
    """Run with retries and exponential backoff; a failure is recorded, never raised, except
    a stop: an interrupted query or a stop request abandons the run at once."""
    result = ComponentResult(name)
    t0 = time.monotonic()
    failed_deps = [d for d in DEPENDS_ON.get(name, ()) if results[d].status != "ok"]
    if failed_deps:
        result.status, result.error = "failed", f"needs {', '.join(failed_deps)}, which failed"
        return result
    for attempt in range(1, RETRY_ATTEMPTS + 1):
        result.attempts = attempt
        try:
            if os.environ.get(FAULT_ENV) == name:
                raise RuntimeError(f"fault injected by {FAULT_ENV}")
            produced = COMPUTE[name](ctx)
            for output in produced.values():
                if isinstance(output, str):  # published from the warehouse
                    ctx.engine.materialize(output)
            outputs.update(produced)
            result.status, result.error = "ok", None
            result.rows = sum(
                _row_count(con, v) for k, v in produced.items() if k in PUBLISHES[name]
            )
            break
        except duckdb.InterruptException:
            raise RunAborted("stop requested (query interrupted)") from None
        except Exception as exc:
            result.status, result.error = "failed", _one_line(exc)
            if should_stop():
                raise RunAborted("stop requested") from None
            if attempt < RETRY_ATTEMPTS:
                time.sleep(RETRY_BASE_DELAY_SEC * 2 ** (attempt - 1))
    result.seconds = time.monotonic() - t0
    return result


def _counterfactuals(ctx: RunContext) -> dict[str, Output]:
    ctx.ensure_outcomes()
    return {"counterfactuals": compute_counterfactuals(ctx.engine)}


def _timing(ctx: RunContext) -> dict[str, Output]:
    ctx.ensure_outcomes()
    grid = compute_timing_grid(ctx.engine)
    published = grid.cells.filter(pl.col("in_grid")).select(
        "entry_delay_min", "hold_min", "population", *METRIC_COLUMNS
    )
    current = (ctx.before.entry_delay_min, ctx.before.hold_min)
    learned = learn_timing(ctx.engine, grid, ctx.settings, current)
    return {
        "timing_grid": published,
        "learned_timing": pl.DataFrame(learned, schema=_LEARNED_SCHEMA),
    }


def _weights(ctx: RunContext) -> dict[str, Output]:
    settings = ctx.settings
    grid = compute_weight_grid(ctx.engine, settings, ctx.before.weights)
    published = grid.cells.filter(pl.col("component").is_not_null()).select(
        "component", "variation", "weight", *METRIC_COLUMNS
    )
    learned = learn_weights(ctx.engine, grid, settings)
    return {
        "weight_grid": published,
        "learned_weight": pl.DataFrame(learned, schema=_LEARNED_SCHEMA),
    }


def _sizing(ctx: RunContext) -> dict[str, Output]:
    settings = ctx.settings
    grid = compute_sizing_grid(ctx.engine, settings, ctx.before.multipliers)
    if grid is None:  # no executed trade yet: no buckets to learn
        return {"sizing_grid": pl.DataFrame(), "learned_multiplier": pl.DataFrame()}
    published = grid.cells.filter(pl.col("bucket") >= 0).select(
        "bucket", "score_lo", "score_hi", "multiplier", *METRIC_COLUMNS
    )
    learned = learn_multipliers(ctx.engine, grid, settings)
    return {
        "sizing_grid": published,
        "learned_multiplier": pl.DataFrame(learned, schema=_LEARNED_SCHEMA),
    }


def _row_count(con: duckdb.DuckDBPyConnection, output: Output) -> int:
    if isinstance(output, str):
        return fetch_one(con, f"SELECT count(*) FROM {output}")[0]
    return len(output)


COMPUTE = {
    "counterfactuals": _counterfactuals,
    "timing_grid": _timing,
    "weight_grid": _weights,
    "sizing_grid": _sizing,
}
_LEARNED_SCHEMA = {
    "kind": pl.String, "name": pl.String, "before": pl.Float64, "best": pl.Float64,
    "after": pl.Float64, "n": pl.Int64, "significant": pl.Boolean, "applied": pl.Boolean,
    "gain": pl.Float64, "gain_lo": pl.Float64, "gain_hi": pl.Float64, "score_lo": pl.Float64,
    "score_hi": pl.Float64, "note": pl.String,
}  # fmt: skip


def _publish(
    con: duckdb.DuckDBPyConnection,
    run_id: int,
    ctx: RunContext,
    outputs: dict[str, Output],
    results: dict[str, ComponentResult],
    started: float,
) -> RunResult:
    """Every history row of the version and its `published` flag in one transaction."""
    previous = fetch_one(con, "SELECT max(run_id) FROM runs WHERE published")[0]
    computed = [r for r in results.values() if r.status == "ok"]
    status = (
        "success"
        if all(r.status in ("ok", "skipped") for r in results.values())
        else ("partial" if computed else "failed")
    )
    published = status != "failed"
    con.execute("BEGIN TRANSACTION")
    try:
        if published:
            for result in results.values():
                if result.status == "ok":
                    _insert_outputs(con, run_id, result.name, outputs)
                elif previous is not None:
                    _carry_forward(con, run_id, result.name, previous)
                    result.carried_from = previous
                    if result.status == "skipped":
                        result.status = "carried"
            if ctx.outcome_stats is not None:
                save_outcome_store(con, run_id, ctx.settings, ctx.outcome_stats)
        for r in results.values():
            con.execute(
                "INSERT INTO run_components VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                [run_id, r.name, r.status, r.attempts, r.seconds, r.rows, r.carried_from, r.error],
            )
        errors = "; ".join(f"{r.name}: {r.error}" for r in results.values() if r.error)
        con.execute(
            "UPDATE runs SET status = ?, published = ?, finished_at = ?, watermark = ?, error = ? "
            "WHERE run_id = ?",
            [status, published, now_utc(), _watermark(con, ctx), errors or None, run_id],
        )
        con.execute("COMMIT")
    except BaseException:
        con.execute("ROLLBACK")
        raise
    return RunResult(
        run_id=run_id,
        status=status,
        published=published,
        components=list(results.values()),
        seconds=time.monotonic() - started,
        error=errors or None,
    )


def _insert_outputs(con, run_id: int, component: str, outputs: dict[str, Output]) -> None:
    tables = list(PUBLISHES[component])
    kind = LEARNED_KIND.get(component)
    frames = {t: outputs[t] for t in tables}
    if kind:
        frames["learned_state"] = outputs[f"learned_{kind}"]
    for table, output in frames.items():
        if isinstance(output, str):  # a temp table of this connection: stays inside DuckDB
            source = output
        elif output.is_empty():
            continue
        else:
            con.register("publish_frame", output)
            source = "publish_frame"
        con.execute(
            f"INSERT INTO history.{table} BY NAME SELECT {int(run_id)} AS run_id, * FROM {source}"
        )
        if source == "publish_frame":
            con.unregister("publish_frame")


def _carry_forward(con, run_id: int, component: str, previous: int) -> None:
    """Keep the previous version's output of a component that failed or was not run."""
    for table in PUBLISHES[component]:
        con.execute(
            f"INSERT INTO history.{table} BY NAME "
            f"SELECT * REPLACE (CAST(? AS BIGINT) AS run_id) FROM history.{table} WHERE run_id = ?",
            [run_id, previous],
        )
    kind = LEARNED_KIND.get(component)
    if kind:
        con.execute(
            load_sql("learning/carry_learned_state"),
            {"run_id": run_id, "previous": previous, "kind": kind, "component": component},
        )


def _start_run(con: duckdb.DuckDBPyConnection, settings: Settings, trigger: str) -> int:
    run_id = fetch_one(con, "SELECT coalesce(max(run_id), 0) + 1 FROM runs")[0]
    con.execute(
        "INSERT INTO runs (run_id, started_at, status, published, engine, trigger, config) "
        "VALUES (?, ?, 'running', false, ?, ?, ?)",
        [run_id, now_utc(), settings.engine, trigger, settings.as_json()],
    )
    return run_id


def _mark_interrupted_runs(con: duckdb.DuckDBPyConnection) -> None:
    """A `running` row seen by the process holding the write lock belongs to a dead process."""
    con.execute(
        "UPDATE runs SET status = 'failed', error = 'interrupted (process ended mid-run)' "
        "WHERE status = 'running'"
    )


def _fail_run(con: duckdb.DuckDBPyConnection, run_id: int, exc: BaseException) -> None:
    """Record why the run ended unpublished: `aborted` on a stop request, else `failed`."""
    with contextlib.suppress(duckdb.Error):  # no transaction may be open
        con.execute("ROLLBACK")
    stopped = isinstance(exc, RunAborted | duckdb.InterruptException | KeyboardInterrupt)
    con.execute(
        "UPDATE runs SET status = ?, finished_at = ?, error = ? WHERE run_id = ?",
        ["aborted" if stopped else "failed", now_utc(), _one_line(exc), run_id],
    )


def _watermark(con: duckdb.DuckDBPyConnection, ctx: RunContext) -> str:
    """What the run saw of its inputs, and how much of the scenario work it reused."""
    rows = fetch_one(con, load_sql("warehouse/watermark"))
    names = ("decisions", "prices", "files", "last_decision_ts", "last_price_available_at")
    seen = dict(zip(names, rows, strict=True))
    if ctx.outcome_stats is not None:
        seen |= {
            "outcomes_reused": ctx.outcome_stats.reused,
            "outcomes_replayed": ctx.outcome_stats.replayed,
            "full_recompute": ctx.outcome_stats.full,
        }
    return json.dumps(seen, default=str)


def _one_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return f"{type(exc).__name__}: {text[0] if text else ''}".strip()
