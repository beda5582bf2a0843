"""SPEC §19's learning policies on hand-made units: each Step is worked out by hand from the
definitions in docs/learning.md (no figure copied from the program)."""

from __future__ import annotations

import numpy as np
import pytest

from analytics.config import ConfigError, settings_from_mapping
from analytics.learning.policies import (
    POLICIES,
    Cell,
    UnitEvidence,
    bagged,
    blend,
    gate,
    unguarded,
)
from analytics.learning.significance import Significance

CURRENT = Cell("now", 1.0, 50, 0.0, (0.0,))
# three multipliers around the current 1.0: distances 0.5, 0.25, 1.0
HALF, THREE_Q, DOUBLE = (Cell(f"m{v}", v, 50, 1.0, (abs(v - 1.0),)) for v in (0.5, 0.75, 2.0))
CANDIDATES = (HALF, THREE_Q, DOUBLE)


def unit(p_value: float, gain_lo: float = -1.0, resampled=None, best: Cell = DOUBLE):
    g = None if resampled is None else np.array(resampled, dtype=float)
    test = Significance(p_value=p_value, significant=p_value <= 0.05, gain=2.0, gain_lo=gain_lo,
                        gain_hi=3.0, resampled=g)  # fmt: skip
    return UnitEvidence(best, CURRENT, CANDIDATES, test, rate=0.1, alpha=0.05)


def target(step) -> float:
    return blend(step.toward, lambda c: c.value)


def test_gate_steps_only_when_significant():
    assert (gate(unit(0.04)).applied, gate(unit(0.04)).fraction) == (True, 0.1)
    assert target(gate(unit(0.04))) == 2.0
    stays = gate(unit(0.2))
    assert not stays.applied
    assert stays.note == "stays: not significant (p_value 0.2 > 0.05)"


def test_unguarded_always_steps_and_says_so():
    step = unguarded(unit(0.6))
    assert (step.applied, step.fraction, target(step)) == (True, 0.1, 2.0)
    assert step.note.endswith(", applied as the policy is unguarded")


def test_bagged_target_is_the_mix_of_the_resamples_bests():
    """Five resamples of g*[c][r] (rows: 0.5, 0.75, 2.0 in configured order):
    r1: 2.0 wins (3 > 1 > 0); r2: nothing > 0: current; r3: 0.5 and 0.75 tie at 2: the nearer
    0.75 (distance 0.25); r4: 2.0; r5: 0.5 alone (1 > 0 > −1).
    Shares: current 1/5, 0.75 1/5, 0.5 1/5, 2.0 2/5 → target 0.2·1 + 0.2·0.75 + 0.2·0.5 +
    0.4·2 = 1.25."""
    g = [[1.0, -1.0, 2.0, 0.0, 1.0],
         [0.5, -2.0, 2.0, 0.0, 0.0],
         [3.0, 0.0, 1.0, 5.0, -1.0]]  # fmt: skip
    step = bagged(unit(0.3, resampled=g))
    shares = {cell.key: share for cell, share in step.toward}
    assert shares == {"now": 0.2, "m0.75": 0.2, "m0.5": 0.2, "m2.0": 0.4}
    assert step.applied and step.fraction == 0.1
    assert target(step) == pytest.approx(1.25, rel=1e-15)
    assert step.note.startswith("stepped toward the bagged best (80% of resamples beat")


def test_bagged_stays_when_no_resample_beats_the_current_setting():
    step = bagged(unit(0.9, resampled=[[0.0, -1.0], [-2.0, 0.0], [-0.5, -0.1]]))
    assert not step.applied
    assert step.note.startswith("stays: no resample beats the current setting")


def test_every_policy_is_a_config_choice_and_an_unknown_one_lists_them():
    for name in POLICIES:
        assert settings_from_mapping({"learning_policy": name}).learning_policy == name
    with pytest.raises(ConfigError) as error:
        settings_from_mapping({"learning_policy": "bold"})
    assert str(error.value) == (
        f"config: key 'learning_policy' must be one of {', '.join(POLICIES)}, not 'bold'"
    )
    # the alias, and learning_policy winning over it
    assert settings_from_mapping({"require_significance": False}).learning_policy == "unguarded"
    assert settings_from_mapping({"require_significance": True}).learning_policy == "gate"
    both = {"require_significance": False, "learning_policy": "gate"}
    assert settings_from_mapping(both).learning_policy == "gate"
