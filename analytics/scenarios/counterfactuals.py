"""Counterfactuals (SPEC §5): what each blocked trade would have earned at delay 0."""

from __future__ import annotations

from analytics.components import ComponentResult, EngineRows, RunContext
from analytics.versions import Scope
from analytics.warehouse import load_sql


class Counterfactuals:
    """One row per blocked trade, from this run's outcomes at the counterfactual moment; its
    outcomes (`counterfactual_outcomes`) feed the weight grid. An incremental run publishes the
    rows of the trades it replayed: the others are the previous version's, stored once."""

    name = "counterfactuals"
    reads = ("run_outcomes", "run_moments", "run_decisions")
    produces = ("counterfactual_outcomes", "published_counterfactuals")
    publishes = ("counterfactuals",)
    learns = None
    queries = ("scenarios/counterfactual_outcomes", "scenarios/counterfactuals")

    def compute(self, run: RunContext) -> ComponentResult:
        every = run.products["scenario_outcomes"].full
        run.engine.view("counterfactual_outcomes", load_sql("scenarios/counterfactual_outcomes"))
        run.engine.table(
            "published_counterfactuals", load_sql("scenarios/counterfactuals"), {"every": every}
        )
        scope = Scope.TABLE if every else Scope.LISTED
        rows = EngineRows(run.engine, "published_counterfactuals", scope)
        return ComponentResult(tables={"counterfactuals": rows})
