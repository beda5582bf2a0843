"""Deciding one unit (one weight, one bucket's multiplier, or the timing): SPEC §6's pick with the
current setting competing, §13's reality check on the unit's cells, §14's evidence rule, and
the gradual step toward the picked cell."""

from __future__ import annotations

import math
from collections.abc import Hashable, Sequence
from dataclasses import dataclass

from analytics.cell_stats import Recency, daily
from analytics.config import Settings
from analytics.learning.significance import Significance, reality_check

TOLERANCE = 1e-9  # SPEC §6: objectives, and distances to the current setting, this close tie


@dataclass(frozen=True)
class Cell:
    """A cell competing to set a unit: the setting it stands for and how it did."""

    key: Hashable  # the cell's key in its grid's statistics
    value: object  # the setting: a weight, a multiplier, (delay, hold)
    n: int
    objective: float | None
    distance: tuple[float, ...]  # to the current setting; ties broken by what follows


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


def gradual_step(before: float, best: float, learning_rate: float) -> float:
    """after = before + learning_rate·(best − before): a tenth of the way by default."""
    return before + learning_rate * (best - before)


@dataclass(frozen=True)
class Choice:
    """What one unit's decision found: the picked cell, whether the setting moves, and why."""

    best: Cell | None
    n: int
    applied: bool
    note: str
    test: Significance | None = None


def decide(
    cells: Sequence[Cell],
    current: Cell,
    stats,
    settings: Settings,
    recency: Recency,
    *,
    evaluated: bool,
    since: str,
) -> Choice:
    """Pick the best cell; if the unit's evidence changed (`evaluated`) and the pick is not the
    current setting, test it (§13) and move only if it passes (or significance is not
    required). `since` names the last evaluation for the note ("run 12")."""
    best = pick(cells, current, settings.min_samples)
    n = best.n if best is not None else current.n
    if not evaluated:
        return Choice(best, n, False, f"no new evidence since {since}")
    if best is None:
        return Choice(None, n, False, f"no cell has min_samples={settings.min_samples} resolved "
                                      "outcomes")  # fmt: skip
    if best is current or best.distance[0] <= TOLERANCE:
        return Choice(best, n, False, "best is the current setting")
    test = _test(cells, current, best, stats, settings, recency)
    alpha = (1 - settings.confidence) / 2
    if test is None:
        passed, verdict = False, "nothing to test (no resolved outcome)"
    else:
        passed = test.significant
        verdict = (
            f"significant (p_value {test.p_value:.3g} <= {alpha:.3g})"
            if passed
            else f"not significant (p_value {test.p_value:.3g} > {alpha:.3g})"
        )
    if passed or not settings.require_significance:
        note = f"stepped toward best: {verdict}"
        if not passed:
            note += ", applied as require_significance is off"
        return Choice(best, n, True, note, test)
    return Choice(best, n, False, f"stays: {verdict}", test)


def _test(
    cells: Sequence[Cell],
    current: Cell,
    best: Cell,
    stats,
    settings: Settings,
    recency: Recency,
) -> Significance | None:
    """§13 on the unit's calendar: candidates are the grid cells with min_samples resolved
    outcomes other than the current setting itself."""
    candidates = [c for c in cells if c.n >= settings.min_samples and c.distance[0] > TOLERANCE]
    keys = [current.key, *(c.key for c in candidates)]
    # the calendar spans the candidates and the current cell (other cells never widen it)
    series = daily(stats, list(dict.fromkeys(keys)), recency)
    rows = {key: i for i, key in enumerate(dict.fromkeys(keys))}
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
