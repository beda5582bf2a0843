"""The bootstrap's array objective agrees with the SQL metrics: scoring the identity resample
(every decision once) must give each cell's published objective."""

from __future__ import annotations

import duckdb
import numpy as np
import pytest

from analytics.engines import DuckDBEngine
from analytics.learning.bootstrap import _cell_arrays, _day_segments, _objective
from analytics.metrics import cell_metrics, objective_value


@pytest.fixture
def outcomes() -> duckdb.DuckDBPyConnection:
    """Two cells over 300 decisions: some unresolved, exits spread over ~40 days with gaps."""
    rng = np.random.default_rng(11)
    con = duckdb.connect()
    rows = []
    for cell in (1, 2):
        for idx in range(300):
            resolved = bool(rng.random() < 0.9)
            day = int(rng.choice([0, 1, 2, 5, 9, 10, 17, 30, 41]))
            pnl = float(rng.normal(0.5 if cell == 1 else 0.0, 3)) if resolved else None
            rows.append((cell, idx, resolved, pnl, float(rng.choice([1.0, 0.5])), day))
    con.execute(
        "CREATE TABLE raw_rows (cell_id INT, decision_idx INT, resolved BOOL, pnl DOUBLE, "
        "weight DOUBLE, day INT)"
    )
    con.executemany("INSERT INTO raw_rows VALUES (?, ?, ?, ?, ?, ?)", rows)
    con.execute(
        "CREATE TEMP TABLE outcomes AS SELECT cell_id, decision_idx, resolved, pnl, "
        "pnl / 1000 AS ret, weight, TIMESTAMP '2025-01-01 12:00' + to_days(day) AS exit_t "
        "FROM raw_rows"
    )
    con.execute("CREATE TEMP TABLE cells AS SELECT DISTINCT cell_id FROM outcomes")
    return DuckDBEngine(con)


@pytest.mark.parametrize("objective", ["sharpe", "weighted_pnl", "pnl_over_drawdown"])
def test_identity_resample_scores_the_published_objective(outcomes, objective):
    metrics = {r["cell_id"]: r for r in cell_metrics(outcomes, "cells", "outcomes").to_dicts()}
    population = np.arange(300)
    identity = np.ones((1, 300), dtype=np.int64)
    for cell in (1, 2):
        wpnl, day, resolved = _cell_arrays(outcomes, "outcomes", cell, population)
        first, last = day[resolved].min(), day[resolved].max()
        segments = _day_segments(wpnl, day, resolved, int(first))
        got = _objective(identity, segments, int(last - first) + 1, objective)[0]
        assert got == pytest.approx(objective_value(metrics[cell], objective), rel=1e-9)


def test_a_resample_counts_each_drawn_decision_as_often_as_drawn(outcomes):
    population = np.arange(300)
    wpnl, day, resolved = _cell_arrays(outcomes, "outcomes", 1, population)
    counts = np.zeros((1, 300), dtype=np.int64)
    counts[0, 3], counts[0, 7] = 2, 1  # decision 3 drawn twice, decision 7 once
    first = int(day[resolved].min())
    segments = _day_segments(wpnl, day, resolved, first)
    n_days = int(day[resolved].max()) - first + 1
    got = _objective(counts, segments, n_days, "weighted_pnl")[0]
    assert got == pytest.approx(2 * wpnl[3] * resolved[3] + wpnl[7] * resolved[7])
