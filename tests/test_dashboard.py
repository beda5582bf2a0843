"""`GET /` of a running `tradelens serve`: the operator's dashboard, in a real headless browser."""

from __future__ import annotations

import shutil
import time
from pathlib import Path

import pytest
from browser import chromium_available, plotly_charts, render
from case_warehouse import case_warehouse_fixture  # noqa: F401  (the case_warehouse fixture)
from test_service import Service, _write_config

SCREENSHOT_COPY = Path("/tmp/tradelens_dashboard.png")
CHARTS = {
    "chart-timing-objective",
    "chart-timing-weighted_pnl",
    "chart-weights",
    "chart-sizing",
    "chart-blocked-count",
    "chart-blocked-pnl",
    "chart-weight-history",
}


@pytest.mark.browser
@pytest.mark.slow
@pytest.mark.skipif(not chromium_available(), reason="needs chromium (apt-get install chromium)")
def test_dashboard_of_a_running_service_renders_health_and_every_chart(
    case_warehouse, tmp_path: Path
):
    warehouse = tmp_path / "tradelens.duckdb"
    shutil.copy(case_warehouse, warehouse)  # two published versions of the conformance case
    config = _write_config(tmp_path, interval_min=60, min_samples=20, fee_bps=2.0)
    service = Service(tmp_path, warehouse, config)
    try:
        # the cycle at start publishes version 3; the page is rendered after it
        service.wait_for(lambda code, doc: (doc.get("last_run_id") or 0) >= 3, timeout=120)
        deadline = time.monotonic() + 60
        while b"tradelens report: version 3" not in (body := service.get("/")[1]):
            assert time.monotonic() < deadline, body[:300]  # still the page of before the cycle
            time.sleep(0.2)
        shot = tmp_path / "dashboard.png"
        rendered = render(f"{service.url}/", shot, profile=tmp_path / "chromium-profile")
    finally:
        service.kill()
    shutil.copy(shot, SCREENSHOT_COPY)
    assert rendered.console == []  # no errors, warnings or logs from the page's scripts
    assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and shot.stat().st_size > 50_000
    # the health panel comes first, with the SPEC §11 fields
    assert rendered.dom.index("Service health") < rendered.dom.index("chart-timing-objective")
    for field in ("running", "last_run_age_sec", "error_count", "success_count"):
        assert field in rendered.dom
    charts = plotly_charts(rendered.dom)
    assert set(charts) == CHARTS
    for chart_id, chart in charts.items():
        assert "js-plotly-plot" in chart.classes and chart.main_svgs >= 1, chart_id
        assert chart.marks > 0 and chart.x_title and chart.y_title, chart_id
