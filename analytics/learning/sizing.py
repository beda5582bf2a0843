"""Sizing grid (SPEC §9): size multipliers per entry_score bucket, and the update."""

from __future__ import annotations

import itertools
from dataclasses import dataclass

import numpy as np
import polars as pl

from analytics.components import ComponentResult, FrameRows, RunContext
from analytics.config import Settings
from analytics.engines import Engine
from analytics.learning.state import learned_frame, state_row
from analytics.learning.update import (
    Candidate,
    Guard,
    closeness,
    gradual_step,
    guarded_choices,
)
from analytics.metrics import METRIC_COLUMNS, cells_with_metrics, objective_value
from analytics.warehouse import load_sql

CURRENT_CELL = 0  # every bucket at its multiplier from before the run


@dataclass(frozen=True)
class SizingGrid:
    cells: pl.DataFrame  # cell_id, bucket, score_lo, score_hi, multiplier, §6 metrics
    multipliers_before: list[float]  # by bucket
    population: np.ndarray  # decision_key of executed trades
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
    engine.load(
        "sizing_cells",
        pl.DataFrame(
            cells,
            schema={"cell_id": pl.Int32, "bucket": pl.Int32, "score_lo": pl.Float64,
                    "score_hi": pl.Float64, "multiplier": pl.Float64},
            orient="row",
        ),
    )  # fmt: skip
    engine.table(
        "sizing_cell_outcomes",
        load_sql("learning/sizing_cell_outcomes"),
        {"edges": edges, "multipliers_before": before},
    )
    population = engine.frame("SELECT decision_key FROM run_decisions WHERE kind = 'executed'")[
        "decision_key"
    ].to_numpy()
    return SizingGrid(
        cells=cells_with_metrics(engine, "sizing_cells", "sizing_cell_outcomes"),
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


class SizingGridComponent:
    """SPEC §9: size multipliers per entry_score bucket, and their gradual update."""

    name = "sizing_grid"
    reads = ("run_decisions",)
    produces = ("sizing_cells", "sizing_cell_outcomes")
    publishes = ("sizing_grid",)
    learns = "multiplier"
    queries = (
        "learning/entry_score_quartiles", "learning/sizing_cell_outcomes", "learning/cell_metrics",
    )  # fmt: skip

    def compute(self, run: RunContext) -> ComponentResult:
        grid = compute_sizing_grid(run.engine, run.settings, run.before.multipliers)
        if grid is None:  # no executed trade yet: no buckets to learn
            return ComponentResult(tables={"sizing_grid": FrameRows(pl.DataFrame())})
        published = grid.cells.filter(pl.col("bucket") >= 0).select(
            "bucket", "score_lo", "score_hi", "multiplier", *METRIC_COLUMNS
        )
        learned = learn_multipliers(run.engine, grid, run.settings)
        return ComponentResult(
            tables={"sizing_grid": FrameRows(published)}, learned=learned_frame(learned)
        )
