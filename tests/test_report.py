"""`tradelens report`: one self-contained HTML page, checked in a real headless browser."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from browser import chromium_available, plotly_charts, render
from case_warehouse import case_warehouse_fixture  # noqa: F401  (the case_warehouse fixture)
from conftest import tradelens
from plotly.offline import get_plotlyjs

from analytics.context import Tradelens
from analytics.errors import TradelensError

SCREENSHOT_COPY = Path("/tmp/tradelens_report.png")
HEALTH = {  # the shape of the service's /health document
    "healthy": False,
    "status": "stale: last success is older than two intervals",
    "running": True,
    "last_run_age_sec": 42.0,
    "error_count": 3,
    "success_count": 17,
    "components_available": ["counterfactuals", "timing_grid", "weight_grid"],
    "last_run_id": 9,
    "components": {
        "counterfactuals": {"status": "ok", "run_id": 9, "attempts": 1, "error": None},
        "sizing_grid": {
            "status": "failed",
            "run_id": 9,
            "attempts": 3,
            "error": "RuntimeError: disk <full>",
        },
    },
}


def case_facts(warehouse: Path) -> dict:
    """Figures the report must show, computed here from the warehouse's own rows."""
    lens = Tradelens(warehouse)
    with lens.session(read_only=True):
        [(missed, avoided)] = lens.sql(
            "SELECT count(*) FILTER (WHERE status = 'ok' AND pnl > 0), "
            "count(*) FILTER (WHERE status = 'ok' AND pnl < 0) "
            "FROM history.counterfactuals WHERE run_id = 2"
        )[1]
        [(components,)] = lens.sql(
            "SELECT count(DISTINCT k) FROM (SELECT unnest(map_keys(components)) AS k "
            "FROM raw.decisions)"
        )[1]
        [(days,)] = lens.sql(
            "SELECT count(DISTINCT CAST(ts AS DATE)) FROM raw.decisions WHERE kind = 'blocked'"
        )[1]
    return {"missed": missed, "avoided": avoided, "components": components, "days": days}


@pytest.mark.browser
@pytest.mark.skipif(not chromium_available(), reason="needs chromium (apt-get install chromium)")
def test_report_renders_every_chart_in_a_headless_browser(case_warehouse, tmp_path):
    page = tmp_path / "report.html"
    page.write_text(Tradelens(case_warehouse).report(health=HEALTH), encoding="utf-8")
    shot = tmp_path / "report.png"
    rendered = render(page, shot, profile=tmp_path / "chromium-profile")
    shutil.copy(shot, SCREENSHOT_COPY)

    assert rendered.console == []  # no errors, warnings or logs from the page's scripts
    assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and shot.stat().st_size > 50_000
    facts = case_facts(case_warehouse)
    charts = plotly_charts(rendered.dom)
    # chart -> (traces plotly must draw, words its title must contain)
    expected = {
        "chart-timing-objective": (1, "Sharpe"),
        "chart-timing-weighted_pnl": (1, "weighted P&L"),
        "chart-weights": (facts["components"], "Weight variation"),
        "chart-sizing": (3, "multiplier"),  # before, best, after
        "chart-blocked-count": (3, "missed opportunities vs avoided losses"),
        "chart-blocked-pnl": (3, "P&L"),
        "chart-weight-history": (facts["components"], "across versions"),
    }
    assert set(charts) == set(expected)
    for chart_id, (traces, title_words) in expected.items():
        chart = charts[chart_id]
        assert "js-plotly-plot" in chart.classes, chart_id  # plotly took over the div
        assert chart.main_svgs >= 1, chart_id
        assert chart.traces >= traces, chart_id
        assert chart.marks > 0, chart_id  # bars, points, lines or heatmap drawn
        assert title_words in chart.title, (chart_id, chart.title)
        assert chart.x_title and chart.y_title, chart_id
    # a bar per day for missed, avoided and unresolved
    assert charts["chart-blocked-count"].marks == 3 * facts["days"]
    assert "(minutes)" in charts["chart-timing-objective"].x_title
    assert "Service health" in rendered.dom and "disk &lt;full&gt;" in rendered.dom


def test_report_command_writes_a_self_contained_page(case_warehouse, tmp_path):
    out = tmp_path / "report.html"
    done = tradelens("report", "--out", str(out), warehouse=case_warehouse)
    assert done.returncode == 0, done.stderr
    html = out.read_text(encoding="utf-8")
    assert "<script src" not in html and "<link" not in html  # nothing fetched over a network
    assert html.count(get_plotlyjs()[:500]) == 1  # plotly.js inline, once
    assert "tradelens report: version 2" in html
    facts = case_facts(case_warehouse)
    assert f"<div class='value'>{facts['missed']:,}</div>" in html
    assert f"<div class='value'>{facts['avoided']:,}</div>" in html
    assert [p.name for p in tmp_path.iterdir()] == ["report.html"]  # written via a temp file


def test_report_of_a_past_version(case_warehouse):
    lens = Tradelens(case_warehouse)
    html = lens.report(version=1)
    assert "tradelens report: version 1" in html
    assert "<tr class='selected'><td>1</td>" in html  # the run log marks the version shown
    with pytest.raises(TradelensError, match="version 7 is not a published run"):
        lens.report(version=7)


def test_empty_warehouse_page_with_the_health_panel(warehouse):
    html = Tradelens(warehouse).report(health=HEALTH)
    assert "No published version yet" in html
    assert "Plotly" not in html  # no charts, no 4 MB of plotly.js
    panel = html.split("id='health'", 1)[1].split("</section>", 1)[0]
    for field in ("running", "last_run_age_sec", "error_count", "success_count",
                  "components_available"):  # fmt: skip
        assert f"<div class='label'>{field}</div>" in panel
    assert "<div class='value'>42 s</div>" in panel and "<div class='value'>17</div>" in panel
    assert "unhealthy: stale: last success is older than two intervals" in panel
    assert "counterfactuals, timing_grid, weight_grid" in panel
    assert "<span class='badge failed'>failed</span>" in panel
    assert "RuntimeError: disk &lt;full&gt;" in panel  # escaped, not markup
