"""After any run, `tradelens run` says what was learned (what moved, what stayed and why), and
`--format json` carries the run id and every figure; a run with nothing to learn from says so."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import tradelens

from analytics.sample_data import COMPONENTS, write_sample_data

SMALL = {"symbols": 2, "days": 12, "decisions": 600}


@pytest.fixture(scope="module")
def ingested(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, dict]:
    """A warehouse with a small sample ingested (not yet run), and the sample's own counts."""
    root = tmp_path_factory.mktemp("summary")
    files = write_sample_data(root / "inputs", seed=11, **SMALL)
    warehouse = root / "w.duckdb"
    for kind, path, *options in (("prices", files.prices, "--interval", "1m"),
                                 ("trades", files.trades), ("blocked", files.blocked)):  # fmt: skip
        assert tradelens("ingest", kind, str(path), *options, warehouse=warehouse).returncode == 0
    trades = [json.loads(line) for line in files.trades.read_text().splitlines()]
    blocked = [json.loads(line) for line in files.blocked.read_text().splitlines()]
    counts = {
        "executed": len(trades),
        "open_trades": sum(1 for t in trades if "exit_ts" not in t),
        "blocked": len(blocked),
        "symbols": len({d["symbol"] for d in trades + blocked}),
    }
    config = root / "tradelens.toml"
    config.write_text("score_threshold = 0.5\nmin_samples = 5\n")
    return warehouse, config, counts


def test_json_carries_the_run_and_every_figure_of_the_summary(ingested) -> None:
    warehouse, config, counts = ingested
    result = tradelens("run", "--config", str(config), "--format", "json", warehouse=warehouse)
    assert result.returncode == 0, result.stderr
    document = json.loads(result.stdout)
    summary = document["summary"]
    assert document["run_id"] == summary["run_id"] == 1
    assert {c["component"] for c in document["components"]} >= {"timing_grid", "weight_grid"}
    assert {k: summary["inputs"][k] for k in counts} == counts  # counted from the input files
    assert summary["inputs"]["first_decision"].endswith("Z")
    # one learned row per signal, bucket and timing setting: 5 + 4 quartile buckets + 2
    learned = {(r["kind"], r["name"]) for r in summary["learned"]}
    assert learned == {("weight", c) for c in COMPONENTS} | {
        ("multiplier", str(b)) for b in range(4)
    } | {("timing", "entry_delay_min"), ("timing", "hold_min")}
    assert summary["moved"] == sum(1 for r in summary["learned"] if r["applied"])
    assert all(r["note"] for r in summary["learned"])  # every setting says why
    blocked = summary["blocked"]
    resolved = blocked["missed"] + blocked["avoided"] + blocked["flat"]
    assert resolved + blocked["unresolved"] == blocked["blocked_trades"] == counts["blocked"]
    assert blocked["net_pnl"] == pytest.approx(blocked["missed_pnl"] + blocked["avoided_pnl"])


def test_people_get_what_moved_and_why_after_the_component_table(ingested) -> None:
    warehouse, config, _ = ingested
    tradelens("run", "--config", str(config), warehouse=warehouse)  # (version 1, or unchanged)
    result = tradelens("run", "--config", str(config), "--full", warehouse=warehouse,
                       env={"COLUMNS": "160"})  # fmt: skip
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert out.index("scenario_outcomes") < out.index("Learned:")
    for heading in ("Blocked trades", "Signal weights", "Timing", "Position sizing"):
        assert heading in out
    for component in COMPONENTS:
        assert component in out
    # a rerun on the same data is no new evidence (SPEC §14): every setting says so
    assert out.count("no new evidence since run") == 11


def test_a_run_with_nothing_ingested_succeeds_and_says_so(warehouse: Path) -> None:
    result = tradelens("run", warehouse=warehouse)
    assert result.returncode == 0, result.stderr
    assert "no decisions loaded: nothing to learn from yet" in result.stderr
    assert "no price bars loaded" in result.stderr
