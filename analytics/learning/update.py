"""Deciding one unit (one weight, one bucket's multiplier, or the timing): SPEC §6's pick with the
current setting competing, §13's reality check on the unit's cells, §14's evidence rule, and
the gradual step toward the picked cell."""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from analytics.cell_stats import Recency, daily
from analytics.config import Settings
from analytics.learning.policies import POLICIES, Cell, Step, UnitEvidence, blend
from analytics.learning.significance import Significance, reality_check

TOLERANCE = 1e-9  # SPEC §6: objectives, and distances to the current setting, this close tie


@dataclass(frozen=True)
class Review:
    """Whether a unit is evaluated this run (SPEC §14, §18) and the rate of a plain step."""

    skip: str | None  # why it is not ("no new evidence since run 3"); None: it is evaluated
    rate: float  # SPEC §18's r


def objectives_equal(a: float, b: float) -> bool:
    """Within 1e-9·max(1, |a|, |b|) of each other (SPEC §6)."""
    return abs(a - b) <= TOLERANCE * max(1.0, abs(a), abs(b))


def pick(cells: Sequence[Cell], current: Cell, min_samples: int) -> Cell | None:
    """SPEC §6: cells compared in configured order with the best so far, the current setting
    last (at distance 0 it wins ties); a cell needs min_samples resolved outcomes; a null
    objective ranks last (two nulls tie)."""
    best: Cell | None = None
    for cell in (*cells, current):
        if cell.n < min_samples:
            continue
        if best is None or _beats(cell, best):
            best = cell
    return best


def _beats(challenger: Cell, best: Cell) -> bool:
    a, b = challenger.objective, best.objective
    if _is_number(a) != _is_number(b):
        return _is_number(a)
    if _is_number(a) and not objectives_equal(a, b):
        return a > b
    return _closer(challenger.distance, best.distance)


def _closer(a: tuple[float, ...], b: tuple[float, ...]) -> bool:
    """Strictly closer: the first distance beyond the tolerance, then the tie-breakers."""
    if abs(a[0] - b[0]) > TOLERANCE:
        return a[0] < b[0]
    return a[1:] < b[1:]


def _is_number(x: float | None) -> bool:
    return x is not None and not math.isnan(x)


def gradual_step(before: float, target: float, fraction: float) -> float:
    """after = before + fraction·(target − before): a tenth of the way by default."""
    return before + fraction * (target - before)


@dataclass(frozen=True)
class Choice:
    """What one unit's decision found: the picked cell, whether and how the setting moves, and
    why."""

    best: Cell | None
    n: int
    note: str
    test: Significance | None = None
    step: Step | None = None  # the policy's step (None: nothing was decided)

    @property
    def applied(self) -> bool:
        return self.step is not None and self.step.applied

    def after(self, before: float, coordinate: Callable[[Cell], float]) -> float:
        """The setting after this decision on one coordinate (before when it stays)."""
        if not self.applied:
            return before
        return gradual_step(before, blend(self.step.toward, coordinate), self.step.fraction)


def decide(
    cells: Sequence[Cell],
    current: Cell,
    stats,
    settings: Settings,
    recency: Recency,
    review: Review,
) -> Choice:
    """Pick the best cell; if the unit is evaluated (`review.skip` is None: its evidence and its
    data time moved) and the pick is not the current setting, test it (§13) and let the
    configured policy (§19) decide the step, of `review.rate` for a plain one (§18)."""
    best = pick(cells, current, settings.min_samples)
    n = best.n if best is not None else current.n
    if review.skip is not None:
        return Choice(best, n, review.skip)
    if best is None:
        return Choice(None, n, f"no cell has min_samples={settings.min_samples} resolved "
                               "outcomes")  # fmt: skip
    if best is current or best.distance[0] <= TOLERANCE:
        return Choice(best, n, "best is the current setting")
    candidates = _candidates(cells, settings)
    test = _test(candidates, current, best, stats, settings, recency)
    unit = UnitEvidence(best, current, candidates, test, review.rate, (1 - settings.confidence) / 2)
    step = POLICIES[settings.learning_policy](unit)
    return Choice(best, n, step.note, test, step)


def _candidates(cells: Sequence[Cell], settings: Settings) -> list[Cell]:
    """§13's candidates: the grid cells with min_samples resolved outcomes other than the
    current setting itself."""
    return [c for c in cells if c.n >= settings.min_samples and c.distance[0] > TOLERANCE]


def _test(
    candidates: Sequence[Cell],
    current: Cell,
    best: Cell,
    stats,
    settings: Settings,
    recency: Recency,
) -> Significance | None:
    """§13 on the unit's calendar, which spans the candidates and the current cell (other cells
    never widen it)."""
    keys = list(dict.fromkeys([current.key, *(c.key for c in candidates)]))
    series = daily(stats, keys, recency)
    rows = {key: i for i, key in enumerate(keys)}
    return reality_check(
        series.values,
        rows[current.key],
        [rows[c.key] for c in candidates],
        rows[best.key],
        objective=settings.objective,
        samples=settings.bootstrap_samples,
        seed=settings.bootstrap_seed,
        confidence=settings.confidence,
    )
