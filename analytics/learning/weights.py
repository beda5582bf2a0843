"""Weight variation grid (SPEC §8): each component's weight at -50%…+50%, and the update."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import polars as pl

from analytics.components import ComponentResult, FrameRows, RunContext
from analytics.config import Settings
from analytics.engines import Engine
from analytics.learning.state import learned_frame, state_row
from analytics.learning.update import Candidate, Guard, closeness, guarded_choices
from analytics.metrics import METRIC_COLUMNS, cells_with_metrics, objective_value
from analytics.warehouse import load_sql

CURRENT_CELL = 0


@dataclass(frozen=True)
class WeightGrid:
    cells: pl.DataFrame  # cell_id, component, variation, weight, §6 metrics (cell 0 = current)
    components: list[str]
    weights_before: dict[str, float]
    population: np.ndarray  # decision_key of every decision a variation could take
    outcomes: str = "weight_cell_outcomes"


def signals_seen(engine: Engine) -> list[str]:
    """The sorted union of signal component keys over all loaded decisions (SPEC §8)."""
    return engine.frame(load_sql("learning/signals_seen"))["signal"].to_list()


def compute_weight_grid(
    engine: Engine, settings: Settings, weights_before: dict[str, float]
) -> WeightGrid:
    components = signals_seen(engine)
    base = [weights_before[c] for c in components]
    cells = [(CURRENT_CELL, None, 0.0, None, base)]
    for i, component in enumerate(components):
        for v in settings.weight_variations:
            varied = list(base)
            varied[i] = base[i] * (1 + v)
            cells.append((len(cells), component, float(v), varied[i], varied))
    engine.load(
        "weight_cells",
        pl.DataFrame(
            cells,
            schema={"cell_id": pl.Int32, "component": pl.String, "variation": pl.Float64,
                    "weight": pl.Float64, "weights": pl.List(pl.Float64)},
            orient="row",
        ),
    )  # fmt: skip
    engine.table(
        "weight_cell_outcomes",
        load_sql("learning/weight_cell_outcomes"),
        {
            "components": components,
            "score_block_reasons": list(settings.score_block_reasons),
            "score_threshold": settings.score_threshold,
        },
    )
    population = engine.frame(
        "SELECT decision_key FROM run_decisions "
        "WHERE kind = 'executed' OR list_contains($reasons, reason)",
        {"reasons": list(settings.score_block_reasons)},
    )["decision_key"].to_numpy()
    return WeightGrid(
        cells=cells_with_metrics(engine, "weight_cells", "weight_cell_outcomes").drop("weights"),
        components=components,
        weights_before=weights_before,
        population=population,
    )


def learn_weights(engine: Engine, grid: WeightGrid, settings: Settings) -> list[dict]:
    """One learned_state row per component: W_c ← W_c·(1 + learning_rate·v*)."""
    rows_by_cell = {r["cell_id"]: r for r in grid.cells.to_dicts()}
    current = _candidate(rows_by_cell[CURRENT_CELL], settings)
    guard = Guard(engine, grid.outcomes, grid.population, settings)
    grids = [
        ([_candidate(r, settings) for r in rows_by_cell.values() if r["component"] == c], current)
        for c in grid.components
    ]
    learned = []
    for component, choice in zip(grid.components, guarded_choices(grids, guard), strict=True):
        before = grid.weights_before[component]
        best_v = choice.best.value if choice.best else None
        after = before * (1 + settings.learning_rate * best_v) if choice.applied else before
        learned.append(state_row("weight", component, before, best_v, after, choice))
    return learned


def _candidate(row: dict, settings: Settings) -> Candidate:
    return Candidate(
        cell_id=row["cell_id"],
        value=row["variation"],
        n=row["n"],
        objective=objective_value(row, settings.objective),
        closeness=closeness(abs(row["variation"])),
    )


class WeightGridComponent:
    """SPEC §8: each signal's weight varied, which decisions each variation takes, and the
    gradual update of every weight."""

    name = "weight_grid"
    reads = ("run_decisions", "counterfactual_outcomes")
    produces = ("weight_cells", "weight_cell_outcomes")
    publishes = ("weight_grid",)
    learns = "weight"
    queries = ("learning/signals_seen", "learning/weight_cell_outcomes", "learning/cell_metrics")

    def compute(self, run: RunContext) -> ComponentResult:
        grid = compute_weight_grid(run.engine, run.settings, run.before.weights)
        published = grid.cells.filter(pl.col("component").is_not_null()).select(
            "component", "variation", "weight", *METRIC_COLUMNS
        )
        learned = learn_weights(run.engine, grid, run.settings)
        return ComponentResult(
            tables={"weight_grid": FrameRows(published)}, learned=learned_frame(learned)
        )
