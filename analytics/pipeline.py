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
from dataclasses import dataclass, field, replace
from datetime import datetime

import duckdb

from analytics.cell_stats import Recency
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
from analytics.learning.evidence import last_evaluations
from analytics.learning.guard import apply_holds, holds, signature
from analytics.learning.sizing import SizingGridComponent
from analytics.learning.state import state_before
from analytics.learning.timing import TimingGridComponent
from analytics.learning.weights import WeightGridComponent, signals_seen
from analytics.scenarios.counterfactuals import Counterfactuals
from analytics.scenarios.replay import prepare_run_inputs
from analytics.scenarios.store import ScenarioOutcomes
from analytics.times import stored_utc_now
from analytics.versions import prune
from analytics.warehouse import Warehouse, load_sql

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
    status: str  # success | partial | failed | unchanged
    published: bool
    components: list[ComponentRecord] = field(default_factory=list)
    seconds: float = 0.0
    error: str | None = None
    same_as: int | None = None  # unchanged: the version that stays latest
    notes: list[str] = field(default_factory=list)  # one line each, for the person who ran it


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
        # (a fault drill always computes: it is there to show a component failing and healing)
        drill = bool(os.environ.get(FAULT_ENV))
        same_as = None if full or drill else _unchanged_since(warehouse, settings)
        if same_as is not None:
            return _record_unchanged(warehouse, settings, run_id, same_as, started)
        on_step(f"starting {settings.engine}")
        engine = open_engine(warehouse, settings)
        on_step("preparing inputs")
        prepare_run_inputs(warehouse, engine, settings)
        as_of = _as_of(warehouse)
        held = holds(warehouse, settings)  # SPEC §19: kinds the walk-forward found losing
        run = RunContext(
            engine,
            warehouse,
            settings,
            state_before(warehouse, settings, signals_seen(engine)),
            Recency(settings.half_life_days, as_of and as_of.date()),
            last_evaluations(warehouse),
            full,
            as_of=as_of,
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
            if component.learns and component.name in results and held:
                found = results[component.name]
                results[component.name] = replace(
                    found, learned=apply_holds(found.learned, held, settings)
                )
            if component.name in results:
                run.products[component.name] = results[component.name].product
        on_step("publishing")
        if should_stop():
            raise RunAborted("stop requested")
        result = _publish(warehouse, settings, run_id, results, records, started)
    except BaseException as exc:
        _fail_run(warehouse, run_id, exc)
        raise
    finally:
        if engine is not None:
            engine.close()
        warehouse.drop_temporaries()
    return result


# Settings of the service and of other commands: a run with only these changed is unchanged.
# (Any other setting, the engine included, makes a run that computes and publishes.)
OPERATIONAL_SETTINGS = frozenset({
    "interval_min", "price_bar_time", "inbox_prices", "inbox_trades", "inbox_blocked",
    "state_out", "keep_versions", "evaluate_every", "evaluate_warmup_days",
})  # fmt: skip


def learning_settings(config: dict) -> dict:
    """The settings a run's figures depend on (its config without the operational keys)."""
    return {k: v for k, v in config.items() if k not in OPERATIONAL_SETTINGS}


def _unchanged_since(warehouse: Warehouse, settings: Settings) -> int | None:
    """The latest version, if this run would publish it again (SPEC §14): same inputs, same
    settings, and every component computed (none carried forward or failed)."""
    latest = warehouse.one(
        "SELECT r.run_id, r.config, r.watermark FROM runs AS r WHERE r.published "
        "AND r.status = 'success' AND r.run_id = (SELECT max(run_id) FROM runs WHERE published) "
        "AND NOT EXISTS (SELECT 1 FROM run_components AS c WHERE c.run_id = r.run_id "
        "AND c.status <> 'ok')"
    )
    if latest is None:
        return None
    run_id, config, watermark = latest
    seen, now = json.loads(watermark or "{}"), _inputs_seen(warehouse, settings)
    same_inputs = all(str(seen.get(k)) == str(v) for k, v in now.items())
    current = learning_settings(json.loads(settings.as_json()))
    if same_inputs and learning_settings(json.loads(config)) == current:
        return run_id
    return None


def _record_unchanged(
    warehouse: Warehouse, settings: Settings, run_id: int, same_as: int, started: float
):
    warehouse.execute(
        "UPDATE runs SET status = 'unchanged', finished_at = ?, same_as = ?, watermark = ? "
        "WHERE run_id = ?",
        [
            stored_utc_now(),
            same_as,
            json.dumps(_inputs_seen(warehouse, settings), default=str),
            run_id,
        ],
    )
    return RunResult(
        run_id=run_id,
        status="unchanged",
        published=False,
        seconds=time.monotonic() - started,
        same_as=same_as,
    )


def _as_of(warehouse: Warehouse) -> datetime | None:
    """The run's as-of moment (SPEC §15, §18): the greatest bar available_at."""
    return warehouse.value("SELECT max(available_at) FROM raw.prices")


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
    settings: Settings,
    run_id: int,
    results: dict[str, ComponentResult],
    records: dict[str, ComponentRecord],
    started: float,
) -> RunResult:
    """Every row of the version, the store, and its `published` flag in one transaction."""
    previous = warehouse.value("SELECT max(run_id) FROM runs WHERE published")
    computed = [r for r in records.values() if r.status == "ok"]
    status = (
        "success"
        if all(r.status in ("ok", "skipped") for r in records.values())
        else ("partial" if computed else "failed")
    )
    published = status != "failed"
    facts = {k: v for result in results.values() for k, v in result.facts.items()}
    seen = _inputs_seen(warehouse, settings)
    notes = _missing_inputs(seen) + [note for result in results.values() for note in result.notes]
    with warehouse.transaction():
        if published:
            stored = 0
            for component in COMPONENTS:
                record = records[component.name]
                if record.status == "ok":
                    stored += _store_result(warehouse, run_id, component, results[component.name])
                elif previous is not None:
                    stored += _carry_forward(warehouse, run_id, component)
                    record.carried_from = previous
                    if record.status == "skipped":
                        record.status = "carried"
            facts["rows_stored"] = stored
        for r in records.values():
            warehouse.execute(
                "INSERT INTO run_components VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                [run_id, r.name, r.status, r.attempts, r.seconds, r.rows, r.carried_from, r.error],
            )
        errors = "; ".join(f"{r.name}: {r.error}" for r in records.values() if r.error)
        warehouse.execute(
            "UPDATE runs SET status = ?, published = ?, finished_at = ?, watermark = ?, error = ? "
            "WHERE run_id = ?",
            [status, published, stored_utc_now(),
             json.dumps(seen | facts, default=str), errors or None, run_id],
        )  # fmt: skip
        if published and settings.keep_versions:
            prune(warehouse, settings.keep_versions)
    return RunResult(
        run_id=run_id,
        status=status,
        published=published,
        components=list(records.values()),
        seconds=time.monotonic() - started,
        error=errors or None,
        notes=notes,
    )


def _store_result(
    warehouse: Warehouse, run_id: int, component: Component, result: ComponentResult
) -> int:
    """A component's rows into the version (only those that changed are written), then what it
    saves; returns the rows written."""
    written = sum(
        rows.publish(warehouse, table, run_id, None) for table, rows in result.tables.items()
    )
    if result.learned is not None:
        written += FrameRows(result.learned).publish(
            warehouse, "learned_state", run_id, component.learns
        )
    for save in result.saves:
        save(warehouse, run_id)
    return written


def _carry_forward(warehouse: Warehouse, run_id: int, component: Component) -> int:
    """A component that failed or was not run keeps the previous version's rows (they stay
    current: nothing to write) and its learned settings (before = after, nothing applied)."""
    if not component.learns:
        return 0
    carried = warehouse.frame(
        load_sql("learning/carry_learned_state"),
        {"kind": component.learns, "component": component.name},
    )
    return FrameRows(carried).publish(warehouse, "learned_state", run_id, component.learns)


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


def _missing_inputs(seen: dict) -> list[str]:
    """Notes for a run with nothing to learn from: it succeeds, but says so."""
    notes = []
    if seen["decisions"] == "0":
        notes.append("no decisions loaded: nothing to learn from yet (tradelens ingest trades "
                     "FILE, tradelens ingest blocked FILE)")  # fmt: skip
    if seen["prices"] == "0":
        notes.append("no price bars loaded: no outcome can be replayed yet (tradelens ingest "
                     "prices FILE)")  # fmt: skip
    return notes


def _inputs_seen(warehouse: Warehouse, settings: Settings) -> dict:
    """What a run sees of its inputs (the part of its watermark that says whether they
    changed), and the kinds the evaluation guard holds (SPEC §19: a new or cleared hold is a
    change to publish)."""
    seen = {k: (str(v) if v is not None else None)
            for k, v in warehouse.rows(load_sql("warehouse/watermark"))[0].items()}  # fmt: skip
    return seen | {"holds": signature(holds(warehouse, settings))}
