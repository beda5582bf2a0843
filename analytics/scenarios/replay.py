"""Replaying decisions against price history: SPEC §3's `price_at` for every decision at every
moment (entry delay, hold), as one set-based ASOF query (sql/scenarios/outcomes.sql)."""

from __future__ import annotations

import polars as pl

from analytics.config import Settings
from analytics.engines import Engine
from analytics.warehouse import Warehouse, load_sql

# Warehouse relations every replay reads, shared with the engine once per run.
RUN_INPUTS = ("run_decisions", "raw.prices")
# Only what a replay reads: narrow rows keep the ASOF sort and the joins light.
_REPLAY_COLUMNS = (
    "SELECT decision_key, kind, symbol, ts, direction, notional, weight FROM run_decisions"
)
# The outcome store's groups (analytics/scenarios/store.py): decisions to replay at every
# moment, the others (replayed only at moments the store never held).
DECISION_SETS = {
    "replay": f"{_REPLAY_COLUMNS} SEMI JOIN replay_decisions USING (decision_key)",
    "reuse": f"{_REPLAY_COLUMNS} ANTI JOIN replay_decisions USING (decision_key)",
    "all": _REPLAY_COLUMNS,
    # the walk-forward's decisions to replay at a new setting (analytics/learning/evaluation.py)
    "evaluation": f"{_REPLAY_COLUMNS} SEMI JOIN eval_replay_keys USING (decision_key)",
}
_MOMENT_COLUMNS = "SELECT moment_id, entry_delay_min, hold_min FROM run_moments"
MOMENT_SETS = {
    "every": _MOMENT_COLUMNS,
    "new": f"{_MOMENT_COLUMNS} ANTI JOIN known_moments USING (moment_id)",
    # a walk-forward's setting off the grid (analytics/learning/evaluation.py)
    "evaluation": "SELECT moment_id, entry_delay_min, hold_min FROM eval_new_moments",
}


def prepare_run_inputs(warehouse: Warehouse, engine: Engine, settings: Settings) -> None:
    """run_decisions (with notional, weight, realized outcome) in the warehouse, which owns the
    decisions and their keys; shared with the engine with the bars, which it reads as
    `scenario_bars` and summarises as `scenario_horizons`."""
    warehouse.load_frame(
        "run_decision_settings",
        pl.DataFrame(
            {
                "default_notional": [float(settings.default_notional)],
                "counterfactual_weight": [float(settings.counterfactual_weight)],
            }
        ),
    )
    warehouse.temp_view("run_decisions", load_sql("scenarios/decisions"))
    for name in RUN_INPUTS:
        engine.share(name)
    engine.view("scenario_bars", load_sql("scenarios/bars"))
    engine.table("scenario_horizons", load_sql("scenarios/symbol_horizons"))


def replay(engine: Engine, target: str, decisions: str, moments: str, settings: Settings) -> None:
    """Table `target`: the SPEC §4 outcome of each decision of a set (DECISION_SETS) at each
    moment of a set (MOMENT_SETS)."""
    engine.view("scenario_decisions", DECISION_SETS[decisions])
    engine.view("scenario_moments", MOMENT_SETS[moments])
    engine.table(
        target,
        load_sql("scenarios/outcomes"),
        {"max_staleness_min": settings.max_staleness_min, "cost_ret": settings.cost_ret},
        ordered=False,
    )
