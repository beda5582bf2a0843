"""Scenario replay (SPEC §3–§5, §7) on tiny hand-built warehouses: prices, statuses, timing grid.

Every expected price below is read off the bars by hand (which bar was the last one available
at the moment asked), and every return recomputed here from SPEC §4.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from itertools import count
from pathlib import Path

import pytest
from conftest import ingest_one, write_jsonl

from analytics.config import settings_from_mapping
from analytics.context import Tradelens

T0 = datetime(2025, 1, 6)  # a Monday, 00:00 UTC
# Learning has nothing to pick with a huge min_samples: the runs stay fast and scenario-only.
QUIET = {"min_samples": 100_000, "require_significance": False}
_files = count()


def at(minutes: float, seconds: float = 0) -> datetime:
    return T0 + timedelta(minutes=minutes, seconds=seconds)


def bar(symbol: str, t: datetime, close: float) -> dict:
    return {"symbol": symbol, "ts": t.isoformat(), "open": close, "high": close, "low": close,
            "close": close, "volume": 1}  # fmt: skip


def blocked(decision_id: str, t: datetime, symbol: str, direction: str = "long", **extra) -> dict:
    record = {"decision_id": decision_id, "ts": t.isoformat(), "symbol": symbol,
              "direction": direction, "entry_score": 0.0, "components": {"a": 1.0},
              "reason": "score_below_threshold"}  # fmt: skip
    return record | extra


def executed(decision_id: str, t: datetime, symbol: str, direction: str = "long", **extra) -> dict:
    record = {"decision_id": decision_id, "ts": t.isoformat(), "symbol": symbol,
              "direction": direction, "entry_score": 1.0, "components": {"a": 1.0},
              "entry_ts": t.isoformat(), "entry_price": 100.0, "qty": 1.0}  # fmt: skip
    return record | extra


def quiet_lens(warehouse: Path, **settings) -> Tradelens:
    """The warehouse with QUIET settings, overridden by `settings`."""
    return Tradelens(warehouse, settings_from_mapping(QUIET | settings))


def ingest(lens: Tradelens, tmp_path: Path, kind: str, records: list[dict], **options) -> None:
    path = write_jsonl(tmp_path / f"{kind}_{next(_files)}.jsonl", records)
    report = ingest_one(lens, kind, path, **options)
    assert report.rejected == 0, report.first_reject


def run(lens: Tradelens):
    result = lens.run()
    assert result.published, result.error
    return result


def by_id(lens: Tradelens, view: str = "latest.counterfactuals") -> dict[str, dict]:
    return {r["decision_id"]: r for r in lens.rows(f"SELECT * FROM {view}")}


def spec_ret(direction: int, entry_px: float, exit_px: float, cost_bps: float = 0.0) -> float:
    return direction * (exit_px / entry_px - 1) - 2 * cost_bps / 10_000


# --------------------------------------------------------------------------- counterfactuals


def test_long_and_short_counterfactuals_with_costs_and_notional(warehouse, tmp_path):
    # 5-minute bars stamped at their open: bar k (ts T0+5k) closes at 100+k, known at T0+5(k+1).
    bars = [bar("AAA", at(5 * k), 100 + k) for k in range(31)]
    decisions = [
        blocked("long", at(12), "AAA", "long"),  # no notional: default_notional
        blocked("short", at(12), "AAA", "sell", notional=2500.0),
    ]
    lens = quiet_lens(warehouse, fee_bps=3.0, slippage_bps=2.0, default_notional=800.0,
                      default_hold_min=60)  # fmt: skip
    with lens.session():
        ingest(lens, tmp_path, "prices", bars, bar_time="open", interval="5m")
        ingest(lens, tmp_path, "blocked", decisions)
        run(lens)
        got = by_id(lens)

    # At 00:12 the last bar known is k=1 (known 00:10); at 01:12 it is k=13 (known 01:10).
    long_ret = 113 / 101 - 1 - 2 * (3 + 2) / 10_000
    short_ret = -(113 / 101 - 1) - 2 * (3 + 2) / 10_000
    assert got["long"]["entry_px"] == 101 and got["long"]["exit_px"] == 113
    assert got["long"]["entry_t"] == at(12) and got["long"]["exit_t"] == at(72)
    assert got["long"]["ret"] == pytest.approx(long_ret, rel=1e-12)
    assert got["long"]["pnl"] == pytest.approx(long_ret * 800.0, rel=1e-12)
    assert got["long"]["notional"] == 800.0
    assert got["long"]["direction"] == "long"
    assert got["long"]["outcome"] == "missed_opportunity" and got["long"]["status"] == "ok"
    assert got["short"]["ret"] == pytest.approx(short_ret, rel=1e-12)
    assert got["short"]["pnl"] == pytest.approx(short_ret * 2500.0, rel=1e-12)
    assert got["short"]["direction"] == "short"
    assert got["short"]["outcome"] == "avoided_loss"


def test_outcome_labels_and_null_prices_of_unresolved_legs(warehouse, tmp_path):
    bars = (
        [bar("UP", at(5 * k), 100 + k) for k in range(40)]
        + [bar("DN", at(5 * k), 200 - k) for k in range(40)]
        + [bar("FLAT", at(5 * k), 50) for k in range(40)]
        + [bar("GAP", at(0), 10), bar("GAP", at(200), 20)]
    )
    decisions = [
        blocked("up_long", at(10), "UP", "long"),
        blocked("up_short", at(10), "UP", "short"),
        blocked("dn_long", at(10), "DN", "buy"),
        blocked("dn_short", at(10), "DN", "bearish"),
        blocked("flat_long", at(10), "FLAT", "long"),
        blocked("flat_short", at(10), "FLAT", "short"),
        blocked("exit_stale", at(0), "GAP", "long"),  # exit at 01:00 finds the 00:00 bar
        blocked("exit_pending", at(180), "UP", "long"),  # UP's data ends at 03:15
    ]
    lens = quiet_lens(warehouse)
    with lens.session():
        ingest(lens, tmp_path, "prices", bars, bar_time="close", interval="5m")
        ingest(lens, tmp_path, "blocked", decisions)
        run(lens)
        got = by_id(lens)

    # close-stamped: at 00:10 the bar stamped 00:10 (k=2), at 01:10 the one stamped 01:10 (k=14)
    assert (got["up_long"]["entry_px"], got["up_long"]["exit_px"]) == (102, 114)
    assert (got["dn_long"]["entry_px"], got["dn_long"]["exit_px"]) == (198, 186)
    expected = {
        "up_long": ("missed_opportunity", spec_ret(1, 102, 114)),
        "up_short": ("avoided_loss", spec_ret(-1, 102, 114)),
        "dn_long": ("avoided_loss", spec_ret(1, 198, 186)),
        "dn_short": ("missed_opportunity", spec_ret(-1, 198, 186)),
        "flat_long": ("flat", 0.0),
        "flat_short": ("flat", 0.0),
    }
    for decision_id, (outcome, ret) in expected.items():
        row = got[decision_id]
        assert row["status"] == "ok", decision_id
        assert row["outcome"] == outcome, decision_id
        assert row["ret"] == pytest.approx(ret, rel=1e-12, abs=1e-15), decision_id
        assert row["pnl"] == pytest.approx(ret * 1000.0, rel=1e-12, abs=1e-12), decision_id

    stale = got["exit_stale"]
    assert (stale["status"], stale["outcome"]) == ("stale", "stale")
    assert stale["entry_px"] == 10 and stale["exit_px"] is None
    assert stale["ret"] is None and stale["pnl"] is None
    pending = got["exit_pending"]
    assert (pending["status"], pending["outcome"]) == ("pending", "pending")
    assert pending["entry_px"] == 100 + 36 and pending["exit_px"] is None
    assert pending["ret"] is None and pending["pnl"] is None


def test_bar_time_open_and_close_stamp_the_same_bars_differently(warehouse, tmp_path):
    same_bars = [(at(5 * k), 100 + k) for k in range(31)]
    lens = quiet_lens(warehouse)
    with lens.session():
        ingest(lens, tmp_path, "prices", [bar("OPN", t, c) for t, c in same_bars],
                bar_time="open", interval="5m")  # fmt: skip
        ingest(lens, tmp_path, "prices", [bar("CLS", t, c) for t, c in same_bars],
                bar_time="close", interval="5m")  # fmt: skip
        decisions = [blocked("o", at(12), "OPN"), blocked("c", at(12), "CLS")]
        ingest(lens, tmp_path, "blocked", decisions)
        run(lens)
        got = by_id(lens)
        first = lens.rows("SELECT symbol, available_at FROM raw.prices WHERE ts = ?", [T0])

    assert {r["symbol"]: r["available_at"] for r in first} == {"OPN": at(5), "CLS": at(0)}
    # open: known at ts+5m, so at 00:12 bar 00:05 (101); close: known at ts, bar 00:10 (102)
    assert (got["o"]["entry_px"], got["o"]["exit_px"]) == (101, 113)
    assert (got["c"]["entry_px"], got["c"]["exit_px"]) == (102, 114)
    assert got["o"]["ret"] == pytest.approx(113 / 101 - 1, rel=1e-12)
    assert got["c"]["ret"] == pytest.approx(114 / 102 - 1, rel=1e-12)


def test_price_lookup_boundaries(warehouse, tmp_path):
    """SPEC §3 edges: equality is available, max_staleness old is fresh, pending beats stale,
    no look-ahead by even one second, no prices at all is pending."""
    bars = [
        # EXACT: a decision at the very moment a bar becomes available uses that bar
        bar("EXACT", at(0), 10), bar("EXACT", at(10), 20), bar("EXACT", at(70), 30),
        bar("EXACT", at(300), 1),
        # LOOK: a bar available one second after the lookup is never used
        bar("LOOK", at(0), 10), bar("LOOK", at(10, 1), 99), bar("LOOK", at(60), 12),
        bar("LOOK", at(70, 1), 98), bar("LOOK", at(300), 1),
        # STALE: 15 minutes old is fresh, 15 minutes and 1 second is stale
        bar("STALE", at(0), 10), bar("STALE", at(75), 11), bar("STALE", at(300), 1),
        # HORIZON: data ends at 00:30
        bar("HORIZON", at(0), 10), bar("HORIZON", at(30), 11),
    ]  # fmt: skip
    decisions = [
        blocked("exact", at(10), "EXACT"),
        blocked("look", at(10), "LOOK"),
        blocked("fresh_15m", at(15), "STALE"),
        blocked("stale_15m1s", at(15, 1), "STALE"),
        blocked("entry_at_horizon", at(30), "HORIZON"),
        blocked("pending_beats_stale", at(29), "HORIZON"),
        blocked("no_prices", at(0), "NOPRICE"),
    ]
    lens = quiet_lens(warehouse, max_staleness_min=15, default_hold_min=60)
    with lens.session():
        ingest(lens, tmp_path, "prices", bars, bar_time="close", interval="5m")
        ingest(lens, tmp_path, "blocked", decisions)
        run(lens)
        got = by_id(lens)

    def legs(decision_id: str) -> tuple:
        r = got[decision_id]
        return r["status"], r["entry_px"], r["exit_px"]

    assert legs("exact") == ("ok", 20, 30)
    assert got["exact"]["ret"] == pytest.approx(0.5, rel=1e-12)
    # 00:10:00 sees the 00:00 bar (10 min old), 01:10:00 the 01:00 one: never the +1s bars
    assert legs("look") == ("ok", 10, 12)
    assert legs("fresh_15m") == ("ok", 10, 11)
    assert legs("stale_15m1s") == ("stale", None, 11)
    assert got["stale_15m1s"]["ret"] is None and got["stale_15m1s"]["pnl"] is None
    # entry at exactly the last available moment is ok; the exit after it is pending
    assert legs("entry_at_horizon") == ("pending", 11, None)
    # entry 29 min after the last bar before it (stale), exit beyond the data (pending)
    assert legs("pending_beats_stale") == ("pending", None, None)
    assert got["pending_beats_stale"]["outcome"] == "pending"
    assert legs("no_prices") == ("pending", None, None)


def test_pending_outcome_resolves_in_a_later_run_and_is_never_dropped(warehouse, tmp_path):
    first_bars = [bar("AAA", at(5 * k), 100 + k) for k in range(13)]  # up to 01:00
    later_bars = [bar("AAA", at(5 * k), 100 + k) for k in range(13, 25)]  # up to 02:00
    timing = {"entry_delays_min": [0], "holds_min": [60]}
    lens = quiet_lens(warehouse, **timing)
    with lens.session():
        ingest(lens, tmp_path, "prices", first_bars, bar_time="close", interval="5m")
        ingest(lens, tmp_path, "blocked", [blocked("early", at(0), "AAA"),
                                           blocked("late", at(30), "AAA")])  # fmt: skip
        first = run(lens)
        got = by_id(lens)
        cells = lens.rows("SELECT * FROM latest.timing_grid ORDER BY population")
        assert got["late"]["status"] == "pending" and got["late"]["pnl"] is None
        assert got["early"]["status"] == "ok"
        for cell in cells:
            want = (0, 0) if cell["population"] == "executed" else (1, 1)
            assert (cell["n"], cell["n_unresolved"]) == want, cell["population"]

        ingest(lens, tmp_path, "prices", later_bars, bar_time="close", interval="5m")
        second = run(lens)
        got = by_id(lens)
        cells = lens.rows("SELECT * FROM latest.timing_grid WHERE population = 'all'")
        old = by_id(lens, f"history.counterfactuals WHERE run_id = {first.run_id}")

    assert second.run_id > first.run_id
    assert got["late"]["status"] == "ok"
    assert (got["late"]["entry_px"], got["late"]["exit_px"]) == (106, 118)
    assert got["late"]["pnl"] == pytest.approx((118 / 106 - 1) * 1000, rel=1e-12)
    assert (cells[0]["n"], cells[0]["n_unresolved"]) == (2, 0)
    assert old["late"]["status"] == "pending"  # the older version is unchanged


# --------------------------------------------------------------------------- timing grid


def test_timing_grid_populations_weights_and_per_decision_outcomes(warehouse, tmp_path):
    # close-stamped 5-minute bars: the price at minute t is 100 + t // 5 (never stale here)
    bars = [bar("AAA", at(5 * k), 100 + k) for k in range(25)]

    def px(minute: float) -> float:
        return 100 + minute // 5

    decisions = {
        # executed: replayed from ts (10), not entry_ts (12), with their own notional
        "e_closed": (executed("e_closed", at(10), "AAA", "long", notional=2000.0,
                              entry_ts=at(12).isoformat(), entry_price=555.0,
                              exit_ts=at(40).isoformat(), exit_price=600.0), 10, 1, 2000.0),
        "e_open": (executed("e_open", at(20), "AAA", "short"), 20, -1, 1000.0),
        # blocked for a reason that is not about the score: still in the timing population
        "b_risk": (blocked("b_risk", at(3), "AAA", "long", reason="risk_limit",
                           notional=500.0), 3, 1, 500.0),
    }  # fmt: skip
    settings = {"entry_delays_min": [0, 5], "holds_min": [30, 60], "fee_bps": 1.0,
                "counterfactual_weight": 0.5}  # fmt: skip
    lens = quiet_lens(warehouse, **settings)
    with lens.session():
        ingest(lens, tmp_path, "prices", bars, bar_time="close", interval="5m")
        ingest(lens, tmp_path, "trades", [d[0] for k, d in decisions.items() if k[0] == "e"])
        ingest(lens, tmp_path, "blocked", [decisions["b_risk"][0]])
        run(lens)
        grid = lens.rows("SELECT * FROM latest.timing_grid")
        outcomes = lens.rows("SELECT * FROM latest.timing_outcomes")

    assert len(grid) == 2 * 2 * 3 and len(outcomes) == 3 * 2 * 2
    cost = 2 * 1.0 / 10_000
    got = {(o["decision_id"], o["entry_delay_min"], o["hold_min"]): o for o in outcomes}
    expected: dict[tuple, dict] = {}
    for decision_id, (_, minute, direction, notional) in decisions.items():
        kind = "executed" if decision_id[0] == "e" else "blocked"
        for delay in (0, 5):
            for hold in (30, 60):
                entry, exit_ = px(minute + delay), px(minute + delay + hold)
                ret = direction * (exit_ / entry - 1) - cost
                o = got[(decision_id, delay, hold)]
                assert o["kind"] == kind and o["status"] == "ok"
                assert o["entry_t"] == at(minute + delay)
                assert o["exit_t"] == at(minute + delay + hold)
                assert (o["entry_px"], o["exit_px"]) == (entry, exit_)
                assert o["ret"] == pytest.approx(ret, rel=1e-12)
                assert o["pnl"] == pytest.approx(ret * notional, rel=1e-12)
                assert o["weight"] == (1.0 if kind == "executed" else 0.5)
                expected[(decision_id, delay, hold)] = {"kind": kind, "ret": ret,
                                                        "pnl": ret * notional}  # fmt: skip
    # e_closed at delay 0 enters at the bar of 00:10 (102), not of entry_ts 00:12
    assert got[("e_closed", 0, 30)]["entry_px"] == 102

    for cell in grid:
        members = [
            v for (d, delay, hold), v in expected.items()
            if (delay, hold) == (cell["entry_delay_min"], cell["hold_min"])
            and cell["population"] in (v["kind"], "all")
        ]  # fmt: skip
        weights = [1.0 if v["kind"] == "executed" else 0.5 for v in members]
        weighted = sum(w * v["pnl"] for w, v in zip(weights, members, strict=True))
        assert cell["n"] == len(members) and cell["n_unresolved"] == 0
        assert cell["total_pnl"] == pytest.approx(sum(v["pnl"] for v in members), rel=1e-12)
        assert cell["weighted_pnl"] == pytest.approx(weighted, rel=1e-12)
        assert cell["mean_ret"] == pytest.approx(
            sum(v["ret"] for v in members) / len(members), rel=1e-12
        )
        assert cell["win_rate"] == pytest.approx(sum(v["pnl"] > 0 for v in members) / len(members))
        assert cell["sharpe"] is None  # every exit falls on one day
        assert cell["max_drawdown"] == pytest.approx(max(0.0, -weighted), abs=1e-12)
    populations = {(c["population"], c["n"]) for c in grid}
    assert populations == {("executed", 2), ("blocked", 1), ("all", 3)}


def test_a_corrected_bar_known_later_is_not_used_by_the_next_run(warehouse, tmp_path):
    """A correction restamps the 00:05 bar as a 15-minute bar (known 00:20, not 00:10): a run
    after it must price 00:12 with the 00:00 bar, even though its previous run used 00:05's."""
    lens = quiet_lens(warehouse)
    with lens.session():
        ingest(lens, tmp_path, "prices", [bar("AAA", at(5 * k), 100 + k) for k in range(30)],
                bar_time="open", interval="5m")  # fmt: skip
        ingest(lens, tmp_path, "blocked", [blocked("x", at(12), "AAA")])
        run(lens)
        assert by_id(lens)["x"]["entry_px"] == 101
        ingest(lens, tmp_path, "prices", [bar("AAA", at(5), 500)], bar_time="open", interval="15m")
        run(lens)
        got = by_id(lens)["x"]

    assert (got["entry_px"], got["exit_px"]) == (100, 113)
    assert got["ret"] == pytest.approx(113 / 100 - 1, rel=1e-12)


def test_a_staleness_of_months_in_whole_minutes_is_not_an_overflow(warehouse, tmp_path):
    """200,000 min (139 days) as an integer: its microseconds exceed 32 bits."""
    lens = quiet_lens(warehouse, max_staleness_min=200_000, default_hold_min=60 * 24 * 30)
    with lens.session():
        ingest(lens, tmp_path, "prices", [bar("A", at(0), 10.0),
                                          bar("A", at(60 * 24 * 60), 12.0)],
                bar_time="close")  # fmt: skip
        ingest(lens, tmp_path, "blocked", [blocked("b1", at(60 * 24 * 30), "A")])
        result = run(lens)
        assert result.status == "success", result.error
        [row] = lens.rows("SELECT entry_px, exit_px, status FROM latest.counterfactuals")
    # entry on day 30: the day-0 bar, 30 days old yet within staleness; exit on day 60: 12
    assert (row["entry_px"], row["exit_px"], row["status"]) == (10.0, 12.0, "ok")
