"""`tradelens report`: one self-contained HTML page, checked in a real headless browser and by
the figures it hands to plotly, against figures computed here from the warehouse's own rows."""

from __future__ import annotations

import dataclasses
import json
import re
import shutil
from itertools import accumulate
from pathlib import Path

import pytest
from browser import chromium_available, plotly_charts, read_page, render
from case_warehouse import case_warehouse_fixture  # noqa: F401  (the case_warehouse fixture)
from conftest import CONFORMANCE_CASE, ingest_one, tradelens, write_jsonl
from plotly.offline import get_plotlyjs

from analytics.config import load_settings
from analytics.context import Tradelens
from analytics.errors import TradelensError

SCREENSHOT_COPY = Path("/tmp/tradelens_report.png")
CASE_SETTINGS = load_settings(CONFORMANCE_CASE / "tradelens.toml")
ALPHA = (1 - CASE_SETTINGS.confidence) / 2  # SPEC §13: a pick steps at p_value ≤ (1 − c)/2
KINDS = ("weight", "multiplier", "timing")
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


def sql(warehouse: Path, query: str, params: dict | None = None) -> list[dict]:
    lens = Tradelens(warehouse)
    with lens.session(read_only=True):
        return lens.rows(query, params)


def case_facts(warehouse: Path) -> dict:
    """Figures the report must show, computed here from the warehouse's own rows."""
    [counts] = sql(
        warehouse,
        "SELECT count(*) FILTER (WHERE status = 'ok' AND pnl > 0) AS missed, "
        "count(*) FILTER (WHERE status = 'ok' AND pnl < 0) AS avoided "
        "FROM history.counterfactuals WHERE run_id = 2",
    )
    [components] = sql(
        warehouse,
        "SELECT count(DISTINCT k) AS n FROM (SELECT unnest(map_keys(components)) AS k "
        "FROM raw.decisions)",
    )
    [days] = sql(
        warehouse,
        "SELECT count(DISTINCT CAST(ts AS DATE)) AS n FROM raw.decisions WHERE kind = 'blocked'",
    )
    [buckets] = sql(
        warehouse,
        "SELECT count(DISTINCT name) AS n FROM latest.evaluation_steps WHERE kind = 'multiplier'",
    )
    return {**counts, "components": components["n"], "days": days["n"], "buckets": buckets["n"]}


def figures(page: str) -> dict[str, dict]:
    """Every plotly figure of a page by its div id: the data and the layout handed to plotly."""
    body = page.split("</head>", 1)[1]  # past plotly.js itself
    decoder = json.JSONDecoder()
    found = {}
    for match in re.finditer(r'Plotly\.newPlot\(\s*"([^"]+)",\s*', body):
        data, end = decoder.raw_decode(body, match.end())
        layout, _ = decoder.raw_decode(body, re.compile(r",\s*").match(body, end).end())
        found[match.group(1)] = {"data": data, "layout": layout}
    return found


def learned_rows(warehouse: Path, run_id: int, kind: str) -> list[dict]:
    """In the report's order: by name (bucket numbers as numbers)."""
    return sql(
        warehouse,
        "SELECT * FROM history.learned_state WHERE run_id = $run AND kind = $kind "
        "ORDER BY try_cast(name AS INTEGER), name",
        {"run": run_id, "kind": kind},
    )


def verdicts(page: str) -> dict[str, list[str]]:
    """Per kind, the verdict column of the learned settings' table."""
    return {kind: [row[-1] for row in read_page(page).tables[kind][1:]] for kind in KINDS}


def fresh_case(warehouse: Path, **settings) -> Tradelens:
    """The conformance case's inputs in a warehouse of the test's own, one run published."""
    lens = Tradelens(warehouse, dataclasses.replace(CASE_SETTINGS, **settings))
    with lens.session():
        ingest_one(lens, "prices", CONFORMANCE_CASE / "prices.csv", bar_time="open",
                   interval="5m")  # fmt: skip
        ingest_one(lens, "trades", CONFORMANCE_CASE / "trades.jsonl")
        ingest_one(lens, "blocked", CONFORMANCE_CASE / "blocked.jsonl")
        assert lens.run(full=True).published
    return lens


# --- the page as a whole ---------------------------------------------------------------------


@pytest.mark.browser
@pytest.mark.skipif(not chromium_available(), reason="needs chromium (apt-get install chromium)")
def test_report_renders_every_chart_in_a_headless_browser(case_warehouse, tmp_path):
    page = tmp_path / "report.html"
    page.write_text(Tradelens(case_warehouse).report(health=HEALTH), encoding="utf-8")
    shot = tmp_path / "report.png"
    rendered = render(page, shot, profile=tmp_path / "chromium-profile", height=9000)
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
        "chart-eval-cumulative": (2 * len(KINDS), "cumulative out-of-sample gain"),  # + static 0
        "chart-eval-weights": (facts["components"], "learned signal weights"),
        "chart-eval-multipliers": (facts["buckets"], "learned size multipliers"),
        "chart-eval-timing": (2, "learned timing"),  # entry delay, hold
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
    # small multiples: a panel of its own for every component, kind and setting
    assert charts["chart-weight-history"].subplots == facts["components"]
    assert charts["chart-eval-cumulative"].subplots == len(KINDS)
    assert charts["chart-eval-weights"].subplots == facts["components"]
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
    # a report for people to keep: no health panel, nothing that polls a service
    body = html.split("</head>", 1)[1]  # past plotly.js, which can fetch
    assert "id='health'" not in body and "fetch(" not in body
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
    panel = read_page(html.split("id='health'", 1)[1].split("</section>", 1)[0])
    # plain labels, not the JSON's keys; ages in words
    assert panel.facts["last run"] == "run 9 · 42 seconds ago"
    assert panel.facts["running"] == "yes"
    assert panel.facts["errors"].startswith("3 ")
    assert panel.facts["successful runs"] == "17"
    assert panel.facts["components available"] == "counterfactuals, timing_grid, weight_grid"
    assert not [label for label in panel.facts if "_" in label]
    assert "unhealthy: stale: last success is older than two intervals" in html
    header, *rows = panel.tables["components"]
    assert header[:3] == ["component", "status", "attempts"] and header[-1] == "last error"
    failed = next(r for r in rows if r[0] == "sizing_grid")
    assert failed[1] == "failed" and failed[2] == "3" and failed[-1] == "RuntimeError: disk <full>"
    assert "<span class='badge failed'>failed</span>" in html
    assert "RuntimeError: disk &lt;full&gt;" in html  # escaped, not markup
    assert "fetch('health'" in html  # a page with a panel refreshes it from the service


# --- what the version learned, in words ----------------------------------------------------------


def test_every_learned_setting_shows_its_verdict_in_words(case_warehouse):
    lens = Tradelens(case_warehouse)
    first, second = lens.report(version=1), lens.report(version=2)
    for kind in KINDS:
        # run 1, the first look at the data: every unit is evaluated; with require_significance
        # off (the case's settings) a pick steps whatever its p_value, which the report weighs
        # against (1 − confidence)/2
        rows = learned_rows(case_warehouse, 1, kind)
        table = read_page(first).tables[kind]
        assert f"p_value (significant at ≤ {ALPHA:.3g})" in table[0]
        for row, shown in zip(rows, table[1:], strict=True):
            p = row["p_value"]
            if not row["applied"]:
                assert row["best"] == row["before"], row  # the pick is the current setting
                expected, p_text = "best is the current setting", "-"
            elif p <= ALPHA:
                expected, p_text = "moved", f"{p:.3g} ≤ {ALPHA:.3g}"
            else:
                expected, p_text = "moved, not significant", f"{p:.3g} > {ALPHA:.3g}"
            assert shown[-1] == f"{expected} {row['note']}", (kind, row["name"])
            assert p_text in shown, (kind, row["name"])
        # run 2 reran the same data: no new evidence for any unit (SPEC §14), since run 1
        assert verdicts(second)[kind] == ["no new evidence no new evidence since run 1"] * len(
            learned_rows(case_warehouse, 2, kind)
        )
    assert "moved, not significant" in str(verdicts(first))  # the case has both kinds of moves
    assert "'moved " in str(verdicts(first))


def test_carried_forward_settings_say_so_everywhere(case_warehouse, tmp_path):
    warehouse = tmp_path / "tradelens.duckdb"
    shutil.copy(case_warehouse, warehouse)
    lens = Tradelens(warehouse, CASE_SETTINGS)
    # a newly blocked trade, then `tradelens counterfactual`: only the counterfactuals are
    # recomputed; the timing, weight and sizing grids and their learned settings are carried
    blocked = {"decision_id": "late-1", "ts": "2025-03-22T12:00:00Z", "symbol": "ALPHA",
               "direction": "long", "entry_score": 0.2, "components": {"flow": 0.1},
               "reason": "score_below_threshold", "price": 46.0}  # fmt: skip
    ingest_one(lens, "blocked", write_jsonl(tmp_path / "late.jsonl", [blocked]))
    assert lens.run(only=["counterfactuals"], trigger="counterfactual").published
    page = lens.report()
    assert "tradelens report: version 3" in page
    for kind, shown in verdicts(page).items():
        assert shown and all(v.startswith("carried forward carried forward: ") for v in shown), kind
    for chart in ("chart-timing-objective", "chart-timing-weighted_pnl"):
        subtitle = figures(page)[chart]["layout"]["title"]["text"]
        assert "carried forward: timing_grid was not computed in this run" in subtitle
        assert "no cell has" not in subtitle


def test_thin_settings_stay_and_say_why(warehouse):
    # no cell can have a million outcomes: nothing is picked, everything stays
    page = fresh_case(warehouse, min_samples=1_000_000).report()
    for kind, shown in verdicts(page).items():
        expected = "below min_samples no cell has min_samples=1000000 resolved outcomes"
        assert shown == [expected] * len(learned_rows(warehouse, 1, kind)), kind
    heatmap = figures(page)["chart-timing-objective"]
    assert "no cell has min_samples=1000000" in heatmap["layout"]["title"]["text"]
    assert all(text.endswith("*") for row in heatmap["data"][0]["text"] for text in row)


def test_settings_that_fail_the_reality_check_stay_with_their_p_value(warehouse):
    page = fresh_case(warehouse, learning_policy="gate").report()
    not_significant = 0
    for kind in KINDS:
        rows = learned_rows(warehouse, 1, kind)
        for row, shown in zip(rows, read_page(page).tables[kind][1:], strict=True):
            if row["p_value"] is not None and row["p_value"] > ALPHA:
                not_significant += 1
                assert not row["applied"], row
                assert shown[-1].startswith("not significant stays: not significant"), shown
                assert f"{row['p_value']:.3g} > {ALPHA:.3g}" in shown
    assert not_significant > 0  # the case's picks are mostly luck (p_values of 0.1 to 0.9)


# --- charts ------------------------------------------------------------------------------------


@pytest.mark.parametrize("version", [1, 2])
def test_timing_heatmap_colours_each_cell_by_its_difference_from_the_current_setting(
    case_warehouse, version
):
    grid = sql(
        case_warehouse,
        "SELECT entry_delay_min AS d, hold_min AS h, sharpe FROM history.timing_grid "
        "WHERE run_id = $run AND population = 'all'",
        {"run": version},
    )
    [d0, h0] = [
        r["before"]
        for r in learned_rows(case_warehouse, version, "timing")  # entry_delay_min, hold_min
    ]
    # run 1 started from 0 / 60 min, a grid cell; run 2 from 0.5 / 60, between two delays
    nearest = min(grid, key=lambda c: (abs(c["d"] - d0) + abs(c["h"] - h0), c["d"], c["h"]))
    heatmap = figures(Tradelens(case_warehouse).report(version=version))["chart-timing-objective"]
    [trace] = heatmap["data"]
    assert trace["zmid"] == 0  # diverging around "as good as now"
    by_cell = {(float(y), float(x)): (z, text)
               for y, zs, texts in zip(trace["y"], trace["z"], trace["text"], strict=True)
               for x, z, text in zip(trace["x"], zs, texts, strict=True)}  # fmt: skip
    assert len(by_cell) == len(grid) == 16
    for cell in grid:
        z, text = by_cell[(cell["d"], cell["h"])]
        assert z == pytest.approx(cell["sharpe"] - nearest["sharpe"], abs=1e-12)
        assert text.startswith(f"{cell['sharpe']:,.2f}<br>")  # the value itself, not the colour's
    subtitle = heatmap["layout"]["title"]["text"]
    if (d0, h0) == (nearest["d"], nearest["h"]):
        assert "minus that of the current setting's cell" in subtitle
    else:
        assert f"nearest the current setting, {nearest['d']:g} / {nearest['h']:g} min" in subtitle


def test_weights_across_versions_get_a_panel_each(case_warehouse):
    history = sql(
        case_warehouse,
        "SELECT name, list(after ORDER BY run_id) AS weights FROM history.learned_state "
        "WHERE kind = 'weight' GROUP BY name ORDER BY name",
    )
    chart = figures(Tradelens(case_warehouse).report())["chart-weight-history"]
    traces = {t["name"]: t for t in chart["data"]}
    assert sorted(traces) == [h["name"] for h in history]
    for h in history:
        assert traces[h["name"]]["x"] == [1, 2] and traces[h["name"]]["y"] == h["weights"]
    # each on its own y axis (flat lines at the same level no longer hide each other), x shared
    assert len({t.get("yaxis", "y") for t in chart["data"]}) == len(history)
    axes = chart["layout"]
    used = {t.get("xaxis", "x").replace("x", "xaxis") for t in chart["data"]}
    assert len(used) == len(history)
    assert all(axes[k].get("matches") == "x" for k in used if k != "xaxis")
    assert not any(axes[k].get("matches") for k in axes if re.fullmatch(r"yaxis\d*", k))


def test_weight_variation_marks_the_picked_cell(case_warehouse):
    # run 1 picked each component's best variation; learned_state.best is its weight W·(1 + v)
    picked = {r["name"]: r["best"] for r in learned_rows(case_warehouse, 1, "weight")}
    chart = figures(Tradelens(case_warehouse).report(version=1))["chart-weights"]
    stars = {t["name"].removesuffix(": chosen"): t for t in chart["data"] if "chosen" in t["name"]}
    assert sorted(stars) == sorted(picked)
    for component, star in stars.items():
        [variation] = star["x"]  # the picked variation, in %: W·(1 + v) with W = 1 in run 1
        assert 1 + variation / 100 == pytest.approx(picked[component])


# --- the walk-forward evaluation -----------------------------------------------------------------


def test_walk_forward_section_shows_learned_against_static_per_kind(case_warehouse):
    summary = {
        (r["kind"], r["policy"]): r
        for r in sql(case_warehouse, "SELECT * FROM latest.evaluation_summary")
    }
    periods = sql(
        case_warehouse,
        "SELECT kind, policy, list(coalesce(weighted_pnl, 0) ORDER BY boundary) AS pnl "
        "FROM latest.evaluation_periods GROUP BY kind, policy",
    )
    steps = sql(
        case_warehouse,
        "SELECT name, list(after ORDER BY boundary) AS path, list(applied ORDER BY boundary) "
        "AS moved FROM latest.evaluation_steps WHERE kind = 'weight' GROUP BY name",
    )
    page = Tradelens(case_warehouse).report()
    header, *rows = read_page(page).tables["evaluation"]
    assert header[0] == "what is learned" and len(rows) == len(KINDS)
    for kind, row in zip(KINDS, rows, strict=True):
        learned, static = summary[(kind, "learned")], summary[(kind, "static")]
        gain = learned["weighted_pnl"] - static["weighted_pnl"]
        assert row[1:5] == [
            "configured",  # the configured policy's lane
            f"{learned['weighted_pnl']:,.2f}",
            f"{static['weighted_pnl']:,.2f}",
            f"{gain:+,.2f}",
        ]
        assert row[5] == f"{learned['gain_lo']:+,.2f} to {learned['gain_hi']:+,.2f}"
        assert row[6] == f"{learned['gain_p_value']:.3g}"
        assert row[7] == f"{learned['periods_better']:.0%}"
        # helped or hurt only from SPEC §16's verdict, whatever the sign of the gain
        if learned["verdict"] in ("helped", "hurt"):
            assert row[-1] == f"learning {learned['verdict']}: {gain:+,.2f} weighted P&L", row
        else:
            assert row[-1] == learned["verdict"], row
    charts = figures(page)
    # cumulative out-of-sample gain: the running sum of learned − static per period, ending at
    # the summary's gain; static is the zero line
    panels = charts["chart-eval-cumulative"]["data"]  # one panel (x axis) per kind, in order
    cumulative = {(t["legendgroup"], t.get("xaxis", "x")): t["y"] for t in panels}
    pnl = {(p["kind"], p["policy"]): p["pnl"] for p in periods}
    for kind in KINDS:
        axis = "x" if kind == "weight" else f"x{KINDS.index(kind) + 1}"
        gains = [a - b for a, b in zip(pnl[(kind, "learned")], pnl[(kind, "static")], strict=True)]
        shown = cumulative[("learned", axis)]
        assert shown == pytest.approx(list(accumulate(gains)))
        assert shown[-1] == pytest.approx(summary[(kind, "learned")]["gain_weighted_pnl"])
        assert cumulative[("static", axis)] == [0.0] * len(gains)
    # every learned weight's path across the boundaries; filled markers where it moved
    paths = {t["name"]: t for t in charts["chart-eval-weights"]["data"]}
    for s in steps:
        assert paths[s["name"]]["y"] == s["path"]
        symbols = ["circle" if moved else "circle-open" for moved in s["moved"]]
        assert paths[s["name"]]["marker"]["symbol"] == symbols


def test_without_an_evaluation_the_report_says_how_to_make_one(warehouse):
    page = fresh_case(warehouse).report()
    assert "No walk-forward evaluation yet" in page and "<code>tradelens evaluate</code>" in page
    assert not [chart for chart in figures(page) if chart.startswith("chart-eval")]
    assert "chart-timing-objective" in figures(page)  # the rest of the report is there
