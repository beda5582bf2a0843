"""SIGKILL at chosen points of a full run, an incremental update and a prune (a step of the
run, a statement of the publishing transaction, just before its commit): each leaves the previous
version whole (every history row, every value) and the kept statistics consistent with it: after
the kills, an incremental run publishes exactly what a full recompute does."""

from __future__ import annotations

import json
import shutil
import signal
import subprocess
import sys
from pathlib import Path

import polars as pl
import pytest
from conftest import ingest_one

from analytics.config import settings_from_mapping
from analytics.context import Tradelens
from analytics.sample_data import write_sample_data

CONFIG = {"score_threshold": 0.5, "min_samples": 10}
SETTINGS = settings_from_mapping(CONFIG)
VIEWS = {
    "counterfactuals": ["decision_id"],
    "timing_grid": ["entry_delay_min", "hold_min", "population"],
    "weight_grid": ["component", "variation"],
    "sizing_grid": ["bucket", "multiplier"],
    "learned_state": ["kind", "name"],
}

# The process the test kills: a command through the entry object the CLI uses, stopping at each
# point it may be killed at to print that point and wait for a line on stdin to go on. Points:
# `step <name>` (a step of the run starts), `<step>: statement <n>` (the n-th statement of the
# open transaction ran), `<step>: commit` (every statement ran, COMMIT not yet).
CHILD = """
import json, sys
from contextlib import contextmanager

from analytics.config import settings_from_mapping
from analytics.context import Tradelens
from analytics.warehouse import Warehouse

where, statements = "", None  # statements: of the open transaction (None outside one)


def stop_at(point):
    print(point, flush=True)
    sys.stdin.readline()


def on_step(step):
    global where
    where = step
    stop_at(f"step {step}")


def counted(method):
    def run(self, *args, **kwargs):
        global statements
        method(self, *args, **kwargs)
        if statements is not None:
            statements += 1
            stop_at(f"{where}: statement {statements}")
    return run


transaction = Warehouse.transaction


@contextmanager
def counted_transaction(self):
    global statements
    with transaction(self):
        statements = 0
        yield
        stop_at(f"{where}: commit")
        statements = None


Warehouse.execute = counted(Warehouse.execute)
Warehouse.script = counted(Warehouse.script)
Warehouse.transaction = counted_transaction
config, path, command, *args = sys.argv[1:]
lens = Tradelens(path, settings_from_mapping(json.loads(config)))
if command == "run":
    lens.run(full="--full" in args, on_step=on_step)
else:
    where = "prune"
    lens.prune(int(args[0]))
"""


def snapshot(lens: Tradelens) -> dict[str, pl.DataFrame]:
    """Every row of every version in history, and of latest."""
    out = {}
    for view, keys in VIEWS.items():
        for schema in ("history", "latest"):
            columns, rows = lens.sql(f"SELECT * FROM {schema}.{view}")
            out[f"{schema}.{view}"] = pl.DataFrame(rows, schema=columns, orient="row").sort(
                ["run_id", *keys]
            )
    return out


def same(a: dict, b: dict) -> bool:
    return a.keys() == b.keys() and all(a[k].equals(b[k], null_equal=True) for k in a)


def kill_at(point: str, command: list[str], warehouse: Path, tmp_path: Path) -> list[str]:
    """Start CHILD running `command`, let it go on at every point before `point` and SIGKILL it
    there, while it waits; returns the points it passed."""
    script = tmp_path / "child.py"
    script.write_text(CHILD)
    stderr = tmp_path / "child.stderr"
    with stderr.open("w") as err:
        proc = subprocess.Popen(
            [sys.executable, str(script), json.dumps(CONFIG), str(warehouse), *command],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=err, text=True,
        )  # fmt: skip
        passed = []
        for line in proc.stdout:
            if line.strip() == point:
                proc.send_signal(signal.SIGKILL)
                assert proc.wait(timeout=30) == -signal.SIGKILL
                return passed
            passed.append(line.strip())
            proc.stdin.write("\n")
            proc.stdin.flush()
        code = proc.wait(timeout=30)
    raise AssertionError(
        f"{command} ended (exit {code}) before {point!r}; passed {passed}\n{stderr.read_text()}"
    )


def statements(points: list[str], step: str) -> int:
    """How many statements the transaction of `step` ran, from the points a kill passed."""
    return sum(p.startswith(f"{step}: statement ") for p in points)


@pytest.mark.slow
def test_sigkill_leaves_the_version_whole_and_the_statistics_consistent(warehouse, tmp_path):
    files = write_sample_data(tmp_path / "sample", symbols=3, days=24, decisions=3000)
    bars = pl.read_parquet(files.prices).sort("ts")
    cuts = [bars["ts"][int(bars.height * share)] for share in (0.8, 0.9)]
    bars.filter(pl.col("ts") < cuts[0]).write_parquet(tmp_path / "bars_1.parquet")
    bars.filter(pl.col("ts").is_between(*cuts, closed="left")).write_parquet(
        tmp_path / "bars_2.parquet"
    )
    bars.filter(pl.col("ts") >= cuts[1]).write_parquet(tmp_path / "bars_3.parquet")
    lens = Tradelens(warehouse, SETTINGS)
    steps: list[str] = []
    with lens.session():
        ingest_one(lens, "prices", tmp_path / "bars_1.parquet")
        ingest_one(lens, "trades", files.trades)
        ingest_one(lens, "blocked", files.blocked)
        assert lens.run(on_step=steps.append).published
    # the step halfway through the components (after "starting duckdb", "preparing inputs")
    midway = f"step {steps[2 + (len(steps) - 3) // 2]}"

    for command in (["run", "--full"], ["run"]):
        if command == ["run"]:
            with lens.session():  # new bars resolve outcomes: the incremental update they start
                ingest_one(lens, "prices", tmp_path / "bars_2.parquet")
        whole = snapshot(lens)
        # everything of the version written, not committed: the points of the whole publication
        passed = kill_at("publishing: commit", command, warehouse, tmp_path)
        assert [p for p in passed if p.startswith("step ")] == [f"step {s}" for s in steps]
        assert statements(passed, "publishing") >= 10, passed  # rows of five views, the store
        assert same(snapshot(lens), whole), f"{command} killed before its commit"
        halfway = f"publishing: statement {statements(passed, 'publishing') // 2}"
        for point in (halfway, "publishing: statement 1", midway):
            kill_at(point, command, warehouse, tmp_path)
            assert same(snapshot(lens), whole), f"{command} killed at {point}"

    with lens.session():
        for _ in range(3):  # more versions, so a prune has something to remove
            lens.run(full=True)
    whole = snapshot(lens)
    passed = kill_at("prune: commit", ["prune", "2"], warehouse, tmp_path)
    assert statements(passed, "prune") >= 2, passed  # rows of old versions deleted, runs marked
    assert same(snapshot(lens), whole), "prune killed before its commit"
    for point in (f"prune: statement {statements(passed, 'prune') // 2}", "prune: statement 1"):
        kill_at(point, ["prune", "2"], warehouse, tmp_path)
        assert same(snapshot(lens), whole), f"prune killed at {point}"

    # the statistics kept through all that match the store: with new bars, an incremental run
    # publishes what a full recompute does
    with lens.session():
        ingest_one(lens, "prices", tmp_path / "bars_3.parquet")
    twin = tmp_path / "twin.duckdb"
    shutil.copy(warehouse, twin)
    incremental = lens.run()
    full = Tradelens(twin, SETTINGS).run(full=True)
    assert incremental.published and full.published
    mine, theirs = snapshot(lens), snapshot(Tradelens(twin, SETTINGS))
    for view in VIEWS:
        a = mine[f"latest.{view}"].drop("run_id")
        b = theirs[f"latest.{view}"].drop("run_id")
        assert a.equals(b, null_equal=True), view
