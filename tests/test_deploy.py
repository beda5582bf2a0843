"""deploy/: the Prometheus alert rules and the Grafana dashboard, held to what /metrics exports.

The rules are checked and unit-tested by the real promtool (`promtool check rules`, `promtool
test rules` on deploy/prometheus/alerts_test.yml, whose expected alerts are worked out by hand);
the scrape config deploy/prometheus/prometheus.yml by `promtool check config`;
the text a real `tradelens serve` answers at /metrics goes through `promtool check metrics`;
and every metric a rule or a dashboard query names must be one that text exports.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import time
from pathlib import Path

import pytest
import yaml
from conftest import ingest_one, tradelens
from prometheus_client.parser import text_string_to_metric_families
from test_service import INTERVAL_MIN, Service, _settled, _write_config

from analytics.config import settings_from_mapping
from analytics.context import Tradelens
from analytics.pipeline import COMPONENT_NAMES, ComponentRecord, RunResult
from analytics.runlog import RunLog
from analytics.sample_data import write_sample_data
from analytics.service.telemetry import ServiceMetrics

DEPLOY = Path(__file__).resolve().parent.parent / "deploy"
ALERTS = DEPLOY / "prometheus" / "alerts.yml"
ALERTS_TEST = DEPLOY / "prometheus" / "alerts_test.yml"
PROMETHEUS_CONFIG = DEPLOY / "prometheus" / "prometheus.yml"
DASHBOARD = DEPLOY / "grafana" / "tradelens.json"
SERVICE_DOCS = DEPLOY.parent / "docs" / "service.md"
PROMTOOL = shutil.which("promtool")
needs_promtool = pytest.mark.skipif(
    PROMTOOL is None,
    reason="promtool is not installed (Debian: apt-get install prometheus; .ci/run installs it)",
)
# Series Prometheus makes itself for every scrape target, not exported by the service.
PROMETHEUS_OWN = {"up"}
FAILING = "sizing_grid"  # the fault drill's component in the served-metrics service
DATASOURCE_UID = "${DS_PROMETHEUS}"


def promtool(*args: str, stdin: str | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(
        [PROMTOOL, *args], input=stdin, capture_output=True, text=True, timeout=60
    )


# --------------------------------------------------------------------------- reading the files


def rule_expressions(text: str) -> list[str]:
    """Every rule's `expr` in an alert rules file."""
    groups = yaml.safe_load(text)["groups"]
    return [rule["expr"] for group in groups for rule in group["rules"]]


def dashboard() -> dict:
    return json.loads(DASHBOARD.read_text())


def dashboard_queries(board: dict) -> list[str]:
    """Every panel target's expr and every query variable's query."""
    queries = [t["expr"] for panel in board["panels"] for t in panel["targets"]]
    for variable in board["templating"]["list"]:
        if variable["type"] == "query":
            queries.append(variable["query"]["query"])
    return queries


PROMQL_WORDS = {
    "and", "or", "unless", "by", "without", "on", "ignoring", "group_left", "group_right",
    "bool", "offset", "inf", "nan",
}  # fmt: skip


def metric_names(query: str) -> set[str]:
    """The metric names a PromQL (or Grafana label_values) query selects: the identifiers left
    once strings, label matchers, ranges, grouping labels, Grafana variables, function names
    and keywords are taken out."""
    query = re.sub(r"label_values\((.*),\s*\w+\s*\)", r"\1", query)
    query = re.sub(r'"(?:\\.|[^"\\])*"', '""', query)
    query = re.sub(r"\{[^}]*\}", " ", query)
    query = re.sub(r"\[[^\]]*\]", " ", query)
    query = re.sub(r"\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)", " ", query)
    query = re.sub(r"\$\{?\w+\}?", " ", query)
    words = re.findall(r"(?<![\w:.])([A-Za-z_:][\w:]*)(?![\w:])(?!\s*\()", query)
    return {w for w in words if w.lower() not in PROMQL_WORDS}


def test_metric_names_finds_every_selector_and_nothing_else() -> None:
    query = (
        'histogram_quantile(0.95, sum by (le) (rate(a_bucket{x=~"$job", y="b c"}[$window])))'
        " / on (instance) group_left (kind) b_total offset 5m"
        " and time() - c > 2 * d_seconds{z='1'} unless bool_thing > 1e3"
    )
    assert metric_names(query) == {"a_bucket", "b_total", "c", "d_seconds", "bool_thing"}
    assert metric_names('label_values(tradelens_scheduler_up{job=~"$job"}, instance)') == {
        "tradelens_scheduler_up"
    }


# --------------------------------------------------------------------------- the alert rules


@needs_promtool
def test_alert_rules_pass_promtool_check_and_every_rule_is_read() -> None:
    result = promtool("check", "rules", str(ALERTS))
    assert result.returncode == 0, result.stdout + result.stderr
    count = int(re.search(r"SUCCESS: (\d+) rules found", result.stdout)[1])
    expressions = rule_expressions(ALERTS.read_text())
    assert len(expressions) == count >= 6
    assert all(e and e[0] not in "'\">|" for e in expressions)


@needs_promtool
def test_alert_rules_fire_when_and_only_when_intended() -> None:
    """alerts_test.yml: stale after two intervals, no success since start, a component not
    fresh for 3 cycles, a quarantined inbox file, cycle errors, scheduler and service down."""
    result = promtool("test", "rules", str(ALERTS_TEST))
    assert result.returncode == 0, result.stdout + result.stderr
    tested = set(re.findall(r"alertname: (\w+)", ALERTS_TEST.read_text()))
    assert tested == set(re.findall(r"- alert: (\w+)", ALERTS.read_text()))


# --------------------------------------------------------------------------- the scrape config


@needs_promtool
def test_prometheus_config_with_its_bearer_token_passes_promtool_check_config(
    tmp_path: Path,
) -> None:
    """prometheus.yml as shipped, next to the alert rules and a token file as its comments say
    (promtool reads both, relative to the config's folder)."""
    for source in (PROMETHEUS_CONFIG, ALERTS):
        shutil.copy(source, tmp_path / source.name)
    config = yaml.safe_load(PROMETHEUS_CONFIG.read_text())
    [job] = [j for j in config["scrape_configs"] if j["job_name"] == "tradelens"]
    assert job["authorization"]["type"] == "Bearer"
    (tmp_path / job["authorization"]["credentials_file"]).write_text("a-token\n")
    result = promtool("check", "config", str(tmp_path / PROMETHEUS_CONFIG.name))
    assert result.returncode == 0, result.stdout + result.stderr
    rules = len(rule_expressions(ALERTS.read_text()))
    assert f"SUCCESS: {rules} rules found" in result.stdout, result.stdout


# --------------------------------------------------------------------------- the dashboard


def test_dashboard_is_an_importable_grafana_dashboard_on_one_prometheus_input() -> None:
    board = dashboard()
    assert 36 <= board["schemaVersion"] <= 41 and board["id"] is None and board["uid"]
    assert [(i["name"], i["type"], i["pluginId"]) for i in board["__inputs"]] == [
        ("DS_PROMETHEUS", "datasource", "prometheus")
    ]
    panels = board["panels"]
    assert len({p["id"] for p in panels}) == len(panels)
    occupied: set[tuple[int, int]] = set()
    for panel in panels:
        assert panel["type"] in {"stat", "timeseries"} and panel["title"]
        assert panel["datasource"] == {"type": "prometheus", "uid": DATASOURCE_UID}
        refs = [t["refId"] for t in panel["targets"]]
        assert refs and len(set(refs)) == len(refs)
        assert all(t["datasource"]["uid"] == DATASOURCE_UID and t["expr"] for t in panel["targets"])
        cells = _grid_cells(panel["gridPos"])
        assert max(x for x, _ in cells) < 24, f"{panel['title']} is wider than the grid"
        assert not cells & occupied, f"{panel['title']} overlaps another panel"
        occupied |= cells
    variables = board["templating"]["list"]
    assert {v["name"] for v in variables} == {"job", "instance", "window"}
    assert all(v["datasource"]["uid"] == DATASOURCE_UID for v in variables if v["type"] == "query")
    used = {name for query in dashboard_queries(board) for name in metric_names(query)}
    wanted = {  # the panels the issue asks for
        "tradelens_last_success_timestamp_seconds",  # last success age
        "tradelens_cycle_duration_seconds_bucket",  # cycle duration
        "tradelens_cycles_total",  # runs by outcome
        "tradelens_component_errors_total",  # component errors
        "tradelens_component_stale_cycles",  # ... and staleness
        "tradelens_rows_ingested_total",
        "tradelens_rows_rejected_total",
        "tradelens_inbox_files_total",
        "tradelens_published_run_id",
    }
    assert wanted <= used


def _grid_cells(pos: dict) -> set[tuple[int, int]]:
    """The cells of Grafana's 24-column grid a panel covers."""
    return {
        (x, y)
        for x in range(pos["x"], pos["x"] + pos["w"])
        for y in range(pos["y"], pos["y"] + pos["h"])
    }


@needs_promtool
def test_dashboard_queries_are_valid_promql(tmp_path: Path) -> None:
    """Each query, its Grafana variables filled in, as a recording rule promtool parses."""
    filled = [
        re.sub(r"\$window", "6h", re.sub(r"\$(job|instance)", ".*", q))
        for q in dashboard_queries(dashboard())
        if not q.startswith("label_values(")
    ]
    rules = {
        "groups": [
            {
                "name": "dashboard",
                "rules": [
                    {"record": f"dashboard:query_{i}", "expr": q} for i, q in enumerate(filled)
                ],
            }
        ]
    }
    path = tmp_path / "dashboard_rules.yml"
    path.write_text(json.dumps(rules))  # JSON is YAML
    result = promtool("check", "rules", str(path))
    assert result.returncode == 0, result.stdout + result.stderr
    assert f"SUCCESS: {len(filled)} rules found" in result.stdout


# --------------------------------------------------------------------------- the served metrics


@pytest.fixture(scope="module")
def served(migrated_template: Path, tmp_path_factory: pytest.TempPathFactory) -> dict:
    """A real `tradelens serve` with data, a garbage inbox file and the fault drill on
    sizing_grid, after its second cycle: /metrics as served with no cycle in progress, and
    the warehouse's runs and run_components read back once it stopped."""
    tmp = tmp_path_factory.mktemp("served")
    warehouse = tmp / "tradelens.duckdb"
    shutil.copy(migrated_template, warehouse)
    sample = write_sample_data(tmp / "sample", seed=3, symbols=2, days=2, decisions=200)
    lens = Tradelens(warehouse, settings_from_mapping({}))
    with lens.session():
        for kind in ("prices", "trades", "blocked"):
            ingest_one(lens, kind, getattr(sample, kind))
    inbox = tmp / "inbox" / "trades"
    inbox.mkdir(parents=True)
    (inbox / "garbage.csv").write_bytes(b'decision_id,ts\n"open quote,1\n')
    _settled(inbox / "garbage.csv")
    config = _write_config(tmp, inbox_trades="inbox/trades")
    started = time.time()
    service = Service(tmp, warehouse, config, env={"TRADELENS_FAIL_COMPONENT": FAILING})
    try:
        service.wait_for(lambda c, d: (d["last_run_id"] or 0) >= 2)
        text = _metrics_between_cycles(service, published_at_least=2)
    finally:
        exit_code = service.stop()
    assert exit_code == 0, service.log()
    components = _sql(
        warehouse,
        "select c.run_id, c.component, c.status from run_components as c "
        "join runs as r using (run_id) where r.trigger = 'serve' order by c.run_id",
    )
    return {"text": text, "started": started, "components": components}


def _metrics_between_cycles(service: Service, published_at_least: int) -> str:
    """/metrics once no cycle is in progress: every observation of the last cycle is in it."""
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        text = service.get("/metrics")[1].decode()
        values = _values(text)
        if (
            values[("tradelens_cycle_in_progress", ())] == 0
            and values[("tradelens_published_run_id", ())] >= published_at_least
        ):
            return text
        time.sleep(0.05)
    raise AssertionError("no /metrics between cycles within 60 s")


def _sql(warehouse: Path, query: str) -> list[dict]:
    result = tradelens("sql", query, "--format", "json", warehouse=warehouse)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def _values(text: str) -> dict[tuple[str, tuple], float]:
    return {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for family in text_string_to_metric_families(text)
        for s in family.samples
    }


def _exported(text: str) -> set[str]:
    """Sample names, so with the suffixes PromQL sees (_total, _bucket, _sum, _count, _created)."""
    return {name for name, _ in _values(text)}


@needs_promtool
def test_served_metrics_pass_promtool_check_metrics(served: dict) -> None:
    result = promtool("check", "metrics", stdin=served["text"])
    assert result.returncode == 0 and not (result.stdout + result.stderr).strip(), (
        result.stdout + result.stderr
    )


def test_served_metrics_count_stale_cycles_interval_and_start(served: dict) -> None:
    values = _values(served["text"])
    published = values[("tradelens_published_run_id", ())]
    runs = [r for r in served["components"] if r["run_id"] <= published]
    # the drill fails sizing_grid in every serve cycle: the streak is the number of cycles
    failing_cycles = len({r["run_id"] for r in runs if r["component"] == FAILING})
    assert failing_cycles >= 2
    assert all(r["status"] == ("failed" if r["component"] == FAILING else "ok") for r in runs)
    streaks = {
        labels[0][1]: v
        for (name, labels), v in values.items()
        if name == "tradelens_component_stale_cycles"
    }
    assert streaks == {c: (failing_cycles if c == FAILING else 0) for c in COMPONENT_NAMES}
    assert values[("tradelens_cycles_total", (("outcome", "partial"),))] == failing_cycles
    assert values[("tradelens_component_errors_total", (("component", FAILING),))] == failing_cycles
    quarantined = (("kind", "trades"), ("status", "quarantined"))
    assert values[("tradelens_inbox_files_total", quarantined)] == 1
    assert values[("tradelens_interval_seconds", ())] == INTERVAL_MIN * 60
    assert (
        served["started"]
        <= values[("tradelens_service_start_timestamp_seconds", ())]
        <= time.time()
    )


def test_every_metric_in_the_rules_and_the_dashboard_is_exported(served: dict) -> None:
    exported = _exported(served["text"]) | PROMETHEUS_OWN
    named = {
        source: {name for query in queries for name in metric_names(query)}
        for source, queries in (
            ("alerts.yml", rule_expressions(ALERTS.read_text())),
            ("tradelens.json", dashboard_queries(dashboard())),
        )
    }
    assert all(named.values()), named
    not_exported = {source: names - exported for source, names in named.items()}
    assert not_exported == {"alerts.yml": set(), "tradelens.json": set()}


def test_service_docs_list_exactly_the_exported_metrics(served: dict) -> None:
    """docs/service.md's /metrics table, as PromQL names them (counters with _total)."""
    text = SERVICE_DOCS.read_text()
    table = text[text.index("## GET /metrics") :].split("\n## ", 1)[0]
    documented = {re.sub(r"\{.*", "", name) for name in re.findall(r"`(tradelens_[^`]+)`", table)}
    families = {f.name: f.type for f in text_string_to_metric_families(served["text"])}
    exported = {
        name + ("_total" if kind == "counter" else "")
        for name, kind in families.items()
        if name.removesuffix("_created") not in families.keys() - {name}  # a counter's creation
    }
    assert documented == exported


# --------------------------------------------------------------------------- the streak, in-process


def _run(status: str, **component_status: str) -> RunResult:
    records = [ComponentRecord(n, status=component_status.get(n, "ok")) for n in COMPONENT_NAMES]
    return RunResult(run_id=0, status=status, published=True, components=records)


def test_stale_cycles_count_failed_and_carried_runs_and_unchanged_runs_leave_them() -> None:
    metrics = ServiceMetrics()

    def streak(component: str) -> float:
        return metrics.registry.get_sample_value(
            "tradelens_component_stale_cycles", {"component": component}
        )

    assert streak(FAILING) == 0  # the series exists before any cycle
    metrics.observe_run(_run("partial", sizing_grid="failed"))  # 1
    metrics.observe_run(_run("partial", sizing_grid="failed", timing_grid="failed"))  # 2, 1
    unchanged = RunResult(run_id=0, status="unchanged", published=False, same_as=1)
    metrics.observe_run(unchanged)  # no components: 2, 1 still
    assert (streak(FAILING), streak("timing_grid")) == (2, 1)
    metrics.observe_run(_run("partial", sizing_grid="carried"))  # 3; timing fresh again: 0
    assert (streak(FAILING), streak("timing_grid"), streak("counterfactuals")) == (3, 0, 0)
    metrics.observe_run(_run("success"))
    assert streak(FAILING) == 0
    outcome = metrics.registry.get_sample_value
    assert outcome("tradelens_cycles_total", {"outcome": "unchanged"}) == 1
    assert outcome("tradelens_cycles_total", {"outcome": "partial"}) == 3
    assert outcome("tradelens_component_errors_total", {"component": FAILING}) == 2  # not carried


def test_interval_is_the_configured_one_else_the_one_the_last_serve_run_recorded() -> None:
    def interval(metrics: ServiceMetrics) -> float:
        return metrics.registry.get_sample_value("tradelens_interval_seconds")

    configured = ServiceMetrics(interval_min=0.5)
    configured.observe_run_log(RunLog(serve_interval_min=2))
    assert interval(configured) == 30
    recorded = ServiceMetrics()
    assert interval(recorded) == 0  # not known yet: the staleness rules require it > 0
    recorded.observe_run_log(RunLog(serve_interval_min=2))
    assert interval(recorded) == 120
    recorded.observe_run_log(RunLog())  # a run log without a serve run keeps what was known
    assert interval(recorded) == 120
