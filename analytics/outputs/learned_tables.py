"""The report's "what this version learned, and why": one table per kind of setting (weights,
size multipliers, timing) with before, best and after, the evidence behind the best cell (its
outcomes, p_value and gain) and a verdict in words read from the learning's note."""

from __future__ import annotations

from collections.abc import Callable

import polars as pl

from analytics.learning.policies import policy_rule
from analytics.outputs.html import badge, card, escape, header_cells, table, table_row
from analytics.outputs.labels import KIND_TITLES, KINDS, OBJECTIVE_SHORT, score_range, setting_name

# how a note that did not move the setting starts, and the verdict it stands for
STAYED = (
    ("carried forward", "carried", "carried forward"),
    ("stays: not significant", "not-significant", "not significant"),
    ("no cell has", "thin", "below min_samples"),
    ("no new evidence", "no-evidence", "no new evidence"),
    ("no new data time", "no-evidence", "no new data time"),
    ("held:", "held", "held at static: lost out of sample"),
    ("best is the current setting", "at-best", "best is the current setting"),
)
SETTING_FORMATS: dict[str, Callable[[float], str]] = {
    "weight": lambda v: f"{v:.4g}",
    "multiplier": lambda v: f"{v:.4g}×",
    "timing": lambda v: f"{v:.4g} min",
}


def learned_section(learned: pl.DataFrame, settings: dict) -> str:
    """The tables of every kind, under the rule a setting moves by (with this run's settings)."""
    alpha = _significance_level(settings)
    objective = OBJECTIVE_SHORT.get(settings.get("objective", "sharpe"), "objective")
    tables = "".join(
        _learned_table(kind, learned.filter(kind=kind).to_dicts(), alpha, objective, settings)
        for kind in KINDS
    )
    intro = f"<p class='muted'>{escape(_moving_rule(settings, alpha))}</p>"
    return card("learned", "What this version learned, and why", intro + tables)


def _significance_level(settings: dict) -> float:
    """SPEC §13: a picked cell steps only when its p_value is at most (1 − confidence)/2."""
    return (1 - settings.get("confidence", 0.9)) / 2


def _verdict(row: dict) -> tuple[str, str]:
    """(badge class, verdict in words) of one learned setting, read from its note."""
    note = row["note"] or ""
    if row["applied"]:
        if row["significant"]:
            return "moved", "moved"
        return "not-significant", "moved, not significant"  # a policy that steps without it
    for start, badge_class, words in STAYED:
        if note.startswith(start):
            return badge_class, words
    return "stays", "stays"


def _moving_rule(settings: dict, alpha: float) -> str:
    policy = settings.get("learning_policy") or (
        "gate" if settings.get("require_significance", True) is not False else "unguarded"
    )
    period = settings.get("learning_period", "run")
    rate = f"{settings.get('learning_rate', 0.1):.0%} of the way" + (
        "" if period == "run" else f" per {period} of data"
    )
    return (
        f"A setting moves {rate} toward the best cell of its grid when that cell has at least "
        f"min_samples = {settings.get('min_samples', '?')} resolved outcomes and the "
        f"learning policy ({policy}) {policy_rule(policy, alpha)}; otherwise it stays, and "
        "the verdict says why."
    )


def _learned_table(
    kind: str, rows: list[dict], alpha: float, objective: str, settings: dict
) -> str:
    title = f"<h3>{escape(KIND_TITLES[kind])}</h3>"
    if not rows:
        return f"{title}<p class='muted'>nothing learned</p>"
    confidence = settings.get("confidence", 0.9)
    head = header_cells(
        ("setting", "before", "best", "after", "change", "outcomes n",
         f"p_value (significant at ≤ {alpha:.3g})",
         f"gain in {objective} ({confidence:.0%} interval)", "verdict")
    )  # fmt: skip
    body = "".join(_learned_row(kind, r, alpha) for r in rows)
    return title + table(f"class='learned' data-kind='{kind}'", head, body)


def _learned_row(kind: str, row: dict, alpha: float) -> str:
    show = SETTING_FORMATS[kind]
    badge_class, words = _verdict(row)
    change = row["after"] - row["before"]
    texts = [
        _setting_label(kind, row),
        show(row["before"]),
        "-" if row["best"] is None else show(row["best"]),
        show(row["after"]),
        "no change" if change == 0 else f"{change:+.4g}",
        f"{row['n']:,}",
        _p_value(row["p_value"], alpha),
        _gain(row),
    ]
    note = f"{badge(badge_class, words)} <span class='note'>{escape(row['note'])}</span>"
    return table_row([*map(escape, texts), note])


def _setting_label(kind: str, row: dict) -> str:
    name = setting_name(kind, row["name"])
    if kind == "multiplier":
        return f"{name} ({score_range(row['score_lo'], row['score_hi'])})"
    return name


def _p_value(p_value: float | None, alpha: float) -> str:
    if p_value is None:
        return "-"  # nothing was tested
    return f"{p_value:.3g} {'≤' if p_value <= alpha else '>'} {alpha:.3g}"


def _gain(row: dict) -> str:
    if row["gain"] is None:
        return "-"
    interval = "" if row["gain_lo"] is None else f" [{row['gain_lo']:.3g}, {row['gain_hi']:.3g}]"
    return f"{row['gain']:+.3g}{interval}"
