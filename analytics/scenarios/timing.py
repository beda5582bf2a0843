"""The timing grid (SPEC §7): every decision replayed at each entry delay × hold."""

from __future__ import annotations

from dataclasses import dataclass

import polars as pl

from analytics.engines import Engine
from analytics.metrics import cells_with_metrics
from analytics.scenarios.store import CURRENT_TIMING_CELL
from analytics.warehouse import load_sql


@dataclass(frozen=True)
class TimingGrid:
    cells: pl.DataFrame  # cell_id, entry_delay_min, hold_min, population, in_grid, §6 metrics
    current_all_cell: int  # metrics cell of the current setting, population all
    outcomes: str = "timing_cell_outcomes"  # temp table feeding metrics and bootstrap


def compute_timing_grid(engine: Engine) -> TimingGrid:
    """§6 metrics of every cell and population, from this run's outcomes (`run_outcomes`)."""
    engine.view("timing_outcomes", load_sql("scenarios/timing_outcomes"))
    engine.view("timing_cell_outcomes", load_sql("scenarios/timing_cell_outcomes"))
    engine.table("timing_grid_cells", load_sql("scenarios/timing_grid_cells"))
    table = cells_with_metrics(engine, "timing_grid_cells", "timing_cell_outcomes")
    return TimingGrid(cells=table, current_all_cell=CURRENT_TIMING_CELL * 3 + 2)
