"""Scenario outcomes computed once: the store in state.scenario_outcomes (SPEC §4 outcomes).

A run needs the outcome of every decision at a few moments (entry delay, hold): the timing
grid's cells, the current timing setting and the counterfactual cell. An outcome whose legs are
resolved depends only on the decision, the settings in `inputs_key` and the bars it used, so
it is reused until a bar arrives or is corrected inside one of its legs' windows. Each run:
  - keeps the cached outcomes still valid (sql/scenarios/cache_valid.sql),
  - replays the decisions that have any invalid or missing outcome at all moments,
  - replays every decision at moments never computed before (a new current timing),
and writes the store back in the publishing transaction (`save_outcome_store`).

Planning reads the warehouse's own history (the store, the files ingested since), so it stays
on the warehouse side; the replay runs on the engine.
"""

from __future__ import annotations

import hashlib
import itertools
import json
from dataclasses import dataclass

import polars as pl

from analytics.components import ComponentResult, RunContext
from analytics.config import Settings
from analytics.engines import Engine
from analytics.scenarios.replay import replay
from analytics.warehouse import Warehouse, load_sql

# Settings an outcome depends on; any change recomputes every outcome (detected, not guessed).
OUTCOME_SETTINGS = (
    "fee_bps",
    "slippage_bps",
    "max_staleness_min",
    "default_notional",
    "counterfactual_weight",
)
CURRENT_TIMING_CELL = 0
FULL_RECOMPUTE_SEEN_AT = "infinity"  # no file is newer: nothing to check, nothing reused


@dataclass(frozen=True)
class ScenarioCell:
    """A moment a run replays decisions at, and why: the timing grid, the current timing
    setting (for the significance test), or the counterfactual (SPEC §5)."""

    cell_id: int
    entry_delay_min: float
    hold_min: float
    role: str  # grid | current | counterfactual


@dataclass(frozen=True)
class StoreStats:
    """What a run did with the store: outcomes reused and replayed; `full` when nothing was
    reused (the statistics built on the store are then rebuilt too); `basis_run`, the run that
    last saved the store (statistics kept since that run may be updated by what changed)."""

    reused: int
    replayed: int
    full: bool
    basis_run: int | None
    new_moments: int  # moments the store did not hold: every decision replayed at each


def run_cells(settings: Settings, current_timing: tuple[float, float]) -> list[ScenarioCell]:
    grid = itertools.product(settings.entry_delays_min, settings.holds_min)
    cells = [ScenarioCell(CURRENT_TIMING_CELL, *map(float, current_timing), "current")]
    cells += [ScenarioCell(i, float(d), float(h), "grid") for i, (d, h) in enumerate(grid, 1)]
    cells.append(ScenarioCell(len(cells), 0.0, float(settings.default_hold_min), "counterfactual"))
    return cells


def inputs_key(settings: Settings) -> str:
    values = {name: getattr(settings, name) for name in OUTCOME_SETTINGS}
    if settings.engine == "spark" and settings.spark_prices:
        # bars read from outside the warehouse: outcomes a DuckDB run must not reuse
        values["bars"] = settings.spark_prices
    return hashlib.sha256(json.dumps(values, sort_keys=True).encode()).hexdigest()[:16]


def compute_run_outcomes(
    warehouse: Warehouse,
    engine: Engine,
    settings: Settings,
    cells: list[ScenarioCell],
    *,
    full: bool = False,
) -> StoreStats:
    """View `run_outcomes` of the engine: every decision at every distinct moment of `cells`.

    The store's reuse test reads the bars and files of the warehouse, so an engine that reads
    its bars from elsewhere (Spark with `spark_prices`) replays every outcome."""
    key = inputs_key(settings)
    watermark = warehouse.one(
        "SELECT inputs_key, files_seen_at FROM state.scenario_watermark ORDER BY run_id DESC"
    )
    basis_run = warehouse.value("SELECT max(run_id) FROM state.scenario_watermark")
    bars_elsewhere = engine.name == "spark" and bool(settings.spark_prices)
    full = full or bars_elsewhere or watermark is None or watermark[0] != key
    _plan_reuse(warehouse, cells, "" if full else key, FULL_RECOMPUTE_SEEN_AT if full else (
        watermark[1] or "-infinity"))  # fmt: skip
    for planned in ("run_cells", "run_moments", "known_moments", "cache_valid", "replay_decisions"):
        engine.share(planned)
    n_moments, n_new = warehouse.one(
        "SELECT count(*), count(*) FILTER (WHERE moment_id NOT IN "
        "(SELECT moment_id FROM known_moments)) FROM run_moments"
    )
    # A replay with nothing to replay still sorts every bar: skip it (a full run replays all
    # decisions as "reuse" at moments new to the empty store; an unchanged run replays none).
    changed = warehouse.value("SELECT count(*) FROM replay_decisions") > 0
    if n_new:
        replay(engine, "replayed_new", "reuse", "new", settings)
    if changed or not n_new:
        replay(engine, "replayed_changed", "replay", "every", settings)
    else:
        engine.table("replayed_changed", "SELECT * FROM replayed_new LIMIT 0")
    if not n_new:
        engine.table("replayed_new", "SELECT * FROM replayed_changed LIMIT 0")
    engine.view("run_replayed", load_sql("scenarios/run_replayed"))
    engine.view("run_outcomes", load_sql("scenarios/run_outcomes"))
    if not full:  # what the replays replace, read now: the store is rewritten at publication
        warehouse.temp_table("replaced_outcomes", load_sql("scenarios/replaced_outcomes"))
        engine.share("replaced_outcomes")  # the statistics' update reads it on the engine
    # run_outcomes holds every decision at every moment: what was not replayed was reused
    replayed = engine.frame(
        "SELECT (SELECT count(*) FROM replayed_new) + (SELECT count(*) FROM replayed_changed) AS n"
    )["n"][0]
    outcomes = warehouse.value("SELECT count(*) FROM run_decisions") * n_moments
    return StoreStats(
        reused=outcomes - replayed, replayed=replayed, full=full, basis_run=basis_run,
        new_moments=n_new,
    )  # fmt: skip


def _plan_reuse(
    warehouse: Warehouse, cells: list[ScenarioCell], key: str, files_seen_at: object
) -> None:
    """Tables `run_cells`, `run_moments`, `changed_bars`, `stale_outcomes`, `known_moments`,
    `replay_decisions` and views `known_outcomes`, `cache_valid` on the warehouse. Key '' (a
    full recompute) knows no stored outcome.

    A decision is replayed at every moment if it is new, pending or touched by a changed bar;
    moments the store never held are replayed for everyone. Each step reads what changed (new
    keys, pending outcomes, bars of new files), never the whole store against the decisions."""
    warehouse.load_frame(
        "run_cells",
        pl.DataFrame(
            [(c.cell_id, c.entry_delay_min, c.hold_min, c.role) for c in cells],
            schema={"cell_id": pl.Int32, "entry_delay_min": pl.Float64,
                    "hold_min": pl.Float64, "role": pl.String},
            orient="row",
        ),
    )  # fmt: skip
    warehouse.temp_table("run_moments", load_sql("scenarios/run_moments"))
    warehouse.load_frame("run_inputs_key", pl.DataFrame({"inputs_key": [key]}))
    warehouse.temp_table("run_files_seen", load_sql("scenarios/files_seen"))
    warehouse.temp_table(
        "changed_bars", load_sql("scenarios/changed_bars"), {"files_seen_at": files_seen_at}
    )
    warehouse.temp_table("stale_outcomes", load_sql("scenarios/stale_outcomes"))
    warehouse.temp_table("known_moments", load_sql("scenarios/known_moments"))
    warehouse.temp_table("replay_decisions", load_sql("scenarios/replay_decisions"))
    warehouse.temp_view("known_outcomes", load_sql("scenarios/known_outcomes"))
    warehouse.temp_view("cache_valid", load_sql("scenarios/cache_valid"))


def save_outcome_store(
    warehouse: Warehouse, engine: Engine, run_id: int, settings: Settings, stats: StoreStats
) -> None:
    """Bring state.scenario_outcomes to this run's outcomes; call inside the publishing
    transaction so the store always matches the newest published version."""
    engine.to_warehouse("run_replayed")
    params = {"run_id": run_id, "inputs_key": inputs_key(settings)}
    if stats.reused:
        warehouse.script(load_sql("scenarios/prune_outcome_store"), params)
    else:  # nothing reused (a full recompute): every stored outcome is replaced
        warehouse.execute("DELETE FROM state.scenario_outcomes")
    with warehouse.unordered():
        warehouse.script(load_sql("scenarios/save_outcome_store"), params)


class ScenarioOutcomes:
    """Every decision's SPEC §4 outcome at every moment the run needs: the store's valid
    outcomes reused, the others replayed; the store is saved when the version is published."""

    name = "scenario_outcomes"
    reads = ("run_decisions", "scenario_bars", "scenario_horizons")
    produces = (
        "run_cells", "run_moments", "run_outcomes", "run_replayed",
        # planning (warehouse side) and the replay's own tables
        "run_inputs_key", "run_files_seen", "changed_bars", "stale_outcomes", "known_moments",
        "replay_decisions", "known_outcomes", "cache_valid", "scenario_decisions",
        "scenario_moments",
        "replayed_new", "replayed_changed", "replaced_outcomes",
    )  # fmt: skip
    publishes = ()
    learns = None
    queries = (
        "scenarios/run_moments", "scenarios/files_seen", "scenarios/changed_bars",
        "scenarios/stale_outcomes", "scenarios/known_moments",
        "scenarios/replay_decisions", "scenarios/known_outcomes", "scenarios/cache_valid",
        "scenarios/outcomes",
        "scenarios/run_replayed", "scenarios/run_outcomes", "scenarios/replaced_outcomes",
        "scenarios/prune_outcome_store", "scenarios/save_outcome_store",
    )  # fmt: skip

    def compute(self, run: RunContext) -> ComponentResult:
        current = (run.before.entry_delay_min, run.before.hold_min)
        cells = run_cells(run.settings, current)
        stats = compute_run_outcomes(run.warehouse, run.engine, run.settings, cells, full=run.full)

        def save(warehouse: Warehouse, run_id: int) -> None:
            save_outcome_store(warehouse, run.engine, run_id, run.settings, stats)

        facts = {
            "outcomes_reused": stats.reused,
            "outcomes_replayed": stats.replayed,
            "full_recompute": stats.full,
            "moments_new_to_store": stats.new_moments,
        }
        return ComponentResult(saves=(save,), facts=facts, product=stats)
