"""SPEC §6 metrics of grid cells, and the objective that ranks them."""

from __future__ import annotations

import polars as pl

from analytics.engines import Engine
from analytics.warehouse import identifier, load_sql

METRIC_COLUMNS = (
    "n", "n_unresolved", "total_pnl", "weighted_pnl", "mean_ret", "win_rate", "sharpe",
    "max_drawdown",
)  # fmt: skip
DRAWDOWN_FLOOR = 1e-9
# stdev = 0 up to rounding: a daily stdev within this share of the largest |daily| is float noise
# (0.1, 0.1, 0.1 leave ~1e-17) and gives no Sharpe; sql/metrics/cell_metrics.sql uses the same.
FLAT_STDEV_REL = 1e-12


def cell_metrics(engine: Engine, cells: str, outcomes: str) -> pl.DataFrame:
    """Metrics per cell_id of table `cells` over the rows of table `outcomes`.

    `outcomes` has (cell_id, resolved, pnl, ret, weight, exit_t); every cell gets a row.
    """
    frame = engine.frame(load_sql("learning/cell_metrics"), {"cells": cells, "outcomes": outcomes})
    return frame.with_columns(
        pl.col("n", "n_unresolved").cast(pl.Int64),
        pl.col("total_pnl", "weighted_pnl", "mean_ret", "win_rate", "sharpe", "max_drawdown").cast(
            pl.Float64
        ),
    )


def cells_with_metrics(engine: Engine, cells: str, outcomes: str) -> pl.DataFrame:
    """Every row of table `cells` with the §6 metrics of its outcomes, by cell_id."""
    keys = engine.frame(f"SELECT * FROM {identifier(cells)}")
    return keys.join(cell_metrics(engine, cells, outcomes), on="cell_id").sort("cell_id")


def objective_value(metrics: dict, objective: str) -> float | None:
    """The number that ranks cells: sharpe, weighted_pnl or pnl_over_drawdown (SPEC §6)."""
    if objective == "pnl_over_drawdown":
        return metrics["weighted_pnl"] / max(metrics["max_drawdown"], DRAWDOWN_FLOOR)
    return metrics[objective]
