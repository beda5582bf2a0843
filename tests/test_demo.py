"""`tradelens demo`, the README's first command, run as a new user would: the real script of the
venv from a fresh folder. Its closing hint must be true: every command it suggests runs."""

from __future__ import annotations

import json
import os
import shlex
import subprocess
import sys
from pathlib import Path

import pytest

SCRIPT = Path(sys.executable).parent / "tradelens"


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    if not SCRIPT.exists():
        pytest.skip(f"no {SCRIPT}: tradelens is not installed in this interpreter's venv")
    cwd = tmp_path_factory.mktemp("newuser")
    # PATH without the venv: the hint must name the script itself, as after the README install
    path = os.pathsep.join(p for p in os.environ["PATH"].split(os.pathsep)
                           if Path(p).resolve() != SCRIPT.parent.resolve())  # fmt: skip
    env = {**os.environ, "PATH": path, "COLUMNS": "120"}
    env.pop("TRADELENS_WAREHOUSE", None)
    result = subprocess.run([str(SCRIPT), "demo"], cwd=cwd, env=env, capture_output=True,
                            text=True, timeout=600)  # fmt: skip
    assert result.returncode == 0, result.stderr
    return cwd, result.stdout


def _suggested_commands(out: str) -> list[str]:
    after = out.split("Go on with (copy-paste):", 1)[1]
    return [line.split("#")[0].strip() for line in after.splitlines()
            if line.startswith("  ") and "tradelens" in line]  # fmt: skip


@pytest.mark.slow
def test_every_command_the_demo_suggests_runs_as_printed(demo) -> None:
    cwd, out = demo
    commands = _suggested_commands(out)
    assert len(commands) == 4
    for command in commands:
        argv = shlex.split(command)
        assert Path(cwd, argv[0]).resolve() == SCRIPT.resolve(), command  # the venv's script
        ran = subprocess.run([str(SCRIPT), *argv[1:]], cwd=cwd, capture_output=True, text=True,
                             timeout=300)  # fmt: skip
        assert ran.returncode == 0, (command, ran.stderr)
        if " run " in command:  # as the hint says: nothing new since the demo's run
            assert "unchanged" in ran.stderr
    assert (cwd / "warehouse" / "demo" / "report.html").stat().st_size > 100_000
    assert (cwd / "warehouse" / "demo" / "inputs" / "trades.jsonl").exists()


@pytest.mark.slow
def test_demo_shows_learning_and_its_out_of_sample_verdict(demo) -> None:
    cwd, out = demo
    for heading in ("Blocked trades", "Learned:", "Signal weights", "Out of sample"):
        assert heading in out
    verdicts = ("helped", "hurt", "no measurable difference", "too little data")
    for kind in ("weight", "multiplier", "timing"):
        [line] = [x for x in out.splitlines() if x.startswith(f"  {kind} (learned): ")]
        said = line.removeprefix(f"  {kind} (learned): ").split(": gain ")[0]
        assert said in verdicts, line  # helped or hurt is said only by SPEC §16's verdict
    state = json.loads((cwd / "warehouse" / "demo" / "learned_state.json").read_text())
    assert set(state["weights"]) == {"momentum", "flow", "iv_skew", "news", "dark_pool"}


@pytest.mark.slow
def test_sample_market_looks_like_a_real_bots(demo) -> None:
    """The best timing cells' Sharpe ratios are those of real books (not the 20 of a bot that
    sees the future), blocking the low scores was right, and the learning reads the weak
    signal the right way round (momentum up, dark_pool down), significant or not yet."""
    cwd, _ = demo
    query = "SELECT population, max(sharpe) AS best FROM latest.timing_grid GROUP BY 1 ORDER BY 1"
    ran = subprocess.run(
        [str(SCRIPT), "sql", "--warehouse", "warehouse/demo/tradelens.duckdb", query,
         "--format", "json"], cwd=cwd, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    best = {r["population"]: r["best"] for r in json.loads(ran.stdout)}
    assert 0.3 < best["all"] < 5 and 0.3 < best["executed"] < 5, best
    assert best["blocked"] < best["executed"]  # the trades blocked for low scores earn less
    ran = subprocess.run(
        [str(SCRIPT), "sql", "--warehouse", "warehouse/demo/tradelens.duckdb",
         "SELECT name, before, best FROM latest.learned_state WHERE kind = 'weight'",
         "--format", "json"], cwd=cwd, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    weights = {r["name"]: r for r in json.loads(ran.stdout)}
    assert weights["momentum"]["best"] > weights["momentum"]["before"]
    assert weights["dark_pool"]["best"] < weights["dark_pool"]["before"]
