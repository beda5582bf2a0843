"""Learning (SPEC §6–§9): weight and sizing grids, timing recommendation, guards and updates.

Populations are a handful of decisions whose scores sit clearly on one side of score_threshold
under each variation, so which decisions a cell takes, and its metrics, are worked out by hand.
"""

from __future__ import annotations

import shutil
from datetime import datetime, timedelta
from itertools import count
from pathlib import Path

import numpy as np
import pytest
from conftest import ingest_one, write_jsonl
from spec13 import reality_check as plain_reality_check

from analytics.config import settings_from_mapping
from analytics.context import Tradelens

T0 = datetime(2025, 1, 6)  # Monday 00:00 UTC
# Plain picking: the best cell by weighted_pnl is applied, from a single outcome up, a step per
# evaluated run (SPEC §18's "run": these runs add evidence without new bars).
PLAIN = {"objective": "weighted_pnl", "min_samples": 1, "require_significance": False,
         "learning_period": "run"}  # fmt: skip
_ids = count()


def day(d: int, hour: int = 5) -> str:
    return (T0 + timedelta(days=d, hours=hour)).isoformat()


def trade(decision_id: str, components: dict, pnl: float | None, *, score: float = 1.0,
          exit_day: int = 0) -> dict:  # fmt: skip
    """Executed long trade opened at T0 with a logged pnl; pnl None = still open.
    entry_price × qty = 1000, so its realized ret is pnl / 1000."""
    record = {"decision_id": decision_id, "ts": T0.isoformat(), "symbol": "AAA",
              "direction": "long", "entry_score": score, "components": components,
              "entry_ts": T0.isoformat(), "entry_price": 100.0, "qty": 10.0}  # fmt: skip
    if pnl is not None:
        record |= {"exit_ts": day(exit_day), "exit_price": 100.0, "pnl": pnl}
    return record


def blocked(decision_id: str, components: dict, *, symbol: str = "BBB", minute: float = 0,
            reason: str = "score_below_threshold") -> dict:  # fmt: skip
    return {"decision_id": decision_id, "ts": (T0 + timedelta(minutes=minute)).isoformat(),
            "symbol": symbol, "direction": "long", "entry_score": 0.0,
            "components": components, "reason": reason}  # fmt: skip


def rising_bars(symbol: str = "BBB") -> list[dict]:
    """Close 100 until 00:55, 110 from 01:00: a long blocked at 00:00 earns +10% in 60 min."""
    return [{"symbol": symbol, "ts": (T0 + timedelta(minutes=5 * k)).isoformat(), "open": 1,
             "high": 1, "low": 1, "close": 100.0 if k < 12 else 110.0, "volume": 1}
            for k in range(30)]  # fmt: skip


def lens_with(warehouse: Path, **settings) -> Tradelens:
    return Tradelens(warehouse, settings_from_mapping(settings))


def ingest(lens: Tradelens, tmp_path: Path, trades=(), blocked_trades=(), prices=()) -> None:
    for kind, records in (("prices", prices), ("trades", trades), ("blocked", blocked_trades)):
        if records:
            path = write_jsonl(tmp_path / f"{kind}_{next(_ids)}.jsonl", records)
            assert ingest_one(lens, kind, path, bar_time="close", interval="5m").rejected == 0


def run(lens: Tradelens):
    result = lens.run()
    assert result.published and result.status == "success", result.error
    return result


def learned(lens: Tradelens, kind: str) -> dict[str, dict]:
    rows = lens.rows("SELECT * FROM latest.learned_state WHERE kind = ?", [kind])
    return {r["name"]: r for r in rows}


def grid(lens: Tradelens, view: str, *keys: str) -> dict[tuple, dict]:
    return {tuple(r[k] for k in keys): r for r in lens.rows(f"SELECT * FROM {view}")}


# --------------------------------------------------------------------------- weight grid


def test_weight_variation_flips_decisions_across_the_threshold(warehouse, tmp_path):
    """θ = 0, W = 1. Halving `a` drops x1 (0.5 − 0.6 < 0) and takes x2 (−0.5 + 0.7 ≥ 0)."""
    trades = [
        trade("x1", {"a": 1.0, "b": -0.6}, 30.0),  # score 0.4
        trade("x3", {"b": 1.0}, -10.0),  # always taken
        trade("x5", {"a": 1.0, "b": 1.0}, None),  # open: always taken, always unresolved
    ]
    blocked_trades = [
        blocked("x2", {"a": -1.0, "b": 0.7}),  # score −0.3; counterfactual +100
        # other reasons stay blocked whatever the score (one resolved, one pending)
        blocked("x4", {"a": 5.0, "b": 5.0}, reason="risk_limit"),
        blocked("x6", {"a": 5.0, "b": 5.0}, symbol="NOPRICE", reason="max_exposure"),
    ]
    lens = lens_with(warehouse, score_threshold=0.0, **PLAIN)
    with lens.session():
        ingest(lens, tmp_path, trades, blocked_trades, rising_bars())
        run(lens)
        cells = grid(lens, "latest.weight_grid", "component", "variation")
        state = learned(lens, "weight")
        cf = {r["decision_id"]: r for r in lens.rows("SELECT * FROM latest.counterfactuals")}

    assert cf["x2"]["pnl"] == pytest.approx(100.0) and cf["x4"]["pnl"] == pytest.approx(100.0)
    assert cf["x6"]["status"] == "pending"
    outcome = {"x1": (30.0, 1.0), "x2": (100.0, 0.5), "x3": (-10.0, 1.0)}  # pnl, weight
    # which resolved decisions each cell takes, worked out from the scores by hand
    taken = {
        ("a", -0.5): {"x2", "x3"},
        ("b", 0.5): {"x1", "x2", "x3"},  # x2: −1 + 0.7·1.5 = 0.05 ≥ 0
        **{("a", v): {"x1", "x3"} for v in (-0.25, 0.0, 0.25, 0.5)},
        **{("b", v): {"x1", "x3"} for v in (-0.5, -0.25, 0.0, 0.25)},
    }
    assert set(cells) == set(taken)
    for (component, v), members in taken.items():
        cell = cells[(component, v)]
        assert cell["weight"] == pytest.approx(1.0 + v)
        assert cell["n"] == len(members), (component, v)
        assert cell["n_unresolved"] == 1  # x5 only: x6 is not in any cell
        assert cell["total_pnl"] == pytest.approx(sum(outcome[d][0] for d in members))
        assert cell["weighted_pnl"] == pytest.approx(sum(outcome[d][0] * outcome[d][1]
                                                         for d in members))  # fmt: skip
    # the row the brief names: a at −50% takes x2 (0.5·100) and x3 (−10)
    assert cells[("a", -0.5)]["n"] == 2
    assert cells[("a", -0.5)]["weighted_pnl"] == pytest.approx(40.0)

    # best a: −50% (40 > 20), a weight of 1·(1 − 0.5) → 1·(1 + 0.1·−0.5);
    # best b: +50% (70 > 20), a weight of 1.5 → 1·(1 + 0.1·0.5)
    assert (state["a"]["best"], state["a"]["after"], state["a"]["n"]) == (0.5, 0.95, 2)
    assert (state["b"]["best"], state["b"]["n"]) == (1.5, 3)
    assert state["b"]["after"] == pytest.approx(1.05)
    assert state["a"]["before"] == state["b"]["before"] == 1.0
    assert state["a"]["applied"] and state["b"]["applied"]


def _threshold_population() -> tuple[list[dict], list[dict]]:
    """θ = 1.4: y (blocked, a=1, counterfactual +100 at weight 0.5) is taken only once
    W_a·(1+v) ≥ 1.4; z (executed, b=2, +50) is dropped only by b at −50%."""
    return [trade("z", {"b": 2.0}, 50.0)], [blocked("y", {"a": 1.0})]


def never_taken(decision_id: str) -> dict:
    """New evidence that moves no cell: an executed trade no variation takes (score 0 < θ)."""
    return trade(decision_id, {}, 0.0)


def test_weight_updates_compound_from_the_stored_state(warehouse, tmp_path):
    trades, blocked_trades = _threshold_population()
    settings = PLAIN | {"score_threshold": 1.4}
    lens = lens_with(warehouse, **settings)
    with lens.session():
        ingest(lens, tmp_path, trades, blocked_trades, rising_bars())
        run(lens)
        first = learned(lens, "weight")
        ingest(lens, tmp_path, [never_taken("w")])  # new evidence: the weights decide again
        run(lens)  # starts from the stored 1.05
        second = learned(lens, "weight")
        cells = grid(lens, "latest.weight_grid", "component", "variation")

    # run 1: only a at +50% (1.5 ≥ 1.4) takes y: 50 + 0.5·100 = 100 > 50
    assert (first["a"]["before"], first["a"]["best"]) == (1.0, 1.5)
    assert first["a"]["after"] == pytest.approx(1.05)
    # run 2: 1.05·1.25 = 1.3125 < 1.4 ≤ 1.05·1.5 = 1.575: +50% again
    assert second["a"]["before"] == pytest.approx(1.05)
    assert second["a"]["best"] == pytest.approx(1.575)
    assert second["a"]["after"] == pytest.approx(1.1025, rel=1e-12)
    assert cells[("a", 0.5)]["weight"] == pytest.approx(1.575)
    assert cells[("a", 0.5)]["weighted_pnl"] == pytest.approx(100.0)
    assert cells[("a", 0.25)]["weighted_pnl"] == pytest.approx(50.0)
    # b: −50% leaves nothing (n=0 < min_samples), the four others tie: the current one wins
    for state in (first, second):
        assert (state["b"]["best"], state["b"]["after"]) == (1.0, 1.0)
        assert state["b"]["applied"] is False
        assert state["b"]["note"] == "best is the current setting"
    assert cells[("b", -0.5)]["n"] == 0


def test_initial_weights_seed_the_first_run_only(warehouse, tmp_path):
    trades, blocked_trades = _threshold_population()
    settings = PLAIN | {"score_threshold": 1.4, "initial_weights": {"a": 1.2}}
    lens = lens_with(warehouse, **settings)
    with lens.session():
        ingest(lens, tmp_path, trades, blocked_trades, rising_bars())
        run(lens)
        first = learned(lens, "weight")["a"]
        ingest(lens, tmp_path, [never_taken("w")])
        run(lens)
        second = learned(lens, "weight")["a"]

    # 1.2·1.25 = 1.5 and 1.2·1.5 = 1.8 both take y: a tie, +25% is closer to the current 0
    assert (first["before"], first["best"]) == (1.2, pytest.approx(1.2 * 1.25))
    assert first["after"] == pytest.approx(1.2 * 1.025)
    # the second run starts from the stored 1.23, not from the config's 1.2
    assert second["before"] == pytest.approx(1.23)
    assert second["best"] == pytest.approx(1.23 * 1.25)  # 1.23 < 1.4 ≤ 1.23·1.25
    assert second["after"] == pytest.approx(1.23 * 1.025)


def test_min_samples_guard_keeps_every_setting(warehouse, tmp_path):
    trades, blocked_trades = _threshold_population()
    settings = PLAIN | {"score_threshold": 1.4, "min_samples": 3}  # cells hold ≤ 2
    lens = lens_with(warehouse, **settings)
    with lens.session():
        ingest(lens, tmp_path, trades, blocked_trades, rising_bars())
        run(lens)
        state = learned(lens, "weight") | learned(lens, "timing") | learned(lens, "multiplier")

    assert set(state) == {"a", "b", "entry_delay_min", "hold_min", "0", "1", "2", "3"}
    for name, row in state.items():
        assert row["best"] is None, name
        assert row["after"] == row["before"], name
        assert row["applied"] is False
        assert "min_samples" in row["note"]


@pytest.mark.parametrize(
    ("objective", "best_a", "best_c"),
    [("weighted_pnl", 0.5, -0.25), ("pnl_over_drawdown", 0.0, -0.25)],
)
def test_objectives_pick_different_cells(warehouse, tmp_path, objective, best_a, best_c):
    """θ = 1.4. z1 (+100, day 0) and z2 (−60, day 1) are taken by default: 40 with a 60
    drawdown. a at +50% adds y1 (+300, day 1) and y2 (−250, day 2): 90, but a 250 drawdown.
    c at −25% or −50% drops z2: 100 with no drawdown (ratio 100/1e-9)."""
    trades = [
        trade("z1", {"b": 2.0}, 100.0, exit_day=0),
        trade("z2", {"c": 1.6}, -60.0, exit_day=1),
        trade("y1", {"a": 1.0}, 300.0, exit_day=1),
        trade("y2", {"a": 1.0}, -250.0, exit_day=2),
    ]
    lens = lens_with(warehouse, **(PLAIN | {"score_threshold": 1.4, "objective": objective}))
    with lens.session():
        ingest(lens, tmp_path, trades)
        run(lens)
        cells = grid(lens, "latest.weight_grid", "component", "variation")
        state = learned(lens, "weight")

    base, more = cells[("a", 0.0)], cells[("a", 0.5)]
    assert (base["weighted_pnl"], base["max_drawdown"]) == (40.0, 60.0)
    assert (more["weighted_pnl"], more["max_drawdown"], more["n"]) == (90.0, 250.0, 4)
    dropped = cells[("c", -0.5)]
    assert (dropped["weighted_pnl"], dropped["max_drawdown"]) == (100.0, 0.0)
    assert state["a"]["best"] == 1 + best_a  # the weight of the best variation (W = 1)
    assert state["a"]["after"] == pytest.approx(1 + 0.1 * best_a)
    assert state["c"]["best"] == 1 + best_c  # −25% and −50% tie; −25% is closer to the current
    assert state["c"]["after"] == pytest.approx(1 - 0.025)
    assert state["b"]["best"] == 1.0  # b at −50% drops z1 (−60): worse; the rest tie


# --------------------------------------------------------------------------- sizing grid


def test_quartile_bucket_edges_follow_linear_interpolation(warehouse, tmp_path):
    scores = [0.3, 1.7, -2.0, 5.5, 0.9, 2.2, 1.1]
    trades = [trade(f"s{i}", {"a": 1.0}, 10.0, score=s) for i, s in enumerate(scores)]
    trades.append(trade("open", {"a": 1.0}, None, score=4.0))  # open trades count too
    lens = lens_with(warehouse, **PLAIN)
    with lens.session():
        ingest(lens, tmp_path, trades)
        run(lens)
        rows = lens.rows(
            "SELECT DISTINCT bucket, score_lo, score_hi FROM latest.sizing_grid ORDER BY 1"
        )
        state = learned(lens, "multiplier")

    # sorted: −2.0 0.3 0.9 1.1 1.7 2.2 4.0 5.5; q·7 = 1.75, 3.5, 5.25
    by_hand = [0.3 + 0.75 * (0.9 - 0.3), 1.1 + 0.5 * (1.7 - 1.1), 2.2 + 0.25 * (4.0 - 2.2)]
    edges = np.quantile([*scores, 4.0], [0.25, 0.5, 0.75], method="linear")
    assert by_hand == pytest.approx(list(edges), rel=1e-12)
    bounds = [None, *by_hand, None]
    assert [r["bucket"] for r in rows] == [0, 1, 2, 3]
    for r in rows:
        for got, want in ((r["score_lo"], bounds[r["bucket"]]),
                          (r["score_hi"], bounds[r["bucket"] + 1])):  # fmt: skip
            assert got == (None if want is None else pytest.approx(want, rel=1e-12))
        row = state[str(r["bucket"])]
        assert (row["score_lo"], row["score_hi"]) == (r["score_lo"], r["score_hi"])


def test_sizing_multipliers_step_gradually_toward_the_best(warehouse, tmp_path):
    # configured inner edges 0, 1, 2; a score on an edge belongs to the bucket above it
    book = [(-1.0, 40.0), (-0.5, 10.0),  # bucket 0: +50
            (0.0, -30.0), (0.99, -5.0),  # bucket 1: −35
            (1.0, 20.0), (1.5, -20.0),  # bucket 2: 0
            (2.0, 5.0), (7.0, None)]  # bucket 3: +5 and an open trade  # fmt: skip
    bucket_pnl = [50.0, -35.0, 0.0, 5.0]
    trades = [trade(f"k{i}", {"a": 1.0}, p, score=s) for i, (s, p) in enumerate(book)]
    multipliers = [0.5, 0.75, 1.0, 1.25, 1.5, 2.0]
    settings = PLAIN | {"score_buckets": [0.0, 1.0, 2.0]}
    lens = lens_with(warehouse, **settings)
    with lens.session():
        ingest(lens, tmp_path, trades)
        run(lens)
        first_cells = grid(lens, "latest.sizing_grid", "bucket", "multiplier")
        first = learned(lens, "multiplier")
        # new evidence that moves no book's P&L: a flat trade in bucket 2 (n: 7 → 8)
        ingest(lens, tmp_path, [trade("flat", {"a": 1.0}, 0.0, score=1.2)])
        run(lens)
        second_cells = grid(lens, "latest.sizing_grid", "bucket", "multiplier")
        second = learned(lens, "multiplier")

    def check_cells(cells: dict, before: list[float], n: int) -> None:
        assert set(cells) == {(b, m) for b in range(4) for m in multipliers}
        for (b, m), cell in cells.items():
            factors = [m if i == b else before[i] for i in range(4)]
            total = sum(f * p for f, p in zip(factors, bucket_pnl, strict=True))
            assert cell["n"] == n and cell["n_unresolved"] == 1
            assert cell["total_pnl"] == pytest.approx(total, abs=1e-9)
            assert cell["weighted_pnl"] == pytest.approx(total, abs=1e-9)
            assert cell["mean_ret"] == pytest.approx(total / 1000 / n, abs=1e-12)

    check_cells(first_cells, [1.0] * 4, 7)
    # bucket 0 best 2.0, bucket 1 best 0.5, bucket 2 all equal: the current 1.0, bucket 3 2.0
    assert [first[str(b)]["best"] for b in range(4)] == [2.0, 0.5, 1.0, 2.0]
    after = [1.1, 0.95, 1.0, 1.1]  # M + 0.1·(m* − M)
    assert [first[str(b)]["after"] for b in range(4)] == pytest.approx(after)
    assert [first[str(b)]["applied"] for b in range(4)] == [True, True, False, True]

    check_cells(second_cells, after, 8)  # the others at their multiplier from before this run
    assert [second[str(b)]["before"] for b in range(4)] == pytest.approx(after)
    assert [second[str(b)]["best"] for b in range(4)] == [2.0, 0.5, 1.0, 2.0]
    assert [second[str(b)]["after"] for b in range(4)] == pytest.approx(
        [1.1 + 0.1 * 0.9, 0.95 - 0.1 * 0.45, 1.0, 1.1 + 0.1 * 0.9]
    )


# --------------------------------------------------------------------------- timing


def test_timing_recommendation_moves_gradually_and_is_stored_unrounded(warehouse, tmp_path):
    # a dip to 90 between 00:05 and 00:55: entering 5 minutes late buys 10% cheaper
    bars = [{"symbol": "DIP", "ts": (T0 + timedelta(minutes=5 * k)).isoformat(), "open": 1,
             "high": 1, "low": 1, "close": 90.0 if 1 <= k < 12 else 100.0, "volume": 1}
            for k in range(40)]  # fmt: skip
    settings = PLAIN | {"entry_delays_min": [0, 5], "holds_min": [60]}
    lens = lens_with(warehouse, **settings)
    with lens.session():
        ingest(lens, tmp_path, [], [blocked("d", {"a": 1.0}, symbol="DIP")], bars)
        run(lens)
        first = learned(lens, "timing")
        cells = grid(lens, "latest.timing_grid", "entry_delay_min", "population")
        doc = lens.state()
        # new evidence that moves no cell: a blocked trade with no price yet (pending)
        ingest(lens, tmp_path, [], [blocked("p", {"a": 1.0}, symbol="NOPRICE")])
        run(lens)
        second = learned(lens, "timing")

    assert cells[(0, "all")]["weighted_pnl"] == pytest.approx(0.0, abs=1e-9)  # 100 → 100
    assert cells[(5, "all")]["weighted_pnl"] == pytest.approx(0.5 * (100 / 90 - 1) * 1000)
    delay, hold = first["entry_delay_min"], first["hold_min"]
    assert (delay["before"], delay["best"], delay["after"]) == (0.0, 5.0, 0.5)
    assert (hold["before"], hold["best"], hold["after"]) == (60.0, 60.0, 60.0)
    assert doc["timing"] == {"entry_delay_min": 0.5, "hold_min": 60.0}
    # from the stored 0.5 (30 s, still the 100 bar): 0.5 + 0.1·(5 − 0.5)
    delay = second["entry_delay_min"]
    assert delay["before"] == 0.5 and delay["best"] == 5.0
    assert delay["after"] == pytest.approx(0.95, rel=1e-12)


# --------------------------------------------------------------------------- significance


def _added_by_a(pnls: list[float]) -> list[dict]:
    """θ = 1.4: ten base trades always taken (net +25); trades with a=1 only at a +50%."""
    base = [trade(f"base{i}", {"b": 2.0}, 10.0 if i % 2 else -5.0) for i in range(10)]
    extra = [trade(f"add{i}", {"a": 1.0}, p, exit_day=i % 5) for i, p in enumerate(pnls)]
    return base + extra


SIGNIFICANCE = {"objective": "weighted_pnl", "min_samples": 1, "require_significance": True,
                "score_threshold": 1.4, "bootstrap_samples": 400}  # fmt: skip


def test_a_clearly_better_cell_is_significant_and_applied(warehouse, tmp_path):
    pnls = [20.0 + 3 * (i % 7) for i in range(40)]  # every added trade wins
    lens = lens_with(warehouse, **SIGNIFICANCE)
    with lens.session():
        ingest(lens, tmp_path, _added_by_a(pnls))
        run(lens)
        state = learned(lens, "weight")["a"]

    # The calendar is days 0..4: the added trades are a's +50% gain, and only that cell differs
    # from the current one (a at -50%, -25%, +25% take the same base trades): T = Σ pnls. A
    # resample's recentred gain reaches T only if its sum of 5 drawn days reaches 2T, but even
    # 5 draws of the best day make less: no resample does, k = 0, p = 1/401.
    by_day = [sum(p for i, p in enumerate(pnls) if i % 5 == d) for d in range(5)]
    assert 5 * max(by_day) < 2 * sum(pnls)
    assert state["best"] == 1.5  # a's weight at +50%
    assert state["gain"] == pytest.approx(sum(pnls))
    assert state["p_value"] == pytest.approx(1 / 401)
    assert state["gain_lo"] > 0 and state["gain_lo"] <= state["gain"] <= state["gain_hi"]
    assert state["significant"] is True and state["applied"] is True
    assert state["after"] == pytest.approx(1.05)


def test_noise_is_not_significant_and_not_applied_reproducibly(migrated_template, tmp_path):
    # 20 wins, 19 losses of about 100 each, spread over 5 exit days
    pnls = [(97.0 + 0.731 * i) * (1 if i % 2 == 0 else -1) for i in range(39)]
    states = {}
    for label, seed in (("first", 0), ("again", 0), ("other_seed", 1)):
        warehouse = tmp_path / f"{label}.duckdb"
        shutil.copy(migrated_template, warehouse)
        lens = lens_with(warehouse, **(SIGNIFICANCE | {"bootstrap_seed": seed}))
        with lens.session():
            ingest(lens, tmp_path, _added_by_a(pnls))
            run(lens)
            states[label] = learned(lens, "weight")["a"]
    first, again, other_seed = states["first"], states["again"], states["other_seed"]

    # the same matrix through the plain implementation of §13 (tests/spec13.py)
    base = np.zeros(5)
    base[0] = 25.0  # the ten base trades exit on day 0 (net +25)
    added = np.array([sum(p for i, p in enumerate(pnls) if i % 5 == d) for d in range(5)])
    # rows: the current cell, then a at -50%, -25%, +25% (the same trades) and +50%
    p, significant, gain, lo, hi = plain_reality_check(
        [base, base, base, base, base + added], 0, [1, 2, 3, 4], 4, name="weighted_pnl",
        samples=400, seed=0, confidence=0.9,
    )  # fmt: skip
    assert first["best"] == 1.5
    assert first["gain"] == pytest.approx(sum(pnls)) and gain == pytest.approx(sum(pnls))
    assert first["p_value"] == p and significant is False
    assert (first["gain_lo"], first["gain_hi"]) == pytest.approx((lo, hi))
    assert first["significant"] is False and first["applied"] is False
    assert first["after"] == first["before"] == 1.0
    assert first["note"].startswith("stays: not significant (p_value")
    assert {k: again[k] for k in ("p_value", "gain_lo", "gain_hi")} == {
        k: first[k] for k in ("p_value", "gain_lo", "gain_hi")
    }
    seeded = ("p_value", "gain_lo", "gain_hi")
    assert [other_seed[k] for k in seeded] != [first[k] for k in seeded]  # other draws
    assert other_seed["applied"] is False
