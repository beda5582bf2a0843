"""The report's words for the warehouse's names, shared by its tables and its charts: the
objectives, the kinds of learned setting, setting names, score ranges and sums of money."""

from __future__ import annotations

OBJECTIVE_LABELS = {
    "sharpe": "Sharpe ratio (annualized, of daily weighted P&L)",
    "weighted_pnl": "weighted P&L (quote currency)",
    "pnl_over_drawdown": "weighted P&L ÷ max drawdown (ratio)",
}
OBJECTIVE_SHORT = {
    "sharpe": "Sharpe",
    "weighted_pnl": "weighted P&L",
    "pnl_over_drawdown": "P&L ÷ drawdown",
}
KINDS = ("weight", "multiplier", "timing")
KIND_TITLES = {
    "weight": "Signal weights (which decisions are taken)",
    "multiplier": "Position size multipliers per confidence (entry_score) bucket",
    "timing": "Timing (when trades enter and exit)",
}
KIND_SHORT = {"weight": "signal weights", "multiplier": "position sizing", "timing": "timing"}
TIMING_NAMES = {"entry_delay_min": "entry delay after the signal", "hold_min": "hold"}


def setting_name(kind: str, name: str) -> str:
    """A learned setting in words: a weight's component, a sizing bucket, a timing setting."""
    if kind == "multiplier":
        return f"bucket {name}"
    if kind == "timing":
        return TIMING_NAMES.get(name, name)
    return name


def score_range(lo: float | None, hi: float | None) -> str:
    """The entry_score range of a sizing bucket (the lowest and the highest are open)."""
    if lo is None and hi is None:
        return "all scores"
    if lo is None:
        return f"score < {hi:.3g}"
    if hi is None:
        return f"score ≥ {lo:.3g}"
    return f"{lo:.3g} ≤ score < {hi:.3g}"


def money(value: float | None) -> str:
    return "-" if value is None else f"{value:,.2f}"
