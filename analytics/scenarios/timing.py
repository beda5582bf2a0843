"""The timing grid (SPEC §7): every decision replayed at each entry delay × hold."""

from __future__ import annotations

import itertools
from dataclasses import dataclass

import duckdb
import polars as pl

from analytics.config import Settings
from analytics.metrics import cell_metrics
from analytics.scenarios.prices import replay
from analytics.warehouse import load_sql

CURRENT_CELL = 0  # the current (possibly fractional) setting: for the significance test only
POPULATIONS = ("executed", "blocked", "all")


@dataclass(frozen=True)
class TimingGrid:
    cells: pl.DataFrame  # cell_id, entry_delay_min, hold_min, population, in_grid, §6 metrics
    current_all_cell: int  # metrics cell of the current setting, population all
    outcomes: str = "timing_cell_outcomes"  # temp table feeding metrics and bootstrap


def compute_timing_grid(
    con: duckdb.DuckDBPyConnection, settings: Settings, current: tuple[float, float]
) -> TimingGrid:
    grid = itertools.product(settings.entry_delays_min, settings.holds_min)
    cells = [(CURRENT_CELL, *current)] + [
        (i, float(d), float(h)) for i, (d, h) in enumerate(grid, start=1)
    ]
    replay(con, "timing_outcomes", "all", cells, settings)
    con.execute(
        "CREATE OR REPLACE TEMP TABLE timing_cell_outcomes AS "
        + load_sql("scenarios/timing_cell_outcomes")
    )
    con.execute(
        "CREATE OR REPLACE TEMP TABLE timing_grid_cells AS "
        + load_sql("scenarios/timing_grid_cells")
    )
    metrics = cell_metrics(con, "timing_grid_cells", "timing_cell_outcomes")
    keys = con.sql("SELECT * FROM timing_grid_cells").pl()
    table = keys.join(metrics, on="cell_id").sort("cell_id")
    return TimingGrid(cells=table, current_all_cell=CURRENT_CELL * 3 + 2)
