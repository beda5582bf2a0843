"""The charts of one published version, in the report's order: the timing heatmaps, the
weight-variation curves, the sizing multipliers, the blocked trades per day (counts and P&L),
and the learned weights across versions."""

from __future__ import annotations

import plotly.graph_objects as go
import polars as pl

from analytics.outputs.charts import (
    Chart,
    groups,
    palette,
    path_trace,
    small_multiples,
    small_multiples_height,
)
from analytics.outputs.labels import OBJECTIVE_LABELS, OBJECTIVE_SHORT, score_range
from analytics.outputs.report_queries import report_frame
from analytics.outputs.timing_heatmap import timing_heatmap
from analytics.warehouse import Warehouse

MISSED, AVOIDED = "#d62728", "#2ca02c"  # red: blocking cost money; green: it saved money
UNRESOLVED = "#9e9e9e"
SIZING_COLUMNS = (("before", "#9e9e9e"), ("best", "#1f77b4"), ("after", "#ff7f0e"))


def version_charts(warehouse: Warehouse, run: dict, learned: pl.DataFrame) -> list[Chart]:
    """Every chart of the version `run`; `learned` is its learned state."""
    run_id, settings = run["run_id"], run["settings"]
    objective = settings.get("objective", "sharpe")
    timing = report_frame(warehouse, "timing_grid", run_id=run_id)
    # the objective's heatmap and weighted P&L's; when those coincide, Sharpe's instead
    second = "weighted_pnl" if objective != "weighted_pnl" else "sharpe"
    return [
        timing_heatmap(timing, learned, objective, settings, "timing-objective"),
        timing_heatmap(timing, learned, second, settings, f"timing-{second}"),
        _weight_curves(report_frame(warehouse, "weight_grid", run_id=run_id), objective),
        _sizing_bars(learned),
        *_counterfactual_charts(report_frame(warehouse, "counterfactuals_daily", run_id=run_id)),
        _weight_history(report_frame(warehouse, "weight_history", run_id=run_id)),
    ]


def _weight_curves(grid: pl.DataFrame, objective: str) -> Chart:
    key, title = "weights", f"Weight variation: {OBJECTIVE_SHORT[objective]} by component"
    if grid.is_empty():
        return Chart(key, title, None, "no weight grid in this version")
    fig = go.Figure()
    for i, component in enumerate(sorted(grid["component"].unique().to_list())):
        rows = grid.filter(component=component).sort("variation")
        color = palette(i)
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
    labels = [f"bucket {r['name']}<br>{score_range(r['score_lo'], r['score_hi'])}" for r in rows]
    fig = go.Figure()
    for column, color in SIZING_COLUMNS:
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
        (component, [path_trace(rows, "run_id", "weight", component, palette(i),
                                f"{component}, version %{{x}}: weight %{{y:.4f}}")])
        for i, (component, rows) in enumerate(groups(history, "component"))
    ]  # fmt: skip
    fig = small_multiples(panels, x_title="version (run id)", y_title="weight")
    fig.update_xaxes(tickformat="d", dtick=1 if history["run_id"].n_unique() <= 20 else None)
    fig.update_layout(
        title={"text": f"{title}<br><sup>each component's weight (multiplies its value) after "
                       "each published run, one panel per component</sup>"}
    )  # fmt: skip
    return Chart(key, title, fig, height_px=small_multiples_height(len(panels)))
