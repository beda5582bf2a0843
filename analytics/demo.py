"""`tradelens demo`: a sample market and bot log, ingested into a fresh warehouse, learned from."""

from __future__ import annotations

from pathlib import Path

from analytics.cli_support import progress_bar
from analytics.config import load_settings
from analytics.ingest import ingest_file
from analytics.learning.state import state_document, write_state_json
from analytics.output import console
from analytics.outputs.summary import print_summary
from analytics.pipeline import COMPONENTS, run_cycle
from analytics.sample_data import write_sample_data
from analytics.warehouse import connect

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
    settings = load_settings(config)

    with progress_bar() as progress:
        task = progress.add_task("generating sample market and bot log", total=None)
        files = write_sample_data(demo_dir / "inputs", seed=seed)
        with connect(warehouse, create=True) as con:
            for kind, path in (
                ("prices", files.prices),
                ("trades", files.trades),
                ("blocked", files.blocked),
            ):
                progress.update(task, description=f"ingesting {path.name}")
                ingest_file(con, path, kind, bar_time="open", interval="1m")
            steps = progress.add_task("learning", total=len(COMPONENTS) + 2)
            result = run_cycle(
                con,
                settings,
                trigger="demo",
                on_step=lambda s: progress.update(steps, description=s, advance=1),
            )
            write_state_json(demo_dir / "learned_state.json", state_document(con))
            progress.remove_task(task)
            progress.remove_task(steps)
            print_summary(con, result.run_id)
    console.print(
        f"\nwarehouse: {warehouse}   learned state for the bot: {demo_dir / 'learned_state.json'}\n"
        f"explore:   tradelens --warehouse {warehouse} sql "
        "\"select * from latest.timing_grid where population = 'all' order by sharpe desc\""
    )
