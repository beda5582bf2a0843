"""How the health panel shows a /health value, by format name (`data-format` on the page):
counts, runs, durations, ages and moments in words. static/health_panel.js has the same
formats (its FORMATS and `relative`) for the documents it fetches, so a value reads the same
when the page is rendered and after each refresh."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from analytics.outputs.html import badge, escape
from analytics.times import as_utc

TIME_UNITS = ((86400, "day"), (3600, "hour"), (60, "minute"), (1, "second"))


def run_text(run_id: int | None) -> str:
    return "none yet" if run_id is None else f"run {run_id}"


PLAIN_FORMATS: dict[str, Callable[[Any], str]] = {
    "text": lambda v: "-" if v is None else str(v),
    "error": lambda v: v or "none",
    "count": lambda v: f"{int(v or 0):,}",
    "number": lambda v: "-" if v is None else f"{v:,}",
    "duration": lambda v: "-" if v is None else f"{v:.2f} s",
    "yesno": lambda v: "yes" if v else "no",
    "run": run_text,
    "carried": lambda v: "-" if v is None else f"run {v}",
    "list": lambda v: ", ".join(map(str, v or [])) or "(none)",
    "minutes": lambda v: "-" if v is None else f"{v:g} minutes",
    "step": lambda v: f"step: {v}" if v else "",
    "time": lambda v: "-" if not v else str(v).replace("T", " ").replace("Z", " UTC"),
}


def seconds_ago(fmt: str, value: Any, now: datetime) -> float | None:
    """How long ago (> 0) or ahead (< 0) an age or a moment is; None for other formats."""
    if value is None:
        return None
    if fmt == "age":
        return float(value)
    if fmt == "relative":
        return (now - as_utc(datetime.fromisoformat(str(value)))).total_seconds()
    return None


def relative_words(seconds: float) -> str:
    """'42 seconds ago', '3 minutes ago', 'in 5 minutes': what Intl.RelativeTimeFormat says."""
    size = abs(seconds)
    if size < 1:
        return "just now"
    unit, name = next((u, n) for u, n in TIME_UNITS if size >= u)
    count = int(size // unit)
    words = f"{count} {name}{'' if count == 1 else 's'}"
    return f"{words} ago" if seconds > 0 else f"in {words}"


def shown(fmt: str, value: Any, seconds: float | None) -> str:
    """The HTML of one value in one of the panel's formats (`seconds`: from seconds_ago)."""
    if fmt == "status":
        return "" if value is None else badge(value, value)
    if fmt in ("age", "relative"):
        return escape("never" if seconds is None else relative_words(seconds))
    return escape(PLAIN_FORMATS[fmt](value))
