"""Counterfactuals (SPEC §5): what each blocked trade would have earned at delay 0."""

from __future__ import annotations

from analytics.engines import Engine
from analytics.warehouse import load_sql


def compute_counterfactuals(engine: Engine) -> str:
    """Temp table `counterfactual_outcomes` (read by the weight grid), from this run's
    outcomes, and the name of the temp table holding the published rows."""
    engine.create("counterfactual_outcomes", load_sql("scenarios/counterfactual_outcomes"))
    engine.create("published_counterfactuals", load_sql("scenarios/counterfactuals"))
    return "published_counterfactuals"
