"""Weight variation grid (SPEC §8): each signal's weight varied, which decisions each variation
takes, and the gradual update of every weight.

The grid's statistics are kept between runs (its cells depend on the weights): a run re-scores
the decisions it replayed and, when a step moved the weights, the decisions whose take flips.
When the signals, the variations or the threshold change, every decision is scored again.
"""

from __future__ import annotations

import json

import polars as pl

from analytics import cell_stats
from analytics.cell_stats import METRIC_COLUMNS, merge, metrics, objective_value
from analytics.components import ComponentResult, FrameRows, RunContext
from analytics.engines import Engine
from analytics.learning.evidence import Evidence, digest, review, save_evaluation
from analytics.learning.policies import Cell
from analytics.learning.state import learned_frame, state_row
from analytics.learning.update import decide
from analytics.warehouse import load_sql

GRID = KIND = "weight"
CURRENT = "current"  # the cell of the weights as they are (every variation 0)
POPULATION = "population"  # every decision the grid considers, taken or not (the evidence)
WEIGHTS_MOVED = "re-scored where the take flips: the weights moved"
# Rebuilds that are no news to the user (run facts only); any other is a note of the run.
QUIET_REBUILDS = (None, "full", "none stored yet", WEIGHTS_MOVED)


def signals_seen(engine: Engine) -> list[str]:
    """The sorted union of signal component keys over all loaded decisions (SPEC §8)."""
    return engine.frame(load_sql("learning/signals_seen"))["signal"].to_list()


def weight_key(signal: str, variation: float) -> str:
    return json.dumps([signal, float(variation)])


def weight_cells(signals: list[str], weights: dict[str, float], variations) -> pl.DataFrame:
    """cell_id, key, signal, variation, weight (the varied W'_c) and the weights vector of
    every cell; cell 0 is the weights as they are."""
    base = [weights[s] for s in signals]
    rows = [(0, CURRENT, None, 0.0, None, base)]
    for i, signal in enumerate(signals):
        for v in variations:
            varied = list(base)
            varied[i] = base[i] * (1 + v)
            rows.append((len(rows), weight_key(signal, v), signal, float(v), varied[i], varied))
    return pl.DataFrame(
        rows,
        schema={"cell_id": pl.Int32, "key": pl.String, "signal": pl.String,
                "variation": pl.Float64, "weight": pl.Float64, "weights": pl.List(pl.Float64)},
        orient="row",
    )  # fmt: skip


def weight_stats(run: RunContext, cells: pl.DataFrame, signals: list[str]) -> tuple:
    """The grid's statistics (keyed by cell key), the parameters they were computed under, and
    why stored ones were rebuilt (if they were).

    Stored statistics are updated by the decisions the run replayed; when the weights moved
    (a step), by those changes under the old weights plus the decisions whose take flips from
    the old weights to the new (sql/learning/weight_cell_days.sql). Exact sums make either
    path equal to a rebuild from every decision."""
    settings, engine = run.settings, run.engine
    params = {
        "weights": run.before.weights,
        "signals": signals,
        "score_threshold": settings.score_threshold,
        "score_block_reasons": list(settings.score_block_reasons),
        "variations": list(settings.weight_variations),
    }
    query = {
        "components": signals,
        "score_block_reasons": list(settings.score_block_reasons),
        "score_threshold": settings.score_threshold,
    }
    outcomes = run.products["scenario_outcomes"]
    stored = cell_stats.stored(run.warehouse, GRID)
    why = cell_stats.reusable(stored, outcomes.basis_run, params, outcomes.full)
    names = dict(zip(cells["cell_id"].to_list(), cells["key"].to_list(), strict=True)) | {
        -1: POPULATION
    }
    if why == cell_stats.OTHER_SETTINGS and _only_weights_moved(stored.params, params):
        why = WEIGHTS_MOVED
    if why is None:
        load_cells(engine, cells)
        changed = engine.frame(load_sql("learning/weight_cell_days_changed"), query)
        return merge(stored.stats, _keyed(changed, names)), params, why
    if why == WEIGHTS_MOVED:
        before = weight_cells(signals, stored.params["weights"], settings.weight_variations)
        load_cells(engine, before)
        changed = engine.frame(load_sql("learning/weight_cell_days_changed"), query)
        load_cells(engine, cells, before)
        flipped = engine.frame(
            load_sql("learning/weight_cell_days"), query | {"with_population": False}
        )
        return merge(stored.stats, _keyed(changed, names), _keyed(flipped, names)), params, why
    load_cells(engine, cells)
    every = engine.frame(load_sql("learning/weight_cell_days"), query | {"with_population": True})
    return merge(_keyed(every, names)), params, why


def load_cells(engine: Engine, cells: pl.DataFrame, before: pl.DataFrame | None = None) -> None:
    """Table `weight_cells`: each cell's weights vector, and its vector under the weights before
    a step (`before`, the same cells under the old weights) when only what flips is wanted."""
    frame = cells.select("cell_id", "weights")
    if before is None:
        frame = frame.with_columns(pl.lit(None, pl.List(pl.Float64)).alias("weights_before"))
    else:
        frame = frame.join(
            before.select("cell_id", pl.col("weights").alias("weights_before")), on="cell_id"
        )
    engine.load("weight_cells", frame)


def _only_weights_moved(stored: dict | None, params: dict) -> bool:
    """A step moved the weights (so every cell moved) and nothing else changed."""
    if not stored or stored.get("weights") == params["weights"]:
        return False
    return {k: v for k, v in stored.items() if k != "weights"} == {
        k: v for k, v in params.items() if k != "weights"
    }


def _keyed(stats: pl.DataFrame, names: dict[int, str]) -> pl.DataFrame:
    return stats.with_columns(
        pl.col("cell_id").replace_strict(names, return_dtype=pl.String).alias("cell")
    ).drop("cell_id")


def learn_weights(
    run: RunContext, stats: pl.DataFrame, cells: pl.DataFrame
) -> tuple[pl.DataFrame, list[dict], Evidence | None]:
    """The published grid, one learned_state row per signal (W_c ← W_c·(1 + rate·v*)), and the
    evidence to record when the signals were evaluated."""
    settings = run.settings
    table = metrics(stats, cells["key"].to_list(), run.recency)
    grid = cells.drop("weights").join(table.rename({"cell": "key"}), on="key")
    by_key = {r["key"]: r for r in grid.iter_rows(named=True)}
    evidence = Evidence(KIND, digest(stats, [POPULATION]))
    verdict = review(evidence, run)
    current_row = by_key[CURRENT]
    learned = []
    for signal in dict.fromkeys(s for s in cells["signal"].to_list() if s is not None):
        before = run.before.weights[signal]
        current = Cell(CURRENT, before, current_row["n"],
                       objective_value(current_row, settings.objective), (0.0,))  # fmt: skip
        candidates = [
            Cell(r["key"], r["weight"], r["n"], objective_value(r, settings.objective),
                 (abs(r["variation"]),))
            for r in grid.iter_rows(named=True) if r["signal"] == signal
        ]  # fmt: skip
        choice = decide(candidates, current, stats, settings, run.recency, verdict)
        best = choice.best.value if choice.best else None
        # W·(1 + fraction·v): the step is taken in variations, so a mix of cells is one too
        variation = choice.after(0.0, lambda c: by_key[c.key]["variation"])
        after = before * (1 + variation) if choice.applied else before
        learned.append(state_row(KIND, signal, before, best, after, choice))
    published = grid.filter(pl.col("signal").is_not_null()).select(
        pl.col("signal").alias("component"), "variation", "weight", *METRIC_COLUMNS
    )
    return published, learned, (evidence if verdict.skip is None else None)


class WeightGridComponent:
    """SPEC §8: the weight variation grid and the gradual update of every signal's weight."""

    name = "weight_grid"
    reads = ("run_decisions", "counterfactual_outcomes", "replay_decisions",
             "replaced_outcomes", "run_moments")  # fmt: skip
    produces = ("weight_cells",)
    publishes = ("weight_grid",)
    learns = KIND
    queries = ("learning/weight_cell_days", "learning/weight_cell_days_changed")

    def compute(self, run: RunContext) -> ComponentResult:
        signals = list(run.before.weights)  # every signal seen (pipeline.py), sorted
        cells = weight_cells(signals, run.before.weights, run.settings.weight_variations)
        stats, params, why = weight_stats(run, cells, signals)
        published, learned, evaluated = learn_weights(run, stats, cells)

        def save(warehouse, run_id: int) -> None:
            cell_stats.save(warehouse, GRID, stats, run_id, params)
            if evaluated is not None:
                save_evaluation(warehouse, evaluated, run_id, run.as_of)

        return ComponentResult(
            tables={"weight_grid": FrameRows(published)},
            learned=learned_frame(learned),
            saves=(save,),
            facts={"weight_statistics": why or "updated"},
            notes=[f"weight statistics {why}"] if why not in QUIET_REBUILDS else [],
        )
