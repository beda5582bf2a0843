"""Deterministic synthetic inputs (SPEC §2) for demos, tests and benchmarks.

The generator first simulates the market (1-minute bars), then simulates a bot
whose signal components are noisy functions of the *realized* forward return
after each decision. That way the components carry real, known predictive
power of a realistic size (momentum some, dark_pool harmful, the rest next to
none), so the learning engine has something true, and hard, to discover.

Every price the bot "sees" is taken the way SPEC §3 defines `price_at`: the close
of the latest bar whose `available_at = ts + 1 minute` is <= the moment, so the
logged entry and exit prices agree with what tradelens will compute itself.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import polars as pl

__all__ = ["COMPONENTS", "SYMBOLS", "TRUE_WEIGHTS", "SampleFiles", "write_sample_data"]

START = np.datetime64("2025-01-06T00:00:00", "ms")
"""First bar's open time (UTC); a Monday, so day-of-week effects start cleanly."""
BAR_MS = 60_000
MINUTES_PER_YEAR = 365 * 1440

# (name, start price, annualized volatility, price decimals, volume per minute in quote $)
SYMBOLS: tuple[tuple[str, float, float, int, float], ...] = (
    ("BTCUSD", 60000.0, 0.55, 2, 2_000_000.0),
    ("ETHUSD", 3000.0, 0.70, 2, 1_200_000.0),
    ("SOLUSD", 150.0, 0.95, 3, 500_000.0),
    ("AVAXUSD", 35.0, 1.05, 3, 150_000.0),
    ("LINKUSD", 18.0, 0.90, 4, 120_000.0),
    ("DOGEUSD", 0.12, 1.10, 5, 200_000.0),
    ("ADAUSD", 0.45, 1.00, 5, 100_000.0),
    ("XRPUSD", 0.55, 0.90, 5, 250_000.0),
    ("DOTUSD", 7.0, 0.95, 4, 80_000.0),
    ("LTCUSD", 90.0, 0.80, 3, 90_000.0),
)

COMPONENTS: tuple[str, ...] = ("momentum", "flow", "iv_skew", "news", "dark_pool")
TRUE_WEIGHTS: dict[str, float] = {
    "momentum": 1.0,
    "flow": 0.8,
    "iv_skew": 0.5,
    "news": 0.3,
    "dark_pool": -0.2,
}
"""The bot's own weights in entry_score (what tradelens starts from, not the truth)."""
_INFO: dict[str, float] = {
    "momentum": 0.10,
    "flow": 0.02,
    "iv_skew": 0.01,
    "news": 0.0,
    "dark_pool": -0.10,
}
"""True correlation of each component with the direction-adjusted forward return, of the size
real signals have: momentum useful, flow, iv_skew and news next to noise, dark_pool harmful. A
few months of decisions hint at it without proving it; the best cells' Sharpe ratios stay in
the range of real books (about 0.5 to 4), not the 20 of a bot that sees the future."""
_DIRECTION_INFO = 0.0
"""How much the bot's long/short call foresees the next 2 hours: none (a coin flip); what edge
there is comes from the components."""

SCORE_THRESHOLD = 0.5
OTHER_REASONS = ("cooldown", "max_exposure", "risk_limit")
NOTIONALS = np.array([500.0, 1000.0, 1500.0, 2000.0])
DEFAULT_NOTIONAL = 1000.0
FEE_RATE = 0.0005
TAIL_HOURS = 10


@dataclass(frozen=True)
class SampleFiles:
    """Paths of the three files written, in the formats tradelens ingests."""

    prices: Path
    trades: Path
    blocked: Path


def write_sample_data(
    out_dir: Path,
    seed: int = 7,
    symbols: int = 4,
    days: int = 60,
    decisions: int = 3000,
    signal: Mapping[str, float] | None = None,
    flip_halfway: Sequence[str] = (),
) -> SampleFiles:
    """Write prices.parquet, trades.jsonl and blocked.jsonl into out_dir.

    `signal`: each component's true correlation with the direction-adjusted forward return
    (default: the realistic one above; all 0: a market without any edge). `flip_halfway`: these
    components' correlation changes sign for decisions in the second half of the span (a
    regime change). Same arguments give byte-identical files, so tests and benchmarks can rely
    on them.
    """
    if not 1 <= symbols <= len(SYMBOLS):
        raise ValueError(f"symbols must be between 1 and {len(SYMBOLS)}, got {symbols}")
    if days < 1:
        raise ValueError(f"days must be >= 1, got {days}")
    if decisions < 1:
        raise ValueError(f"decisions must be >= 1, got {decisions}")
    unknown = set(flip_halfway) - set(COMPONENTS)
    if unknown:
        raise ValueError(f"flip_halfway names unknown components: {', '.join(sorted(unknown))}")
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(seed)

    specs = SYMBOLS[:symbols]
    n_bars = days * 1440
    bar_ms = START.astype(np.int64) + np.arange(n_bars, dtype=np.int64) * BAR_MS
    closes = _simulate_prices(rng, specs, n_bars, out_dir / "prices.parquet")
    info = {**_INFO, **(signal or {})}
    records = _simulate_decisions(rng, specs, bar_ms, closes, decisions, info, flip_halfway)

    files = SampleFiles(
        prices=out_dir / "prices.parquet",
        trades=out_dir / "trades.jsonl",
        blocked=out_dir / "blocked.jsonl",
    )
    _write_jsonl(files.trades, records["trades"])
    _write_jsonl(files.blocked, records["blocked"])
    return files


# --------------------------------------------------------------------------- prices


def _intraday_profile() -> np.ndarray:
    """Volatility multiplier per UTC minute of day, RMS 1: busy at the US open
    (13:30-15:00), a bump at 20:00 and a smaller one around the 00:00 roll."""
    m = np.arange(1440, dtype=np.float64)
    midnight = np.minimum(m, 1440 - m)
    prof = (
        0.75
        + 1.1 * np.exp(-0.5 * ((m - 855.0) / 45.0) ** 2)
        + 0.6 * np.exp(-0.5 * ((m - 1200.0) / 25.0) ** 2)
        + 0.35 * np.exp(-0.5 * (midnight / 60.0) ** 2)
    )
    return prof / np.sqrt(np.mean(prof**2))


def _regimes(rng: np.random.Generator, n_bars: int) -> np.ndarray:
    """Market-wide volatility regime per bar: calm, normal or stressed spells of days."""
    n_seg = n_bars // 1440 + 1
    lengths = (1440 * (1.0 + rng.exponential(4.0, n_seg))).astype(np.int64)
    levels = rng.choice(np.array([0.6, 1.0, 1.8]), size=n_seg, p=[0.3, 0.5, 0.2])
    return np.repeat(levels, lengths)[:n_bars]


def _student_t(rng: np.random.Generator, size: int) -> np.ndarray:
    """Unit-variance fat-tailed shocks (Student t, 4 degrees of freedom)."""
    return rng.standard_t(4.0, size) / np.sqrt(2.0)


def _simulate_prices(
    rng: np.random.Generator,
    specs: tuple[tuple[str, float, float, int, float], ...],
    n_bars: int,
    path: Path,
) -> dict[str, np.ndarray]:
    """Write the bars file; return each symbol's close series for the bot simulation."""
    vol_mult = np.tile(_intraday_profile(), n_bars // 1440 + 1)[:n_bars] * _regimes(rng, n_bars)
    market = _student_t(rng, n_bars)
    rho = 0.6  # share of variance from the common crypto factor
    ts_us = (START.astype(np.int64) + np.arange(n_bars, dtype=np.int64) * BAR_MS) * 1000

    frames: list[pl.DataFrame] = []
    closes: dict[str, np.ndarray] = {}
    for name, p0, ann_vol, decimals, quote_volume in specs:
        sigma = ann_vol / np.sqrt(MINUTES_PER_YEAR) * vol_mult
        shock = np.sqrt(rho) * market + np.sqrt(1.0 - rho) * _student_t(rng, n_bars)
        log_ret = sigma * shock - 0.5 * sigma**2
        close = np.round(p0 * np.exp(np.cumsum(log_ret)), decimals)
        tick = 10.0**-decimals
        close = np.maximum(close, tick)
        open_ = np.concatenate(([p0], close[:-1]))
        top = np.maximum(open_, close)
        bottom = np.minimum(open_, close)
        wick_hi = np.exp(sigma * np.abs(rng.standard_normal(n_bars)) * 0.6)
        wick_lo = np.exp(-sigma * np.abs(rng.standard_normal(n_bars)) * 0.6)
        high = np.maximum(np.round(top * wick_hi, decimals), top)
        # Floor at one tick keeps lows positive; bottom >= tick already, so low <= bottom holds.
        low = np.clip(np.round(bottom * wick_lo, decimals), tick, bottom)
        activity = vol_mult * (1.0 + 2.0 * np.abs(shock)) / 2.0
        volume = quote_volume / close * activity * rng.lognormal(0.0, 0.4, n_bars)
        volume = np.maximum(np.round(volume), 1.0)
        frames.append(
            pl.DataFrame(
                {
                    "symbol": pl.repeat(name, n_bars, dtype=pl.String, eager=True),
                    "ts": pl.Series(ts_us, dtype=pl.Int64),
                    "open": open_,
                    "high": high,
                    "low": low,
                    "close": close,
                    "volume": volume,
                }
            )
        )
        closes[name] = close

    bars = pl.concat(frames).with_columns(
        pl.col("ts").cast(pl.Datetime("us")).dt.replace_time_zone("UTC")
    )
    bars.write_parquet(path, compression="zstd", statistics=True)
    return closes


# ------------------------------------------------------------------------ decisions


def _price_index(avail_ms: np.ndarray, t_ms: np.ndarray) -> np.ndarray:
    """Index of the bar with the greatest available_at <= t (SPEC §3), -1 if none."""
    return np.searchsorted(avail_ms, t_ms, side="right") - 1


def _simulate_decisions(
    rng: np.random.Generator,
    specs: tuple[tuple[str, float, float, int, float], ...],
    bar_ms: np.ndarray,
    closes: dict[str, np.ndarray],
    n: int,
    info: Mapping[str, float],
    flip_halfway: Sequence[str] = (),
) -> dict[str, list[dict[str, Any]]]:
    """Decision records of a bot whose components partly foresee the next 2 hours."""
    avail_ms = bar_ms + BAR_MS
    first_ms = int(avail_ms[0]) + 4 * BAR_MS
    last_ms = int(avail_ms[-1]) - 10_000  # entry (ts + <=10 s) always has a bar
    # A live bot's log runs up to "now": a small share of decisions falls in the last
    # hours, where long holds end after the last bar and the trade is still open.
    n_tail = min(n, max(3, n // 100))
    tail_start = max(first_ms, last_ms - TAIL_HOURS * 3_600_000)
    ts = np.concatenate(
        (
            rng.integers(first_ms, last_ms, n - n_tail, endpoint=True),
            rng.integers(tail_start, last_ms, n_tail, endpoint=True),
        )
    )
    ts.sort()

    names = np.array([s[0] for s in specs])
    sym_weights = np.linspace(2.0, 1.0, len(specs))
    sym_idx = rng.choice(len(specs), size=n, p=sym_weights / sym_weights.sum())

    # Vectorized price lookups per symbol (searchsorted), never per decision.
    px_ts = np.empty(n)
    fwd_z = np.empty(n)
    for k, (name, _p0, ann_vol, _dec, _vol) in enumerate(specs):
        mask = sym_idx == k
        c = closes[name]
        i0 = _price_index(avail_ms, ts[mask])
        i2 = np.minimum(_price_index(avail_ms, ts[mask] + 120 * BAR_MS), len(c) - 1)
        px_ts[mask] = c[i0]
        fwd_z[mask] = np.log(c[i2] / c[i0]) / (ann_vol * np.sqrt(120.0 / MINUTES_PER_YEAR))
    fwd_z = np.clip(fwd_z, -3.0, 3.0)

    direction = np.where(_DIRECTION_INFO * fwd_z + rng.standard_normal(n) >= 0.0, 1, -1)
    edge = direction * fwd_z  # what a component "knows": the direction-adjusted future
    comp = np.empty((n, len(COMPONENTS)))
    late = ts >= (int(bar_ms[0]) + int(bar_ms[-1])) // 2  # the second half of the span
    for j, c_name in enumerate(COMPONENTS):
        rho = info[c_name]
        sign = np.where(late, -1.0, 1.0) if c_name in flip_halfway else 1.0
        comp[:, j] = sign * rho * edge + np.sqrt(1.0 - rho**2) * rng.standard_normal(n)
    comp = np.round(comp, 4)
    present = np.ones_like(comp, dtype=bool)
    drops = rng.random(n) < 0.15
    present[np.flatnonzero(drops), rng.integers(0, len(COMPONENTS), int(drops.sum()))] = False
    weights = np.array([TRUE_WEIGHTS[c] for c in COMPONENTS])
    score = np.round((np.where(present, comp, 0.0) @ weights) + 0.25 * rng.standard_normal(n), 4)

    other_block = rng.random(n) < 0.08
    other_reason = rng.integers(0, len(OTHER_REASONS), n)
    executed = ~other_block & (score >= SCORE_THRESHOLD)

    has_notional = rng.random(n) < 0.7
    notional = NOTIONALS[rng.integers(0, len(NOTIONALS), n)]
    eff_notional = np.where(has_notional, notional, DEFAULT_NOTIONAL)

    entry_ms = ts + rng.integers(2_000, 10_000, n, endpoint=True)
    exit_ms = entry_ms + rng.integers(30, 480, n, endpoint=True) * BAR_MS
    closed = exit_ms <= avail_ms[-1]  # later exits are pending: the trade is open
    entry_px = np.empty(n)
    exit_px = np.full(n, np.nan)
    for k, (name, _p0, _vol, decimals, _qv) in enumerate(specs):
        mask = sym_idx == k
        c = closes[name]
        slip = 1.0 + direction[mask] * rng.uniform(0.0, 3e-4, int(mask.sum()))
        entry_px[mask] = np.round(c[_price_index(avail_ms, entry_ms[mask])] * slip, decimals + 2)
        done = mask & closed
        exit_px[done] = c[_price_index(avail_ms, exit_ms[done])]
    qty = np.round(eff_notional / entry_px, 8)
    fees = np.round(eff_notional * FEE_RATE, 6)

    fmt = rng.choice(3, size=n, p=[0.85, 0.10, 0.05])  # 0 = ISO Z, 1 = epoch ms, 2 = -05:00
    alias = rng.random(n) < 0.10
    dir_text = np.where(
        direction > 0, np.where(alias, "buy", "long"), np.where(alias, "sell", "short")
    )
    width = max(6, len(str(n)))

    trades: list[dict[str, Any]] = []
    blocked: list[dict[str, Any]] = []
    ts_out = _format_ts(ts, fmt)
    entry_out = _format_ts(entry_ms, fmt)
    exit_out = _format_ts(exit_ms, fmt)
    for i in range(n):
        rec: dict[str, Any] = {
            "decision_id": f"d{i:0{width}d}",
            "ts": ts_out[i],
            "symbol": str(names[sym_idx[i]]),
            "direction": str(dir_text[i]),
            "entry_score": float(score[i]),
            "components": {
                c_name: float(comp[i, j]) for j, c_name in enumerate(COMPONENTS) if present[i, j]
            },
        }
        if has_notional[i]:
            rec["notional"] = float(notional[i])
        if executed[i]:
            rec["entry_ts"] = entry_out[i]
            rec["entry_price"] = float(entry_px[i])
            rec["qty"] = float(qty[i])
            rec["fees"] = float(fees[i])
            if closed[i]:
                rec["exit_ts"] = exit_out[i]
                rec["exit_price"] = float(exit_px[i])
            trades.append(rec)
        else:
            rec["reason"] = (
                OTHER_REASONS[other_reason[i]] if other_block[i] else "score_below_threshold"
            )
            rec["price"] = float(px_ts[i])
            blocked.append(rec)
    return {"trades": trades, "blocked": blocked}


def _format_ts(t_ms: np.ndarray, fmt: np.ndarray) -> list[str | int]:
    """Render instants as ISO 'Z', epoch milliseconds or ISO '-05:00' (same instant)."""
    utc = np.char.add(np.datetime_as_string(t_ms.astype("datetime64[ms]"), unit="ms"), "Z")
    local = np.datetime_as_string((t_ms - 5 * 3_600_000).astype("datetime64[ms]"), unit="ms")
    local = np.char.add(local, "-05:00")
    return [
        int(t_ms[i]) if f == 1 else str(local[i]) if f == 2 else str(utc[i])
        for i, f in enumerate(fmt.tolist())
    ]


def _write_jsonl(path: Path, records: list[dict[str, Any]]) -> None:
    """One compact JSON object per line; key order fixed so bytes are reproducible."""
    text = "".join(json.dumps(r, separators=(",", ":")) + "\n" for r in records)
    path.write_text(text, encoding="utf-8")
