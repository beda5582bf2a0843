"""The timing recommendation (SPEC §7): the best cell of population `all`, moved gradually."""

from __future__ import annotations

import polars as pl

from analytics.components import ComponentResult, FrameRows, RunContext
from analytics.config import Settings
from analytics.engines import Engine
from analytics.learning.state import learned_frame, state_row
from analytics.learning.update import Candidate, Guard, gradual_step, guarded_choice
from analytics.metrics import METRIC_COLUMNS, objective_value
from analytics.scenarios.timing import TimingGrid, compute_timing_grid


def learn_timing(
    engine: Engine,
    grid: TimingGrid,
    settings: Settings,
    before: tuple[float, float],
) -> list[dict]:
    """Rows for entry_delay_min and hold_min; ties go to the smallest |Δdelay| + |Δhold|, then
    the smaller delay, then the shorter hold."""
    delay0, hold0 = before
    rows = grid.cells.filter(population="all").to_dicts()

    def candidate(r: dict, value: tuple[float, float]) -> Candidate:
        d, h = value
        return Candidate(
            cell_id=r["cell_id"],
            value=value,
            n=r["n"],
            objective=objective_value(r, settings.objective),
            closeness=(round(abs(d - delay0) + abs(h - hold0), 12), d, h),
        )

    current_row = next(r for r in rows if r["cell_id"] == grid.current_all_cell)
    current = candidate(current_row, (delay0, hold0))
    candidates = [candidate(r, (r["entry_delay_min"], r["hold_min"])) for r in rows if r["in_grid"]]
    population = engine.frame("SELECT decision_key FROM run_decisions")["decision_key"]
    guard = Guard(engine, grid.outcomes, population.to_numpy(), settings)
    choice = guarded_choice(candidates, current, guard)
    best = choice.best.value if choice.best else (None, None)
    learned = []
    for name, start, target in (("entry_delay_min", delay0, best[0]), ("hold_min", hold0, best[1])):
        after = gradual_step(start, target, settings.learning_rate) if choice.applied else start
        learned.append(state_row("timing", name, start, target, after, choice))
    return learned


class TimingGridComponent:
    """SPEC §7: the timing grid of every population, and the timing recommendation."""

    name = "timing_grid"
    reads = ("run_outcomes", "run_moments", "run_cells", "run_decisions")
    produces = ("timing_outcomes", "timing_cell_outcomes", "timing_grid_cells")
    publishes = ("timing_grid",)
    learns = "timing"
    queries = (
        "scenarios/timing_outcomes", "scenarios/timing_cell_outcomes",
        "scenarios/timing_grid_cells", "learning/cell_metrics",
    )  # fmt: skip

    def compute(self, run: RunContext) -> ComponentResult:
        grid = compute_timing_grid(run.engine)
        published = grid.cells.filter(pl.col("in_grid")).select(
            "entry_delay_min", "hold_min", "population", *METRIC_COLUMNS
        )
        current = (run.before.entry_delay_min, run.before.hold_min)
        learned = learn_timing(run.engine, grid, run.settings, current)
        return ComponentResult(
            tables={"timing_grid": FrameRows(published)}, learned=learned_frame(learned)
        )
