"""Paired bootstrap of objective(best) − objective(current) (SPEC §6 `require_significance`).

Decisions are resampled with replacement; every cell is scored on the same resample (paired).
A cell's objective sees a resample only through its daily sums, so decisions are grouped by
their exit day in every tested cell (a *day group*) and a resample of N decisions is drawn in
two steps:
  1. how many of the N draws land in each group: multinomial, with the group's share of N
     (exact);
  2. which members those k draws are, and so the group's sum in every cell: drawn member by
     member (exact) in small groups and for outliers; in the bulk of a group of at least
     NORMAL_LIMIT_MIN_GROUP decisions, the sum's normal limit: k times the bulk's mean and
     covariance across cells (the covariance keeps the pairing). This is an approximation of
     SPEC §6's literal procedure, made so that a million decisions cost about a second rather
     than 10⁹ draws; tests/test_bootstrap.py checks it against a per-decision bootstrap.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from analytics.engines import Engine
from analytics.metrics import DRAWDOWN_FLOOR, FLAT_STDEV_REL

NORMAL_LIMIT_MIN_GROUP = 200  # decisions; below, a group's draws are taken one by one
OUTLIER_SHARE = 0.01  # of a group's squared deviation: more, and a member is drawn one by one
OUTLIER_PASSES = 4
_BLOCK_ELEMENTS = 8_000_000  # resamples × (exact picks or group cells) per block: ~200 MB


@dataclass(frozen=True)
class DayGroups:
    """Decisions grouped by their exit day in every cell; day −1 = unresolved in that cell."""

    days: np.ndarray  # (groups, cells) exit day number, counted from the first exit day
    sizes: np.ndarray  # (groups,) decisions in each group
    starts: np.ndarray  # (groups,) where each group's members start in `wpnl`'s columns
    wpnl: np.ndarray  # (cells, decisions) weighted pnl (0 unresolved), a group's contiguous
    n_days: int  # days from the first to the last exit day of any cell
    resolved: np.ndarray  # (groups, cells) members resolved in each cell
    member_resolved: np.ndarray  # (cells, decisions) in `wpnl`'s order
    mean: np.ndarray  # (groups, cells) mean weighted pnl of the members
    root_cov: np.ndarray  # (groups, cells, cells) R with R·Rᵀ = the members' covariance

    @property
    def n_decisions(self) -> int:
        return int(self.sizes.sum())


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

    All pairs share each resample. `outcomes` is a temp table with (cell_id, decision_key,
    resolved, pnl, weight, exit_t); `population` the decision_key values being resampled."""
    if not pairs:
        return []
    cells = sorted({cell for pair in pairs for cell in pair})
    column = {cell: i for i, cell in enumerate(cells)}
    wpnl, day = _cell_matrix(engine, outcomes, cells, np.sort(population))
    groups = day_groups(wpnl, day)
    rng = np.random.default_rng(seed)
    gains = np.empty((len(pairs), samples))
    block = max(1, _BLOCK_ELEMENTS // max(_elements_per_resample(groups), 1))
    for start in range(0, samples, block):
        draws = min(block, samples - start)
        scores = resample_scores(rng, groups, draws, objective)
        for i, (best, current) in enumerate(pairs):
            gains[i, start : start + draws] = scores[:, column[best]] - scores[:, column[current]]
    gains = np.where(np.isnan(gains), -np.inf, gains)  # an undefined draw confirms nothing
    alpha = (1 - confidence) / 2
    with np.errstate(invalid="ignore"):  # interpolating next to -inf gives nan: it is -inf
        bounds = np.quantile(gains, [alpha, 1 - alpha], axis=1)
    bounds = np.where(np.isnan(bounds), -np.inf, bounds)
    return [(float(lo), float(hi)) for lo, hi in bounds.T]


def _cell_matrix(
    engine: Engine, outcomes: str, cells: list[int], population: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """(cells, population) weighted pnl and exit day number (days since 0001-01-01, so ≥ 0;
    −1 where unresolved); one read of `outcomes` (it may be a view over all history)."""
    rows = engine.frame(
        f"""
        SELECT cell_id, decision_key, weight * pnl AS wpnl,
               CAST(date_diff('day', DATE '0001-01-01', CAST(exit_t AS DATE)) AS BIGINT) AS day
        FROM {outcomes}
        WHERE list_contains($cells, cell_id) AND resolved
        """,
        {"cells": cells},
    )
    row = np.searchsorted(cells, rows["cell_id"].to_numpy())
    position = np.searchsorted(population, rows["decision_key"].to_numpy())
    wpnl = np.zeros((len(cells), len(population)))
    day = np.full((len(cells), len(population)), -1, dtype=np.int64)
    wpnl[row, position] = rows["wpnl"].to_numpy()
    day[row, position] = rows["day"].to_numpy()
    return wpnl, day


def day_groups(wpnl: np.ndarray, day: np.ndarray) -> DayGroups:
    """Group the decisions (columns) by their exit day in every cell (rows).

    Decisions with the same day in every cell form a group. Small groups that differ only in
    cells where some are unresolved (a weight variation that does not take them, a pending
    exit) are pooled under their resolved days when the pool reaches NORMAL_LIMIT_MIN_GROUP:
    an unresolved decision adds 0 to its cell, so the pool's sums still fall on those days.
    The outliers of a large group are split off into a group of their own, drawn one by one."""
    resolved_days = day[day >= 0]
    first_day = int(resolved_days.min()) if len(resolved_days) else 0
    n_days = int(resolved_days.max()) - first_day + 1 if len(resolved_days) else 1
    day = np.where(day >= 0, day - first_day, -1)  # 0 … n_days − 1: small keys pack well
    members, keys, sizes = _pooled_groups(day)
    members, keys, sizes = _outliers_split_off(wpnl, members, keys, sizes)
    starts = np.concatenate([[0], np.cumsum(sizes)[:-1]]).astype(np.int64)
    grouped = wpnl[:, members]
    member_resolved = day[:, members] >= 0
    resolved = (
        np.add.reduceat(member_resolved.astype(np.int64), starts, axis=1).T
        if len(sizes)
        else keys.T
    )
    mean, root_cov = _group_moments(grouped, sizes, starts)
    return DayGroups(
        keys.T, sizes, starts, grouped, n_days, resolved, member_resolved, mean, root_cov
    )


def _pooled_groups(day: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Decisions grouped by day key, small groups pooled (`_pooled_keys`): the decisions in
    group order, each group's key (cells, groups) and size."""
    order, starts = _equal_columns(day)
    sizes = np.diff(np.append(starts, day.shape[1]))
    pooled = _pooled_keys(day[:, order[starts]], sizes)
    pool_order, pool_starts = _equal_columns(pooled)
    pool_of_group = np.empty(len(sizes), dtype=np.int64)
    pool_of_group[pool_order] = np.cumsum(np.isin(np.arange(len(sizes)), pool_starts)) - 1
    group_of_position = np.repeat(np.arange(len(sizes)), sizes)
    members = order[np.argsort(pool_of_group[group_of_position], kind="stable")]
    keys = pooled[:, pool_order[pool_starts]]
    return members, keys, np.bincount(pool_of_group, weights=sizes).astype(np.int64)


def _outliers_split_off(
    wpnl: np.ndarray, members: np.ndarray, keys: np.ndarray, sizes: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Split each large group into its bulk and its outliers (same key).

    The normal limit of a sum needs every member to be a small part of its spread (Lindeberg's
    condition): a member carrying more than OUTLIER_SHARE of its group's squared deviation in
    any cell (one big loss among many small wins) is drawn one by one instead, with the other
    outliers of its group. The bulk is rechecked without them, a few passes."""
    n_groups = len(sizes)
    group = np.repeat(np.arange(n_groups), sizes)
    values = wpnl[:, members]
    large = (sizes >= NORMAL_LIMIT_MIN_GROUP)[group]
    outlier = np.zeros(len(members), dtype=bool)
    for _ in range(OUTLIER_PASSES):
        keep = (~outlier).astype(float)
        kept = np.bincount(group, weights=keep, minlength=n_groups)
        dev2 = np.empty_like(values)
        for c, row in enumerate(values):
            mean = np.bincount(group, weights=row * keep, minlength=n_groups) / np.maximum(kept, 1)
            dev2[c] = (row - mean[group]) ** 2 * keep
        total = np.stack([np.bincount(group, weights=d, minlength=n_groups) for d in dev2])
        with np.errstate(invalid="ignore", divide="ignore"):
            share = dev2 / total[:, group]
        new = large & ~outlier & (share > OUTLIER_SHARE).any(axis=0)
        if not new.any():
            break
        outlier |= new
    split = 2 * group + outlier
    order = np.argsort(split, kind="stable")
    ids, split_sizes = np.unique(split[order], return_counts=True)
    return members[order], keys[:, ids // 2], split_sizes


def _equal_columns(keys: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """An order of the columns of `keys` that makes equal columns adjacent, and where each run
    of equal columns starts in that order."""
    if not keys.shape[1]:
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
    order = np.argsort(_packed(keys), kind="stable") if _fits_packed(keys) else np.lexsort(keys)
    ordered = keys[:, order]
    changes = (ordered[:, 1:] != ordered[:, :-1]).any(axis=0)
    return order, np.flatnonzero(np.concatenate([[True], changes]))


def _fits_packed(keys: np.ndarray) -> bool:
    """Whether each column of keys ≥ −1 packs into one int64 (one sort instead of one per row)."""
    base = int(keys.max()) + 2 if keys.size else 1
    return base ** keys.shape[0] < 2**62


def _packed(keys: np.ndarray) -> np.ndarray:
    base = int(keys.max()) + 2
    packed = np.zeros(keys.shape[1], dtype=np.int64)
    for row in keys:
        packed = packed * base + (row + 1)
    return packed


def _pooled_keys(keys: np.ndarray, sizes: np.ndarray) -> np.ndarray:
    """Each group's key (cells, groups) after pooling. Small groups whose keys agree once every
    unresolved cell (−1) is filled with the group's first resolved day form a pool; a pool of
    at least NORMAL_LIMIT_MIN_GROUP decisions takes that filled key, other small groups keep
    their own."""
    resolved = keys >= 0
    first_resolved = keys[resolved.argmax(axis=0), np.arange(keys.shape[1])]
    filled = np.where(resolved, keys, first_resolved)
    small = np.flatnonzero(sizes < NORMAL_LIMIT_MIN_GROUP)
    order, starts = _equal_columns(filled[:, small])
    pool_size = np.add.reduceat(sizes[small][order], starts) if len(small) else sizes[small]
    large_pool = np.repeat(
        pool_size >= NORMAL_LIMIT_MIN_GROUP, np.diff(np.append(starts, len(small)))
    )
    pooled = keys.copy()
    moved = small[order][large_pool]
    pooled[:, moved] = filled[:, moved]
    return pooled


def _group_moments(
    wpnl: np.ndarray, sizes: np.ndarray, starts: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Per group: the members' mean and a root of their (population) covariance across cells."""
    n_cells = wpnl.shape[0]
    if not len(sizes):
        return np.zeros((0, n_cells)), np.zeros((0, n_cells, n_cells))
    mean = (np.add.reduceat(wpnl, starts, axis=1) / sizes).T
    centered = wpnl - np.repeat(mean, sizes, axis=0).T
    cov = np.empty((len(sizes), n_cells, n_cells))
    for a in range(n_cells):
        for b in range(a, n_cells):
            cov[:, a, b] = cov[:, b, a] = np.add.reduceat(centered[a] * centered[b], starts) / sizes
    eigenvalues, vectors = np.linalg.eigh(cov)
    return mean, vectors * np.sqrt(np.clip(eigenvalues, 0, None))[:, None, :]


def resample_scores(
    rng: np.random.Generator, groups: DayGroups, draws: int, objective: str
) -> np.ndarray:
    """(draws, cells) objective of each cell on each of `draws` paired resamples."""
    n = groups.n_decisions
    n_groups, n_cells = len(groups.sizes), groups.wpnl.shape[0]
    counts = (
        rng.multinomial(n, groups.sizes / n, size=draws)
        if n
        else np.zeros((draws, n_groups), dtype=np.int64)
    )
    sums = np.empty((draws, n_groups, n_cells))
    drawn = np.empty((draws, n_groups, n_cells), dtype=np.int64)  # resolved members drawn
    large = np.flatnonzero(groups.sizes >= NORMAL_LIMIT_MIN_GROUP)
    small = np.flatnonzero(groups.sizes < NORMAL_LIMIT_MIN_GROUP)
    sums[:, large] = _normal_limit_sums(rng, counts[:, large], groups, large)
    drawn[:, large] = _resolved_drawn(rng, counts[:, large], groups, large)
    sums[:, small], drawn[:, small] = _exact_sums(rng, counts[:, small], groups, small)
    return np.column_stack(
        [score(*daily_sums(sums[:, :, c], drawn[:, :, c], groups.days[:, c], groups.n_days),
               objective)
         for c in range(n_cells)]
    )  # fmt: skip


def _resolved_drawn(
    rng: np.random.Generator, counts: np.ndarray, groups: DayGroups, which: np.ndarray
) -> np.ndarray:
    """(draws, groups, cells) how many of a large group's drawn members are resolved in each
    cell: all or none, except in pooled groups, where it is binomial (it only decides whether
    a day has any outcome)."""
    share = groups.resolved[which] / groups.sizes[which][:, None]
    drawn = counts[:, :, None] * (share == 1)
    group, cell = np.nonzero((share > 0) & (share < 1))
    drawn[:, group, cell] = rng.binomial(counts[:, group], share[group, cell])
    return drawn


def _elements_per_resample(groups: DayGroups) -> int:
    small = groups.sizes < NORMAL_LIMIT_MIN_GROUP
    return int(groups.sizes[small].sum()) + len(groups.sizes) * (groups.wpnl.shape[0] + 1)


def _exact_sums(
    rng: np.random.Generator, counts: np.ndarray, groups: DayGroups, which: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """(draws, groups, cells) sums of `counts` members drawn with replacement in each group,
    and how many of the drawn were resolved in each cell."""
    draws, n_groups = counts.shape
    n_cells = groups.wpnl.shape[0]
    slot = np.repeat(np.arange(draws * n_groups), counts.ravel())  # (draw, group) of each pick
    group = which[slot % n_groups] if n_groups else slot
    picks = groups.starts[group] + rng.integers(0, groups.sizes[group]) if len(slot) else slot
    size = draws * n_groups
    sums = [
        np.bincount(slot, weights=groups.wpnl[c, picks], minlength=size) for c in range(n_cells)
    ]
    drawn = [
        np.bincount(slot, weights=groups.member_resolved[c, picks], minlength=size)
        for c in range(n_cells)
    ]
    shape = (draws, n_groups, n_cells)
    return np.stack(sums, axis=-1).reshape(shape), np.stack(drawn, axis=-1).reshape(shape)


def _normal_limit_sums(
    rng: np.random.Generator, counts: np.ndarray, groups: DayGroups, which: np.ndarray
) -> np.ndarray:
    """(draws, groups, cells) sums of k draws from each group by their normal limit:
    k·mean + √k·R·z, z standard normal."""
    z = rng.standard_normal((counts.shape[0], len(which), groups.wpnl.shape[0]))
    spread = np.einsum("gck,dgk->dgc", groups.root_cov[which], z)
    return counts[:, :, None] * groups.mean[which][None] + np.sqrt(counts)[:, :, None] * spread


def daily_sums(
    group_sums: np.ndarray, drawn: np.ndarray, group_days: np.ndarray, n_days: int
) -> tuple[np.ndarray, np.ndarray]:
    """One cell's (draws, days) daily sums, and whether any resolved outcome was drawn that day
    (`drawn`: resolved members drawn per group)."""
    draws = group_sums.shape[0]
    daily = np.zeros((draws, n_days))
    present = np.zeros((draws, n_days), dtype=bool)
    resolved = np.flatnonzero(group_days >= 0)
    if len(resolved):
        resolved = resolved[np.argsort(group_days[resolved], kind="stable")]
        days = group_days[resolved]
        starts = np.flatnonzero(np.r_[True, days[1:] != days[:-1]])
        daily[:, days[starts]] = np.add.reduceat(group_sums[:, resolved], starts, axis=1)
        present[:, days[starts]] = np.add.reduceat(drawn[:, resolved], starts, axis=1) > 0
    return daily, present


def score(daily: np.ndarray, present: np.ndarray, objective: str) -> np.ndarray:
    """The objective of each row of daily sums, as SPEC §6 defines it on the full set."""
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
