"""SPEC §14: learning moves with evidence, not with the clock. A rerun on unchanged data moves
nothing (and publishes nothing), new bars that resolve nothing move nothing, a new resolved
outcome lets the unit step again."""

from __future__ import annotations

import json
from datetime import timedelta

from conftest import tradelens
from test_learning import PLAIN, T0, blocked, ingest, learned, lens_with, rising_bars, trade

THRESHOLD = PLAIN | {"score_threshold": 1.4}


def population() -> tuple[list[dict], list[dict]]:
    """θ = 1.4: y (blocked, a=1, counterfactual +100 at weight 0.5) is taken only once
    W_a·(1+v) ≥ 1.4; z (executed, b=2, +50) always. Best a: +50% (100 > 50)."""
    return [trade("z", {"b": 2.0}, 50.0)], [blocked("y", {"a": 1.0})]


def test_a_rerun_on_unchanged_data_publishes_nothing_and_says_so(warehouse, tmp_path):
    lens = lens_with(warehouse, **THRESHOLD)
    with lens.session():
        ingest(lens, tmp_path, *population(), rising_bars())
        first = lens.run()
        before = lens.rows("SELECT * FROM latest.learned_state ORDER BY kind, name")
        runs = [lens.run() for _ in range(4)]  # a quiet weekend of hourly cycles
        after = lens.rows("SELECT * FROM latest.learned_state ORDER BY kind, name")
        log = lens.run_log()
    assert [(r.status, r.published, r.same_as) for r in runs] == [("unchanged", False, 1)] * 4
    assert after == before  # a = 1.05 after the first run, and it stays
    assert learned_after(before, "a") == 1.05
    assert log.success_count == 5 and log.published_run_id == first.run_id  # §11: successes


def learned_after(rows: list[dict], name: str) -> float:
    return round(next(r["after"] for r in rows if r["name"] == name), 12)


def test_the_command_says_unchanged_in_one_line(warehouse, tmp_path):
    config = tmp_path / "t.toml"
    config.write_text("".join(f"{k} = {json.dumps(v)}\n" for k, v in THRESHOLD.items()))
    lens = lens_with(warehouse, **THRESHOLD)
    with lens.session():
        ingest(lens, tmp_path, *population(), rising_bars())
    assert tradelens("run", "--config", str(config), warehouse=warehouse).returncode == 0
    again = tradelens("run", "--config", str(config), warehouse=warehouse)
    assert again.returncode == 0, again.stderr
    assert again.stderr.strip().splitlines() == [
        "unchanged: inputs and settings are those of version 1, which stays latest; nothing "
        "published (run 2 recorded)"
    ]
    listed = json.loads(tradelens("versions", "--format", "json", warehouse=warehouse).stdout)
    assert [(r["run_id"], r["status"], r["published"]) for r in listed] == [
        (2, "unchanged", False), (1, "success", True)
    ]  # fmt: skip


def test_a_full_rerun_publishes_but_moves_nothing_without_new_evidence(warehouse, tmp_path):
    lens = lens_with(warehouse, **THRESHOLD)
    with lens.session():
        ingest(lens, tmp_path, *population(), rising_bars())
        lens.run()
        first = learned(lens, "weight")["a"]
        results = [lens.run(full=True) for _ in range(3)]
        rerun = learned(lens, "weight")["a"]
    assert all(r.published for r in results)
    assert first["applied"] and first["after"] == 1.05
    # the same cells win again (from 1.05, +50% still takes y), but nothing is decided
    assert rerun["before"] == rerun["after"] == 1.05
    assert rerun["best"] == 1.05 * 1.5 and rerun["n"] == 2
    assert rerun["applied"] is False
    assert (rerun["significant"], rerun["p_value"], rerun["gain"]) == (None, None, None)
    assert rerun["note"] == "no new evidence since run 1"


def test_new_bars_that_resolve_nothing_move_nothing(warehouse, tmp_path):
    lens = lens_with(warehouse, **THRESHOLD)
    with lens.session():
        ingest(lens, tmp_path, *population(), rising_bars())
        lens.run()
        # a day later on another symbol: every lookup of these decisions was resolved already
        later = [dict(b, symbol="CCC", ts=(T0 + timedelta(days=2, minutes=5 * k)).isoformat())
                 for k, b in enumerate(rising_bars())]  # fmt: skip
        ingest(lens, tmp_path, prices=later)
        result = lens.run()
        a = learned(lens, "weight")["a"]
    assert result.published and result.status == "success"
    assert a["before"] == a["after"] == 1.05 and a["note"] == "no new evidence since run 1"


def test_a_new_resolved_outcome_lets_the_unit_step(warehouse, tmp_path):
    lens = lens_with(warehouse, **THRESHOLD)
    with lens.session():
        ingest(lens, tmp_path, *population(), rising_bars())
        lens.run()
        ingest(lens, tmp_path, [trade("w", {}, 0.0)])  # resolved, taken by no cell
        lens.run()
        a = learned(lens, "weight")["a"]
        timing = learned(lens, "timing")["entry_delay_min"]
    # from 1.05: 1.05·1.25 < 1.4 ≤ 1.05·1.5, so +50% again: 1.05·(1 + 0.1·0.5)
    assert a["applied"] and a["after"] == 1.05 * 1.05
    assert a["note"].startswith("stepped toward best")
    assert timing["note"] != "no new evidence since run 1"  # w is a new outcome of every cell


def test_a_move_of_the_timing_setting_is_not_evidence(warehouse, tmp_path):
    """After the timing steps to 0.5 min, the next run computes outcomes at a new current
    setting; those are not new evidence: with nothing else new, timing does not move again."""
    bars = [{"symbol": "DIP", "ts": (T0 + timedelta(minutes=5 * k)).isoformat(), "open": 1,
             "high": 1, "low": 1, "close": 90.0 if 1 <= k < 12 else 100.0, "volume": 1}
            for k in range(40)]  # fmt: skip
    lens = lens_with(warehouse, **(PLAIN | {"entry_delays_min": [0, 5], "holds_min": [60]}))
    with lens.session():
        ingest(lens, tmp_path, [], [blocked("d", {"a": 1.0}, symbol="DIP")], bars)
        lens.run()
        moved = learned(lens, "timing")["entry_delay_min"]
        result = lens.run(full=True)  # computes the outcomes at 0.5 min: a new current cell
        stays = learned(lens, "timing")["entry_delay_min"]
    assert (moved["before"], moved["after"]) == (0.0, 0.5) and moved["applied"]
    assert result.published
    assert (stays["before"], stays["after"], stays["applied"]) == (0.5, 0.5, False)
    assert stays["note"] == "no new evidence since run 1"
