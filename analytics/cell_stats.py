"""Per-(cell, exit day, status) statistics, every figure built from them, and their store.

A grid's outcomes are summed per cell, status and UTC exit day by the `cell_days` macro
(sql/learning/macros.sql): counts and exact (DECIMAL) sums. SPEC §6's metrics, §13's daily
series and §15's recency weighting read only these, so a grid costs its cells × days whatever
the number of decisions, and statistics kept between runs (state.cell_days) are updated by
what changed: the statistics of added and removed outcomes add to the stored ones (`merge`).

Stored statistics may be updated by what a run changed only while they match the outcome store
they were built on: saved by the run that last saved the store, under the same parameters (for
the weight grid: the same weights, signals and threshold). Otherwise the run rebuilds them.
"""

from __future__ import annotations

import json
import math
from collections.abc import Hashable, Sequence
from dataclasses import dataclass
from datetime import date

import numpy as np
import polars as pl

from analytics.warehouse import Warehouse

MEASURES = ("n", "sum_pnl", "sum_wpnl", "sum_ret", "n_ret", "wins", "losses", "key_sum", "key_pnl")
COUNTS = ("n", "n_ret", "wins", "losses", "key_sum")
KEYS = ("cell", "status", "day")
METRIC_COLUMNS = (
    "n", "n_unresolved", "total_pnl", "weighted_pnl", "mean_ret", "win_rate", "sharpe",
    "max_drawdown",
)  # fmt: skip
DRAWDOWN_FLOOR = 1e-9
DECIMAL = pl.Decimal(38, 15)
SCHEMA = {
    "cell": pl.String, "status": pl.String, "day": pl.Date, "n": pl.Int64, "sum_pnl": DECIMAL,
    "sum_wpnl": DECIMAL, "sum_ret": DECIMAL, "n_ret": pl.Int64, "wins": pl.Int64,
    "losses": pl.Int64, "key_sum": pl.Int64, "key_pnl": DECIMAL,
}  # fmt: skip
_SCHEMA_ITEMS = list(SCHEMA.items())


def empty() -> pl.DataFrame:
    return pl.DataFrame(schema=SCHEMA)


def conform(stats: pl.DataFrame) -> pl.DataFrame:
    """Statistics in the one schema (cell as text; counts Int64; sums exact DECIMAL)."""
    if list(stats.schema.items()) == _SCHEMA_ITEMS:  # a merge's result: the walk-forward's
        return stats  # events merge thousands of times
    return stats.select(
        pl.col("cell").cast(pl.String),
        pl.col("status").cast(pl.String),
        pl.col("day").cast(pl.Date),
        *(pl.col(m).cast(SCHEMA[m]) for m in MEASURES),
    )


def merge(*frames: pl.DataFrame, exact: bool = True) -> pl.DataFrame:
    """The statistics of all the frames' outcomes together (a removed outcome, counted −1,
    cancels the stored one); cells, statuses and days left with no outcome are dropped.
    `exact=False` for scaled statistics, whose sums are floats."""
    if exact:
        stacked = pl.concat([conform(f) for f in frames], how="vertical")
    else:
        stacked = pl.concat([_as_floats(f) for f in frames], how="vertical")
    summed = stacked.group_by(KEYS).agg(pl.col(m).sum() for m in MEASURES)
    summed = summed.filter(pl.col("n") != 0)
    return (conform(summed) if exact else summed).sort(KEYS, nulls_last=True)


def _as_floats(stats: pl.DataFrame) -> pl.DataFrame:
    sums = [m for m in MEASURES if m not in COUNTS]
    return stats.select(
        pl.col("cell").cast(pl.String), pl.col("status"), pl.col("day").cast(pl.Date),
        *(pl.col(m).cast(pl.Float64 if m in sums else pl.Int64) for m in MEASURES),
    )  # fmt: skip


@dataclass(frozen=True)
class Recency:
    """SPEC §15: a resolved outcome's learning weight × 0.5^(age/H), age = as-of date − exit
    date in days (never negative); H = 0 is off (factor 1)."""

    half_life_days: float = 0.0
    as_of: date | None = None

    def factors(self, days: Sequence[date]) -> np.ndarray:
        if not self.half_life_days or self.as_of is None:
            return np.ones(len(days))
        ages = np.array([max(0, (self.as_of - d).days) for d in days], dtype=float)
        return 0.5 ** (ages / self.half_life_days)


OFF = Recency()


@dataclass(frozen=True)
class Daily:
    """Each cell's weighted P&L per UTC day on one calendar (0 where a cell has none)."""

    days: list[date]
    values: np.ndarray  # (cells, days)
    active: np.ndarray  # (cells, days) bool: the cell has a resolved outcome that day

    def span(self, row: int) -> slice:
        """The cell's own first to last day with a resolved outcome (SPEC §6's `daily`)."""
        where = np.flatnonzero(self.active[row])
        return slice(where[0], where[-1] + 1) if len(where) else slice(0, 0)


def daily(stats: pl.DataFrame, cells: Sequence[Hashable], recency: Recency = OFF) -> Daily:
    """Weighted P&L per day (with §15's factor) of `cells`, over the calendar from the first to
    the last exit day of any of them."""
    resolved = stats.filter((pl.col("status") == "ok") & pl.col("cell").is_in(list(cells)))
    if resolved.is_empty():
        return Daily([], np.zeros((len(cells), 0)), np.zeros((len(cells), 0), dtype=bool))
    first, last = resolved["day"].min(), resolved["day"].max()
    days = [date.fromordinal(o) for o in range(first.toordinal(), last.toordinal() + 1)]
    values = np.zeros((len(cells), len(days)))
    active = np.zeros((len(cells), len(days)), dtype=bool)
    row = {cell: i for i, cell in enumerate(cells)}
    # (through text: an exact sum becomes the double nearest to it, as float(Decimal) does)
    day_sums = resolved.group_by("cell", "day").agg(
        pl.col("sum_wpnl").sum().cast(pl.String).cast(pl.Float64)
    )
    rows = day_sums["cell"].replace_strict(row, return_dtype=pl.Int64).to_numpy()
    columns = (day_sums["day"] - first).dt.total_days().to_numpy()
    values[rows, columns] = day_sums["sum_wpnl"].to_numpy()
    active[rows, columns] = True
    return Daily(days, values * recency.factors(days)[None, :], active)


def metrics(stats: pl.DataFrame, cells: Sequence[Hashable], recency: Recency = OFF) -> pl.DataFrame:
    """SPEC §6 metrics of every cell in `cells` (empty ones included), in that order."""
    totals = (
        stats.filter(pl.col("cell").is_in(list(cells)))
        .group_by("cell")
        .agg(
            pl.col("n").filter(pl.col("status") == "ok").sum().alias("n"),
            pl.col("n").filter(pl.col("status") != "ok").sum().alias("n_unresolved"),
            pl.col("sum_pnl").filter(pl.col("status") == "ok").sum().alias("sum_pnl"),
            pl.col("sum_ret").filter(pl.col("status") == "ok").sum().alias("sum_ret"),
            pl.col("n_ret").filter(pl.col("status") == "ok").sum().alias("n_ret"),
            pl.col("wins").filter(pl.col("status") == "ok").sum().alias("wins"),
        )
    )
    by_cell = {r["cell"]: r for r in totals.iter_rows(named=True)}
    series = daily(stats, cells, recency)
    rows = []
    for i, cell in enumerate(cells):
        total = by_cell.get(cell) or {}
        n = int(total.get("n") or 0)
        values = series.values[i, series.span(i)]
        rows.append(
            {
                "cell": cell,
                "n": n,
                "n_unresolved": int(total.get("n_unresolved") or 0),
                "total_pnl": float(total.get("sum_pnl") or 0),
                "weighted_pnl": float(values.sum()) if len(values) else 0.0,
                "mean_ret": _ratio(total.get("sum_ret"), total.get("n_ret")),
                "win_rate": _ratio(total.get("wins"), n),
                "sharpe": sharpe(values),
                "max_drawdown": max_drawdown(values),
            }
        )
    return pl.DataFrame(rows, schema={"cell": pl.String, **METRIC_SCHEMA})


METRIC_SCHEMA = {
    "n": pl.Int64, "n_unresolved": pl.Int64, "total_pnl": pl.Float64,
    "weighted_pnl": pl.Float64, "mean_ret": pl.Float64, "win_rate": pl.Float64,
    "sharpe": pl.Float64, "max_drawdown": pl.Float64,
}  # fmt: skip


def _ratio(numerator, denominator) -> float | None:
    if not denominator:
        return None
    return float(numerator) / float(denominator)


def sharpe(daily_values: np.ndarray) -> float | None:
    """mean / stdev(ddof=1) · √365; null with fewer than 2 days or when every day is equal
    (stdev 0 exactly, whatever floating point would leave)."""
    if len(daily_values) < 2 or np.all(daily_values == daily_values[0]):
        return None
    return float(daily_values.mean() / daily_values.std(ddof=1) * math.sqrt(365))


def max_drawdown(daily_values: np.ndarray) -> float:
    """The largest fall of cumulative P&L below its running peak (the peak starts at 0)."""
    if not len(daily_values):
        return 0.0
    cumulative = np.cumsum(daily_values)
    peak = np.maximum(np.maximum.accumulate(cumulative), 0.0)
    return float(max((peak - cumulative).max(), 0.0))


def objective_value(row: dict, objective: str) -> float | None:
    """The number that ranks cells (SPEC §6): sharpe, weighted_pnl or pnl_over_drawdown."""
    if objective == "pnl_over_drawdown":
        return row["weighted_pnl"] / max(row["max_drawdown"], DRAWDOWN_FLOOR)
    return row[objective]


def scaled(stats: pl.DataFrame, factor: pl.Expr) -> pl.DataFrame:
    """Each outcome's pnl and ret × `factor` (an expression of the frame's columns, e.g. a
    size multiplier by bucket): sums scale, and a negative factor swaps wins and losses. The
    sums become floats: scaled statistics are made fresh from exact ones, never stored."""
    f = factor.cast(pl.Float64)
    return stats.with_columns(
        (pl.col(m).cast(pl.Float64) * f).alias(m) for m in ("sum_pnl", "sum_wpnl", "sum_ret")
    ).with_columns(
        pl.when(f > 0).then(pl.col("wins")).when(f < 0).then(pl.col("losses")).otherwise(0)
        .alias("wins"),
        pl.when(f > 0).then(pl.col("losses")).when(f < 0).then(pl.col("wins")).otherwise(0)
        .alias("losses"),
    )  # fmt: skip


def relabel(stats: pl.DataFrame, cell: str) -> pl.DataFrame:
    """The statistics as those of one cell `cell` (e.g. a population summed over cells)."""
    return stats.with_columns(pl.lit(cell).alias("cell"))


# --- kept between runs --------------------------------------------------------------------


@dataclass(frozen=True)
class Stored:
    stats: pl.DataFrame
    basis_run: int | None
    params: dict | None


def stored(warehouse: Warehouse, grid: str) -> Stored:
    basis = warehouse.one("SELECT run_id, params FROM state.learning_basis WHERE grid = ?", [grid])
    if basis is None:
        return Stored(empty(), None, None)
    frame = warehouse.frame("SELECT * EXCLUDE (grid) FROM state.cell_days WHERE grid = ?", [grid])
    return Stored(conform(frame) if frame.height else empty(), basis[0], json.loads(basis[1]))


OTHER_SETTINGS = "computed under other settings"


def reusable(store: Stored, store_basis: int | None, params: dict, full: bool) -> str | None:
    """Why stored statistics cannot be updated by this run's changes (None: they can)."""
    if full:
        return "full"
    if store.basis_run is None:
        return "none stored yet"
    if store.basis_run != store_basis:
        return (
            f"saved by run {store.basis_run}, the outcome store by run {store_basis}: "
            "rebuilt from the store"
        )
    if store.params != params:
        return OTHER_SETTINGS
    return None


def save(warehouse: Warehouse, grid: str, stats: pl.DataFrame, run_id: int, params: dict) -> None:
    """Replace the grid's statistics (inside the publishing transaction)."""
    warehouse.execute("DELETE FROM state.cell_days WHERE grid = ?", [grid])
    warehouse.load_frame("saved_cell_days", conform(stats).select(list(SCHEMA)))
    warehouse.execute(
        "INSERT INTO state.cell_days BY NAME SELECT ? AS grid, * FROM saved_cell_days", [grid]
    )
    warehouse.execute("DROP TABLE saved_cell_days")
    warehouse.execute("DELETE FROM state.learning_basis WHERE grid = ?", [grid])
    warehouse.execute(
        "INSERT INTO state.learning_basis VALUES (?, ?, ?)",
        [grid, run_id, json.dumps(params, sort_keys=True)],
    )
