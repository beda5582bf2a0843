"""The set-based replay (one ASOF query over every decision × cell, outcomes reused between
runs) against a plain, per-decision reading of SPEC §3–§4, on random markets and decision logs.

Random bars: several symbols, irregular gaps (whole minutes, sometimes plus a second or half a
minute), each symbol stamped by bar open or bar close; random decisions, most of them aimed at a
boundary (a leg exactly on an available_at, one second either side, exactly max_staleness after
it), some on a symbol without any price. Half the cases arrive in two batches with a run after
each: later bars, corrections of earlier ones and new decisions, so the second run reuses what
the first stored and must still agree with the SPEC on everything loaded.
"""

from __future__ import annotations

import shutil
import tempfile
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from conftest import ingest_one, write_jsonl
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from analytics.config import settings_from_mapping
from analytics.context import Tradelens

T0 = datetime(2025, 1, 6)


@dataclass(frozen=True)
class Series:
    """One symbol's bars: the first `first_batch` arrive in batch 1, the rest in batch 2 along
    with `fixes` (new closes for some batch-1 bars: corrections)."""

    symbol: str
    bar_time: str  # open | close
    interval_min: int
    bars: tuple[tuple[datetime, float], ...]  # (ts, close)
    first_batch: int
    fixes: tuple[tuple[int, float], ...]  # (index into bars, corrected close)

    def batch(self, stage: int) -> list[tuple[datetime, float]]:
        if stage == 1:
            return list(self.bars[: self.first_batch])
        return [(self.bars[i][0], c) for i, c in self.fixes] + list(self.bars[self.first_batch :])

    def known(self, stage: int) -> list[tuple[datetime, float]]:
        """(available_at, close) per SPEC §2 after `stage`: ts + interval for bar opens, ts for
        bar closes; a correction replaces the close."""
        closes = dict(self.bars[: self.first_batch] if stage == 1 else self.bars)
        if stage == 2:
            closes.update({self.bars[i][0]: c for i, c in self.fixes})
        shift = timedelta(minutes=self.interval_min if self.bar_time == "open" else 0)
        return [(ts + shift, close) for ts, close in closes.items()]


@dataclass(frozen=True)
class Decision:
    decision_id: str
    kind: str  # executed | blocked
    symbol: str
    ts: datetime
    direction: int
    notional: float | None
    stage: int  # the batch it arrives in


@st.composite
def series(draw, symbol: str, two_batches: bool) -> Series:
    steps = draw(st.lists(
        st.tuples(st.integers(1, 40), st.sampled_from([0, 0, 0, 1, 30])), min_size=1, max_size=14
    ))  # fmt: skip
    t = T0 + timedelta(minutes=draw(st.integers(-20, 30)))
    bars = []
    for minutes, seconds in steps:
        bars.append((t, draw(st.integers(1, 800)) / 4))
        t += timedelta(minutes=minutes, seconds=seconds)
    first_batch, fixes = len(bars), ()
    if two_batches:
        first_batch = draw(st.integers(0, len(bars)))
        fixed = draw(st.sets(st.integers(0, first_batch - 1))) if first_batch else set()
        fixes = tuple((i, draw(st.integers(1, 800)) / 4) for i in sorted(fixed))
    return Series(symbol, draw(st.sampled_from(["open", "close"])),
                  draw(st.sampled_from([1, 5, 15])), tuple(bars), first_batch, fixes)  # fmt: skip


@st.composite
def decision_time(draw, market: list[Series], symbol: str, config: dict) -> datetime:
    """Mostly a moment aimed at a boundary: one leg of some cell lands on a bar's available_at,
    one second either side of it, or exactly max_staleness (+1 s) after it; else anywhere."""
    known = next((s.known(2) for s in market if s.symbol == symbol), [])
    if not known or draw(st.integers(0, 3)) == 0:
        return T0 + timedelta(minutes=draw(st.integers(-30, 330)),
                              seconds=draw(st.sampled_from([0, 0, 0, 1, 59])))  # fmt: skip
    available_at = draw(st.sampled_from([a for a, _ in known]))
    staleness = config["max_staleness_min"]
    offset = draw(st.sampled_from([
        timedelta(0), timedelta(seconds=-1), timedelta(seconds=1),
        timedelta(minutes=staleness), timedelta(minutes=staleness, seconds=1),
    ]))  # fmt: skip
    delay = draw(st.sampled_from(config["entry_delays_min"]))
    leg = draw(st.sampled_from([
        0.0, delay, config["default_hold_min"], delay + draw(st.sampled_from(config["holds_min"]))
    ]))  # fmt: skip
    return available_at + offset - timedelta(minutes=leg)


@st.composite
def cases(draw):
    two_batches = draw(st.booleans())
    market = [draw(series(f"S{i}", two_batches)) for i in range(draw(st.integers(1, 3)))]
    config = {
        "max_staleness_min": draw(st.sampled_from([0, 5, 15, 30])),
        "default_hold_min": draw(st.sampled_from([5, 30, 60])),
        "entry_delays_min": sorted(draw(st.sets(st.sampled_from([0, 0.5, 5, 17]), min_size=1))),
        "holds_min": sorted(draw(st.sets(st.sampled_from([10, 60, 95]), min_size=1))),
        "fee_bps": draw(st.sampled_from([0.0, 2.5])),
        "slippage_bps": draw(st.sampled_from([0.0, 1.0])),
        "default_notional": draw(st.sampled_from([1000.0, 750.0])),
        "min_samples": 100_000,  # learning picks nothing: only the replay is under test
    }
    log = []
    for i in range(draw(st.integers(1, 10))):
        symbol = draw(st.sampled_from([*(s.symbol for s in market), "NOPRICE"]))
        log.append(Decision(
            f"d{i}", draw(st.sampled_from(["executed", "blocked"])), symbol,
            draw(decision_time(market, symbol, config)), draw(st.sampled_from([1, -1])),
            draw(st.sampled_from([None, 500.0, 1234.5])),
            draw(st.sampled_from([1, 2])) if two_batches else 1,
        ))  # fmt: skip
    return market, log, config, (1, 2) if two_batches else (1,)


# --------------------------------------------------------------------------- SPEC, per decision


def price_at(known: list[tuple[datetime, float]], t: datetime, staleness: timedelta):
    """SPEC §3 read literally: (status, price)."""
    if not any(available_at >= t for available_at, _ in known):
        return "pending", None
    seen = [(a, c) for a, c in known if a <= t]
    if not seen:
        return "stale", None
    available_at, close = max(seen)
    if available_at < t - staleness:
        return "stale", None
    return "ok", close


def outcome(d: Decision, known, delay_min: float, hold_min: float, config: dict) -> dict:
    """SPEC §4 for one decision."""
    staleness = timedelta(minutes=config["max_staleness_min"])
    entry_t = d.ts + timedelta(minutes=delay_min)
    exit_t = entry_t + timedelta(minutes=hold_min)
    entry_status, entry_px = price_at(known, entry_t, staleness)
    exit_status, exit_px = price_at(known, exit_t, staleness)
    statuses = {entry_status, exit_status}
    status = "pending" if "pending" in statuses else "stale" if "stale" in statuses else "ok"
    ret = pnl = None
    if status == "ok":
        cost = 2 * (config["fee_bps"] + config["slippage_bps"]) / 10_000
        ret = d.direction * (exit_px / entry_px - 1) - cost
        pnl = ret * (d.notional if d.notional is not None else config["default_notional"])
    return {"entry_t": entry_t, "exit_t": exit_t, "status": status, "entry_px": entry_px,
            "exit_px": exit_px, "ret": ret, "pnl": pnl}  # fmt: skip


# --------------------------------------------------------------------------- the engine


def ingest_batch(
    lens: Tradelens, folder: Path, market: list[Series], log: list[Decision], stage: int
):
    for s in market:
        records = [{"symbol": s.symbol, "ts": ts.isoformat(), "open": c, "high": c, "low": c,
                    "close": c, "volume": 1} for ts, c in s.batch(stage)]  # fmt: skip
        if records:
            file = write_jsonl(folder / f"{s.symbol}_{stage}.jsonl", records)
            report = ingest_one(lens, "prices", file, bar_time=s.bar_time,
                                interval=f"{s.interval_min}m")  # fmt: skip
            assert report.rejected == 0
    for kind, file_kind in (("executed", "trades"), ("blocked", "blocked")):
        records = [_record(d) for d in log if d.kind == kind and d.stage == stage]
        if records:
            file = write_jsonl(folder / f"{file_kind}_{stage}.jsonl", records)
            assert ingest_one(lens, file_kind, file).rejected == 0


def _record(d: Decision) -> dict:
    record = {"decision_id": d.decision_id, "ts": d.ts.isoformat(), "symbol": d.symbol,
              "direction": "long" if d.direction == 1 else "short", "entry_score": 0.0,
              "components": {}, "notional": d.notional}  # fmt: skip
    if d.kind == "executed":
        return record | {"entry_ts": d.ts.isoformat(), "entry_price": 50.0, "qty": 2.0}
    return record | {"reason": "score_below_threshold"}


def assert_same(got: dict, want: dict, label) -> None:
    for key in ("entry_t", "exit_t", "status", "entry_px", "exit_px"):
        assert got[key] == want[key], (label, key, got, want)
    for key in ("ret", "pnl"):
        if want[key] is None:
            assert got[key] is None, (label, key)
        else:
            assert got[key] == pytest.approx(want[key], rel=1e-9, abs=1e-12), (label, key)


def check_against_spec(lens: Tradelens, market, log, config, stage: int) -> None:
    known = {s.symbol: s.known(stage) for s in market} | {"NOPRICE": []}
    loaded = [d for d in log if d.stage <= stage]
    counterfactuals = lens.rows("SELECT * FROM latest.counterfactuals")
    timing = lens.rows("SELECT * FROM latest.timing_outcomes")

    blocked = [d for d in loaded if d.kind == "blocked"]
    assert sorted(r["decision_id"] for r in counterfactuals) == sorted(
        d.decision_id for d in blocked
    )
    by_id = {r["decision_id"]: r for r in counterfactuals}
    for d in blocked:
        want = outcome(d, known[d.symbol], 0, config["default_hold_min"], config)
        got = by_id[d.decision_id]
        assert_same(got, want, (stage, d))
        label = want["status"]
        if want["status"] == "ok":
            label = ("missed_opportunity" if want["pnl"] > 0
                     else "avoided_loss" if want["pnl"] < 0 else "flat")  # fmt: skip
        assert got["outcome"] == label

    cells = [(d, h) for d in config["entry_delays_min"] for h in config["holds_min"]]
    assert len(timing) == len(loaded) * len(cells)  # unresolved ones too: nothing dropped
    rows = {(r["decision_id"], r["entry_delay_min"], r["hold_min"]): r for r in timing}
    for d in loaded:
        for delay, hold in cells:
            got = rows[(d.decision_id, delay, hold)]
            assert got["kind"] == d.kind
            want = outcome(d, known[d.symbol], delay, hold, config)
            assert_same(got, want, (stage, d, delay, hold))


@pytest.mark.slow
@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(case=cases())
def test_set_based_replay_matches_the_spec_per_decision(migrated_template, case):
    market, log, config, stages = case
    folder = Path(tempfile.mkdtemp(prefix="tl_prop_"))
    try:
        path = folder / "w.duckdb"
        shutil.copy(migrated_template, path)
        lens = Tradelens(path, settings_from_mapping(config))
        with lens.session():
            for stage in stages:
                ingest_batch(lens, folder, market, log, stage)
                result = lens.run(only=["counterfactuals", "timing_grid"])
                assert result.published, result.error
                check_against_spec(lens, market, log, config, stage)
    finally:
        shutil.rmtree(folder, ignore_errors=True)
