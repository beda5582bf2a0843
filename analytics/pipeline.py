"""One recompute: a run in the run log, its components in dependency order, and the atomic
publication of a version.

Each component computes into tables of the run's engine; nothing is visible to readers until
`_publish` inserts every history row and flips `runs.published` in one transaction. A run
killed before that commit leaves no trace in history (DuckDB drops the uncommitted transaction),
and its `running` row is marked interrupted by the next run.
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import duckdb

from analytics.components import (
    Component,
    ComponentResult,
    FrameRows,
    RunContext,
    in_dependency_order,
    upstream,
)
from analytics.config import Settings
from analytics.engines import open_engine
from analytics.errors import one_line
from analytics.learning.sizing import SizingGridComponent
from analytics.learning.state import state_before
from analytics.learning.timing import TimingGridComponent
from analytics.learning.weights import WeightGridComponent, signals_seen
from analytics.scenarios.counterfactuals import Counterfactuals
from analytics.scenarios.replay import prepare_run_inputs
from analytics.scenarios.store import ScenarioOutcomes
from analytics.times import stored_utc_now
from analytics.warehouse import Warehouse, identifier, load_sql

COMPONENTS: tuple[Component, ...] = tuple(
    in_dependency_order(
        [
            ScenarioOutcomes(),
            Counterfactuals(),
            TimingGridComponent(),
            WeightGridComponent(),
            SizingGridComponent(),
        ]
    )
)
COMPONENT_NAMES = tuple(c.name for c in COMPONENTS)
RETRY_ATTEMPTS = 3
RETRY_BASE_DELAY_SEC = 0.5
FAULT_ENV = "TRADELENS_FAIL_COMPONENT"  # drill: make a component raise, to see self-healing


@dataclass
class ComponentRecord:
    """A component's line in run_components."""

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
    components: list[ComponentRecord] = field(default_factory=list)
    seconds: float = 0.0
    error: str | None = None


class RunAborted(Exception):
    """Raised by a stop request between components: the run is abandoned, nothing published."""


def run_recompute(
    warehouse: Warehouse,
    settings: Settings,
    *,
    trigger: str = "run",
    only: Sequence[str] | None = None,
    full: bool = False,
    on_start: Callable[[int], None] = lambda run_id: None,
    on_step: Callable[[str], None] = lambda step: None,
    should_stop: Callable[[], bool] = lambda: False,
) -> RunResult:
    """Compute the components in `only` (default: all) and what they depend on, carry the
    others forward, and publish. `on_start(run_id)` runs once the run is logged, before any
    computation (the service picks up its inbox there).

    Scenario outcomes still valid in the store are reused; `full` recomputes every one. The
    heavy SQL runs on `settings.engine`; the run log, history and store stay in the warehouse."""
    started = time.monotonic()
    wanted = _with_dependencies(only or COMPONENT_NAMES)
    _mark_interrupted_runs(warehouse)
    run_id = _start_run(warehouse, settings, trigger)
    engine = None
    try:
        on_start(run_id)
        on_step(f"starting {settings.engine}")
        engine = open_engine(warehouse, settings)
        on_step("preparing inputs")
        prepare_run_inputs(warehouse, engine, settings)
        run = RunContext(
            engine,
            warehouse,
            settings,
            state_before(warehouse, settings, signals_seen(engine)),
            full,
        )
        records: dict[str, ComponentRecord] = {}
        results: dict[str, ComponentResult] = {}
        for component in COMPONENTS:
            if should_stop():
                raise RunAborted("stop requested")
            if component.name not in wanted:
                records[component.name] = ComponentRecord(component.name, status="skipped")
                continue
            on_step(component.name.replace("_", " "))
            records[component.name] = _run_component(component, run, records, results, should_stop)
        on_step("publishing")
        if should_stop():
            raise RunAborted("stop requested")
        result = _publish(warehouse, run_id, results, records, started)
    except BaseException as exc:
        _fail_run(warehouse, run_id, exc)
        raise
    finally:
        if engine is not None:
            engine.close()
    return result


def _with_dependencies(names: Sequence[str]) -> set[str]:
    unknown = set(names) - set(COMPONENT_NAMES)
    if unknown:
        raise ValueError(f"unknown components: {', '.join(sorted(unknown))}")
    return {n for name in names for n in (name, *upstream(COMPONENTS, name))}


def _run_component(
    component: Component,
    run: RunContext,
    records: dict[str, ComponentRecord],
    results: dict[str, ComponentResult],
    should_stop: Callable[[], bool],
) -> ComponentRecord:
    """Run with retries and exponential backoff; a failure is recorded, never raised, except
    a stop: an interrupted query or a stop request abandons the run at once."""
    record = ComponentRecord(component.name)
    t0 = time.monotonic()
    failed = [d for d in upstream(COMPONENTS, component.name) if records[d].status != "ok"]
    if failed:
        record.status, record.error = "failed", f"needs {', '.join(failed)}, which failed"
        return record
    for attempt in range(1, RETRY_ATTEMPTS + 1):
        record.attempts = attempt
        try:
            if os.environ.get(FAULT_ENV) == component.name:
                raise RuntimeError(f"fault injected by {FAULT_ENV}")
            result = component.compute(run)
            record.status, record.error = "ok", None
            record.rows = result.published_rows()
            results[component.name] = result
            break
        except duckdb.InterruptException:
            raise RunAborted("stop requested (query interrupted)") from None
        except Exception as exc:
            record.status, record.error = "failed", one_line(exc)
            if should_stop():
                raise RunAborted("stop requested") from None
            if attempt < RETRY_ATTEMPTS:
                time.sleep(RETRY_BASE_DELAY_SEC * 2 ** (attempt - 1))
    record.seconds = time.monotonic() - t0
    return record


def _publish(
    warehouse: Warehouse,
    run_id: int,
    results: dict[str, ComponentResult],
    records: dict[str, ComponentRecord],
    started: float,
) -> RunResult:
    """Every history row of the version and its `published` flag in one transaction."""
    previous = warehouse.value("SELECT max(run_id) FROM runs WHERE published")
    computed = [r for r in records.values() if r.status == "ok"]
    status = (
        "success"
        if all(r.status in ("ok", "skipped") for r in records.values())
        else ("partial" if computed else "failed")
    )
    published = status != "failed"
    facts = {k: v for result in results.values() for k, v in result.facts.items()}
    with warehouse.transaction():
        if published:
            for component in COMPONENTS:
                record = records[component.name]
                if record.status == "ok":
                    _insert_result(warehouse, run_id, component, results[component.name])
                elif previous is not None:
                    _carry_forward(warehouse, run_id, component, previous)
                    record.carried_from = previous
                    if record.status == "skipped":
                        record.status = "carried"
        for r in records.values():
            warehouse.execute(
                "INSERT INTO run_components VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                [run_id, r.name, r.status, r.attempts, r.seconds, r.rows, r.carried_from, r.error],
            )
        errors = "; ".join(f"{r.name}: {r.error}" for r in records.values() if r.error)
        warehouse.execute(
            "UPDATE runs SET status = ?, published = ?, finished_at = ?, watermark = ?, error = ? "
            "WHERE run_id = ?",
            [status, published, stored_utc_now(), _watermark(warehouse, facts), errors or None,
             run_id],
        )  # fmt: skip
    return RunResult(
        run_id=run_id,
        status=status,
        published=published,
        components=list(records.values()),
        seconds=time.monotonic() - started,
        error=errors or None,
    )


def _insert_result(
    warehouse: Warehouse, run_id: int, component: Component, result: ComponentResult
) -> None:
    for table, rows in result.tables.items():
        rows.insert_into(warehouse, table, run_id)
    if result.learned is not None:
        FrameRows(result.learned).insert_into(warehouse, "learned_state", run_id)
    for save in result.saves:
        save(warehouse, run_id)


def _carry_forward(warehouse: Warehouse, run_id: int, component: Component, previous: int) -> None:
    """Keep the previous version's output of a component that failed or was not run."""
    for table in component.publishes:
        warehouse.execute(
            f"INSERT INTO history.{identifier(table)} BY NAME "
            f"SELECT * REPLACE (CAST($run_id AS BIGINT) AS run_id) "
            f"FROM history.{identifier(table)} WHERE run_id = $previous",
            {"run_id": run_id, "previous": previous},
        )
    if component.learns:
        warehouse.execute(
            load_sql("learning/carry_learned_state"),
            {"run_id": run_id, "previous": previous, "kind": component.learns,
             "component": component.name},
        )  # fmt: skip


def _start_run(warehouse: Warehouse, settings: Settings, trigger: str) -> int:
    run_id = warehouse.value("SELECT coalesce(max(run_id), 0) + 1 FROM runs")
    warehouse.execute(
        "INSERT INTO runs (run_id, started_at, status, published, engine, trigger, config) "
        "VALUES (?, ?, 'running', false, ?, ?, ?)",
        [run_id, stored_utc_now(), settings.engine, trigger, settings.as_json()],
    )
    return run_id


def _mark_interrupted_runs(warehouse: Warehouse) -> None:
    """A `running` row seen by the process holding the write lock belongs to a dead process."""
    warehouse.execute(
        "UPDATE runs SET status = 'failed', error = 'interrupted (process ended mid-run)' "
        "WHERE status = 'running'"
    )


def _fail_run(warehouse: Warehouse, run_id: int, exc: BaseException) -> None:
    """Record why the run ended unpublished: `aborted` on a stop request, else `failed`."""
    stopped = isinstance(exc, RunAborted | duckdb.InterruptException | KeyboardInterrupt)
    warehouse.execute(
        "UPDATE runs SET status = ?, finished_at = ?, error = ? WHERE run_id = ?",
        ["aborted" if stopped else "failed", stored_utc_now(), one_line(exc), run_id],
    )


def _watermark(warehouse: Warehouse, facts: dict) -> str:
    """What the run saw of its inputs, and how much of the scenario work it reused."""
    seen = warehouse.rows(load_sql("warehouse/watermark"))[0]
    return json.dumps(seen | facts, default=str)
