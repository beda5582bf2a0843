"""Counterfactuals (SPEC §5): what each blocked trade would have earned at delay 0."""

from __future__ import annotations

import duckdb

from analytics.warehouse import load_sql


def compute_counterfactuals(con: duckdb.DuckDBPyConnection) -> str:
    """Temp table `counterfactual_outcomes` (read by the weight grid), from this run's
    outcomes, and the name of the temp table holding the published rows."""
    con.execute(
        "CREATE OR REPLACE TEMP TABLE counterfactual_outcomes AS "
        + load_sql("scenarios/counterfactual_outcomes")
    )
    con.execute(
        "CREATE OR REPLACE TEMP TABLE published_counterfactuals AS "
        + load_sql("scenarios/counterfactuals")
    )
    return "published_counterfactuals"
