"""SPEC §19: learning policies, how a unit's §6 pick and §13 test become a step.

A policy sees one unit whose pick is not its current setting (`UnitEvidence`) and answers with a
`Step`: whether the setting moves, toward which mix of cells and how far of the way. Every
policy is deterministic: it reads only the pick, the unit's cells and §13's figures (whose draws
the SPEC fixes). docs/learning.md gives each one exactly, for independent implementations.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Sequence
from dataclasses import dataclass

import numpy as np

from analytics.learning.significance import Significance


@dataclass(frozen=True)
class Cell:
    """A cell competing to set a unit: the setting it stands for and how it did."""

    key: Hashable  # the cell's key in its grid's statistics
    value: object  # the setting: a weight, a multiplier, (delay, hold)
    n: int
    objective: float | None
    distance: tuple[float, ...]  # to the current setting; ties broken by what follows


@dataclass(frozen=True)
class UnitEvidence:
    """One unit's decision so far: §6 picked `best` (not the current setting), §13 tested it
    against `candidates` (the grid cells with min_samples other than the current one, in
    configured order; `test.resampled` rows are in that order)."""

    best: Cell
    current: Cell
    candidates: Sequence[Cell]
    test: Significance | None  # None: nothing to test (no resolved outcome on the calendar)
    rate: float  # r of SPEC §18: the share of the way a plain step takes
    alpha: float  # (1 − confidence)/2, §13's level


@dataclass(frozen=True)
class Step:
    """A policy's answer: move `fraction` of the way toward the mix of cells `toward` (cell,
    share; shares sum to 1), or stay (applied false)."""

    applied: bool
    fraction: float
    toward: tuple[tuple[Cell, float], ...]
    note: str


Policy = Callable[[UnitEvidence], Step]


def gate(unit: UnitEvidence) -> Step:
    """Step by r toward the pick iff it is significant (§13 step 6); else stay."""
    if unit.test is not None and unit.test.significant:
        return _to_best(unit, unit.rate, f"stepped toward best: {_verdict(unit)}")
    return Step(False, 0.0, ((unit.best, 1.0),), f"stays: {_verdict(unit)}")


def unguarded(unit: UnitEvidence) -> Step:
    """Every pick steps by r, significant or not."""
    note = f"stepped toward best: {_verdict(unit)}"
    if unit.test is None or not unit.test.significant:
        note += ", applied as the policy is unguarded"
    return _to_best(unit, unit.rate, note)


def bagged(unit: UnitEvidence) -> Step:
    """Step by r toward the bagged target: the mean of the per-resample best cells of §13's
    resamples (the current setting where no candidate beats it), so a pick that only luck
    favours moves the setting little and a clear one moves it as `unguarded` does."""
    if unit.test is None or unit.test.resampled is None:
        return Step(False, 0.0, ((unit.best, 1.0),), f"stays: {_verdict(unit)}")
    toward = resample_bests(unit)
    share = dict((c.key, w) for c, w in toward).get(unit.current.key, 0.0)
    if share >= 1.0:
        return Step(False, 0.0, toward, f"stays: no resample beats the current setting "
                                        f"({_verdict(unit)})")  # fmt: skip
    note = (f"stepped toward the bagged best ({1 - share:.0%} of resamples beat the current "
            f"setting; {_verdict(unit)})")  # fmt: skip
    return Step(True, unit.rate, toward, note)


def resample_bests(unit: UnitEvidence) -> tuple[tuple[Cell, float], ...]:
    """The share of §13's resamples each cell is best in: per resample r, the candidate with
    the greatest g*[c][r] if it is > 0, else the current setting (g* = 0); equal values go to
    the nearer cell (§6's distance, then configured order)."""
    resampled = unit.test.resampled
    order = sorted(range(len(unit.candidates)), key=lambda i: unit.candidates[i].distance)
    ranked = resampled[order]
    winner = ranked.argmax(axis=0)
    beats = ranked.max(axis=0) > 0
    counts = np.bincount(winner[beats], minlength=len(order))
    samples = resampled.shape[1]
    shares = [(unit.candidates[order[i]], counts[i] / samples) for i in range(len(order))
              if counts[i]]  # fmt: skip
    current = samples - int(beats.sum())
    return tuple(([(unit.current, current / samples)] if current else []) + shares)


def _to_best(unit: UnitEvidence, fraction: float, note: str) -> Step:
    return Step(True, fraction, ((unit.best, 1.0),), note)


def _verdict(unit: UnitEvidence) -> str:
    test = unit.test
    if test is None:
        return "nothing to test (no resolved outcome)"
    if test.significant:
        return f"significant (p_value {test.p_value:.3g} <= {unit.alpha:.3g})"
    return f"not significant (p_value {test.p_value:.3g} > {unit.alpha:.3g})"


POLICIES: dict[str, Policy] = {
    "gate": gate,
    "unguarded": unguarded,
    "bagged": bagged,
}


RULES = {
    "gate": "finds its p_value at most (1 − confidence)/2 = {alpha:.3g}",
    "unguarded": "lets it: a p_value above {alpha:.3g} is shown, not enforced",
    "bagged": "moves it toward the mean of the cells that are best in §13's resamples",
}


def policy_rule(name: str, alpha: float) -> str:
    """When the policy `name` lets a picked cell move the setting, in words."""
    return RULES.get(name, "steps").format(alpha=alpha)


def blend(toward: Sequence[tuple[Cell, float]], coordinate: Callable[[Cell], float]) -> float:
    """The target of a step on one coordinate of the cells' settings: Σ share·coordinate (a
    single cell at share 1 is its coordinate exactly)."""
    if len(toward) == 1:
        return coordinate(toward[0][0])
    return sum(share * coordinate(cell) for cell, share in toward)
