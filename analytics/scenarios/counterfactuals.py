"""Counterfactuals (SPEC §5): what each blocked trade would have earned at delay 0."""

from __future__ import annotations

import duckdb

from analytics.config import Settings
from analytics.scenarios.prices import replay
from analytics.warehouse import load_sql


def compute_counterfactuals(con: duckdb.DuckDBPyConnection, settings: Settings) -> str:
    """Temp table `counterfactual_outcomes` (read by the weight grid) and the name of the temp
    table holding the published rows."""
    replay(
        con,
        "counterfactual_outcomes",
        "blocked",
        [(0, 0.0, float(settings.default_hold_min))],
        settings,
    )
    con.execute(
        "CREATE OR REPLACE TEMP TABLE published_counterfactuals AS "
        + load_sql("scenarios/counterfactuals")
    )
    return "published_counterfactuals"
