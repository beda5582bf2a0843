"""SPEC §16's "Is the gain real?": each learning lane's gain over static, resampled by date
blocks of the boundaries. The figures are recomputed here with numpy from
latest.evaluation_periods (the blocks, the draws, k, the quantiles), and the verdict from its
rule; and policies walked side by side (`--policies`) each get their own rows."""

from __future__ import annotations

import json

import numpy as np
import pytest
from conftest import ingest_one, tradelens

from analytics.config import settings_from_mapping
from analytics.context import Tradelens
from analytics.learning.policies import POLICIES
from analytics.learning.significance import gain_test
from analytics.sample_data import write_sample_data

SETTINGS = {"score_threshold": 0.5, "min_samples": 10, "bootstrap_samples": 400,
            "bootstrap_seed": 7, "confidence": 0.8, "evaluate_every": "12h",
            "evaluate_warmup_days": 2}  # fmt: skip


@pytest.fixture(scope="module")
def evaluated(tmp_path_factory: pytest.TempPathFactory):
    """A 10-day market walked forward every 12 hours (two periods per date block), with the
    configured policy (gate) and unguarded beside it."""
    root = tmp_path_factory.mktemp("gain")
    files = write_sample_data(root / "inputs", seed=11, symbols=2, days=10, decisions=1500)
    lens = Tradelens(root / "w.duckdb", settings_from_mapping(SETTINGS))
    with lens.session():
        ingest_one(lens, "prices", files.prices, bar_time="open", interval="1m")
        ingest_one(lens, "trades", files.trades)
        ingest_one(lens, "blocked", files.blocked)
        result = lens.evaluate(policies=("unguarded",))
    return lens, result


def _rows(lens: Tradelens, query: str) -> list[dict]:
    with lens.warehouse() as wh:
        return wh.rows(query)


def _by_hand(y: np.ndarray, samples: int, seed: int, confidence: float) -> dict:
    """SPEC §16 as written: draws of §13 step 2, S[r] = Σ y[idx[r]] in drawn order."""
    idx = np.random.default_rng(seed).integers(0, len(y), size=(samples, len(y)))
    total = y.sum()
    resampled = np.array([sum(y[i] for i in row) for row in idx])
    k = int(np.sum(resampled - total >= abs(total)))
    lo, hi = np.quantile(resampled, [(1 - confidence) / 2, (1 + confidence) / 2])
    passed = 1 + k <= (1 - confidence) * (samples + 1) + 1e-9
    verdict = ("helped" if total > 0 else "hurt") if passed and total != 0 else (
        "no measurable difference")  # fmt: skip
    return {"p": (1 + k) / (samples + 1), "lo": lo, "hi": hi, "verdict": verdict, "T": total}


def test_every_lanes_gain_test_is_recomputed_from_its_periods(evaluated):
    lens, _ = evaluated
    summary = _rows(lens, "SELECT * FROM latest.evaluation_summary")
    tested = [r for r in summary if r["policy"] != "static"]
    assert {r["policy"] for r in tested} == {"learned", "unguarded"} and len(tested) == 6
    assert any(r["gain_weighted_pnl"] != 0 for r in tested)  # something to test
    for row in tested:
        # the blocks: UTC dates of the boundaries; y = Σ (lane − static) weighted P&L, 0 if none
        blocks = _rows(
            lens,
            "SELECT CAST(l.boundary AS DATE) AS day, "
            "sum(coalesce(l.weighted_pnl, 0) - coalesce(s.weighted_pnl, 0)) AS y "
            "FROM latest.evaluation_periods AS l JOIN latest.evaluation_periods AS s "
            "ON s.boundary = l.boundary AND s.kind = l.kind AND s.policy = 'static' "
            f"WHERE l.kind = '{row['kind']}' AND l.policy = '{row['policy']}' "
            "GROUP BY 1 ORDER BY 1",
        )
        periods = _rows(lens, "SELECT count(DISTINCT boundary) AS n, "
                              "count(DISTINCT CAST(boundary AS DATE)) AS days "
                              "FROM latest.evaluation_periods")  # fmt: skip
        assert len(blocks) == periods[0]["days"] < periods[0]["n"]  # 12 h: periods share dates
        y = np.array([b["y"] for b in blocks])
        expected = _by_hand(y, 400, 7, 0.8)
        assert row["gain_weighted_pnl"] == pytest.approx(expected["T"], abs=1e-6)
        assert row["gain_p_value"] == expected["p"]  # exact: a count of draws
        assert row["gain_lo"] == pytest.approx(expected["lo"], rel=1e-9, abs=1e-9)
        assert row["gain_hi"] == pytest.approx(expected["hi"], rel=1e-9, abs=1e-9)
        assert row["verdict"] == expected["verdict"]
    static = [r for r in summary if r["policy"] == "static"]
    assert all(r["verdict"] is None and r["gain_p_value"] is None for r in static)


def test_the_verdict_rule_on_hand_made_blocks():
    """Worked by hand: y = [5, 5] gives S ∈ {0·5+2·5, …} = 10 always (every draw sums two
    values of 5): k = #{10 − 10 >= 10} = 0, p = 1/(B+1): helped. y = [3, −3]: T = 0, k =
    #{S >= 0}: never significant. One block is too little data."""
    helped = gain_test(np.array([5.0, 5.0]), samples=99, seed=0, confidence=0.9)
    assert (helped.p_value, helped.lo, helped.hi, helped.verdict) == (0.01, 10.0, 10.0, "helped")
    hurt = gain_test(np.array([-5.0, -5.0]), samples=99, seed=0, confidence=0.9)
    assert (hurt.p_value, hurt.verdict) == (0.01, "hurt")
    flat = gain_test(np.array([3.0, -3.0]), samples=99, seed=0, confidence=0.9)
    assert flat.verdict == "no measurable difference" and flat.p_value > 0.1
    assert gain_test(np.array([7.0]), samples=99, seed=0, confidence=0.9).verdict == (
        "too little data"
    )


def test_policies_walk_side_by_side_and_the_configured_one_equals_its_own_lane(evaluated):
    """`learned` is the configured gate; an evaluation configured as unguarded gives the
    unguarded lane's rows exactly (lockstep shares statistics, never decisions)."""
    lens, _ = evaluated
    lanes = _rows(lens, "SELECT policy, kind, name, boundary, after, note "
                        "FROM latest.evaluation_steps ORDER BY ALL")  # fmt: skip
    assert {r["policy"] for r in lanes} == {"learned", "unguarded"}
    alone = Tradelens(lens.path, settings_from_mapping(SETTINGS | {"learning_policy": "unguarded"}))
    alone.evaluate()
    mine = _rows(lens, "SELECT kind, name, boundary, after, note FROM latest.evaluation_steps "
                       "ORDER BY ALL")  # fmt: skip
    beside = [{k: v for k, v in r.items() if k != "policy"} for r in lanes
              if r["policy"] == "unguarded"]  # fmt: skip
    assert mine == beside
    assert any(r["after"] != r2["after"] for r, r2 in zip(
        [r for r in lanes if r["policy"] == "learned"], beside, strict=True))  # fmt: skip


def test_evaluate_prints_each_lanes_verdict_and_json_carries_the_test(tmp_path, evaluated):
    lens, _ = evaluated
    config = tmp_path / "tradelens.toml"
    config.write_text("\n".join(f"{k} = {json.dumps(v)}" for k, v in SETTINGS.items()))
    table = tradelens("evaluate", "--config", str(config), "--policies", "unguarded",
                      warehouse=lens.path)  # fmt: skip
    assert table.returncode == 0, table.stderr
    summary = {(r["kind"], r["policy"]): r
               for r in _rows(lens, "SELECT * FROM latest.evaluation_summary")}  # fmt: skip
    for (kind, policy), row in summary.items():
        if policy == "static":
            continue
        line = next(x for x in table.stdout.splitlines() if x.startswith(f"  {kind} ({policy}):"))
        assert line.startswith(f"  {kind} ({policy}): {row['verdict']}: gain "), line
        assert f"p = {row['gain_p_value']:.3g}" in line
    out = tradelens("evaluate", "--config", str(config), "--format", "json", warehouse=lens.path)
    rows = json.loads(out.stdout)
    assert {"gain_p_value", "gain_lo", "gain_hi", "verdict"} <= rows[0].keys()
    bad = tradelens("evaluate", "--policies", "gate,bold", warehouse=lens.path)
    assert bad.returncode == 1
    assert bad.stderr.strip().splitlines() == [
        f"Error: --policies: unknown policy 'bold': use one of {', '.join(POLICIES)}"
    ]
