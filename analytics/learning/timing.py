"""The timing recommendation (SPEC §7): the timing grid's metrics per population, and the best
cell of population `all`, moved gradually like a multiplier."""

from __future__ import annotations

import itertools

import polars as pl

from analytics import cell_stats
from analytics.cell_stats import METRIC_COLUMNS, merge, metrics, objective_value, relabel
from analytics.components import ComponentResult, FrameRows, RunContext
from analytics.learning.evidence import Evidence, digest, review, save_evaluation
from analytics.learning.policies import Cell
from analytics.learning.state import learned_frame, state_row
from analytics.learning.update import decide
from analytics.scenarios.timing import GRID, KINDS, POPULATIONS, timing_key, timing_stats

KIND = "timing"


def with_all_population(stats: pl.DataFrame, moments: list[tuple[float, float]]) -> pl.DataFrame:
    """Each moment's `all` cell: its executed and blocked outcomes together (SPEC §7)."""
    alls = [
        relabel(stats.filter(pl.col("cell").is_in([timing_key(d, h, k) for k in KINDS])),
                timing_key(d, h, "all"))
        for d, h in moments
    ]  # fmt: skip
    return merge(stats, *alls)


def grid_moments(settings) -> list[tuple[float, float]]:
    return [(float(d), float(h)) for d, h in itertools.product(settings.entry_delays_min,
                                                               settings.holds_min)]  # fmt: skip


def timing_grid(stats: pl.DataFrame, moments, recency) -> pl.DataFrame:
    """The published grid: every moment × population with its §6 metrics."""
    cells = [(d, h, p) for d, h in moments for p in POPULATIONS]
    table = metrics(stats, [timing_key(*c) for c in cells], recency)
    keys = pl.DataFrame(cells, schema=["entry_delay_min", "hold_min", "population"], orient="row")
    return pl.concat([keys, table.drop("cell")], how="horizontal")


def learn_timing(run: RunContext, stats: pl.DataFrame) -> tuple[list[dict], Evidence | None]:
    """The two learned_state rows (entry_delay_min, hold_min), and the evidence to record when
    the unit was evaluated (None when it was not)."""
    settings = run.settings
    delay0, hold0 = run.before.entry_delay_min, run.before.hold_min
    moments = grid_moments(settings)
    current_key = timing_key(delay0, hold0, "all")
    table = metrics(stats, [timing_key(d, h, "all") for d, h in moments] + [current_key],
                    run.recency)  # fmt: skip
    by_key = {r["cell"]: r for r in table.iter_rows(named=True)}

    def cell(d: float, h: float, distance: tuple) -> Cell:
        row = by_key[timing_key(d, h, "all")]
        objective = objective_value(row, settings.objective)
        return Cell(row["cell"], (d, h), row["n"], objective, distance)

    cells = [cell(d, h, (abs(d - delay0) + abs(h - hold0), d, h)) for d, h in moments]
    current = cell(delay0, hold0, (0.0, delay0, hold0))
    evidence = Evidence(
        KIND,
        digest(stats, [timing_key(d, h, k) for d, h in moments for k in KINDS]),
        setting=[delay0, hold0],
        current=digest(stats, [timing_key(delay0, hold0, k) for k in KINDS]),
    )
    verdict = review(evidence, run)
    choice = decide(cells, current, stats, settings, run.recency, verdict)
    best = choice.best.value if choice.best else (None, None)
    rows = []
    for i, (name, start) in enumerate((("entry_delay_min", delay0), ("hold_min", hold0))):
        after = choice.after(start, lambda c, i=i: c.value[i])
        rows.append(state_row(KIND, name, start, best[i], after, choice))
    return rows, (evidence if verdict.skip is None else None)


class TimingGridComponent:
    """SPEC §7: the timing grid of every population, and the timing recommendation."""

    name = "timing_grid"
    reads = ("run_outcomes", "run_moments", "run_replayed", "replaced_outcomes", "known_outcomes")
    produces = ()
    publishes = ("timing_grid",)
    learns = KIND
    queries = ("scenarios/timing_cell_days", "scenarios/timing_cell_days_changed",
               "scenarios/stored_timing_totals")  # fmt: skip

    def compute(self, run: RunContext) -> ComponentResult:
        computed = timing_stats(run)
        moments = grid_moments(run.settings)
        current = (run.before.entry_delay_min, run.before.hold_min)
        stats = with_all_population(computed.stats, list(dict.fromkeys([*moments, current])))
        published = timing_grid(stats, moments, run.recency).select(
            "entry_delay_min", "hold_min", "population", *METRIC_COLUMNS
        )
        learned, evaluated = learn_timing(run, stats)

        def save(warehouse, run_id: int) -> None:
            cell_stats.save(warehouse, GRID, computed.stats, run_id, {})
            if evaluated is not None:
                save_evaluation(warehouse, evaluated, run_id, run.as_of)

        notes = [f"timing statistics {computed.rebuilt}"] if computed.rebuilt else []
        return ComponentResult(
            tables={"timing_grid": FrameRows(published)},
            learned=learned_frame(learned),
            saves=(save,),
            notes=notes,
        )
