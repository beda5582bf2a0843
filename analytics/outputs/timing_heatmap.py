"""The timing grid as a heatmap of entry delay × hold: each cell coloured by how much better or
worse than the current setting's cell it did, with its value and outcomes n, the best cell and
the current setting framed."""

from __future__ import annotations

import plotly.graph_objects as go
import polars as pl
from plotly.colors import diverging, make_colorscale

from analytics.outputs.charts import Chart
from analytics.outputs.labels import OBJECTIVE_LABELS, OBJECTIVE_SHORT

# red: worse than the current setting, white: as good, blue: better
VERSUS_NOW = make_colorscale(diverging.RdBu)

Cell = tuple[float, float]  # (entry_delay_min, hold_min)


def timing_heatmap(
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
            x=[_category(h) for h in holds],
            y=[_category(d) for d in delays],
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


def _category(value: float) -> str:
    """A grid coordinate as an axis category: 15.0 -> '15'."""
    return f"{value:g}"


def _reference_cell(cells: list[Cell], setting: Cell | None) -> Cell | None:
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


def _colour_note(
    metric: str, reference: Cell | None, before: Cell | None, base: float | None
) -> str:
    if base is None or reference is None:
        return f"colour: {OBJECTIVE_LABELS[metric]} (no current setting's cell to compare with)"
    where = (
        "the current setting's cell"
        if reference == before
        else f"the grid cell nearest the current setting, {_category(reference[0])} / "
        f"{_category(reference[1])} min"
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
