"""Inputs every scenario reads, prepared once per run as temp tables of the run's connection."""

from __future__ import annotations

import duckdb

from analytics.config import Settings
from analytics.warehouse import load_sql, temp_table, unordered


def prepare_run_inputs(con: duckdb.DuckDBPyConnection, settings: Settings) -> None:
    """run_decisions (with notional, weight, realized outcome), scenario_bars, horizons."""
    con.execute(load_sql("scenarios/macros"))
    con.execute(
        f"CREATE OR REPLACE TEMP TABLE run_decisions AS {load_sql('scenarios/decisions')}",
        {
            "default_notional": settings.default_notional,
            "counterfactual_weight": settings.counterfactual_weight,
        },
    )
    con.execute(f"CREATE OR REPLACE TEMP VIEW scenario_bars AS {load_sql('scenarios/bars')}")
    con.execute(
        "CREATE OR REPLACE TEMP TABLE scenario_horizons AS " + load_sql("scenarios/symbol_horizons")
    )


# Only what a replay reads: narrow rows keep the ASOF sort and the joins light.
_REPLAY_COLUMNS = (
    "SELECT decision_idx, kind, symbol, ts, direction, notional, weight FROM run_decisions"
)
# The outcome store's two groups (analytics/scenarios/store.py).
DECISION_SETS = {
    "replay": f"{_REPLAY_COLUMNS} SEMI JOIN replay_decisions USING (decision_idx)",
    "reuse": f"{_REPLAY_COLUMNS} ANTI JOIN replay_decisions USING (decision_idx)",
}


def replay(
    con: duckdb.DuckDBPyConnection,
    target: str,
    decisions: str,
    cells: list[tuple[int, float, float]],
    settings: Settings,
) -> None:
    """Temp table `target`: SPEC §4 outcome of each decision of a set under each
    (cell_id, entry_delay_min, hold_min), all lookups in one set-based query."""
    con.execute(f"CREATE OR REPLACE TEMP VIEW scenario_decisions AS {DECISION_SETS[decisions]}")
    temp_table(
        con, "scenario_cells", "cell_id INTEGER, entry_delay_min DOUBLE, hold_min DOUBLE", cells
    )
    with unordered(con):
        con.execute(
            f"CREATE OR REPLACE TEMP TABLE {target} AS {load_sql('scenarios/outcomes')}",
            {"max_staleness_min": settings.max_staleness_min, "cost_ret": settings.cost_ret},
        )
