"""What every chart of the report shares: the `Chart` (a plotly figure, or why there is none),
its card of the page, plotly.js inlined once, the colour palette, and small multiples (one
panel per series) for settings and P&L over versions or boundaries."""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime

import plotly.graph_objects as go
import polars as pl
from plotly.offline import get_plotlyjs
from plotly.subplots import make_subplots

from analytics.outputs.html import card, escape

CHART_CONFIG = {"displaylogo": False, "responsive": True}
PALETTE = ("#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2",
           "#7f7f7f", "#bcbd22", "#17becf")  # fmt: skip
PANEL_COLUMNS = 3
PANEL_ROW_PX = 250


@dataclass(frozen=True)
class Chart:
    """One figure of the report, or the reason it has nothing to show."""

    key: str
    title: str
    figure: go.Figure | None
    empty_reason: str = ""
    height_px: int = 460


def plotly_script() -> str:
    """plotly.js itself, for the page's head: the charts need no network."""
    return f"<script>{get_plotlyjs()}</script>"


def chart_section(chart: Chart) -> str:
    """The chart's card: the figure (in the report's style), or its title and why it is empty."""
    section_id = f"section-{chart.key}"
    if chart.figure is None:
        reason = f"<p class='muted'>{escape(chart.empty_reason)}</p>"
        return card(section_id, chart.title, reason, css_class="card chart-empty")
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
    return f"<section class='card chart' id='{section_id}'>{div}</section>"


def palette(i: int) -> str:
    """The i-th series' colour (plotly's default sequence, repeating)."""
    return PALETTE[i % len(PALETTE)]


def groups(frame: pl.DataFrame, column: str) -> list[tuple[str, pl.DataFrame]]:
    """The frame's rows per value of `column`, in the frame's order of first appearance."""
    return [(value, frame.filter(pl.col(column) == value))
            for value in frame[column].unique(maintain_order=True).to_list()]  # fmt: skip


def path_trace(rows: pl.DataFrame, x: str, y: str, name: str, color: str, hover: str) -> go.Scatter:
    """One series as lines and markers (x: versions or moments), for a small multiple."""
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


def small_multiples(
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


def small_multiples_height(panels: int) -> int:
    """The figure's height for `panels` panels, PANEL_COLUMNS a row."""
    return 160 + PANEL_ROW_PX * math.ceil(panels / PANEL_COLUMNS)
