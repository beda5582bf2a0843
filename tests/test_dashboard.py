"""`GET /` of a running `tradelens serve`: the operator's dashboard, its health panel for people
(plain labels, ages in words, the inbox and the last errors as tables) and the script that keeps
it current from /health; in a real headless browser against a real service."""

from __future__ import annotations

import re
import shutil
import time
from datetime import timedelta
from pathlib import Path

import pytest
from browser import chromium_available, plotly_charts, read_page, render
from case_warehouse import case_warehouse_fixture  # noqa: F401  (the case_warehouse fixture)
from test_service import Service, _settled, _write_config

from analytics.context import Tradelens
from analytics.runlog import RunLog
from analytics.service.dashboard import placeholder_page, render_dashboard
from analytics.service.health import ServiceFacts, health_document
from analytics.times import utc_now

SCREENSHOT_COPY = Path("/tmp/tradelens_dashboard.png")
CHARTS = {
    "chart-timing-objective",
    "chart-timing-weighted_pnl",
    "chart-weights",
    "chart-sizing",
    "chart-blocked-count",
    "chart-blocked-pnl",
    "chart-weight-history",
    "chart-eval-cumulative",
    "chart-eval-weights",
    "chart-eval-multipliers",
    "chart-eval-timing",
}
LABELS = {  # what an operator reads, in words; never a JSON key
    "last successful run", "last run", "running", "cycle in progress", "next cycle",
    "successful runs", "errors", "published version", "components available", "inbox files",
    "service started", "last run's error", "last failed cycle",
}  # fmt: skip
AGE_FIELDS = ("last_success_age_sec", "last_run_age_sec", "uptime_sec")


def words(seconds: float) -> str:
    """Age in words, by hand: the largest whole unit, floored."""
    for unit, name in ((86400, "day"), (3600, "hour"), (60, "minute"), (1, "second")):
        if abs(seconds) >= unit:
            count = int(abs(seconds) // unit)
            text = f"{count} {name}" + ("" if count == 1 else "s")
            return f"{text} ago" if seconds > 0 else f"in {text}"
    return "just now"


def service_health() -> dict:
    """A /health document of a service up for a day, in the middle of a cycle, after a partial
    run and a failed cycle, with one quarantined inbox file."""
    now = utc_now()
    component = {"attempts": 1, "seconds": 0.25, "rows": 48, "carried_from": None, "error": None,
                 "last_ok_run_id": 9, "available": True, "run_id": 9}  # fmt: skip
    run_log = RunLog(
        success_count=17, error_count=2, aborted_count=1,
        last_run_id=9, last_run_status="partial", last_run_at=now - timedelta(minutes=3),
        last_run_error="sizing_grid: RuntimeError: disk <full>",
        last_success_run_id=8, last_success_at=now - timedelta(hours=2, minutes=5),
        published_run_id=9,
        components={
            "timing_grid": {**component, "status": "ok"},
            "sizing_grid": {**component, "status": "carried", "carried_from": 8, "rows": None,
                            "attempts": 3, "error": "RuntimeError: disk <full>",
                            "last_ok_run_id": 8},
        },
        inbox={
            "files": {"prices": {"ingested": 2}, "trades": {"ingested": 4, "quarantined": 1}},
            "ingested": 6, "quarantined": 1,
            "recent_quarantined": [{
                "path": "inbox/trades/broken.csv", "kind": "trades",
                "reason": "cannot read as CSV: <unterminated quote>",
                "seen_at": (now - timedelta(minutes=10, seconds=30)).isoformat(),
            }],
        },
    )  # fmt: skip
    facts = ServiceFacts(
        started_at=now - timedelta(days=1, hours=1), interval_min=60, scheduler_alive=True,
        cycle_in_progress=True, current_step="timing grid",
        next_run_at=now + timedelta(minutes=57, seconds=30), cycle_errors=1,
        last_cycle_error="warehouse tradelens.duckdb is busy",
    )  # fmt: skip
    return health_document(run_log, 60, now=now, service=facts)


def test_health_panel_speaks_to_people():
    health = service_health()
    page = placeholder_page(health, "the first cycle is running")
    shown = read_page(page)
    assert set(shown.facts) >= LABELS and not [k for k in shown.facts if "_" in k]
    facts = shown.facts
    assert facts["last successful run"] == (
        f"run 8 · 2 hours ago · {health['last_success_at'].replace('T', ' ')[:-1]} UTC"
    )
    assert facts["last run"] == "run 9 · partial · 3 minutes ago"
    assert facts["running"] == "yes"
    assert facts["cycle in progress"] == "yes · step: timing grid"
    assert facts["next cycle"] == "in 57 minutes"
    assert facts["errors"] == "3 (failed or partial runs, failed cycles)"  # 2 runs + 1 cycle
    assert facts["inbox files"] == "6 ingested · 1 quarantined"
    assert facts["service started"].startswith("1 day ago · ")
    assert facts["last run's error"] == "sizing_grid: RuntimeError: disk <full>"
    assert facts["last failed cycle"] == "warehouse tradelens.duckdb is busy"
    # the inbox per kind and verdict, and the quarantined files with their reasons
    assert shown.tables["inbox.files"] == [
        ["kind", "ingested", "quarantined"], ["prices", "2", "0"], ["trades", "4", "1"]
    ]  # fmt: skip
    assert shown.tables["inbox.recent_quarantined"][1:] == [
        ["inbox/trades/broken.csv", "trades", "cannot read as CSV: <unterminated quote>",
         "10 minutes ago"]
    ]  # fmt: skip
    components = {row[0]: row for row in shown.tables["components"][1:]}
    assert components["sizing_grid"][1:] == [
        "carried", "3", "0.25 s", "-", "run 8", "run 8", "RuntimeError: disk <full>"
    ]  # fmt: skip
    assert "&lt;unterminated quote&gt;" in page  # escaped, not markup
    # it keeps itself current from /health, without plotly (no report yet)
    assert "fetch('health'" in page and "data-every-ms='5000'" in page
    assert "Plotly" not in page and "the first cycle is running" in page
    # a reload is suggested once a version newer than the one published now (9) appears
    assert "data-version='9'" in page


@pytest.mark.parametrize(
    ("age_sec", "shown"),
    [(0.4, "just now"), (1, "1 second ago"), (59.9, "59 seconds ago"), (60, "1 minute ago"),
     (150, "2 minutes ago"), (7199, "1 hour ago"), (7200, "2 hours ago"),
     (90_000, "1 day ago"), (3 * 86_400 + 5, "3 days ago")],
)  # fmt: skip
def test_ages_read_in_words(age_sec: float, shown: str):
    page = placeholder_page({"last_success_run_id": 4, "last_success_age_sec": age_sec}, "")
    assert read_page(page).facts["last successful run"] == f"run 4 · {shown}"
    assert words(age_sec) == shown  # the browser test holds the page's script to the same rule


def test_a_report_that_cannot_be_rendered_leaves_the_health_panel(tmp_path: Path):
    page = render_dashboard(Tradelens(tmp_path / "no-such.duckdb"), service_health())
    assert "the report could not be rendered: " in page
    assert read_page(page).facts["last run"] == "run 9 · partial · 3 minutes ago"


def _panel_polls(dom: str) -> int:
    [tag] = re.findall(r"<section[^>]*id=\"health\"[^>]*>", dom)
    return int(re.search(r'data-polls="(\d+)"', tag).group(1))


@pytest.mark.browser
@pytest.mark.slow
@pytest.mark.skipif(not chromium_available(), reason="needs chromium (apt-get install chromium)")
def test_dashboard_of_a_running_service_renders_health_and_every_chart(
    case_warehouse, tmp_path: Path
):
    warehouse = tmp_path / "tradelens.duckdb"
    shutil.copy(case_warehouse, warehouse)  # two published versions of the conformance case
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    (inbox / "broken.parquet").write_text("not parquet")  # to be quarantined
    _settled(inbox / "broken.parquet")
    config = _write_config(tmp_path, interval_min=60, min_samples=20, fee_bps=2.0,
                           inbox_trades="inbox")  # fmt: skip
    service = Service(tmp_path, warehouse, config)
    try:
        # the cycle at start publishes version 3; the page is rendered after it
        service.wait_for(lambda code, doc: (doc.get("last_run_id") or 0) >= 3, timeout=120)
        deadline = time.monotonic() + 60
        while b"tradelens report: version 3" not in (served := service.get("/")[1]):
            assert time.monotonic() < deadline, served[:300]  # still the page of before the cycle
            time.sleep(0.2)
        # the same page twice, seconds apart: what differs comes from the page's own polling
        renders, health = [], []
        for i in range(2):
            health.append(service.health()[1])
            shot = tmp_path / f"dashboard-{i}.png"
            # 12 s of the page's time: it asks /health at once and every 5 s after
            renders.append(render(f"{service.url}/", shot, profile=tmp_path / f"profile-{i}",
                                  budget_ms=12000))  # fmt: skip
            health.append(service.health()[1])
            time.sleep(3)
        assert service.get("/")[1] == served  # no new cycle: the server's page is unchanged
    finally:
        service.kill()
    shutil.copy(tmp_path / "dashboard-0.png", SCREENSHOT_COPY)
    first = renders[0]
    for rendered in renders:
        assert rendered.console == []  # no errors, warnings or logs from the page's scripts
        assert _panel_polls(rendered.dom) >= 2  # it polled, more than once, without a reload
    shot = first.screenshot
    assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and shot.stat().st_size > 50_000

    # the health panel comes first, for people: labels in words, ages in words that move on
    assert first.dom.index("Service health") < first.dom.index("chart-timing-objective")
    page = read_page(first.dom)
    assert set(page.facts) >= LABELS and not [k for k in page.facts if "_" in k]
    assert page.facts["running"] == "yes" and page.facts["cycle in progress"] == "no"
    assert page.facts["published version"] == "run 3"
    ages = [
        {f: float(read_page(r.dom).fields[f][0]["data-seconds"]) for f in AGE_FIELDS}
        for r in renders
    ]
    for i, (rendered, age) in enumerate(zip(renders, ages, strict=True)):
        for f in AGE_FIELDS:
            # what /health said just before and just after the page was open
            assert health[2 * i][f] - 1 <= age[f] <= health[2 * i + 1][f] + 1, (f, age, health)
            assert read_page(rendered.dom).fields[f][0]["text"] == words(age[f]), f
    for f in AGE_FIELDS:
        assert ages[1][f] >= ages[0][f] + 2.5, f  # 3 s later, the same page shows older ages
    # the inbox as tables: one broken file of trades, quarantined with its reason
    assert page.tables["inbox.files"][1:] == [["trades", "0", "1"]]
    [quarantined] = page.tables["inbox.recent_quarantined"][1:]
    assert quarantined[:2] == ["inbox/broken.parquet", "trades"]
    assert "cannot read as PARQUET" in quarantined[2] and quarantined[3].endswith(" ago")

    charts = plotly_charts(first.dom)
    assert set(charts) == CHARTS
    for chart_id, chart in charts.items():
        assert "js-plotly-plot" in chart.classes and chart.main_svgs >= 1, chart_id
        assert chart.marks > 0 and chart.x_title and chart.y_title, chart_id
