"""SPEC §13 written out plainly, for tests: every resample gathered and scored one by one.

An independent implementation of the reality check (no counts matrix, no matrix products), so
the product's p_values, gains and quantiles can be compared with it exactly.
"""

from __future__ import annotations

import math

import numpy as np


def objective(series: np.ndarray, name: str) -> float:
    if name == "weighted_pnl":
        return float(series.sum())
    if name == "pnl_over_drawdown":
        cumulative = np.cumsum(series)
        peak = np.maximum(np.maximum.accumulate(cumulative), 0.0)
        drawdown = max(float((peak - cumulative).max()), 0.0)
        return float(series.sum()) / max(drawdown, 1e-9)
    if len(series) < 2 or np.all(series == series[0]):
        return 0.0  # a null sharpe counts as 0
    return float(series.mean() / series.std(ddof=1) * math.sqrt(365))


def reality_check(X, current, candidates, best, *, name, samples, seed, confidence):
    """(p_value, significant, gain, gain_lo, gain_hi) of SPEC §13, step by step."""
    X = np.asarray(X, dtype=float)
    D = X.shape[1]
    idx = np.random.default_rng(seed).integers(0, D, size=(samples, D))

    def gains(c):
        return np.array(
            [objective(X[c][idx[r]], name) - objective(X[current][idx[r]], name)
             for r in range(samples)]
        )  # fmt: skip

    g_star = {c: gains(c) for c in set(candidates) | {best}}
    m = {c: g_star[c].mean() for c in g_star}
    T = objective(X[best], name) - objective(X[current], name)
    T_star = [max(g_star[c][r] - m[c] for c in candidates) for r in range(samples)]
    k = sum(1 for t in T_star if t >= T)
    alpha = (1 - confidence) / 2
    lo, hi = np.quantile(g_star[best], [alpha, 1 - alpha])
    significant = D >= 2 and 1 + k <= alpha * (samples + 1) + 1e-9
    return (1 + k) / (samples + 1), significant, T, float(lo), float(hi)
