"""SPEC §13, the reality check over a unit's cells resampling days: p_values counted by hand on
small matrices, agreement with a plain step-by-step implementation (tests/spec13.py), its level
on markets with no edge, and its power on one with a real edge."""

from __future__ import annotations

import numpy as np
import pytest
from conftest import ingest_one
from spec13 import reality_check as plain_reality_check

from analytics.config import settings_from_mapping
from analytics.context import Tradelens
from analytics.learning.significance import reality_check
from analytics.sample_data import COMPONENTS, write_sample_data


def check(X, current, candidates, best, objective="weighted_pnl", samples=200, seed=0,
          confidence=0.9):  # fmt: skip
    return reality_check(
        np.asarray(X, dtype=float), current, candidates, best,
        objective=objective, samples=samples, seed=seed, confidence=confidence,
    )  # fmt: skip


def test_two_days_counted_by_hand():
    """Current earns nothing; the candidate 1 then 3. Each resample draws 2 days of 2, so the
    candidate's resampled gain is 2, 4 or 6 (days 00, 01/10, 11); T = 4."""
    samples, seed = 8, 5
    idx = np.random.default_rng(seed).integers(0, 2, size=(samples, 2))
    candidate = np.array([1.0, 3.0])
    g_star = candidate[idx].sum(axis=1)  # one sum per resample, by hand: no product code
    m = g_star.mean()
    k = int(((g_star - m) >= 4.0).sum())
    result = check([[0, 0], [1, 3]], 0, [1], 1, samples=samples, seed=seed)
    assert result.p_value == (1 + k) / (samples + 1)
    assert result.gain == 4.0
    assert (result.gain_lo, result.gain_hi) == tuple(np.quantile(g_star, [0.05, 0.95]))
    # significant iff 1 + k <= 0.05 · 9 = 0.45: never with 8 draws
    assert result.significant is False


def test_the_best_of_many_candidates_is_judged_against_all_of_them():
    """T* takes the max over every candidate: a second candidate as good as the best makes the
    best's gain less surprising than it is alone."""
    rng = np.random.default_rng(1)
    current = rng.normal(0, 1, 30)
    best = current + 0.8 + rng.normal(0, 1, 30)
    alone = check([current, best], 0, [1], 1, samples=500)
    twin = check([current, best, current + 0.8 + rng.normal(0, 1, 30)], 0, [1, 2], 1,
                 samples=500)  # fmt: skip
    assert twin.p_value >= alone.p_value
    assert twin.gain == alone.gain


@pytest.mark.parametrize("objective", ["sharpe", "weighted_pnl", "pnl_over_drawdown"])
def test_agrees_exactly_with_the_plain_implementation(objective: str):
    rng = np.random.default_rng(7)
    for trial in range(6):
        days, cells = int(rng.integers(2, 40)), int(rng.integers(2, 6))
        X = rng.normal(0, 10, (cells, days)) * (rng.random((cells, days)) < 0.7)
        X[:, rng.integers(0, days)] = 0.0  # days without outcomes: equal values
        candidates = list(range(1, cells))
        best = int(rng.choice(candidates))
        got = check(X, 0, candidates, best, objective, samples=300, seed=trial)
        p, significant, gain, lo, hi = plain_reality_check(
            X, 0, candidates, best, name=objective, samples=300, seed=trial, confidence=0.9
        )
        assert got.p_value == p  # exact: the draws are the SPEC's
        assert got.significant == significant
        assert got.gain == pytest.approx(gain, rel=1e-9, abs=1e-12)
        assert (got.gain_lo, got.gain_hi) == pytest.approx((lo, hi), rel=1e-9, abs=1e-9)


def test_an_all_equal_series_has_no_sharpe_and_counts_as_zero():
    """Every day 0.1: stdev 0 exactly, whatever floating point leaves; obj 0 both on the calendar
    and in every resample, so the gain is exactly 0 and nothing is significant."""
    flat = [0.1] * 5
    result = check([[0.0] * 5, flat], 0, [1], 1, objective="sharpe", samples=50)
    assert result.gain == 0.0 and result.gain_lo == result.gain_hi == 0.0
    assert result.p_value == 1.0 and result.significant is False


def test_one_day_is_never_significant_and_no_day_is_not_tested():
    one = check([[0.0], [100.0]], 0, [1], 1, samples=40)
    assert one.significant is False  # D >= 2 is required
    assert check(np.zeros((2, 0)), 0, [1], 1) is None


def test_a_negative_gain_on_the_calendar_is_not_significant():
    """b is picked on its own dates but loses on the calendar: T <= 0 cannot pass."""
    result = check([[5, 5, 5, 5], [1, 2, 1, 2]], 0, [1], 1, samples=100)
    assert result.gain < 0 and result.significant is False


def test_on_markets_without_an_edge_it_errs_at_its_level():
    """200 null markets, 16 cells sharing each day's market move (a common day effect) and
    their own noise: the best cell passes about 5% of the time, not 20–70% as picking the best
    and testing it alone would (binomial: 5% of 200 = 10, 3 sd ≈ 9)."""
    rng = np.random.default_rng(2026)
    passed = alone = 0
    for market in range(200):
        days = 60
        common = rng.normal(0, 1, days)
        X = common + rng.normal(0, 1, (17, days))
        means = X.mean(axis=1) / X.std(axis=1, ddof=1)
        best = 1 + int(np.argmax(means[1:]))
        passed += check(X, 0, list(range(1, 17)), best, "sharpe", samples=200, seed=market,
                        confidence=0.9).significant  # fmt: skip
        alone += check(X, 0, [best], best, "sharpe", samples=200, seed=market,
                       confidence=0.9).significant  # fmt: skip
    assert passed <= 19
    assert alone >= 30  # the best tested alone lets luck through (the reason for §13)


def test_a_real_edge_passes():
    rng = np.random.default_rng(11)
    passed = 0
    for market in range(20):
        days = 60
        X = rng.normal(0, 1, (6, days))
        X[3] += 1.0  # one cell earns a standard deviation a day more
        passed += check(X, 0, list(range(1, 6)), 3, "sharpe", samples=200, seed=market,
                        confidence=0.9).significant  # fmt: skip
    assert passed >= 18


@pytest.mark.slow
def test_tradelens_run_on_generated_null_markets_steps_at_the_tests_level(tmp_path):
    """End to end, as the issue measured it (random-walk prices, components without signal):
    over 12 markets, the share of tested units that step stays near the 5% the test allows,
    where the select-then-test rule stepped 21.5% (binomial: 5% of about 120 tests = 6, and
    the bound is 4 sd above)."""
    null = {c: 0.0 for c in COMPONENTS}
    settings = settings_from_mapping(
        {"score_threshold": 0.5, "fee_bps": 0, "slippage_bps": 0, "learning_policy": "gate"}
    )  # the gate steps at its level
    tested = stepped = 0
    for seed in range(12):
        files = write_sample_data(tmp_path / f"m{seed}", seed=100 + seed, symbols=2, days=30,
                                  decisions=900, signal=null)  # fmt: skip
        lens = Tradelens(tmp_path / f"m{seed}.duckdb", settings)
        with lens.session():
            for kind, path in (("prices", files.prices), ("trades", files.trades),
                               ("blocked", files.blocked)):  # fmt: skip
                ingest_one(lens, kind, path, interval="1m")
            assert lens.run().status == "success"
            # the timing unit publishes two rows (delay, hold) for one test: count it once
            rows = lens.rows(
                "SELECT applied FROM latest.learned_state WHERE p_value IS NOT NULL "
                "AND name <> 'hold_min'"
            )
        tested += len(rows)
        stepped += sum(r["applied"] for r in rows)
    assert tested >= 100
    assert stepped / tested <= 0.05 + 4 * (0.05 * 0.95 / tested) ** 0.5, (stepped, tested)
