"""Counterfactuals (SPEC §5): what each blocked trade would have earned at delay 0."""

from __future__ import annotations

import duckdb
import polars as pl

from analytics.config import Settings
from analytics.scenarios.prices import replay
from analytics.warehouse import load_sql


def compute_counterfactuals(con: duckdb.DuckDBPyConnection, settings: Settings) -> pl.DataFrame:
    """Leaves temp table counterfactual_outcomes (read by the weight grid) and returns the
    published rows."""
    replay(
        con,
        "counterfactual_outcomes",
        "blocked",
        [(0, 0.0, float(settings.default_hold_min))],
        settings,
    )
    return con.sql(load_sql("scenarios/counterfactuals")).pl()
