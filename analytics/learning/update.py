"""Picking the best cell (SPEC §6 rules) and moving a setting gradually toward it."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from analytics.config import Settings
from analytics.engines import Engine

DISTANCE_DECIMALS = 12  # |v| or |m − M| equal to 12 decimals count as equally close


@dataclass(frozen=True)
class Candidate:
    """One grid cell competing to be the best setting."""

    cell_id: int
    value: float | tuple[float, float]
    n: int
    objective: float | None
    closeness: tuple  # smaller = closer to the current setting; ties broken by list order


def objectives_equal(a: float, b: float) -> bool:
    """Within 1e-9·max(1, |a|, |b|) of each other (SPEC §6)."""
    return abs(a - b) <= 1e-9 * max(1.0, abs(a), abs(b))


def pick_best(candidates: Sequence[Candidate], min_samples: int) -> Candidate | None:
    """Highest objective among cells with n >= min_samples; a null objective ranks last; ties go
    to the cell closest to the current setting, then to the earlier one in the configured list."""
    eligible = [c for c in candidates if c.n >= min_samples]
    if not eligible:
        return None
    ranked = [c for c in eligible if _is_number(c.objective)]
    if ranked:
        top = max(c.objective for c in ranked)
        eligible = [c for c in ranked if objectives_equal(c.objective, top)]
    order = {id(c): i for i, c in enumerate(candidates)}
    return min(eligible, key=lambda c: (c.closeness, order[id(c)]))


def closeness(distance: float) -> tuple:
    return (round(distance, DISTANCE_DECIMALS),)


def gradual_step(before: float, best: float, learning_rate: float) -> float:
    """after = before + learning_rate·(best − before): a tenth of the way by default."""
    return before + learning_rate * (best - before)


def _is_number(x: float | None) -> bool:
    return x is not None and not math.isnan(x)


@dataclass(frozen=True)
class Choice:
    """The outcome of one guarded update: what was best, whether it is applied and why."""

    best: Candidate | None
    applied: bool
    significant: bool | None = None
    gain: float | None = None
    gain_lo: float | None = None
    gain_hi: float | None = None
    note: str = ""


@dataclass(frozen=True)
class Guard:
    """What the significance test needs: the grid's outcomes and the population resampled."""

    engine: Engine  # holding table `outcomes`
    outcomes: str
    population: np.ndarray  # decision_key of every decision resampled
    settings: Settings


def guarded_choices(
    settings_to_update: Sequence[tuple[Sequence[Candidate], Candidate]], guard: Guard
) -> list[Choice]:
    """For each (candidates, current) pair: pick the best cell, then apply it only if it differs
    from the current setting and, with require_significance, its paired-bootstrap gain over the
    current setting is above 0. All the significance tests of one grid share their resamples.

    `current` is the current setting scored as a cell of the same grid (its value is the
    setting: 0 variation, the multiplier before, the timing before)."""
    from analytics.learning.bootstrap import paired_gain_intervals

    s = guard.settings
    choices: list[Choice | None] = []
    to_test: list[int] = []
    for candidates, current in settings_to_update:
        best = pick_best(candidates, s.min_samples)
        gain = None
        if best is not None and _is_number(best.objective) and _is_number(current.objective):
            gain = best.objective - current.objective
        if best is None:
            choice = Choice(None, False, note=f"no cell has min_samples={s.min_samples} outcomes")
        elif best.value == current.value:
            choice = Choice(best, False, gain=gain, note="the current setting is best")
        elif not s.require_significance:
            choice = Choice(best, True, gain=gain, note="applied (significance not required)")
        else:
            choice = Choice(best, False, gain=gain)  # decided by the bootstrap below
            to_test.append(len(choices))
        choices.append(choice)
    pairs = [(choices[i].best.cell_id, settings_to_update[i][1].cell_id) for i in to_test]
    intervals = paired_gain_intervals(
        guard.engine,
        guard.outcomes,
        guard.population,
        pairs,
        objective=s.objective,
        samples=s.bootstrap_samples,
        confidence=s.confidence,
        seed=s.bootstrap_seed,
    )
    for i, (lo, hi) in zip(to_test, intervals, strict=True):
        significant = lo > 0
        note = (
            "applied"
            if significant
            else (f"not significant ({s.confidence:.0%} CI of gain {lo:.3g}..{hi:.3g})")
        )
        c = choices[i]
        choices[i] = Choice(c.best, significant, significant, c.gain, lo, hi, note)
    return choices


def guarded_choice(candidates: Sequence[Candidate], current: Candidate, guard: Guard) -> Choice:
    """`guarded_choices` for a single setting."""
    return guarded_choices([(candidates, current)], guard)[0]
