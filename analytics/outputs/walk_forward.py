"""The report's walk-forward evaluation (SPEC §16), the newest one whichever version the page
shows: the out-of-sample verdict per kind of setting as a table, each learning policy's
cumulative gain over static settings, and each learned setting's path across the boundaries."""

from __future__ import annotations

import plotly.graph_objects as go
import polars as pl

from analytics.outputs import charts
from analytics.outputs.charts import Chart
from analytics.outputs.html import (
    badge,
    card,
    day_text,
    escape,
    header_cells,
    moment_text,
    table,
    table_row,
)
from analytics.outputs.labels import KIND_SHORT, KIND_TITLES, KINDS, money, setting_name
from analytics.outputs.report_queries import report_frame, report_rows, with_settings
from analytics.warehouse import Warehouse

STATIC_STYLE = ("#7f7f7f", "dash")  # static: grey, dashed; learning policies: the palette
STEP_PATHS = (  # (kind, chart key, title, y axis title, value format)
    ("weight", "eval-weights", "Walk-forward: the learned signal weights at each boundary",
     "weight", ".4f"),
    ("multiplier", "eval-multipliers",
     "Walk-forward: the learned size multipliers at each boundary", "multiplier (×)", ".4f"),
    ("timing", "eval-timing", "Walk-forward: the learned timing at each boundary",
     "minutes", ".4g"),
)  # fmt: skip
SUMMARY_HEADERS = ("what is learned", "policy", "learned weighted P&L", "static weighted P&L",
                   "gain", "interval of the gain", "p_value", "periods at least as good",
                   "resolved outcomes (learned / static)", "verdict")  # fmt: skip


def walk_forward(warehouse: Warehouse) -> tuple[str, list[Chart]]:
    """The out-of-sample verdict per kind as a section, and its charts; without an evaluation,
    a section saying how to make one."""
    found = report_rows(warehouse, "evaluation")
    if not found:
        return _no_evaluation_section(), []
    evaluation = with_settings(found[0])
    summary = report_rows(warehouse, "evaluation_summary")
    periods = report_frame(warehouse, "evaluation_periods")
    steps = report_frame(warehouse, "evaluation_steps")
    figures = [_cumulative_gain(periods)]
    for kind, key, title, y_title, value_format in STEP_PATHS:
        figures.append(_step_paths(steps.filter(kind=kind), key, title, y_title, value_format))
    return _evaluation_section(evaluation, summary), figures


def _no_evaluation_section() -> str:
    return card(
        "evaluation",
        "Walk-forward evaluation",
        "<p class='empty'>No walk-forward evaluation yet. <code>tradelens evaluate</code> "
        "replays the learning at every boundary on the data known then and scores each learned "
        "state on the decisions after it, against the static settings (SPEC §16).</p>",
    )


def _evaluation_section(evaluation: dict, summary: list[dict]) -> str:
    settings = evaluation["settings"]
    about = (
        f"evaluation {evaluation['evaluation_id']}, finished "
        f"{moment_text(evaluation['finished_at'])} UTC: {evaluation['boundaries']} boundaries from "
        f"{day_text(evaluation['first_boundary'])}, every {settings.get('evaluate_every', '?')} "
        f"after {settings.get('evaluate_warmup_days', '?')} days of warm-up; each learned state "
        "is scored on the decisions of the period after its boundary, with what finally "
        "happened. This is the newest evaluation, whichever version the report shows."
    )
    body = "".join(_evaluation_row(r) for r in summary)
    verdicts = table(
        "class='evaluation' data-kind='evaluation'", header_cells(SUMMARY_HEADERS), body
    )
    return card(
        "evaluation",
        "Walk-forward evaluation: does the learning help out of sample?",
        f"<p class='muted'>{escape(about)}</p>{verdicts}",
    )


def _evaluation_row(row: dict) -> str:
    badge_class, words = _evaluation_verdict(row)
    better, gain = row["periods_better"], row["gain_weighted_pnl"]
    tested = row["gain_p_value"] is not None
    texts = [
        KIND_TITLES.get(row["kind"], row["kind"]),
        _policy_label(row["policy"]),
        money(row["learned_weighted_pnl"]),
        money(row["static_weighted_pnl"]),
        "-" if gain is None else f"{gain:+,.2f}",
        f"{row['gain_lo']:+,.2f} to {row['gain_hi']:+,.2f}" if tested else "-",
        f"{row['gain_p_value']:.3g}" if tested else "-",
        "-" if better is None else f"{better:.0%}",
        f"{row['learned_n']:,} / {row['static_n']:,}",
    ]
    return table_row([*map(escape, texts), badge(badge_class, words)])


def _policy_label(policy: str) -> str:
    return "configured" if policy == "learned" else policy


def _evaluation_verdict(row: dict) -> tuple[str, str]:
    """(badge class, words): SPEC §16's verdict on the gain over static, in words."""
    verdict = row["verdict"]
    if verdict in ("helped", "hurt"):
        return verdict, f"learning {verdict}: {row['gain_weighted_pnl']:+,.2f} weighted P&L"
    if verdict is None:  # an evaluation from before the test
        return "no-evidence", "not tested (evaluate again)"
    return "no-evidence", verdict


def _cumulative_gain(periods: pl.DataFrame) -> Chart:
    key = "eval-cumulative"
    title = "Walk-forward: cumulative out-of-sample gain over static, each learning policy"
    if periods.is_empty():
        return Chart(key, title, None, "the evaluation has no periods")
    policies = periods["policy"].unique(maintain_order=True).to_list()
    panels = []
    for kind in [k for k in KINDS if k in set(periods["kind"])]:
        x = periods.filter(kind=kind)["boundary"].unique().sort()
        traces = [_static_line(x, show=not panels)] + [
            go.Scatter(
                x=[b.isoformat() for b in rows["boundary"]],
                y=rows["cumulative_gain"].to_list(),
                name=policy, legendgroup=policy, showlegend=not panels,
                mode="lines+markers", line={"color": charts.palette(i)},
                customdata=rows["gain"].to_list(),
                hovertemplate=f"{policy}, period from %{{x}}: %{{y:+,.2f}} over static so far "
                              "(%{customdata:+,.2f} this period)<extra></extra>",
            )
            for i, policy in enumerate(policies)
            if not (rows := periods.filter(kind=kind, policy=policy)).is_empty()
        ]  # fmt: skip
        panels.append((KIND_SHORT[kind], traces))
    fig = charts.small_multiples(
        panels, x_title="period start (boundary, UTC)", y_title="gain over static (weighted P&L)"
    )
    fig.update_xaxes(type="date")
    fig.update_layout(
        title={"text": f"{title}<br><sup>per period, the weighted P&L of the decisions after the "
                       "boundary under the policy's settings there minus under the static ones, "
                       "summed period by period; learned: the configured policy, other names: "
                       "policies walked beside it; above 0: learning earned more</sup>"},
        legend={"title": {"text": "settings"}},
    )  # fmt: skip
    return Chart(key, title, fig, height_px=charts.small_multiples_height(len(panels)))


def _static_line(boundaries: pl.Series, *, show: bool) -> go.Scatter:
    """Static's own gain over static: 0 at every boundary, the line to beat."""
    color, dash = STATIC_STYLE
    return go.Scatter(
        x=[b.isoformat() for b in boundaries], y=[0.0] * len(boundaries), name="static",
        legendgroup="static", showlegend=show, mode="lines", line={"color": color, "dash": dash},
        hoverinfo="skip",
    )  # fmt: skip


def _step_paths(
    steps: pl.DataFrame, key: str, title: str, y_title: str, value_format: str
) -> Chart:
    """One panel per learned setting: its value at each boundary; filled markers where it
    moved, open ones where it stayed (the hover gives the note)."""
    if steps.is_empty():
        return Chart(key, title, None, "nothing of this kind was learned in the evaluation")
    panels = []
    for i, (name, rows) in enumerate(charts.groups(steps, "name")):
        label = setting_name(rows["kind"][0], name)
        trace = charts.path_trace(
            rows, "boundary", "after", label, charts.palette(i),
            f"{label} from %{{x}}: %{{y:{value_format}}}<br>%{{customdata}}",
        )  # fmt: skip
        trace.update(
            customdata=rows["note"].to_list(),
            marker={"symbol": ["circle" if a else "circle-open" for a in rows["applied"]],
                    "size": 8},
        )  # fmt: skip
        panels.append((label, [trace]))
    fig = charts.small_multiples(panels, x_title="boundary (UTC)", y_title=y_title)
    fig.update_xaxes(type="date")
    fig.update_layout(
        title={"text": f"{title}<br><sup>the setting learned at each boundary on the data known "
                       "then; filled markers: it moved, open: it stayed</sup>"}
    )  # fmt: skip
    return Chart(key, title, fig, height_px=charts.small_multiples_height(len(panels)))
