"""Sizing grid (SPEC §9): size multipliers per entry_score bucket, and their gradual update.

Every cell is a book of all executed trades, those of one bucket scaled by the cell's
multiplier and the others by theirs from before the run. A book is a sum of the buckets'
statistics scaled, so the grid reads one statistic per bucket, exit day and status (summed
again each run: with quartile edges, new trades move the edges).
"""

from __future__ import annotations

import json
from datetime import datetime

import polars as pl

from analytics.cell_stats import METRIC_COLUMNS, merge, metrics, objective_value, scaled
from analytics.components import ComponentResult, FrameRows, RunContext
from analytics.engines import Engine
from analytics.learning.evidence import Evidence, digest, review, save_evaluation
from analytics.learning.policies import Cell
from analytics.learning.state import learned_frame, state_row
from analytics.learning.update import decide
from analytics.times import END_OF_TIME
from analytics.warehouse import load_sql

KIND = "multiplier"
CURRENT = "current"  # the book with every bucket at its multiplier from before the run


def bucket_edges(engine: Engine, settings) -> list[float] | None:
    """Configured inner edges, else the entry_score quartiles; None without executed trades."""
    if settings.score_buckets:
        return list(settings.score_buckets)
    edges = engine.frame(load_sql("learning/entry_score_quartiles"))["edges"][0]
    return list(edges) if edges is not None else None


def bucket_stats(engine: Engine, edges: list[float], known_by: datetime) -> pl.DataFrame:
    """Each bucket's statistics (cell: its index) on the executed trades known at `known_by`."""
    buckets = engine.frame(load_sql("learning/sizing_cell_days"),
                           {"edges": edges, "known_by": known_by})  # fmt: skip
    return merge(buckets.with_columns(pl.col("cell_id").cast(pl.String).alias("cell")))


def book_key(bucket: int, multiplier: float) -> str:
    return json.dumps([bucket, float(multiplier)])


def books(buckets: pl.DataFrame, before: list[float], multipliers) -> pl.DataFrame:
    """Every cell's book (bucket b at m, the others as before) and the current one, in one
    pass: each bucket's statistics meet the factor every book gives that bucket."""
    factors = [(CURRENT, b, m) for b, m in enumerate(before)]
    for b in range(len(before)):
        for m in multipliers:
            factors += [(book_key(b, m), other, float(m) if other == b else before[other])
                        for other in range(len(before))]  # fmt: skip
    table = pl.DataFrame(
        factors, orient="row", schema={"book": pl.String, "bucket": pl.Int32, "factor": pl.Float64}
    )
    per_book = buckets.with_columns(pl.col("cell").cast(pl.Int32).alias("bucket")).join(
        table, on="bucket"
    )
    per_book = scaled(per_book, pl.col("factor")).with_columns(pl.col("book").alias("cell"))
    return merge(per_book, exact=False)


def learn_multipliers(
    run: RunContext, buckets: pl.DataFrame, edges: list[float]
) -> tuple[pl.DataFrame, list[dict], Evidence | None]:
    """The published grid, one learned_state row per bucket (M_b ← M_b + rate·(m* − M_b)), and
    the evidence to record when the buckets were evaluated."""
    settings = run.settings
    before = [run.before.multipliers.get(b, 1.0) for b in range(len(edges) + 1)]
    stats = books(buckets, before, settings.size_multipliers)
    bounds = [None, *edges, None]
    cells = [(b, bounds[b], bounds[b + 1], float(m))
             for b in range(len(before)) for m in settings.size_multipliers]  # fmt: skip
    table = metrics(stats, [CURRENT, *(book_key(b, m) for b, _, _, m in cells)], run.recency)
    by_key = {r["cell"]: r for r in table.iter_rows(named=True)}
    evidence = Evidence(KIND, digest(buckets, extra=edges))
    verdict = review(evidence, run)
    current_row = by_key[CURRENT]
    learned = []
    for b, lo, hi, _ in cells[:: len(settings.size_multipliers)]:
        current = Cell(CURRENT, before[b], current_row["n"],
                       objective_value(current_row, settings.objective), (0.0,))  # fmt: skip
        candidates = [
            Cell(book_key(b, m), m, by_key[book_key(b, m)]["n"],
                 objective_value(by_key[book_key(b, m)], settings.objective),
                 (abs(m - before[b]),))
            for bb, _, _, m in cells if bb == b
        ]  # fmt: skip
        choice = decide(candidates, current, stats, settings, run.recency, verdict)
        best = choice.best.value if choice.best else None
        after = choice.after(before[b], lambda c: c.value)
        learned.append(state_row(KIND, str(b), before[b], best, after, choice, lo, hi))
    keys = pl.DataFrame(cells, schema=["bucket", "score_lo", "score_hi", "multiplier"],
                        orient="row")  # fmt: skip
    grid_rows = table.filter(pl.col("cell") != CURRENT).drop("cell")
    published = pl.concat([keys, grid_rows], how="horizontal").select(
        pl.col("bucket").cast(pl.Int32), "score_lo", "score_hi", "multiplier", *METRIC_COLUMNS
    )
    return published, learned, (evidence if verdict.skip is None else None)


class SizingGridComponent:
    """SPEC §9: size multipliers per entry_score bucket, and their gradual update."""

    name = "sizing_grid"
    reads = ("run_decisions",)
    produces = ()
    publishes = ("sizing_grid",)
    learns = KIND
    queries = ("learning/entry_score_quartiles", "learning/sizing_cell_days")

    def compute(self, run: RunContext) -> ComponentResult:
        edges = bucket_edges(run.engine, run.settings)
        if edges is None:  # no executed trade yet: no buckets to learn, nothing to publish
            return ComponentResult()
        buckets = bucket_stats(run.engine, edges, END_OF_TIME)
        published, learned, evaluated = learn_multipliers(run, buckets, edges)

        def save(warehouse, run_id: int) -> None:
            if evaluated is not None:
                save_evaluation(warehouse, evaluated, run_id, run.as_of)

        return ComponentResult(
            tables={"sizing_grid": FrameRows(published)},
            learned=learned_frame(learned),
            saves=(save,),
        )
