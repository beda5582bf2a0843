"""SPEC §13: does any candidate cell beat the current setting, beyond what picking the best of
many cells on the same days would give by luck? White's reality check over the unit's cells,
resampling whole days (outcomes of one day share that day's market), recentred at the bootstrap
mean. It reads only the cells × days matrix of daily weighted P&L, so it costs
O(samples · days · cells) whatever the number of decisions.

The draws are fixed by the SPEC (`numpy.random.default_rng(seed).integers(0, D, (B, D))`), so
p_values are exact across implementations. A resample is used only through how often it drew
each day (counts, B × D), which turns every cell's resampled sums into one matrix product.
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass, field

import numpy as np

from analytics.cell_stats import DRAWDOWN_FLOOR


@dataclass(frozen=True)
class Significance:
    p_value: float
    significant: bool
    gain: float  # g[b]: obj(best) − obj(current) on the calendar
    gain_lo: float  # quantiles of the resampled gain g*[b][·]
    gain_hi: float
    resampled: np.ndarray | None = field(default=None, compare=False, repr=False)
    """g*[c][r] (candidates × samples, not recentred), in the candidates' order: what a
    learning policy may read beyond the test (SPEC §19)."""


def reality_check(
    values: np.ndarray,
    current: int,
    candidates: list[int],
    best: int,
    *,
    objective: str,
    samples: int,
    seed: int,
    confidence: float,
) -> Significance | None:
    """`values`: (cells, D) daily weighted P&L on the unit's calendar; rows `current`, `best`
    and `candidates` (best among them). None when there is no day (D = 0: nothing tested)."""
    n_days = values.shape[1]
    if n_days == 0:
        return None
    idx, counts = _draws(seed, n_days, samples)
    rows = sorted({current, best, *candidates})
    on_calendar = {r: _objective(values[r], objective) for r in rows}
    resampled = {r: _resampled(values[r], idx, counts, objective) for r in rows}
    gains = {r: resampled[r] - resampled[current] for r in rows}
    per_candidate = np.stack([gains[c] for c in candidates])
    t_star = np.stack([gains[c] - gains[c].mean() for c in candidates]).max(axis=0)
    gain = on_calendar[best] - on_calendar[current]
    exceed = int((t_star >= gain).sum())
    alpha = (1 - confidence) / 2
    lo, hi = np.quantile(gains[best], [alpha, 1 - alpha])
    return Significance(
        p_value=(1 + exceed) / (samples + 1),
        significant=n_days >= 2 and 1 + exceed <= alpha * (samples + 1) + 1e-9,
        gain=float(gain),
        gain_lo=float(lo),
        gain_hi=float(hi),
        resampled=per_candidate,
    )


@functools.lru_cache(maxsize=32)
def _draws(seed: int, n_days: int, samples: int) -> tuple[np.ndarray, np.ndarray]:
    """SPEC §13's resampled day indices (samples, D), and how often each resample drew each
    day: the same for every unit with D days (kept, read-only, for the units that follow)."""
    idx = np.random.default_rng(seed).integers(0, n_days, size=(samples, n_days))
    cells = np.repeat(np.arange(samples), n_days) * n_days + idx.ravel()
    counts = np.bincount(cells, minlength=samples * n_days).reshape(samples, n_days)
    idx.setflags(write=False)
    counts.setflags(write=False)
    return idx, counts


def _objective(series: np.ndarray, objective: str) -> float:
    """§13's obj of one series in its order; a null value (an all-equal series, for sharpe)
    counts as 0."""
    if objective == "weighted_pnl":
        return float(series.sum())
    if objective == "pnl_over_drawdown":
        return float(series.sum() / max(_drawdown(series[None, :])[0], DRAWDOWN_FLOOR))
    if len(series) < 2 or np.all(series == series[0]):
        return 0.0
    return float(series.mean() / series.std(ddof=1) * math.sqrt(365))


def _resampled(
    series: np.ndarray, idx: np.ndarray, counts: np.ndarray, objective: str
) -> np.ndarray:
    """obj of every resample `series[idx[r]]` (samples,)."""
    n_days = series.shape[0]
    if objective == "pnl_over_drawdown":  # depends on the order of the days drawn
        drawn = series[idx]
        return drawn.sum(axis=1) / np.maximum(_drawdown(drawn), DRAWDOWN_FLOOR)
    if objective == "weighted_pnl":
        return counts @ series
    if n_days < 2:
        return np.zeros(counts.shape[0])
    centre = series.mean()  # variance is shift-free: centring keeps the sums well-conditioned
    shifted = series - centre
    total = counts @ shifted
    squares = counts @ (shifted * shifted)
    mean = total / n_days
    variance = (squares - total * mean) / (n_days - 1)
    with np.errstate(divide="ignore", invalid="ignore"):
        sharpe = (mean + centre) / np.sqrt(variance) * math.sqrt(365)
    return np.where(_all_equal(series, counts), 0.0, sharpe)


def _all_equal(series: np.ndarray, counts: np.ndarray) -> np.ndarray:
    """Which resamples drew days of one value only (exactly: by value classes, not by a
    variance that rounding leaves near zero)."""
    drawn = counts > 0
    flat = drawn.sum(axis=1) == 1
    _, classes, sizes = np.unique(series, return_inverse=True, return_counts=True)
    for cls in np.flatnonzero(sizes > 1):
        in_class = classes == cls
        flat |= (counts[:, in_class].sum(axis=1)) == series.shape[0]
    return flat


def _drawdown(drawn: np.ndarray) -> np.ndarray:
    """Max drawdown of each row of daily values in its order (the peak starts at 0)."""
    cumulative = np.cumsum(drawn, axis=1)
    peak = np.maximum(np.maximum.accumulate(cumulative, axis=1), 0.0)
    return np.maximum((peak - cumulative).max(axis=1), 0.0)


@dataclass(frozen=True)
class GainTest:
    """SPEC §16's "Is the gain real?": the walk-forward gain resampled by date blocks."""

    p_value: float | None
    lo: float | None
    hi: float | None
    verdict: str  # helped | hurt | no measurable difference | too little data


HELPED, HURT, NO_DIFFERENCE, TOO_LITTLE = (
    "helped", "hurt", "no measurable difference", "too little data",
)  # fmt: skip


def gain_test(blocks: np.ndarray, *, samples: int, seed: int, confidence: float) -> GainTest:
    """`blocks` y[d]: learned − static weighted P&L per date block. S[r] = Σ y[idx[r]] with
    §13's draws; k = #{S[r] − T >= |T|}; p = (1 + k)/(B + 1); helped or hurt (by the sign of
    T) when 1 + k <= (1 − confidence)·(B + 1)."""
    n_blocks = len(blocks)
    if n_blocks < 2:
        return GainTest(None, None, None, TOO_LITTLE)
    total = float(blocks.sum())
    _, counts = _draws(seed, n_blocks, samples)
    resampled = counts @ blocks
    exceed = int((resampled - total >= abs(total)).sum())
    lo, hi = np.quantile(resampled, [(1 - confidence) / 2, (1 + confidence) / 2])
    passed = 1 + exceed <= (1 - confidence) * (samples + 1) + 1e-9
    verdict = NO_DIFFERENCE if not passed or total == 0 else (HELPED if total > 0 else HURT)
    return GainTest((1 + exceed) / (samples + 1), float(lo), float(hi), verdict)
