"""`tradelens demo`: a sample market and bot log, ingested into a fresh warehouse, learned from."""

from __future__ import annotations

from pathlib import Path

from analytics.cli_support import progress
from analytics.config import load_settings
from analytics.context import Tradelens
from analytics.outputs.summary import print_summary
from analytics.sample_data import write_sample_data
from analytics.terminal import console

# The sample bot trades when its score reaches 0.5; the demo learns against that threshold.
DEMO_CONFIG = """\
# Settings of the tradelens demo (SPEC §12); edit and rerun `tradelens run --config` on it.
score_threshold = 0.5
"""


def run_demo(demo_dir: Path, seed: int) -> None:
    """Generate, ingest, run the full cycle, print what a trader needs to know."""
    demo_dir.mkdir(parents=True, exist_ok=True)
    warehouse = demo_dir / "tradelens.duckdb"
    for stale in (warehouse, warehouse.with_suffix(".duckdb.wal")):
        stale.unlink(missing_ok=True)
    config = demo_dir / "tradelens.toml"
    config.write_text(DEMO_CONFIG)
    lens = Tradelens(warehouse, load_settings(config))
    with progress() as step, lens.session():
        step("generating sample market and bot log")
        files = write_sample_data(demo_dir / "inputs", seed=seed)
        for kind, path in (("prices", files.prices), ("trades", files.trades),
                           ("blocked", files.blocked)):  # fmt: skip
            step(f"ingesting {path.name}")
            lens.ingest(kind, [path], bar_time="open", interval="1m")
        result = lens.run(trigger="demo", on_step=step)
        lens.write_state(demo_dir / "learned_state.json")
    with lens.warehouse() as opened:
        print_summary(opened, result.run_id)
    console.print(
        f"\nwarehouse: {warehouse}   learned state for the bot: {demo_dir / 'learned_state.json'}\n"
        f"explore:   tradelens --warehouse {warehouse} sql "
        "\"select * from latest.timing_grid where population = 'all' order by sharpe desc\""
    )
