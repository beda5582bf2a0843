"""The analyst's HTML report: one self-contained page (plotly.js inline once, no network) of a
published version: timing heatmaps, weight-variation curves, sizing multipliers, blocked trades
over time, learned weights across versions and the run log with component health."""

from __future__ import annotations

import html
import json
from dataclasses import dataclass
from datetime import datetime

import plotly.graph_objects as go
import polars as pl
from plotly.offline import get_plotlyjs

from analytics.outputs.summary import blocked_summary
from analytics.warehouse import Warehouse, load_sql, published_version

RUN_LOG_LIMIT = 25
HEALTH_HEADLINE = (
    "running", "last_run_age_sec", "error_count", "success_count", "components_available",
)  # fmt: skip
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
MISSED, AVOIDED = "#d62728", "#2ca02c"  # red: blocking cost money; green: it saved money
UNRESOLVED = "#9e9e9e"
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

    `health` (the service's /health fields) adds a panel at the top. An empty warehouse gives
    a page that says so; an explicit `version` that is not a published run is an error.
    """
    run = _published_run(warehouse, version)
    if run is None:
        body = _no_version_section()
        log = _run_log_section(warehouse, None)
        return _page("tradelens report", [_health_panel(health), body, log], charts=False)
    charts = _charts(warehouse, run)
    sections = [
        _health_panel(health),
        _header(warehouse, run),
        *(_chart_section(c) for c in charts),
        _run_log_section(warehouse, run["run_id"]),
    ]
    return _page(f"tradelens report: version {run['run_id']}", sections, charts=True)


# --- data -----------------------------------------------------------------------------------


def _published_run(warehouse: Warehouse, version: int | None) -> dict | None:
    """The run row of `version` (default: the newest published); None when none is published."""
    if version is None and not warehouse.value("SELECT count(*) FROM runs WHERE published"):
        return None
    run_id = published_version(warehouse, version)
    return _with_config(warehouse.rows("SELECT * FROM runs WHERE run_id = ?", [run_id])[0])


def _with_config(run: dict) -> dict:
    return {**run, "settings": json.loads(run["config"])}


def _frame(warehouse: Warehouse, name: str, **params) -> pl.DataFrame:
    return warehouse.frame(load_sql(f"outputs/{name}"), params)


# --- charts ---------------------------------------------------------------------------------


def _charts(warehouse: Warehouse, run: dict) -> list[Chart]:
    run_id, settings = run["run_id"], run["settings"]
    objective = settings.get("objective", "sharpe")
    timing = _frame(warehouse, "report_timing_grid", run_id=run_id)
    learned = _frame(warehouse, "report_learned_state", run_id=run_id)
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
    title = f"Timing grid: {OBJECTIVE_SHORT[metric]} by entry delay × hold (all decisions)"
    if grid.is_empty():
        return Chart(key, title, None, "no timing grid in this version")
    delays = sorted(grid["entry_delay_min"].unique().to_list())
    holds = sorted(grid["hold_min"].unique().to_list())
    cell = {(r["entry_delay_min"], r["hold_min"]): r for r in grid.iter_rows(named=True)}
    z = [[cell.get((d, h), {}).get(metric) for h in holds] for d in delays]
    text = [
        [_cell_text(cell.get((d, h)), metric, settings.get("min_samples", 0)) for h in holds]
        for d in delays
    ]
    fig = go.Figure(
        go.Heatmap(
            x=[_num(h) for h in holds],
            y=[_num(d) for d in delays],
            z=z,
            text=text,
            texttemplate="%{text}",
            colorscale="RdYlGn",
            zmid=0,
            colorbar={"title": {"text": OBJECTIVE_SHORT[metric]}},
            hovertemplate="entry delay %{y} min, hold %{x} min<br>%{text}<extra></extra>",
        )
    )
    setting = _mark_timing(fig, learned, delays, holds)
    fig.update_layout(
        title={"text": f"{title}<br><sup>colour: {OBJECTIVE_LABELS[metric]}; cell text: value "
                       f"and outcomes n (* below min_samples)<br>delay / hold: {setting}</sup>"},
        xaxis={"title": {"text": "hold (minutes)"}, "type": "category"},
        yaxis={"title": {"text": "entry delay after the signal (minutes)"}, "type": "category"},
    )  # fmt: skip
    return Chart(key, title, fig, height_px=540)


def _cell_text(row: dict | None, metric: str, min_samples: int) -> str:
    if row is None:
        return ""
    value = row[metric]
    shown = "n/a" if value is None else f"{value:,.2f}"
    thin = "*" if row["n"] < min_samples else ""
    return f"{shown}<br>n={row['n']:,}{thin}"


def _mark_timing(fig: go.Figure, learned: pl.DataFrame, delays: list, holds: list) -> str:
    """Frame the best cell of population all (solid) and the current setting (dashed) when it
    is a grid cell; returns a note on the setting for the subtitle."""
    timing = {r["name"]: r for r in learned.filter(kind="timing").iter_rows(named=True)}
    if not timing:
        return ""
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
    best = (
        "no cell has enough outcomes to be picked"
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
        best = rows.filter(pl.col("variation") == pl.col("best_variation"))
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
                       "weight is varied; ★ the variation chosen</sup>"},
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
    fig = go.Figure()
    for i, component in enumerate(sorted(history["component"].unique().to_list())):
        rows = history.filter(component=component)
        fig.add_trace(
            go.Scatter(
                x=rows["run_id"].to_list(), y=rows["weight"].to_list(), name=component,
                mode="lines+markers", line={"color": _palette(i)},
                hovertemplate=f"{component}, version %{{x}}: weight %{{y:.4f}}<extra></extra>",
            )
        )  # fmt: skip
    fig.update_layout(
        title={"text": f"{title}<br><sup>each component's weight after each published run"
                       "</sup>"},
        xaxis={"title": {"text": "version (run id)"}, "tickformat": "d", "dtick": 1
               if history["run_id"].n_unique() <= 20 else None},
        yaxis={"title": {"text": "weight (multiplies the component's value)"}},
        legend={"title": {"text": "component"}},
    )  # fmt: skip
    return Chart(key, title, fig)


def _palette(i: int) -> str:
    colors = ("#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2",
              "#7f7f7f", "#bcbd22", "#17becf")  # fmt: skip
    return colors[i % len(colors)]


def _num(value: float) -> str:
    """A grid coordinate as an axis category: 15.0 -> '15'."""
    return f"{value:g}"


def _score_range(lo: float | None, hi: float | None) -> str:
    if lo is None and hi is None:
        return "all scores"
    if lo is None:
        return f"score < {hi:.3g}"
    if hi is None:
        return f"score ≥ {lo:.3g}"
    return f"{lo:.3g} ≤ score < {hi:.3g}"


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


def _header(warehouse: Warehouse, run: dict) -> str:
    run_id, settings = run["run_id"], run["settings"]
    inputs = warehouse.rows(load_sql("outputs/summary_inputs"))[0]
    blocked = blocked_summary(warehouse, run_id)
    timing = {
        r["name"]: r
        for r in warehouse.rows(
            "SELECT name, before, best, after FROM history.learned_state "
            "WHERE run_id = ? AND kind = 'timing'",
            [run_id],
        )
    }
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


def _health_panel(health: dict | None) -> str:
    """The service's /health fields: the headline ones as tiles, per-component status (with the
    last error) as a table, then every other field."""
    if health is None:
        return ""
    headline = [k for k in HEALTH_HEADLINE if k in health]
    nested = {k: v for k, v in health.items() if _is_table(v) and k not in headline}
    others = {k: v for k, v in health.items() if k not in nested and k not in headline}
    tiles = "".join(
        f"<div class='tile'><div class='label'>{_e(k)}</div>"
        f"<div class='value'>{_e(_health_value(k, health[k]))}</div></div>"
        for k in headline
    )
    details = "".join(
        f"<div><span class='muted'>{_e(k)}</span> {_e(_fmt(v))}</div>" for k, v in others.items()
    )
    tables = "".join(f"<h3>{_e(k)}</h3>{_nested_table(v)}" for k, v in nested.items())
    return (
        f"<section class='card health' id='health'><h2>Service health {_health_badge(health)}"
        f"</h2><div class='tiles'>{tiles}</div><div class='details'>{details}</div>{tables}"
        "</section>"
    )


def _health_badge(health: dict) -> str:
    if "healthy" in health:
        state = "healthy" if health["healthy"] else "unhealthy"
        note = f": {health['status']}" if health.get("status") else ""
        return f"<span class='badge {state}'>{_e(state + note)}</span>"
    state = "running" if health.get("running") else "stopped"
    return f"<span class='badge {state}'>{state}</span>"


def _health_value(key: str, value) -> str:
    if key == "last_run_age_sec" and isinstance(value, int | float):
        return f"{value:,.0f} s" if value < 120 else f"{value / 60:,.1f} min"
    return _fmt(value)


def _is_table(value) -> bool:
    """Per-component details (a dict, or a list of dicts) become a table; the rest a tile."""
    return isinstance(value, dict) or (
        isinstance(value, list) and any(isinstance(v, dict) for v in value)
    )


def _nested_table(value: dict | list) -> str:
    """A dict of dicts (per component) or a list of dicts as a table; else a plain list."""
    if isinstance(value, dict):
        if all(isinstance(v, dict) for v in value.values()):
            rows = [{"component": k, **v} for k, v in value.items()]
        else:
            rows = [{"name": k, "value": v} for k, v in value.items()]
    else:
        rows = [v if isinstance(v, dict) else {"value": v} for v in value]
    if not rows:
        return "<p class='muted'>(none)</p>"
    columns = list(dict.fromkeys(k for r in rows for k in r))
    columns.sort(key=lambda c: "error" in c)  # the (last) error, often long, goes last
    head = "".join(f"<th>{_e(c)}</th>" for c in columns)
    body = "".join(
        "<tr>" + "".join(f"<td>{_status_cell(c, r.get(c))}</td>" for c in columns) + "</tr>"
        for r in rows
    )
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def _status_cell(column: str, value) -> str:
    if column == "status" and value is not None:
        return f"<span class='badge {_e(value)}'>{_e(value)}</span>"
    return _e(_fmt(value))


def _no_version_section() -> str:
    return (
        "<header class='card'><h1>tradelens report</h1>"
        "<p class='empty'>No published version yet: ingest the bot's logs "
        "(<code>tradelens ingest</code>) and run <code>tradelens run</code>.</p></header>"
    )


def _page(title: str, sections: list[str], charts: bool) -> str:
    script = f"<script>{get_plotlyjs()}</script>" if charts else ""
    return (
        "<!doctype html>\n<html lang='en'><head><meta charset='utf-8'>"
        "<meta name='viewport' content='width=device-width, initial-scale=1'>"
        f"<title>{_e(title)}</title><style>{CSS}</style>{script}</head>"
        f"<body><main>{''.join(sections)}</main></body></html>\n"
    )


def _fmt(value) -> str:
    if value is None:
        return "-"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float):
        return f"{value:,.1f}" if abs(value) >= 100 else f"{value:.3g}"
    if isinstance(value, list):
        return ", ".join(map(_fmt, value)) or "(none)"
    if isinstance(value, dict):
        return json.dumps(value, default=str)
    return str(value)


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
h3 { font-size: 15px; margin: 12px 0 6px; }
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
.badge, .chip { display: inline-block; border-radius: 10px; padding: 1px 8px; font-size: 12px;
                background: #e5e7eb; margin: 1px 2px; }
.success, .ok, .running, .healthy { background: #d1fae5; color: #065f46; }
.partial, .carried, .skipped { background: #fef3c7; color: #92400e; }
.failed, .stopped, .error, .unhealthy { background: #fee2e2; color: #991b1b; }
.details { display: flex; flex-wrap: wrap; gap: 4px 18px; margin: 8px 0; font-size: 13px; }
"""
