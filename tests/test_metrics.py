"""SPEC §6 metrics, recomputed by hand and with numpy from the outcomes a cell holds.

The weight grid is the simplest window on them: with a very low score_threshold every cell takes
every decision, so each cell's metrics are those of the executed trades' realized outcomes (pnl
as logged) plus the blocked trades' counterfactuals at weight counterfactual_weight.
"""

from __future__ import annotations

import math
from datetime import datetime, timedelta
from itertools import count
from pathlib import Path

import numpy as np
import pytest
from conftest import ingest_one, write_jsonl

from analytics.cell_stats import METRIC_COLUMNS
from analytics.config import settings_from_mapping
from analytics.context import Tradelens

T0 = datetime(2025, 1, 6)  # Monday 00:00 UTC
TAKE_ALL = {"score_threshold": -1e9, "min_samples": 100_000, "require_significance": False}
ENTRY_VALUE = 1000.0  # entry_price 100 × qty 10: realized ret = pnl / 1000
_ids = count()


def trade(pnl: float | None, exit_ts: str | None, components: dict | None = None) -> dict:
    """An executed long trade on DAY 0 with a logged pnl; exit_ts None = still open."""
    record = {"decision_id": f"t{next(_ids)}", "ts": T0.isoformat(), "symbol": "AAA",
              "direction": "long", "entry_score": 1.0, "components": components or {"a": 1.0},
              "entry_ts": T0.isoformat(), "entry_price": 100.0, "qty": 10.0}  # fmt: skip
    if exit_ts is not None:
        record |= {"exit_ts": exit_ts, "exit_price": 100.0, "pnl": pnl}
    return record


def lens_with(warehouse: Path, **settings) -> Tradelens:
    return Tradelens(warehouse, settings_from_mapping(TAKE_ALL | settings))


def load_and_run(lens: Tradelens, tmp_path: Path, trades: list[dict], blocked=(), prices=()):
    for kind, records in (("prices", prices), ("trades", trades), ("blocked", blocked)):
        if records:
            path = write_jsonl(tmp_path / f"{kind}_{next(_ids)}.jsonl", records)
            assert ingest_one(lens, kind, path, bar_time="close", interval="5m").rejected == 0
    result = lens.run()
    assert result.published, result.error


def weight_cells(lens: Tradelens) -> list[dict]:
    return lens.rows("SELECT * FROM latest.weight_grid ORDER BY component, variation")


def sharpe_by_hand(daily: list[float]) -> float:
    return float(np.mean(daily) / np.std(daily, ddof=1) * math.sqrt(365))


def drawdown_by_hand(daily: list[float]) -> float:
    peak = cum = worst = 0.0
    for x in daily:
        cum += x
        peak = max(peak, cum)
        worst = max(worst, peak - cum)
    return worst


def test_daily_sums_fill_calendar_gaps_with_zero_days(warehouse, tmp_path):
    trades = [
        trade(100.0, "2025-01-06T10:00:00"),
        trade(-30.0, "2025-01-06T23:59:59"),  # still day 0
        trade(50.0, "2025-01-08T00:00:00"),  # day 2; day 1 has no exit
        trade(-80.0, "2025-01-10T20:00:00-05:00"),  # 01:00 UTC on the 11th: day 5
        trade(None, None),  # open: unresolved
    ]
    lens = lens_with(warehouse)
    with lens.session():
        load_and_run(lens, tmp_path, trades)
        cells = weight_cells(lens)

    daily = [70.0, 0.0, 50.0, 0.0, 0.0, -80.0]  # 6 to 11 January
    assert len(cells) == 5  # one component × five variations, all equal here
    for cell in cells:
        assert cell["n"] == 4 and cell["n_unresolved"] == 1
        assert cell["total_pnl"] == pytest.approx(40.0)
        assert cell["weighted_pnl"] == pytest.approx(40.0)
        assert cell["mean_ret"] == pytest.approx((0.1 - 0.03 + 0.05 - 0.08) / 4)
        assert cell["win_rate"] == pytest.approx(0.5)
        assert cell["sharpe"] == pytest.approx(sharpe_by_hand(daily), rel=1e-9)
        # cumulative 70 70 120 120 120 40: the fall from the 120 peak is 80
        assert cell["max_drawdown"] == pytest.approx(80.0)
        assert drawdown_by_hand(daily) == 80.0


def test_drawdown_peak_starts_at_zero_and_sharpe_of_two_days(warehouse, tmp_path):
    trades = [trade(-50.0, "2025-01-06T12:00:00"), trade(20.0, "2025-01-07T12:00:00")]
    lens = lens_with(warehouse)
    with lens.session():
        load_and_run(lens, tmp_path, trades)
        cell = weight_cells(lens)[0]

    assert cell["max_drawdown"] == pytest.approx(50.0)  # below the 0 before the first day
    # mean -15, stdev(ddof=1) = sqrt(35² + 35²) = 49.497…
    assert cell["sharpe"] == pytest.approx(-15 / math.sqrt(2 * 35**2) * math.sqrt(365), rel=1e-9)


@pytest.mark.parametrize(
    ("pnls_and_exits", "sharpe_is_null"),
    [
        ([(10.0, "2025-01-06T01:00:00"), (0.0, "2025-01-06T02:00:00"),
          (-5.0, "2025-01-06T03:00:00")], True),  # one day only
        ([(40.0, "2025-01-06T01:00:00"), (40.0, "2025-01-07T01:00:00")], True),  # stdev 0
        # equal days whose float mean is off by an ulp: stdev is still 0, not 1e-17
        ([(0.1, "2025-01-06T01:00:00"), (0.1, "2025-01-07T01:00:00"),
          (0.1, "2025-01-08T01:00:00")], True),
        ([(40.0, "2025-01-06T01:00:00"), (0.0, "2025-01-08T01:00:00")], False),
    ],
)  # fmt: skip
def test_sharpe_is_null_below_two_days_or_without_spread(
    warehouse, tmp_path, pnls_and_exits, sharpe_is_null
):
    lens = lens_with(warehouse)
    with lens.session():
        load_and_run(lens, tmp_path, [trade(p, t) for p, t in pnls_and_exits])
        cell = weight_cells(lens)[0]
    pnls = [p for p, _ in pnls_and_exits]
    assert cell["win_rate"] == pytest.approx(sum(p > 0 for p in pnls) / len(pnls))  # 0 is no win
    if sharpe_is_null:
        assert cell["sharpe"] is None
    else:
        assert cell["sharpe"] == pytest.approx(sharpe_by_hand([40.0, 0.0, 0.0]), rel=1e-9)


def test_counterfactual_weight_scales_the_daily_sums(warehouse, tmp_path):
    # blocked long at 00:00, exit 01:00: 100 → 110 is +10% of 1000 = +100, weighted 0.25 → +25
    prices = [{"symbol": "BBB", "ts": (T0 + timedelta(minutes=5 * k)).isoformat(), "open": 1,
               "high": 1, "low": 1, "close": 100.0 if k < 12 else 110.0, "volume": 1}
              for k in range(20)]  # fmt: skip
    blocked = [{"decision_id": "b", "ts": T0.isoformat(), "symbol": "BBB", "direction": "long",
                "entry_score": 0.0, "components": {"a": 1.0},
                "reason": "score_below_threshold"}]  # fmt: skip
    trades = [trade(-25.0, "2025-01-06T05:00:00"), trade(60.0, "2025-01-07T05:00:00")]
    lens = lens_with(warehouse, counterfactual_weight=0.25)
    with lens.session():
        load_and_run(lens, tmp_path, trades, blocked, prices)
        cf = lens.rows("SELECT pnl FROM latest.counterfactuals")[0]
        cell = weight_cells(lens)[0]

    assert cf["pnl"] == pytest.approx(100.0)
    daily = [0.25 * 100.0 - 25.0, 60.0]
    assert cell["n"] == 3
    assert cell["total_pnl"] == pytest.approx(100.0 - 25.0 + 60.0)
    assert cell["weighted_pnl"] == pytest.approx(sum(daily))
    assert cell["mean_ret"] == pytest.approx((0.1 - 0.025 + 0.06) / 3)  # plain, unweighted
    assert cell["win_rate"] == pytest.approx(2 / 3)
    assert cell["sharpe"] == pytest.approx(sharpe_by_hand(daily), rel=1e-9)
    assert cell["max_drawdown"] == 0.0


def test_empty_cells_are_published_with_n_zero(warehouse, tmp_path):
    """No blocked trades: every `blocked` timing cell is empty; a threshold no variation reaches
    leaves every weight cell empty; open trades alone are unresolved, never resolved."""
    trades = [trade(None, None, {"a": 1.0, "b": 2.0}), trade(None, None, {"a": 0.5})]
    lens = lens_with(warehouse, score_threshold=1e6)
    with lens.session():
        load_and_run(lens, tmp_path, trades)
        timing = lens.rows("SELECT * FROM latest.timing_grid")
        weights = weight_cells(lens)
        sizing = lens.rows("SELECT * FROM latest.sizing_grid")

    assert len(timing) == 4 * 4 * 3  # every configured cell, empty or not
    assert len(weights) == 2 * 5
    assert len(sizing) == 4 * 6
    empty = {"n": 0, "n_unresolved": 0, "total_pnl": 0.0, "weighted_pnl": 0.0, "mean_ret": None,
             "win_rate": None, "sharpe": None, "max_drawdown": 0.0}  # fmt: skip
    for cell in [c for c in timing if c["population"] == "blocked"] + weights:
        assert {k: cell[k] for k in METRIC_COLUMNS} == empty
    for cell in [c for c in timing if c["population"] != "blocked"] + sizing:
        # no prices at all: replays are pending; no trade has exited: the book is unresolved
        assert {k: cell[k] for k in METRIC_COLUMNS} == empty | {"n_unresolved": 2}
