"""Paired bootstrap of objective(best) − objective(current) (SPEC §6 `require_significance`).

Decisions are resampled with replacement; both cells are scored on the same resample (paired).
The draws are array operations over a block of resamples at once, never a loop over decisions.
"""

from __future__ import annotations

import numpy as np

from analytics.engines import Engine
from analytics.metrics import DRAWDOWN_FLOOR, FLAT_STDEV_REL

_BLOCK_ELEMENTS = 8_000_000  # draws × decisions per block: bounds memory at ~200 MB


def paired_gain_intervals(
    engine: Engine,
    outcomes: str,
    population: np.ndarray,
    pairs: list[tuple[int, int]],
    *,
    objective: str,
    samples: int,
    confidence: float,
    seed: int,
) -> list[tuple[float, float]]:
    """For each (best_cell, current_cell) pair, the ((1−confidence)/2, (1+confidence)/2)
    quantiles of the bootstrapped gain objective(best) − objective(current).

    All pairs share each resample, so a resample is drawn once and each distinct cell is scored
    once per resample. `outcomes` is a temp table with (cell_id, decision_idx, resolved, pnl,
    weight, exit_t); `population` the decision_idx values being resampled.
    """
    if not pairs:
        return []
    population = np.sort(population)
    cells = sorted({cell for pair in pairs for cell in pair})
    arrays = {cell: _cell_arrays(engine, outcomes, cell, population) for cell in cells}
    # Positions are labels: ordering them by exit day (of the first cell) turns each cell's
    # day sums into contiguous segment sums over nearly sequential memory.
    order = np.argsort(arrays[cells[0]][1], kind="stable")
    arrays = {cell: tuple(a[order] for a in arrs) for cell, arrs in arrays.items()}
    resolved_days = np.concatenate([day[resolved] for _, day, resolved in arrays.values()])
    first_day = int(resolved_days.min()) if len(resolved_days) else 0
    n_days = int(resolved_days.max()) - first_day + 1 if len(resolved_days) else 1
    segments = {cell: _day_segments(*arrays[cell], first_day) for cell in cells}
    rng = np.random.default_rng(seed)
    size = len(population)
    gains = np.empty((len(pairs), samples))
    block = max(1, _BLOCK_ELEMENTS // max(size, 1))
    for start in range(0, samples, block):
        draws = min(block, samples - start)
        counts = _resample_counts(rng, draws, size)
        scores = {cell: _objective(counts, segments[cell], n_days, objective) for cell in cells}
        for i, (best, current) in enumerate(pairs):
            gains[i, start : start + draws] = scores[best] - scores[current]
    gains = np.where(np.isnan(gains), -np.inf, gains)  # an undefined draw confirms nothing
    alpha = (1 - confidence) / 2
    with np.errstate(invalid="ignore"):  # interpolating next to -inf gives nan: it is -inf
        bounds = np.quantile(gains, [alpha, 1 - alpha], axis=1)
    bounds = np.where(np.isnan(bounds), -np.inf, bounds)
    return [(float(lo), float(hi)) for lo, hi in bounds.T]


def _cell_arrays(
    engine: Engine, outcomes: str, cell_id: int, population: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per population member: weighted pnl, exit day number, and whether it is resolved."""
    rows = engine.frame(
        f"""
        SELECT decision_idx, weight * pnl AS wpnl,
               CAST(date_diff('day', DATE '1970-01-01', CAST(exit_t AS DATE)) AS BIGINT) AS day
        FROM {outcomes}
        WHERE cell_id = $cell_id AND resolved
        """,
        {"cell_id": cell_id},
    )
    position = np.searchsorted(population, rows["decision_idx"].to_numpy())
    wpnl = np.zeros(len(population))
    day = np.zeros(len(population), dtype=np.int64)
    resolved = np.zeros(len(population), dtype=bool)
    wpnl[position] = rows["wpnl"].to_numpy()
    day[position] = rows["day"].to_numpy()
    resolved[position] = True
    return wpnl, day, resolved


def _resample_counts(rng: np.random.Generator, draws: int, size: int) -> np.ndarray:
    """How often each decision appears in each of `draws` resamples of `size` decisions."""
    picks = rng.integers(0, size, size=(draws, size), dtype=np.int32)
    picks += (np.arange(draws, dtype=np.int32) * size)[:, None]  # draws·size < 2^31 by block
    return np.bincount(picks.ravel(), minlength=draws * size).reshape(draws, size)


def _day_segments(
    wpnl: np.ndarray, day: np.ndarray, resolved: np.ndarray, first_day: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """A cell's resolved decisions grouped by exit day: (positions sorted by day, weighted pnl
    in that order, where each day's run starts, the day index of each run)."""
    positions = np.flatnonzero(resolved)
    positions = positions[np.argsort(day[positions], kind="stable")]
    days = day[positions] - first_day
    starts = np.flatnonzero(np.r_[True, days[1:] != days[:-1]]) if len(days) else days
    return positions, wpnl[positions], starts, days[starts]


def _objective(
    counts: np.ndarray,
    segments: tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray],
    n_days: int,
    objective: str,
) -> np.ndarray:
    """The objective of each resample (rows of `counts`), as SPEC §6 defines it on the full set."""
    positions, wpnl, starts, day_of_segment = segments
    draws = counts.shape[0]
    daily = np.zeros((draws, n_days))
    present = np.zeros((draws, n_days), dtype=bool)
    if len(positions):
        drawn = counts[:, positions]
        daily[:, day_of_segment] = np.add.reduceat(drawn * wpnl, starts, axis=1)
        present[:, day_of_segment] = np.add.reduceat(drawn, starts, axis=1) > 0
    if objective == "weighted_pnl":
        return daily.sum(axis=1)
    if objective == "pnl_over_drawdown":
        cum = np.cumsum(daily, axis=1)
        peak = np.maximum(np.maximum.accumulate(cum, axis=1), 0)
        drawdown = np.maximum((peak - cum).max(axis=1), 0)
        return daily.sum(axis=1) / np.maximum(drawdown, DRAWDOWN_FLOOR)
    return _sharpe(daily, present)


def _sharpe(daily: np.ndarray, present: np.ndarray) -> np.ndarray:
    """mean/stdev(ddof=1)·√365 of daily sums over each row's first..last present day."""
    n_cols = daily.shape[1]
    any_day = present.any(axis=1)
    first = np.where(any_day, present.argmax(axis=1), 0)
    last = np.where(any_day, n_cols - 1 - present[:, ::-1].argmax(axis=1), -1)
    columns = np.arange(n_cols)[None, :]
    span = (columns >= first[:, None]) & (columns <= last[:, None])
    n_days = last - first + 1
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = np.where(span, daily, 0).sum(axis=1) / n_days
        sq = np.where(span, (daily - mean[:, None]) ** 2, 0).sum(axis=1)
        stdev = np.sqrt(sq / (n_days - 1))
        sharpe = mean / stdev * np.sqrt(365)
        flat = stdev <= FLAT_STDEV_REL * np.where(span, np.abs(daily), 0).max(axis=1)
    return np.where((n_days >= 2) & ~flat, sharpe, np.nan)
