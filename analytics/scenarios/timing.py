"""The timing grid's statistics (SPEC §7): every decision's outcome at each entry delay × hold
and at the current setting, per UTC exit day and decision kind. Kept between runs and updated
by the outcomes a run replays; rebuilt from all outcomes on a full recompute."""

from __future__ import annotations

import json
from dataclasses import dataclass

import polars as pl

from analytics import cell_stats
from analytics.cell_stats import merge
from analytics.components import RunContext
from analytics.warehouse import load_sql

GRID = "timing"
KINDS = ("executed", "blocked")
POPULATIONS = (*KINDS, "all")


def timing_key(delay: float, hold: float, population: str) -> str:
    return json.dumps([float(delay), float(hold), population])


@dataclass(frozen=True)
class TimingStats:
    stats: pl.DataFrame  # cells timing_key(delay, hold, kind) of every moment needed
    rebuilt: str | None  # why stored statistics were rebuilt instead of updated, if they were


def timing_stats(run: RunContext) -> TimingStats:
    """This run's timing statistics: the stored ones updated by what the run replayed, or
    (full recompute, or stored ones that do not match the store) all outcomes summed again."""
    outcomes = run.products["scenario_outcomes"]
    moments = run.warehouse.frame(
        "SELECT moment_id, entry_delay_min, hold_min FROM run_moments "
        "WHERE in_timing_grid OR is_current_timing"
    )
    keys = {timing_key(d, h, k) for _, d, h in moments.iter_rows() for k in KINDS}
    stored = cell_stats.stored(run.warehouse, GRID)
    why = cell_stats.reusable(stored, outcomes.basis_run, {}, outcomes.full)
    kept = stored.stats.filter(pl.col("cell").is_in(list(keys)))
    if why is None:
        why = _mismatch(kept, run)
    if why is None:
        changed = run.engine.frame(load_sql("scenarios/timing_cell_days_changed"))
        stats = merge(kept, _keyed(changed, moments))
    else:
        stats = merge(_keyed(run.engine.frame(load_sql("scenarios/timing_cell_days")), moments))
    reported = None if why in ("full", "none stored yet") else why
    return TimingStats(stats, reported)


def _keyed(stats: pl.DataFrame, moments: pl.DataFrame) -> pl.DataFrame:
    """cell_id (moment_id · 2 + blocked) as the cell's timing_key."""
    names = {
        m * 2 + i: timing_key(d, h, kind)
        for m, d, h in moments.iter_rows()
        for i, kind in enumerate(KINDS)
    }
    return stats.with_columns(
        pl.col("cell_id").replace_strict(names, return_dtype=pl.String).alias("cell")
    ).drop("cell_id")


def _mismatch(kept: pl.DataFrame, run: RunContext) -> str | None:
    """Why the kept statistics are not those of the outcome store at this run's known timing
    moments (None: they are): the count of outcomes, or the exact sum of their P&L."""
    count, pnl = run.warehouse.one(load_sql("scenarios/stored_timing_totals"))
    if int(kept["n"].sum() or 0) != count:
        return "did not match the outcome store's count: rebuilt from the store"
    if (kept["sum_pnl"].sum() or 0) != (pnl or 0):
        return "did not match the outcome store's P&L: rebuilt from the store"
    return None
