"""`tradelens demo`: a sample market and bot log, ingested into a fresh warehouse, learned from,
and the learning checked out of sample (walk-forward)."""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

from analytics.cli_support import progress
from analytics.config import load_settings
from analytics.context import Tradelens
from analytics.learning.evaluation import verdict
from analytics.outputs.summary import print_summary
from analytics.sample_data import write_sample_data
from analytics.terminal import console

# The sample bot trades when its score reaches 0.5; the demo learns against that threshold.
DEMO_CONFIG = """\
# Settings of the tradelens demo (SPEC §12); edit and rerun `tradelens run --config` on it.
score_threshold = 0.5
"""
# Three months of a bot's log: enough for the weak signal to show, not to prove itself.
DEMO_SCALE = {"symbols": 4, "days": 90, "decisions": 5000}


def run_demo(demo_dir: Path, seed: int) -> None:
    """Generate, ingest, run the full cycle and the walk-forward; print what a trader needs to
    know and the commands to go on with."""
    demo_dir.mkdir(parents=True, exist_ok=True)
    warehouse = demo_dir / "tradelens.duckdb"
    for stale in (warehouse, warehouse.with_suffix(".duckdb.wal")):
        stale.unlink(missing_ok=True)
    config = demo_dir / "tradelens.toml"
    config.write_text(DEMO_CONFIG)
    lens = Tradelens(warehouse, load_settings(config))
    with progress() as step, lens.session():
        step("generating sample market and bot log")
        files = write_sample_data(demo_dir / "inputs", seed=seed, **DEMO_SCALE)
        for kind, path in (("prices", files.prices), ("trades", files.trades),
                           ("blocked", files.blocked)):  # fmt: skip
            step(f"ingesting {path.name}")
            lens.ingest(kind, [path], bar_time="open", interval="1m")
        result = lens.run(trigger="demo", on_step=step)
        lens.write_state(demo_dir / "learned_state.json")
        evaluation = lens.evaluate(
            on_progress=lambda done, total: step(f"walk-forward: boundary {done} of {total}")
        )
    print_summary(lens.summary(result.run_id))
    console.print(
        f"\n[bold]Out of sample[/bold] (walk-forward, {evaluation.boundaries} daily boundaries: "
        "the learning replayed on the data known each day, scored on the next day's decisions)"
    )
    for line in verdict(evaluation.summary, evaluation.confidence):
        console.print(f"  {line}", highlight=False)
    _print_next_steps(warehouse, config, files.prices.parent)


def _print_next_steps(warehouse: Path, config: Path, inputs: Path) -> None:
    tl, at = _command(), f"--warehouse {_shown(warehouse)}"
    console.print(
        f"\nThe bot's learned state: {_shown(warehouse.parent / 'learned_state.json')}\n"
        "Go on with (copy-paste):\n"
        f"  {tl} versions {at}\n"
        f"  {tl} report {at} --out {_shown(warehouse.parent / 'report.html')}\n"
        f'  {tl} sql {at} "select * from latest.learned_state"\n'
        f"  {tl} run {at} --config {_shown(config)}      "
        "# again: unchanged, nothing new to learn from\n"
        f"Your own data: the sample inputs in {_shown(inputs)}/ show the formats "
        "(README, Input files).",
        highlight=False,
        soft_wrap=True,
    )


def _command() -> str:
    """How to run tradelens again: `tradelens` when that is on PATH, else the script that runs
    now (after the README's install, .venv/bin/tradelens)."""
    script = Path(sys.argv[0])
    on_path = shutil.which("tradelens")
    if script.name != "tradelens" or (on_path and Path(on_path).resolve() == script.resolve()):
        return "tradelens"
    return _shown(script)


def _shown(path: Path) -> str:
    """A path as the user would type it: relative to the working directory when inside it."""
    try:
        return str(path.resolve().relative_to(Path.cwd().resolve()))
    except ValueError:
        return str(path)
