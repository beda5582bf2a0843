"""The significance bootstrap (SPEC §6).

- Scoring the identity resample (every decision once) gives each cell's published objective.
- Its gain quantiles agree with a straightforward per-decision bootstrap written here
  (N indices drawn with replacement per resample), both where day groups are resampled member
  by member and where large groups use the normal limit of their sum.
"""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np
import polars as pl
import pytest

from analytics.context import Tradelens
from analytics.engines import DuckDBEngine
from analytics.learning.bootstrap import (
    NORMAL_LIMIT_MIN_GROUP,
    _cell_matrix,
    daily_sums,
    day_groups,
    resample_scores,
    score,
)
from analytics.metrics import cell_metrics, objective_value

OBJECTIVES = ["sharpe", "weighted_pnl", "pnl_over_drawdown"]


@pytest.fixture
def outcomes(warehouse) -> Iterator[DuckDBEngine]:
    """Two cells over 300 decisions: some unresolved, exits spread over ~40 days with gaps."""
    rng = np.random.default_rng(11)
    rows = []
    for cell in (1, 2):
        for idx in range(300):
            resolved = bool(rng.random() < 0.9)
            day = int(rng.choice([0, 1, 2, 5, 9, 10, 17, 30, 41]))
            pnl = float(rng.normal(0.5 if cell == 1 else 0.0, 3)) if resolved else None
            rows.append((cell, idx, resolved, pnl, float(rng.choice([1.0, 0.5])), day))
    raw_rows = pl.DataFrame(
        rows,
        schema={"cell_id": pl.Int32, "decision_key": pl.Int32, "resolved": pl.Boolean,
                "pnl": pl.Float64, "weight": pl.Float64, "day": pl.Int32},
        orient="row",
    )  # fmt: skip
    lens = Tradelens(warehouse)
    with lens.session(), lens.warehouse(write=True) as wh:
        engine = DuckDBEngine(wh)
        engine.load("raw_rows", raw_rows)
        wh.temp_table(
            "outcomes",
            "SELECT cell_id, decision_key, resolved, pnl, pnl / 1000 AS ret, weight, "
            "TIMESTAMP '2025-01-01 12:00' + to_days(day) AS exit_t FROM raw_rows",
        )
        wh.temp_table("cells", "SELECT DISTINCT cell_id FROM outcomes")
        yield engine


@pytest.mark.parametrize("objective", OBJECTIVES)
def test_identity_resample_scores_the_published_objective(outcomes, objective):
    metrics = {r["cell_id"]: r for r in cell_metrics(outcomes, "cells", "outcomes").to_dicts()}
    wpnl, day = _cell_matrix(outcomes, "outcomes", [1, 2], np.arange(300))
    groups = day_groups(wpnl, day)
    totals = np.add.reduceat(groups.wpnl, groups.starts, axis=1).T[None]  # each member once
    drawn = groups.resolved[None]
    for column, cell in enumerate((1, 2)):
        daily, present = daily_sums(totals[:, :, column], drawn[:, :, column],
                                    groups.days[:, column], groups.n_days)  # fmt: skip
        got = score(daily, present, objective)[0]
        assert got == pytest.approx(objective_value(metrics[cell], objective), rel=1e-9)


def _per_decision_gains(wpnl, day, samples, seed, objective):
    """The textbook paired bootstrap: per resample, N decision indices drawn with replacement,
    each cell's daily sums from the drawn decisions, objective(cell 0) − objective(cell 1)."""
    rng = np.random.default_rng(seed)
    n = wpnl.shape[1]
    first = day[day >= 0].min()
    n_days = day.max() - first + 1
    gains = []
    for _ in range(samples):
        drawn = rng.integers(0, n, n)
        values = []
        for c in range(2):
            d, w = day[c, drawn], wpnl[c, drawn]
            d, w = d[d >= 0] - first, w[d >= 0]
            daily = np.bincount(d, weights=w, minlength=n_days)
            present = np.flatnonzero(np.bincount(d, minlength=n_days))
            span = daily[present[0] : present[-1] + 1]
            if objective == "weighted_pnl":
                values.append(daily.sum())
            elif objective == "pnl_over_drawdown":
                cum = np.cumsum(daily)
                drawdown = max((np.maximum(np.maximum.accumulate(cum), 0) - cum).max(), 0)
                values.append(daily.sum() / max(drawdown, 1e-9))
            else:
                values.append(span.mean() / span.std(ddof=1) * np.sqrt(365))
        gains.append(values[0] - values[1])
    return np.array(gains)


def _paired_market(n: int, n_days: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Cell 0 and a correlated cell 1 with fat-tailed (Student t, 3 df) P&L; cell 1 misses
    10% of the decisions (unresolved) and exits 20% of them a day later."""
    rng = np.random.default_rng(seed)
    base = rng.standard_t(3, n) * 10
    wpnl = np.stack([base + 1.5, base + rng.normal(0, 4, n)])
    exit_day = rng.integers(0, n_days, n)
    later = (rng.random(n) < 0.2) & (exit_day < n_days - 1)
    day = np.stack([exit_day, exit_day + later])
    missing = rng.random(n) < 0.1
    day[1, missing], wpnl[1, missing] = -1, 0.0
    return wpnl, day


def _resampled_gains(wpnl, day, samples, seed, objective):
    groups = day_groups(wpnl, day)
    scores = resample_scores(np.random.default_rng(seed), groups, samples, objective)
    return scores[:, 0] - scores[:, 1], groups


@pytest.mark.parametrize("objective", OBJECTIVES)
@pytest.mark.parametrize(("n", "n_days", "large_groups"), [(600, 20, False), (40_000, 25, True)])
def test_gain_quantiles_match_a_per_decision_bootstrap(objective, n, n_days, large_groups):
    wpnl, day = _paired_market(n, n_days, seed=5)
    samples = 2000
    ours, groups = _resampled_gains(wpnl, day, samples, 1, objective)
    reference = _per_decision_gains(wpnl, day, samples, 2, objective)

    assert (groups.sizes >= NORMAL_LIMIT_MIN_GROUP).any() == large_groups
    assert (groups.sizes < NORMAL_LIMIT_MIN_GROUP).any()  # both kinds in the large case
    # Monte Carlo error of a 5% quantile of 2000 draws is ~0.05 sd per side: allow ~3 errors
    # of both, in a unit that fat tails (pnl_over_drawdown) don't inflate: 1 sd ≈ 90% range/3.3
    sd = (np.quantile(reference, 0.95) - np.quantile(reference, 0.05)) / 3.29
    for q in (0.05, 0.25, 0.5, 0.75, 0.95):
        assert abs(np.quantile(ours, q) - np.quantile(reference, q)) < 0.2 * sd, q


def test_only_large_groups():
    wpnl, day = _paired_market(4 * NORMAL_LIMIT_MIN_GROUP, 1, seed=4)
    day[1] = day[0]  # one exit day and every decision resolved in both cells: one group
    wpnl[1] = wpnl[0] + 1.0  # cell 1 gains 1.0 on each draw of every resample
    gains, groups = _resampled_gains(wpnl, day, 20, 1, "weighted_pnl")
    assert {tuple(k) for k in groups.days} == {(0, 0)}  # the bulk (and outliers, if any)
    assert groups.sizes.max() >= NORMAL_LIMIT_MIN_GROUP
    assert gains == pytest.approx(np.full(20, -len(wpnl[0])), abs=1e-6)


def test_small_groups_differing_only_where_unresolved_are_pooled():
    """A weight grid's shape: one exit day per decision, and each variation leaves out a few.
    Every pattern of left-out cells is a small group; pooled per day they are large."""
    rng = np.random.default_rng(8)
    n, n_days, n_cells = 6_000, 6, 4  # 1000 a day: patterns of 240 (all taken) or ~100
    wpnl = np.tile(rng.standard_t(3, n) * 10, (n_cells, 1)) + rng.normal(0, 1, (n_cells, n))
    day = np.tile(rng.integers(0, n_days, n), (n_cells, 1))
    left_out = rng.random((n_cells, n)) < 0.3
    day[left_out], wpnl[left_out] = -1, 0.0
    groups = day_groups(wpnl, day)
    # a pool per day (with its outliers split off) and the never-resolved decisions
    assert len({tuple(k) for k in groups.days}) == n_days + 1
    assert groups.sizes.sum() == n
    for d in range(n_days):  # each cell's resolved decisions of day d, all in day d's groups
        expected = (day[:, day.max(axis=0) == d] >= 0).sum(axis=1)
        assert np.array_equal(groups.resolved[groups.days.max(axis=1) == d].sum(axis=0), expected)
    samples = 2000
    ours = resample_scores(np.random.default_rng(1), groups, samples, "sharpe")
    gains = ours[:, 0] - ours[:, 1]
    reference = _per_decision_gains(wpnl[:2], day[:2], samples, 2, "sharpe")
    sd = (np.quantile(reference, 0.95) - np.quantile(reference, 0.05)) / 3.29
    for q in (0.05, 0.5, 0.95):
        assert abs(np.quantile(gains, q) - np.quantile(reference, q)) < 0.2 * sd, q


def test_one_big_loss_among_many_small_wins_is_not_smoothed_away():
    """999 decisions gain 2.8 and one loses 1000 in the best cell, all on one day. A resample
    draws the loss L ~ Poisson(1) times and gains 2.8·(1000 − L) − 1000·L, below 0 once L ≥ 3:
    in 1 − e⁻¹·(1 + 1 + ½) ≈ 8% of resamples. So the 5% bound is below 0 (not significant);
    a normal curve fitted to the whole group would put it near +170."""
    n = 1000
    wpnl = np.zeros((2, n))
    wpnl[0] = 2.8
    wpnl[0, 0] = -1000.0
    day = np.zeros((2, n), dtype=np.int64)
    ours, groups = _resampled_gains(wpnl, day, 4000, 1, "weighted_pnl")
    reference = _per_decision_gains(wpnl, day, 4000, 2, "weighted_pnl")

    assert groups.sizes.min() < NORMAL_LIMIT_MIN_GROUP  # the loss is drawn one by one
    assert np.quantile(reference, 0.05) < 0
    assert np.quantile(ours, 0.05) < 0
    for q in (0.05, 0.25, 0.5, 0.75):
        assert abs(np.quantile(ours, q) - np.quantile(reference, q)) < 60, q
    assert np.mean(ours <= 0) == pytest.approx(np.mean(reference <= 0), abs=0.02)


def test_seeded_resamples_repeat_and_differ_by_seed():
    wpnl, day = _paired_market(5000, 10, seed=3)
    first, _ = _resampled_gains(wpnl, day, 50, 7, "sharpe")
    again, _ = _resampled_gains(wpnl, day, 50, 7, "sharpe")
    other, _ = _resampled_gains(wpnl, day, 50, 8, "sharpe")
    assert np.array_equal(first, again)
    assert not np.array_equal(first, other)
