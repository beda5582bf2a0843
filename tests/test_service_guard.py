"""SPEC §19's evaluation guard, end to end with the real service: on a regime-change market
(momentum and dark_pool flip sign halfway) the daily walk-forward finds the unguarded learning
of the weights losing out of sample, so the service holds them at their static initial
setting: in latest.learned_state, in the bot's state file, on /health and /metrics. While it
evaluates, another process reads the warehouse (the walk runs outside the write window). Restarted
with a careful policy (other settings: the old verdicts judged another learner and no longer
apply), its own daily evaluation does not say `hurt`, and nothing is held."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from prometheus_client.parser import text_string_to_metric_families
from test_service import Service, _settled, _sql, _write_config

from analytics.sample_data import write_sample_data

FLIPPED = {"momentum": 0.25, "flow": 0.05, "dark_pool": -0.25}


def _held_gauges(service: Service) -> dict[str, float]:
    families = text_string_to_metric_families(service.get("/metrics")[1].decode())
    [held] = [f for f in families if f.name == "tradelens_learning_held"]
    return {s.labels["kind"]: s.value for s in held.samples}


def _read_without_waiting(warehouse: Path, query: str) -> int:
    """One figure read by another process, which fails at once if a writer holds the file."""
    code = (f"import duckdb; con = duckdb.connect({str(warehouse)!r}, read_only=True); "
            f"print(con.execute({query!r}).fetchone()[0])")  # fmt: skip
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr.strip().splitlines()[-1]
    return int(result.stdout)


@pytest.mark.slow
def test_the_service_holds_a_kind_its_evaluation_shows_losing_and_releases_it(tmp_path: Path):
    files = write_sample_data(tmp_path / "inputs", seed=2, symbols=2, days=40, decisions=2500,
                              signal=FLIPPED, flip_halfway=("momentum", "dark_pool"))  # fmt: skip
    inbox = {kind: tmp_path / "inbox" / kind for kind in ("prices", "trades", "blocked")}
    for kind, source in (("prices", files.prices), ("trades", files.trades),
                         ("blocked", files.blocked)):  # fmt: skip
        inbox[kind].mkdir(parents=True)
        _settled(Path(shutil.copy(source, inbox[kind] / source.name)))
    warehouse, state_file = tmp_path / "w.duckdb", tmp_path / "state.json"
    keys = {f"inbox_{k}": str(v) for k, v in inbox.items()} | {
        "state_out": str(state_file), "bootstrap_samples": 200, "interval_min": 60}  # fmt: skip

    service = Service(tmp_path, warehouse, _write_config(tmp_path, learning_policy="unguarded",
                                                         **keys))  # fmt: skip
    try:
        service.wait_for(lambda c, d: (d["current_step"] or "").startswith("evaluating"),
                         timeout=240)  # fmt: skip
        learned_rows = _read_without_waiting(warehouse, "SELECT count(*) FROM latest.learned_state")
        assert service.health()[1]["current_step"].startswith("evaluating"), "probe too late"
        assert learned_rows > 0  # the evaluation runs outside the write window: readers read
        _, health = service.wait_for(lambda c, d: d["learning_held"], timeout=240)
        gauges = _held_gauges(service)
    finally:
        assert service.stop() == 0, service.log()
    [evaluation] = _sql(warehouse, "SELECT * FROM evaluations")
    assert (evaluation["trigger"], evaluation["status"]) == ("serve", "success")
    hurt = {
        r["kind"]: r
        for r in _sql(
            warehouse,
            "SELECT * FROM latest.evaluation_summary WHERE policy = 'learned' AND verdict = 'hurt'",
        )
    }
    assert "weight" in hurt  # the flipped signals: the learned weights lost out of sample
    assert set(health["learning_held"]) == set(hurt)
    assert gauges == {k: float(k in hurt) for k in ("weight", "multiplier", "timing")}
    state = _sql(warehouse, "SELECT * FROM latest.learned_state")
    for row in state:
        if row["kind"] in hurt:
            w = hurt[row["kind"]]
            assert row["note"] == (f"held: walk-forward evaluation {evaluation['evaluation_id']}: "
                                   f"learned {row['kind']} lost {w['gain_weighted_pnl']:+,.2f} "
                                   f"(p = {w['gain_p_value']:.3g})")  # fmt: skip
            assert row["applied"] is False
    weights = {r["name"]: r["after"] for r in state if r["kind"] == "weight"}
    assert weights == dict.fromkeys(weights, 1.0)  # static: no initial_weights configured
    bot = json.loads(state_file.read_text())
    assert bot["weights"] == weights  # what the bot is given

    # restarted with the gate: the old verdicts judged another learner; its own is not `hurt`
    service = Service(tmp_path, warehouse, _write_config(tmp_path, learning_policy="gate",
                                                         **keys))  # fmt: skip
    try:
        # (it starts holding, as the warehouse says, until its first cycle has evaluated)
        assert service.wait_for(lambda c, d: "learning_held" in d)[1]["learning_held"]
        service.wait_for(lambda c, d: not d["learning_held"] and not d["cycle_in_progress"],
                         timeout=240)  # fmt: skip
        gauges = _held_gauges(service)
    finally:
        assert service.stop() == 0, service.log()
    assert gauges == dict.fromkeys(("weight", "multiplier", "timing"), 0.0)
    assert [
        e["trigger"]
        for e in _sql(warehouse, "SELECT trigger FROM evaluations WHERE status = 'success'")
    ] == ["serve", "serve"]
    verdicts = _sql(warehouse, "SELECT verdict FROM latest.evaluation_summary "
                               "WHERE policy = 'learned'")  # fmt: skip
    assert "hurt" not in {v["verdict"] for v in verdicts}
    notes = [r["note"] for r in _sql(warehouse, "SELECT note FROM latest.learned_state")]
    assert not any(n.startswith("held:") for n in notes)
