"""The sample generator must emit valid SPEC §2 inputs with real, known signal."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import polars as pl
import pytest

from analytics.sample_data import SampleFiles, write_sample_data

TRUE_WEIGHTS = {"momentum": 1.0, "flow": 0.8, "iv_skew": 0.5, "news": 0.3, "dark_pool": -0.2}
DIRECTIONS = {"long": 1, "buy": 1, "short": -1, "sell": -1}
MINUTE_MS = 60_000
SMALL = {"symbols": 2, "days": 3, "decisions": 300}


def _read_jsonl(path: Path) -> list[dict[str, Any]]:
    with path.open(encoding="utf-8") as fh:
        return [json.loads(line) for line in fh]


def _ms(value: str | int) -> int:
    """Epoch milliseconds of a SPEC §2 timestamp (ISO with/without offset, or epoch)."""
    if isinstance(value, int):
        return value if value > 10**11 else value * 1000
    dt = datetime.fromisoformat(value)
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=UTC)
    return round(dt.timestamp() * 1000)


@pytest.fixture(scope="module")
def sample(tmp_path_factory: pytest.TempPathFactory) -> SampleFiles:
    return write_sample_data(tmp_path_factory.mktemp("sample"))


@pytest.fixture(scope="module")
def bars(sample: SampleFiles) -> pl.DataFrame:
    return pl.read_parquet(sample.prices)


@pytest.fixture(scope="module")
def trades(sample: SampleFiles) -> list[dict[str, Any]]:
    return _read_jsonl(sample.trades)


@pytest.fixture(scope="module")
def blocked(sample: SampleFiles) -> list[dict[str, Any]]:
    return _read_jsonl(sample.blocked)


@pytest.fixture(scope="module")
def closes(bars: pl.DataFrame) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """Per symbol: available_at in epoch ms (bar open + 1 min) and close."""
    out = {}
    for (sym,), g in bars.sort("symbol", "ts").group_by("symbol", maintain_order=True):
        avail = g["ts"].dt.epoch("ms").to_numpy() + MINUTE_MS
        out[str(sym)] = (avail, g["close"].to_numpy())
    return out


def _price_at(closes: dict[str, tuple[np.ndarray, np.ndarray]], sym: str, t_ms: int) -> float:
    avail, close = closes[sym]
    i = int(np.searchsorted(avail, t_ms, side="right")) - 1
    assert i >= 0, "decision before the first available bar"
    return float(close[i])


def test_writes_the_three_named_files(sample: SampleFiles) -> None:
    assert sample.prices.name == "prices.parquet"
    assert sample.trades.name == "trades.jsonl"
    assert sample.blocked.name == "blocked.jsonl"
    assert all(p.is_file() and p.stat().st_size > 0 for p in (sample.prices, sample.trades))
    assert sample.blocked.stat().st_size > 0
    with pytest.raises(AttributeError):
        sample.prices = Path("x")  # type: ignore[misc]


def test_same_seed_same_bytes_other_seed_differs(tmp_path: Path) -> None:
    a = write_sample_data(tmp_path / "a", seed=11, **SMALL)
    b = write_sample_data(tmp_path / "b", seed=11, **SMALL)
    c = write_sample_data(tmp_path / "c", seed=12, **SMALL)
    for field in ("prices", "trades", "blocked"):
        fa, fb, fc = (getattr(x, field).read_bytes() for x in (a, b, c))
        assert fa == fb, field
        assert fa != fc, field


def test_rejects_bad_sizes(tmp_path: Path) -> None:
    with pytest.raises(ValueError):
        write_sample_data(tmp_path, symbols=0)
    with pytest.raises(ValueError):
        write_sample_data(tmp_path, symbols=99)
    with pytest.raises(ValueError):
        write_sample_data(tmp_path, days=0)


def test_bar_columns_and_types(bars: pl.DataFrame) -> None:
    assert bars.columns == ["symbol", "ts", "open", "high", "low", "close", "volume"]
    assert bars.schema["ts"] == pl.Datetime("us", "UTC")
    assert bars.height == 4 * 60 * 1440
    assert bars["symbol"].unique().sort().to_list() == ["AVAXUSD", "BTCUSD", "ETHUSD", "SOLUSD"]
    assert bars["ts"].min() == datetime(2025, 1, 6, tzinfo=UTC)
    assert bars.null_count().sum_horizontal().item() == 0


def test_bar_price_invariants(bars: pl.DataFrame) -> None:
    o, h, lo, c, v = (bars[k].to_numpy() for k in ("open", "high", "low", "close", "volume"))
    assert (np.minimum.reduce([o, h, lo, c]) > 0).all()
    assert (h >= np.maximum(o, c)).all()
    assert (lo <= np.minimum(o, c)).all()
    assert (v > 0).all()
    assert np.isfinite(np.stack([o, h, lo, c, v])).all()


def test_bars_are_contiguous_minutes_with_open_at_previous_close(bars: pl.DataFrame) -> None:
    per_sym = bars.sort("symbol", "ts").group_by("symbol", maintain_order=True)
    starts = []
    for (sym,), g in per_sym:
        gaps = np.diff(g["ts"].dt.epoch("ms").to_numpy())
        assert (gaps == MINUTE_MS).all(), sym
        assert np.array_equal(g["open"].to_numpy()[1:], g["close"].to_numpy()[:-1]), sym
        starts.append(g["open"][0])
    assert len(set(starts)) == len(starts), "symbols should have distinct start prices"


def test_bars_have_intraday_volatility_pattern(bars: pl.DataFrame) -> None:
    r = (
        bars.sort("symbol", "ts")
        .with_columns(
            (pl.col("close").log() - pl.col("open").log()).abs().alias("absret"),
            pl.col("ts").dt.hour().alias("hour"),
        )
        .group_by("hour")
        .agg(pl.col("absret").mean())
        .sort("hour")["absret"]
        .to_numpy()
    )
    assert r[14] > 1.3 * r[6], "the US-open hours should be clearly busier than 06:00 UTC"


def test_every_line_is_a_valid_decision(
    sample: SampleFiles,
    trades: list[dict[str, Any]],
    blocked: list[dict[str, Any]],
    bars: pl.DataFrame,
) -> None:
    symbols = set(bars["symbol"].unique().to_list())
    for raw in sample.trades.read_text().splitlines() + sample.blocked.read_text().splitlines():
        assert isinstance(json.loads(raw), dict)
    for rec in trades + blocked:
        assert isinstance(rec["decision_id"], str) and rec["decision_id"]
        _ms(rec["ts"])
        assert rec["symbol"] in symbols
        assert rec["direction"] in DIRECTIONS
        assert isinstance(rec["entry_score"], float)
        comps = rec["components"]
        assert isinstance(comps, dict)
        assert set(comps) <= set(TRUE_WEIGHTS)
        assert all(isinstance(x, float) for x in comps.values())
        if "notional" in rec:
            assert rec["notional"] in (500.0, 1000.0, 1500.0, 2000.0)
        assert "pnl" not in rec
    for rec in trades:
        assert rec["entry_price"] > 0 and rec["qty"] > 0
        notional = rec.get("notional", 1000.0)
        assert rec["fees"] == pytest.approx(notional * 0.0005)
        assert rec["qty"] * rec["entry_price"] == pytest.approx(notional, rel=1e-6)
        assert ("exit_ts" in rec) == ("exit_price" in rec)
        assert "reason" not in rec
    for rec in blocked:
        assert isinstance(rec["reason"], str) and rec["reason"]
        assert rec["price"] > 0
        assert "entry_price" not in rec


def test_decision_ids_unique_across_files(
    trades: list[dict[str, Any]], blocked: list[dict[str, Any]]
) -> None:
    ids = [r["decision_id"] for r in trades + blocked]
    assert len(ids) == 3000
    assert len(set(ids)) == len(ids)


def test_field_variety_is_exercised(
    trades: list[dict[str, Any]], blocked: list[dict[str, Any]]
) -> None:
    recs = trades + blocked
    ts = [r["ts"] for r in recs]
    assert any(isinstance(t, int) for t in ts)
    assert any(isinstance(t, str) and t.endswith("Z") for t in ts)
    assert any(isinstance(t, str) and t.endswith("-05:00") for t in ts)
    assert {r["direction"] for r in recs} == set(DIRECTIONS)
    assert any("notional" not in r for r in recs) and any("notional" in r for r in recs)
    assert any(len(r["components"]) < len(TRUE_WEIGHTS) for r in recs)
    assert all(len(r["components"]) >= len(TRUE_WEIGHTS) - 1 for r in recs)


def test_trade_times_follow_the_decision(trades: list[dict[str, Any]]) -> None:
    for rec in trades:
        delay = _ms(rec["entry_ts"]) - _ms(rec["ts"])
        assert 2_000 <= delay <= 10_000
        if "exit_ts" in rec:
            hold = _ms(rec["exit_ts"]) - _ms(rec["entry_ts"])
            assert 30 * MINUTE_MS <= hold <= 480 * MINUTE_MS


def test_some_trades_open_some_closed_and_open_means_no_bar_yet(
    trades: list[dict[str, Any]], closes: dict[str, tuple[np.ndarray, np.ndarray]]
) -> None:
    closed = [r for r in trades if "exit_ts" in r]
    open_ = [r for r in trades if "exit_ts" not in r]
    assert closed and open_
    for rec in closed:
        assert _ms(rec["exit_ts"]) <= closes[rec["symbol"]][0][-1]
    for rec in trades:
        assert _ms(rec["entry_ts"]) <= closes[rec["symbol"]][0][-1]


def test_logged_prices_match_bars(
    trades: list[dict[str, Any]],
    blocked: list[dict[str, Any]],
    closes: dict[str, tuple[np.ndarray, np.ndarray]],
) -> None:
    for rec in trades:
        ref = _price_at(closes, rec["symbol"], _ms(rec["entry_ts"]))
        assert abs(rec["entry_price"] / ref - 1) <= 3.5e-4
        if "exit_ts" in rec:
            assert rec["exit_price"] == _price_at(closes, rec["symbol"], _ms(rec["exit_ts"]))
    for rec in blocked:
        assert rec["price"] == _price_at(closes, rec["symbol"], _ms(rec["ts"]))


def test_block_reasons_and_threshold(
    trades: list[dict[str, Any]], blocked: list[dict[str, Any]]
) -> None:
    reasons = {r["reason"] for r in blocked}
    assert "score_below_threshold" in reasons
    assert reasons - {"score_below_threshold"}
    assert all(r["entry_score"] >= 0.5 for r in trades)
    assert all(r["entry_score"] < 0.5 for r in blocked if r["reason"] == "score_below_threshold")
    other = sum(r["reason"] != "score_below_threshold" for r in blocked)
    assert 0.04 < other / 3000 < 0.12
    assert 0.2 < len(trades) / 3000 < 0.6


def _realized(trades: list[dict[str, Any]]) -> tuple[np.ndarray, np.ndarray]:
    """Components matrix (missing = 0) and direction-adjusted return of closed trades."""
    closed = [r for r in trades if "exit_price" in r]
    x = np.array([[r["components"].get(c, 0.0) for c in TRUE_WEIGHTS] for r in closed])
    sign = np.array([DIRECTIONS[r["direction"]] for r in closed])
    entry = np.array([r["entry_price"] for r in closed])
    exit_ = np.array([r["exit_price"] for r in closed])
    return x, sign * (exit_ / entry - 1.0)


@pytest.fixture(scope="module")
def many_trades(tmp_path_factory: pytest.TempPathFactory) -> list[dict[str, Any]]:
    """Enough trades (about 10,000 closed) to measure a weak signal."""
    files = write_sample_data(tmp_path_factory.mktemp("many"), seed=1, symbols=2, days=60,
                              decisions=30_000)  # fmt: skip
    return _read_jsonl(files.trades)


def _correlations(trades: list[dict[str, Any]]) -> dict[str, float]:
    x, ret = _realized(trades)
    return {c: float(np.corrcoef(x[:, j], ret)[0, 1]) for j, c in enumerate(TRUE_WEIGHTS)}


def test_signal_is_weak_as_in_real_books_momentum_helps_dark_pool_hurts(
    many_trades: list[dict[str, Any]],
) -> None:
    corr = _correlations(many_trades)
    assert 0.02 < corr["momentum"] < 0.10  # real, but far from foresight
    assert corr["dark_pool"] < -0.02
    assert all(abs(corr[c]) < 0.04 for c in ("flow", "iv_skew", "news")), corr


def test_trades_earn_basis_points_not_foresight(many_trades: list[dict[str, Any]]) -> None:
    """A few basis points a trade on average (the components' weak edge), not the tens a bot
    that foresees the next hours would make."""
    _, ret = _realized(many_trades)
    assert 0.0 < ret.mean() < 0.002
