"""Inputs every scenario reads, prepared once per run as temp tables of the run's connection."""

from __future__ import annotations

from analytics.config import Settings
from analytics.engines import Engine
from analytics.warehouse import load_sql, unordered


def prepare_run_inputs(engine: Engine, settings: Settings) -> None:
    """run_decisions (with notional, weight, realized outcome), scenario_bars, horizons.

    run_decisions is made in the warehouse, which owns the decisions and their keys, and then
    shared with the engine; the bars are read where the engine finds them."""
    con = engine.con
    con.execute(load_sql("scenarios/macros"))
    con.execute(
        f"CREATE OR REPLACE TEMP TABLE run_decisions AS {load_sql('scenarios/decisions')}",
        {
            "default_notional": settings.default_notional,
            "counterfactual_weight": settings.counterfactual_weight,
        },
    )
    engine.share_inputs(settings)
    engine.create("scenario_bars", load_sql("scenarios/bars"), view=True)
    engine.create("scenario_horizons", load_sql("scenarios/symbol_horizons"))


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
    engine: Engine,
    target: str,
    decisions: str,
    cells: list[tuple[int, float, float]],
    settings: Settings,
) -> None:
    """Temp table `target`: SPEC §4 outcome of each decision of a set under each
    (cell_id, entry_delay_min, hold_min), all lookups in one set-based query."""
    engine.create("scenario_decisions", DECISION_SETS[decisions], view=True)
    engine.values(
        "scenario_cells", "cell_id INTEGER, entry_delay_min DOUBLE, hold_min DOUBLE", cells
    )
    with unordered(engine.con):  # DuckDB's setting; another engine ignores it
        engine.create(
            target,
            load_sql("scenarios/outcomes"),
            {"max_staleness_min": settings.max_staleness_min, "cost_ret": settings.cost_ret},
        )
