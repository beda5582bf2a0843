"""The analyst's HTML report: one self-contained page (plotly.js inline once, no network) of a
published version: what it learned and why, timing heatmaps, weight-variation curves, sizing
multipliers, blocked trades over time, learned weights across versions, the walk-forward
evaluation and the run log with component health.

With the service's /health document it also gets a health panel for operators on top, which
refreshes itself from /health (same origin) while the page is open."""

from __future__ import annotations

import html
import json
import math
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import plotly.graph_objects as go
import polars as pl
from plotly.colors import diverging, make_colorscale
from plotly.offline import get_plotlyjs
from plotly.subplots import make_subplots

from analytics.outputs.summary import blocked_summary
from analytics.times import as_utc, utc_now
from analytics.warehouse import Warehouse, load_sql, published_version

RUN_LOG_LIMIT = 25
HEALTH_POLL_SEC = 5
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
MISSED, AVOIDED = "#d62728", "#2ca02c"  # red: blocking cost money; green: it saved money
UNRESOLVED = "#9e9e9e"
LEARNED, STATIC = "#1f77b4", "#7f7f7f"
# red: worse than the current setting, white: as good, blue: better
VERSUS_NOW = make_colorscale(diverging.RdBu)
CHART_CONFIG = {"displaylogo": False, "responsive": True}


@dataclass(frozen=True)
class Chart:
    """One figure of the report, or the reason it has nothing to show."""

    key: str
    title: str
    figure: go.Figure | None
    empty_reason: str = ""
    height_px: int = 460


def build_report(
    warehouse: Warehouse, version: int | None = None, health: dict | None = None
) -> str:
    """A complete HTML page for `version` (default: the latest published run).

    `health` (the service's /health fields) adds the live health panel at the top. An empty
    warehouse gives a page that says so; an explicit `version` that is not a published run is
    an error.
    """
    run = _published_run(warehouse, version)
    shown = None if run is None else run["run_id"]
    panel = [] if health is None else [_health_panel(health, shown)]
    if run is None:
        sections = [*panel, _no_version_section(), _run_log_section(warehouse, None)]
        return _page("tradelens report", sections, charts=False, live=health is not None)
    learned = _frame(warehouse, "report_learned_state", run_id=run["run_id"])
    evaluation, evaluation_charts = _evaluation(warehouse)
    sections = [
        *panel,
        _header(warehouse, run, learned),
        _learned_section(learned, run["settings"]),
        *(_chart_section(c) for c in _charts(warehouse, run, learned)),
        evaluation,
        *(_chart_section(c) for c in evaluation_charts),
        _run_log_section(warehouse, run["run_id"]),
    ]
    title = f"tradelens report: version {run['run_id']}"
    return _page(title, sections, charts=True, live=health is not None)


def health_page(health: dict, note: str) -> str:
    """The live health panel alone, for when there is no report to show (yet); it points to a
    reload once a version newer than the one published now is."""
    panel = _health_panel(health, health.get("published_run_id"))
    sections = [panel, f"<section class='card'><p>{_e(note)}</p></section>"]
    return _page("tradelens service", sections, charts=False, live=True)


# --- data -----------------------------------------------------------------------------------


def _published_run(warehouse: Warehouse, version: int | None) -> dict | None:
    """The run row of `version` (default: the newest published); None when none is published."""
    if version is None and not warehouse.value("SELECT count(*) FROM runs WHERE published"):
        return None
    run_id = published_version(warehouse, version)
    return _with_config(warehouse.rows("SELECT * FROM runs WHERE run_id = ?", [run_id])[0])


def _with_config(row: dict) -> dict:
    return {**row, "settings": json.loads(row["config"])}


def _frame(warehouse: Warehouse, name: str, **params) -> pl.DataFrame:
    return warehouse.frame(load_sql(f"outputs/{name}"), params)


def _significance_level(settings: dict) -> float:
    """SPEC §13: a picked cell steps only when its p_value is at most (1 − confidence)/2."""
    return (1 - settings.get("confidence", 0.9)) / 2


# --- what the version learned ---------------------------------------------------------------

# how a note that did not move the setting starts, and the verdict it stands for
STAYED = (
    ("carried forward", "carried", "carried forward"),
    ("stays: not significant", "not-significant", "not significant"),
    ("no cell has", "thin", "below min_samples"),
    ("no new evidence", "no-evidence", "no new evidence"),
    ("best is the current setting", "at-best", "best is the current setting"),
)


def _verdict(row: dict) -> tuple[str, str]:
    """(badge class, verdict in words) of one learned setting, read from its note."""
    note = row["note"] or ""
    if row["applied"]:
        if row["significant"]:
            return "moved", "moved"
        return "not-significant", "moved, not significant"  # require_significance is off
    for start, badge, words in STAYED:
        if note.startswith(start):
            return badge, words
    return "stays", "stays"


def _learned_section(learned: pl.DataFrame, settings: dict) -> str:
    alpha = _significance_level(settings)
    objective = OBJECTIVE_SHORT.get(settings.get("objective", "sharpe"), "objective")
    guard = (
        f"and its p_value is at most (1 − confidence)/2 = {alpha:.3g}"
        if settings.get("require_significance", True)
        else f"(require_significance is off: a p_value above {alpha:.3g} is shown, not enforced)"
    )
    intro = (
        f"A setting moves {settings.get('learning_rate', 0.1):.0%} of the way toward the best "
        f"cell of its grid when that cell has at least min_samples = "
        f"{settings.get('min_samples', '?')} resolved outcomes {guard}; otherwise it stays, and "
        "the verdict says why."
    )
    tables = "".join(
        _learned_table(kind, learned.filter(kind=kind).to_dicts(), alpha, objective, settings)
        for kind in KINDS
    )
    return (
        "<section class='card' id='learned'><h2>What this version learned, and why</h2>"
        f"<p class='muted'>{_e(intro)}</p>{tables}</section>"
    )


def _learned_table(
    kind: str, rows: list[dict], alpha: float, objective: str, settings: dict
) -> str:
    if not rows:
        return f"<h3>{_e(KIND_TITLES[kind])}</h3><p class='muted'>nothing learned</p>"
    confidence = settings.get("confidence", 0.9)
    head = "".join(
        f"<th>{_e(h)}</th>"
        for h in ("setting", "before", "best", "after", "change", "outcomes n",
                  f"p_value (significant at ≤ {alpha:.3g})",
                  f"gain in {objective} ({confidence:.0%} interval)", "verdict")
    )  # fmt: skip
    body = "".join(_learned_row(kind, r, alpha) for r in rows)
    return (
        f"<h3>{_e(KIND_TITLES[kind])}</h3><table class='learned' data-kind='{kind}'>"
        f"<thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"
    )


def _learned_row(kind: str, row: dict, alpha: float) -> str:
    show = _SETTING_FORMATS[kind]
    badge, words = _verdict(row)
    change = row["after"] - row["before"]
    cells = [
        _e(_setting_label(kind, row)),
        _e(show(row["before"])),
        _e("-" if row["best"] is None else show(row["best"])),
        _e(show(row["after"])),
        _e("no change" if change == 0 else f"{change:+.4g}"),
        _e(f"{row['n']:,}"),
        _e(_p_value(row["p_value"], alpha)),
        _e(_gain(row)),
        f"<span class='badge {badge}'>{_e(words)}</span> "
        f"<span class='note'>{_e(row['note'])}</span>",
    ]
    return "<tr>" + "".join(f"<td>{c}</td>" for c in cells) + "</tr>"


_SETTING_FORMATS: dict[str, Callable[[float], str]] = {
    "weight": lambda v: f"{v:.4g}",
    "multiplier": lambda v: f"{v:.4g}×",
    "timing": lambda v: f"{v:.4g} min",
}


def _setting_label(kind: str, row: dict) -> str:
    if kind == "multiplier":
        return f"bucket {row['name']} ({_score_range(row['score_lo'], row['score_hi'])})"
    if kind == "timing":
        return TIMING_NAMES.get(row["name"], row["name"])
    return row["name"]


def _p_value(p_value: float | None, alpha: float) -> str:
    if p_value is None:
        return "-"  # nothing was tested
    return f"{p_value:.3g} {'≤' if p_value <= alpha else '>'} {alpha:.3g}"


def _gain(row: dict) -> str:
    if row["gain"] is None:
        return "-"
    interval = "" if row["gain_lo"] is None else f" [{row['gain_lo']:.3g}, {row['gain_hi']:.3g}]"
    return f"{row['gain']:+.3g}{interval}"


# --- charts ---------------------------------------------------------------------------------


def _charts(warehouse: Warehouse, run: dict, learned: pl.DataFrame) -> list[Chart]:
    run_id, settings = run["run_id"], run["settings"]
    objective = settings.get("objective", "sharpe")
    timing = _frame(warehouse, "report_timing_grid", run_id=run_id)
    # the objective's heatmap and weighted P&L's; when those coincide, Sharpe's instead
    second = "weighted_pnl" if objective != "weighted_pnl" else "sharpe"
    return [
        _timing_heatmap(timing, learned, objective, settings, "timing-objective"),
        _timing_heatmap(timing, learned, second, settings, f"timing-{second}"),
        _weight_curves(_frame(warehouse, "report_weight_grid", run_id=run_id), objective),
        _sizing_bars(learned),
        *_counterfactual_charts(_frame(warehouse, "report_counterfactuals_daily", run_id=run_id)),
        _weight_history(_frame(warehouse, "report_weight_history", run_id=run_id)),
    ]


def _timing_heatmap(
    grid: pl.DataFrame, learned: pl.DataFrame, metric: str, settings: dict, key: str
) -> Chart:
    """Cells coloured by how much better or worse than the current setting's cell they did
    (a scale centred on the value itself would paint a grid of similar values one colour)."""
    short = OBJECTIVE_SHORT[metric]
    title = f"Timing grid: {short} by entry delay × hold (all decisions)"
    if grid.is_empty():
        return Chart(key, title, None, "no timing grid in this version")
    delays = sorted(grid["entry_delay_min"].unique().to_list())
    holds = sorted(grid["hold_min"].unique().to_list())
    cell = {(r["entry_delay_min"], r["hold_min"]): r for r in grid.iter_rows(named=True)}
    timing = {r["name"]: r for r in learned.filter(kind="timing").iter_rows(named=True)}
    before = (timing["entry_delay_min"]["before"], timing["hold_min"]["before"]) if timing else None
    reference = _reference_cell(list(cell), before)
    base = None if reference is None else cell[reference][metric]
    min_samples = settings.get("min_samples", 0)
    values = [[cell.get((d, h), {}).get(metric) for h in holds] for d in delays]
    z = [[_minus(v, base) for v in row] for row in values]
    fig = go.Figure(
        go.Heatmap(
            x=[_num(h) for h in holds],
            y=[_num(d) for d in delays],
            z=z,
            text=[
                [_cell_text(cell.get((d, h)), metric, min_samples) for h in holds] for d in delays
            ],
            texttemplate="%{text}",
            colorscale=VERSUS_NOW,
            zmid=0,
            colorbar={"title": {"text": f"{short}<br>vs now" if base is not None else short}},
            hovertemplate="entry delay %{y} min, hold %{x} min<br>%{text}<br>"
            + (f"%{{z:+.3g}} {short} vs the current setting" if base is not None else "")
            + "<extra></extra>",
        )
    )
    _frame_cells(fig, timing, delays, holds)
    fig.update_layout(
        title={"text": f"{title}<br><sup>{_colour_note(metric, reference, before, base)}; cell "
                       "text: value and outcomes n (* below min_samples)<br>"
                       f"{_timing_note(timing)}</sup>"},
        xaxis={"title": {"text": "hold (minutes)"}, "type": "category"},
        yaxis={"title": {"text": "entry delay after the signal (minutes)"}, "type": "category"},
    )  # fmt: skip
    return Chart(key, title, fig, height_px=560)


def _reference_cell(cells: list[tuple], setting: tuple | None) -> tuple | None:
    """The grid cell colours are measured from: the current setting's own when it is on the
    grid, else the nearest (the learning's distance, ties to the shorter delay and hold)."""
    if setting is None or not cells:
        return None
    d0, h0 = setting
    return min(cells, key=lambda c: (abs(c[0] - d0) + abs(c[1] - h0), c[0], c[1]))


def _minus(value: float | None, base: float | None) -> float | None:
    if value is None:
        return None
    return value if base is None else value - base


def _colour_note(metric: str, reference: tuple | None, before: tuple | None, base) -> str:
    if base is None:
        return f"colour: {OBJECTIVE_LABELS[metric]} (no current setting's cell to compare with)"
    where = (
        "the current setting's cell"
        if reference == before
        else f"the grid cell nearest the current setting, {_num(reference[0])} / "
        f"{_num(reference[1])} min"
    )
    return f"colour: {OBJECTIVE_SHORT[metric]} minus that of {where} (white: as good as now)"


def _cell_text(row: dict | None, metric: str, min_samples: int) -> str:
    if row is None:
        return ""
    value = row[metric]
    shown = "n/a" if value is None else f"{value:,.2f}"
    thin = "*" if row["n"] < min_samples else ""
    return f"{shown}<br>n={row['n']:,}{thin}"


def _frame_cells(fig: go.Figure, timing: dict, delays: list, holds: list) -> None:
    """Frame the best cell (solid) and the current setting (dashed) when they are grid cells."""
    if not timing:
        return
    delay, hold = timing["entry_delay_min"], timing["hold_min"]
    frames = [("solid", 4, delay["best"], hold["best"]),
              ("dash", 3, delay["before"], hold["before"])]  # fmt: skip
    for dash, width, d, h in frames:
        if d in delays and h in holds:
            x, y = holds.index(h), delays.index(d)  # category axes: cell i spans i ± 0.5
            fig.add_shape(
                type="rect", x0=x - 0.48, x1=x + 0.48, y0=y - 0.48, y1=y + 0.48,
                line={"color": "black", "width": width, "dash": dash},
            )  # fmt: skip


def _timing_note(timing: dict) -> str:
    """The best cell and the setting, in the learning's own words when nothing was picked."""
    if not timing:
        return "no timing setting in this version"
    delay, hold = timing["entry_delay_min"], timing["hold_min"]
    best = (
        delay["note"]
        if delay["best"] is None
        else f"best {delay['best']:g} / {hold['best']:g} min (solid frame)"
    )
    return (
        f"{best}; setting before this run {delay['before']:.4g} / {hold['before']:.4g} min "
        f"(dashed frame when on the grid), after {delay['after']:.4g} / {hold['after']:.4g} min"
    )


def _weight_curves(grid: pl.DataFrame, objective: str) -> Chart:
    key, title = "weights", f"Weight variation: {OBJECTIVE_SHORT[objective]} by component"
    if grid.is_empty():
        return Chart(key, title, None, "no weight grid in this version")
    fig = go.Figure()
    for i, component in enumerate(sorted(grid["component"].unique().to_list())):
        rows = grid.filter(component=component).sort("variation")
        color = _palette(i)
        fig.add_trace(
            go.Scatter(
                x=(rows["variation"] * 100).to_list(), y=rows[objective].to_list(),
                mode="lines+markers", name=component, line={"color": color},
                customdata=rows.select("weight", "n").rows(),
                hovertemplate=f"{component} %{{x:+.0f}}%: {OBJECTIVE_SHORT[objective]} "
                              "%{y:.3f}<br>weight %{customdata[0]:.4f}, n=%{customdata[1]}"
                              "<extra></extra>",
            )
        )  # fmt: skip
        best = rows.filter(pl.col("chosen"))
        if not best.is_empty():
            fig.add_trace(
                go.Scatter(
                    x=(best["variation"] * 100).to_list(), y=best[objective].to_list(),
                    mode="markers", name=f"{component}: chosen", showlegend=False,
                    marker={"symbol": "star", "size": 18, "color": color,
                            "line": {"width": 1, "color": "black"}},
                    hovertemplate=f"{component}: chosen %{{x:+.0f}}%<extra></extra>",
                )
            )  # fmt: skip
    fig.update_layout(
        title={"text": f"{title}<br><sup>{OBJECTIVE_LABELS[objective]} when one component's "
                       "weight is varied; ★ the variation picked as best</sup>"},
        xaxis={"title": {"text": "variation of the component's weight (%)"},
               "ticksuffix": "%", "zeroline": True},
        yaxis={"title": {"text": OBJECTIVE_LABELS[objective]}},
        legend={"title": {"text": "component"}},
    )  # fmt: skip
    return Chart(key, title, fig)


def _sizing_bars(learned: pl.DataFrame) -> Chart:
    key, title = "sizing", "Position size multiplier per confidence (entry_score) bucket"
    rows = learned.filter(kind="multiplier").to_dicts()
    if not rows:
        return Chart(key, title, None, "no sizing buckets in this version (no executed trades)")
    labels = [f"bucket {r['name']}<br>{_score_range(r['score_lo'], r['score_hi'])}" for r in rows]
    fig = go.Figure()
    for column, color in (("before", "#9e9e9e"), ("best", "#1f77b4"), ("after", "#ff7f0e")):
        values = [r[column] for r in rows]
        fig.add_trace(
            go.Bar(
                x=labels, y=values, name=column, marker_color=color,
                text=["-" if v is None else f"{v:.4g}×" for v in values], textposition="outside",
                hovertemplate=f"%{{x}}<br>{column}: %{{y:.4f}}×<extra></extra>",
            )
        )  # fmt: skip
    fig.update_layout(
        barmode="group",
        title={"text": f"{title}<br><sup>before this run, best multiplier of the sizing grid, "
                       "and after the gradual step</sup>"},
        xaxis={"title": {"text": "entry_score bucket (score range)"}},
        yaxis={"title": {"text": "multiplier (× notional)"}, "rangemode": "tozero"},
    )  # fmt: skip
    return Chart(key, title, fig)


def _counterfactual_charts(daily: pl.DataFrame) -> list[Chart]:
    counts = "Blocked trades per day: missed opportunities vs avoided losses"
    money = "Blocked trades per day: P&L had they been taken"
    if daily.is_empty():
        reason = "no blocked trades in this version"
        return [Chart("blocked-count", counts, None, reason),
                Chart("blocked-pnl", money, None, reason)]  # fmt: skip
    days = [d.isoformat() for d in daily["day"]]
    count_fig = go.Figure([
        go.Bar(x=days, y=daily["missed"].to_list(), name="missed opportunity (pnl > 0)",
               marker_color=MISSED),
        go.Bar(x=days, y=daily["avoided"].to_list(), name="avoided loss (pnl < 0)",
               marker_color=AVOIDED),
        go.Bar(x=days, y=daily["unresolved"].to_list(), name="unresolved (pending or stale)",
               marker_color=UNRESOLVED),
    ])  # fmt: skip
    count_fig.update_layout(
        barmode="group",
        title={"text": counts},
        xaxis={"title": {"text": "day of the decision (UTC)"}, "type": "date"},
        yaxis={"title": {"text": "blocked trades (count)"}},
    )
    net = (daily["missed_pnl"] + daily["avoided_pnl"]).to_list()
    pnl_fig = go.Figure([
        go.Bar(x=days, y=daily["missed_pnl"].to_list(), name="missed opportunities",
               marker_color=MISSED),
        go.Bar(x=days, y=daily["avoided_pnl"].to_list(), name="avoided losses",
               marker_color=AVOIDED),
        go.Scatter(x=days, y=net, name="net (cost of blocking if > 0)", mode="lines+markers",
                   line={"color": "black"}),
    ])  # fmt: skip
    pnl_fig.update_layout(
        barmode="relative",
        title={"text": f"{money}<br><sup>counterfactual P&L at the default hold; "
                       "above zero blocking cost money, below zero it saved money</sup>"},
        xaxis={"title": {"text": "day of the decision (UTC)"}, "type": "date"},
        yaxis={"title": {"text": "P&L if taken (quote currency)"}},
    )  # fmt: skip
    return [Chart("blocked-count", counts, count_fig), Chart("blocked-pnl", money, pnl_fig)]


def _weight_history(history: pl.DataFrame) -> Chart:
    key, title = "weight-history", "Learned signal weights across versions"
    if history.is_empty():
        return Chart(key, title, None, "no learned weights yet")
    panels = [
        (component, [_path_trace(rows, "run_id", "weight", component, _palette(i),
                                 f"{component}, version %{{x}}: weight %{{y:.4f}}")])
        for i, (component, rows) in enumerate(_groups(history, "component"))
    ]  # fmt: skip
    fig = _small_multiples(panels, x_title="version (run id)", y_title="weight")
    fig.update_xaxes(tickformat="d", dtick=1 if history["run_id"].n_unique() <= 20 else None)
    fig.update_layout(
        title={"text": f"{title}<br><sup>each component's weight (multiplies its value) after "
                       "each published run, one panel per component</sup>"}
    )  # fmt: skip
    return Chart(key, title, fig, height_px=_small_multiples_height(len(panels)))


# --- walk-forward evaluation ----------------------------------------------------------------

EVALUATION_PATHS = (  # (kind, chart key, title, y axis title, value format)
    ("weight", "eval-weights", "Walk-forward: the learned signal weights at each boundary",
     "weight", ".4f"),
    ("multiplier", "eval-multipliers",
     "Walk-forward: the learned size multipliers at each boundary", "multiplier (×)", ".4f"),
    ("timing", "eval-timing", "Walk-forward: the learned timing at each boundary",
     "minutes", ".4g"),
)  # fmt: skip


def _evaluation(warehouse: Warehouse) -> tuple[str, list[Chart]]:
    """The out-of-sample verdict per kind as a table, and its charts; without an evaluation,
    how to make one."""
    found = warehouse.rows(load_sql("outputs/report_evaluation"))
    if not found:
        return _no_evaluation_section(), []
    evaluation = _with_config(found[0])
    summary = warehouse.rows(load_sql("outputs/report_evaluation_summary"))
    periods = _frame(warehouse, "report_evaluation_periods")
    steps = _frame(warehouse, "report_evaluation_steps")
    charts = [_cumulative_pnl(periods)]
    for kind, key, title, y_title, value_format in EVALUATION_PATHS:
        charts.append(_step_paths(steps.filter(kind=kind), key, title, y_title, value_format))
    return _evaluation_section(evaluation, summary), charts


def _no_evaluation_section() -> str:
    return (
        "<section class='card' id='evaluation'><h2>Walk-forward evaluation</h2>"
        "<p class='empty'>No walk-forward evaluation yet. <code>tradelens evaluate</code> "
        "replays the learning at every boundary on the data known then and scores each learned "
        "state on the decisions after it, against the static settings (SPEC §16).</p></section>"
    )


def _evaluation_section(evaluation: dict, summary: list[dict]) -> str:
    settings = evaluation["settings"]
    about = (
        f"evaluation {evaluation['evaluation_id']}, finished "
        f"{_when(evaluation['finished_at'])} UTC: {evaluation['boundaries']} boundaries from "
        f"{_day(evaluation['first_boundary'])}, every {settings.get('evaluate_every', '?')} "
        f"after {settings.get('evaluate_warmup_days', '?')} days of warm-up; each learned state "
        "is scored on the decisions of the period after its boundary, with what finally "
        "happened. This is the newest evaluation, whichever version the report shows."
    )
    head = "".join(
        f"<th>{h}</th>"
        for h in ("what is learned", "learned weighted P&amp;L", "static weighted P&amp;L",
                  "gain", "periods at least as good", "resolved outcomes (learned / static)",
                  "verdict")
    )  # fmt: skip
    body = "".join(_evaluation_row(r) for r in summary)
    return (
        "<section class='card' id='evaluation'><h2>Walk-forward evaluation: does the learning "
        f"help out of sample?</h2><p class='muted'>{_e(about)}</p>"
        "<table class='evaluation' data-kind='evaluation'>"
        f"<thead><tr>{head}</tr></thead><tbody>{body}</tbody></table></section>"
    )


def _evaluation_row(row: dict) -> str:
    badge, words = _evaluation_verdict(row)
    better = row["periods_better"]
    cells = [
        _e(KIND_TITLES.get(row["kind"], row["kind"])),
        _e(_money(row["learned_weighted_pnl"])),
        _e(_money(row["static_weighted_pnl"])),
        _e("-" if row["gain_weighted_pnl"] is None else f"{row['gain_weighted_pnl']:+,.2f}"),
        _e("-" if better is None else f"{better:.0%}"),
        _e(f"{row['learned_n']:,} / {row['static_n']:,}"),
        f"<span class='badge {badge}'>{_e(words)}</span>",
    ]
    return "<tr>" + "".join(f"<td>{c}</td>" for c in cells) + "</tr>"


def _evaluation_verdict(row: dict) -> tuple[str, str]:
    """(badge class, words): did the learned settings earn more than the static ones?"""
    gain, better = row["gain_weighted_pnl"], row["periods_better"]
    if gain is None:
        return "no-evidence", "nothing to compare: no resolved outcome"
    share = "" if better is None else f", at least as good in {better:.0%} of periods"
    if gain > 0:
        return "helped", f"learning helped: {gain:+,.2f} weighted P&L over static{share}"
    if gain < 0:
        return "hurt", f"learning hurt: {gain:+,.2f} weighted P&L against static{share}"
    return "no-evidence", f"no difference from static{share}"


def _cumulative_pnl(periods: pl.DataFrame) -> Chart:
    key = "eval-cumulative"
    title = "Walk-forward: cumulative out-of-sample weighted P&L, learned vs static"
    if periods.is_empty():
        return Chart(key, title, None, "the evaluation has no periods")
    panels = []
    for kind in [k for k in KINDS if k in set(periods["kind"])]:
        traces = [
            go.Scatter(
                x=[b.isoformat() for b in rows["boundary"]],
                y=rows["cumulative_weighted_pnl"].to_list(),
                name=policy, legendgroup=policy, showlegend=not panels,
                mode="lines+markers", line={"color": color, "dash": dash},
                customdata=rows["weighted_pnl"].to_list(),
                hovertemplate=f"{policy}, period from %{{x}}: %{{y:,.2f}} so far "
                              "(%{customdata:+,.2f} this period)<extra></extra>",
            )
            for policy, color, dash in (("learned", LEARNED, "solid"), ("static", STATIC, "dash"))
            if not (rows := periods.filter(kind=kind, policy=policy)).is_empty()
        ]  # fmt: skip
        panels.append((KIND_SHORT[kind], traces))
    fig = _small_multiples(
        panels, x_title="period start (boundary, UTC)", y_title="weighted P&L (quote currency)"
    )
    fig.update_xaxes(type="date")
    fig.update_layout(
        title={"text": f"{title}<br><sup>the weighted P&L of the decisions after each boundary, "
                       "summed period by period; learned: the settings learned at the period's "
                       "boundary, static: the initial ones</sup>"},
        legend={"title": {"text": "settings"}},
    )  # fmt: skip
    return Chart(key, title, fig, height_px=_small_multiples_height(len(panels)))


def _step_paths(
    steps: pl.DataFrame, key: str, title: str, y_title: str, value_format: str
) -> Chart:
    """One panel per learned setting: its value at each boundary; filled markers where it
    moved, open ones where it stayed (the hover gives the note)."""
    if steps.is_empty():
        return Chart(key, title, None, "nothing of this kind was learned in the evaluation")
    panels = []
    for i, (name, rows) in enumerate(_groups(steps, "name")):
        label = _step_label(rows["kind"][0], name)
        trace = _path_trace(
            rows, "boundary", "after", label, _palette(i),
            f"{label} from %{{x}}: %{{y:{value_format}}}<br>%{{customdata}}",
        )  # fmt: skip
        trace.update(
            customdata=rows["note"].to_list(),
            marker={"symbol": ["circle" if a else "circle-open" for a in rows["applied"]],
                    "size": 8},
        )  # fmt: skip
        panels.append((label, [trace]))
    fig = _small_multiples(panels, x_title="boundary (UTC)", y_title=y_title)
    fig.update_xaxes(type="date")
    fig.update_layout(
        title={"text": f"{title}<br><sup>the setting learned at each boundary on the data known "
                       "then; filled markers: it moved, open: it stayed</sup>"}
    )  # fmt: skip
    return Chart(key, title, fig, height_px=_small_multiples_height(len(panels)))


def _step_label(kind: str, name: str) -> str:
    if kind == "multiplier":
        return f"bucket {name}"
    return TIMING_NAMES.get(name, name)


# --- small multiples ------------------------------------------------------------------------

PANEL_COLUMNS = 3
PANEL_ROW_PX = 250


def _groups(frame: pl.DataFrame, column: str) -> list[tuple[str, pl.DataFrame]]:
    """The frame's rows per value of `column`, in the frame's order of first appearance."""
    return [(value, frame.filter(pl.col(column) == value))
            for value in frame[column].unique(maintain_order=True).to_list()]  # fmt: skip


def _path_trace(
    rows: pl.DataFrame, x: str, y: str, name: str, color: str, hover: str
) -> go.Scatter:
    xs = rows[x].to_list()
    return go.Scatter(
        x=[v.isoformat() if isinstance(v, datetime) else v for v in xs],
        y=rows[y].to_list(),
        name=name,
        mode="lines+markers",
        line={"color": color},
        showlegend=False,
        hovertemplate=hover + "<extra></extra>",
    )


def _small_multiples(
    panels: list[tuple[str, list[go.Scatter]]], *, x_title: str, y_title: str
) -> go.Figure:
    """One small panel per series, x shared and y each its own, so that series at the same
    level (five weights at 1.0) stay visible instead of hiding each other."""
    columns = min(PANEL_COLUMNS, len(panels))
    rows = math.ceil(len(panels) / columns)
    fig = make_subplots(
        rows=rows, cols=columns, subplot_titles=[title for title, _ in panels],
        horizontal_spacing=0.07, vertical_spacing=min(0.3, 0.6 / rows),
    )  # fmt: skip
    for i, (_, traces) in enumerate(panels):
        for trace in traces:
            fig.add_trace(trace, row=i // columns + 1, col=i % columns + 1)
    fig.update_xaxes(matches="x", showticklabels=True)
    fig.layout.xaxis.matches = None  # the others match the first
    fig.update_yaxes(title_text=y_title, col=1)
    for column in range(columns):  # the x title under the lowest panel of each column
        lowest = max(i for i in range(len(panels)) if i % columns == column)
        fig.update_xaxes(title_text=x_title, row=lowest // columns + 1, col=column + 1)
    return fig


def _small_multiples_height(panels: int) -> int:
    return 160 + PANEL_ROW_PX * math.ceil(panels / PANEL_COLUMNS)


def _palette(i: int) -> str:
    colors = ("#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2",
              "#7f7f7f", "#bcbd22", "#17becf")  # fmt: skip
    return colors[i % len(colors)]


def _num(value: float) -> str:
    """A grid coordinate as an axis category: 15.0 -> '15'."""
    return f"{value:g}"


def _money(value: float | None) -> str:
    return "-" if value is None else f"{value:,.2f}"


def _score_range(lo: float | None, hi: float | None) -> str:
    if lo is None and hi is None:
        return "all scores"
    if lo is None:
        return f"score < {hi:.3g}"
    if hi is None:
        return f"score ≥ {lo:.3g}"
    return f"{lo:.3g} ≤ score < {hi:.3g}"


# --- the health panel (GET / of the service) ------------------------------------------------


@dataclass(frozen=True)
class Part:
    """One value of the panel: a /health field (a dotted path) shown in a format that the page's
    script applies again to every fresh /health document."""

    field: str
    format: str
    after: str = ""


FACTS = (
    ("last successful run", (Part("last_success_run_id", "run"),
                             Part("last_success_age_sec", "age"),
                             Part("last_success_at", "time"))),
    ("last run", (Part("last_run_id", "run"), Part("last_run_status", "status"),
                  Part("last_run_age_sec", "age"))),
    ("running", (Part("running", "yesno"),)),
    ("cycle in progress", (Part("cycle_in_progress", "yesno"), Part("current_step", "step"))),
    ("next cycle", (Part("next_run_at", "relative"),)),
    ("successful runs", (Part("success_count", "count"),)),
    ("errors", (Part("error_count", "count", after=" (failed or partial runs, failed cycles)"),)),
    ("aborted runs", (Part("aborted_count", "count", after=" (stopped mid-cycle)"),)),
    ("published version", (Part("published_run_id", "run"),)),
    ("components available", (Part("components_available", "list"),)),
    ("inbox files", (Part("inbox.ingested", "count", after=" ingested"),
                     Part("inbox.quarantined", "count", after=" quarantined"))),
    ("cycle every", (Part("interval_min", "minutes"),)),
    ("service started", (Part("uptime_sec", "age"), Part("started_at", "time"))),
)  # fmt: skip
ERROR_FACTS = (
    ("last run's error", (Part("last_run_error", "error"),)),
    ("last failed cycle", (Part("last_cycle_error", "error"),)),
    ("cycles that failed since the service started", (Part("cycle_errors", "count"),)),
)


@dataclass(frozen=True)
class LiveTable:
    """A table of the panel from a /health field: a list of rows, or a dict of rows by key."""

    title: str
    source: str
    row_key: str
    columns: tuple[tuple[str, str, str], ...]  # (field, header, format)
    empty: str


TABLES = (
    LiveTable("Components", "components", "component", (
        ("component", "component", "text"), ("status", "status", "status"),
        ("attempts", "attempts", "number"), ("seconds", "took", "duration"),
        ("rows", "rows", "number"), ("carried_from", "output carried from", "carried"),
        ("last_ok_run_id", "last ok", "run"), ("error", "last error", "error"),
    ), "no run has recorded its components yet"),
    LiveTable("Inbox: files per kind and verdict", "inbox.files", "kind", (
        ("kind", "kind", "text"), ("ingested", "ingested", "count"),
        ("quarantined", "quarantined", "count"),
    ), "no inbox file seen yet"),
    LiveTable("Inbox: recently quarantined files", "inbox.recent_quarantined", "path", (
        ("path", "file", "text"), ("kind", "kind", "text"), ("reason", "reason", "error"),
        ("seen_at", "seen", "relative"),
    ), "none quarantined"),
)  # fmt: skip


def _health_panel(health: dict, shown_version: int | None) -> str:
    """Plain labels, ages in words, the inbox and the last errors as tables; the page's script
    (SCRIPT) polls /health and shows each fresh document in the same elements."""
    now = utc_now()
    facts = _facts(FACTS, health, now)
    errors = _facts(ERROR_FACTS, health, now)
    tables = "".join(_live_table(t, health, now) for t in TABLES if _has(health, t.source))
    notice = (
        "<p class='notice' data-new-version hidden>"
        f"<span data-field='published_run_id' data-format='run'>{_e(_run(shown_version))}</span>"
        " is published: <a href=''>reload</a> to see its report</p>"
    )
    return (
        f"<section class='card health' id='health' data-version='{_e(shown_version or '')}' "
        f"data-every-ms='{HEALTH_POLL_SEC * 1000}' data-polls='0'>"
        f"<h2>Service health {_health_badge(health)}</h2>"
        f"<p class='muted' data-refreshed>as of {_e(_when(now))} UTC; while the service is up "
        f"the page refreshes these figures from /health every {HEALTH_POLL_SEC} seconds</p>"
        f"{notice}<dl class='facts'>{facts}</dl>"
        + (f"<h3>Last errors</h3><dl class='facts errors'>{errors}</dl>" if errors else "")
        + f"{tables}</section>"
    )


def _facts(facts: tuple, health: dict, now: datetime) -> str:
    """The facts and parts whose fields the document has (the warehouse's lacks some)."""
    return "".join(
        f"<div class='fact'><dt>{_e(label)}</dt><dd>"
        + "".join(_part(p, health, now, first=i == 0) for i, p in enumerate(present))
        + "</dd></div>"
        for label, parts in facts
        if (present := [p for p in parts if _has(health, p.field)])
    )


def _part(part: Part, health: dict, now: datetime, *, first: bool) -> str:
    """A value with its own separator, so that an empty value (no current step) hides both."""
    value = _pick(health, part.field)
    separator = "" if first else "<span class='sep'> · </span>"
    hidden = " hidden" if _show(part.format, value, _seconds(part.format, value, now)) == "" else ""
    return (
        f"<span class='part'{hidden}>{separator}"
        f"{_value_span('span', part.field, part.format, value, now)}{_e(part.after)}</span>"
    )


def _value_span(tag: str, field: str, fmt: str, value: Any, now: datetime) -> str:
    seconds = _seconds(fmt, value, now)
    extra = "" if seconds is None else f" data-seconds='{seconds:.3f}'"
    return (
        f"<{tag} data-field='{_e(field)}' data-format='{fmt}'{extra}>"
        f"{_show(fmt, value, seconds)}</{tag}>"
    )


def _live_table(table: LiveTable, health: dict, now: datetime) -> str:
    head = "".join(
        f"<th data-field='{f}' data-format='{fmt}'>{_e(header)}</th>"
        for f, header, fmt in table.columns
    )
    rows = _rows_of(_pick(health, table.source), table.row_key)
    body = (
        "".join(
            "<tr>"
            + "".join(_value_span("td", f, fmt, row.get(f), now) for f, _, fmt in table.columns)
            + "</tr>"
            for row in rows
        )
        if rows
        else f"<tr><td colspan='{len(table.columns)}' class='muted'>{_e(table.empty)}</td></tr>"
    )
    return (
        f"<h3>{_e(table.title)}</h3><table class='live' data-rows='{table.source}' "
        f"data-row-key='{table.row_key}' data-empty='{_e(table.empty)}'>"
        f"<thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"
    )


def _rows_of(value: Any, row_key: str) -> list[dict]:
    if isinstance(value, dict):
        return [{row_key: key, **row} for key, row in value.items()]
    return list(value or [])


def _health_badge(health: dict) -> str:
    state = "healthy" if health.get("healthy") else "unhealthy"
    text = f"{state}: {health['status']}" if health.get("status") else state
    return f"<span class='badge {state}' data-verdict>{_e(text)}</span>"


def _pick(document: dict, path: str) -> Any:
    value: Any = document
    for key in path.split("."):
        value = value.get(key) if isinstance(value, dict) else None
    return value


def _has(document: dict, path: str) -> bool:
    *parents, last = path.split(".")
    holder = _pick(document, ".".join(parents)) if parents else document
    return isinstance(holder, dict) and last in holder


# The panel's formats; SCRIPT's FORMATS are the same, for the documents it fetches.
TIME_UNITS = ((86400, "day"), (3600, "hour"), (60, "minute"), (1, "second"))


def _seconds(fmt: str, value: Any, now: datetime) -> float | None:
    """How long ago (> 0) or ahead (< 0) an age or a moment is."""
    if value is None:
        return None
    if fmt == "age":
        return float(value)
    if fmt == "relative":
        return (now - as_utc(datetime.fromisoformat(str(value)))).total_seconds()
    return None


def _relative_words(seconds: float) -> str:
    """'42 seconds ago', '3 minutes ago', 'in 5 minutes': what Intl.RelativeTimeFormat says."""
    size = abs(seconds)
    if size < 1:
        return "just now"
    unit, name = next((u, n) for u, n in TIME_UNITS if size >= u)
    count = int(size // unit)
    words = f"{count} {name}{'' if count == 1 else 's'}"
    return f"{words} ago" if seconds > 0 else f"in {words}"


def _show(fmt: str, value: Any, seconds: float | None) -> str:
    """The HTML of one value in one of the panel's formats."""
    if fmt == "status":
        return "" if value is None else f"<span class='badge {_e(value)}'>{_e(value)}</span>"
    if fmt in ("age", "relative"):
        return _e("never" if seconds is None else _relative_words(seconds))
    return _e(_PLAIN_FORMATS[fmt](value))


_PLAIN_FORMATS: dict[str, Callable[[Any], str]] = {
    "text": lambda v: "-" if v is None else str(v),
    "error": lambda v: v or "none",
    "count": lambda v: f"{int(v or 0):,}",
    "number": lambda v: "-" if v is None else f"{v:,}",
    "duration": lambda v: "-" if v is None else f"{v:.2f} s",
    "yesno": lambda v: "yes" if v else "no",
    "run": lambda v: _run(v),
    "carried": lambda v: "-" if v is None else f"run {v}",
    "list": lambda v: ", ".join(map(str, v or [])) or "(none)",
    "minutes": lambda v: "-" if v is None else f"{v:g} minutes",
    "step": lambda v: f"step: {v}" if v else "",
    "time": lambda v: "-" if not v else str(v).replace("T", " ").replace("Z", " UTC"),
}


def _run(run_id: int | None) -> str:
    return "none yet" if run_id is None else f"run {run_id}"


# --- HTML -----------------------------------------------------------------------------------


def _chart_section(chart: Chart) -> str:
    if chart.figure is None:
        return (
            f"<section class='card chart-empty' id='section-{chart.key}'>"
            f"<h2>{_e(chart.title)}</h2><p class='muted'>{_e(chart.empty_reason)}</p></section>"
        )
    chart.figure.update_layout(
        template="plotly_white",
        height=chart.height_px,
        margin={"t": 120, "r": 30, "b": 70, "l": 80},
        font={"family": "DejaVu Sans, Arial, sans-serif"},
    )
    div = chart.figure.to_html(
        full_html=False,
        include_plotlyjs=False,
        div_id=f"chart-{chart.key}",
        config=CHART_CONFIG,
        default_height=f"{chart.height_px}px",
    )
    return f"<section class='card chart' id='section-{chart.key}'>{div}</section>"


def _header(warehouse: Warehouse, run: dict, learned: pl.DataFrame) -> str:
    run_id, settings = run["run_id"], run["settings"]
    inputs = warehouse.rows(load_sql("outputs/summary_inputs"))[0]
    blocked = blocked_summary(warehouse, run_id)
    timing = {r["name"]: r for r in learned.filter(kind="timing").iter_rows(named=True)}
    tiles = [
        ("executed trades", f"{inputs['executed']:,}", f"{inputs['open_trades']:,} still open"),
        ("blocked trades", f"{inputs['blocked']:,}",
         f"{_day(inputs['first_decision'])} to {_day(inputs['last_decision'])}"),
        ("missed opportunities", f"{blocked.missed:,}", f"worth {blocked.missed_pnl:+,.2f}"),
        ("avoided losses", f"{blocked.avoided:,}",
         f"worth {abs(blocked.avoided_pnl):,.2f} saved"),
        (f"blocking {blocked.verdict}", f"{abs(blocked.net_pnl):,.2f}",
         "net P&L of blocked trades"),
    ]  # fmt: skip
    if "entry_delay_min" in timing:
        delay, hold = timing["entry_delay_min"], timing["hold_min"]
        tiles.append(
            ("timing (delay / hold)", f"{delay['after']:.3g} / {hold['after']:.3g} min",
             f"was {delay['before']:.3g} / {hold['before']:.3g} min")
        )  # fmt: skip
    tile_html = "".join(
        f"<div class='tile'><div class='label'>{_e(label)}</div>"
        f"<div class='value'>{_e(value)}</div><div class='muted'>{_e(note)}</div></div>"
        for label, value, note in tiles
    )
    status = run["status"]
    return (
        f"<header class='card'><h1>tradelens report: version {run_id}</h1>"
        f"<p>finished {_e(_when(run['finished_at']))} UTC · status "
        f"<span class='badge {_e(status)}'>{_e(status)}</span> · trigger {_e(run['trigger'])} · "
        f"engine {_e(run['engine'])} · objective <b>{_e(settings.get('objective', ''))}</b> · "
        f"min_samples {_e(settings.get('min_samples', ''))}</p>"
        f"<div class='tiles'>{tile_html}</div></header>"
    )


def _run_log_section(warehouse: Warehouse, selected: int | None) -> str:
    runs = warehouse.rows(load_sql("outputs/report_run_log"), {"limit": RUN_LOG_LIMIT})
    if not runs:
        return "<section class='card' id='run-log'><h2>Run log</h2><p>No runs yet.</p></section>"
    head = "".join(
        f"<th>{h}</th>"
        for h in ("run", "started (UTC)", "seconds", "status", "published", "trigger",
                  "components", "error")
    )  # fmt: skip
    body = "".join(_run_row(r, selected) for r in runs)
    return (
        f"<section class='card' id='run-log'><h2>Run log and component health</h2>"
        f"<p class='muted'>the newest {RUN_LOG_LIMIT} runs; failed components keep the "
        f"previous version's output (carried)</p>"
        f"<table class='runs'><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table></section>"
    )


def _run_row(run: dict, selected: int | None) -> str:
    chips = "".join(_component_chip(c) for c in run["components"] or [])
    cells = [
        str(run["run_id"]),
        _e(_when(run["started_at"])),
        "" if run["seconds"] is None else f"{run['seconds']:.2f}",
        f"<span class='badge {_e(run['status'])}'>{_e(run['status'])}</span>",
        "yes" if run["published"] else "no",
        _e(run["trigger"]),
        chips,
        _e(run["error"] or ""),
    ]
    mark = " class='selected'" if run["run_id"] == selected else ""
    return f"<tr{mark}>" + "".join(f"<td>{c}</td>" for c in cells) + "</tr>"


def _component_chip(c: dict) -> str:
    carried = "" if c["carried_from"] is None else f" (from run {c['carried_from']})"
    return (
        f"<span class='chip {_e(c['status'])}' title='{_e(_component_note(c))}'>"
        f"{_e(c['component'])}: {_e(c['status'])}{carried}</span>"
    )


def _component_note(c: dict) -> str:
    note = f"{c['attempts']} attempt(s)"
    if c["carried_from"] is not None:
        note += f", output carried from run {c['carried_from']}"
    if c["error"]:
        note += f": {c['error']}"
    return note


def _no_version_section() -> str:
    return (
        "<header class='card'><h1>tradelens report</h1>"
        "<p class='empty'>No published version yet: ingest the bot's logs "
        "(<code>tradelens ingest</code>) and run <code>tradelens run</code>.</p></header>"
    )


def _page(title: str, sections: list[str], *, charts: bool, live: bool) -> str:
    """`live`: with the script that refreshes the health panel (a page with a panel only)."""
    plotly = f"<script>{get_plotlyjs()}</script>" if charts else ""
    script = f"<script>{SCRIPT}</script>" if live else ""
    return (
        "<!doctype html>\n<html lang='en'><head><meta charset='utf-8'>"
        "<meta name='viewport' content='width=device-width, initial-scale=1'>"
        f"<title>{_e(title)}</title><style>{CSS}</style>{plotly}</head>"
        f"<body><main>{''.join(sections)}</main>{script}</body></html>\n"
    )


def _when(moment: datetime | None) -> str:
    return "-" if moment is None else moment.strftime("%Y-%m-%d %H:%M:%S")


def _day(moment: datetime | None) -> str:
    return "-" if moment is None else moment.strftime("%Y-%m-%d")


def _e(value) -> str:
    return html.escape(str(value), quote=True)


CSS = """
body { font-family: 'DejaVu Sans', Arial, sans-serif; margin: 0; background: #f4f5f7;
       color: #1d2330; }
main { max-width: 1320px; margin: 0 auto; padding: 16px; }
.card { background: #fff; border: 1px solid #dde1e7; border-radius: 8px; padding: 12px 16px;
        margin-bottom: 16px; }
h1 { font-size: 24px; margin: 4px 0 8px; }
h2 { font-size: 18px; margin: 4px 0 8px; }
h3 { font-size: 15px; margin: 14px 0 6px; }
.muted { color: #6b7280; font-size: 13px; }
.empty { font-size: 16px; }
.tiles { display: flex; flex-wrap: wrap; gap: 10px; margin-top: 8px; }
.tile { border: 1px solid #e5e7eb; border-radius: 6px; padding: 8px 12px; min-width: 150px; }
.tile .label { color: #6b7280; font-size: 12px; text-transform: uppercase; }
.tile .value { font-size: 20px; font-weight: bold; }
table { border-collapse: collapse; width: 100%; font-size: 13px; }
th, td { border-bottom: 1px solid #e5e7eb; padding: 4px 6px; text-align: left;
         vertical-align: top; }
tr.selected { background: #fff8dc; }
.note { color: #4b5563; }
table.learned td:not(:first-child):not(:last-child) { white-space: nowrap; }
table.learned th:first-child { width: 22%; }
table.learned th:last-child { width: 30%; }
.badge, .chip { display: inline-block; border-radius: 10px; padding: 1px 8px; font-size: 12px;
                background: #e5e7eb; margin: 1px 2px; white-space: nowrap; }
.success, .ok, .running, .healthy, .moved, .helped { background: #d1fae5; color: #065f46; }
.partial, .carried, .skipped, .not-significant { background: #fef3c7; color: #92400e; }
.failed, .stopped, .error, .unhealthy, .hurt { background: #fee2e2; color: #991b1b; }
.at-best, .thin { background: #dbeafe; color: #1e40af; }
.facts { display: grid; grid-template-columns: repeat(auto-fill, minmax(250px, 1fr));
         gap: 10px 18px; margin: 10px 0; }
.fact dt { color: #6b7280; font-size: 12px; text-transform: uppercase; }
.fact dd { margin: 2px 0 0; font-size: 15px; }
.sep { color: #9ca3af; }
.errors { grid-template-columns: repeat(auto-fill, minmax(380px, 1fr)); }
.errors dd, td[data-format='error'] { white-space: pre-wrap; overflow-wrap: anywhere; }
.notice { background: #dbeafe; border-radius: 6px; padding: 6px 10px; }
.health.unreachable [data-field] { color: #9ca3af; }
.health.unreachable [data-refreshed] { color: #991b1b; }
"""

# The health panel's script: polls /health (same origin), shows each document in the elements
# the page rendered (data-field, data-format), tables rebuilt from their rows. Its formats are
# the panel's (_show); a page opened from a file has no service to ask and keeps its figures.
SCRIPT = """
(() => {
  const panel = document.getElementById('health');
  if (!panel || !/^https?:$/.test(location.protocol)) return;
  const everyMs = Number(panel.dataset.everyMs);
  const words = new Intl.RelativeTimeFormat('en', {numeric: 'always'});
  const UNITS = [[86400, 'day'], [3600, 'hour'], [60, 'minute'], [1, 'second']];
  const pick = (doc, path) => path.split('.').reduce((v, k) => (v == null ? undefined : v[k]), doc);
  const relative = (seconds) => {
    const size = Math.abs(seconds);
    if (size < 1) return 'just now';
    const [unit, name] = UNITS.find(([u]) => size >= u);
    const count = Math.floor(size / unit);
    return words.format(seconds > 0 ? -count : count, name);
  };
  const utc = (ms) => new Date(ms).toISOString().slice(0, 19).replace('T', ' ') + ' UTC';
  const FORMATS = {
    text: (v) => (v == null ? '-' : String(v)),
    error: (v) => v || 'none',
    count: (v) => (v || 0).toLocaleString('en-US'),
    number: (v) => (v == null ? '-' : v.toLocaleString('en-US')),
    duration: (v) => (v == null ? '-' : `${v.toFixed(2)} s`),
    yesno: (v) => (v ? 'yes' : 'no'),
    run: (v) => (v == null ? 'none yet' : `run ${v}`),
    carried: (v) => (v == null ? '-' : `run ${v}`),
    list: (v) => (v && v.length ? v.join(', ') : '(none)'),
    minutes: (v) => (v == null ? '-' : `${v} minutes`),
    step: (v) => (v ? `step: ${v}` : ''),
    time: (v) => (v ? String(v).replace('T', ' ').replace('Z', ' UTC') : '-'),
  };
  const seconds = (format, value, now) => {
    if (value == null) return null;
    if (format === 'age') return Number(value);
    if (format === 'relative') return (now - Date.parse(value)) / 1000;
    return null;
  };
  const show = (el, value, format, now) => {
    const ago = seconds(format, value, now);
    if (ago == null) delete el.dataset.seconds;
    else el.dataset.seconds = ago.toFixed(3);
    if (format === 'status') {
      const badge = document.createElement('span');
      badge.className = `badge ${value}`;
      badge.textContent = value;
      el.replaceChildren(...(value == null ? [] : [badge]));
    } else if (format === 'age' || format === 'relative') {
      el.textContent = ago == null ? 'never' : relative(ago);
    } else {
      el.textContent = FORMATS[format](value);
    }
  };
  const rowsOf = (value, key) =>
    Array.isArray(value) ? value : Object.entries(value || {}).map(([k, v]) => ({[key]: k, ...v}));
  const fillTable = (table, doc, now) => {
    const value = pick(doc, table.dataset.rows);
    if (value === undefined) return;
    const columns = [...table.tHead.querySelectorAll('th')];
    const rows = rowsOf(value, table.dataset.rowKey).map((row) => {
      const tr = document.createElement('tr');
      for (const th of columns) {
        const td = document.createElement('td');
        td.dataset.field = th.dataset.field;
        td.dataset.format = th.dataset.format;
        show(td, row[th.dataset.field], th.dataset.format, now);
        tr.append(td);
      }
      return tr;
    });
    if (!rows.length) {
      const tr = document.createElement('tr');
      const td = document.createElement('td');
      td.colSpan = columns.length;
      td.className = 'muted';
      td.textContent = table.dataset.empty;
      tr.append(td);
      rows.push(tr);
    }
    table.tBodies[0].replaceChildren(...rows);
  };
  // the service's clock, so that moments read the same whatever the viewer's clock says
  const serverNow = (doc) =>
    doc.started_at && doc.uptime_sec != null
      ? Date.parse(doc.started_at) + doc.uptime_sec * 1000
      : Date.now();
  const update = (doc) => {
    const now = serverNow(doc);
    const state = doc.healthy ? 'healthy' : 'unhealthy';
    const verdict = panel.querySelector('[data-verdict]');
    verdict.className = `badge ${state}`;
    verdict.textContent = doc.status ? `${state}: ${doc.status}` : state;
    for (const el of panel.querySelectorAll('.part > [data-field]')) {
      show(el, pick(doc, el.dataset.field), el.dataset.format, now);
      el.parentElement.hidden = el.textContent === '';  // no current step: no "step" at all
    }
    for (const table of panel.querySelectorAll('table.live')) fillTable(table, doc, now);
    const published = doc.published_run_id;
    const notice = panel.querySelector('[data-new-version]');
    show(notice.querySelector('[data-field]'), published, 'run', now);
    notice.hidden = published == null || String(published) === panel.dataset.version;
    panel.classList.remove('unreachable');
    panel.querySelector('[data-refreshed]').textContent =
      `updated ${utc(now)} from /health; refreshed every ${everyMs / 1000} seconds`;
    panel.dataset.polls = Number(panel.dataset.polls) + 1;
  };
  const unreachable = () => {
    panel.classList.add('unreachable');
    panel.querySelector('[data-refreshed]').textContent =
      `the service did not answer at ${utc(Date.now())}; asking again every ` +
      `${everyMs / 1000} seconds`;
  };
  const poll = async () => {
    try {
      const response = await fetch('health', {cache: 'no-store'});
      update(await response.json());  // a 503 (unhealthy) carries the document too
    } catch (error) {
      unreachable();
    }
    setTimeout(poll, everyMs);
  };
  poll();
})();
"""
