"""Sizing grid (SPEC §9): size multipliers per entry_score bucket, and the update."""

from __future__ import annotations

import itertools
from dataclasses import dataclass

import numpy as np
import polars as pl

from analytics.config import Settings
from analytics.engines import Engine
from analytics.learning.state import state_row
from analytics.learning.update import (
    Candidate,
    Guard,
    closeness,
    gradual_step,
    guarded_choices,
)
from analytics.metrics import cells_with_metrics, objective_value
from analytics.warehouse import load_sql

CURRENT_CELL = 0  # every bucket at its multiplier from before the run


@dataclass(frozen=True)
class SizingGrid:
    cells: pl.DataFrame  # cell_id, bucket, score_lo, score_hi, multiplier, §6 metrics
    edges: list[float]
    multipliers_before: list[float]  # by bucket
    population: np.ndarray  # decision_idx of executed trades
    outcomes: str = "sizing_cell_outcomes"


def bucket_edges(engine: Engine, settings: Settings) -> list[float] | None:
    """Configured inner edges, else the entry_score quartiles; None without executed trades."""
    if settings.score_buckets:
        return list(settings.score_buckets)
    edges = engine.frame(load_sql("learning/entry_score_quartiles"))["edges"][0]
    return list(edges) if edges is not None else None


def compute_sizing_grid(
    engine: Engine, settings: Settings, multipliers: dict[int, float]
) -> SizingGrid | None:
    edges = bucket_edges(engine, settings)
    if edges is None:
        return None
    before = [multipliers.get(b, 1.0) for b in range(len(edges) + 1)]
    bounds = [None, *edges, None]
    cells = [(CURRENT_CELL, -1, None, None, None)] + [
        (i, b, bounds[b], bounds[b + 1], float(m))
        for i, (b, m) in enumerate(
            itertools.product(range(len(edges) + 1), settings.size_multipliers), start=1
        )
    ]
    engine.values(
        "sizing_cells",
        "cell_id INTEGER, bucket INTEGER, score_lo DOUBLE, score_hi DOUBLE, multiplier DOUBLE",
        cells,
    )
    engine.create(
        "sizing_cell_outcomes",
        load_sql("learning/sizing_cell_outcomes"),
        {"edges": edges, "multipliers_before": before},
    )
    population = engine.con.execute(
        "SELECT decision_idx FROM run_decisions WHERE kind = 'executed'"
    ).fetchnumpy()["decision_idx"]
    return SizingGrid(
        cells=cells_with_metrics(engine, "sizing_cells", "sizing_cell_outcomes"),
        edges=edges,
        multipliers_before=before,
        population=population,
    )


def learn_multipliers(engine: Engine, grid: SizingGrid, settings: Settings) -> list[dict]:
    """One learned_state row per bucket: M_b ← M_b + learning_rate·(m* − M_b)."""
    rows = grid.cells.to_dicts()
    current_row = next(r for r in rows if r["cell_id"] == CURRENT_CELL)
    guard = Guard(engine, grid.outcomes, grid.population, settings)
    per_bucket = []
    for bucket, before in enumerate(grid.multipliers_before):
        current = Candidate(
            cell_id=CURRENT_CELL,
            value=before,
            n=current_row["n"],
            objective=objective_value(current_row, settings.objective),
            closeness=closeness(0.0),
        )
        cells = [r for r in rows if r["bucket"] == bucket]
        candidates = [
            Candidate(
                r["cell_id"],
                r["multiplier"],
                r["n"],
                objective_value(r, settings.objective),
                closeness(abs(r["multiplier"] - before)),
            )
            for r in cells
        ]
        per_bucket.append((candidates, current))
    choices = guarded_choices(per_bucket, guard)
    learned = []
    for bucket, before in enumerate(grid.multipliers_before):
        choice = choices[bucket]
        cells = [r for r in rows if r["bucket"] == bucket]
        best = choice.best.value if choice.best else None
        after = gradual_step(before, best, settings.learning_rate) if choice.applied else before
        learned.append(
            state_row(
                "multiplier",
                str(bucket),
                before,
                best,
                after,
                choice,
                score_lo=cells[0]["score_lo"],
                score_hi=cells[0]["score_hi"],
            )
        )
    return learned
