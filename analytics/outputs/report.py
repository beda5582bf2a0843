"""The analyst's HTML report: one self-contained page (plotly.js inline once, no network) of a
published version: what it learned and why, timing heatmaps, weight-variation curves, sizing
multipliers, blocked trades over time, learned weights across versions, the walk-forward
evaluation and the run log with component health.

With the service's /health document it also gets the health panel for operators on top, which
refreshes itself from /health (same origin) while the page is open.

This module assembles the page; its parts live in modules named for them: learned_tables,
version_charts (with timing_heatmap), walk_forward, run_log, health_panel, and the shared
charts, html and labels."""

from __future__ import annotations

import polars as pl

from analytics.outputs.charts import chart_section, plotly_script
from analytics.outputs.health_panel import health_panel, panel_script
from analytics.outputs.html import badge, day_text, escape, moment_text, page
from analytics.outputs.learned_tables import learned_section
from analytics.outputs.report_queries import published_run, report_frame
from analytics.outputs.run_log import run_log_section
from analytics.outputs.summary import blocked_summary
from analytics.outputs.version_charts import version_charts
from analytics.outputs.walk_forward import walk_forward
from analytics.warehouse import Warehouse, load_sql

Tile = tuple[str, str, str]  # (label, value, note)


def build_report(
    warehouse: Warehouse, version: int | None = None, health: dict | None = None
) -> str:
    """A complete HTML page for `version` (default: the latest published run).

    `health` (the service's /health fields) adds the live health panel at the top. An empty
    warehouse gives a page that says so; an explicit `version` that is not a published run is
    an error.
    """
    run = published_run(warehouse, version)
    shown = None if run is None else run["run_id"]
    panel = [] if health is None else [health_panel(health, shown)]
    tail = "" if health is None else panel_script()
    if run is None:
        sections = [*panel, _no_version_section(), run_log_section(warehouse, None)]
        return page("tradelens report", sections, tail=tail)
    learned = report_frame(warehouse, "learned_state", run_id=run["run_id"])
    evaluation, evaluation_charts = walk_forward(warehouse)
    sections = [
        *panel,
        _header(warehouse, run, learned),
        learned_section(learned, run["settings"]),
        *(chart_section(c) for c in version_charts(warehouse, run, learned)),
        evaluation,
        *(chart_section(c) for c in evaluation_charts),
        run_log_section(warehouse, run["run_id"]),
    ]
    title = f"tradelens report: version {run['run_id']}"
    return page(title, sections, head=plotly_script(), tail=tail)


def _header(warehouse: Warehouse, run: dict, learned: pl.DataFrame) -> str:
    """The version's title, how its run went, and its figures at a glance as tiles."""
    run_id, settings = run["run_id"], run["settings"]
    tiles = "".join(
        f"<div class='tile'><div class='label'>{escape(label)}</div>"
        f"<div class='value'>{escape(value)}</div><div class='muted'>{escape(note)}</div></div>"
        for label, value, note in _tiles(warehouse, run_id, learned)
    )
    return (
        f"<header class='card'><h1>tradelens report: version {run_id}</h1>"
        f"<p>finished {escape(moment_text(run['finished_at']))} UTC · status "
        f"{badge(run['status'], run['status'])} · trigger {escape(run['trigger'])} · "
        f"engine {escape(run['engine'])} · objective "
        f"<b>{escape(settings.get('objective', ''))}</b> · "
        f"min_samples {escape(settings.get('min_samples', ''))}</p>"
        f"<div class='tiles'>{tiles}</div></header>"
    )


def _tiles(warehouse: Warehouse, run_id: int, learned: pl.DataFrame) -> list[Tile]:
    """The decisions, what blocking them did, and the timing it learned."""
    inputs = warehouse.rows(load_sql("outputs/summary_inputs"))[0]
    blocked = blocked_summary(warehouse, run_id)
    tiles = [
        ("executed trades", f"{inputs['executed']:,}", f"{inputs['open_trades']:,} still open"),
        ("blocked trades", f"{inputs['blocked']:,}",
         f"{day_text(inputs['first_decision'])} to {day_text(inputs['last_decision'])}"),
        ("missed opportunities", f"{blocked.missed:,}", f"worth {blocked.missed_pnl:+,.2f}"),
        ("avoided losses", f"{blocked.avoided:,}",
         f"worth {abs(blocked.avoided_pnl):,.2f} saved"),
        (f"blocking {blocked.verdict}", f"{abs(blocked.net_pnl):,.2f}",
         "net P&L of blocked trades"),
    ]  # fmt: skip
    timing = {r["name"]: r for r in learned.filter(kind="timing").iter_rows(named=True)}
    if "entry_delay_min" in timing:
        delay, hold = timing["entry_delay_min"], timing["hold_min"]
        tiles.append(
            ("timing (delay / hold)", f"{delay['after']:.3g} / {hold['after']:.3g} min",
             f"was {delay['before']:.3g} / {hold['before']:.3g} min")
        )  # fmt: skip
    return tiles


def _no_version_section() -> str:
    return (
        "<header class='card'><h1>tradelens report</h1>"
        "<p class='empty'>No published version yet: ingest the bot's logs "
        "(<code>tradelens ingest</code>) and run <code>tradelens run</code>.</p></header>"
    )
